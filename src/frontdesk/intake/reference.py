"""The reference number on the thank-you page, without JavaScript and without breaking the page cache.

With JavaScript, site.js shows `reference` from the form's JSON answer. Without it, the browser follows
the 303 to the thank-you page, which is the same for everybody and cacheable. So the 303 carries the
reference in the query string, signed with the site's secret key (`?ref=FD-XXXX-XXXX.<mac>`): the thank-you
view shows it only when the signature holds, and then answers `no-store`, while the bare URL stays the
shared, cacheable page. Signed, so nobody can send a person a link to our own site that shows a
reference we never issued. Chosen over a flash cookie because it needs no state, survives a reload, and
works where cookies are refused.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote

from frontdesk.settings import Settings
from frontdesk.signing import same_signature

PARAM = "ref"


def _mac(settings: Settings, ref: str) -> str:
    digest = hmac.new(settings.secret_key.encode(), f"reference:{ref}".encode(), hashlib.sha256).hexdigest()
    return digest[:16]


def thanks_url(settings: Settings, path: str, ref: str) -> str:
    return f"{path}?{PARAM}={quote(ref)}.{_mac(settings, ref)}"


def shown(settings: Settings, value: str | None) -> str | None:
    """The reference in `?ref=`, if its signature holds; None otherwise (the shared page is shown)."""
    if not value or len(value) > 64 or "." not in value:
        return None
    ref, mac = value.rsplit(".", 1)
    return ref if same_signature(mac, _mac(settings, ref)) else None
