"""Word (DOCX), OpenDocument text (ODT) and RTF résumés: read as their structure, refused when they can act.

A DOCX or ODT is a ZIP of XML parts; a Word file can point outside itself or carry things that run when it
is opened, which is how the "Follina" exploit and remote-template attacks work. Refused:

- macros and ActiveX (`vbaProject.bin`, macro-enabled content types, `word/activeX/`, ODF `Basic/`);
- any relationship with `TargetMode="External"` other than a hyperlink: a remote template
  (`attachedTemplate`), an external OLE object (Follina's `oleObject` pointing at a URL), a linked picture
  or frame on another host. A hyperlink (a LinkedIn profile in the résumé) loads nothing until someone
  clicks it, as a link in a PDF, and is kept;
- embedded objects (`word/embeddings/`, ODF `Object ` sub-documents);
- DDE and DDEAUTO fields (which run a command when the document updates its fields), in the document, its
  headers, footers and notes, and RTF's `\field` instructions likewise; RTF embedded objects.

ZIP members are never extracted to disk, and never inflated past a budget (`MAX_PART`, `MAX_TOTAL`): a ZIP
bomb is refused at the budget, costing nothing more.
"""

from __future__ import annotations

import io
import re
import zipfile

MACROS = "This document contains macros, which we cannot accept. Please save it without macros, or as a PDF."
EMBEDDED = "This document contains embedded objects, which we cannot accept. Please save it as a PDF."
LINKED = (
    "This document loads content from elsewhere (a template, a linked object or a field), which we cannot "
    "accept. Please save it as a PDF."
)
MAX_PART = 8 * 1024 * 1024  # inflated bytes read from one XML part at most
MAX_TOTAL = 32 * 1024 * 1024  # ... and from all of them together
_ZIP_END = b"PK\x05\x06"

_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>", re.I)
_EXTERNAL = re.compile(rb"TargetMode\s*=\s*[\"']External[\"']", re.I)
_HYPERLINK = re.compile(rb"\bType\s*=\s*[\"'][^\"']*/relationships/hyperlink[\"']", re.I)
# A field instruction that is DDE or DDEAUTO: in <w:instrText> runs or a <w:fldSimple w:instr="...">.
_DOCX_DDE = re.compile(rb"(?:<w:instrText[^>]*>\s*|w:instr\s*=\s*[\"']\s*)DDE(?:AUTO)?\b", re.I)
_RTF_DDE = re.compile(rb"\\fldinst\s*(?:\{[^}]*?)?\s*DDE(?:AUTO)?\b", re.I)
_RTF_OBJECT = re.compile(rb"\\obj(?:data|ect|emb|ocx|link|autlink|update)(?![a-z])", re.I)


class OfficeRefused(Exception):
    """The document can act when opened, or is not one we accept; `reason` says which rule refused it."""

    def __init__(self, message: str | None, reason: str) -> None:
        super().__init__(message or "")
        self.message = message  # None: the generic "upload as PDF, Word, ..." message
        self.reason = reason


def _refuse(reason: str) -> OfficeRefused:
    return OfficeRefused(None, reason)


def _zip_member(z: zipfile.ZipFile, name: str, limit: int = 64 * 1024) -> bytes | None:
    try:
        info = z.getinfo(name)
    except KeyError:
        return None
    if info.file_size > limit:
        return None
    with z.open(info) as f:
        return f.read(limit + 1)[:limit]


def zip_kind(data: bytes) -> str:
    """docx or odt, judged by the members and checked as above; anything else raises."""
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
                raise OfficeRefused(MACROS, "docx: macros or activex")
            if any(n.startswith(("basic/", "scripts/")) for n in lowered):
                raise OfficeRefused(MACROS, "odt: macros")
            types = _zip_member(z, "[Content_Types].xml")
            if types is not None and "word/document.xml" in names:
                if b"macroEnabled" in types:
                    raise OfficeRefused(MACROS, "docx: macro-enabled")
                if b"wordprocessingml.document.main+xml" not in types:
                    raise _refuse("docx: not a word document")
                _docx_ok(z, names)
                return "docx"
            mimetype = _zip_member(z, "mimetype", 200)
            if mimetype is not None and mimetype.strip() == b"application/vnd.oasis.opendocument.text":
                if "content.xml" not in names:
                    raise _refuse("odt: no content")
                _odt_ok(z, names)
                return "odt"
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, RuntimeError, NotImplementedError, EOFError):
        raise _refuse("zip: unreadable") from None
    raise _refuse("zip: not a document")


class _Budget:
    """Inflated bytes read so far from a ZIP's parts, against MAX_TOTAL."""

    def __init__(self) -> None:
        self.used = 0

    def read(self, z: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
        with z.open(info) as f:
            data = f.read(MAX_PART + 1)
        self.used += len(data)
        if len(data) > MAX_PART or self.used > MAX_TOTAL:
            raise _refuse("zip: parts too large to check")
        return data


def _loads_from_elsewhere(rels: bytes) -> bool:
    """A relationship part with an external target other than a hyperlink."""
    return any(_EXTERNAL.search(rel) and not _HYPERLINK.search(rel) for rel in _RELATIONSHIP.findall(rels))


def _docx_ok(z: zipfile.ZipFile, names: list[str]) -> None:
    """No external relationship, embedded object or DDE field in a Word document."""
    budget = _Budget()
    for info in z.infolist():
        name = info.filename.lower()
        if name.startswith("word/embeddings/"):
            raise OfficeRefused(EMBEDDED, "docx: embedded object")
        if name.endswith(".rels") and _loads_from_elsewhere(budget.read(z, info)):
            raise OfficeRefused(LINKED, "docx: external relationship")
        if name.startswith("word/") and name.endswith(".xml") and _DOCX_DDE.search(budget.read(z, info)):
            raise OfficeRefused(LINKED, "docx: DDE field")


def _odt_ok(z: zipfile.ZipFile, names: list[str]) -> None:
    if any(n.startswith(("Object ", "ObjectReplacements/")) for n in names):
        raise OfficeRefused(EMBEDDED, "odt: embedded object")


def rtf_ok(data: bytes) -> None:
    if _RTF_OBJECT.search(data):
        raise OfficeRefused(EMBEDDED, "rtf: embedded object")
    if _RTF_DDE.search(data):
        raise OfficeRefused(LINKED, "rtf: DDE field")
