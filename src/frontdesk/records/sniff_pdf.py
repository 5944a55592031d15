"""PDF résumés, read with a real parser (pikepdf, on qpdf): no scripts, no actions that run, no attachments.

A regex over a PDF's raw bytes cannot see inside compressed object streams, where any PDF writer may put
`/JavaScript`; so the file is parsed, every object is visited (object streams decoded), and it is refused
when anything in it could act on the reader's machine:

- JavaScript anywhere: a `/JS` key, a `/JavaScript` action, or the document's `/Names /JavaScript` tree;
- actions that leave the document or run something: `/Launch`, `/SubmitForm`, `/ImportData`, `/GoToR`
  (another file), `/GoToE` (an embedded file), `/RichMedia`, `/Rendition`, `/Sound`, `/Movie`;
- embedded files (`/EmbeddedFile`, a file specification's `/EF`, `/Names /EmbeddedFiles`,
  `/FileAttachment` annotations) and XFA forms (`/XFA`);
- a `/URI` action that runs by itself: in `/OpenAction` or an additional-actions (`/AA`) dictionary. A
  link a person clicks (a URI on a link annotation: a LinkedIn profile) is fine.

Encrypted PDFs cannot be inspected and are refused; so is anything qpdf cannot read. The caller runs this in
a worker thread under a time budget (`records/uploads.inspect`).
"""

from __future__ import annotations

import io

import pikepdf

ACTIVE_PDF = (
    "This PDF contains scripts, actions or attached files, which we cannot accept. "
    "Please save it again as a plain PDF (for example with Print to PDF)."
)
UNREADABLE_PDF = "We could not read this PDF. Please save it again (for example with Print to PDF) or send a Word file."
MAX_OBJECTS = 200_000

# Action types that run code, leave the document, send data or play embedded media.
_RUNNING_ACTIONS = frozenset(
    {"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/GoToR", "/GoToE", "/RichMedia", "/Rendition"}
    | {"/Sound", "/Movie"}
)
_ACTIVE_KEYS = frozenset({"/JS", "/EF", "/XFA", "/RichMediaContent", "/RichMediaSettings"})
_ACTIVE_TYPES = frozenset({"/EmbeddedFile", "/FileAttachment", "/RichMedia", "/Sound", "/Movie", "/Screen"})


class PdfRefused(Exception):
    """The PDF carries active content or cannot be inspected; `reason` says which rule refused it."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def _name(value: object) -> str | None:
    return str(value) if isinstance(value, pikepdf.Name) else None


def _runs_by_itself(action: object) -> str | None:
    """Why an action that fires without a click (OpenAction, AA) is refused, or None."""
    if not isinstance(action, pikepdf.Dictionary):
        return None
    kind = _name(action.get("/S"))
    if kind in _RUNNING_ACTIONS or kind == "/URI":
        return f"pdf: {kind} runs on its own"
    return None


def _check_dictionary(obj: pikepdf.Object) -> str | None:
    for key in obj.keys():  # noqa: SIM118 - a pikepdf Dictionary iterates differently from a dict
        if key in _ACTIVE_KEYS:
            return f"pdf: {key}"
    kind = _name(obj.get("/S"))
    if kind in _RUNNING_ACTIONS:
        return f"pdf: {kind} action"
    for key in ("/Type", "/Subtype"):
        if _name(obj.get(key)) in _ACTIVE_TYPES:
            return f"pdf: {obj.get(key)}"
    additional = obj.get("/AA")
    if isinstance(additional, pikepdf.Dictionary):
        for trigger in additional.keys():  # noqa: SIM118
            if (why := _runs_by_itself(additional.get(trigger))) is not None:
                return why
    return None


MAX_DEPTH = 32


def _walk(obj: pikepdf.Object, *, depth: int) -> str | None:
    """Check a dictionary and the direct dictionaries and arrays nested in it (an annotation's `/A`, the
    catalog's `/AcroForm`); indirect references are visited on their own by the caller's loop."""
    if depth > MAX_DEPTH:
        return "pdf: nested too deep"
    if isinstance(obj, pikepdf.Dictionary) or isinstance(obj, pikepdf.Stream):  # noqa: SIM101
        found = _check_dictionary(obj)
        if found is not None:
            return found
        children = [obj.get(key) for key in obj.keys()]  # noqa: SIM118
    elif isinstance(obj, pikepdf.Array):
        children = list(obj)
    else:
        return None
    for child in children:
        if isinstance(child, pikepdf.Object) and not child.is_indirect:
            found = _walk(child, depth=depth + 1)
            if found is not None:
                return found
    return None


def check_pdf(data: bytes) -> None:
    """Raise `PdfRefused` unless the PDF is a plain document."""
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        raise PdfRefused(UNREADABLE_PDF, "pdf: encrypted") from None
    except (pikepdf.PdfError, ValueError, RuntimeError):
        raise PdfRefused(UNREADABLE_PDF, "pdf: unreadable") from None
    with pdf:
        if pdf.is_encrypted:
            raise PdfRefused(UNREADABLE_PDF, "pdf: encrypted")
        root = pdf.Root
        if (why := _runs_by_itself(root.get("/OpenAction"))) is not None:
            raise PdfRefused(ACTIVE_PDF, why)
        names = root.get("/Names")
        if isinstance(names, pikepdf.Dictionary) and ("/JavaScript" in names or "/EmbeddedFiles" in names):
            raise PdfRefused(ACTIVE_PDF, "pdf: names tree with scripts or files")
        if len(pdf.objects) > MAX_OBJECTS:
            raise PdfRefused(UNREADABLE_PDF, "pdf: too many objects")
        for obj in pdf.objects:  # every indirect object, those inside compressed object streams included
            found = _walk(obj, depth=0)
            if found is not None:
                raise PdfRefused(ACTIVE_PDF, found)
