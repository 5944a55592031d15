"""Uploads: résumés checked by their bytes, stored privately, fetched by signed links.

A résumé's type is decided from its content, never from the file name or the
Content-Type the browser sent: both are chosen by the sender. Accepted files
are written under `<data dir>/uploads/` with a random name (never under
`static/`, so nothing uploaded can ever be served as part of the site), and
the original name is kept only as sanitized metadata.

The CRM receives a link, not the file: an absolute URL on `FRONTDESK_PUBLIC_URL`
signed with the secret key and valid for `resume_link_days`. A changed or
expired link gets 403.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import io
import os
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from frontdesk.settings import Settings

MAX_RESUME_BYTES = 10 * 1024 * 1024

MIME = {
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
    "rtf": "application/rtf",
    "txt": "text/plain",
}
ACCEPTED = "PDF, Word (.doc or .docx), OpenDocument text (.odt), RTF or plain text"

# Markers of content a browser or an OS would treat as active: never inside a document we accept.
_ACTIVE = re.compile(rb"<\s*(?:html|script|svg|iframe|body|!doctype|\?xml)", re.I)
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class UploadRejected(Exception):
    """The file is empty, too large, or not a document type we accept."""


@dataclass(frozen=True)
class Stored:
    id: str
    stored_name: str
    original_name: str
    mime: str
    size: int
    sha256: str


def _zip_kind(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
            if len(names) > 2000:
                return None
            if "[Content_Types].xml" in names and "word/document.xml" in names:
                return "docx"
            if "mimetype" in names and z.read("mimetype").strip() == MIME["odt"].encode():
                return "odt"
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, RuntimeError, NotImplementedError):
        return None
    return None


def detect(data: bytes) -> str:
    """The document type of `data` (a key of MIME), or raise UploadRejected."""
    if not data:
        raise UploadRejected("The file is empty.")
    if len(data) > MAX_RESUME_BYTES:
        raise UploadRejected("The file is larger than 10 MB.")
    head = data[:1024]
    if data.startswith(b"%PDF-"):
        kind = "pdf"
    elif data.startswith(_OLE):
        kind = "doc" if "WordDocument".encode("utf-16-le") in data else ""
    elif data.startswith(b"{\\rtf"):
        kind = "rtf"
    elif data.startswith(b"PK\x03\x04"):
        kind = _zip_kind(data) or ""
    elif data.startswith((b"MZ", b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")):
        kind = ""
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        kind = "txt" if text is not None and "\x00" not in text else ""
    if not kind or _ACTIVE.search(head):
        raise UploadRejected(f"Upload your résumé as {ACCEPTED}.")
    return kind


def safe_filename(name: str) -> str:
    """A display-only version of the client's file name: no paths, no control characters."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f\"<>:|?*;]", "", name).strip(" .")
    return name[:200] or "resume"


def store(settings: Settings, data: bytes, original_name: str) -> Stored:
    """Check and write the file; the caller records it in the submission's transaction."""
    kind = detect(data)
    upload_id = str(uuid.uuid4())
    stored_name = f"{uuid.uuid4().hex}.{kind}"
    folder = settings.uploads_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / stored_name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    return Stored(
        upload_id, stored_name, safe_filename(original_name), MIME[kind], len(data), hashlib.sha256(data).hexdigest()
    )


def discard(settings: Settings, stored: Stored) -> None:
    (settings.uploads_dir / stored.stored_name).unlink(missing_ok=True)


def path_of(settings: Settings, stored_name: str) -> Path:
    return settings.uploads_dir / Path(stored_name).name


def _link_sig(settings: Settings, upload_id: str, expires: int) -> str:
    mac = hmac.new(settings.secret_key.encode(), f"resume:{upload_id}:{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def signed_link(settings: Settings, upload_id: str, now: dt.datetime) -> str:
    expires = int((now + dt.timedelta(days=settings.resume_link_days)).timestamp())
    sig = _link_sig(settings, upload_id, expires)
    return f"{settings.public_url}/files/resume/{upload_id}?expires={expires}&sig={sig}"


def check_link(settings: Settings, upload_id: str, expires: str, sig: str, now: dt.datetime) -> bool:
    if not expires.isdigit() or len(expires) > 12:
        return False
    expected = _link_sig(settings, upload_id, int(expires))
    return hmac.compare_digest(expected, sig) and int(expires) >= now.timestamp()
