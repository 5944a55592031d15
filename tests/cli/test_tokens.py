"""`frontdesk tokens`: make, list and revoke the API tokens integrations pull `/api/v1` with."""

from __future__ import annotations

import concurrent.futures
import re
from typing import Any

import pytest
from starlette.testclient import TestClient

from frontdesk import cli
from frontdesk.app import create_app
from frontdesk.db import tables
from support import db_rows


def main(argv: list[str]) -> int:
    """`frontdesk ARGS` in-process (it calls asyncio.run, so in a thread too)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(cli.main, argv).result()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Any:
    monkeypatch.setenv("FRONTDESK_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("FRONTDESK_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("FRONTDESK_CONTENT_DIR", str(settings.content_dir))
    monkeypatch.setenv("FRONTDESK_SECRET_KEY", settings.secret_key)
    return monkeypatch


def test_a_token_made_on_the_command_line_pulls_until_it_is_revoked(env, settings, clock, capsys):
    assert main(["tokens"]) == 0 and "no API tokens" in capsys.readouterr().out
    assert main(["tokens", "create", "  Nightly   CRM import "]) == 0
    out = capsys.readouterr().out
    token = re.search(r"^(fd_[A-Za-z0-9_-]{43})$", out, re.M).group(1)  # type: ignore[union-attr]
    assert "token 1 for Nightly CRM import (shown once" in out
    assert main(["tokens", "list"]) == 0
    listed = capsys.readouterr().out
    assert "Nightly CRM import  [live]" in listed and "by cli, last used never" in listed and token not in listed

    with TestClient(create_app(settings, clock=clock)) as client:
        bearer = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/v1/submissions", headers=bearer).status_code == 200
        assert main(["tokens", "revoke", "1"]) == 0
        assert "revoked token 1 (Nightly CRM import)" in capsys.readouterr().out
        assert client.get("/api/v1/submissions", headers=bearer).status_code == 401

    assert main(["tokens", "revoke", "1"]) == 2
    assert "there is no live API token 1" in capsys.readouterr().err
    actions = [r.action for r in db_rows(settings.database_url, tables.audit)]
    assert actions.count("api_token.create") == 1 and actions.count("api_token.revoke") == 1


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "tab\x07bell"])
def test_a_name_that_cannot_label_a_token_is_refused_in_one_line(env, capsys, name):
    assert main(["tokens", "create", name]) == 2
    err = capsys.readouterr().err
    assert "Name the integration in 1 to 100 characters." in err and "Traceback" not in err
