"""Uploads: résumés checked by their bytes and stored privately.

A résumé's type is decided from its content, never from the file name or the
Content-Type the browser sent: both are chosen by the sender (`sniff.py` holds
the allow-list and the polyglot checks). Accepted files
are written under `<data dir>/uploads/` with a random name (never under
`static/`, so nothing uploaded can ever be served as part of the site), and
the original name is kept only as sanitized metadata, with the extension of
the type detected (`resume.hta` that holds text is stored and downloaded as
`resume.txt`). The bytes are read in a worker thread under a time budget
(`inspect`), so a hard-to-parse PDF never stalls the site.

The CRM receives a link to the file, never the file: see `delivery/files.py`.

**Held résumés** (WCAG 2.2 3.3.7, Redundant Entry). Browsers cannot keep a chosen file when a form comes
back with an error, so an applicant whose résumé was fine but whose phone number was not would have to
choose the file again. Instead, an accepted résumé of an application that failed on another field is
*held*: written privately under `<data dir>/held/` for `HOLD_SECONDS` (one hour), and the form carries a
signed token (HMAC with the secret key over the held id, the job, the file name and the expiry). The next
try without a new file uses the held one; a new file replaces it. Held files are not in the database,
are never served, and are swept once they are an hour old.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import time
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path

from frontdesk.records.sniff import ACCEPTED, MAX_BYTES, UploadRejected, detect, size_text, too_large_message
from frontdesk.settings import Settings
from frontdesk.signing import same_signature
from frontdesk.storage import FILE_MODE, private_dir

__all__ = [
    "ACCEPTED",
    "LIMIT_TEXT",
    "MAX_RESUME_BYTES",
    "MIME",
    "Held",
    "Stored",
    "UploadRejected",
    "detect",
    "held",
    "hold",
    "release",
    "safe_filename",
    "store",
    "too_large_message",
]

MAX_RESUME_BYTES = MAX_BYTES
LIMIT_TEXT = size_text(MAX_BYTES)  # "10 MB": the one résumé limit people read, in the hint and every error
HOLD_SECONDS = 3600

MIME = {
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
    "rtf": "application/rtf",
    "txt": "text/plain",
}


@dataclass(frozen=True)
class Stored:
    id: str
    stored_name: str
    original_name: str
    mime: str
    size: int
    sha256: str


def safe_filename(name: str) -> str:
    """A display-only version of the client's file name: no paths, no control or invisible characters.

    It is metadata for staff and the CRM, never a path on disk. Bidirectional overrides are removed
    too, so `cv\u202efdp.exe` cannot pose as `cvexe.pdf`.
    """
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"))
    name = re.sub(r"[\"<>:|?*;]", "", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    if len(name) > 200:  # keep the extension: it is what staff look at
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 199 - len(ext)] + dot + ext) if dot and len(ext) <= 10 else name[:200]
    return name or "resume"


class UploadNotStored(Exception):
    """The file could not be written (a full or read-only disk); nothing of it is left behind."""


INSPECT_SECONDS = 10.0  # the time budget for reading one file's structure (its size budget is MAX_BYTES)


async def inspect(data: bytes, *, within: float = INSPECT_SECONDS) -> str:
    """`detect(data)` in a worker thread, so parsing a large PDF never blocks the event loop; a file that
    takes longer than `within` seconds to read is refused rather than waited for."""
    try:
        return await asyncio.wait_for(asyncio.to_thread(detect, data), within)
    except TimeoutError:
        raise UploadRejected(
            "We could not check this file in time. Please save it again as a plain PDF and send it again.",
            "timeout",
        ) from None


def with_extension(name: str, kind: str) -> str:
    """The display name with the extension of what the file is: `resume.hta` that holds text is `resume.txt`."""
    stem, dot, _ext = name.rpartition(".")
    return f"{stem if dot and stem else name}.{kind}"


def download_name(original_name: str | None, mime: str, fallback: str) -> str:
    """What a download is called: the stored name, its extension the detected type's (older rows included)."""
    kind = next((k for k, m in MIME.items() if m == mime), "bin")
    return with_extension(safe_filename(original_name or fallback), kind)[:200]


def store(settings: Settings, data: bytes, original_name: str, kind: str) -> Stored:
    """Write the file `inspect` accepted as `kind`; the caller records it in the submission's transaction.

    Raises `UploadNotStored` when the disk refuses: the partial file is removed first, so a full disk
    leaves no zero-byte orphans, and the view answers 503 with the form kept.
    """
    upload_id = str(uuid.uuid4())
    stored_name = f"{uuid.uuid4().hex}.{kind}"
    path = settings.uploads_dir / stored_name
    try:
        private_dir(settings.uploads_dir)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except OSError as exc:
        with contextlib.suppress(OSError):  # the folder itself may be what failed
            path.unlink(missing_ok=True)
        raise UploadNotStored(exc.strerror or type(exc).__name__) from None
    name = with_extension(safe_filename(original_name), kind)
    return Stored(upload_id, stored_name, name, MIME[kind], len(data), hashlib.sha256(data).hexdigest())


def discard(settings: Settings, stored: Stored) -> None:
    (settings.uploads_dir / stored.stored_name).unlink(missing_ok=True)


def path_of(settings: Settings, stored_name: str) -> Path:
    return settings.uploads_dir / Path(stored_name).name


# -- held résumés ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Held:
    """A résumé held while its application is corrected: its bytes, the applicant's file name, and its token."""

    held_id: str
    token: str
    data: bytes
    filename: str
    expires: dt.datetime


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _held_sig(settings: Settings, payload: str) -> str:
    return _b64(hmac.new(settings.secret_key.encode(), f"held:{payload}".encode(), hashlib.sha256).digest())


def sweep_held(folder: Path) -> int:
    """Remove held résumés older than the hold; returns how many went.

    Run on every new hold (cheap), by the delivery worker every few minutes and by `frontdesk purge`, so a
    résumé from an application nobody finished is gone within minutes of its hour, busy site or not.
    """
    cutoff = time.time() - HOLD_SECONDS
    removed = 0
    with contextlib.suppress(OSError):
        for path in folder.iterdir():
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
    return removed


def hold(settings: Settings, data: bytes, filename: str, scope: str, now: dt.datetime) -> Held:
    """Keep an accepted résumé for an hour; `scope` (the job) is signed into the token with the expiry.

    Only bytes that `inspect` accepted may be held (the view checks first, off the event loop); they are
    inspected again when the held copy is used, like any file before it is stored."""
    folder = settings.held_dir
    private_dir(folder)  # 0700 like the uploads: held résumés are people's data too
    sweep_held(folder)
    held_id = uuid.uuid4().hex
    fd = os.open(folder / held_id, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    expires = now + dt.timedelta(seconds=HOLD_SECONDS)
    name = safe_filename(filename)
    payload = _b64(json.dumps([held_id, scope, name, int(expires.timestamp())]).encode())
    return Held(held_id, f"{payload}.{_held_sig(settings, payload)}", data, name, expires)


def held(settings: Settings, token: str, scope: str, now: dt.datetime) -> Held | None:
    """The résumé a token holds, if the token is genuine, for this scope, unexpired, and the file is still there."""
    payload, _, sig = token.partition(".")
    if not payload or len(token) > 1000 or not same_signature(sig, _held_sig(settings, payload)):
        return None
    try:
        held_id, signed_scope, name, expires = json.loads(_unb64(payload))
    except (ValueError, TypeError, binascii.Error):
        return None
    if signed_scope != scope or not isinstance(expires, int) or expires < now.timestamp():
        return None
    if not isinstance(held_id, str) or not re.fullmatch(r"[0-9a-f]{32}", held_id):
        return None
    try:
        data = (settings.held_dir / held_id).read_bytes()
    except OSError:
        return None
    return Held(held_id, token, data, str(name), dt.datetime.fromtimestamp(expires, tz=dt.UTC))


def release(settings: Settings, found: Held) -> None:
    """Forget a held résumé (its application was stored, or a new file replaced it)."""
    (settings.held_dir / found.held_id).unlink(missing_ok=True)
