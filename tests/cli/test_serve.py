"""Settings from the environment, and the `frontdesk` command's behaviour on good and bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from frontdesk.settings import Settings, SettingsError, ensure_secret_key

ROOT = Path(__file__).resolve().parents[2]


def test_defaults():
    s = Settings.from_env({})
    assert s.env == "development"
    assert s.content_dir == Path("content") and s.data_dir == Path("var")
    assert s.database_url == "sqlite+aiosqlite:///var/frontdesk.db"
    assert s.retry_schedule[0] == 0 and s.retry_schedule[-1] == 86400


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("ENV", "staging", "FRONTDESK_ENV"),
        ("DATABASE_URL", "mysql://x", "FRONTDESK_DATABASE_URL"),
        ("PUBLIC_URL", "not a url", "FRONTDESK_PUBLIC_URL"),
        ("RUN_WORKER", "maybe", "FRONTDESK_RUN_WORKER"),
        ("RETRY_SCHEDULE", "1,x", "FRONTDESK_RETRY_SCHEDULE"),
        ("WEBHOOK_TIMEOUT", "-1", "FRONTDESK_WEBHOOK_TIMEOUT"),
        ("CRM_WEBHOOK_SECRET", "plain", "FRONTDESK_CRM_WEBHOOK_SECRET"),
        ("RATE_LIMIT_REQUEST_INFO", "lots", "FRONTDESK_RATE_LIMIT_REQUEST_INFO"),
    ],
)
def test_invalid_values_name_the_variable(name, value, fragment):
    with pytest.raises(SettingsError) as info:
        Settings.from_env({f"FRONTDESK_{name}": value})
    message = str(info.value)
    assert fragment in message and "\n" not in message


def test_development_secret_is_generated_once(tmp_path):
    s = Settings.from_env({"FRONTDESK_DATA_DIR": str(tmp_path)})
    first = ensure_secret_key(s).secret_key
    assert len(first) >= 32
    assert ensure_secret_key(s).secret_key == first
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_production_requires_a_secret(tmp_path):
    s = Settings.from_env({"FRONTDESK_ENV": "production", "FRONTDESK_DATA_DIR": str(tmp_path)})
    with pytest.raises(SettingsError, match="FRONTDESK_SECRET_KEY is required"):
        ensure_secret_key(s)


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")}
    full.update(env)
    return subprocess.run(
        [sys.executable, "-m", "frontdesk", *args], capture_output=True, text=True, env=full, cwd=cwd, timeout=60
    )


def test_cli_version(tmp_path):
    r = _run(["--version"], {}, tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("frontdesk ")


def test_cli_bad_setting_exits_2_with_one_line(tmp_path):
    r = _run(["check"], {"FRONTDESK_ENV": "staging"}, tmp_path)
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "FRONTDESK_ENV" in r.stderr
    assert "Traceback" not in r.stderr


def test_cli_check_reports_content_and_warns_without_crm(tmp_path):
    env = {"FRONTDESK_CONTENT_DIR": str(ROOT / "content"), "FRONTDESK_DATA_DIR": str(tmp_path / "var")}
    r = _run(["check"], env, tmp_path)
    assert r.returncode == 0, r.stderr
    assert "offices: 2" in r.stdout and "careers:" in r.stdout
    assert "warning: FRONTDESK_CRM_WEBHOOK_URL is not set" in r.stdout
    assert "test-secret" not in r.stdout


def test_cli_check_names_invalid_content(tmp_path, content_dir):
    office = content_dir / "offices/sioux-falls-agency.md"
    office.write_text(office.read_text().replace("latitude: 43.51043", "latitude: 43.5"))
    env = {"FRONTDESK_CONTENT_DIR": str(content_dir), "FRONTDESK_DATA_DIR": str(tmp_path / "var")}
    r = _run(["check"], env, tmp_path)
    assert r.returncode == 2
    assert "offices/sioux-falls-agency.md: geo.latitude: give at least 5 decimals" in r.stderr
    assert "Traceback" not in r.stderr


def test_serve_refuses_invalid_content(tmp_path, content_dir):
    (content_dir / "site.yaml").write_text("name: [")
    env = {"FRONTDESK_CONTENT_DIR": str(content_dir), "FRONTDESK_DATA_DIR": str(tmp_path / "var")}
    r = _run(["serve", "--port", "0"], env, tmp_path)
    assert r.returncode == 2 and "site.yaml" in r.stderr and "Traceback" not in r.stderr


def test_serve_starts_quickly_and_serves(tmp_path):
    """`frontdesk serve` migrates, starts and answers; start-up time is printed for the record."""
    import socket
    import time

    import httpx2

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")} | {
        "FRONTDESK_CONTENT_DIR": str(ROOT / "content"),
        "FRONTDESK_DATA_DIR": str(tmp_path / "var"),
    }
    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "frontdesk", "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = start + 20
        while time.monotonic() < deadline:
            try:
                r = httpx2.get(f"http://127.0.0.1:{port}/readyz", timeout=1)
                if r.status_code == 200:
                    break
            except httpx2.TransportError:
                time.sleep(0.05)
        else:
            pytest.fail("server did not become ready")
        elapsed = time.monotonic() - start
        print(f"frontdesk serve ready in {elapsed:.2f}s")
        assert httpx2.get(f"http://127.0.0.1:{port}/offices/sioux-falls-agency").status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        proc.stderr.close()


def test_cli_check_fails_when_the_consent_names_a_policy_without_a_page(tmp_path, content_dir):
    (content_dir / "pages/privacy.md").unlink()
    env = {"FRONTDESK_CONTENT_DIR": str(content_dir), "FRONTDESK_DATA_DIR": str(tmp_path / "var")}
    r = _run(["check"], env, tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "site.yaml: privacy_policy_version: no page has policy_version '2026-09-01'" in r.stderr


def test_cli_check_lists_pages_and_warns_before_security_txt_expires(tmp_path, content_dir):
    import datetime as dt

    env = {"FRONTDESK_CONTENT_DIR": str(content_dir), "FRONTDESK_DATA_DIR": str(tmp_path / "var")}
    site = content_dir / "site.yaml"
    demo = site.read_text()

    def expires_in(days: int) -> None:
        when = (dt.datetime.now(dt.UTC) + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
        site.write_text(demo.replace("expires: 2027-10-31T23:59:59Z", f"expires: {when}"))

    expires_in(200)
    r = _run(["check"], env, tmp_path)
    assert r.returncode == 0 and "pages: 3 (/about, /accessibility, /privacy)" in r.stdout
    assert "privacy policy: /privacy (version 2026-09-01)" in r.stdout and "security_txt" not in r.stdout
    expires_in(10)
    r = _run(["check"], env, tmp_path)
    assert r.returncode == 0 and "warning: site.yaml: security_txt.expires: expires on" in r.stdout
