"""Migration 0005b: attribution stored in the old shape (one touch, flat utm_* keys) becomes both touches."""

from __future__ import annotations

import concurrent.futures
import json

import sqlalchemy as sa

from frontdesk.db import migrate as migrations


def migrate(url: str, revision: str = "head") -> None:
    """Alembic's migrate in a worker thread: a Playwright test earlier in the run leaves an event loop
    running in the main thread, where migrate's asyncio.run() would refuse to start."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(migrations.migrate, url, revision).result()


def test_old_attribution_becomes_the_first_and_latest_touch(tmp_path):
    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    migrate(url, "0004")
    engine = sa.create_engine(f"sqlite:///{path}")
    old = {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "fall", "referrer": "",
           "landing_page": "/offices?utm_source=newsletter", "first_seen": "2026-11-01T10:00:00+00:00",
           "form_page": "/request-info", "sent_from": "/offices"}  # fmt: skip
    referral = {"referrer": "https://www.bing.com/search?q=x", "landing_page": "/careers", "form_page": "/request-info"}
    with engine.begin() as conn:
        for sid, attribution in (("a", old), ("b", referral), ("c", None)):
            conn.execute(
                sa.text(
                    "INSERT INTO submissions (id, kind, created_at, data, attribution, spam) "
                    "VALUES (:id, 'lead', '2026-11-01 10:00:00', '{}', :a, 0)"
                ),
                {"id": sid, "a": None if attribution is None else json.dumps(attribution)},
            )
    migrate(url)
    with engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(sa.text("SELECT * FROM submissions"))}
    engine.dispose()
    a = json.loads(rows["a"].attribution)
    assert a["first_touch"] == a["last_touch"] and a["first_touch"]["source"] == "newsletter"
    assert a["first_touch"]["at"] == "2026-11-01T10:00:00+00:00" and a["sent_from"] == "/offices"
    assert (rows["a"].first_source, rows["a"].last_campaign, rows["a"].first_landing) == (
        "newsletter",
        "fall",
        "/offices",
    )
    b = json.loads(rows["b"].attribution)["first_touch"]
    assert (b["source"], b["medium"]) == ("bing.com", "referral") and rows["b"].last_source == "bing.com"
    assert rows["c"].attribution is None and rows["c"].first_source == ""
