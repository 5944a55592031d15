"""What a submission records of the person's consent: the exact text they agreed to, its policy version, when.

The text and the privacy policy version come from the content at the moment of the submission, so a later
edit of the consent wording never rewrites what someone agreed to.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from frontdesk import web


def consent_record(request: Request) -> dict[str, Any]:
    site = web.content(request).site
    return {
        "given": True,
        "text": site.consent_text,
        "policy_version": site.privacy_policy_version,
        "at": web.services(request).clock().isoformat(),
    }
