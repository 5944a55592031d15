"""Quality bar: no page scrolls sideways on a phone, public or staff, from 320 px (and at 375 px).

Each page is loaded in real Chromium at the width of a small phone; the document may not be wider than the
viewport. Staff tables become stacked rows there (or scroll inside their own box), so staff pages count too.
"""

from __future__ import annotations

import pytest

from support import public_paths, staff_paths

pytestmark = [pytest.mark.browser, pytest.mark.quality]

WIDE = "() => [document.documentElement.scrollWidth, window.innerWidth]"


def _too_wide(site, browser, paths, width, *, staff=False):
    context = browser.new_context(viewport={"width": width, "height": 700})
    page = context.new_page()
    page.route("https://**/*", lambda route: route.abort())
    if staff:
        site.sign_in(page)
    found = []
    for path in paths:
        page.goto(site.url + path)
        scroll, viewport = page.evaluate(WIDE)
        if scroll > viewport:
            found.append(f"{path}: {scroll}px wide at {viewport}px")
    context.close()
    return found


@pytest.mark.parametrize("width", [320, 375])
def test_public_pages_never_scroll_sideways(demo_site, browser, width):
    found = _too_wide(demo_site, browser, public_paths(), width)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("width", [320, 375])
def test_staff_pages_never_scroll_sideways(demo_site, browser, width):
    found = _too_wide(demo_site, browser, staff_paths(demo_site.ids), width, staff=True)
    assert not found, "\n".join(found)
