"""Real headless Chromium: navigation works, and no page logs errors or CSP violations."""

from __future__ import annotations

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
