"""The webhook event catalogue: one JSON Schema for every event type, generated from the payload code.

Served at `/webhooks/schema.json` (a stable URL an integrator can generate types from) and written to
`docs/webhooks.schema.json` (`python -m frontdesk.intake.schema > docs/webhooks.schema.json`; a test
keeps the copy current). Every message is an envelope `{"type", "timestamp", "data"}`; `data` is:

- `lead.created`, `application.created`: the fields of the form models (`intake/models.py`, the same
  `model_dump` the views send) without the consent checkbox, plus the consent and attribution records;
- `feedback.created`, `comment.created`, `ping`: the `TypedDict`s of `records/payloads.py` that the
  building code is type-checked against;
- every event's `data` also has the submission's `id` and `kind`; an erased submission's stored body
  becomes `{"id", "kind", "erased": true}`, which the schema allows too.

Why generated and not hand-written: a schema written apart from the code drifts from it the first time
a form gains a field. Here the types ARE the code's, and a test validates every payload the suite
produces against this document.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from pydantic import BaseModel, TypeAdapter
from starlette.requests import Request
from starlette.responses import Response

from frontdesk import web
from frontdesk.intake import models
from frontdesk.records import payloads
from frontdesk.records.submissions import EVENT_TYPES

SCHEMA_URL = "/webhooks/schema.json"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
TIMESTAMP = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z$"
KINDS = {event: kind for kind, event in EVENT_TYPES.items()}


def _of(kind: type[Any]) -> dict[str, Any]:
    schema: dict[str, Any] = TypeAdapter(kind).json_schema()
    return schema


def _model(model: type[BaseModel], leave_out: set[str]) -> dict[str, Any]:
    schema = model.model_json_schema(mode="serialization")
    props = {k: v for k, v in schema["properties"].items() if k not in leave_out}
    return {"properties": props, "required": list(props)}  # model_dump sends every field, defaults too


def _data(kind: str, *parts: dict[str, Any], optional: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    props: dict[str, Any] = {"id": {"type": "string"}, "kind": {"const": kind}}
    required = ["id", "kind"]
    defs: dict[str, Any] = {}
    for part in (*parts, *optional):
        defs.update(part.pop("$defs", {}))
        for prop in part["properties"].values():  # a nested type's own definitions (attribution's Touch)
            defs.update(prop.pop("$defs", {}))
        props.update(part["properties"])
    for part in parts:
        required += part.get("required", [])
    return {"type": "object", "properties": props, "required": required, "additionalProperties": False} | (
        {"$defs": defs} if defs else {}
    )


def _records() -> tuple[dict[str, Any], dict[str, Any]]:
    consent = {"properties": {"consent": _of(payloads.Consent), "attribution": _of(payloads.Attribution)}}
    return consent, {"required": ["consent", "attribution"]}


@cache
def document() -> dict[str, Any]:
    """The whole catalogue: `$defs` holds one schema per event type; the top level is any of them."""
    records, records_required = _records()
    records = {**records, **records_required}
    events: dict[str, dict[str, Any]] = {
        "lead.created": _data("lead", _model(models.RequestInfo, {"consent"}), records),
        "application.created": _data(
            "application",
            _model(models.Application, {"consent"}),
            {"properties": {"job": _of(payloads.Job)}, "required": ["job"]},
            records,
            optional=(_of(payloads.ApplicationExtra),),
        ),
        "feedback.created": _data("feedback", _of(payloads.FeedbackData), optional=(_of(payloads.FeedbackExtra),)),
        "comment.created": _data("comment", _of(payloads.CommentData), optional=(_of(payloads.CommentExtra),)),
    }
    defs: dict[str, Any] = {}
    for event, schema in events.items():
        defs.update(schema.pop("$defs", {}))
        erased = {
            "type": "object",
            "properties": {"id": {"type": "string"}, "kind": {"const": KINDS[event]}, "erased": {"const": True}},
            "required": ["id", "kind", "erased"],
            "additionalProperties": False,
        }
        defs[event] = _envelope(event, {"oneOf": [schema, erased]})
    ping = _of(payloads.PingData) | {"additionalProperties": False}
    defs["ping"] = _envelope("ping", ping)
    return {
        "$schema": DIALECT,
        "$id": SCHEMA_URL,
        "title": "Frontdesk webhook events",
        "description": "Standard Webhooks messages: verify webhook-signature, then read type and data.",
        "oneOf": [{"$ref": f"#/$defs/{event}"} for event in (*EVENT_TYPES.values(), "ping")],
        "$defs": defs,
    }


def _envelope(event: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "type": {"const": event},
            # UTC, always with Z (the pattern checks what `format` alone leaves to the validator's options)
            "timestamp": {"type": "string", "format": "date-time", "pattern": TIMESTAMP},
            "data": data,
        },
        "required": ["type", "timestamp", "data"],
        "additionalProperties": False,
    }


@cache
def text() -> str:
    return json.dumps(document(), indent=2, sort_keys=True) + "\n"  # once: the document never changes


async def serve(request: Request) -> Response:
    return web.published(text(), "application/schema+json")


if __name__ == "__main__":
    print(text(), end="")
