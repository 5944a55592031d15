"""Property-based fuzzing of every form endpoint with hypothesis.

Each generated request goes through the whole app (middleware, parsing,
validation, the database). Whatever it holds, three things must be true:

1. the status is below 500;
2. no traceback text reaches the client;
3. a rejected request (4xx) stored nothing: no submission, delivery, upload
   row or file, vote or comment.

The inputs mix realistic forms with mutations (fields dropped, duplicated,
renamed to `name[]`, replaced by invalid UTF-8, NUL bytes, huge values),
hand-built urlencoded and multipart bodies (broken boundaries, several
files, odd part headers), odd content types, headers (malformed Referer,
garbage cookies, JSON Accept) and methods. POST routes that other parts of
Frontdesk add later (staff sign-in, blog comments) are discovered from the
app's routes and fuzzed by `test_every_post_route`.

The red-team pass's families are in every strategy (`HOSTILE`): superscript and
other non-ASCII digits (`'²'.isdigit()` is true, `int('²')` fails), NUL, huge
and out-of-range integers, far-off dates and non-ASCII signatures, in form
fields, form tokens, query parameters of every GET route (the staff area's
too, signed in as an admin) and résumé links.

The budget is the hypothesis profile: `HYPOTHESIS_PROFILE=ci` runs 700 cases
per test (see conftest.py): over 5,000 per database, over 10,000 in a CI run on
SQLite and PostgreSQL. `STATS` (support.FUZZ_STATS) feeds the count printed
after the run.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote_from_bytes

import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from starlette.routing import Route

from frontdesk.db import tables
from support import FUZZ_STATS, PDF, token

STATS = FUZZ_STATS

JOB = "licensed-insurance-agent"
WATCHED = (tables.submissions, tables.deliveries, tables.uploads, tables.votes, tables.comments, tables.vote_days)

FIELDS = [
    "name", "email", "phone", "company", "interest", "office", "message", "consent", "page", "fax", "_t",
    "helpful", "reason", "comment", "links", "cover_letter", "resume", "cf-turnstile-response",
    "post", "website", "body", "password", "next", "parent",
]  # fmt: skip
# What the red-team pass found 500s with, and its relatives.
HOSTILE = [
    "²", "٣", "１２", "1²", "⁹⁹", "½", "1_000", "0x10", "-1", "0", "2147483648", "9223372036854775808", "9" * 40,
    "1e309", "nan", "9999-12-31", "0001-01-01", "2026-13-45", "2026-02-30", "２０２６-11-01", "é", "1.é", "\x00",
    "a\x00b", "\x00" * 20, "%00", "\u202e", "\ud7ff", "../", "..%2f", "\r\nX-Injected: 1", "<svg onload=x>",
]  # fmt: skip
REALISTIC = [
    b"Ada Lovelace", b"ada@example.com", b"business", b"auto", b"yes", b"no", b"on", b"/offices",
    b"/careers/licensed-insurance-agent", b"sioux-falls-agency", b"other", b"incorrect", b"+1 605 555 0100",
    b"https://example.com/ada", b"Please call me.", b"", b" ", b"0", b"true",
]  # fmt: skip

# ---- strategies ---------------------------------------------------------------------------------------------

names = st.one_of(
    st.sampled_from(FIELDS),
    st.sampled_from(FIELDS).map(lambda n: n + "[]"),
    st.sampled_from(FIELDS).map(lambda n: n + "[0]"),
    st.text(max_size=12),
).map(lambda n: n.encode("utf-8", "surrogatepass"))
huge = st.builds(
    lambda unit, n: unit * n,
    st.sampled_from([b"a", b"\x00", "é".encode(), b"\xff", b"<script>", b"%"]),
    st.integers(1_000, 70_000),
)
hostile = st.sampled_from(HOSTILE)
values = st.one_of(
    st.sampled_from(REALISTIC),
    hostile.map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.text(max_size=300).map(lambda s: s.encode("utf-8", "surrogatepass")),  # NULs, controls, lone surrogates
    st.binary(max_size=300),  # invalid UTF-8
    huge,
)


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, bytes]) -> list[tuple[bytes, bytes]]:
    """A real form, then a few edits: drop, replace, duplicate or add fields."""
    pairs = [(k.encode(), v) for k, v in base.items()]
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 1, 2, 3, 6]))):  # untouched often enough to reach accept()
        op = draw(st.sampled_from(["drop", "replace", "duplicate", "add", "rename"]))
        if op == "add" or not pairs:
            pairs.append((draw(names), draw(values)))
            continue
        i = draw(st.integers(0, len(pairs) - 1))
        if op == "drop":
            pairs.pop(i)
        elif op == "replace":
            pairs[i] = (pairs[i][0], draw(values))
        elif op == "duplicate":
            pairs.append((pairs[i][0], draw(values)))
        else:
            pairs[i] = (draw(names), pairs[i][1])
    if draw(st.integers(0, 9)) == 0:  # now and then, lots of fields
        pairs += [(b"f%d" % i, b"x") for i in range(draw(st.integers(20, 60)))]
    return pairs


def urlencoded(pairs: list[tuple[bytes, bytes]], raw: bool) -> bytes:
    if raw:  # unescaped: '&', '=', '%zz' and bytes land in the body as they are
        return b"&".join(k + b"=" + v for k, v in pairs)
    return b"&".join(
        quote_from_bytes(k, safe="").encode() + b"=" + quote_from_bytes(v, safe="").encode() for k, v in pairs
    )


@st.composite
def multipart(draw: st.DrawFn, pairs: list[tuple[bytes, bytes]]) -> tuple[bytes, str]:
    boundary = draw(st.sampled_from([b"fdBoundary123", b"x", b"----WebKitFormBoundary7MA4YWxkTrZu0gW"]))
    body = b""
    for name, value in pairs:
        body += (
            b"--" + boundary + b'\r\nContent-Disposition: form-data; name="' + name.replace(b'"', b"") + b'"\r\n\r\n'
        )
        body += value + b"\r\n"
    if draw(st.booleans()):  # a proper résumé, so that the accept path is exercised too
        body += b"--" + boundary + b'\r\nContent-Disposition: form-data; name="resume"; filename="cv.pdf"\r\n'
        body += b"Content-Type: application/pdf\r\n\r\n" + PDF + b"\r\n"
    for _ in range(draw(st.integers(0, 2))):
        filename = draw(
            st.one_of(st.sampled_from([b"cv.pdf", b"../../x.exe", b"", b"a\x00b.txt"]), st.binary(max_size=30))
        )
        content = draw(
            st.one_of(
                st.just(PDF),
                st.binary(max_size=2000),
                st.binary(max_size=500).map(lambda b: PDF[:9] + b),
                st.binary(max_size=500).map(lambda b: b"PK\x03\x04" + b),
                st.binary(max_size=500).map(lambda b: b"MZ" + b),
                st.sampled_from([b"", b"<html><script>x</script>", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"]),
            )
        )
        field = draw(st.sampled_from([b"resume", b"resume", b"other", b"message"]))
        ctype = draw(st.sampled_from([b"application/pdf", b"text/html", b"application/octet-stream", b"\xff\xfe"]))
        body += b"--" + boundary + b'\r\nContent-Disposition: form-data; name="' + field + b'"; filename="'
        body += filename.replace(b'"', b"").replace(b"\r", b"").replace(b"\n", b"") + b'"\r\nContent-Type: ' + ctype
        body += b"\r\n\r\n" + content + b"\r\n"
    ending = [b"--" + boundary + b"--\r\n", b"", b"--" + boundary + b"\r\n", b"--wrong--\r\n"]
    body += draw(st.sampled_from([ending[0], ending[0], *ending]))
    declared = draw(st.sampled_from([boundary, boundary, boundary, b"other", b""]))
    content_type = "multipart/form-data" + (f"; boundary={declared.decode()}" if declared else "")
    return body, content_type


header_values = st.one_of(
    st.sampled_from(["", "http://[oops/", "http://testserver/offices", "https://evil.example/", "javascript:x"]),
    st.binary(max_size=60).map(lambda b: bytes(c for c in b if c >= 0x20 and c != 0x7F).decode("latin-1")),
)


@st.composite
def extra_headers(draw: st.DrawFn) -> dict[str, bytes]:
    headers: dict[str, bytes] = {}
    accept = draw(st.sampled_from([None, "text/html", "application/json", "*/*", "application/json, text/html"]))
    if accept:
        headers["accept"] = accept.encode()
    if draw(st.booleans()):
        headers["referer"] = draw(header_values).encode("latin-1")
    if draw(st.booleans()):
        cookie = draw(st.sampled_from(["fd_attr", "fd_vid", "session", "fd_staff"]))
        headers["cookie"] = f"{cookie}=".encode() + draw(header_values).encode("latin-1").replace(b";", b"")
    if draw(st.integers(0, 4)) == 0:
        headers["x-forwarded-for"] = draw(header_values).encode("latin-1")
    return headers


# ---- the invariant ----------------------------------------------------------------------------------------


def snapshot(client: Any) -> tuple[int, ...]:
    app = client.app

    async def counts() -> tuple[int, ...]:
        async with app.state.services.db.read() as conn:
            return tuple(
                [(await conn.execute(sa.select(sa.func.count()).select_from(t))).scalar_one() for t in WATCHED]
            )

    uploads_dir: Path = app.state.services.settings.uploads_dir
    files = len(list(uploads_dir.iterdir())) if uploads_dir.exists() else 0
    return (*client.portal.call(counts), files)


def send(client: Any, test: str, method: str, path: str, body: bytes, headers: dict[str, bytes]) -> None:
    before = snapshot(client)
    r = client.request(method, path, content=body, headers=headers)
    after = snapshot(client)
    STATS["cases"][test] += 1
    STATS["status"][r.status_code] += 1
    assert r.status_code < 500, (r.status_code, r.text[:500])
    text = r.content.decode("utf-8", "replace")
    assert "Traceback" not in text and 'File "/' not in text
    if 400 <= r.status_code < 500:
        assert after == before, f"{r.status_code} for rejected input, yet something was stored: {before} -> {after}"


CONTENT_TYPES = st.sampled_from(
    [
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=latin-1",
        "application/json",
        "text/plain",
        "",
        "multipart/form-data",
        "application/x-www-form-urlencoded; boundary=\x7f",
    ]
)

# ---- the endpoints ------------------------------------------------------------------------------------------


def hostile_token(client: Any, path: str, draw: Any) -> bytes:
    """Mostly the page's real token; now and then one with a hostile part (a forged or odd token is spam)."""
    real = token(client, path)
    if draw(st.integers(0, 3)):
        return real.encode()
    stamp, _, sig = real.partition(".")
    odd = draw(hostile)
    kind = draw(st.sampled_from(["stamp", "sig", "whole"]))
    made = f"{odd}.{sig}" if kind == "stamp" else f"{stamp}.{odd}" if kind == "sig" else odd
    return made.encode("utf-8", "surrogatepass")


def lead_base(client: Any, draw: Any = None) -> dict[str, bytes]:
    return {
        "_t": hostile_token(client, "/request-info", draw) if draw else token(client).encode(),
        "name": b"Ada Lovelace",
        "email": b"ada@example.com",
        "interest": b"business",
        "message": b"Please call me.",
        "consent": b"yes",
        "page": b"/offices",
        "fax": b"",
    }


@given(data=st.data())
def test_request_info(client, data):
    pairs = data.draw(mutated(lead_base(client, data.draw)))
    ctype = data.draw(CONTENT_TYPES)
    body = urlencoded(pairs, raw=data.draw(st.integers(0, 7)) == 0)
    headers = {"content-type": ctype.encode("latin-1"), **data.draw(extra_headers())}
    send(client, "request_info", "POST", "/request-info", body, headers)


@given(data=st.data())
def test_apply(client, data):
    base = {
        "_t": hostile_token(client, f"/careers/{JOB}/apply", data.draw),
        "name": b"Grace Hopper",
        "email": b"grace@example.com",
        "phone": b"605 555 0123",
        "consent": b"yes",
    }
    body, ctype = data.draw(multipart(data.draw(mutated(base))))
    slug = data.draw(st.sampled_from([JOB, JOB, JOB, "summer-claims-assistant", "nope", "%00", "a%2fb"]))
    headers = {"content-type": ctype.encode("latin-1"), **data.draw(extra_headers())}
    send(client, "apply", "POST", f"/careers/{slug}/apply", body, headers)


@given(data=st.data())
def test_feedback(client, data):
    base = {
        "_t": hostile_token(client, "/customer-care", data.draw),  # a page whose kind asks "Was this helpful?"
        "page": b"/customer-care",
        "helpful": b"no",
        "reason": b"other",
        "fax": b"",
    }
    pairs = data.draw(mutated(base))
    if data.draw(st.booleans()):
        body, ctype = data.draw(multipart(pairs))
    else:
        body, ctype = urlencoded(pairs, raw=data.draw(st.integers(0, 7)) == 0), data.draw(CONTENT_TYPES)
    headers = {"content-type": ctype.encode("latin-1"), **data.draw(extra_headers())}
    send(client, "feedback", "POST", "/feedback", body, headers)


def post_routes(app: Any) -> list[str]:
    return sorted({r.path for r in app.routes if isinstance(r, Route) and r.methods and "POST" in r.methods})


@given(data=st.data())
def test_every_post_route(client, data):
    """Every POST route the app has, including ones added after this suite was written (staff, comments)."""
    route = data.draw(st.sampled_from(post_routes(client.app)))
    path = re.sub(
        r"\{[^}]+\}", lambda _: data.draw(st.sampled_from([JOB, "sioux-falls-agency", "x", "%ff", "1"])), route
    )
    pairs = data.draw(st.lists(st.tuples(names, values), max_size=12))
    if data.draw(st.booleans()):
        body, ctype = data.draw(multipart(pairs))
    else:
        body, ctype = urlencoded(pairs, raw=data.draw(st.booleans())), data.draw(CONTENT_TYPES)
    headers = {"content-type": ctype.encode("latin-1"), **data.draw(extra_headers())}
    send(client, "every_post_route", "POST", path, body, headers)


@given(data=st.data())
def test_raw_bodies(client, data):
    """Bytes that are not a form at all, under every content type, to every form endpoint."""
    path = data.draw(st.sampled_from(["/request-info", f"/careers/{JOB}/apply", "/feedback", *post_routes(client.app)]))
    body = data.draw(
        st.one_of(st.binary(max_size=3000), huge, st.sampled_from([b"{}", b"[]", b'{"name": ["a", "b"]}']))
    )
    ctype = data.draw(st.one_of(CONTENT_TYPES, st.just("multipart/form-data; boundary=x")))
    headers = {"content-type": ctype.encode("latin-1"), **data.draw(extra_headers())}
    send(client, "raw_bodies", "POST", path, body, headers)


@given(data=st.data())
def test_methods_paths_and_queries(client, data):
    method = data.draw(st.sampled_from(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "FOO"]))
    known = ["/", "/request-info", "/feedback", f"/careers/{JOB}/apply", "/careers", "/offices", "/files/resume/x"]
    path = data.draw(
        st.one_of(
            st.sampled_from(known),
            st.binary(min_size=1, max_size=60).map(lambda b: "/" + quote_from_bytes(b, safe="/")),
        )
    )
    query = data.draw(st.binary(max_size=80)).replace(b"#", b"")
    url = path + ("?" + quote_from_bytes(query, safe="=&") if query else "")
    headers = data.draw(extra_headers())
    send(client, "methods_paths_queries", method, url, b"", headers)


QUERY_NAMES = [
    "page", "count", "notice", "state", "type", "kind", "email", "range", "from", "to", "sort", "dir", "status",
    "path", "action", "office", "department", "expires", "sig", "feedback", "q", "id", "limit", "cursor",
]  # fmt: skip


def get_routes(app: Any) -> list[str]:
    return sorted({r.path for r in app.routes if isinstance(r, Route) and r.methods and "GET" in r.methods})


@given(data=st.data())
def test_hostile_queries_on_every_get_route_signed_in(staff_client, data):
    """Every GET route, public and staff (signed in as an admin), with hostile query values and path parts."""
    client = staff_client("admin")
    route = data.draw(st.sampled_from(get_routes(client.app)))
    path = re.sub(
        r"\{[^}]+\}",
        lambda _: quote_from_bytes(
            data.draw(st.one_of(hostile, st.sampled_from([JOB, "1", "x"]))).encode("utf-8", "surrogatepass"), safe=""
        ),
        route,
    )
    params = data.draw(st.lists(st.tuples(st.sampled_from(QUERY_NAMES), hostile), max_size=5))
    query = "&".join(
        quote_from_bytes(k.encode(), safe="") + "=" + quote_from_bytes(v.encode("utf-8", "surrogatepass"), safe="")
        for k, v in params
    )
    send(client, "hostile_queries", "GET", path + ("?" + query if query else ""), b"", {})


@given(data=st.data())
def test_hostile_resume_links(client, data):
    upload = data.draw(st.one_of(hostile, st.just("some-upload-id")))
    expires, sig = data.draw(hostile), data.draw(st.one_of(hostile, st.just("x" * 43)))
    url = "/files/resume/" + quote_from_bytes(upload.encode("utf-8", "surrogatepass"), safe="")
    url += f"?expires={quote_from_bytes(expires.encode('utf-8', 'surrogatepass'), safe='')}"
    url += f"&sig={quote_from_bytes(sig.encode('utf-8', 'surrogatepass'), safe='')}"
    send(client, "hostile_resume_links", "GET", url, b"", {})
