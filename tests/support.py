"""Helpers shared by the tests: import them (`from support import ...`); `conftest.py` holds only fixtures.

- the environment: `PG_URL`, `REDIS_URL`, `STRICT` and `need()` (skip locally, fail in CI);
- time and threads: `FakeClock`, `run_async` and `run`;
- the database: `db_rows`, `read`, `write`, `empty_pg_database`;
- forms: `token` (the time-trap token of a form page) and `post_lead`;
- records: `accept_lead`, and `decide` (a moderation decision as the staff page makes it);
- staff: `STAFF_PASSWORD`, `add_staff`, `sign_in`, `in_app`;
- servers and browsers: `LiveServer`, `read_response` (a raw socket's answer), `FakeSiteverify` (Turnstile), `CHROMIUM`, `CHROMIUM_ARGS`;
- the quality bars (tests/quality/): `seed_demo` (staff, submissions, deliveries, spam, comments, votes), `DemoSite`,
  `public_paths` and `staff_paths` (every page the bars check), `QUALITY_TOOLS` and `need_quality_tools`;
- `FUZZ_STATS`, filled by the fuzz suite and summed up at the end of the run.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import json
import os
import re
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs

import pytest

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[1]
DEMO_CONTENT = ROOT / "content"
PG_URL = os.environ.get("FRONTDESK_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("FRONTDESK_TEST_REDIS_URL", "")
TEST_SECRET = "test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"
# .ci/run sets this: there, a test that would skip for a missing server or browser fails instead.
STRICT = os.environ.get("FRONTDESK_TEST_STRICT", "") not in ("", "0")
STAFF_PASSWORD = "correct horse battery staple"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# How many requests the fuzz suite generated, per test and per status; conftest prints it at the end.
FUZZ_STATS: dict[str, Counter[Any]] = {"cases": Counter(), "status": Counter()}


def need(reason: str) -> None:
    """Skip with a clear reason, or fail when every part is required (CI)."""
    if STRICT:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


class FakeClock:
    """A clock tests can move: `clock.advance(minutes=31)`."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def run_async(factory: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion on a fresh loop in a worker thread.

    A thread, because Playwright's sync API keeps an event loop running in the
    main thread once a browser test has started, and asyncio.run() refuses to
    nest inside it.
    """
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()  # type: ignore[arg-type]


def run(coro: Awaitable[T]) -> T:
    """`run_async` for a coroutine object that is already made."""
    return run_async(lambda: coro)


def in_thread(fn: Callable[..., T], *args: Any) -> T:
    """Call `fn(*args)` in a worker thread (Alembic's env calls asyncio.run(), as the CLI does)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args).result()


# -- the database ------------------------------------------------------------------------------------------


def db_rows(database_url: str, table: Any, *where: Any) -> list[Any]:
    """All rows of a table (optionally filtered), read through a throwaway engine."""
    import sqlalchemy as sa

    from frontdesk.db import Database

    async def go() -> list[Any]:
        db = Database(database_url)
        try:
            async with db.read() as conn:
                return list(await conn.execute(sa.select(table).where(*where)))
        finally:
            await db.dispose()

    return run_async(go)


async def write(db: Any, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
    """`await fn(conn, *args, **kwargs)` in one write transaction, as a view or command would run it."""
    async with db.write() as conn:
        return await fn(conn, *args, **kwargs)


async def read(db: Any, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
    """`await fn(conn, *args, **kwargs)` on a read connection."""
    async with db.read() as conn:
        return await fn(conn, *args, **kwargs)


def empty_pg_database(url: str, suffix: str) -> str:
    """A freshly created, empty PostgreSQL database next to the test database; returns its URL.

    Its name is the test database's plus `suffix`, so suites that run at once on their own databases
    (`test_a`, `test_b`) never share it.
    """
    import sqlalchemy as sa

    name = f"{sa.engine.make_url(url).database}_{suffix}"

    async def go() -> None:
        import asyncpg

        parsed = sa.engine.make_url(url)
        conn = await asyncpg.connect(
            host=parsed.host, port=parsed.port or 5432, user=parsed.username, database=parsed.database
        )
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    run_async(go)
    return str(sa.engine.make_url(url).set(database=name).render_as_string(hide_password=False))


# -- forms and records -------------------------------------------------------------------------------------


def token(client: Any, path: str = "/request-info") -> str:
    """The time-trap token (`_t`) of the form on `path`, as a browser would send it back."""
    found = re.search(r'name="_t" value="([^"]+)"', client.get(path).text)
    assert found is not None, f"no form token on {path}"
    return found.group(1)


LEAD_FIELDS = {
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "phone": "+1 605-555-0111",
    "company": "Analytical Engines",
    "interest": "business",
    "office": "sioux-falls-agency",
    "message": "Please call me about business cover.",
    "consent": "yes",
    "page": "/offices/sioux-falls-agency",
    "fax": "",
}


def post_lead(client: Any, *, headers: dict[str, Any] | None = None, **overrides: Any) -> Any:
    """POST a valid Request Info form (with a fresh token); `name=None` leaves a field out."""
    data: dict[str, Any] = {"_t": token(client), **LEAD_FIELDS, **overrides}
    return client.post("/request-info", data={k: v for k, v in data.items() if v is not None}, headers=headers)


async def accept_lead(db: Any, *, name: str = "Ada Lovelace", now: dt.datetime | None = None, **more: Any) -> Any:
    """Store a lead straight through `submissions.accept`, as the Request Info view does; returns `Accepted`."""
    from frontdesk.clock import utcnow
    from frontdesk.records import submissions

    return await submissions.accept(
        db,
        kind="lead",
        data={"name": name, "email": "ada@example.com"},
        email="ada@example.com",
        now=now or utcnow(),
        **more,
    )


async def decide(db: Any, comment_id: str, action: str, *, actor: str, now: Any) -> Any:
    """A staff moderation decision as `/staff/comments` makes it: the decision and its audit entry, one transaction."""
    from frontdesk import audit
    from frontdesk.records import moderation

    async with db.write() as conn:
        decision = await moderation.decide(conn, comment_id, action, actor=actor, now=now)
        if decision is not None:
            await audit.record(conn, at=now, actor=actor, action=f"comment.{action}", target=comment_id)
        return decision


# -- staff -------------------------------------------------------------------------------------------------


def in_app(client: Any, fn: Callable[..., Any], *args: Any) -> Any:
    """`await fn(app, *args)` on the app's own event loop, so a test can use the app's database directly."""

    async def call() -> Any:
        return await fn(client.app, *args)

    assert client.portal is not None, "use the client inside its `with` block (the `client` fixture is)"
    return client.portal.call(call)


def add_staff(client: Any, email: str, role: str, password_hash: str) -> None:
    """Create a staff account directly in the app's database (no-op if it exists)."""
    import sqlalchemy as sa

    from frontdesk.db import tables
    from frontdesk.staff import accounts

    async def create(app: Any) -> None:
        services = app.state.services
        async with services.db.write() as conn:
            found = (await conn.execute(sa.select(tables.staff.c.id).where(tables.staff.c.email == email))).first()
            if found is None:
                await accounts.create(conn, email, role, password_hash, now=services.clock())

    in_app(client, create)


def sign_in(client: Any, email: str, password: str = STAFF_PASSWORD) -> Any:
    return client.post("/staff/login", data={"email": email, "password": password})


# -- servers -----------------------------------------------------------------------------------------------


class LiveServer:
    """The app under a real uvicorn on 127.0.0.1, in a background thread."""

    def __init__(self, app: Any) -> None:
        import threading

        import uvicorn

        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = ""
        self.database_url = ""

    def __enter__(self) -> LiveServer:
        import time

        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("live server did not start")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


TURNSTILE_SITEKEY = "1x00000000000000000000AA"
TURNSTILE_SECRET = "1x0000000000000000000000000000000AA"


class FakeSiteverify:
    """Answers like Cloudflare's siteverify: tokens starting with "good" pass, others fail."""

    def __init__(self) -> None:
        self.calls: list[dict[str, list[str]]] = []
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                form = parse_qs(self.rfile.read(length).decode())
                outer.calls.append(form)
                ok = form.get("secret") == [TURNSTILE_SECRET] and form.get("response", [""])[0].startswith("good")
                body = {"success": ok, "error-codes": [] if ok else ["invalid-input-response"]}
                raw = json.dumps(body).encode() if outer.status == 200 else b"oops"
                self.send_response(outer.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/turnstile/v0/siteverify"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeSiteverify:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def read_response(sock: Any, timeout: float = 10) -> bytes:
    """Everything a raw socket receives until the server closes it (or `timeout` passes in silence)."""
    sock.settimeout(timeout)
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not chunk:
            break
        data += chunk
    return data


def make_pdf(change: Callable[[Any], None] | None = None, *, object_streams: bool = False) -> bytes:
    """A real one-page PDF made with pikepdf, after `change(pdf)` (to add an action, a script, a file...).

    With `object_streams`, objects are packed into compressed object streams, where a regex over the raw
    bytes cannot see a `/JavaScript`.
    """
    import io

    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(612, 792))
    if change is not None:
        change(pdf)
    out = io.BytesIO()
    mode = pikepdf.ObjectStreamMode.generate if object_streams else pikepdf.ObjectStreamMode.disable
    pdf.save(out, object_stream_mode=mode)
    return out.getvalue()


PDF = make_pdf()  # a plain résumé-like PDF, for the forms' tests


@contextlib.contextmanager
def from_address(client: Any, host: str, port: int = 40000) -> Iterator[Any]:
    """Requests of this TestClient come from `host` inside the block (another visitor, on the same app and loop).

    A second TestClient would run the app's lifespan a second time; this changes only the peer address the
    transport reports in the ASGI scope.
    """
    transport = client._transport  # httpx2's Client keeps the transport it was given
    before = transport.client
    transport.client = (host, port)
    try:
        yield client
    finally:
        transport.client = before


# -- the quality bars (tests/quality/) ---------------------------------------------------------------------

QUALITY_DIR = ROOT / "tests" / "quality"
QUALITY_TOOLS = QUALITY_DIR / "node_modules"


def need_quality_tools() -> Path:
    """The npm folder of Lighthouse, vnu-jar and axe-core (`npm ci` in tests/quality), or skip / fail in CI."""
    if not (QUALITY_TOOLS / "axe-core" / "axe.min.js").is_file() or not (QUALITY_TOOLS / "lighthouse").is_dir():
        need("the quality checks need their npm tools: cd tests/quality && npm ci")
    return QUALITY_TOOLS


async def seed_demo(database_url: str, now: dt.datetime, password_hash: str) -> dict[str, str]:
    """What a live site holds after some use: an admin, leads and applications with deliveries (one failed,
    one delivered), spam, comments awaiting moderation, feedback votes. Returns ids for the detail pages."""
    import sqlalchemy as sa

    from frontdesk.db import Database, tables
    from frontdesk.records import moderation, submissions, votes
    from frontdesk.staff import accounts

    db = Database(database_url)
    found: dict[str, str] = {}
    try:
        async with db.write() as conn:
            await accounts.create(conn, "admin@staff.example", "admin", password_hash, now=now)
        people = ["Ada Lovelace", "Grace Hopper", "Katherine Johnson", "Dorothy Vaughan", "Mary Jackson"]
        for i, name in enumerate(people):
            email = name.split()[0].lower() + "@example.com"
            accepted = await submissions.accept(
                db,
                kind="lead",
                data={"name": name, "email": email, "interest": "business", "message": "Please call me back."},
                email=email,
                now=now - dt.timedelta(hours=5 * i),
                spam_reason="honeypot" if i == 4 else None,
            )
            found.setdefault("submission", accepted.submission_id)
        async with db.write() as conn:
            rows = (await conn.execute(sa.select(tables.deliveries.c.id).order_by(tables.deliveries.c.id))).all()
            failed, delivered = rows[0].id, rows[1].id
            await conn.execute(
                tables.deliveries.update()
                .where(tables.deliveries.c.id == failed)
                .values(
                    state="failed", attempts=10, last_status=500, last_error="HTTP 500 from the CRM after 10 attempts"
                )
            )
            await conn.execute(
                tables.deliveries.update()
                .where(tables.deliveries.c.id == delivered)
                .values(state="delivered", attempts=1, last_status=200, delivered_at=now)
            )
            found["delivery"] = failed
        for i, name in enumerate(["Linus Reader", "Margaret Hamilton"]):
            new = moderation.NewComment(
                post="why-hospitals-belong-on-social-media",
                post_title="Why hospitals belong on social media",
                url="http://example.invalid/insights/why-hospitals-belong-on-social-media",
                name=name,
                email=f"reader{i}@example.com",
                website="",
                body="A clear article, thank you. How often should a clinic post?",
                visitor=None,
            )
            await moderation.store(db, new, now=now - dt.timedelta(minutes=30 * i), spam_reason=None)
        pages = ["/offices/sioux-falls-agency", "/customer-care", "/insights/why-hospitals-belong-on-social-media",
                 "/offices/sioux-falls-call-center", "/privacy"]  # fmt: skip
        for i, page in enumerate(pages):
            for v in range(3 + i):
                async with db.write() as conn:
                    await votes.record_vote(
                        conn,
                        page=page,
                        visitor=f"visitor{i}{v:02d}" + "0" * 12,
                        helpful=(v + i) % 3 != 0,
                        reason=None if (v + i) % 3 else "missing",
                        comment=None if (v + i) % 3 else "The Saturday hours were not clear to me.",
                        now=now - dt.timedelta(days=v),
                        submission_id=None,
                    )
    finally:
        await db.dispose()
    return found


class DemoSite:
    """The demo content on a seeded SQLite database under a real uvicorn, for the quality bars (one per session)."""

    def __init__(self, data_dir: Path, media_dir: Path, password_hash: str) -> None:
        import socket

        from frontdesk.app import create_app
        from frontdesk.db.migrate import migrate
        from frontdesk.settings import Settings

        self.database_url = f"sqlite+aiosqlite:///{data_dir / 'frontdesk.db'}"
        in_thread(migrate, self.database_url)
        self.ids = run(seed_demo(self.database_url, dt.datetime.now(dt.UTC), password_hash))
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        settings = Settings(
            content_dir=DEMO_CONTENT,
            data_dir=data_dir,
            database_url=self.database_url,
            secret_key=TEST_SECRET,
            public_url=f"http://127.0.0.1:{port}",
            run_worker=False,
            media_dir_override=media_dir,
        )
        self.app = create_app(settings)
        self.server = LiveServer(self.app)
        self.server.server.config.port = port
        self.url = ""

    def __enter__(self) -> DemoSite:
        self.server.__enter__()
        self.url = self.server.url
        services = self.app.state.services
        services.media.warm(services.content.current)  # every picture encoded before anything is measured
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.__exit__(*exc)

    def sign_in(self, page: Any) -> None:
        page.goto(self.url + "/staff/login")
        page.fill("#email", "admin@staff.example")
        page.fill("#password", STAFF_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/staff")


def public_paths(*, indexable_only: bool = False) -> list[str]:
    """Every public page: the sitemap's, and (unless `indexable_only`) the forms, thanks and error pages."""
    from frontdesk.clock import utcnow
    from frontdesk.content import load_content
    from frontdesk.public.crawlers import sitemap_paths

    content = load_content(DEMO_CONTENT)
    paths = sitemap_paths(content, utcnow().date())
    if indexable_only:
        return paths
    jobs = [p for p in paths if p.startswith("/careers/")]
    extra = [f"{jobs[0]}/apply", f"{jobs[0]}/apply/thanks", "/request-info/thanks", "/careers?type=internship",
             "/no-such-page", "/staff/login"]  # fmt: skip
    return paths + extra


def staff_paths(ids: dict[str, str]) -> list[str]:
    return [
        "/staff",
        "/staff/feedback?range=30d",
        "/staff/feedback/page?range=30d&path=/customer-care",
        "/staff/deliveries",
        f"/staff/deliveries/{ids['delivery']}",
        "/staff/submissions",
        f"/staff/submissions/{ids['submission']}",
        "/staff/spam",
        "/staff/comments",
        "/staff/audit",
        "/staff/reports/sources?range=30d",
        "/staff/reports/pages?range=30d",
        "/staff/integrations",
        "/staff/account",
    ]


def api_token(client: Any, name: str = "Acme CRM") -> str:
    """Make an API token as a signed-in admin does at /staff/integrations; returns the token shown once."""
    response = client.post("/staff/integrations", data={"name": name})
    assert response.status_code == 200
    found = re.search(r'<code class="token">(fd_[A-Za-z0-9_-]+)</code>', response.text)
    assert found is not None
    return found.group(1)


def api_get(client: Any, token: str, query: str = "") -> Any:
    """GET /api/v1/submissions with the token, as an integration does."""
    return client.get(f"/api/v1/submissions{query}", headers={"Authorization": f"Bearer {token}"})
