"""Fixtures only (helpers are in `support.py`): a fresh site per test, on real SQLite and real PostgreSQL.

- `settings` builds test settings: a temp data dir, the demo content, no time trap, generous rate limits,
  no in-process worker unless a test asks for one.
- `database_url` is parametrized: every test that touches the database runs on SQLite, and again on
  PostgreSQL when FRONTDESK_TEST_DATABASE_URL is set (`.ci/run` sets it). Each test starts from an empty,
  fully migrated schema.
- `client` is Starlette's TestClient (httpx2 underneath) running the lifespan.
- `clock` is a settable clock injected into the app for expiry tests.
- `live_server`, `browser` and `page`: a real uvicorn, and real headless Chromium.
- `staff_client(role)` signs the `client` in as a staff user of that role.
- `receiver`: a real webhook receiver on 127.0.0.1 (`receiver.py`).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from starlette.testclient import TestClient

from frontdesk.app import create_app
from frontdesk.settings import Settings
from receiver import receiver  # noqa: F401  (a fixture)
from relay import relay  # noqa: F401  (a fixture)
from support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DEMO_CONTENT,
    FUZZ_STATS,
    PG_URL,
    STAFF_PASSWORD,
    TEST_SECRET,
    FakeClock,
    LiveServer,
    add_staff,
    in_thread,
    need,
    run_async,
    sign_in,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate one SQLite file per session; each test copies it (much faster than migrating per test)."""
    from frontdesk.db.migrate import migrate

    path = tmp_path_factory.mktemp("template") / "frontdesk.db"
    in_thread(migrate, f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_migrated() -> str:
    from frontdesk.db.migrate import migrate

    _reset_pg_schema(PG_URL)
    in_thread(migrate, PG_URL)
    return PG_URL


def _reset_pg_schema(url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    async def run() -> None:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()

    run_async(run)


def _truncate_pg(url: str) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    from frontdesk.db.tables import metadata

    async def run() -> None:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            names = ", ".join(t.name for t in metadata.sorted_tables)
            await conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        await engine.dispose()

    run_async(run)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "frontdesk.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite+aiosqlite:///{path}"
    if not PG_URL:
        need("PostgreSQL tests need FRONTDESK_TEST_DATABASE_URL (e.g. postgresql+asyncpg://postgres@127.0.0.1/test)")
    url: str = request.getfixturevalue("pg_migrated")
    _truncate_pg(url)
    return url


@pytest.fixture
def make_settings(tmp_path: Path, database_url: str, media_cache: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        base = Settings(
            env="development",
            content_dir=DEMO_CONTENT,
            data_dir=tmp_path / "data",
            database_url=database_url,
            secret_key=TEST_SECRET,
            public_url="http://testserver",
            run_worker=False,
            form_min_seconds=0,
            rate_limits={k: "1000/minute" for k in Settings().rate_limits},
            media_dir_override=media_cache,
        )
        return base.with_overrides(**overrides)

    return make


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
def app(settings: Settings, clock: FakeClock) -> Any:
    return create_app(settings, clock=clock)


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as c:
        yield c


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """A writable copy of the demo content, for tests that break or change it."""
    target = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, target)
    return target


@pytest.fixture
def live_server(make_settings: Callable[..., Settings], clock: FakeClock) -> Iterator[LiveServer]:
    """A real server; its public URL is its own address, so absolute links point back at it."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = make_settings(public_url=f"http://127.0.0.1:{port}")
    app = create_app(settings, clock=clock)
    server = LiveServer(app)
    server.server.config.port = port
    server.database_url = settings.database_url
    with server as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        need(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need("browser tests need playwright (pip install -e '.[test]')")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser page that records console errors and CSP violations in `page.problems`."""
    context = browser.new_context()
    pg = context.new_page()
    problems: list[str] = []
    pg.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    pg.problems = problems
    yield pg
    context.close()


@pytest.fixture(scope="session")
def media_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One image-variant cache for the whole session: the demo pictures are encoded once, not once per app."""
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory: pytest.TempPathFactory, media_cache: Path, staff_password_hash: str) -> Iterator[Any]:
    """The demo site after some use, served for the whole session (the quality bars read it, never change it)."""
    from support import DemoSite

    with DemoSite(tmp_path_factory.mktemp("demo-site"), media_cache, staff_password_hash) as site:
        yield site


@pytest.fixture(scope="session")
def staff_password_hash() -> str:
    """One Argon2id hash per test session: hashing costs ~0.2 s, so tests share it."""
    from frontdesk.staff.passwords import hash_password

    return hash_password(STAFF_PASSWORD)


@pytest.fixture
def staff_client(client: TestClient, staff_password_hash: str) -> Callable[..., TestClient]:
    """`staff_client("viewer" | "admin")` signs `client` in as viewer@staff.example / admin@staff.example
    (created on first use) and returns it; calling it again with another role signs in as that user."""

    def signed_in(role: str = "admin", email: str | None = None) -> TestClient:
        email = email or f"{role}@staff.example"
        add_staff(client, email, role, staff_password_hash)
        client.cookies.clear()
        response = sign_in(client, email)
        assert response.status_code == 303, response.text
        return client

    return signed_in


# ---- hypothesis: the fuzz suite's budget ------------------------------------------------------------------
# `HYPOTHESIS_PROFILE=ci` (set by .ci/run) runs the full budget: 700 cases per fuzz test, over 5,000 on each
# database and over 10,000 in all. Locally the default "dev" profile keeps a run short. The generated app is shared by the cases
# of one test on purpose (a fresh site per case would be far too slow), hence the suppressed health check.
_FUZZ_COMMON: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
}
hypothesis_settings.register_profile("ci", max_examples=700, print_blob=True, **_FUZZ_COMMON)
hypothesis_settings.register_profile("dev", max_examples=40, **_FUZZ_COMMON)
# "hunt": a long search before a release, since CI draws new cases each run and once found what 3 runs missed.
hypothesis_settings.register_profile("hunt", max_examples=6000, print_blob=True, **_FUZZ_COMMON)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """After a run that included the fuzz suite: how many cases ran, and what they got."""
    if sum(FUZZ_STATS["cases"].values()):
        total = sum(FUZZ_STATS["cases"].values())
        terminalreporter.write_sep("-", f"fuzz: {total} generated requests")
        for test, n in sorted(FUZZ_STATS["cases"].items()):
            terminalreporter.write_line(f"  {test}: {n}")
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(FUZZ_STATS["status"].items()))
        terminalreporter.write_line(f"  statuses: {statuses}")
