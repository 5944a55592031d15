"""Résumé links: what an application's webhook carries instead of the file, and the download behind it.

The CRM receives a link, not the file: an absolute URL on `FRONTDESK_PUBLIC_URL`, signed with the secret
key (HMAC-SHA256 over the upload id and the expiry) and valid for `resume_link_days`. Whoever holds the
link may fetch the file until it expires; a changed or expired link gets 403, an erased upload 404. The
file is always sent as an attachment with `nosniff`, so no browser renders an uploaded file as a page.

`ResumeLinks` is built by the app with what it needs (settings, database, clock), so this module knows
nothing of the web layer above it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac

import sqlalchemy as sa
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from frontdesk.clock import Clock
from frontdesk.db import Database, tables
from frontdesk.records import uploads
from frontdesk.settings import Settings
from frontdesk.signing import same_signature

PATH = "/files/resume/{upload_id}"


def _link_sig(settings: Settings, upload_id: str, expires: int) -> str:
    mac = hmac.new(settings.secret_key.encode(), f"resume:{upload_id}:{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def signed_link(settings: Settings, upload_id: str, now: dt.datetime) -> str:
    expires = int((now + dt.timedelta(days=settings.resume_link_days)).timestamp())
    sig = _link_sig(settings, upload_id, expires)
    return f"{settings.public_url}/files/resume/{upload_id}?expires={expires}&sig={sig}"


def check_link(settings: Settings, upload_id: str, expires: str, sig: str, now: dt.datetime) -> bool:
    # ASCII digits only: '²'.isdigit() is true, and int('²') fails.
    if not (expires.isascii() and expires.isdecimal()) or len(expires) > 12:
        return False
    expected = _link_sig(settings, upload_id, int(expires))
    return same_signature(sig, expected) and int(expires) >= now.timestamp()


class ResumeLinks:
    """`GET /files/resume/{upload_id}?expires=...&sig=...`: the file, for whoever holds a valid link."""

    def __init__(self, settings: Settings, db: Database, clock: Clock) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock

    async def download(self, request: Request) -> Response:
        upload_id = request.path_params["upload_id"]
        q = request.query_params
        if not check_link(self.settings, upload_id, q.get("expires", ""), q.get("sig", ""), self.clock()):
            raise HTTPException(403, "This link has expired or is not valid.")
        up = tables.uploads
        async with self.db.read() as conn:
            row = (await conn.execute(sa.select(up).where(up.c.id == upload_id, up.c.erased_at.is_(None)))).first()
        path = uploads.path_of(self.settings, row.stored_name) if row else None
        if row is None or path is None or not path.is_file():
            raise HTTPException(404)
        return FileResponse(
            path,
            media_type=row.mime,
            filename=uploads.download_name(row.original_name, row.mime, "resume"),
            content_disposition_type="attachment",
            headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
        )

    def routes(self) -> list[Route]:
        return [Route(PATH, self.download, name="resume")]
