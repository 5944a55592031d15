"""The one audit writer: every action it writes is listed, labelled and filterable in /staff/audit."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

import pytest
from markupsafe import escape

from frontdesk import audit
from frontdesk.cli.privacy import erase
from frontdesk.db import Database
from support import ROOT, run

SRC = ROOT / "src" / "frontdesk"


def _written_actions() -> set[str]:
    """Every action literal passed to `audit.record(..., action=...)` in the package (f-strings: see below)."""
    found: set[str] = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "record"):
                continue
            for keyword in node.keywords:
                if keyword.arg == "action" and isinstance(keyword.value, ast.Constant):
                    found.add(str(keyword.value.value))
    return found


def test_every_action_written_is_listed_with_a_label():
    from frontdesk.records import moderation

    written = _written_actions() | {f"comment.{action}" for action in moderation.ACTIONS}
    assert {"login.ok", "erase", "delivery.replay", "spam.release"} <= written  # the scan finds them
    assert written <= set(audit.ACTIONS), written - set(audit.ACTIONS)
    assert all(label and label[0].isupper() for label in audit.ACTIONS.values())


def test_an_unlisted_action_is_refused(database_url):
    async def go() -> None:
        db = Database(database_url)
        try:
            with pytest.raises(ValueError, match="unknown audit action"):
                async with db.write() as conn:
                    await audit.record(conn, at=dt.datetime.now(dt.UTC), actor="cli", action="made.up")
        finally:
            await db.dispose()

    run(go())


def test_every_action_can_be_filtered_in_the_audit_log(staff_client):
    client = staff_client("admin")
    for action in audit.ACTIONS:
        response = client.get("/staff/audit", params={"action": action})
        assert response.status_code == 200, action


def test_an_erasure_shows_under_its_own_filter(staff_client, settings):
    """`frontdesk erase` wrote the action `erase`, which the filter did not know: a 400 for the audit page."""
    client = staff_client("admin")

    async def go() -> int:
        db = Database(settings.database_url)
        try:
            _, audit_id = await erase(
                db,
                "nobody@example.com",
                now=dt.datetime.now(dt.UTC),
                uploads_dir=Path(settings.uploads_dir),
                secret_key=settings.secret_key,
            )
            return audit_id
        finally:
            await db.dispose()

    run(go())
    page = client.get("/staff/audit", params={"action": "erase"})
    assert page.status_code == 200
    assert str(escape(audit.ACTIONS["erase"])) in page.text and re.search(r"hmac-sha256:[0-9a-f]{32}", page.text)
