"""Issue 17 in real Chromium: "open now" worked out in the browser, the map on request, the phone menu,
invalid fields that stand out, and an application that never loses the résumé or what was typed."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from support import PDF  # a real PDF: résumés are parsed, and a hand-written one does not parse

pytestmark = pytest.mark.browser

OFFICE = "/offices/sioux-falls-agency"
APPLY = "/careers/licensed-insurance-agent/apply"
CHICAGO = dt.timezone(dt.timedelta(hours=-6))  # November and December: Central Standard Time


@pytest.mark.parametrize(
    ("at", "status"),
    [
        (dt.datetime(2026, 11, 23, 10, 0, tzinfo=CHICAGO), "Open now · closes at 5:00\u202fPM"),  # a Monday
        (dt.datetime(2026, 11, 23, 7, 15, tzinfo=CHICAGO), "Closed now · opens today at 8:00\u202fAM"),
        (dt.datetime(2026, 11, 20, 16, 30, tzinfo=CHICAGO), "Closed now · opens Monday at 8:00\u202fAM"),  # Friday
        (dt.datetime(2026, 11, 25, 18, 0, tzinfo=CHICAGO), "Closed now · opens Friday at 8:00\u202fAM"),  # Thanksgiving
        (dt.datetime(2026, 11, 27, 11, 0, tzinfo=CHICAGO), "Open now · closes at 12:00\u202fPM"),  # a short day
    ],
)
def test_open_now_is_worked_out_in_the_offices_time_zone(live_server, page, at, status):
    page.clock.set_fixed_time(at)
    page.route("https://**/*", lambda route: route.abort())
    page.goto(live_server.url + OFFICE)
    slot = page.locator("[data-open-status]")
    slot.wait_for(state="visible")
    # Intl spaces "5:00 PM" its own way (a narrow or a plain space, by ICU version): compare the words
    assert re.sub(r"[\u202f\xa0 ]+", " ", slot.inner_text()) == re.sub(r"[\u202f\xa0 ]+", " ", status)
    weekday = at.strftime("%A").lower()
    assert page.locator(f"tr[data-day={weekday}]").get_attribute("class") == "today"


def test_the_map_makes_no_request_until_asked(live_server, page):
    asked = []
    page.route("https://**/*", lambda route: (asked.append(route.request.url), route.abort()))
    page.goto(live_server.url + OFFICE, wait_until="networkidle")
    assert asked == [] and page.locator("iframe").count() == 0
    page.get_by_role("link", name="Show the map").click()
    frame = page.locator("iframe.map-frame")
    frame.wait_for(state="attached")
    assert frame.get_attribute("src").startswith("https://www.openstreetmap.org/export/embed.html?")
    assert frame.get_attribute("title") == "Map showing Sioux Falls Agency Office"
    assert page.get_by_role("link", name="Get directions").is_visible()  # the card stays beside it


def test_without_javascript_the_map_link_opens_the_map_site(live_server, browser):
    context = browser.new_context(java_script_enabled=False)
    pg = context.new_page()
    pg.goto(live_server.url + OFFICE)
    assert (
        pg.get_by_role("link", name="Show the map")
        .get_attribute("href")
        .startswith("https://www.openstreetmap.org/?mlat=")
    )
    assert pg.locator("[data-open-status]").is_hidden()  # no claim about now without the visitor's clock
    context.close()


def test_the_header_is_one_row_on_a_phone_and_the_menu_opens(live_server, browser):
    context = browser.new_context(viewport={"width": 375, "height": 740})
    pg = context.new_page()
    pg.route("https://**/*", lambda route: route.abort())
    pg.goto(live_server.url + "/")
    header = pg.locator(".site-header").bounding_box()
    assert header is not None and header["height"] < 80  # one row: the brand and the menu button
    assert pg.get_by_role("link", name="Careers", exact=True).is_hidden()
    pg.get_by_text("Menu").click()
    pg.get_by_role("link", name="Careers", exact=True).click()
    pg.wait_for_url("**/careers")
    context.close()
    wide = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = wide.new_page()
    pg.goto(live_server.url + "/")
    assert pg.get_by_role("link", name="Careers", exact=True).is_visible() and pg.get_by_text("Menu").is_hidden()
    wide.close()


def test_invalid_fields_stand_out(live_server, browser):
    context = browser.new_context(java_script_enabled=False)
    pg = context.new_page()
    pg.goto(live_server.url + "/request-info")
    pg.get_by_label("Email address").fill("not an email")
    pg.get_by_role("button", name="Send request").click()
    pg.wait_for_selector(".error-summary:not([hidden])")
    border = pg.get_by_label("Email address").evaluate(
        "e => getComputedStyle(e).borderTopColor + ' ' + getComputedStyle(e).borderTopWidth"
    )
    assert border == "rgb(163, 38, 27) 2px"  # --error, thicker: the invalid rule wins over input[type=...]
    assert pg.get_by_role("link", name=re.compile(r"^Email address: Enter an email address")).is_visible()
    context.close()


def test_a_too_large_resume_is_caught_before_sending_and_the_form_keeps_everything(live_server, page):
    page.route("https://**/*", lambda route: route.abort())
    page.goto(live_server.url + APPLY)
    page.get_by_label("Your name").fill("Grace Hopper")
    page.locator("#resume").set_input_files(
        {"name": "scan.pdf", "mimeType": "application/pdf", "buffer": PDF + b"0" * (11 * 1024 * 1024)}
    )
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.get_by_role("button", name="Send application").click()
    page.wait_for_selector("#resume-error:not([hidden])")
    assert "larger than 10 MB" in page.locator("#resume-error").inner_text() and posts == []
    assert page.get_by_label("Your name").input_value() == "Grace Hopper"
    assert page.get_by_role("link", name=re.compile("^Résumé: Your résumé is larger than 10 MB")).is_visible()


def test_a_resume_that_passed_is_kept_while_another_field_is_fixed(live_server, page):
    from frontdesk.db import tables
    from support import db_rows

    page.route("https://**/*", lambda route: route.abort())
    page.goto(live_server.url + APPLY)
    page.get_by_label("Your name").fill("Grace Hopper")
    page.get_by_label("Email address").fill("grace@example.com")
    page.get_by_label("Phone number").fill("call me")
    page.locator("#resume").set_input_files({"name": "cv.pdf", "mimeType": "application/pdf", "buffer": PDF})
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Send application").click()
    page.wait_for_selector("#phone-error:not([hidden])")
    assert "We have your file cv.pdf" in page.locator("[data-resume-held]").inner_text()
    page.get_by_label("Phone number").fill("605 555 0123")
    page.get_by_role("button", name="Send application").click()  # no file chosen again
    page.wait_for_selector("p.notice[role=status]")
    assert "We have received your application for Licensed Insurance Agent" in page.locator("p.notice").inner_text()
    assert page.get_by_role("heading", name="Application received").is_visible()
    (upload,) = db_rows(live_server.database_url, tables.uploads)
    assert upload.original_name == "cv.pdf"
