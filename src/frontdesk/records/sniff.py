"""What an uploaded file really is: an allow-list of document types, decided from the bytes.

The file name and the Content-Type a browser sends are chosen by the sender,
so neither is consulted. `detect(data)` returns one of `pdf doc docx odt rtf
txt` or raises `UploadRejected`, whose message is written for the applicant
and whose `reason` (for logs and tests) says which rule refused the file.

The checks, in order:

1. **Size**: empty files and files over `MAX_BYTES` (10 MB) are refused. That number is the résumé limit
   everywhere: the form's hint, its error, and the 413 of the body cap all say `size_text(MAX_BYTES)`.
2. **Dangerous signatures at the start**: executables (MZ, ELF, Mach-O,
   Java class, WebAssembly, shebang scripts), archives and compressed data
   (gzip, bzip2, xz, zstd, 7z, RAR, CAB), Flash, and images.
3. **The document's own structure**, read with a parser, not guessed:
   - PDF: `%PDF-` at offset 0, then parsed with pikepdf (`sniff_pdf.py`): no
     JavaScript anywhere (compressed object streams included), no actions that
     run or leave the file, no embedded files, no XFA.
   - Word 97-2003: an OLE container with a `WordDocument` stream and no VBA
     macros.
   - DOCX and ODT (`sniff_office.py`): the ZIP's members are a word-processing
     document, without macros or ActiveX, external relationships (remote
     templates, Follina-style OLE links), embedded objects or DDE fields.
   - RTF: `{\\rtf`, without embedded OLE objects or DDE fields.
   - Text: valid UTF-8 with no NUL or other control characters, not markup.
   Any other ZIP (a plain archive, a JAR, an APK, a spreadsheet) is refused.
4. **Polyglots**: a file that is also something else is refused:
   HTML, SVG or script markup in the first 4 KiB (where browsers sniff), a
   ZIP directory inside a non-ZIP document (PDF+JAR), a `%PDF-` header inside
   a non-PDF (readers look for it in the first 1024 bytes), bytes after a
   ZIP's end record, and any second opinion from `puremagic` naming a
   dangerous type.

ZIP members are never extracted: only the directory and two tiny members are
read, each capped, so a ZIP bomb costs nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

import puremagic

from frontdesk.records import sniff_office
from frontdesk.records.sniff_office import OfficeRefused, rtf_ok, zip_kind
from frontdesk.records.sniff_pdf import PdfRefused, check_pdf

MAX_BYTES = 10 * 1024 * 1024


def size_text(size: int) -> str:
    """10485760 -> "10 MB": how people read a size limit (binary megabytes, as operating systems show them)."""
    mib = size / (1024 * 1024)
    return f"{mib:.0f} MB" if mib >= 1 else f"{size // 1024} KB"


ACCEPTED = "PDF, Word (.doc or .docx), OpenDocument text (.odt), RTF or plain text"
KINDS = ("pdf", "doc", "docx", "odt", "rtf", "txt")

T = TypeVar("T")

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_LOCAL = b"PK\x03\x04"
_ZIP_END = b"PK\x05\x06"

# Signatures at offset 0 that no résumé has.
_BAD_STARTS: tuple[tuple[bytes, str], ...] = (
    (b"MZ", "executable"),
    (b"\x7fELF", "executable"),
    (b"\xca\xfe\xba\xbe", "executable"),  # Mach-O fat binary, and Java class files
    (b"\xcf\xfa\xed\xfe", "executable"),
    (b"\xce\xfa\xed\xfe", "executable"),
    (b"\xfe\xed\xfa\xce", "executable"),
    (b"\xfe\xed\xfa\xcf", "executable"),
    (b"\x00asm", "executable"),
    (b"#!", "script"),
    (b"\x1f\x8b", "archive"),
    (b"BZh", "archive"),
    (b"\xfd7zXZ\x00", "archive"),
    (b"\x28\xb5\x2f\xfd", "archive"),
    (b"7z\xbc\xaf\x27\x1c", "archive"),
    (b"Rar!\x1a\x07", "archive"),
    (b"MSCF", "archive"),
    (b"FWS", "flash"),
    (b"CWS", "flash"),
    (b"ZWS", "flash"),
    (b"\x89PNG", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"GIF8", "image"),
)

# Markup a browser would run or render, where browsers sniff.
_MARKUP = re.compile(
    rb"<\s*(?:html|head|body|script|svg|iframe|frame|frameset|object|embed|applet|meta|!doctype|\?xml)[\s/>]", re.I
)
_TEXT_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")

# puremagic's names for dangerous types; a match is trusted from this confidence on.
_PUREMAGIC_DANGEROUS = {
    ".exe", ".dll", ".sys", ".drv", ".ocx", ".scr", ".com", ".msi", ".lnk", ".class", ".jar", ".apk", ".dex",
    ".wasm", ".swf", ".html", ".htm", ".xhtml", ".svg", ".svgz", ".js", ".php", ".hta", ".iso", ".dmg", ".cab",
    ".rar", ".7z", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".tar", ".arj", ".cpio", ".deb", ".rpm", ".AppImage",
}  # fmt: skip
_PUREMAGIC_CONFIDENCE = 0.3
# Magic numbers are shared: an OLE container is .doc or .msi, a ZIP is .docx or .jar. puremagic cannot
# tell them apart, so for those kinds the structure check above has the last word on that family.
_SAME_MAGIC = {"doc": {".msi"}, "docx": {".jar", ".apk"}, "odt": {".jar", ".apk"}}


def too_large_message() -> str:
    return (
        f"Your résumé is larger than {size_text(MAX_BYTES)}. Please choose a smaller file (a PDF is usually smallest)."
    )


class UploadRejected(Exception):
    """The file is empty, too large, or not a document type we accept. The message is for the applicant."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def _refuse(reason: str) -> UploadRejected:
    return UploadRejected(f"Upload your résumé as {ACCEPTED}.", reason)


def _pdf_ok(data: bytes) -> None:
    try:
        check_pdf(data)
    except PdfRefused as exc:
        raise UploadRejected(str(exc), exc.reason) from None


def _office(check: Callable[[bytes], T], data: bytes) -> T:
    try:
        return check(data)
    except OfficeRefused as exc:
        raise (_refuse(exc.reason) if exc.message is None else UploadRejected(exc.message, exc.reason)) from None


def _doc_ok(data: bytes) -> None:
    if "WordDocument".encode("utf-16-le") not in data:
        raise _refuse("ole: not a word document")
    if "_VBA_PROJECT".encode("utf-16-le") in data:
        raise UploadRejected(sniff_office.MACROS, "doc: macros")


def _text_ok(data: bytes) -> None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _refuse("txt: not utf-8") from None
    if _TEXT_CONTROLS.search(text):
        raise _refuse("txt: control characters")
    start = text.lstrip("\ufeff \t\r\n")[:2]
    if start.startswith("<") and len(start) == 2 and (start[1].isalpha() or start[1] in "!?"):
        raise _refuse("txt: markup")


def _structure(data: bytes) -> str:
    for magic, what in _BAD_STARTS:
        if data.startswith(magic):
            raise _refuse(what)
    if data.startswith(b"%PDF-"):
        _markup_head(data)  # a PDF whose head is markup is a polyglot, whether a parser can read it or not
        _pdf_ok(data)
        return "pdf"
    if data.startswith(_OLE):
        _doc_ok(data)
        return "doc"
    if data.startswith(b"{\\rtf"):
        _office(rtf_ok, data)
        return "rtf"
    if data.startswith(_ZIP_LOCAL):
        return _office(zip_kind, data)
    _text_ok(data)
    return "txt"


def _markup_head(data: bytes) -> None:
    """Markup where browsers sniff, checked before any parser looks at the file."""
    if _MARKUP.search(data[:4096]):
        raise _refuse("polyglot: markup in the head")


def _polyglot(data: bytes, kind: str) -> None:
    _markup_head(data)
    if kind not in ("docx", "odt") and _ZIP_END in data[-(22 + 0xFFFF) :]:
        raise _refuse("polyglot: zip inside")
    if kind != "pdf" and b"%PDF-" in data[:1024]:
        raise _refuse("polyglot: pdf header inside")
    try:
        matches = puremagic.magic_string(data)
    except (puremagic.PureError, ValueError):
        return
    allowed = _SAME_MAGIC.get(kind, set())
    for match in matches:
        if (
            match.confidence >= _PUREMAGIC_CONFIDENCE
            and match.extension in _PUREMAGIC_DANGEROUS
            and match.extension not in allowed
        ):
            raise _refuse(f"polyglot: also {match.extension}")


def detect(data: bytes) -> str:
    """The document type of `data` (one of KINDS), or raise UploadRejected."""
    if not data:
        raise UploadRejected("The file is empty.", "empty")
    if len(data) > MAX_BYTES:
        raise UploadRejected(too_large_message(), "too large")
    kind = _structure(data)
    _polyglot(data, kind)
    return kind
