"""`frontdesk backup DEST` and `frontdesk restore SRC`: a consistent copy of a site's data, and its return.

    frontdesk backup /backups/2026-12-01      the database, the uploads and the secret key, with a manifest
    frontdesk restore /backups/2026-12-01     into an empty data dir

What a backup holds, in a new folder (0700, its files 0600: it holds people's data and the key):

- `frontdesk.db`: the embedded SQLite database, copied with SQLite's online backup API, page by page
  under its own read lock, so it is consistent while the site keeps taking submissions. (On PostgreSQL
  the database is not copied here: use `pg_dump`, see docs/deploy.md; the uploads and key still are.)
- `uploads/`: every stored résumé. The database is copied first: a row in the copy was committed after
  its file was written, so its file is there when the uploads are copied next.
- `secret_key`: the key that signs sessions, form tokens and résumé links; without it a restored site
  signs everyone out and every link it sent stops working.
- `manifest.json`: what the backup holds, each file with its size and SHA-256, the row count of every
  table, the schema revision and Frontdesk's version. `restore` checks every checksum before it writes
  anything.

`restore` only writes into a data dir that holds no database, uploads or key, so it can never overwrite a
live site. Nothing is printed about a person: counts and file names only.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from frontdesk import __version__
from frontdesk.cli.base import CommandError
from frontdesk.settings import Settings, ensure_secret_key
from frontdesk.storage import FILE_MODE, private_dir

MANIFEST = "manifest.json"
DATABASE = "frontdesk.db"
UPLOADS = "uploads"
KEY = "secret_key"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _entry(path: Path, root: Path) -> dict[str, Any]:
    return {"path": path.relative_to(root).as_posix(), "size": path.stat().st_size, "sha256": _sha256(path)}


def _sqlite_file(settings: Settings) -> Path | None:
    from frontdesk.db.engine import sqlite_path

    return sqlite_path(settings.database_url)


def _table_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    return {name: int(conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]) for name in names}  # noqa: S608


def _empty_folder(dest: Path) -> None:
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise CommandError(f"{dest} exists and is not an empty folder: give a new folder for the backup")


def backup(settings: Settings, dest: Path, *, now: dt.datetime) -> dict[str, Any]:
    """Write a backup of the site into the new folder `dest`; returns its manifest."""
    _empty_folder(dest)
    settings = ensure_secret_key(settings)
    private_dir(dest)
    manifest: dict[str, Any] = {
        "frontdesk": __version__,
        "created_at": now.isoformat(),
        "database": None,
        "uploads": [],
        "secret_key": None,
    }
    source = _sqlite_file(settings)
    if source is not None:
        if not source.exists():
            raise CommandError(f"there is no database at {source} to back up")
        target = dest / DATABASE
        with (
            contextlib.closing(sqlite3.connect(source, timeout=settings.db_lock_timeout)) as live,
            contextlib.closing(sqlite3.connect(target)) as copy,
        ):
            live.backup(copy)  # SQLite's online backup: consistent, while the site keeps writing
            counts = _table_counts(copy)
            revision = copy.execute("SELECT version_num FROM alembic_version").fetchone()
        target.chmod(FILE_MODE)
        manifest["database"] = {
            **_entry(target, dest),
            "kind": "sqlite",
            "tables": counts,
            "revision": revision[0] if revision else None,
        }
    else:
        manifest["database"] = {"kind": "postgresql", "note": "not in this backup: use pg_dump (docs/deploy.md)"}
    uploads = settings.uploads_dir
    if uploads.is_dir():
        private_dir(dest / UPLOADS)
        for path in sorted(p for p in uploads.iterdir() if p.is_file()):
            copied = dest / UPLOADS / path.name
            shutil.copyfile(path, copied)
            copied.chmod(FILE_MODE)
            manifest["uploads"].append(_entry(copied, dest))
    key = dest / KEY
    key.write_text(settings.secret_key + "\n")
    key.chmod(FILE_MODE)
    manifest["secret_key"] = _entry(key, dest)
    path = dest / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    path.chmod(FILE_MODE)
    return manifest


def _read_manifest(src: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((src / MANIFEST).read_text())
    except FileNotFoundError:
        raise CommandError(f"{src} is not a Frontdesk backup: it has no {MANIFEST}") from None
    except (OSError, ValueError) as exc:
        raise CommandError(f"{src / MANIFEST} cannot be read: {exc}") from None
    if not isinstance(manifest, dict) or "secret_key" not in manifest or "uploads" not in manifest:
        raise CommandError(f"{src / MANIFEST} is not a Frontdesk backup manifest")
    return manifest


def _verify(src: Path, manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """Every file the manifest names, checked against its size and checksum before anything is written."""
    entries = [*manifest["uploads"], manifest["secret_key"]]
    if manifest.get("database", {}).get("kind") == "sqlite":
        entries.append(manifest["database"])
    for entry in entries:
        path = src / entry["path"]
        if not path.is_file() or path.stat().st_size != entry["size"] or _sha256(path) != entry["sha256"]:
            raise CommandError(f"{path} does not match the backup's manifest: the backup is damaged")
    return entries


def restore(settings: Settings, src: Path) -> dict[str, Any]:
    """Restore the backup in `src` into the site's data dir, which must hold no data yet."""
    manifest = _read_manifest(src)
    _verify(src, manifest)
    database = manifest.get("database") or {}
    target = _sqlite_file(settings)
    if database.get("kind") == "sqlite" and target is None:
        raise CommandError("this backup holds an SQLite database, but FRONTDESK_DATABASE_URL is PostgreSQL")
    key_file = settings.data_dir / KEY
    existing = [p for p in (target, settings.uploads_dir, key_file) if p is not None and p.exists()]
    if existing:
        raise CommandError(f"{existing[0]} already exists: restore only into an empty data dir")
    private_dir(settings.data_dir)
    if database.get("kind") == "sqlite" and target is not None:
        private_dir(target.parent)
        shutil.copyfile(src / database["path"], target)
        target.chmod(FILE_MODE)
    if manifest["uploads"]:
        private_dir(settings.uploads_dir)
        for entry in manifest["uploads"]:
            copied = settings.uploads_dir / Path(entry["path"]).name
            shutil.copyfile(src / entry["path"], copied)
            copied.chmod(FILE_MODE)
    restored_key = (src / manifest["secret_key"]["path"]).read_text().strip()
    if settings.secret_key and settings.secret_key != restored_key:
        raise CommandError("FRONTDESK_SECRET_KEY differs from the backup's key: unset it, or set it to the backup's")
    if not settings.secret_key:
        key_file.write_text(restored_key + "\n")
        key_file.chmod(FILE_MODE)
    return manifest


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from frontdesk.clock import utcnow

    try:
        manifest = backup(settings, Path(args.dest), now=utcnow())
    except (OSError, sqlite3.Error) as exc:
        raise CommandError(f"the backup failed: {getattr(exc, 'strerror', None) or exc}") from None
    database = manifest["database"]
    rows = sum(database.get("tables", {}).values())
    what = f"database {rows} rows" if database["kind"] == "sqlite" else "no database (PostgreSQL: use pg_dump)"
    print(f"backed up to {args.dest}: {what}, {len(manifest['uploads'])} uploads, the secret key")
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    try:
        manifest = restore(settings, Path(args.src))
    except (OSError, sqlite3.Error) as exc:
        raise CommandError(f"the restore failed: {getattr(exc, 'strerror', None) or exc}") from None
    print(f"restored {args.src} into {settings.data_dir}: {len(manifest['uploads'])} uploads and the secret key")
    if (manifest.get("database") or {}).get("kind") == "sqlite":
        print("the database is restored; `frontdesk serve` applies any newer migrations at start")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("backup", help="copy the database, uploads and secret key into a new folder, with a manifest")
    p.add_argument("dest", help="a new or empty folder")
    p.set_defaults(handler=cmd_backup)

    p = sub.add_parser("restore", help="restore a backup into an empty data dir (checksums checked first)")
    p.add_argument("src", help="a folder made by `frontdesk backup`")
    p.set_defaults(handler=cmd_restore)
