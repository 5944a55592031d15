"""Request shape: malformed Host, oversized headers and cookies, odd methods and paths, through real uvicorn."""

from __future__ import annotations

import contextlib
import socket

import pytest

from frontdesk.app import create_app
from frontdesk.db import tables
from frontdesk.guard.request_shape import check_headers
from support import LiveServer, db_rows, read_response


def status_of(headers: list[tuple[bytes, bytes]]) -> int | None:
    problem = check_headers(headers)
    return None if problem is None else problem.status_code


def test_header_checks():
    assert status_of([(b"host", b"example.com")]) is None
    assert status_of([(b"host", b"127.0.0.1:8000")]) is None
    assert status_of([(b"host", b"[::1]:8000")]) is None
    assert status_of([]) is None  # HTTP/1.0 without Host
    assert status_of([(b"host", b"")]) == 400
    assert status_of([(b"host", b"a"), (b"host", b"b")]) == 400
    assert status_of([(b"host", b"[::1")]) == 400
    assert status_of([(b"host", b"evil.com/path")]) == 400
    assert status_of([(b"host", b"a b")]) == 400
    assert status_of([(b"host", b"\xc3\xa9x.com")]) == 400
    assert status_of([(b"host", b"x" * 300)]) == 400
    assert status_of([(b"x-big", b"a" * 9000)]) == 431
    assert status_of([(f"x-{i}".encode(), b"a" * 4000) for i in range(9)]) == 431
    assert status_of([(f"x-{i}".encode(), b"a") for i in range(101)]) == 431


def test_a_malformed_referer_is_ignored_not_a_500(client):
    for path in ("/", "/request-info", "/offices"):
        r = client.get(path, headers={"Referer": "http://[oops/"})
        assert r.status_code == 200, path
    r = client.post("/request-info", data={"name": "x"}, headers={"Referer": "http://[oops/"})
    assert r.status_code == 422


def _raw(port: int, request: bytes, timeout: float = 10) -> bytes:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(request)
        return read_response(sock, timeout)


def _req(method: bytes, path: bytes, *headers: bytes, body: bytes = b"") -> bytes:
    lines = [method + b" " + path + b" HTTP/1.1", *headers, b"Connection: close"]
    if body:
        lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


FORM = b"Content-Type: application/x-www-form-urlencoded"
LEAD = b"name=Ada&email=ada%40example.com&interest=business&message=Hi&consent=yes"

CASES = {
    "huge header": (_req(b"GET", b"/", b"Host: x", b"X-Big: " + b"a" * 200_000), 431),
    "huge cookie": (_req(b"GET", b"/request-info", b"Host: x", b"Cookie: fd_attr=" + b"a" * 60_000), 431),
    "many headers": (_req(b"GET", b"/", b"Host: x", *(b"X-%d: y" % i for i in range(500))), 431),
    "huge header on a form post": (
        _req(b"POST", b"/request-info", b"Host: x", FORM, b"X-Big: " + b"a" * 50_000, body=LEAD),
        431,
    ),
    "unclosed ipv6 host": (_req(b"GET", b"/", b"Host: [::1"), 400),
    "host with a path": (_req(b"POST", b"/request-info", b"Host: evil.com/x?y", FORM, body=LEAD), 400),
    "host with spaces": (_req(b"GET", b"/", b"Host: a b<script>"), 400),
    "non-ascii host": (_req(b"GET", b"/", b"Host: \xc3\xa9x.com"), 400),
    "two hosts": (_req(b"POST", b"/request-info", b"Host: a", b"Host: b", FORM, body=LEAD), 400),
    "unknown method": (_req(b"PROPFIND", b"/request-info", b"Host: x"), 405),
    "delete a page": (_req(b"DELETE", b"/", b"Host: x"), 405),
    "invalid method token": (_req(b"G(T", b"/", b"Host: x"), 400),
    "unknown path": (_req(b"POST", b"/wp-login.php", b"Host: x", FORM, body=LEAD), 404),
    "encoded nul in path": (_req(b"GET", b"/%00/%ff/..%2f..%2fetc", b"Host: x"), 404),
    "very long path": (_req(b"GET", b"/" + b"a" * 100_000, b"Host: x"), 400),
    "bad content-length": (_req(b"POST", b"/request-info", b"Host: x", b"Content-Length: 12abc"), 400),
    "content-length and chunked": (
        _req(b"POST", b"/request-info", b"Host: x", b"Content-Length: 3", b"Transfer-Encoding: chunked") + b"0\r\n\r\n",
        400,
    ),
    "non-utf8 headers": (
        _req(b"GET", b"/", b"Host: x", b"Referer: http://\xff/", b"Cookie: fd_attr=\xff\xfe", b"Accept: \xff"),
        200,
    ),
}


@pytest.mark.slow
def test_bad_requests_through_real_uvicorn_get_clear_4xx(make_settings, clock):
    settings = make_settings()
    app = create_app(settings, clock=clock)
    results = {}
    with LiveServer(app) as server:
        port = int(server.url.rsplit(":", 1)[1])
        for name, (request, _) in CASES.items():
            response = _raw(port, request)
            head = response.split(b"\r\n", 1)[0]
            results[name] = (int(head.split()[1]) if head.startswith(b"HTTP/1.1 ") else None, response)
        # The server still serves ordinary requests afterwards.
        ok = _raw(port, _req(b"GET", b"/offices", b"Host: x"))
    for name, (_, expected_status) in CASES.items():
        status, response = results[name]
        assert status == expected_status, (name, response[:300])
        assert b"Traceback" not in response
        if status in (400, 405, 404, 431) and b"content-type: text/html" in response.lower():
            assert b"<main" in response  # rendered in the site's layout, not a bare error
    assert ok.startswith(b"HTTP/1.1 200")
    assert db_rows(settings.database_url, tables.submissions) == []
