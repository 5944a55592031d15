"""The CLI package: `frontdesk --version` loads none of the site, and its copies of constants stay in step."""

from __future__ import annotations

import json
import subprocess
import sys


def _modules_after(code: str) -> list[str]:
    script = f"import sys\n{code}\nimport json; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    return list(json.loads(out.stdout))


def test_version_imports_only_the_cli():
    """Building the parser (all that `--version` needs) must not import the app, the database or a web area."""
    loaded = _modules_after("from frontdesk.cli import build_parser\nbuild_parser()")
    ours = [m for m in loaded if m.startswith("frontdesk")]
    heavy = {"sqlalchemy", "starlette", "jinja2", "pydantic", "httpx2", "alembic", "uvicorn"}
    assert not heavy & {m.split(".")[0] for m in loaded}
    assert set(ours) <= {
        "frontdesk",
        "frontdesk.cli",
        "frontdesk.cli.backup",
        "frontdesk.cli.base",
        "frontdesk.cli.delivery",
        "frontdesk.cli.endpoints",
        "frontdesk.cli.init",
        "frontdesk.cli.privacy",
        "frontdesk.cli.serve",
        "frontdesk.cli.staff",
        "frontdesk.cli.tokens",
        "frontdesk.clock",
        "frontdesk.settings",
        "frontdesk.storage",
    }, ours


def test_the_clis_copies_of_constants_match_their_homes():
    from frontdesk.cli import delivery, staff
    from frontdesk.delivery import outbox
    from frontdesk.staff import accounts

    assert delivery.DEFAULT_CONCURRENCY == outbox.DEFAULT_CONCURRENCY
    assert staff.ROLES == accounts.ROLES


def test_version_is_fast_to_answer():
    """Not timed (timings belong in bench/): counted. The number of modules Python loads for --version."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "frontdesk", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    loaded = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    ours = {m for m in loaded if m == "frontdesk" or m.startswith("frontdesk.")}
    assert len(ours) <= 14, sorted(ours)  # one per command module, none of the site (32 before the CLI package)
    assert json.dumps(result.stdout.strip()).startswith('"frontdesk ')
