"""Content codings for cached pages: choosing one, making gzip and brotli bodies, and comparing ETags.

The page cache (pagecache.py) compresses each page once and keeps the result, so the level can be
generous; brotli uses quality 5, which costs about 0.3 ms for a 10 kB page and comes within a few percent
of quality 9 at a thirtieth of the time (the first request for a page in each encoding pays it).

A page with slots (per-response values, such as the form's time-trap token) cannot be compressed once as a
whole. `GzipSegments` compresses the fixed parts between the slots once, each ending on a deflate *full
flush* (byte-aligned, with no back-references across the boundary), and per response only puts the slot
values between them as stored (uncompressed) deflate blocks and computes the CRC: a few microseconds for a
page, a valid gzip stream for any decoder.
"""

from __future__ import annotations

import struct
import zlib

import brotli

MIN_COMPRESS = 512  # smaller bodies gain nothing from compression
GZIP_LEVEL = 6
BROTLI_QUALITY = 5
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # no file name, mtime 0, unknown OS
CODINGS = ("br", "gzip")  # preferred first: at equal weight brotli wins, being smaller

_accept_memo: dict[bytes, str] = {}


def negotiate(accept_encoding: bytes) -> str:
    """The best of br, gzip and identity for an Accept-Encoding header (q-values honoured, memoized)."""
    found = _accept_memo.get(accept_encoding)
    if found is not None:
        return found
    weights: dict[str, float] = {}
    for part in accept_encoding.decode("latin-1").lower().split(","):
        name, _, params = part.strip().partition(";")
        q = 1.0
        params = params.replace(" ", "")
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        weights[name.strip()] = q
    star = weights.get("*", 0.0)
    best, best_q = "identity", 0.0
    for coding in CODINGS:
        q = weights.get(coding, star)
        if q > best_q:
            best, best_q = coding, q
    if len(_accept_memo) > 256:  # browsers send a handful of shapes; a flood of odd ones must not grow this
        _accept_memo.clear()
    _accept_memo[accept_encoding] = best
    return best


def etag_matches(if_none_match: bytes, etag: bytes) -> bool:
    """If-None-Match against one ETag, by weak comparison (RFC 9110 13.1.2), `*` included."""
    if if_none_match == etag:
        return True
    plain = etag.removeprefix(b"W/")
    for tag in if_none_match.split(b","):
        tag = tag.strip()
        if tag == b"*" or tag.removeprefix(b"W/") == plain:
            return True
    return False


def _gzip_trailer(crc: int, length: int) -> bytes:
    return struct.pack("<II", crc, length & 0xFFFFFFFF)


def compress(body: bytes, coding: str) -> bytes:
    """`body` in the content coding `coding` (br, gzip or identity)."""
    if coding == "br":
        return bytes(brotli.compress(body, quality=BROTLI_QUALITY))
    if coding == "gzip":
        c = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -15)
        return GZIP_HEADER + c.compress(body) + c.flush() + _gzip_trailer(zlib.crc32(body), len(body))
    return body


def _stored_blocks(data: bytes) -> bytes:
    """Non-final deflate stored blocks holding `data` (at most 65535 bytes each), byte-aligned."""
    out = []
    for i in range(0, len(data), 65535):
        chunk = data[i : i + 65535]
        out.append(b"\x00" + struct.pack("<HH", len(chunk), len(chunk) ^ 0xFFFF) + chunk)
    return b"".join(out)


class GzipSegments:
    """gzip for a body made of fixed parts with changing values between them (see the module docstring)."""

    def __init__(self, statics: tuple[bytes, ...]) -> None:
        self.statics = statics
        self.segments: list[bytes] = []
        for i, static in enumerate(statics):
            c = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -15)
            last = i == len(statics) - 1
            self.segments.append(c.compress(static) + c.flush(zlib.Z_FINISH if last else zlib.Z_FULL_FLUSH))
        self.prefix_crc = zlib.crc32(statics[0])
        self.size = sum(len(s) for s in self.segments)

    def fill(self, values: tuple[bytes, ...]) -> bytes:
        """The gzip body with `values` between the fixed parts (one fewer value than parts)."""
        crc = self.prefix_crc
        length = len(self.statics[0])
        out = [GZIP_HEADER, self.segments[0]]
        for value, static, segment in zip(values, self.statics[1:], self.segments[1:], strict=True):
            crc = zlib.crc32(static, zlib.crc32(value, crc))
            length += len(value) + len(static)
            out += (_stored_blocks(value), segment)
        out.append(_gzip_trailer(crc, length))
        return b"".join(out)
