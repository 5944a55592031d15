"""Comments in real headless Chromium: post, see it awaiting moderation, approve it as staff, see it published."""

from __future__ import annotations

import re

import pytest

from frontdesk.db import Database
from frontdesk.staff import accounts
from support import STAFF_PASSWORD, run_async, write

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


def test_post_a_comment_approve_it_as_staff_and_see_it_on_the_article(live_server, browser, clock, staff_password_hash):
    async def add_admin() -> None:
        db = Database(live_server.database_url)
        try:
            await write(db, accounts.create, "mod@staff.example", "admin", staff_password_hash, now=clock())
        finally:
            await db.dispose()

    run_async(add_admin)
    reader = browser.new_context()
    page = reader.new_page()
    page.route("https://**/*", lambda route: route.abort())
    page.goto(live_server.url + ARTICLE)
    assert page.get_by_text("No comments yet, be the first").is_visible()
    _fill(page, "Paula Prospect", "Could you write about <b>benefits</b> surveys next?\nThanks!")
    page.get_by_role("button", name="Post comment").click()
    page.get_by_text("Your comment is awaiting moderation").wait_for()

    staff = browser.new_context()
    moderator = staff.new_page()
    moderator.add_init_script(CSP_WATCH)
    moderator.goto(live_server.url + "/staff/comments")
    moderator.wait_for_url(re.compile(r"/staff/login\?next="))
    moderator.get_by_label("Email").fill("mod@staff.example")
    moderator.get_by_label("Password").fill(STAFF_PASSWORD)
    moderator.get_by_role("button", name="Sign in").click()
    moderator.wait_for_url("**/staff/comments")
    item = moderator.locator(".moderation-item").filter(has_text="Paula Prospect")
    assert "reader@example.com" in item.inner_text()
    item.get_by_role("button", name="Approve").click()
    moderator.get_by_text("Approved: the comment is on the article.").wait_for()
    assert moderator.evaluate("() => window.__cspViolations") == []
    staff.close()

    # Any reader now sees it, as text, on the article.
    other = browser.new_context()
    visitor = other.new_page()
    visitor.route("https://**/*", lambda route: route.abort())
    visitor.goto(live_server.url + ARTICLE)
    published = visitor.locator(".reader-comment").filter(has_text="Paula Prospect")
    assert "Could you write about <b>benefits</b> surveys next?" in published.inner_text()
    assert published.locator("b").count() == 0
    assert visitor.get_by_role("link", name="1 comment, read it below or add one").is_visible()
    other.close()
    # And its author no longer sees it as awaiting moderation.
    page.reload()
    page.locator(".reader-comment").first.wait_for()
    assert page.locator(".reader-comment-pending").count() == 0
    reader.close()
