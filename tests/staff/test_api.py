"""The read-only API: tokens made and revoked by admins, 401s, filters, the cursor, rate limit, audit."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from frontdesk.db import tables
from frontdesk.records import submissions
from support import api_get as get
from support import api_token as make_token
from support import in_app

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)  # the clock fixture's time


def store(client, n: int, *, kind="lead", start=NOW - dt.timedelta(hours=1), ties=False, **data):
    async def go(app):
        ids = []
        for i in range(n):
            accepted = await submissions.accept(
                app.state.services.db, kind=kind, data={"name": f"Person {i}", **data},
                email=f"p{i}@example.com", now=start + dt.timedelta(seconds=i // 2 if ties else i),
            )  # fmt: skip
            ids.append(accepted.submission_id)
        return ids

    return in_app(client, go)


@pytest.fixture
def admin(staff_client):
    return staff_client("admin")


def test_without_a_valid_token_it_is_401(admin):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic Zm9vOmJhcg=="},
                    {"Authorization": "Bearer fd_" + "x" * 43}):  # fmt: skip
        response = admin.get("/api/v1/submissions", headers=headers)
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
        assert "error" in response.json()


def test_a_token_reads_and_a_revoked_one_is_refused_at_once(admin):
    store(admin, 3)
    token = make_token(admin)
    page = get(admin, token)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    body = page.json()
    assert [d["data"]["name"] for d in body["data"]] == ["Person 0", "Person 1", "Person 2"]  # oldest first
    assert body["data"][0]["delivery_state"] == "pending" and body["data"][0]["created_at"].endswith("Z")
    html = admin.get("/staff/integrations").text
    assert "Acme CRM" in html and token not in html  # shown once only
    token_id = re.search(r'action="/staff/integrations/(\d+)/revoke"', html).group(1)
    assert admin.post(f"/staff/integrations/{token_id}/revoke").status_code == 303
    assert get(admin, token).status_code == 401

    async def stored(app):
        async with app.state.services.db.read() as conn:
            hashes = [r.token_hash for r in await conn.execute(sa.select(tables.api_tokens))]
            actions = [r.action for r in await conn.execute(sa.select(tables.audit).order_by(tables.audit.c.id))]
            return hashes, actions

    hashes, actions = in_app(admin, stored)
    assert token not in hashes and len(hashes[0]) == 64
    assert actions[-3:] == ["api_token.create", "api.read", "api_token.revoke"]


def test_the_cursor_reads_everything_once_and_then_what_arrives(admin, clock):
    store(admin, 7, ties=True)  # pairs with the same time: the id breaks the tie
    token = make_token(admin)
    seen, cursor = [], None
    for _ in range(5):
        body = get(admin, token, f"?limit=3{'&cursor=' + cursor if cursor else ''}").json()
        seen += [d["email"] for d in body["data"]]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            break
    assert len(seen) == 7 and sorted(seen) == [f"p{i}@example.com" for i in range(7)]
    assert [int(e[1]) // 2 for e in seen] == sorted(int(e[1]) // 2 for e in seen)  # in time order
    assert get(admin, token, f"?cursor={cursor}").json() == {"data": [], "next_cursor": cursor, "has_more": False}
    store(admin, 1, start=NOW - dt.timedelta(seconds=1))  # too young: held back for the next poll
    assert get(admin, token, f"?cursor={cursor}").json()["data"] == []
    clock.advance(seconds=10)
    assert [d["email"] for d in get(admin, token, f"?cursor={cursor}").json()["data"]] == ["p0@example.com"]


def test_filters_are_the_lists(admin):
    store(admin, 2)
    store(admin, 1, kind="application")
    token = make_token(admin)
    assert [d["kind"] for d in get(admin, token, "?kind=application").json()["data"]] == ["application"]
    assert len(get(admin, token, "?q=person%201").json()["data"]) == 1


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?limit=0", "between 1 and 200"),
        ("?limit=201", "between 1 and 200"),
        ("?limit=%C2%B2", "between 1 and 200"),
        ("?cursor=garbage", "cursor"),
        ("?cursor=WyJ4IiwieSJd", "cursor"),  # ["x","y"]
        ("?kind=spam", "Unknown kind"),
        ("?from=9999-01-01", "between"),
    ],
)
def test_bad_parameters_are_a_400_in_json(admin, query, message):
    token = make_token(admin)
    response = get(admin, token, query)
    assert response.status_code == 400 and message in response.json()["error"]


def test_each_token_is_rate_limited(admin, settings):
    token = make_token(admin)
    limiter = admin.app.state.services.limiter
    limiter.items["api"] = __import__("limits").parse_many("2/minute")
    assert get(admin, token).status_code == 200 and get(admin, token).status_code == 200
    limited = get(admin, token)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert get(admin, make_token(admin, "Other")).status_code == 200  # per token


def test_only_admins_manage_tokens_and_names_are_checked(admin, staff_client):
    assert admin.post("/staff/integrations", data={"name": "  "}).status_code == 422
    assert admin.post("/staff/integrations", data={"name": "x" * 101}).status_code == 422
    assert admin.post("/staff/integrations/999/revoke").status_code == 404
    viewer = staff_client("viewer")
    assert viewer.get("/staff/integrations").status_code == 403
    assert viewer.post("/staff/integrations", data={"name": "Mine"}).status_code == 403
