"""Email against a real SMTP relay (aiosmtpd on 127.0.0.1): who gets what, once; retries; dead letters; headers.

Every test runs on SQLite and PostgreSQL. The forms are posted through the app as a browser would; the
worker is driven with `Outbox.drain_once`, and a retry schedule of zeros, so a whole schedule of attempts
takes milliseconds.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from frontdesk.app import create_app
from frontdesk.content import ContentError, load_content
from frontdesk.db import Database, tables
from frontdesk.delivery import mail as smtp
from frontdesk.delivery.outbox import Outbox
from frontdesk.records import deliveries, mail
from frontdesk.settings import Settings
from receiver import free_port
from relay import Relay, tls_certificate
from support import DEMO_CONTENT, make_pdf, post_lead, run, token

FROM = "Prairie Point <frontdesk@prairiepoint.example>"
JOB = "licensed-insurance-agent"
DEMO = load_content(DEMO_CONTENT)


@pytest.fixture
def mail_settings(make_settings: Callable[..., Settings], relay: Relay) -> Settings:
    return make_settings(smtp_url=relay.url, mail_from=FROM, retry_schedule=(0, 0), webhook_timeout=3.0)


@pytest.fixture
def mail_client(mail_settings: Settings, clock: Any) -> Any:
    with TestClient(create_app(mail_settings, clock=clock), follow_redirects=False) as c:
        yield c


def drain(settings: Settings) -> int:
    async def go() -> int:
        db = Database(settings.database_url)
        worker = Outbox(db, settings, concurrency=4)
        try:
            return await worker.drain_once()
        finally:
            await worker.stop(grace=0.5)
            await db.dispose()

    return run(go())


def mail_rows(settings: Settings) -> list[Any]:
    async def go() -> list[Any]:
        db = Database(settings.database_url)
        try:
            async with db.read() as conn:
                d = tables.deliveries
                query = sa.select(d).where(d.c.endpoint_id == mail.MAIL_ENDPOINT_ID).order_by(d.c.event_type)
                return list(await conn.execute(query))
        finally:
            await db.dispose()

    return run(go())


def no_remote_resources(html: str) -> None:
    assert "<img" not in html and "<link" not in html and "<script" not in html and "url(" not in html
    assert not re.search(r"\bsrc=", html)


def test_a_lead_notifies_its_office_and_confirms_with_a_reference_once(mail_client, mail_settings, relay):
    r = post_lead(mail_client)
    assert r.status_code == 303
    ref = re.search(r"ref=(FD-[0-9A-Z]{4}-[0-9A-Z]{4})\.", r.headers["location"]).group(1)  # type: ignore[union-attr]
    thanks = mail_client.get(r.headers["location"])
    assert ref in thanks.text and thanks.headers["cache-control"] == "no-store"
    shared = mail_client.get("/request-info/thanks")
    assert "FD-" not in shared.text and "no-store" not in shared.headers["cache-control"]
    forged = mail_client.get(r.headers["location"].replace(ref, "FD-AAAA-AAAA"))
    assert "FD-AAAA-AAAA" not in forged.text
    non_ascii = mail_client.get(f"/request-info/thanks?ref={ref}.²é")
    assert non_ascii.status_code == 200 and ref not in non_ascii.text

    assert drain(mail_settings) >= 2
    assert drain(mail_settings) == 0  # nothing twice
    office = DEMO.office("sioux-falls-agency")
    assert office is not None
    by_to = {a.rcpt_tos[0]: a for a in relay.arrived}
    assert len(relay.arrived) == 2 and set(by_to) == {str(office.email), "ada@example.com"}

    staff = by_to[str(office.email)]
    assert staff.mail_from == "frontdesk@prairiepoint.example"
    assert staff["From"] == FROM and staff["Reply-To"] == "Ada Lovelace <ada@example.com>"
    assert ref in staff["Subject"] and "Ada Lovelace" in staff["Subject"]
    assert staff["Date"] and re.fullmatch(r"<[0-9a-f]+@prairiepoint\.example>", staff["Message-ID"])
    assert staff.message.get_content_type() == "multipart/alternative"
    text = staff.message.get_body(("plain",)).get_content()
    html = staff.message.get_body(("html",)).get_content()
    (sub_id,) = {row.submission_id for row in mail_rows(mail_settings)}
    assert f"http://testserver/staff/submissions/{sub_id}" in text and "Business insurance" in text
    assert f'href="http://testserver/staff/submissions/{sub_id}"' in html
    assert not list(staff.message.iter_attachments())
    no_remote_resources(html)

    person = by_to["ada@example.com"]
    assert ref in person["Subject"] and person["Reply-To"] == str(DEMO.site.email)
    assert ref in person.message.get_body(("plain",)).get_content()
    assert "Please call me about business cover." in person.message.get_body(("plain",)).get_content()
    no_remote_resources(person.message.get_body(("html",)).get_content())
    assert staff["Message-ID"] != person["Message-ID"]
    assert mail.reference(sub_id) == ref and sub_id.replace("-", "").startswith(mail.id_prefix(ref) or "-")


def test_the_json_answer_carries_the_reference(mail_client):
    r = post_lead(mail_client, headers={"Accept": "application/json"})
    assert r.status_code == 200 and re.fullmatch(r"FD-[0-9A-Z]{4}-[0-9A-Z]{4}", r.json()["reference"])


def test_an_application_notifies_the_jobs_office_and_confirms(mail_client, mail_settings, relay, clock):
    job = DEMO.job(JOB)
    assert job is not None
    path = f"/careers/{JOB}/apply"
    data = {
        "_t": token(mail_client, path),
        "name": "Grace Hopper",
        "email": "grace@example.com",
        "phone": "+1 605-555-0199",
        "consent": "yes",
        "fax": "",
    }
    r = mail_client.post(path, data=data, files={"resume": ("cv.pdf", make_pdf(), "application/pdf")})
    assert r.status_code == 303, r.text
    drain(mail_settings)
    by_to = {a.rcpt_tos[0]: a for a in relay.arrived}
    expected = str(job.meta.contact or job.office.meta.leads_to or job.office.meta.email)
    assert set(by_to) == {expected, "grace@example.com"}
    assert job.title in by_to[expected]["Subject"] and not list(by_to[expected].message.iter_attachments())
    assert "résumé" in by_to[expected].message.get_body(("plain",)).get_content()
    assert "application" in by_to["grace@example.com"]["Subject"]


def test_without_smtp_settings_no_email_is_written(client, settings):
    assert post_lead(client).status_code == 303
    assert mail_rows(settings) == []


def test_held_spam_sends_nothing_until_released_and_then_no_confirmation(mail_client, mail_settings, relay):
    r = post_lead(mail_client, fax="I am a bot")  # the honeypot: held as spam
    assert r.status_code == 303
    (row,) = mail_rows(mail_settings)
    assert row.event_type == mail.STAFF and row.state == "held"
    drain(mail_settings)
    assert relay.arrived == []

    async def release() -> None:
        from frontdesk.clock import utcnow
        from frontdesk.records import submissions

        db = Database(mail_settings.database_url)
        try:
            async with db.write() as conn:
                assert await submissions.release_spam(conn, row.submission_id, now=utcnow())
        finally:
            await db.dispose()

    run(release())
    drain(mail_settings)
    assert [a.rcpt_tos for a in relay.arrived] == [[str(DEMO.office("sioux-falls-agency").email)]]  # type: ignore[union-attr]


def test_confirmations_are_rate_limited_per_address(make_settings, relay, clock):
    settings = make_settings(smtp_url=relay.url, mail_from=FROM, mail_confirmations_per_hour=2)
    with TestClient(create_app(settings, clock=clock), follow_redirects=False) as c:
        for _ in range(4):
            assert post_lead(c).status_code == 303
        assert post_lead(c, email="someone.else@example.com").status_code == 303
    kinds = [(r.event_type, r.payload["to"][0]) for r in mail_rows(settings)]
    confirmations = [to for kind, to in kinds if kind == mail.CONFIRMATION]
    assert sorted(confirmations) == ["ada@example.com", "ada@example.com", "someone.else@example.com"]
    assert sum(1 for kind, _ in kinds if kind == mail.STAFF) == 5  # staff hear of every one


@pytest.mark.parametrize("trouble", ["451", "554", "down"])
def test_a_relay_in_trouble_gets_retries_then_a_dead_letter_that_replays(mail_client, mail_settings, relay, trouble):
    if trouble == "down":
        relay.stop()
    else:
        relay.mode = trouble
    assert post_lead(mail_client).status_code == 303
    drain(mail_settings)
    rows = mail_rows(mail_settings)
    assert len(rows) == 2 and {r.state for r in rows} == {"failed"}
    assert {r.attempts for r in rows} == {3}  # the schedule (0, 0): three attempts
    assert {r.last_status for r in rows} == ({None} if trouble == "down" else {int(trouble)})
    assert relay.arrived == []

    async def replay() -> None:
        from frontdesk.clock import utcnow

        db = Database(mail_settings.database_url)
        try:
            async with db.write() as conn:
                for r in rows:
                    assert await deliveries.replay(conn, r.id, now=utcnow())
            async with db.read() as conn:
                assert len(await deliveries.attempts(conn, rows[0].id)) == 3
        finally:
            await db.dispose()

    run(replay())
    if trouble == "down":
        relay.start()
    relay.mode = "ok"
    drain(mail_settings)
    assert {r.state for r in mail_rows(mail_settings)} == {"delivered"}
    assert len(relay.arrived) == 2


def test_cr_lf_in_every_form_field_reaches_no_header(mail_client, mail_settings, relay):
    evil = "Eve\r\nBcc: victim@example.org\r\nSubject: pwned"
    fields = {f: evil for f in ("name", "company", "message", "phone", "page")}
    r = post_lead(mail_client, **fields)
    if r.status_code == 422:  # the form refused them outright: nothing stored, nothing sent
        assert mail_rows(mail_settings) == []
        r = post_lead(mail_client, name="Eve Bcc: victim@example.org", company=evil, message=evil)
    assert r.status_code == 303
    drain(mail_settings)
    assert relay.arrived
    for arrived in relay.arrived:
        assert "victim@example.org" not in arrived.rcpt_tos
        assert arrived["Bcc"] is None and arrived["Subject"] != "pwned"
        for name, value in arrived.message.items():
            assert "\n" not in str(value) and "\r" not in str(value), name


@pytest.mark.parametrize("header", ["to", "reply_to", "subject", "date", "message_id"])
def test_a_stored_message_with_cr_lf_in_a_header_is_refused(header):
    message: dict[str, Any] = {
        "to": ["a@example.com"],
        "reply_to": "b@example.com",
        "subject": "Hello",
        "date": "Wed, 02 Dec 2026 01:00:00 +0000",
        "message_id": "<x@example.com>",
        "text": "hi",
        "html": "<p>hi</p>",
    }
    message[header] = ["a@example.com\r\nBcc: c@example.com"] if header == "to" else "x\r\nBcc: c@example.com"
    with pytest.raises(smtp.Refused):
        smtp.build(message, FROM)
    with pytest.raises(smtp.Refused):
        smtp.build(message | {"to": []}, FROM)


def test_header_text_folds_every_control_character():
    assert mail.header_text("a\r\nb\x00c\u2028d\x85e") == "a b c d e"


def test_references_are_short_readable_and_map_back():
    ref = mail.reference("0123abcd-ef01-4000-8000-000000000000")
    assert re.fullmatch(r"FD-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", ref)
    assert mail.id_prefix(ref) == "0123abcdef"
    assert mail.id_prefix(ref.lower().replace("-", "")) == "0123abcdef"
    assert mail.id_prefix("FD-UUUU-UUUU") is None and mail.id_prefix("FD-123") is None


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("FRONTDESK_SMTP_URL", "http://mail.example.com", "FRONTDESK_SMTP_URL is invalid"),
        ("FRONTDESK_SMTP_URL", "smtp://user:s3cret@mail.example.com:99999", "FRONTDESK_SMTP_URL is invalid"),
        ("FRONTDESK_MAIL_FROM", "not an address", "FRONTDESK_MAIL_FROM"),
        ("FRONTDESK_MAIL_FROM", "a@example.com\nBcc: b@example.com", "FRONTDESK_MAIL_FROM"),
    ],
)
def test_bad_mail_settings_are_one_line_and_exit_2(tmp_path, name, value, words):
    env = {"PATH": "/usr/bin:/bin", "FRONTDESK_DATA_DIR": str(tmp_path), name: value}
    r = subprocess.run(
        [sys.executable, "-m", "frontdesk", "check"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and words in r.stderr, r.stderr
    assert "s3cret" not in r.stderr


def test_check_says_when_email_is_off(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "FRONTDESK_DATA_DIR": str(tmp_path), "FRONTDESK_CONTENT_DIR": str(DEMO_CONTENT)}
    r = subprocess.run(
        [sys.executable, "-m", "frontdesk", "check"], env=env, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0, r.stderr
    assert "FRONTDESK_SMTP_URL and FRONTDESK_MAIL_FROM are not set: no email is written or sent" in r.stdout
    env |= {"FRONTDESK_SMTP_URL": "smtp://u:s3cret@mail.example.com", "FRONTDESK_MAIL_FROM": FROM}
    r = subprocess.run(
        [sys.executable, "-m", "frontdesk", "check"], env=env, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0 and "email: through smtp://mail.example.com:587" in r.stdout and "s3cret" not in r.stdout


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        (
            "offices/sioux-falls-agency.md",
            "email: willow@prairiepoint.example",
            "email: willow@prairiepoint.example\nleads_to: leads-at-nowhere",
            "offices/sioux-falls-agency.md: leads_to: value is not a valid email",
        ),
        (
            "careers/licensed-insurance-agent.md",
            "office: sioux-falls-agency",
            "office: sioux-falls-agency\ncontact: hiring@",
            "careers/licensed-insurance-agent.md: contact: value is not a valid email",
        ),
        ("site.yaml", "email: hello@prairiepoint.example", "email: hello@\n", "site.yaml: email"),
        (
            "site.yaml",
            "email: hello@prairiepoint.example",
            "email: hello@prairiepoint.example\nemails:\n  request_info:\n    subject: 'Hi {nmae}'",
            "site.yaml: emails.request_info.subject",
        ),
    ],
)
def test_content_email_errors_name_file_and_field(content_dir: Path, file, old, new, expected):
    path = content_dir / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(ContentError) as info:
        load_content(content_dir)
    assert any(expected in p for p in info.value.problems), info.value.problems


@pytest.mark.slow
def test_kill_9_right_after_the_thank_you_loses_no_email(settings, relay, tmp_path):
    """The server answers the thank-you, is killed at once; a worker started later sends both emails."""
    relay.mode = "451"  # the in-process worker is retrying when the kill comes
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")}
    env.update(
        FRONTDESK_DATABASE_URL=settings.database_url,
        FRONTDESK_DATA_DIR=str(settings.data_dir),
        FRONTDESK_CONTENT_DIR=str(settings.content_dir),
        FRONTDESK_SECRET_KEY=settings.secret_key,
        FRONTDESK_PUBLIC_URL=base,
        FRONTDESK_SMTP_URL=relay.url,
        FRONTDESK_MAIL_FROM=FROM,
        FRONTDESK_WORKER_POLL_SECONDS="0.05",
        FRONTDESK_LEASE_SECONDS="1",
        FRONTDESK_RETRY_SCHEDULE="0,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2",
        FRONTDESK_FORM_MIN_SECONDS="0",
        FRONTDESK_LOG_LEVEL="warning",
    )
    root = Path(__file__).resolve().parents[2]
    log = (tmp_path / "serve.log").open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "frontdesk", "serve", "--port", str(port)], env=env, stdout=log, stderr=log, cwd=root
    )
    try:
        deadline = time.monotonic() + 60
        with httpx2.Client(timeout=5, trust_env=False) as client:
            while True:
                assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
                try:
                    page = client.get(f"{base}/request-info")
                    break
                except httpx2.HTTPError:
                    time.sleep(0.05)
            hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
            form = {**hidden, "fax": "", "name": "Crash Test", "email": "crash@example.com", "interest": "business",
                    "message": "kill me", "consent": "yes"}  # fmt: skip
            r = client.post(f"{base}/request-info", data=form, headers={"Origin": base, "Referer": base})
            assert r.status_code == 303, r.text
            proc.send_signal(signal.SIGKILL)  # right after the thank-you
            proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        log.close()
    relay.mode = "ok"
    time.sleep(1.2)  # the killed worker's leases run out
    done = subprocess.run(
        [sys.executable, "-m", "frontdesk", "worker", "--once"], env=env, cwd=root, capture_output=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert sorted(a.rcpt_tos[0] for a in relay.arrived) == sorted(
        ["crash@example.com", str(DEMO.site.email)]  # no office chosen: the site's address
    )


def test_credentials_never_go_to_a_relay_without_starttls(make_settings, relay):
    """smtp:// with a password insists on STARTTLS: a relay that does not offer it gets no password, and no email."""
    settings = make_settings(smtp_url=f"smtp://frontdesk:s3cret@127.0.0.1:{relay.port}", mail_from=FROM)
    message = {
        "to": ["a@example.com"],
        "reply_to": None,
        "subject": "Hello",
        "date": "Wed, 02 Dec 2026 01:00:00 +0000",
        "message_id": "<x@example.com>",
        "text": "hi",
        "html": "",
    }
    answer = run(smtp.Mailer(settings).send("msg_1", json.dumps(message)))
    assert not answer.ok and answer.status is None and relay.arrived == []
    assert "s3cret" not in (answer.error or "") and "127.0.0.1" in (answer.error or "")


def test_starttls_and_a_login_with_a_relay_that_requires_them(make_settings, tmp_path, monkeypatch):
    cert, key = tls_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test relay's self-signed certificate
    tls_relay = Relay(tls=(cert, key))
    tls_relay.start()
    try:
        settings = make_settings(smtp_url=f"smtp://frontdesk:s3cret@127.0.0.1:{tls_relay.port}", mail_from=FROM)
        message = {"to": ["a@example.com"], "reply_to": None, "subject": "Over TLS", "text": "hi", "html": "",
                   "date": "Wed, 02 Dec 2026 01:00:00 +0000", "message_id": "<tls@example.com>"}  # fmt: skip

        async def send() -> Any:
            answer = await smtp.Mailer(settings).send("msg_tls", json.dumps(message))
            await asyncio.sleep(0.2)  # the TLS transport closes in the loop's next turns (the worker's loop runs on)
            return answer

        answer = run(send())
        assert answer.ok, answer.error
        assert tls_relay.logins == ["frontdesk"] and [a["Subject"] for a in tls_relay.arrived] == ["Over TLS"]
        assert tls_relay.arrived[0].tls
    finally:
        tls_relay.close()


def test_implicit_tls_from_the_first_byte_and_only_to_a_trusted_relay(make_settings, tmp_path, monkeypatch):
    """smtps:// (port 465): TLS before any SMTP, so the login and the email are never in the clear.

    A relay whose certificate is not trusted gets neither: the handshake fails before AUTH.
    """
    cert, key = tls_certificate(tmp_path)
    tls_relay = Relay(tls=(cert, key), implicit=True)
    tls_relay.start()
    try:
        settings = make_settings(smtp_url=tls_relay.url.replace("://", "://frontdesk:s3cret@"), mail_from=FROM)
        assert settings.smtp.implicit_tls
        message = {"to": ["a@example.com"], "reply_to": None, "subject": "Over smtps", "text": "hi", "html": "",
                   "date": "Wed, 02 Dec 2026 01:00:00 +0000", "message_id": "<smtps@example.com>"}  # fmt: skip

        async def send() -> Any:
            answer = await smtp.Mailer(settings).send("msg_smtps", json.dumps(message))
            await asyncio.sleep(0.2)  # the TLS transport closes in the loop's next turns
            return answer

        untrusted = run(send())  # the self-signed certificate is not trusted yet
        assert not untrusted.ok and untrusted.status is None
        assert tls_relay.logins == [] and tls_relay.arrived == []
        assert "s3cret" not in (untrusted.error or "") and "smtps://127.0.0.1" in (untrusted.error or "")

        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # now trusted, as an operator's CA bundle would be
        answer = run(send())
        assert answer.ok, answer.error
        assert tls_relay.logins == ["frontdesk"] and [a["Subject"] for a in tls_relay.arrived] == ["Over smtps"]
        assert tls_relay.arrived[0].tls

        plain = make_settings(smtp_url=f"smtp://127.0.0.1:{tls_relay.port}", mail_from=FROM)
        spoken_plainly = run(smtp.Mailer(plain, timeout=3).send("msg_plain", json.dumps(message)))
        assert not spoken_plainly.ok and len(tls_relay.arrived) == 1  # the port speaks only TLS
    finally:
        tls_relay.close()
