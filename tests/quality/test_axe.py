"""Quality bar: 0 axe-core violations on every page, public and staff, at 1280 and 375 px.

axe-core (from npm, tests/quality/node_modules) is evaluated in the page through Playwright's own channel,
so the site's strict CSP stays on while it runs; every rule axe runs by default counts (WCAG 2.x A and AA,
and its best practices).
"""

from __future__ import annotations

import pytest

from support import need_quality_tools, public_paths, staff_paths

pytestmark = [pytest.mark.browser, pytest.mark.quality]

RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", ")}`);
}"""


def _violations(site, browser, paths, width, *, staff=False):
    source = (need_quality_tools() / "axe-core" / "axe.min.js").read_text()
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.route("https://**/*", lambda route: route.abort())
    if staff:
        site.sign_in(page)
    found = {}
    for path in paths:
        page.goto(site.url + path)
        page.evaluate(source)
        violations = page.evaluate(RUN)
        if violations:
            found[path] = violations
    context.close()
    return found


@pytest.mark.parametrize("width", [1280, 375])
def test_public_pages_have_no_axe_violations(demo_site, browser, width):
    found = _violations(demo_site, browser, public_paths(), width)
    assert not found, found


@pytest.mark.parametrize("width", [1280, 375])
def test_staff_pages_have_no_axe_violations(demo_site, browser, width):
    found = _violations(demo_site, browser, staff_paths(demo_site.ids), width, staff=True)
    assert not found, found


def test_the_opened_map_and_menu_have_no_axe_violations(demo_site, browser):
    """What JavaScript adds counts too: the phone menu opened, the map frame shown."""
    source = (need_quality_tools() / "axe-core" / "axe.min.js").read_text()
    context = browser.new_context(viewport={"width": 375, "height": 900})
    page = context.new_page()
    page.route(
        "https://**/*",
        lambda route: route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>Map</title>"),
    )
    page.goto(demo_site.url + "/offices/sioux-falls-agency")
    page.get_by_text("Menu").click()
    page.get_by_role("link", name="Show the map").click()
    page.evaluate(source)
    assert page.evaluate(RUN) == []
    context.close()
