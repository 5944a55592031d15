"""Insights in real headless Chromium: navigation, previous/next, no CSP violations, no sideways scroll."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

CSP_WATCH = (
    "window.__cspViolations = [];"
    "document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(e.violatedDirective));"
)


def test_listing_to_article_and_back_through_time(live_server, page):
    page.add_init_script(CSP_WATCH)
    page.route("https://**/*", lambda route: route.abort())
    page.goto(live_server.url + "/insights")
    assert page.get_by_role("heading", level=1).inner_text() == "Insights"
    page.get_by_role("link", name="Are your help pages working? How to find out").click()
    page.wait_for_url("**/insights/measuring-website-help-pages")
    assert page.get_by_role("link", name="Request info", exact=True).last.is_visible()
    page.get_by_role("link", name="Previous article").click()
    page.wait_for_url("**/insights/local-search-and-office-listings")
    page.get_by_role("link", name="Next article").click()
    page.wait_for_url("**/insights/measuring-website-help-pages")
    page.get_by_role("link", name="Communication").first.click()
    page.wait_for_url("**/insights/category/communication")
    assert page.get_by_role("heading", level=1).inner_text() == "Communication"
    assert page.evaluate("() => window.__cspViolations") == []
    assert [p for p in page.problems if "ERR_FAILED" not in p] == []


def test_insights_pages_fit_a_narrow_screen(live_server, browser):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    pg = context.new_page()
    pg.route("https://**/*", lambda route: route.abort())
    for path in ["/insights", "/insights/patient-privacy-on-social-media", "/insights/category/healthcare"]:
        pg.goto(live_server.url + path)
        overflow = pg.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 320px"
    context.close()
