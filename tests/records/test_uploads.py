"""Résumé uploads: every rejection case of the byte sniffer, file names, and multipart limits."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from frontdesk.db import tables
from frontdesk.records.sniff import MAX_BYTES, UploadRejected, detect
from frontdesk.records.uploads import safe_filename
from support import PDF, db_rows, make_pdf, token

JOB = "/careers/licensed-insurance-agent/apply"
WORD_TYPES = (
    b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Override PartName="/word/document.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
ODT_MIME = b"application/vnd.oasis.opendocument.text"


def zipped(members: dict[str, bytes], *, first_stored: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            kind = zipfile.ZIP_STORED if first_stored and name == "mimetype" else zipfile.ZIP_DEFLATED
            z.writestr(name, data, compress_type=kind)
    return buf.getvalue()


DOCX = zipped({"[Content_Types].xml": WORD_TYPES, "_rels/.rels": b"<Relationships/>", "word/document.xml": b"<w/>"})
ODT = zipped({"mimetype": ODT_MIME, "content.xml": b"<office:document-content/>"}, first_stored=True)
DOC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500 + "WordDocument".encode("utf-16-le") + b"\x00" * 500
RTF = b"{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}} Grace Hopper \\par}"
TXT = "Grace Hopper\nRésumé — COBOL, compilers.\n\tNavy, 1943–1986\n".encode()


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (PDF, "pdf"),
        (DOC, "doc"),
        (DOCX, "docx"),
        (ODT, "odt"),
        (RTF, "rtf"),
        (TXT, "txt"),
        (b"\xef\xbb\xbf" + TXT, "txt"),  # with a byte-order mark
        (b"Skills: HTML, <div> layouts, a < b", "txt"),  # mentions of markup are not markup
        (PDF + b"\n" * (MAX_BYTES - len(PDF)), "pdf"),  # exactly at the limit
    ],
)
def test_accepted_documents(data, kind):
    assert detect(data) == kind


REAL_FILES = [
    "/usr/share/doc/libtasn1-doc/libtasn1.pdf",
    "/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf",
]


@pytest.mark.parametrize("path", REAL_FILES)
def test_real_documents_on_this_machine_pass(path):
    if not Path(path).exists():
        pytest.skip(f"{path} is not installed here")
    assert detect(Path(path).read_bytes()) == "pdf"


def _open_action(pdf, kind: str, **entries: str) -> None:
    import pikepdf

    values = {k: pikepdf.String(v) for k, v in entries.items()}
    pdf.Root.OpenAction = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name("/" + kind), **values))


def _embedded_file(pdf) -> None:
    import pikepdf

    stream = pdf.make_stream(b"MZ payload")
    stream.Type = pikepdf.Name.EmbeddedFile
    spec = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Filespec, F=pikepdf.String("x.exe"), EF={"/F": stream})
    )
    pdf.Root.Names = pikepdf.Dictionary(EmbeddedFiles=pikepdf.Dictionary(Names=[pikepdf.String("x.exe"), spec]))


# `/J#61vaScript` is `/JavaScript` with one letter escaped: a parser reads it as the same name.
PDF_ESCAPED_JS = make_pdf(lambda pdf: _open_action(pdf, "JavaScript", JS="app.alert(1)")).replace(
    b"/JavaScript", b"/J#61vaScript"
)


def _ole(extra: bytes = b"") -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 200 + extra + b"\x00" * 200


REJECTED = {
    # size
    "empty": (b"", "empty"),
    "too large": (PDF + b"\n" * (MAX_BYTES - len(PDF) + 1), "too large"),
    # executables and scripts
    "windows exe": (b"MZ\x90\x00\x03" + b"\x00" * 200, "executable"),
    "elf": (b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "executable"),
    "mach-o": (b"\xcf\xfa\xed\xfe" + b"\x00" * 200, "executable"),
    "java class": (b"\xca\xfe\xba\xbe" + b"\x00" * 200, "executable"),
    "wasm": (b"\x00asm\x01\x00\x00\x00", "executable"),
    "shell script": (b"#!/bin/sh\nrm -rf /\n", "script"),
    # markup
    "html": (b"<!doctype html><html><body><script>alert(1)</script></body></html>", "txt: markup"),
    "html after spaces": (b"\n\n   <html><body>hi</body></html>", "txt: markup"),
    "svg": (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "txt: markup"),
    "xml": (b'<?xml version="1.0"?><cv/>', "txt: markup"),
    "script tag in text": (b"Grace\n<script>alert(1)</script>\n", "polyglot: markup in the head"),
    # archives and images
    "plain zip": (zipped({"cv.pdf": PDF}), "zip: not a document"),
    "jar": (
        zipped({"META-INF/MANIFEST.MF": b"Main-Class: X\n", "X.class": b"\xca\xfe\xba\xbe"}),
        "zip: not a document",
    ),
    "xlsx": (zipped({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<w/>"}), "zip: not a document"),
    "broken zip": (b"PK\x03\x04" + b"\x00" * 60, "zip: no end record"),
    "gzip": (b"\x1f\x8b\x08\x00" + b"\x00" * 40, "archive"),
    "7z": (b"7z\xbc\xaf\x27\x1c" + b"\x00" * 40, "archive"),
    "rar": (b"Rar!\x1a\x07\x00" + b"\x00" * 40, "archive"),
    "png": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "image"),
    "jpeg": (b"\xff\xd8\xff\xe0" + b"\x00" * 40, "image"),
    # documents with active content
    "pdf javascript": (
        make_pdf(lambda pdf: _open_action(pdf, "JavaScript", JS="app.alert(1)")),
        "pdf: /JavaScript runs on its own",
    ),
    "pdf escaped name": (PDF_ESCAPED_JS, "pdf: /JavaScript runs on its own"),
    "pdf launch": (make_pdf(lambda pdf: _open_action(pdf, "Launch", F="cmd.exe")), "pdf: /Launch runs on its own"),
    "pdf embedded file": (make_pdf(_embedded_file), "pdf: names tree with scripts or files"),
    "docm": (
        zipped(
            {
                "[Content_Types].xml": WORD_TYPES.replace(b"document.main", b"document.macroEnabled.main"),
                "word/document.xml": b"<w/>",
            }
        ),
        "docx: macro-enabled",
    ),
    "docx with vba": (
        zipped({"[Content_Types].xml": WORD_TYPES, "word/document.xml": b"<w/>", "word/vbaProject.bin": b"x"}),
        "docx: macros or activex",
    ),
    "docx with activex": (
        zipped({"[Content_Types].xml": WORD_TYPES, "word/document.xml": b"<w/>", "word/activeX/activeX1.xml": b"x"}),
        "docx: macros or activex",
    ),
    "odt with basic": (
        zipped({"mimetype": ODT_MIME, "content.xml": b"<c/>", "Basic/Standard/Module1.xml": b"x"}),
        "odt: macros",
    ),
    "odt template": (zipped({"mimetype": ODT_MIME + b"-template", "content.xml": b"<c/>"}), "zip: not a document"),
    "odt without content": (zipped({"mimetype": ODT_MIME}), "odt: no content"),
    "doc with macros": (_ole("WordDocument".encode("utf-16-le") + "_VBA_PROJECT".encode("utf-16-le")), "doc: macros"),
    "ole but not word (msi, xls)": (_ole("Workbook".encode("utf-16-le")), "ole: not a word document"),
    "rtf with ole object": (b"{\\rtf1 {\\object\\objemb {\\*\\objdata 0105000002000000}}}", "rtf: embedded object"),
    # polyglots
    "pdf with html at the start": (
        b"%PDF-1.4\n<html><script>alert(1)</script></html>\n%%EOF",
        "polyglot: markup in the head",
    ),
    "pdf with a zip inside (pdf+jar)": (PDF + zipped({"META-INF/MANIFEST.MF": b"x"}), "polyglot: zip inside"),
    "docx with bytes after the zip": (DOCX + b"MZ\x90\x00 appended payload", "polyglot: bytes after the zip"),
    "text with a pdf header": (b"hello\n%PDF-1.4\n1 0 obj", "polyglot: pdf header inside"),
    "rtf with html head": (b"{\\rtf1 <iframe src=x>}", "polyglot: markup in the head"),
    # text that is not text
    "nul bytes": (b"Grace\x00Hopper", "txt: control characters"),
    "control characters": (b"Grace\x1b[31mHopper", "txt: control characters"),
    "invalid utf-8": (b"Gr\xe2ce \xff\xfe", "txt: not utf-8"),
    "utf-16 text": ("Grace Hopper".encode("utf-16"), "txt: not utf-8"),
}


@pytest.mark.parametrize("case", list(REJECTED))
def test_rejected_files(case):
    data, reason = REJECTED[case]
    with pytest.raises(UploadRejected) as info:
        detect(data)
    assert info.value.reason == reason
    assert str(info.value)  # a message for the applicant


def test_zip_bomb_members_are_never_inflated():
    # A "mimetype" member that would inflate to 50 MB: refused from its declared size, never read.
    bomb = zipped({"mimetype": b"a" * (50 * 1024 * 1024), "content.xml": b"<c/>"})
    assert len(bomb) < 200_000
    with pytest.raises(UploadRejected):
        detect(bomb)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("Grace Hopper CV.pdf", "Grace Hopper CV.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\grace\\cv.pdf", "cv.pdf"),
        ("cv\u202efdp.exe", "cvfdp.exe"),  # a right-to-left override would show it as "cvexe.pdf"
        ("cv\x00\x1b[31m.pdf", "cv[31m.pdf"),
        ('"><script>.pdf', "script.pdf"),
        ("   ", "resume"),
        ("..", "resume"),
        ("Ré\u0301sume\u0301.pdf", "Ré́sumé.pdf"),
    ],
)
def test_safe_filename(given, kept):
    assert safe_filename(given) == kept


def test_long_file_names_keep_their_extension():
    name = safe_filename("a" * 500 + ".docx")
    assert len(name) <= 200 and name.endswith(".docx")


# ---- through the form -------------------------------------------------------------------------------------


FIELDS = {"name": "Grace Hopper", "email": "grace@example.com", "phone": "605 555 0123", "consent": "yes"}


def nothing_stored(settings) -> bool:
    empty_dir = not settings.uploads_dir.exists() or list(settings.uploads_dir.iterdir()) == []
    return db_rows(settings.database_url, tables.submissions) == [] and empty_dir


@pytest.mark.parametrize("case", ["html", "svg", "windows exe", "plain zip", "pdf javascript", "empty", "nul bytes"])
def test_rejected_uploads_through_the_form_store_nothing(client, settings, case):
    data, _ = REJECTED[case]
    r = client.post(
        JOB, data={**FIELDS, "_t": token(client, JOB)}, files={"resume": ("cv.pdf", data, "application/pdf")}
    )
    assert r.status_code == 422 and 'id="resume-error"' in r.text
    assert nothing_stored(settings)


def test_accepted_upload_keeps_only_a_sanitized_name(client, settings):
    r = client.post(
        JOB, data={**FIELDS, "_t": token(client, JOB)}, files={"resume": ("../x/cv\u202etxt.pdf", TXT, "x/y")}
    )
    assert r.status_code == 303
    (upload,) = db_rows(settings.database_url, tables.uploads)
    assert upload.original_name == "cvtxt.txt" and upload.mime == "text/plain"  # the extension of what it is
    assert upload.stored_name.endswith(".txt") and "/" not in upload.stored_name


def _multipart(parts: list[tuple[str, str | None, bytes]], boundary: str = "XyZ") -> tuple[bytes, dict[str, str]]:
    body = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


@pytest.mark.parametrize(
    "parts",
    [
        pytest.param([("resume", "a.pdf", PDF), ("resume", "b.pdf", PDF)], id="two files"),
        pytest.param([("other", "a.pdf", PDF), ("resume", "b.pdf", PDF)], id="two files, two names"),
        pytest.param([(f"f{i}", None, b"x") for i in range(31)], id="31 fields"),
        pytest.param([("cover_letter", None, b"x" * (64 * 1024 + 1))], id="text part over 64 KiB"),
    ],
)
def test_multipart_limits(client, settings, parts):
    body, headers = _multipart([("_t", None, token(client, JOB).encode()), *parts])
    r = client.post(JOB, content=body, headers=headers)
    assert r.status_code == 400 and "<main" in r.text
    assert nothing_stored(settings)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"--XyZ\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--XyZ--\r\n", "multipart/form-data; boundary=XyZ"),
        (b"garbage without boundaries", "multipart/form-data; boundary=XyZ"),
        (b"--XyZ\r\nbroken header line\r\n\r\nx\r\n--XyZ--", "multipart/form-data; boundary=XyZ"),
        (b"--XyZ\r\n", "multipart/form-data"),  # no boundary parameter
        (b"\xff\xfe\x00", "multipart/form-data; boundary=\xff"),
    ],
)
def test_malformed_multipart_is_a_4xx_not_a_5xx(client, settings, body, content_type):
    for path in (JOB, "/request-info", "/feedback"):
        r = client.post(path, content=body, headers={"Content-Type": content_type.encode("latin-1")})
        assert 400 <= r.status_code < 500, (path, r.status_code)
        assert "Traceback" not in r.text
    assert nothing_stored(settings)


def test_a_file_where_text_belongs_is_refused(client, settings):
    r = client.post("/request-info", data={"name": "x"}, files={"message": ("m.txt", b"hello")})
    assert r.status_code == 400
    assert nothing_stored(settings)


def test_a_cut_off_multipart_body_is_a_400_and_leaves_no_open_file(client, settings):
    body, headers = _multipart(
        [("_t", None, token(client, JOB).encode()), *[(k, None, v.encode()) for k, v in FIELDS.items()]]
    )
    cut = (
        body.rsplit(b"--XyZ--", 1)[0]
        + b'--XyZ\r\nContent-Disposition: form-data; name="resume"; filename="cv.pdf"\r\n\r\n%PDF-1.7 half'
    )
    r = client.post(JOB, content=cut, headers=headers)
    assert r.status_code == 400 and "cut off" in r.text
    assert nothing_stored(settings)
    # The same form, complete, goes through.
    whole = cut + b"\r\n--XyZ--\r\n"
    assert client.post(JOB, content=whole.replace(b"%PDF-1.7 half", PDF), headers=headers).status_code == 303
