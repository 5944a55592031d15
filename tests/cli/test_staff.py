"""`frontdesk staff ...`: add, list, disable, enable and set-password, run as real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from frontdesk.app import create_app
from support import STAFF_PASSWORD, sign_in

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli(tmp_path, database_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")} | {
        "FRONTDESK_CONTENT_DIR": str(ROOT / "content"),
        "FRONTDESK_DATA_DIR": str(tmp_path / "data"),
        "FRONTDESK_DATABASE_URL": database_url,
    }

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "frontdesk", "staff", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=60,
        )

    return run


def test_add_list_disable_enable_and_set_password(cli, settings, clock):
    added = cli("add", "Boss@Example.com", "--role", "admin", "--password-stdin", stdin=STAFF_PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "added boss@example.com as admin"
    assert cli("add", "v@example.com", "--role", "viewer", "--password-stdin", stdin=STAFF_PASSWORD).returncode == 0
    listing = cli("list")
    assert listing.returncode == 0
    lines = listing.stdout.splitlines()
    assert lines[0].split() == ["email", "role", "state", "created"]
    assert lines[1].split()[:3] == ["boss@example.com", "admin", "active"]
    assert lines[2].split()[:3] == ["v@example.com", "viewer", "active"]
    assert STAFF_PASSWORD not in listing.stdout and "argon2" not in listing.stdout

    with TestClient(create_app(settings, clock=clock), follow_redirects=False) as client:
        assert sign_in(client, "boss@example.com").status_code == 303
        assert client.get("/staff/audit").status_code == 200

        assert cli("disable", "boss@example.com").returncode == 0
        assert "disabled" in cli("list").stdout
        assert client.get("/staff").status_code == 303  # its session ended
        assert sign_in(client, "boss@example.com").status_code == 401

        assert cli("enable", "boss@example.com").returncode == 0
        assert sign_in(client, "boss@example.com").status_code == 303

        new = "a brand new passphrase"
        changed = cli("set-password", "boss@example.com", "--password-stdin", stdin=new + "\r\n")
        assert changed.returncode == 0, changed.stderr
        assert client.get("/staff").status_code == 303  # sessions end with a new password
        assert sign_in(client, "boss@example.com").status_code == 401
        assert sign_in(client, "boss@example.com", new).status_code == 303
        audit = client.get("/staff/audit").text
        for label in ("Added a staff account", "Disabled a staff account", "Enabled a staff account", "Set a password"):
            assert label in audit
        assert ">cli<" in audit


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("add", "x@example.com", "--role", "admin", "--password-stdin"), "too short\n", "at least 12 characters"),
        (("add", "not-an-email", "--role", "admin", "--password-stdin"), STAFF_PASSWORD, "not a valid email"),
        (("add", "x@example.com", "--role", "admin"), "", "use --password-stdin"),
        (("disable", "ghost@example.com"), "", "no staff account for ghost@example.com"),
        (("set-password", "ghost@example.com", "--password-stdin"), STAFF_PASSWORD, "no staff account"),
    ],
)
def test_mistakes_exit_2_with_one_line(cli, args, stdin, message):
    result = cli(*args, stdin=stdin)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0


def test_adding_twice_is_refused(cli):
    assert cli("add", "a@example.com", "--role", "viewer", "--password-stdin", stdin=STAFF_PASSWORD).returncode == 0
    again = cli("add", "A@example.com", "--role", "admin", "--password-stdin", stdin=STAFF_PASSWORD)
    assert again.returncode == 2 and "already exists" in again.stderr


def test_an_unmigrated_sqlite_database_is_migrated_first(tmp_path):
    """The embedded default just works: `staff list` on a brand-new SQLite file brings its schema up to date."""
    env_db = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "frontdesk", "staff", "list"],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")}
        | {"FRONTDESK_DATABASE_URL": env_db, "FRONTDESK_DATA_DIR": str(tmp_path / "d")},
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "no staff accounts yet" in result.stdout


def test_an_unmigrated_postgresql_database_gets_a_hint(tmp_path):
    """On PostgreSQL the schema is the operator's decision: one line pointing at `frontdesk migrate`."""
    from support import PG_URL, empty_pg_database, need

    if not PG_URL:
        need("PostgreSQL tests need FRONTDESK_TEST_DATABASE_URL")
    url = empty_pg_database(PG_URL, "unmigrated")
    result = subprocess.run(
        [sys.executable, "-m", "frontdesk", "staff", "list"],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")}
        | {"FRONTDESK_DATABASE_URL": url, "FRONTDESK_DATA_DIR": str(tmp_path / "d")},
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 2
    assert "frontdesk migrate" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_unlock_lifts_the_pauses_of_an_account(cli, settings):
    """Wrong passwords pause sign-in from the address they came from; `staff unlock` lifts that, audited."""
    assert cli("add", "ann@example.com", "--role", "admin", "--password-stdin", stdin=STAFF_PASSWORD).returncode == 0
    with TestClient(create_app(settings), follow_redirects=False) as client:
        for _ in range(5):
            sign_in(client, "ann@example.com", "wrong password!")
        assert sign_in(client, "ann@example.com").status_code == 401
        assert "paused from 1" in cli("list").stdout
        lifted = cli("unlock", "ann@example.com")
        assert (
            lifted.returncode == 0 and lifted.stdout.strip() == "lifted sign-in pauses for ann@example.com (1 address)"
        )
        assert sign_in(client, "ann@example.com").status_code == 303
    missing = cli("unlock", "nobody@example.com")
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
