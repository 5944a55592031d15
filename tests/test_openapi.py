"""The OpenAPI document (openapi.py): valid, served, current in docs/, and true of what the site does.

It is checked against the OpenAPI 3.1 meta-schema (openapi-spec-validator), then held to the real
exchanges: the API's answers (a page, and each error) validate against the documented responses, each
documented parameter bound is where the handler draws it, and a webhook a real receiver got has the
documented body and headers.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from openapi_spec_validator import validate

from frontdesk import openapi
from frontdesk.db import Database
from frontdesk.delivery.outbox import Outbox
from frontdesk.records import endpoints
from receiver import Receiver
from support import api_get, api_token, post_lead, run

DOCS = Path(__file__).parents[1] / "docs" / "openapi.json"


def conforms(value: Any, ref: str) -> None:
    """Validate `value` against a schema of the document, its references resolved within it."""
    document = openapi.document()
    checker = jsonschema.Draft202012Validator({**document, "$ref": ref}, format_checker=jsonschema.FormatChecker())
    checker.validate(value)


def test_the_document_is_valid_served_and_current(client):
    validate(openapi.document())  # the OpenAPI 3.1 meta-schema, and every $ref resolves
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.oai.openapi+json")
    assert r.json() == openapi.document()
    assert json.loads(DOCS.read_text()) == openapi.document(), f"run: python -m frontdesk.openapi > {DOCS}"
    assert set(r.json()["webhooks"]) == {"lead.created", "application.created", "feedback.created",
                                         "comment.created", "ping"}  # fmt: skip


@pytest.fixture
def admin(staff_client):
    return staff_client("admin")


def test_the_apis_answers_are_the_documented_ones(admin, clock):
    assert post_lead(admin).status_code == 303
    token = api_token(admin)
    clock.advance(seconds=10)  # past the API's settling time
    page = api_get(admin, token)
    assert page.status_code == 200 and len(page.json()["data"]) == 1
    conforms(page.json(), "#/components/schemas/SubmissionPage")
    for status, answer in ((400, api_get(admin, token, "?limit=0")), (401, api_get(admin, "fd_nope"))):
        assert answer.status_code == status
        conforms(answer.json(), "#/components/schemas/Error")


def _bounds() -> list[tuple[str, str, int]]:
    """(query, value, expected status) at each documented parameter's edge."""
    params = {p["name"]: p["schema"] for p in openapi.document()["paths"]["/api/v1/submissions"]["get"]["parameters"]}
    cases = [("limit", str(params["limit"]["maximum"]), 200), ("limit", str(params["limit"]["maximum"] + 1), 400)]
    cases += [("limit", str(params["limit"]["minimum"]), 200), ("limit", str(params["limit"]["minimum"] - 1), 400)]
    for name in ("kind", "state"):
        cases += [(name, value, 200) for value in params[name]["enum"]] + [(name, "other", 400)]
    for name in ("source", "q"):
        most = params[name]["maxLength"]
        cases += [(name, "x" * most, 200), (name, "x" * (most + 1), 400)]
    for name in ("office", "job", "interest"):
        cases += [(name, "sioux-falls", 200), (name, "Not A Slug", 400)]
    cases += [("from", "2026-11-01", 200), ("to", "2026-13-01", 400)]
    return cases


def test_each_documented_bound_is_where_the_api_draws_it(admin):
    token = api_token(admin)
    for name, value, status in _bounds():
        answer = api_get(admin, token, f"?{name}={value}")
        assert answer.status_code == status, (name, value, answer.text)


def test_a_real_webhook_is_the_documented_request(client, settings, receiver: Receiver):
    assert post_lead(client).status_code == 303  # through the real form, so every field is there

    async def deliver() -> None:
        db = Database(settings.database_url)
        try:
            async with db.write() as conn:
                now = dt.datetime.now(dt.UTC)
                await endpoints.add(conn, name="crm", url=receiver.url, secret=receiver.secret, events=("*",),
                                    rate_limit=None, now=now)  # fmt: skip
            worker = Outbox(db, settings)
            assert await worker.drain_once() == 1
            await worker.stop(0)
        finally:
            await db.dispose()

    run(deliver())
    (got,) = [r for items in receiver.messages.values() for r in items]
    hook = openapi.document()["webhooks"]["lead.created"]["post"]
    conforms(got.body, hook["requestBody"]["content"]["application/json"]["schema"]["$ref"])
    for header in hook["parameters"]:
        jsonschema.validate(got.headers[header["name"]], header["schema"])
