"""`frontdesk init DIR`: a new site folder that a person can edit, check and serve.

Frontdesk ships with the demo agency's content in its own repository, which is no use to an agency that
installed it from a wheel. `create(path)` writes a small, valid site instead::

    DIR/.env                     a generated secret key and the settings most sites change, commented
    DIR/README.md                what to edit, and the two commands
    DIR/content/site.yaml        the agency
    DIR/content/offices/...      one office
    DIR/content/careers/...      one job, open for 90 days from today
    DIR/content/posts/...        one article

Run from DIR, `frontdesk check` and `frontdesk serve` find all of it with the default settings
(`FRONTDESK_CONTENT_DIR=content`, `FRONTDESK_DATA_DIR=var`).

The files are the templates under `cli/skeleton/`, with `${...}` placeholders filled in. Nothing is
ever overwritten: a folder that exists and is not empty, or a path that is a file, is refused before a byte
is written, and a failure half-way (a full disk) removes what was written, so the folder is as it was.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import secrets
import string
from pathlib import Path

from frontdesk.cli.base import CommandError
from frontdesk.settings import Settings

SKELETON = Path(__file__).parent / "skeleton"
OPEN_DAYS = 90
MAX_NAME = 100


class InitRefused(Exception):
    """The folder cannot become a new site; the message says why, in one line."""


def _yaml_text(value: str) -> str:
    """`value` safe inside a double-quoted YAML scalar (JSON's escaping is a subset of YAML's)."""
    return json.dumps(value, ensure_ascii=False)[1:-1]


def render(name: str, today: dt.date, secret_key: str) -> dict[str, str]:
    """Every file of the new site, by its path relative to the folder, with the placeholders filled in."""
    files: dict[str, str] = {}
    for source in sorted(p for p in SKELETON.rglob("*") if p.is_file()):
        rel = source.relative_to(SKELETON).as_posix()
        target = ".env" if rel == "env" else rel
        in_yaml = target.startswith("content/")
        values = {
            "site_name": _yaml_text(name) if in_yaml else name,
            "today": today.isoformat(),
            "valid_through": (today + dt.timedelta(days=OPEN_DAYS)).isoformat(),
            "secret_key": secret_key,
        }
        files[target] = string.Template(source.read_text(encoding="utf-8")).substitute(values)
    return files


def _check_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise InitRefused(f"--name must be 1 to {MAX_NAME} printable characters")
    return name


def create(path: Path, *, name: str = "Your Agency", today: dt.date | None = None) -> list[Path]:
    """Write a new site into `path` (created if missing, or empty); returns the files written."""
    name = _check_name(name)
    if path.exists() and not path.is_dir():
        raise InitRefused(f"{path} is a file: give a new or empty folder")
    if path.is_dir() and any(path.iterdir()):
        raise InitRefused(f"{path} is not empty: give a new or empty folder (nothing was written)")
    files = render(name, today or dt.date.today(), secrets.token_urlsafe(48))
    made: list[Path] = []  # folders this call created, parents first, so a failure can remove them
    written: list[Path] = []
    try:
        for rel, text in files.items():
            target = path / rel
            for folder in reversed([target.parent, *target.parent.parents]):
                if not folder.exists():
                    folder.mkdir()
                    made.append(folder)
            # The .env holds the secret key: only its owner may read it.
            mode = 0o600 if rel == ".env" else 0o644
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            written.append(target)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
    except OSError as exc:
        _undo(written, made)
        raise InitRefused(f"cannot write to {path}: {exc.strerror or exc} (nothing was kept)") from None
    return written


def _undo(written: list[Path], made: list[Path]) -> None:
    for target in reversed(written):
        target.unlink(missing_ok=True)
    for folder in reversed(made):
        with contextlib.suppress(OSError):  # not empty after all: leave it
            folder.rmdir()


def cmd_init(args: argparse.Namespace, settings: Settings) -> int:
    folder = Path(args.folder)
    try:
        create(folder, name=args.name)
    except InitRefused as exc:
        raise CommandError(str(exc)) from None
    print(f"created a new site in {folder}")
    print(f"next: cd {folder} && frontdesk check && frontdesk serve  (then edit content/ and .env)")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("init", help="create a new site folder to edit and serve (content, .env, README)")
    p.add_argument("folder", help="a new or empty folder")
    p.add_argument("--name", default="Your Agency", help="the agency's name, used in the new content")
    p.set_defaults(handler=cmd_init, needs_settings=False)
