"""Real Chromium: sign in, open feedback, see the numbers and the chart, with no CSP violations."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from frontdesk.db import Database
from frontdesk.records import votes as feedback
from frontdesk.staff import accounts
from support import STAFF_PASSWORD, run_async, write

pytestmark = pytest.mark.browser

CSP_WATCH = (
    "window.__cspViolations = [];"
    "document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(e.violatedDirective));"
)


def seed(database_url: str, password_hash: str, now: dt.datetime) -> None:
    async def go() -> None:
        db = Database(database_url)
        try:
            await write(db, accounts.create, "ada@staff.example", "viewer", password_hash, now=now)
            for i in range(12):
                async with db.write() as conn:
                    await feedback.record_vote(
                        conn,
                        page="/offices",
                        visitor=f"v{i}",
                        helpful=i % 4 != 0,
                        reason=None if i % 4 else "missing",
                        comment="Add parking details" if i == 0 else None,
                        now=now - dt.timedelta(days=i % 5, hours=1),
                    )
        finally:
            await db.dispose()

    run_async(go)  # Playwright keeps an event loop running in this thread


def test_sign_in_open_feedback_and_see_chart_and_numbers(live_server, page, clock, staff_password_hash):
    seed(live_server.database_url, staff_password_hash, clock())
    page.add_init_script(CSP_WATCH)
    page.goto(live_server.url + "/staff/feedback")
    page.wait_for_url(re.compile(r"/staff/login\?next="))
    page.get_by_label("Email").fill("ada@staff.example")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/staff/feedback")
    assert page.get_by_role("heading", level=1).inner_text() == "Feedback"
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="/offices"))
    cells = row.get_by_role("cell").all_inner_texts()
    assert cells[:4] == ["9", "3", "12", "75.0%"]

    page.get_by_role("link", name="/offices").click()
    page.wait_for_url(re.compile(r"/staff/feedback/page\?"))
    chart = page.get_by_role("img", name="Daily yes and no votes for /offices")
    assert chart.is_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 80
    assert page.locator("svg.chart rect.chart-yes").count() == 5
    numbers = page.locator("#page-numbers")
    assert "75.0%" in numbers.inner_text() and "12" in numbers.inner_text()
    assert page.get_by_role("table", name="Votes per day").is_visible()
    assert page.get_by_text("Add parking details").is_visible()
    # The bars take their colours from the stylesheet: the CSP allows no style attributes.
    fill = page.locator("svg.chart rect.chart-yes").first.evaluate("e => getComputedStyle(e).fill")
    assert fill == "rgb(30, 107, 58)"
    assert page.evaluate("() => window.__cspViolations") == []
    assert page.problems == []

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/staff/login\?signed_out=1"))
    page.goto(live_server.url + "/staff/feedback")
    page.wait_for_url(re.compile(r"/staff/login\?next="))
