"""`frontdesk deliveries` / `frontdesk worker` and the access rules and numbers of `/metrics`."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
from typing import Any

import httpx2
import pytest
import sqlalchemy as sa

from frontdesk import cli
from frontdesk.db import Database, tables
from frontdesk.records import deliveries, submissions
from support import run, write

NOW = dt.datetime.now(dt.UTC)


def main(argv: list[str]) -> int:
    """`frontdesk ARGS` in-process (it calls asyncio.run, so in a thread too)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(cli.main, argv).result()


async def seed(url: str) -> dict[str, str]:
    """One delivered, one failed, one retrying and one fresh pending delivery."""
    db = Database(url)
    d = tables.deliveries
    try:
        ids = {}
        for name in ("delivered", "failed", "retrying", "pending"):
            ids[name] = (await submissions.accept(db, kind="lead", data={"name": "Ada"}, now=NOW)).delivery_id
        async with db.write() as conn:
            await conn.execute(d.update().where(d.c.id == ids["delivered"]).values(state="delivered", attempts=1))
            await conn.execute(
                d.update()
                .where(d.c.id == ids["failed"])
                .values(state="failed", attempts=11, last_status=500, last_error="HTTP 500 Internal Server Error")
            )
            await conn.execute(d.update().where(d.c.id == ids["retrying"]).values(attempts=2))
            await conn.execute(
                tables.delivery_attempts.insert(),
                [
                    {
                        "delivery_id": ids["delivered"],
                        "at": NOW,
                        "status": 204,
                        "latency_ms": 40,
                        "outcome": "delivered",
                    },
                    {"delivery_id": ids["retrying"], "at": NOW, "status": 500, "latency_ms": 700, "outcome": "retry"},
                    {
                        "delivery_id": ids["retrying"],
                        "at": NOW,
                        "status": None,
                        "latency_ms": 15000,
                        "outcome": "retry",
                    },
                ],
            )
        return ids
    finally:
        await db.dispose()


async def fetch(url: str, query: Any) -> Any:
    db = Database(url)
    try:
        async with db.read() as conn:
            return (await conn.execute(query)).all()
    finally:
        await db.dispose()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Any:
    for name in ("CRM_WEBHOOK_URL", "CRM_WEBHOOK_SECRET", "METRICS_TOKEN"):
        monkeypatch.delenv(f"FRONTDESK_{name}", raising=False)
    monkeypatch.setenv("FRONTDESK_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("FRONTDESK_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("FRONTDESK_CONTENT_DIR", str(settings.content_dir))
    return monkeypatch


def test_deliveries_summary(env, settings, capsys):
    ids = run(seed(settings.database_url))
    assert main(["deliveries"]) == 0
    out = capsys.readouterr().out
    assert "pending           2  (1 retrying)" in out
    assert "delivered         1" in out and "failed            1" in out
    assert ids["failed"] in out and "HTTP 500 Internal Server Error" in out
    assert "warning: no webhook endpoint is configured" in out
    assert "Ada" not in out  # ids and errors only, never a person's data


def test_replay_one_and_since(env, settings, capsys):
    ids = run(seed(settings.database_url))
    assert main(["deliveries", "replay", ids["failed"]]) == 0
    assert "requeued 1 delivery" in capsys.readouterr().out
    d = tables.deliveries
    [(state, attempts)] = run(
        fetch(settings.database_url, sa.select(d.c.state, d.c.attempts).where(d.c.id == ids["failed"]))
    )
    assert (state, attempts) == ("pending", 0)

    assert main(["deliveries", "replay", ids["pending"]]) == 2
    assert "it is pending" in capsys.readouterr().err
    assert main(["deliveries", "replay", "msg_nope"]) == 2
    assert "no such delivery" in capsys.readouterr().err
    assert main(["deliveries", "replay"]) == 2
    capsys.readouterr()

    run(seed(settings.database_url))  # four more, one of them failed
    future = (NOW + dt.timedelta(days=1)).date().isoformat()
    assert main(["deliveries", "replay", "--failed-since", future]) == 0
    assert "requeued 0 deliveries" in capsys.readouterr().out
    assert main(["deliveries", "replay", "--failed-since", (NOW - dt.timedelta(days=1)).date().isoformat()]) == 0
    assert "requeued 1 delivery" in capsys.readouterr().out
    audit = run(fetch(settings.database_url, sa.select(tables.audit.c.actor, tables.audit.c.action)))
    assert audit == [("cli", "delivery.replay"), ("cli", "delivery.replay_failed"), ("cli", "delivery.replay_failed")]


def test_bad_date_is_a_usage_error(env, capsys):
    with pytest.raises(SystemExit) as info:
        main(["deliveries", "replay", "--failed-since", "last tuesday"])
    assert info.value.code == 2 and "is not a date" in capsys.readouterr().err


def test_resume_a_paused_endpoint(env, settings, capsys):
    env.setenv("FRONTDESK_CRM_WEBHOOK_URL", "http://127.0.0.1:9/crm")
    assert main(["endpoints", "add", "crm2", "http://127.0.0.1:9/crm"]) == 0

    async def pause() -> None:
        db = Database(settings.database_url)
        await write(db, deliveries.pause_endpoint, "http://127.0.0.1:9/crm", reason="HTTP 410 Gone", now=NOW)
        await db.dispose()

    run(pause())
    assert main(["deliveries"]) == 0
    assert "paused: http://127.0.0.1:9/crm (crm2)" in capsys.readouterr().out
    assert main(["deliveries", "resume"]) == 0
    assert main(["deliveries", "resume"]) == 2
    assert "is not paused" in capsys.readouterr().err


def test_worker_once_delivers_and_worker_needs_a_crm(env, settings, receiver, capsys):
    ids = run(seed(settings.database_url))
    assert main(["worker", "--once"]) == 2
    err = capsys.readouterr().err
    assert "FRONTDESK_CRM_WEBHOOK_URL" in err and "endpoints add" in err
    env.setenv("FRONTDESK_CRM_WEBHOOK_URL", receiver.url)
    env.setenv("FRONTDESK_CRM_WEBHOOK_SECRET", receiver.secret)
    assert main(["worker", "--once"]) == 0
    assert "attempted 2 deliveries" in capsys.readouterr().out
    assert set(receiver.messages) == {ids["pending"], ids["retrying"]}


# -- /metrics --------------------------------------------------------------------------------------


def test_metrics_hidden_from_remote_clients_without_a_token(client):
    # TestClient's peer is "testclient", not a loopback address.
    assert client.get("/metrics").status_code == 404


def test_metrics_with_a_bearer_token(make_settings, clock):
    from starlette.testclient import TestClient

    from frontdesk.app import create_app

    settings = make_settings(metrics_token="s3cret-token-for-prometheus")
    run(seed(settings.database_url))
    with TestClient(create_app(settings, clock=lambda: NOW + dt.timedelta(minutes=5))) as c:
        assert c.get("/metrics").status_code == 403
        assert c.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
        assert c.get("/metrics", headers={"Authorization": "Basic s3cret-token-for-prometheus"}).status_code == 403
        r = c.get("/metrics", headers={"Authorization": "Bearer s3cret-token-for-prometheus"})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    text = r.text
    assert 'frontdesk_deliveries{state="pending"} 1.0' in text
    assert 'frontdesk_deliveries{state="retrying"} 1.0' in text
    assert 'frontdesk_deliveries{state="failed"} 1.0' in text
    assert 'frontdesk_delivery_attempts_total{outcome="retry"} 2.0' in text
    assert 'frontdesk_delivery_latency_seconds_bucket{le="0.05"} 1.0' in text
    assert 'frontdesk_delivery_latency_seconds_bucket{le="1.0"} 2.0' in text
    assert 'frontdesk_delivery_latency_seconds_bucket{le="+Inf"} 3.0' in text
    assert "frontdesk_delivery_latency_seconds_sum 15.74" in text
    age = next(line for line in text.splitlines() if line.startswith("frontdesk_delivery_oldest_pending_age_seconds "))
    assert 299 <= float(age.split()[1]) <= 301


def test_metrics_served_to_loopback_but_not_through_a_proxy(live_server):
    r = httpx2.get(f"{live_server.url}/metrics", trust_env=False)
    assert r.status_code == 200 and "frontdesk_deliveries" in r.text
    proxied = httpx2.get(f"{live_server.url}/metrics", headers={"X-Forwarded-For": "203.0.113.9"}, trust_env=False)
    assert proxied.status_code == 404
