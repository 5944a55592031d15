"""The published event schema: served at /webhooks/schema.json, kept in docs/, and true of every payload.

Every kind of submission is sent through its real view (and a ping through `frontdesk endpoints test`'s
code), then each stored body and each body a real receiver got is validated against the document with
the `jsonschema` library, as an integrator generating types from it would.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema

from frontdesk.db import Database, tables
from frontdesk.delivery import ping
from frontdesk.delivery.outbox import Outbox
from frontdesk.intake import schema
from frontdesk.records import endpoints
from support import PDF, db_rows, post_lead, run, token

DOCS = Path(__file__).parents[2] / "docs" / "webhooks.schema.json"
JOB = "licensed-insurance-agent"
ARTICLE = "/insights/measuring-website-help-pages"


def validator() -> jsonschema.protocols.Validator:
    document = schema.document()
    jsonschema.Draft202012Validator.check_schema(document)
    return jsonschema.Draft202012Validator(document, format_checker=jsonschema.FormatChecker())


def test_the_schema_is_served_and_the_docs_copy_is_current(client):
    r = client.get("/webhooks/schema.json")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/schema+json")
    assert r.json() == schema.document()
    assert json.loads(DOCS.read_text()) == schema.document(), "run: python -m frontdesk.intake.schema > " + str(DOCS)
    assert set(r.json()["$defs"]) >= {*endpoints.EVENT_TYPES, "ping"}


def produce_every_event(client: Any) -> None:
    assert post_lead(client).status_code == 303
    application = {
        "_t": token(client, f"/careers/{JOB}/apply"),
        "name": "Grace Hopper",
        "email": "grace@example.com",
        "phone": "605 555 0123",
        "links": "https://grace.example.com",
        "cover_letter": "I debug things.",
        "consent": "yes",
    }
    files = {"resume": ("Grace Hopper CV.pdf", PDF, "application/pdf")}
    assert client.post(f"/careers/{JOB}/apply", data=application, files=files).status_code == 303
    page = "/offices/sioux-falls-agency"
    vote = {"_t": token(client, page), "page": page, "helpful": "no", "reason": "", "comment": "Opening hours?"}
    assert client.post("/feedback", data=vote).status_code == 303
    comment = {"_t": token(client, ARTICLE), "name": "Ann", "email": "ann@example.com", "comment": "Useful, thanks."}
    assert client.post(f"{ARTICLE}/comments", data={**comment, "website": "", "fax": ""}).status_code == 303


def test_every_payload_validates_stored_and_as_received(client, settings, receiver):
    produce_every_event(client)
    check = validator()
    stored = [r.payload for r in db_rows(settings.database_url, tables.deliveries)]
    assert {p["type"] for p in stored} == set(endpoints.EVENT_TYPES)
    for payload in stored:
        check.validate(payload)

    async def deliver() -> None:
        db = Database(settings.database_url)
        try:
            async with db.write() as conn:
                await endpoints.add(
                    conn,
                    name="crm",
                    url=receiver.url,
                    secret=receiver.secret,
                    events=("*",),
                    rate_limit=None,
                    now=dt.datetime.now(dt.UTC),
                )
                await conn.execute(tables.deliveries.update().values(state="pending"))  # spam checks aside
            worker = Outbox(db, settings)
            await worker.drain_once()
            await worker.stop(0)  # closes the endpoint's connection pool
            async with db.read() as conn:
                found = await endpoints.get(conn, "crm", now=dt.datetime.now(dt.UTC))
            assert found is not None
            answer = await ping.send(found, time_limit=5, now=dt.datetime.now(dt.UTC))
            assert answer.ok, answer
        finally:
            await db.dispose()

    run(deliver())
    received = receiver.all_bodies()
    assert {b["type"] for b in received} == {*endpoints.EVENT_TYPES, "ping"}
    for body in received:
        check.validate(body)


def test_the_schema_refuses_what_the_code_does_not_send(settings):
    check = validator()
    lead = {"type": "lead.created", "timestamp": "2026-12-02T01:00:00Z", "data": {"id": "x", "kind": "lead"}}
    assert not check.is_valid(lead)  # the form's fields are required
    erased = {**lead, "data": {"id": "x", "kind": "lead", "erased": True}}
    assert check.is_valid(erased)
    ping_body = {"type": "ping", "timestamp": "2026-12-02T01:00:00Z", "data": {"endpoint": "a", "sender": "b"}}
    assert check.is_valid(ping_body)
    assert not check.is_valid({**ping_body, "type": "lead.deleted"})
    assert not check.is_valid({**ping_body, "timestamp": "yesterday"})
