"""Comparing signatures that a visitor sent: the one `same_signature()` every verifier uses.

Signed values (the form's time token, the attribution cookie, the thank-you page's reference, held résumé
tokens, résumé links, bearer tokens) come back from the client, so the client chooses every character of
them. `hmac.compare_digest` compares in constant time, but given two `str` it raises `TypeError` as soon as
one holds a non-ASCII character ('²', 'é', a stray byte decoded as U+0080). A forged value must be a plain
"no", never a 500, so the comparison always happens on UTF-8 bytes, here, in one place.
"""

from __future__ import annotations

import hmac


def same_signature(given: str, expected: str) -> bool:
    """True if `given` equals `expected`, compared in constant time whatever characters `given` holds."""
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))
