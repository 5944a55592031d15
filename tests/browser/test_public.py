"""Real headless Chromium: navigation works, and no page logs errors or CSP violations."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def _no_csp_violations(page) -> list[str]:
    return page.evaluate("() => window.__cspViolations || []")


def test_home_to_office_and_job_without_errors(live_server, page):
    page.add_init_script(
        "window.__cspViolations = [];"
        "document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    # The map iframe would reach the internet, which this machine has not; block it so only our own pages count.
    page.route("https://**/*", lambda route: route.abort())
    page.goto(live_server.url + "/")
    assert "Prairie Point Agency" in page.title()
    page.get_by_role("link", name="Sioux Falls Agency Office").first.click()
    page.wait_for_url("**/offices/sioux-falls-agency")
    assert page.get_by_role("heading", level=1).inner_text() == "Sioux Falls Agency Office"
    assert page.get_by_role("link", name="Get directions").is_visible()
    assert _no_csp_violations(page) == []
    page.get_by_role("link", name="Careers", exact=True).click()
    page.wait_for_url("**/careers")
    page.get_by_role("link", name="Licensed Insurance Agent").click()
    page.wait_for_url("**/careers/licensed-insurance-agent")
    assert page.get_by_role("link", name="Apply for this position").is_visible()
    assert _no_csp_violations(page) == []
    errors = [p for p in page.problems if "ERR_FAILED" not in p and "openstreetmap" not in p]
    assert errors == []


def test_skip_link_is_first_focusable(live_server, page):
    page.route("https://**/*", lambda route: route.abort())
    page.goto(live_server.url + "/careers")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.textContent")
    assert "Skip to main content" in focused


def test_narrow_screen_has_no_horizontal_scroll(live_server, browser):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    pg = context.new_page()
    pg.route("https://**/*", lambda route: route.abort())
    for path in ["/", "/offices/sioux-falls-agency", "/careers", "/careers/licensed-insurance-agent"]:
        pg.goto(live_server.url + path)
        overflow = pg.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 320px"
    context.close()


def test_request_info_with_javascript_shows_errors_then_thanks(live_server, page):
    from frontdesk.db import tables
    from support import db_rows

    page.route("https://**/*", lambda route: route.abort())
    page.goto(live_server.url + "/request-info")
    page.get_by_role("button", name="Send request").click()
    # Errors appear inline beside the fields, without a page load.
    page.wait_for_selector("#name-error:not([hidden])")
    assert "This field is required." in page.locator("#name-error").inner_text()
    assert page.get_by_label("Your name").get_attribute("aria-invalid") == "true"
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Email address").fill("ada@example.com")
    page.get_by_label("What would you like to hear about?").select_option("home")
    page.get_by_label("Your message").fill("A quote for my house, please.")
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Send request").click()
    page.wait_for_selector("p.notice[role=status]")
    assert "We will be in touch" in page.locator("p.notice").inner_text()
    assert re.search(r"Your reference number is FD-[0-9A-Z]{4}-[0-9A-Z]{4}\.", page.locator("p.notice").inner_text())
    # Chromium logs the expected 422 answer as a failed resource; anything else is a real problem.
    assert [p for p in page.problems if "ERR_FAILED" not in p and "status of 422" not in p] == []
    (sub,) = db_rows(live_server.database_url, tables.submissions)
    assert sub.data["name"] == "Ada Lovelace" and not sub.spam


def test_request_info_without_javascript_shows_the_reference_on_the_thanks(live_server, browser):
    context = browser.new_context(java_script_enabled=False)
    pg = context.new_page()
    pg.route("https://**/*", lambda route: route.abort())
    pg.goto(live_server.url + "/request-info")
    pg.get_by_label("Your name").fill("Ada Lovelace")
    pg.get_by_label("Email address").fill("ada@example.com")
    pg.get_by_label("What would you like to hear about?").select_option("home")
    pg.get_by_label("Your message").fill("A quote for my house, please.")
    pg.get_by_role("checkbox").check()
    pg.get_by_role("button", name="Send request").click()
    pg.wait_for_url("**/request-info/thanks?ref=FD-*")
    assert re.search(r"Your reference number is FD-[0-9A-Z]{4}-[0-9A-Z]{4}\.", pg.locator("p.notice").inner_text())
    context.close()


def test_feedback_without_javascript(live_server, browser):
    context = browser.new_context(java_script_enabled=False)
    pg = context.new_page()
    pg.route("https://**/*", lambda route: route.abort())
    pg.goto(live_server.url + "/customer-care")
    pg.get_by_role("button", name="No").click()
    pg.wait_for_url("**/customer-care?feedback=more*")
    pg.get_by_label("Missing information").check()
    pg.get_by_role("button", name="Send feedback").click()
    pg.wait_for_url("**/customer-care?feedback=thanks*")
    assert pg.get_by_text("Thank you for your feedback").is_visible()
    context.close()
