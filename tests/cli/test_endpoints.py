"""`frontdesk endpoints`: several receivers with their own filters and secrets, rotation, pings, bad input.

Two real receivers on 127.0.0.1 verify every message with the official `standardwebhooks` library, as an
integrator's would, before they count it.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from frontdesk import cli
from frontdesk.db import Database, tables
from frontdesk.records import submissions
from receiver import Receiver
from support import db_rows, run

NOW = dt.datetime.now(dt.UTC)
d = tables.deliveries
e = tables.endpoints


def main(argv: list[str]) -> int:
    """`frontdesk ARGS` in-process (it calls asyncio.run, so in a thread too)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(cli.main, argv).result()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Any:
    for name in ("CRM_WEBHOOK_URL", "CRM_WEBHOOK_SECRET"):
        monkeypatch.delenv(f"FRONTDESK_{name}", raising=False)
    monkeypatch.setenv("FRONTDESK_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("FRONTDESK_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("FRONTDESK_CONTENT_DIR", str(settings.content_dir))
    monkeypatch.setenv("FRONTDESK_WEBHOOK_TIMEOUT", "2")
    return monkeypatch


@pytest.fixture
def second_receiver() -> Any:
    r = Receiver().start()
    try:
        yield r
    finally:
        r.stop()


def accept_each_kind(url: str) -> dict[str, str]:
    """One lead and one application; returns the event type of each delivery by its id."""

    async def go() -> dict[str, str]:
        db = Database(url)
        found: dict[str, str] = {}
        for kind in ("lead", "application"):
            accepted = await submissions.accept(db, kind=kind, data={"name": "Zoë"}, email="z@example.com", now=NOW)
            for delivery_id in accepted.delivery_ids:
                found[delivery_id] = submissions.EVENT_TYPES[kind]
        await db.dispose()
        return found

    return run(go())


def test_two_receivers_get_exactly_their_events_across_a_rotation(env, settings, receiver, second_receiver, capsys):
    crm, ats = receiver, second_receiver
    assert main(["endpoints", "add", "crm", crm.url, "--events", "lead.created", "--secret", crm.secret]) == 0
    assert main(["endpoints", "add", "ats", ats.url, "--events", "application.created", "--secret", ats.secret]) == 0
    assert "added ats: application.created" in capsys.readouterr().out
    first = accept_each_kind(settings.database_url)
    assert len(first) == 2  # one delivery per matching endpoint, and none for the endpoint that does not match
    assert main(["worker", "--once"]) == 0
    assert [m.body["type"] for ms in crm.messages.values() for m in ms] == ["lead.created"]
    assert [m.body["type"] for ms in ats.messages.values() for m in ms] == ["application.created"]

    # Rotate the ATS endpoint: during the overlap every message carries a signature per live secret.
    assert main(["endpoints", "rotate", "ats", "--overlap", "2h"]) == 0
    out = capsys.readouterr().out
    new_secret = out.split("shown once, give it to the receiver): ")[1].strip()
    assert new_secret.startswith("whsec_") and "the old ones sign too until" in out
    second = accept_each_kind(settings.database_url)
    assert main(["worker", "--once"]) == 0
    ats_messages = [m for ms in ats.messages.values() for m in ms]
    assert len(ats_messages) == 2 and ats.rejected == 0  # the receiver still on the old secret verifies
    latest = next(m for m in ats_messages if m.id in second)
    assert len(latest.headers["webhook-signature"].split(" ")) == 2
    # A receiver that already switched to the new secret verifies the same message too.
    assert Webhook(new_secret).verify(latest.raw, latest.headers)["type"] == "application.created"
    assert Webhook(ats.secret).verify(latest.raw, latest.headers)["type"] == "application.created"
    assert len([m for ms in crm.messages.values() for m in ms]) == 2 and crm.rejected == 0


def test_rotation_with_no_overlap_drops_the_old_secret(env, settings, receiver, capsys):
    assert main(["endpoints", "add", "crm", receiver.url, "--secret", receiver.secret]) == 0
    new = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"
    assert main(["endpoints", "rotate", "crm", "--secret", new, "--overlap", "0"]) == 0
    capsys.readouterr()
    accept_each_kind(settings.database_url)
    assert main(["worker", "--once"]) == 0
    assert receiver.rejected >= 2 and not receiver.messages  # signed with the new secret only


def test_without_a_secret_one_is_generated_and_printed_once(env, settings, capsys):
    assert main(["endpoints", "add", "relay", "https://relay.example/hook?token=abc"]) == 0
    out = capsys.readouterr().out
    secret = out.split("shown once, give it to the receiver): ")[1].strip()
    assert secret.startswith("whsec_") and len(secret) > 30
    assert main(["endpoints", "list"]) == 0
    listing = capsys.readouterr().out
    assert "relay: active" in listing and "1 live" in listing and secret not in listing
    (row,) = db_rows(settings.database_url, e)
    assert row.events == "*" and row.secrets[0]["secret"] == secret


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["add", "x", "ftp://example.com/hook"], "url: the URL must start with http:// or https://"),
        (["add", "x", "https://"], "url: the URL must start with http:// or https://"),
        (["add", "x", "https://exa mple.com/"], "url: the URL must be plain ASCII"),
        (["add", "x", "https://example.com:99999/"], "url: the URL is not valid"),
        (["add", "x", "https://example.com/", "--secret", "whsec_c2hvcnQ="], "secret: a secret is whsec_"),
        (["add", "x", "https://example.com/", "--secret", "sk_live_abc"], "secret: a secret is whsec_"),
        (["add", "x", "https://example.com/", "--events", "lead.deleted"], "events: unknown event type 'lead.deleted'"),
        (["add", "x", "https://example.com/", "--events", ","], "events: name at least one event type"),
        (["add", "x", "https://example.com/", "--rate-limit", "1e9"], "rate_limit: the rate limit is between"),
        (["add", "Bad Name!", "https://example.com/"], "name: a name is 1-64 of a-z"),
        (["rotate", "x", "--overlap", "31d"], "overlap: the overlap is at most 30 days"),
        (["rotate", "x", "--overlap", "²h"], "overlap: the overlap is a whole number"),
        (["rotate", "nobody"], "no endpoint named 'nobody'"),
        (["pause", "nobody"], "no endpoint named 'nobody'"),
    ],
)
def test_bad_input_is_one_line_and_saves_nothing(env, settings, capsys, argv, message):
    assert main(["endpoints", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert db_rows(settings.database_url, e) == []


def test_pause_resume_remove_keep_the_history(env, settings, receiver, capsys):
    assert main(["endpoints", "add", "crm", receiver.url, "--secret", receiver.secret]) == 0
    assert main(["endpoints", "pause", "crm"]) == 0
    assert main(["endpoints", "pause", "crm"]) == 2
    assert "crm is paused already" in capsys.readouterr().err
    ids = accept_each_kind(settings.database_url)
    assert main(["worker", "--once"]) == 0 and not receiver.messages  # paused: its deliveries wait
    assert main(["endpoints", "resume", "crm"]) == 0
    assert main(["worker", "--once"]) == 0 and set(receiver.messages) == set(ids)
    later = accept_each_kind(settings.database_url)
    assert main(["endpoints", "remove", "crm"]) == 0
    assert "its delivery history is kept (2 pending cancelled)" in capsys.readouterr().out
    states = dict((r.id, r.state) for r in db_rows(settings.database_url, d, d.c.id.in_([*ids, *later])))
    assert {states[i] for i in ids} == {"delivered"} and {states[i] for i in later} == {"cancelled"}
    assert db_rows(settings.database_url, e) == []
    assert db_rows(settings.database_url, tables.delivery_attempts)  # the attempt log is kept


def test_a_disabled_endpoint_gets_no_new_deliveries_until_resumed(env, settings, receiver, capsys):
    assert main(["endpoints", "add", "crm", receiver.url, "--secret", receiver.secret]) == 0
    before = accept_each_kind(settings.database_url)
    assert main(["endpoints", "disable", "crm"]) == 0 and "disabled crm" in capsys.readouterr().out
    assert main(["endpoints", "list"]) == 0 and "crm: disabled (disabled by hand)" in capsys.readouterr().out
    during = accept_each_kind(settings.database_url)
    assert main(["worker", "--once"]) == 0 and not receiver.messages  # neither old nor new go out
    rows = {r.id: r for r in db_rows(settings.database_url, d)}
    assert {rows[i].endpoint_id for i in during} == {None}  # made for no endpoint: kept, unrouted
    assert {rows[i].state for i in [*before, *during]} == {"pending"}
    assert main(["endpoints", "resume", "crm"]) == 0
    assert main(["worker", "--once"]) == 0 and set(receiver.messages) == set(before)
    actions = [r.action for r in db_rows(settings.database_url, tables.audit)]
    assert "endpoint.disable" in actions and "endpoint.resume" in actions


def test_the_mail_endpoint_is_listed_as_email_from_the_smtp_setting(env, settings, relay, capsys):
    env.setenv("FRONTDESK_SMTP_URL", relay.url)
    env.setenv("FRONTDESK_MAIL_FROM", "Frontdesk <frontdesk@agency.example>")
    assert main(["worker", "--once"]) == 0  # the worker makes the `mail` endpoint
    capsys.readouterr()
    assert main(["endpoints", "list"]) == 0
    out = capsys.readouterr().out
    assert "mail [email, from FRONTDESK_SMTP_URL]: active" in out
    assert "FRONTDESK_CRM_WEBHOOK_URL" not in out and "secrets" not in out


def test_ping_shows_the_answer_at_once(env, settings, receiver, capsys):
    assert main(["endpoints", "add", "crm", receiver.url, "--secret", receiver.secret]) == 0
    assert main(["endpoints", "test", "crm"]) == 0
    out = capsys.readouterr().out
    assert "ping crm: status 204" in out and " ms" in out
    (ping,) = [m for ms in receiver.messages.values() for m in ms]
    assert ping.body["type"] == "ping" and ping.id.startswith("msg_ping_")
    receiver.mode = "fail"
    assert main(["endpoints", "test", "crm"]) == 2
    assert "status 500" in capsys.readouterr().err
    receiver.stop()
    assert main(["endpoints", "test", "crm"]) == 2
    assert "ping crm: status -" in capsys.readouterr().err
    actions = [r.action for r in db_rows(settings.database_url, tables.audit)]
    assert actions.count("endpoint.test") == 3
    assert db_rows(settings.database_url, d) == []  # a ping is not a delivery


def test_env_endpoint_is_the_first_and_adopts_what_waited(env, settings, receiver, capsys):
    waiting = accept_each_kind(settings.database_url)  # before any endpoint: unrouted, kept pending
    rows = db_rows(settings.database_url, d)
    assert {r.endpoint_id for r in rows} == {None} and {r.state for r in rows} == {"pending"}
    env.setenv("FRONTDESK_CRM_WEBHOOK_URL", receiver.url)
    env.setenv("FRONTDESK_CRM_WEBHOOK_SECRET", receiver.secret)
    assert main(["worker", "--once"]) == 0
    assert set(receiver.messages) == set(waiting)
    assert main(["endpoints", "list"]) == 0
    assert "crm [from FRONTDESK_CRM_WEBHOOK_URL]: active" in capsys.readouterr().out
    assert main(["endpoints", "rotate", "crm"]) == 2
    assert "change it there" in capsys.readouterr().err
    assert main(["endpoints", "remove", "crm"]) == 2
    # A new secret in the environment is a rotation with the default overlap: both sign for 24 h.
    receiver_secret = receiver.secret
    new = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"
    env.setenv("FRONTDESK_CRM_WEBHOOK_SECRET", new)
    more = accept_each_kind(settings.database_url)
    assert main(["worker", "--once"]) == 0
    assert set(more) <= set(receiver.messages) and receiver.secret == receiver_secret
    (row,) = db_rows(settings.database_url, e)
    assert [s["secret"] for s in row.secrets] == [new, receiver_secret]
    assert row.secrets[1]["expires_at"] is not None


def test_a_disabled_endpoint_takes_no_deliveries(env, settings, receiver):
    assert main(["endpoints", "add", "crm", receiver.url]) == 0

    async def disable() -> None:
        db = Database(settings.database_url)
        async with db.write() as conn:
            await conn.execute(e.update().values(state="disabled"))
        await db.dispose()

    run(disable())
    accept_each_kind(settings.database_url)
    assert {r.endpoint_id for r in db_rows(settings.database_url, d)} == {None}  # unrouted, waiting


def test_a_pause_from_before_endpoints_moves_onto_the_crm_endpoint(env, settings, receiver, capsys):
    async def legacy_pause() -> None:
        db = Database(settings.database_url)
        async with db.write() as conn:
            await conn.execute(
                tables.endpoint_pauses.insert().values(endpoint=receiver.url, paused_at=NOW, reason="HTTP 410 Gone")
            )
        await db.dispose()

    run(legacy_pause())
    waiting = accept_each_kind(settings.database_url)
    env.setenv("FRONTDESK_CRM_WEBHOOK_URL", receiver.url)
    env.setenv("FRONTDESK_CRM_WEBHOOK_SECRET", receiver.secret)
    assert main(["worker", "--once"]) == 0 and not receiver.messages  # still paused, as before the upgrade
    assert db_rows(settings.database_url, tables.endpoint_pauses) == []
    assert main(["endpoints", "list"]) == 0
    assert "crm [from FRONTDESK_CRM_WEBHOOK_URL]: paused (HTTP 410 Gone)" in capsys.readouterr().out
    assert main(["deliveries", "resume"]) == 0  # the old command, by URL
    assert main(["worker", "--once"]) == 0 and set(receiver.messages) == set(waiting)
