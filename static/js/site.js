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
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) return;
    var list = summary.querySelector("ul");
    list.textContent = "";
    Object.keys(errors).forEach(function (name) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "#" + name;
      link.textContent = errors[name];
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

  function enhanceForm(form) {
    form.addEventListener("submit", function (event) {
      if (!window.fetch || !window.FormData || form.dataset.plain) return;
      event.preventDefault();
      var submitter = event.submitter;
      var button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      setStatus(form, "Sending…");
      post(form, submitter).then(function (result) {
        if (button) button.disabled = false;
        if (result.body.ok) {
          var thanks = document.createElement("p");
          thanks.className = "notice";
          thanks.setAttribute("role", "status");
          thanks.setAttribute("tabindex", "-1");
          thanks.textContent = result.body.message || "Thank you.";
          // Let other enhancements see the answer (the comment form adds the new comment to the list).
          form.dispatchEvent(new CustomEvent("frontdesk:sent", { bubbles: true, detail: result.body }));
          form.replaceWith(thanks);
          var summary = document.querySelector("[data-error-summary]");
          if (summary) summary.hidden = true;
          thanks.focus();
        } else if (result.status === 422 && result.body.errors) {
          setStatus(form, "");
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
