"""Spam: honeypot, time trap and Turnstile (against a fake siteverify on 127.0.0.1); quarantine and release."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from frontdesk.app import create_app
from frontdesk.db import tables
from frontdesk.records import submissions
from support import PDF, FakeSiteverify, db_rows, post_lead, run_async, token, write
from support import TURNSTILE_SECRET as SECRET
from support import TURNSTILE_SITEKEY as SITEKEY

JOB = "licensed-insurance-agent"


def application(client, **overrides):
    data = {
        "_t": token(client, f"/careers/{JOB}/apply"),
        "name": "Grace Hopper",
        "email": "grace@example.com",
        "phone": "605 555 0123",
        "consent": "yes",
        "fax": "",
    }
    data.update(overrides)
    return client.post(f"/careers/{JOB}/apply", data=data, files={"resume": ("cv.pdf", PDF, "application/pdf")})


def vote(client, **overrides):
    data = {"_t": token(client, "/customer-care"), "page": "/customer-care", "helpful": "yes", "fax": ""}
    data.update(overrides)
    return client.post("/feedback", data=data)


@pytest.fixture
def siteverify() -> Iterator[FakeSiteverify]:
    with FakeSiteverify() as fake:
        yield fake


@pytest.fixture
def turnstile_client(make_settings, clock, siteverify) -> Iterator[TestClient]:
    settings = make_settings(turnstile_sitekey=SITEKEY, turnstile_secret=SECRET, turnstile_verify_url=siteverify.url)
    with TestClient(create_app(settings, clock=clock), follow_redirects=False) as c:
        yield c


def rows(client, table):
    return db_rows(client.app.state.services.settings.database_url, table)


def test_honeypot_is_hidden_from_people_and_assistive_technology(client):
    for path in ("/request-info", f"/careers/{JOB}/apply", "/customer-care"):
        html = client.get(path).text
        hp = re.search(r'<div class="hp" aria-hidden="true">(.*?)</div>', html, re.S)
        assert hp, path
        assert 'tabindex="-1"' in hp.group(1) and 'autocomplete="off"' in hp.group(1) and 'name="fax"' in hp.group(1)
    css = client.get(re.search(r'href="(/static/css/site[^"]*\.css)"', client.get("/").text).group(1)).text
    assert re.search(r"\.hp\s*\{[^}]*left:\s*-10000px", css)


@pytest.mark.parametrize("send", [post_lead, application, vote])
def test_honeypot_and_time_trap_hits_look_fine_but_are_held(client, send):
    good = send(client)
    caught = send(client, fax="http://spam.example")
    assert caught.status_code == good.status_code == 303
    assert caught.headers["location"].split("?")[0] == good.headers["location"].split("?")[0]
    forged = send(client, _t="123.forged")
    assert forged.status_code == 303
    subs = {s.id: s for s in rows(client, tables.submissions)}
    states = {d.submission_id: d.state for d in rows(client, tables.deliveries)}
    reasons = sorted((s.spam_reason or "") for s in subs.values())
    assert reasons == ["", "honeypot", "time-trap: missing or invalid token"]
    for sid, sub in subs.items():
        assert states[sid] == ("held" if sub.spam else "pending")


def test_time_trap_bounds(make_settings, clock):
    settings = make_settings(form_min_seconds=3, form_max_age_seconds=86400)
    with TestClient(create_app(settings, clock=clock), follow_redirects=False) as c:
        t = token(c)
        clock.advance(seconds=2)
        post_lead(c, _t=t)
        clock.advance(seconds=2)
        post_lead(c, _t=t)
        clock.advance(hours=24)
        post_lead(c, _t=t)
    reasons = [s.spam_reason for s in sorted(rows(c, tables.submissions), key=lambda s: s.created_at)]
    assert reasons[0].startswith("time-trap: sent") and reasons[1] is None and reasons[2] == "time-trap: form too old"


def test_marking_not_spam_releases_the_delivery(client):
    post_lead(client, fax="oops, autofill")
    (sub,) = rows(client, tables.submissions)
    assert sub.spam
    db = client.app.state.services.db
    assert client.portal.call(
        lambda: write(db, submissions.release_spam, sub.id, now=client.app.state.services.clock())
    )
    (sub,) = rows(client, tables.submissions)
    (delivery,) = rows(client, tables.deliveries)
    assert not sub.spam and sub.spam_reason is None
    assert delivery.state == "pending"  # the outbox worker sends it on its next pass
    assert delivery.payload["data"]["name"] == "Ada Lovelace"  # the body was frozen at acceptance, intact


def test_turnstile_widget_only_when_configured(client, turnstile_client):
    plain = client.get("/request-info")
    assert "challenges.cloudflare.com" not in plain.text
    assert "challenges.cloudflare.com" not in plain.headers["content-security-policy"]
    for path in ("/request-info", f"/careers/{JOB}/apply"):
        r = turnstile_client.get(path)
        assert f'data-sitekey="{SITEKEY}"' in r.text
        assert '<script src="https://challenges.cloudflare.com/turnstile/v0/api.js" async defer></script>' in r.text
        assert "script-src 'self' https://challenges.cloudflare.com" in r.headers["content-security-policy"]
    assert "cf-turnstile" not in turnstile_client.get("/customer-care").text  # votes do not load a third party


def test_turnstile_good_token_passes(turnstile_client, siteverify):
    assert post_lead(turnstile_client, **{"cf-turnstile-response": "good-token"}).status_code == 303
    assert application(turnstile_client, **{"cf-turnstile-response": "good-2"}).status_code == 303
    assert [s.spam for s in rows(turnstile_client, tables.submissions)] == [False, False]
    call = siteverify.calls[0]
    assert call["secret"] == [SECRET] and call["response"] == ["good-token"]
    assert "remoteip" not in call  # the test client's peer ("testclient") is not an IP address to pass on
    assert call["idempotency_key"][0]


@pytest.mark.parametrize(
    ("token_value", "reason"),
    [
        ("bad-token", "turnstile: invalid-input-response"),
        (None, "turnstile: no token"),
        ("x" * 3000, "turnstile: malformed token"),
    ],
)
def test_turnstile_failures_are_held_as_spam(turnstile_client, token_value, reason):
    fields = {"cf-turnstile-response": token_value}
    r = post_lead(turnstile_client, **fields)
    assert r.status_code == 303 and r.headers["location"].startswith("/request-info/thanks?ref=FD-")
    (sub,) = rows(turnstile_client, tables.submissions)
    assert sub.spam and sub.spam_reason == reason
    assert rows(turnstile_client, tables.deliveries)[0].state == "held"


def test_honeypot_hits_never_reach_siteverify(turnstile_client, siteverify):
    post_lead(turnstile_client, fax="bot", **{"cf-turnstile-response": "good"})
    vote(turnstile_client)
    assert siteverify.calls == []
    assert sorted(bool(s.spam) for s in rows(turnstile_client, tables.submissions)) == [False, True]


def test_siteverify_outage_fails_open(turnstile_client, siteverify):
    siteverify.status = 500
    post_lead(turnstile_client, **{"cf-turnstile-response": "whatever"})
    siteverify.__exit__()
    post_lead(turnstile_client, **{"cf-turnstile-response": "whatever"})  # connection refused now
    assert [s.spam for s in rows(turnstile_client, tables.submissions)] == [False, False]


def test_release_unknown_or_clean_submission_is_refused(client):
    post_lead(client)
    (sub,) = rows(client, tables.submissions)
    db = client.app.state.services.db
    now = client.app.state.services.clock()
    assert not run_async(lambda: _release(db.url, sub.id, now))
    assert not run_async(lambda: _release(db.url, "no-such-id", now))


async def _release(url, submission_id, now):
    from frontdesk.db import Database

    db = Database(url)
    try:
        return await write(db, submissions.release_spam, submission_id, now=now)
    finally:
        await db.dispose()


def test_no_personal_data_reaches_the_logs(client, caplog):
    import logging

    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="frontdesk")
    post_lead(client, email="secret.person@example.com", message="My private medical question")
    post_lead(client, email="secret.person@example.com", fax="bot")
    application(client, email="secret.person@example.com")
    client.post(
        "/request-info", data={"email": "secret.person@example.com"}, headers={"Origin": "https://evil.example"}
    )
    client.post("/request-info", content=b"email=secret.person%40example.com&" + b"x" * 70_000)
    client.post("/staff/login", data={"email": "secret.person@example.com", "password": "hunter2"})
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "accepted submission=" in logged  # the views do log, by id
    for secret in ("secret.person", "example.com", "medical", "hunter2", "Ada", "Grace"):
        assert secret not in logged, secret


def test_debug_logging_keeps_driver_parameter_dumps_off(monkeypatch):
    import logging

    from frontdesk import logs
    from frontdesk.settings import Settings

    monkeypatch.setattr(logging.getLogger(), "handlers", [])  # let basicConfig run; restored afterwards
    root_level = logging.getLogger().level
    names = ("aiosqlite", "asyncpg", "python_multipart", "sqlalchemy.engine", "sqlalchemy.pool", "alembic")
    levels = {name: logging.getLogger(name).level for name in names}
    try:
        logs.configure_logging(Settings(log_level="debug"))
        assert not logging.getLogger("aiosqlite").isEnabledFor(logging.DEBUG)
        assert not logging.getLogger("sqlalchemy.engine").isEnabledFor(logging.INFO)  # no SQL echo either
        assert logging.getLogger("frontdesk").isEnabledFor(logging.DEBUG)
    finally:
        logging.getLogger().setLevel(root_level)
        for name, level in levels.items():  # as they were: frontdesk.db keeps the drivers' at WARNING
            logging.getLogger(name).setLevel(level)
