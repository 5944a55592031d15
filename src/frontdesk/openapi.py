"""The OpenAPI 3.1 description of what an integrator talks to: the pull API and the webhooks.

Served at `/api/v1/openapi.json` and kept in the repository as `docs/openapi.json`
(`python -m frontdesk.openapi > docs/openapi.json`; a test keeps the copy current and valid).

- `paths` holds `GET /api/v1/submissions` (staff/api.py): its query parameters are built from the same
  constants the handler checks (the kinds, states, limits and text lengths of staff/filters.py and
  staff/api.py), with its bearer token and its 400/401/429 answers.
- `webhooks` holds one `POST` per event type: the request a receiver gets. Its body is the event's
  schema from the event catalogue (intake/schema.py), with the three Standard Webhooks headers, and each
  answer says what it makes the worker do (2xx: delivered; 410: the endpoint is paused; 429 and 503:
  `Retry-After` is honoured; anything else: retried on the schedule, then kept as failed).

Why OpenAPI beside the JSON Schema at `/webhooks/schema.json`: that one types the bodies, and stays the
place to validate a body against. Code generators and API tools (Swagger UI, openapi-generator, a
fuzzer such as schemathesis) want the whole exchange: the URL, the headers, the token and the answers.
Both are generated from the code, so neither drifts from what the site does.

This module sits in a layer of its own, above the areas it describes (intake and staff may not import
each other), and below the app that serves it.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from frontdesk import __version__, web
from frontdesk.intake import schema
from frontdesk.records import deliveries
from frontdesk.staff import api, filters

OPENAPI_URL = "/api/v1/openapi.json"
ERROR = {"$ref": "#/components/responses/Error"}

WEBHOOK_HEADERS = [
    {
        "name": "webhook-id",
        "in": "header",
        "required": True,
        "description": "The message's id (`msg_...`): the same on every retry, so a receiver can drop repeats.",
        "schema": {"type": "string", "pattern": "^msg_[0-9a-f]+$"},
    },
    {
        "name": "webhook-timestamp",
        "in": "header",
        "required": True,
        "description": "Unix seconds when this attempt was signed. Refuse times more than five minutes off.",
        "schema": {"type": "string", "pattern": "^[0-9]{1,12}$"},
    },
    {
        "name": "webhook-signature",
        "in": "header",
        "required": True,
        "description": (
            "Space-separated `v1,<base64>` HMAC-SHA256 signatures of `{id}.{timestamp}.{body}`, one per "
            "live secret while a secret is being rotated. Accept the message if any one verifies."
        ),
        "schema": {"type": "string"},
    },
]

WEBHOOK_ANSWERS = {
    "2XX": {"description": "Received: the delivery is done and never sent again (unless staff replay it)."},
    "410": {"description": "Gone: the endpoint is paused, its deliveries wait until staff resume it."},
    "429": {
        "description": "Slow down: the next attempt waits at least `Retry-After` (seconds or an HTTP date).",
        "headers": {"Retry-After": {"schema": {"type": "string"}}},
    },
    "503": {
        "description": "Unavailable: as 429, `Retry-After` is honoured.",
        "headers": {"Retry-After": {"schema": {"type": "string"}}},
    },
    "default": {
        "description": (
            "Anything else, a timeout or no answer: retried with the same webhook-id on the retry schedule, "
            "then kept as failed for staff to replay."
        )
    },
}


def _query(name: str, description: str, schema_: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema_}


def _parameters() -> list[dict[str, Any]]:
    slug = {"type": "string", "pattern": f"^{filters.SLUG.pattern}$"}
    day = {"type": "string", "format": "date"}
    return [
        _query("cursor", "The `next_cursor` of the previous page; none for the first page.", {"type": "string"}),
        _query(
            "limit",
            "Submissions per page.",
            {"type": "integer", "minimum": 1, "maximum": api.MAX_LIMIT, "default": api.DEFAULT_LIMIT},
        ),
        _query("kind", "Only this kind (both when left out).", {"type": "string", "enum": list(filters.KINDS)}),
        _query("from", "The first day, inclusive, in the site's time zone.", day),
        _query("to", "The last day, inclusive, in the site's time zone.", day),
        _query("office", "An office's slug, as in content/offices/.", slug),
        _query("job", "A job's slug, as in content/jobs/.", slug),
        _query("interest", "An interest's slug, as in site.yaml.", slug),
        _query(
            "source",
            "The first or latest touch's source, case-insensitive (e.g. `google`).",
            {"type": "string", "maxLength": filters.MAX_SOURCE},
        ),
        _query(
            "state",
            "The webhook delivery's state; `held` is spam, which is left out otherwise.",
            {"type": "string", "enum": list(filters.STATES)},
        ),
        _query("q", "Text in the name, email or message.", {"type": "string", "maxLength": filters.MAX_TEXT}),
    ]


def _api_schemas() -> dict[str, Any]:
    nullable_object = {"type": ["object", "null"]}
    return {
        "Error": {
            "type": "object",
            "properties": {"error": {"type": "string", "description": "What was wrong, and what to send instead."}},
            "required": ["error"],
        },
        "Submission": {
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "kind": {"type": "string", "enum": list(filters.KINDS)},
                "created_at": {"type": "string", "format": "date-time", "pattern": schema.TIMESTAMP},
                "email": {"type": ["string", "null"]},
                "data": {
                    "type": "object",
                    "description": "The form's fields, as in the webhook's `data`; `{}` once erased.",
                },
                "consent": nullable_object | {"description": "As in the webhook's `data.consent`."},
                "attribution": nullable_object | {"description": "As in the webhook's `data.attribution`."},
                "delivery_state": {"type": ["string", "null"], "enum": [*deliveries.STATES, None]},
                "erased": {"type": "boolean"},
            },
            "required": [
                "id",
                "kind",
                "created_at",
                "email",
                "data",
                "consent",
                "attribution",
                "delivery_state",
                "erased",
            ],
            "additionalProperties": False,
        },
        "SubmissionPage": {
            "type": "object",
            "properties": {
                "data": {"type": "array", "items": {"$ref": "#/components/schemas/Submission"}},
                "next_cursor": {
                    "type": ["string", "null"],
                    "description": "Pass it back as `cursor`. Kept on the last page: poll with it for what arrives.",
                },
                "has_more": {"type": "boolean"},
            },
            "required": ["data", "next_cursor", "has_more"],
            "additionalProperties": False,
        },
    }


def _event_schemas() -> dict[str, Any]:
    """The event catalogue's definitions, with its `#/$defs/` references pointed at `components`."""
    text = json.dumps(schema.document()["$defs"]).replace('"#/$defs/', '"#/components/schemas/')
    defs: dict[str, Any] = json.loads(text)
    return defs


def _webhook(event: str) -> dict[str, Any]:
    return {
        "post": {
            "summary": f"`{event}`, sent to every endpoint that takes it",
            "parameters": WEBHOOK_HEADERS,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{event}"}}},
            },
            "responses": WEBHOOK_ANSWERS,
        }
    }


@cache
def document() -> dict[str, Any]:
    events = [*schema.KINDS, "ping"]  # every event type, in the catalogue's order, and the test event
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Frontdesk: the submissions API and the webhooks",
            "version": __version__,
            "description": (
                "Pull leads and applications with a bearer token (docs/api.md), or receive every submission "
                "as a signed Standard Webhooks message (docs/webhooks.md)."
            ),
        },
        "jsonSchemaDialect": schema.DIALECT,
        "paths": {
            "/api/v1/submissions": {
                "get": {
                    "summary": "Submissions, oldest first, a page at a time",
                    "operationId": "listSubmissions",
                    "security": [{"bearer": []}],
                    "parameters": _parameters(),
                    "responses": {
                        "200": {
                            "description": "A page of submissions.",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/SubmissionPage"}}
                            },
                        },
                        "400": ERROR,
                        "401": ERROR,
                        "429": ERROR,
                    },
                }
            }
        },
        "webhooks": {event: _webhook(event) for event in events},
        "components": {
            "schemas": _api_schemas() | _event_schemas(),
            "responses": {
                "Error": {
                    "description": "A parameter out of range (400), a missing or revoked token (401), too many "
                    "requests for the token (429, with `Retry-After`).",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                }
            },
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "An integration's `fd_...` token."}
            },
        },
    }


@cache
def text() -> str:
    return json.dumps(document(), indent=2, sort_keys=True) + "\n"  # once: the document never changes


async def serve(request: Request) -> Response:
    return web.published(text(), "application/vnd.oai.openapi+json")


if __name__ == "__main__":
    print(text(), end="")
