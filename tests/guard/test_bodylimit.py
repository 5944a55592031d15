"""Body caps and slow bodies: 413 without reading past the limit, 408 for stalls, never a 5xx."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from frontdesk.app import create_app
from frontdesk.guard.bodylimit import APPLY_LIMIT, FORM_LIMIT, BodyLimitMiddleware, declared_length
from support import LiveServer, read_response, run_async

calls: list[str] = []


def _with_echo(app):
    async def echo(request):
        calls.append(request.url.path)
        body = await request.body()
        return PlainTextResponse(f"got {len(body)}")

    app.router.routes.append(Route("/_echo", echo, methods=["POST"]))
    return app


@pytest.fixture
def echo_app(make_settings, clock):
    calls.clear()
    return _with_echo(create_app(make_settings(body_timeout_seconds=0.5), clock=clock))


@pytest.fixture
def echo_client(echo_app):
    with TestClient(echo_app, follow_redirects=False) as c:
        yield c


def test_limits_by_path():
    mw = BodyLimitMiddleware(lambda *a: None)
    assert mw.limit_for("/request-info") == FORM_LIMIT == 64 * 1024
    # The transport cap sits above the résumé limit (10 MB), so an over-limit résumé comes back as the form.
    assert mw.limit_for("/careers/licensed-insurance-agent/apply") == APPLY_LIMIT == 32 * 1024 * 1024
    assert mw.limit_for("/careers/a/b/apply") == FORM_LIMIT


def test_a_body_at_the_limit_passes(echo_client):
    r = echo_client.post("/_echo", content=b"x" * FORM_LIMIT)
    assert r.status_code == 200 and r.text == f"got {FORM_LIMIT}"


def test_declared_too_large_is_refused_before_the_view_runs(echo_client):
    r = echo_client.post("/_echo", content=b"x" * (FORM_LIMIT + 1))
    assert r.status_code == 413
    assert calls == []
    assert "larger than we accept" in r.text and "<main" in r.text
    assert r.headers["connection"] == "close"


def test_streamed_body_without_content_length_gets_413(echo_client):
    def chunks():
        for _ in range(100):
            yield b"y" * 4096  # 400 KiB in all, no Content-Length: chunked

    r = echo_client.post("/_echo", content=chunks())
    assert r.status_code == 413
    assert "larger than we accept" in r.text


def test_apply_path_accepts_more(echo_client):
    r = echo_client.post(
        "/careers/licensed-insurance-agent/apply", files={"resume": ("cv.txt", b"z" * (FORM_LIMIT * 4))}
    )
    assert r.status_code == 422  # past the body cap, on to the form's own checks (the form is incomplete)
    r = echo_client.post("/careers/licensed-insurance-agent/apply", content=b"z" * (APPLY_LIMIT + 1))
    assert r.status_code == 413 and "10 MB" in r.text and "11 MB" not in r.text  # one limit, the résumé's
    assert 'href="/careers/licensed-insurance-agent/apply">Back to the application form</a>' in r.text


def test_an_over_limit_resume_below_the_transport_cap_reaches_the_form(echo_client):
    r = echo_client.post(
        "/careers/licensed-insurance-agent/apply",
        data={"name": "Grace Hopper"},
        files={"resume": ("scan.pdf", b"%PDF-1.7\n" + b"0" * (12 * 1024 * 1024))},
    )
    assert r.status_code == 422 and "Your résumé is larger than 10 MB" in r.text and 'value="Grace Hopper"' in r.text


def test_json_clients_get_json(echo_client):
    r = echo_client.post("/_echo", content=b"x" * (FORM_LIMIT + 1), headers={"Accept": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == "Too large"


@pytest.mark.parametrize("value", ["abc", "-1", "1,2", "１２", "99999999999999999999999"])
def test_malformed_content_length_is_a_400(value):
    from starlette.datastructures import Headers
    from starlette.exceptions import HTTPException

    with pytest.raises(HTTPException) as info:
        declared_length(Headers(raw=[(b"content-length", value.encode())]))
    assert info.value.status_code == 400


def test_repeated_equal_content_length_is_fine():
    from starlette.datastructures import Headers

    assert declared_length(Headers(raw=[(b"content-length", b"5"), (b"content-length", b"5")])) == 5
    assert declared_length(Headers(raw=[])) is None


class Recorder:
    """A bare ASGI harness: feeds body chunks and records what the middleware sends."""

    def __init__(self, chunks, *, stall_after: int | None = None):
        self.chunks = list(chunks)
        self.stall_after = stall_after
        self.sent: list[dict] = []
        self.pulled = 0

    async def receive(self):
        if self.stall_after is not None and self.pulled >= self.stall_after:
            await asyncio.sleep(3600)
        if self.pulled < len(self.chunks):
            self.pulled += 1
            return {
                "type": "http.request",
                "body": self.chunks[self.pulled - 1],
                "more_body": self.pulled < len(self.chunks),
            }
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(self, message):
        self.sent.append(message)


def _scope(path="/x", headers=()):
    return {"type": "http", "method": "POST", "path": path, "headers": list(headers), "query_string": b""}


async def _reader(scope, receive, send):
    total = 0
    while True:
        message = await receive()
        total += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    await PlainTextResponse(str(total))(scope, receive, send)


def test_stops_pulling_chunks_once_past_the_limit():
    rec = Recorder([b"a" * 1000] * 50)
    mw = BodyLimitMiddleware(_reader, default_limit=2500, limits=())
    run_async(lambda: mw(_scope(), rec.receive, rec.send))
    assert rec.pulled == 3  # 3000 bytes > 2500: the fourth chunk is never asked for
    assert rec.sent[0]["status"] == 413


def test_a_lying_small_content_length_makes_no_difference():
    rec = Recorder([b"a" * 1000] * 5)
    mw = BodyLimitMiddleware(_reader, default_limit=2500, limits=())
    run_async(lambda: mw(_scope(headers=[(b"content-length", b"10")]), rec.receive, rec.send))
    assert rec.sent[0]["status"] == 413


def test_a_stalled_body_times_out_with_408():
    rec = Recorder([b"a" * 10] * 5, stall_after=2)
    mw = BodyLimitMiddleware(_reader, idle_timeout=0.2, limits=())
    started = time.monotonic()
    run_async(lambda: mw(_scope(), rec.receive, rec.send))
    assert rec.sent[0]["status"] == 408
    assert time.monotonic() - started < 2


def test_total_deadline_catches_a_trickle():
    class Trickle(Recorder):
        async def receive(self):
            await asyncio.sleep(0.05)
            self.pulled += 1
            return {"type": "http.request", "body": b"a", "more_body": True}

    rec = Trickle([])
    mw = BodyLimitMiddleware(_reader, idle_timeout=1, total_timeout=0.3, limits=())
    run_async(lambda: mw(_scope(), rec.receive, rec.send))
    assert rec.sent[0]["status"] == 408
    assert 3 <= rec.pulled < 20


def test_after_the_body_receive_waits_without_a_timeout():
    # Streaming responses listen for http.disconnect after the body: that wait must not 408.
    async def app(scope, receive, send):
        await receive()
        message = await asyncio.wait_for(receive(), 1.0)
        await PlainTextResponse(message["type"])(scope, receive, send)

    class Once(Recorder):
        async def receive(self):
            self.pulled += 1
            if self.pulled == 1:
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.sleep(0.4)
            return {"type": "http.disconnect"}

    rec = Once([])
    run_async(lambda: BodyLimitMiddleware(app, idle_timeout=0.1, limits=())(_scope(), rec.receive, rec.send))
    assert rec.sent[0]["status"] == 200 and rec.sent[1]["body"] == b"http.disconnect"


# ---- through a real uvicorn and a raw socket: chunked bodies, stalls, well-formed answers ---------------


@pytest.mark.slow
def test_real_server_chunked_oversize_body_gets_a_well_formed_413(echo_app):
    with LiveServer(echo_app) as server:
        port = int(server.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(
                b"POST /_echo HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
                b"Content-Type: application/octet-stream\r\n\r\n"
            )
            chunk = b"q" * 8192
            try:
                for _ in range(64):  # 512 KiB, far past the 64 KiB cap
                    sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sock.sendall(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server may close once it has answered
            response = read_response(sock)
    head = response.split(b"\r\n\r\n", 1)[0]
    assert head.startswith(b"HTTP/1.1 413"), head
    assert b"content-type: text/html" in head.lower()


@pytest.mark.slow
def test_real_server_stalled_body_gets_408(echo_app):
    with LiveServer(echo_app) as server:
        port = int(server.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"POST /_echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\nonly a little")
            started = time.monotonic()
            response = read_response(sock)
    assert response.startswith(b"HTTP/1.1 408"), response[:200]
    assert time.monotonic() - started < 5
