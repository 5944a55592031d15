"""`frontdesk backup` under write load, and `frontdesk restore` into an empty data dir: every row and file back."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest

from support import DEMO_CONTENT, PDF, TEST_SECRET

ROOT = Path(__file__).resolve().parents[2]
JOB = "/careers/licensed-insurance-agent/apply"


def env_for(data: Path, **extra: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")} | {
        "FRONTDESK_CONTENT_DIR": str(DEMO_CONTENT),
        "FRONTDESK_DATA_DIR": str(data),
        "FRONTDESK_FORM_MIN_SECONDS": "0",
        "FRONTDESK_RATE_LIMIT_REQUEST_INFO": "100000/minute",
        "FRONTDESK_RATE_LIMIT_APPLY": "100000/minute",
        "FRONTDESK_RUN_WORKER": "false",
        "FRONTDESK_LOG_LEVEL": "warning",
        **extra,
    }


def frontdesk(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "frontdesk", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _token(client: httpx2.Client, base: str, path: str) -> str:
    import re

    found = re.search(r'name="_t" value="([^"]+)"', client.get(base + path).text)
    assert found is not None
    return found.group(1)


@pytest.mark.slow
def test_a_backup_under_write_load_restores_every_row_and_file(tmp_path):
    data = tmp_path / "site-data"
    env = env_for(data, FRONTDESK_SECRET_KEY="")  # the development key, generated into the data dir
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "frontdesk", "serve", "--port", str(port)], env=env, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    accepted: list[str] = []
    stop = threading.Event()

    def keep_posting() -> None:
        with httpx2.Client(timeout=10, trust_env=False) as client:
            i = 0
            while not stop.is_set():
                marker = f"backup-lead-{i}"
                lead = {"name": "Backup Test", "email": f"b{i}@example.com", "interest": "auto", "message": marker}
                r = client.post(
                    f"{base}/request-info", data={**lead, "consent": "yes", "_t": _token(client, base, "/request-info")}
                )
                if r.status_code == 303:
                    accepted.append(marker)
                if i % 5 == 0:
                    fields = {"name": "Grace", "email": f"g{i}@example.com", "phone": "605 555 0123", "consent": "yes"}
                    client.post(
                        base + JOB,
                        data={**fields, "_t": _token(client, base, JOB)},
                        files={"resume": (f"cv{i}.pdf", PDF, "application/pdf")},
                    )
                i += 1

    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx2.get(f"{base}/readyz", timeout=1, trust_env=False).status_code == 200:
                    break
            except httpx2.HTTPError:
                pass
            assert time.monotonic() < deadline and server.poll() is None
            time.sleep(0.1)
        poster = threading.Thread(target=keep_posting)
        poster.start()
        while len(accepted) < 20:
            time.sleep(0.05)
        before_backup = list(accepted)
        backup_dir = tmp_path / "backup"
        made = frontdesk("backup", str(backup_dir), env=env, cwd=tmp_path)  # while the posts go on
        assert made.returncode == 0, made.stderr
        time.sleep(0.3)
        stop.set()
        poster.join(timeout=30)
    finally:
        stop.set()
        server.terminate()
        server.wait(timeout=30)

    manifest = json.loads((backup_dir / "manifest.json").read_text())
    assert stat.S_IMODE(backup_dir.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in backup_dir.rglob("*") if p.is_file()} == {0o600}
    assert manifest["database"]["kind"] == "sqlite" and manifest["uploads"]

    restored = tmp_path / "restored-data"
    renv = env_for(restored, FRONTDESK_SECRET_KEY="")
    back = frontdesk("restore", str(backup_dir), env=renv, cwd=tmp_path)
    assert back.returncode == 0, back.stderr
    with sqlite3.connect(restored / "frontdesk.db") as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        counts = {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
        messages = {json.loads(r[0]).get("message") for r in conn.execute("SELECT data FROM submissions")}
        uploads = list(conn.execute("SELECT stored_name, sha256 FROM uploads"))
    assert counts == manifest["database"]["tables"]  # every row of the consistent copy
    assert set(before_backup) <= messages  # every lead thanked before the backup began
    assert uploads and all(
        hashlib.sha256((restored / "uploads" / name).read_bytes()).hexdigest() == digest for name, digest in uploads
    )
    assert (restored / "secret_key").read_text() == (data / "secret_key").read_text()
    assert stat.S_IMODE((restored / "secret_key").stat().st_mode) == 0o600
    assert frontdesk("check", env=renv, cwd=tmp_path).returncode == 0


def _small_site(tmp_path: Path) -> tuple[dict[str, str], Path]:
    data = tmp_path / "data"
    env = env_for(data, FRONTDESK_SECRET_KEY=TEST_SECRET)
    assert frontdesk("migrate", env=env, cwd=tmp_path).returncode == 0
    return env, data


def test_backup_refuses_a_folder_that_is_not_empty(tmp_path):
    env, _ = _small_site(tmp_path)
    full = tmp_path / "full"
    full.mkdir()
    (full / "x").write_text("mine")
    r = frontdesk("backup", str(full), env=env, cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "not an empty folder" in r.stderr
    assert [p.name for p in full.iterdir()] == ["x"]


def test_restore_refuses_a_data_dir_in_use_and_a_damaged_backup(tmp_path):
    env, _ = _small_site(tmp_path)
    assert frontdesk("backup", str(tmp_path / "b"), env=env, cwd=tmp_path).returncode == 0
    in_use = frontdesk("restore", str(tmp_path / "b"), env=env, cwd=tmp_path)
    assert in_use.returncode == 2 and "already exists" in in_use.stderr
    fresh = env_for(tmp_path / "fresh", FRONTDESK_SECRET_KEY=TEST_SECRET)
    with (tmp_path / "b" / "frontdesk.db").open("ab") as f:
        f.write(b"tampered")
    damaged = frontdesk("restore", str(tmp_path / "b"), env=fresh, cwd=tmp_path)
    assert damaged.returncode == 2 and "damaged" in damaged.stderr
    assert not (tmp_path / "fresh").exists()  # nothing written
    nothing = frontdesk("restore", str(tmp_path / "nowhere"), env=fresh, cwd=tmp_path)
    assert nothing.returncode == 2 and "not a Frontdesk backup" in nothing.stderr


def test_on_postgresql_the_backup_says_to_use_pg_dump(tmp_path, database_url):
    if database_url.startswith("sqlite"):
        env, _ = _small_site(tmp_path)
        r = frontdesk("backup", str(tmp_path / "b"), env=env, cwd=tmp_path)
        assert r.returncode == 0 and "database" in r.stdout
        return
    env = env_for(tmp_path / "data", FRONTDESK_SECRET_KEY=TEST_SECRET, FRONTDESK_DATABASE_URL=database_url)
    r = frontdesk("backup", str(tmp_path / "b"), env=env, cwd=tmp_path)
    assert r.returncode == 0 and "pg_dump" in r.stdout
    manifest: dict[str, Any] = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["database"]["kind"] == "postgresql" and manifest["secret_key"]
