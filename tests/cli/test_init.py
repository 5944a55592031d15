"""The first run of a new user: what `pip install` brings, `python -m frontdesk`, `frontdesk init`, the wheel.

The README's first command once failed on every fresh machine (SQLAlchemy's async engine needs greenlet,
which only the `asyncio` extra installs) while the test suite passed, because a test extra happened to pull
greenlet in. So the dependency list is checked against the code's own imports here, and `.ci/run` repeats
the README's first command in a fresh venv without extras before anything else.
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from frontdesk.cli import init as sitefolder
from frontdesk.content import load_content

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "frontdesk"


def _top_level_imports(root: Path) -> set[str]:
    names: set[str] = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"frontdesk", "__future__"}


def _base_requirements() -> dict[str, Requirement]:
    requirements = [Requirement(r) for r in importlib.metadata.requires("frontdesk") or []]
    base = [r for r in requirements if r.marker is None]
    return {r.name.lower().replace("_", "-"): r for r in base}


def test_every_imported_distribution_is_a_base_dependency():
    """Each third-party module the package imports (lazily or not) comes from a dependency without extras."""
    declared = _base_requirements()
    providers = importlib.metadata.packages_distributions()
    missing = {}
    for module in sorted(_top_level_imports(SRC)):
        dists = {d.lower().replace("_", "-") for d in providers.get(module, [])}
        if not dists & set(declared):
            missing[module] = sorted(dists) or ["(not installed)"]
    assert not missing, f"imported but not in [project].dependencies: {missing}"


def test_sqlalchemy_brings_its_asyncio_extra():
    """greenlet: without it `create_async_engine` fails at the first query, after the server has started."""
    assert "asyncio" in _base_requirements()["sqlalchemy"].extras


def test_python_dash_m_frontdesk_is_the_frontdesk_command():
    result = subprocess.run(
        [sys.executable, "-m", "frontdesk", "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"frontdesk {importlib.metadata.version('frontdesk')}"


def _frontdesk(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")}
    return subprocess.run(
        [sys.executable, "-m", "frontdesk", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=clean | (env or {}),
        timeout=120,
        check=False,
    )


def test_init_makes_a_site_that_checks(tmp_path):
    result = _frontdesk("init", "site", "--name", 'Acme: "Best" Agency', cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    site = tmp_path / "site"
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()) == [
        ".env",
        "README.md",
        "content/careers/customer-service-representative.md",
        "content/offices/main-office.md",
        "content/pages/privacy.md",  # the policy the consent names: a new site must have one to check
        "content/posts/welcome.md",
        "content/site.yaml",
    ]
    assert (site / ".env").stat().st_mode & 0o777 == 0o600  # it holds the secret key
    assert "FRONTDESK_SECRET_KEY=" in (site / ".env").read_text()
    content = load_content(site / "content")
    assert content.site.name == 'Acme: "Best" Agency'  # quoted safely into YAML
    assert len(content.offices) == len(content.jobs) == len(content.posts) == 1

    checked = _frontdesk("check", cwd=site)
    assert checked.returncode == 0, checked.stderr
    assert f"content: {site.resolve() / 'content'}" in checked.stdout
    assert "secret_key = (set)" in checked.stdout  # from the new .env
    assert checked.stdout.rstrip().endswith("ok")


def test_the_new_job_is_open_for_ninety_days():
    import datetime as dt

    files = sitefolder.render("X", dt.date(2026, 12, 1), "k" * 40)
    job = files["content/careers/customer-service-representative.md"]
    assert "date_posted: 2026-12-01" in job and "valid_through: 2027-03-01" in job


@pytest.mark.parametrize("case", ["not empty", "a file", "unwritable", "under a file"])
def test_init_refuses_with_one_line_and_writes_nothing(tmp_path, case):
    if case == "not empty":
        target = tmp_path / "site"
        target.mkdir()
        (target / "notes.txt").write_text("mine")
    elif case == "a file":
        target = tmp_path / "site"
        target.write_text("mine")
    elif case == "unwritable":
        target = Path("/proc/frontdesk-new-site")  # refused even to root
    else:
        (tmp_path / "plain").write_text("mine")
        target = tmp_path / "plain" / "site"
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    result = _frontdesk("init", str(target), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("frontdesk: ")
    assert "Traceback" not in result.stderr
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before


def test_init_undoes_a_half_written_site(tmp_path, monkeypatch):
    """A failure after some files were written (a full disk) leaves the folder as it was."""
    real_fdopen = os.fdopen
    calls = {"n": 0}

    def failing_fdopen(fd: int, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            os.close(fd)
            raise OSError(28, "No space left on device")
        return real_fdopen(fd, *args, **kwargs)

    monkeypatch.setattr(sitefolder.os, "fdopen", failing_fdopen)
    with pytest.raises(sitefolder.InitRefused, match="No space left"):
        sitefolder.create(tmp_path / "site")
    assert not (tmp_path / "site").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(url: str, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    import httpx2

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited with {proc.returncode}: {proc.communicate()[0]}")
        try:
            if httpx2.get(url, timeout=2).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer 200 within {timeout} s")


@pytest.mark.slow
def test_the_wheel_serves_a_new_site_outside_the_checkout(tmp_path):
    """`pip wheel .`, installed into a fresh venv far from the checkout: init, check and serve all work."""
    import httpx2

    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
        check=True,
        timeout=600,
        capture_output=True,
    )
    (wheel,) = wheels.glob("frontdesk-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", str(wheel)], check=True, timeout=600, capture_output=True
    )
    frontdesk = str(venv / "bin" / "frontdesk")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FRONTDESK_", "PYTHON"))}
    work = tmp_path / "elsewhere"
    work.mkdir()
    run = dict(capture_output=True, text=True, env=clean, timeout=120, check=False)
    created = subprocess.run([frontdesk, "init", "agency"], cwd=work, **run)  # type: ignore[call-overload]
    assert created.returncode == 0, created.stderr
    site = work / "agency"
    checked = subprocess.run([frontdesk, "check"], cwd=site, **run)  # type: ignore[call-overload]
    assert checked.returncode == 0, checked.stderr
    port = _free_port()
    server = subprocess.Popen(
        [frontdesk, "serve", "--port", str(port)],
        cwd=site,
        env=clean,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_ready(f"http://127.0.0.1:{port}/readyz", server)
        home = httpx2.get(f"http://127.0.0.1:{port}/", timeout=10)
        assert home.status_code == 200 and "Your Agency" in home.text
        css = httpx2.get(f"http://127.0.0.1:{port}/static/css/site.css", timeout=10)  # static files are packaged
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    finally:
        server.terminate()
        server.communicate(timeout=30)
    assert (site / "var" / "frontdesk.db").is_file()  # the packaged migrations ran
