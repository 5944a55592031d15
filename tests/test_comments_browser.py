"""Comments in real headless Chromium: post, see it awaiting moderation, approve it as staff, see it published."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

ARTICLE = "/insights/measuring-website-help-pages"
CSP_WATCH = (
    "window.__cspViolations = [];"
    "document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(e.violatedDirective));"
)


def _fill(page, name: str, body: str) -> None:
    page.get_by_label("Name").fill(name)
    page.get_by_label("Email").first.fill("reader@example.com")
    page.get_by_label("Comment", exact=True).fill(body)


def test_pending_comment_shows_to_its_author_with_javascript(live_server, page):
    page.add_init_script(CSP_WATCH)
    page.route("https://**/*", lambda route: route.abort())
    page.goto(live_server.url + ARTICLE)
    _fill(page, "Rita Reader", "Great checklist.\nWe will try the survey.")
    page.get_by_role("button", name="Post comment").click()
    page.get_by_text("Your comment is awaiting moderation").wait_for()
    item = page.locator(".reader-comment-pending")
    assert "Great checklist." in item.inner_text() and "Awaiting moderation" in item.inner_text()
    # A later visit: the cached article plus this browser's own pending comment from the private fragment.
    page.reload()
    page.locator(".reader-comment-pending").wait_for()
    assert page.locator(".reader-comment-pending").count() == 1
    assert page.evaluate("() => window.__cspViolations") == []
    assert [p for p in page.problems if "ERR_FAILED" not in p] == []


def test_pending_comment_shows_to_its_author_without_javascript(live_server, browser):
    context = browser.new_context(java_script_enabled=False)
    pg = context.new_page()
    pg.goto(live_server.url + ARTICLE)
    _fill(pg, "Nora Noscript", "Plain HTML works too.")
    pg.get_by_role("button", name="Post comment").click()
    pg.wait_for_url("**/your-comments")
    assert "Awaiting moderation" in pg.locator(".reader-comment-pending").inner_text()
    context.close()
