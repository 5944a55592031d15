// Frontdesk progressive enhancement. Every form works without this file: it only
// sends the same POST with `Accept: application/json` and shows the answer in place.
"use strict";

(function () {
  // Fall back to an ordinary submission (keeping the pressed button's value).
  function plainSubmit(form, submitter) {
    form.dataset.plain = "1";
    if (form.requestSubmit) form.requestSubmit(submitter || undefined);
    else form.submit();
  }

  function post(form, submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    return fetch(form.action, {
      method: "POST",
      body: data,
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    }).then(function (response) {
      return response.json().then(
        function (body) { return { status: response.status, body: body }; },
        function () { return { status: response.status, body: {} }; }
      );
    });
  }

  function showErrors(form, errors) {
    form.querySelectorAll("[data-error-for]").forEach(function (slot) {
      var name = slot.getAttribute("data-error-for");
      var field = form.querySelector("[name='" + name + "']");
      var message = errors[name];
      slot.textContent = message || "";
      slot.hidden = !message;
      if (field) {
        if (message) field.setAttribute("aria-invalid", "true");
        else field.removeAttribute("aria-invalid");
        var ids = (field.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
          return id && id !== slot.id;
        });
        if (message) ids.push(slot.id);
        if (ids.length) field.setAttribute("aria-describedby", ids.join(" "));
      }
    });
    form.querySelectorAll(".field").forEach(function (wrapper) {
      var slot = wrapper.querySelector("[data-error-for]");
      if (slot) wrapper.classList.toggle("field-invalid", !!errors[slot.getAttribute("data-error-for")]);
    });
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) return;
    var list = summary.querySelector("ul");
    list.textContent = "";
    Object.keys(errors).forEach(function (name) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "#" + name;
      // Name the field, as the page without JavaScript does: "Phone number: Enter a phone number...".
      var label = form.querySelector("label[for='" + name + "']");
      var text = label ? label.textContent.replace(/\(optional\)/, "").trim() : "";
      if (name === "consent") text = "Consent";
      link.textContent = (text ? text + ": " : "") + errors[name];
      item.appendChild(link);
      list.appendChild(item);
    });
    summary.hidden = Object.keys(errors).length === 0;
    if (!summary.hidden) summary.focus();
  }

  function setStatus(form, text) {
    var status = form.querySelector("[data-form-status]");
    if (status) status.textContent = text;
  }

  // A résumé the server holds (after a 422 on another field): say so, and send its token with the next try.
  function showHeld(form, body) {
    var token = form.querySelector("[data-resume-token]");
    var note = form.querySelector("[data-resume-held]");
    var input = form.querySelector("input[type=file]");
    if (!token || !note || !body.resume_token) return;
    token.value = body.resume_token;
    note.textContent = "We have your file " + body.resume_name + ": there is no need to choose it again. Choose another file only to replace it.";
    note.hidden = false;
    if (input) {
      input.required = false;
      input.value = "";
      var ids = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      if (ids.indexOf(note.id) === -1) ids.push(note.id);
      input.setAttribute("aria-describedby", ids.join(" "));
    }
  }

  // A file over the limit is refused before it is sent: the same words the server would answer with.
  function tooLargeFile(form) {
    var found = null;
    form.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
      var limit = parseInt(input.getAttribute("data-max-bytes"), 10);
      if (input.files && input.files[0] && input.files[0].size > limit) found = input;
    });
    return found;
  }

  // The answer in place of the form: the same title and words as the thank-you page without JavaScript.
  function thanksFor(body) {
    var block = document.createElement("div");
    block.className = "form-thanks";
    if (body.title) {
      var heading = document.createElement("h2");
      heading.textContent = body.title;
      block.appendChild(heading);
    }
    var text = document.createElement("p");
    text.className = "notice";
    text.setAttribute("role", "status");
    text.setAttribute("tabindex", "-1");
    text.textContent = body.message || "Thank you.";
    if (body.reference) text.textContent += " Your reference number is " + body.reference + ".";
    block.appendChild(text);
    return block;
  }

  function enhanceForm(form) {
    form.addEventListener("submit", function (event) {
      if (!window.fetch || !window.FormData || form.dataset.plain) return;
      event.preventDefault();
      var big = tooLargeFile(form);
      if (big) {
        var errors = {};
        errors[big.name] = big.getAttribute("data-too-large");
        showErrors(form, errors);
        return;
      }
      var submitter = event.submitter;
      var button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      setStatus(form, "Sending…");
      post(form, submitter).then(function (result) {
        if (button) button.disabled = false;
        if (result.body.ok) {
          var thanks = thanksFor(result.body);
          var focusTarget = thanks.querySelector("[role=status]");
          // Let other enhancements see the answer (the comment form adds the new comment to the list).
          form.dispatchEvent(new CustomEvent("frontdesk:sent", { bubbles: true, detail: result.body }));
          form.replaceWith(thanks);
          var summary = document.querySelector("[data-error-summary]");
          if (summary) summary.hidden = true;
          focusTarget.focus();
        } else if (result.status === 422 && result.body.errors) {
          setStatus(form, "");
          showHeld(form, result.body);
          showErrors(form, result.body.errors);
        } else {
          setStatus(form, (result.body.detail || "That did not work.") + " Please try again.");
        }
      }, function () {
        // The network failed: let the browser send the form the ordinary way.
        if (button) button.disabled = false;
        plainSubmit(form, submitter);
      });
    });
  }

  function enhanceFeedback(section) {
    var ask = section.querySelector(".feedback-ask");
    var more = section.querySelector(".feedback-more");
    var thanks = section.querySelector("[data-feedback-thanks]");
    section.querySelectorAll("form").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.fetch || !window.FormData || form.dataset.plain) return;
        event.preventDefault();
        var submitter = event.submitter;
        post(form, submitter).then(function (result) {
          if (!result.body.ok) { plainSubmit(form, submitter); return; }
          if (ask) ask.hidden = true;
          if (result.body.ask_reason && more) {
            more.hidden = false;
            var heading = more.querySelector("h2");
            heading.setAttribute("tabindex", "-1");
            heading.focus();
          } else {
            if (more) more.hidden = true;
            thanks.hidden = false;
            thanks.setAttribute("tabindex", "-1");
            thanks.focus();
          }
        }, function () { plainSubmit(form, submitter); });
      });
    });
  }

  document.querySelectorAll("form[data-enhance='form']").forEach(enhanceForm);
  document.querySelectorAll("[data-feedback]").forEach(enhanceFeedback);
})();

// The page a visitor came to the form from. The form page is cached and shared by every visitor
// (pagecache.py), so the server leaves the hidden field empty and it is filled in here from the
// referrer, only when the referrer is a page of this site. Without JavaScript the field stays empty.
(function () {
  var field = document.querySelector("input[data-sent-from]");
  if (!field || field.value || !document.referrer) return;
  try {
    var from = new URL(document.referrer);
    if (from.origin === window.location.origin) field.value = from.pathname.slice(0, 300);
  } catch (e) {
    // An unparsable referrer: leave the field empty.
  }
})();

// Comments: a browser's own comments awaiting moderation. The article page is the same for everyone
// (it is cached), so these come from a private fragment, fetched only when the fd_pending cookie names
// this article, or straight from the JSON answer right after posting.
(function () {
  var section = document.querySelector("[data-comments]");
  if (!section) return;
  var list = section.querySelector("[data-comment-list]");
  var slug = section.getAttribute("data-post");

  function add(html) {
    if (!html) return;
    list.insertAdjacentHTML("beforeend", html);
    list.hidden = false;
  }

  var pending = document.cookie.split("; ").filter(function (c) { return c.indexOf("fd_pending=") === 0; })[0];
  if (pending && window.fetch && pending.slice("fd_pending=".length).split(".").indexOf(slug) !== -1) {
    fetch(section.getAttribute("data-mine"), { credentials: "same-origin" }).then(function (response) {
      return response.ok ? response.text() : "";
    }).then(add, function () {});
  }

  section.addEventListener("frontdesk:sent", function (event) {
    if (event.target.matches("[data-comment-form]") && event.detail) add(event.detail.html);
  });
})();

// The menu: a <details> that folds on a phone. Wide screens show it as a row (CSS); where a browser cannot
// style a closed <details> open, it is opened here. Escape closes it on a phone.
(function () {
  var menu = document.querySelector("[data-menu]");
  if (!menu) return;
  var wide = window.matchMedia("(min-width: 56rem)");
  function fit() { if (wide.matches) menu.open = true; }
  fit();
  if (wide.addEventListener) wide.addEventListener("change", fit);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && menu.open && !wide.matches) {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  });
})();

// "Open now": the page is the same for every visitor all day (it is cached), so it carries only the schedule,
// and the status is worked out here, in the office's time zone, when the page is read.
(function () {
  var days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
  function parts(now, tz) {
    var out = {};
    new Intl.DateTimeFormat("en-US", {
      timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit", weekday: "long",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    }).formatToParts(now).forEach(function (p) { out[p.type] = p.value; });
    return out;
  }
  function minutes(text) { var p = text.split(":"); return parseInt(p[0], 10) * 60 + parseInt(p[1], 10); }
  function spansOn(data, date, weekday) {
    return Object.prototype.hasOwnProperty.call(data.special, date) ? data.special[date] : data.week[weekday];
  }
  function clock(text, locale) {
    var m = minutes(text) % 1440;
    var d = new Date(Date.UTC(2000, 0, 1, Math.floor(m / 60), m % 60));
    return new Intl.DateTimeFormat(locale, { hour: "numeric", minute: "2-digit", timeZone: "UTC" }).format(d);
  }
  function addDays(date, n) {
    var d = new Date(date + "T12:00:00Z");
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }
  function status(data, now) {
    var p = parts(now, data.tz);
    var date = p.year + "-" + p.month + "-" + p.day;
    var weekday = days.indexOf(p.weekday.toLowerCase());
    var at = parseInt(p.hour, 10) * 60 + parseInt(p.minute, 10);
    var today = spansOn(data, date, weekday);
    for (var i = 0; i < today.length; i++) {
      if (at >= minutes(today[i][0]) && at < minutes(today[i][1])) {
        return { open: true, text: "Open now · closes at " + clock(today[i][1], data.locale), day: weekday };
      }
    }
    for (var ahead = 0; ahead < 14; ahead++) {
      var d = addDays(date, ahead);
      var w = (weekday + ahead) % 7;
      var spans = spansOn(data, d, w);
      for (var j = 0; j < spans.length; j++) {
        if (ahead > 0 || minutes(spans[j][0]) > at) {
          var when = ahead === 0 ? "today" : ahead === 1 ? "tomorrow" :
            new Intl.DateTimeFormat(data.locale, { weekday: "long", timeZone: "UTC" }).format(new Date(d + "T12:00:00Z"));
          return { open: false, text: "Closed now · opens " + when + " at " + clock(spans[j][0], data.locale), day: weekday };
        }
      }
    }
    return { open: false, text: "Closed now", day: weekday };
  }
  document.querySelectorAll("[data-open-status]").forEach(function (slot) {
    var data;
    try { data = JSON.parse(slot.getAttribute("data-schedule")); } catch (e) { return; }
    if (!window.Intl || !data) return;
    function update() {
      var found = status(data, new Date());
      slot.textContent = found.text;
      slot.classList.toggle("is-open", found.open);
      slot.classList.toggle("is-closed", !found.open);
      slot.hidden = false;
      var table = slot.parentNode.querySelector(".hours");
      if (table) {
        table.querySelectorAll("tr").forEach(function (row) {
          row.classList.toggle("today", row.getAttribute("data-day") === days[found.day]);
        });
      }
    }
    update();
    window.setInterval(update, 60000);
  });
})();

// The map loads only when asked: before the click no request goes to the map's provider. Without
// JavaScript the link opens the map on the provider's own site.
(function () {
  document.querySelectorAll("[data-map-embed]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var frame = document.createElement("iframe");
      frame.src = link.getAttribute("data-src");
      frame.title = link.getAttribute("data-map-title") || "Map";
      frame.className = "map-frame";
      frame.setAttribute("referrerpolicy", "no-referrer");
      frame.setAttribute("tabindex", "0");
      link.parentNode.replaceWith(frame);
      frame.focus();
    });
  });
})();
