"""Serving: content reload (in process, by watching, by SIGHUP to a real server) and the start-up migration check."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from frontdesk.app import create_app
from frontdesk.content import reload

ROOT = Path(__file__).resolve().parents[2]
OFFICE = "/offices/sioux-falls-agency"
NAME = "name: Sioux Falls Agency Office"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def office_file(content_dir: Path) -> Path:
    return content_dir / "offices" / "sioux-falls-agency.md"


def wait_for(check, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def test_reload_swaps_the_content_and_the_etag(make_settings, clock, content_dir):
    app = create_app(make_settings(content_dir=content_dir), clock=clock)
    with TestClient(app) as client:
        before = client.get(OFFICE)
        assert "Sioux Falls Agency Office" in before.text
        old_version = app.state.services.content.current.version
        edit(office_file(content_dir), NAME, "name: Willow Avenue Office")
        assert client.portal.call(app.state.services.content.reload) is True
        after = client.get(OFFICE)
        assert "Willow Avenue Office" in after.text and "Sioux Falls Agency Office" not in after.text
        assert app.state.services.content.current.version != old_version
        assert after.headers["etag"] != before.headers["etag"]
        stale = client.get(OFFICE, headers={"If-None-Match": before.headers["etag"]})
        assert stale.status_code == 200  # the old ETag no longer matches: browsers get the new page


def test_invalid_content_keeps_the_old_content_serving(make_settings, clock, content_dir, caplog):
    app = create_app(make_settings(content_dir=content_dir), clock=clock)
    with TestClient(app) as client:
        etag = client.get(OFFICE).headers["etag"]
        content = app.state.services.content.current
        edit(office_file(content_dir), "latitude: 43.51043", "latitude: 43.5")
        with caplog.at_level(logging.ERROR, logger="frontdesk.reload"):
            assert client.portal.call(app.state.services.content.reload) is False
        assert app.state.services.content.current is content
        assert client.get(OFFICE, headers={"If-None-Match": etag}).status_code == 304
        assert "Sioux Falls Agency Office" in client.get(OFFICE).text
    messages = [r.getMessage() for r in caplog.records]
    assert any("still serving version" in m for m in messages)
    assert any("offices/sioux-falls-agency.md: geo.latitude: give at least 5 decimals" in m for m in messages)


def test_watching_the_content_dir_reloads_on_change(make_settings, clock, content_dir, monkeypatch):
    monkeypatch.setattr(reload, "POLL_SECONDS", 0.05)
    app = create_app(make_settings(content_dir=content_dir, reload_content=True), clock=clock)
    with TestClient(app) as client:
        assert "Sioux Falls Agency Office" in client.get(OFFICE).text
        edit(office_file(content_dir), NAME, "name: Watched Office")
        wait_for(lambda: "Watched Office" in client.get(OFFICE).text)
        (content_dir / "careers" / "new-role.md").write_text(
            (content_dir / "careers" / "licensed-insurance-agent.md")
            .read_text()
            .replace("slug: licensed-insurance-agent", "slug: new-role")
        )
        wait_for(lambda: client.get("/careers/new-role").status_code == 200)


def test_snapshot_sees_added_changed_and_removed_files(content_dir):
    first = reload.snapshot(content_dir)
    assert (
        "site.yaml",
        (content_dir / "site.yaml").stat().st_size,
        (content_dir / "site.yaml").stat().st_mtime_ns,
    ) in first
    (content_dir / "offices" / "extra.md").write_text("x")
    assert reload.snapshot(content_dir) != first
    (content_dir / "offices" / "extra.md").unlink()
    assert reload.snapshot(content_dir) == first


def test_at_head_checks_without_alembic(tmp_path, sqlite_template):
    from frontdesk.db.migrate import at_head

    assert at_head(f"sqlite+aiosqlite:///{sqlite_template}") is True
    assert at_head(f"sqlite+aiosqlite:///{tmp_path / 'missing.db'}") is False
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    assert at_head(f"sqlite+aiosqlite:///{empty}") is False
    assert not (tmp_path / "missing.db").exists()  # the check never creates a database


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_sighup_reloads_a_running_server(tmp_path, content_dir):
    import httpx2 as httpx

    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")}
    env.update(
        FRONTDESK_CONTENT_DIR=str(content_dir),
        FRONTDESK_DATA_DIR=str(tmp_path / "data"),
        FRONTDESK_PUBLIC_URL=f"http://127.0.0.1:{port}",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH", "")])),
    )
    log = tmp_path / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "frontdesk", "serve", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}{OFFICE}"

    def page() -> str:
        try:
            return httpx.get(url, timeout=5).text
        except httpx.TransportError:
            return ""

    try:
        wait_for(lambda: "Sioux Falls Agency Office" in page(), timeout=30)
        edit(office_file(content_dir), NAME, "name: Renamed By Signal")
        proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "Renamed By Signal" in page())

        edit(office_file(content_dir), "latitude: 43.51043", "latitude: 43.5")
        proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "give at least 5 decimals" in log.read_text())
        assert "Renamed By Signal" in page()  # still serving the last good content
        assert proc.poll() is None
    finally:
        proc.terminate()
        # uvicorn shuts down gracefully, then re-raises the SIGTERM it caught.
        assert proc.wait(timeout=30) in (0, -signal.SIGTERM)
    text = log.read_text()
    assert "content reloaded" in text
    assert "offices/sioux-falls-agency.md: geo.latitude: give at least 5 decimals" in text
    assert "Traceback" not in text
