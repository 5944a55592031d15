"""Static assets under fingerprinted URLs.

At start every file under `static/` is read into memory and given a URL that
carries a hash of its bytes (`/static/css/site.3f9a1c2e.css`). Because the URL
changes whenever the bytes do, browsers and CDNs may keep a file for a year
(`immutable`) and an edit still reaches everyone on the next page view.

Templates call `static("css/site.css")` to get the current URL. A request for
an old or unhashed name is still served (so a page cached elsewhere keeps its
styles), but with a short cache lifetime.

`themed(name, extra)` is a static file with text appended (the site's stylesheet with the brand colours
of the content, see `pictures.py`), served the same way under a hash of the combined bytes. The few most
recent combinations are kept, so a content reload that changes a colour changes the URL too.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    digest: str
    url: str


def _asset(name: str, body: bytes) -> Asset:
    digest = hashlib.sha256(body).hexdigest()[:12]
    stem, dot, ext = name.rpartition(".")
    url = f"/static/{stem}.{digest}.{ext}" if dot else f"/static/{name}.{digest}"
    media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if media_type.startswith("text/") or media_type in {"application/javascript", "image/svg+xml"}:
        media_type += "; charset=utf-8"
    return Asset(body, media_type, digest, url)


THEMED_KEPT = 8  # combinations of a file and appended text kept at once (content reloads make new ones)


class Assets:
    def __init__(self, root: Path) -> None:
        self.by_name: dict[str, Asset] = {}
        self.by_url: dict[str, Asset] = {}
        self._themed: dict[tuple[str, str], Asset] = {}
        for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")):
            name = path.relative_to(root).as_posix()
            asset = _asset(name, path.read_bytes())
            self.by_name[name] = asset
            self.by_url[asset.url] = asset

    def url(self, name: str) -> str:
        return self.by_name[name].url

    def themed(self, name: str, extra: str) -> str:
        """The URL of static file `name` with `extra` appended, served like any static file."""
        found = self._themed.get((name, extra))
        if found is None:
            found = _asset(name, self.by_name[name].body + extra.encode())
            if len(self._themed) >= THEMED_KEPT:
                oldest = next(iter(self._themed))
                self.by_url.pop(self._themed.pop(oldest).url, None)
            self._themed[(name, extra)] = found
            self.by_url[found.url] = found
        return found.url

    async def serve(self, request: Request) -> Response:
        path = request.url.path
        asset = self.by_url.get(path)
        cache = IMMUTABLE
        if asset is None:
            # An unhashed or stale name: serve the current bytes briefly.
            name = path.removeprefix("/static/")
            stem, _, ext = name.rpartition(".")
            base, _, _hash = stem.rpartition(".")
            asset = self.by_name.get(name) or self.by_name.get(f"{base}.{ext}" if base else "")
            cache = SHORT
        if asset is None:
            return Response("Not found", status_code=404, media_type="text/plain")
        etag = f'"{asset.digest}"'
        headers = {"Cache-Control": cache, "ETag": etag}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(asset.body, media_type=asset.media_type, headers=headers)
