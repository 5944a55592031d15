"""What an uploaded file really is: an allow-list of document types, decided from the bytes.

The file name and the Content-Type a browser sends are chosen by the sender,
so neither is consulted. `detect(data)` returns one of `pdf doc docx odt rtf
txt` or raises `UploadRejected`, whose message is written for the applicant
and whose `reason` (for logs and tests) says which rule refused the file.

The checks, in order:

1. **Size**: empty files and files over 10 MB are refused.
2. **Dangerous signatures at the start**: executables (MZ, ELF, Mach-O,
   Java class, WebAssembly, shebang scripts), archives and compressed data
   (gzip, bzip2, xz, zstd, 7z, RAR, CAB), Flash, and images.
3. **The document's own structure**:
   - PDF: `%PDF-` at offset 0; no JavaScript, launch actions, embedded files,
     rich media or XFA (PDF names are read with their `#xx` escapes decoded,
     so `/J#61vaScript` is caught too).
   - Word 97-2003: an OLE container with a `WordDocument` stream and no VBA
     macros.
   - DOCX: a ZIP whose members are an OOXML word-processing document
     (`[Content_Types].xml` naming the main document part, `word/document.xml`),
     without macros (`vbaProject.bin`, macro-enabled content types) or ActiveX.
   - ODT: a ZIP with the `mimetype` member saying ODF text and a
     `content.xml`, without Basic or script macros.
   - RTF: `{\\rtf`, without embedded OLE objects (`\\objdata`, `\\object`).
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

import io
import re
import zipfile

import puremagic

MAX_BYTES = 10 * 1024 * 1024
ACCEPTED = "PDF, Word (.doc or .docx), OpenDocument text (.odt), RTF or plain text"
KINDS = ("pdf", "doc", "docx", "odt", "rtf", "txt")
ACTIVE_PDF = (
    "This PDF contains scripts or attached files, which we cannot accept. "
    "Please save it again as a plain PDF (for example with Print to PDF)."
)
MACROS = "This document contains macros, which we cannot accept. Please save it without macros, or as a PDF."
EMBEDDED = "This document contains embedded objects, which we cannot accept. Please save it as a PDF."

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
_PDF_ACTIVE = re.compile(rb"/(?:JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA|GoToE)(?![A-Za-z0-9])")
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_RTF_OBJECT = re.compile(rb"\\obj(?:data|ect|emb|ocx|link|autlink|update)(?![a-z])", re.I)
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


class UploadRejected(Exception):
    """The file is empty, too large, or not a document type we accept. The message is for the applicant."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def _refuse(reason: str) -> UploadRejected:
    return UploadRejected(f"Upload your résumé as {ACCEPTED}.", reason)


def _zip_member(z: zipfile.ZipFile, name: str, limit: int = 64 * 1024) -> bytes | None:
    try:
        info = z.getinfo(name)
    except KeyError:
        return None
    if info.file_size > limit:
        return None
    with z.open(info) as f:
        return f.read(limit + 1)[:limit]


def _zip_kind(data: bytes) -> str:
    """docx or odt, judged by the members; anything else raises."""
    end = data.rfind(_ZIP_END)
    if end < 0 or len(data) - end > 22 + 0xFFFF:
        raise _refuse("zip: no end record")
    comment_length = int.from_bytes(data[end + 20 : end + 22], "little") if len(data) >= end + 22 else -1
    if end + 22 + comment_length != len(data):
        raise _refuse("polyglot: bytes after the zip")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = z.namelist()
            if len(names) > 2000:
                raise _refuse("zip: too many members")
            lowered = {n.lower() for n in names}
            if any(n.endswith("vbaproject.bin") or n.startswith(("word/activex/", "activex/")) for n in lowered):
                raise UploadRejected(MACROS, "docx: macros or activex")
            if any(n.startswith(("basic/", "scripts/")) for n in lowered):
                raise UploadRejected(MACROS, "odt: macros")
            types = _zip_member(z, "[Content_Types].xml")
            if types is not None and "word/document.xml" in names:
                if b"macroEnabled" in types:
                    raise UploadRejected(MACROS, "docx: macro-enabled")
                if b"wordprocessingml.document.main+xml" not in types:
                    raise _refuse("docx: not a word document")
                return "docx"
            mimetype = _zip_member(z, "mimetype", 200)
            if mimetype is not None and mimetype.strip() == b"application/vnd.oasis.opendocument.text":
                if "content.xml" not in names:
                    raise _refuse("odt: no content")
                return "odt"
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, RuntimeError, NotImplementedError, EOFError):
        raise _refuse("zip: unreadable") from None
    raise _refuse("zip: not a document")


def _pdf_ok(data: bytes) -> None:
    names = _PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), data) if b"#" in data else data
    if _PDF_ACTIVE.search(names):
        raise UploadRejected(ACTIVE_PDF, "pdf: active content")


def _doc_ok(data: bytes) -> None:
    if "WordDocument".encode("utf-16-le") not in data:
        raise _refuse("ole: not a word document")
    if "_VBA_PROJECT".encode("utf-16-le") in data:
        raise UploadRejected(MACROS, "doc: macros")


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
        _pdf_ok(data)
        return "pdf"
    if data.startswith(_OLE):
        _doc_ok(data)
        return "doc"
    if data.startswith(b"{\\rtf"):
        if _RTF_OBJECT.search(data):
            raise UploadRejected(EMBEDDED, "rtf: embedded object")
        return "rtf"
    if data.startswith(_ZIP_LOCAL):
        return _zip_kind(data)
    _text_ok(data)
    return "txt"


def _polyglot(data: bytes, kind: str) -> None:
    head = data[:4096]
    if _MARKUP.search(head):
        raise _refuse("polyglot: markup in the head")
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
        raise UploadRejected("The file is larger than 10 MB.", "too large")
    kind = _structure(data)
    _polyglot(data, kind)
    return kind
