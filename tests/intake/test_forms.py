"""Request Info, job applications and feedback: validation, durability, attribution and uploads."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from frontdesk.db import tables
from support import PDF, db_rows, post_lead, token

JOB = "licensed-insurance-agent"


def rows(settings, table):
    return db_rows(settings.database_url, table)


def test_request_info_form_is_accessible_and_guarded(client):
    html = client.get("/request-info").text
    for name in ["name", "email", "phone", "company", "interest", "office", "message", "consent"]:
        assert f'id="{name}"' in html and (f'for="{name}"' in html), name
    assert 'name="_t"' in html
    assert 'class="hp" aria-hidden="true"' in html and 'tabindex="-1"' in html
    assert "Auto insurance" in html and "Sioux Falls Call Center Office" in html
    assert "Privacy policy version 2026-09-01" in html


def test_request_info_success_stores_submission_and_pending_delivery(client, settings):
    r = post_lead(client)
    assert r.status_code == 303 and r.headers["location"] == "/request-info/thanks"
    assert "We have received your request" in client.get("/request-info/thanks").text
    (sub,) = rows(settings, tables.submissions)
    assert sub.kind == "lead" and sub.email == "ada@example.com" and not sub.spam
    assert sub.data["name"] == "Ada Lovelace" and sub.data["interest"] == "business"
    assert sub.consent["given"] is True and sub.consent["policy_version"] == "2026-09-01"
    assert "may store my details" in sub.consent["text"]
    assert sub.attribution["sent_from"] == "/offices/sioux-falls-agency"
    (delivery,) = rows(settings, tables.deliveries)
    assert delivery.state == "pending" and delivery.event_type == "lead.created"
    assert delivery.payload["data"]["email"] == "ada@example.com"
    assert delivery.payload["data"]["consent"]["given"] is True


def test_utm_attribution_is_kept_across_pages(client, settings):
    r = client.get("/?utm_source=newsletter&utm_medium=email&utm_campaign=fall&utm_term=cover&utm_content=hero")
    assert "fd_attr=" in r.headers["set-cookie"]
    assert r.headers["cache-control"] == "private, no-store"
    assert "set-cookie" not in client.get("/offices").headers  # ordinary pages stay cookie-free
    post_lead(client)
    (sub,) = rows(settings, tables.submissions)
    a = sub.attribution
    assert (a["utm_source"], a["utm_medium"], a["utm_campaign"], a["utm_term"], a["utm_content"]) == (
        "newsletter",
        "email",
        "fall",
        "cover",
        "hero",
    )
    assert a["landing_page"].startswith("/?utm_source=newsletter")
    assert a["form_page"] == "/request-info"


def test_external_referrer_is_recorded(client, settings):
    client.get("/offices/sioux-falls-agency", headers={"Referer": "https://www.search.example/"})
    post_lead(client)
    (sub,) = rows(settings, tables.submissions)
    assert sub.attribution["referrer"] == "https://www.search.example/"
    assert sub.attribution["landing_page"] == "/offices/sioux-falls-agency"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "This field is required."),
        ("name", "x" * 201, "Keep this to 200 characters or fewer."),
        ("email", "not-an-email", "Enter an email address like name@example.com."),
        ("email", "", "Enter your email address."),
        ("phone", "call me maybe", "Enter a phone number"),
        ("interest", "yachts", "Choose what you would like to hear about."),
        ("office", "atlantis", "Choose one of our offices"),
        ("message", "", "This field is required."),
        ("message", "y" * 5001, "Keep this to 5,000 characters or fewer."),
        ("consent", None, "Please tick the box to agree"),
    ],
)
def test_invalid_request_info_is_422_with_errors_beside_fields_and_input_kept(client, settings, field, value, message):
    r = post_lead(client, **{field: value, "company": "Kept & <Escaped>"})
    assert r.status_code == 422
    html = r.text
    error = re.search(
        rf'<span class="error" id="{field}-error"[^>]*>(.*?)</span>\s*<(input|textarea|select|label)', html, re.S
    )
    assert error and message in error.group(1)
    assert f'aria-describedby="{field}-error"' in html or f'{field}-error"' in html
    assert 'value="Kept &amp; &lt;Escaped&gt;"' in html
    assert "There is a problem" in html
    assert rows(settings, tables.submissions) == [] and rows(settings, tables.deliveries) == []


def test_json_clients_get_json_errors_and_success(client, settings):
    r = client.post("/request-info", data={"_t": token(client), "email": "x"}, headers={"Accept": "application/json"})
    assert r.status_code == 422
    body = r.json()
    assert body["ok"] is False and {"name", "email", "interest", "message", "consent"} <= set(body["errors"])
    r = post_lead(client)
    r = client.post(
        "/request-info",
        data={
            "_t": token(client),
            "name": "B",
            "email": "b@example.com",
            "interest": "auto",
            "message": "m",
            "consent": "yes",
        },
        headers={"Accept": "application/json"},
    )
    assert r.status_code == 200 and r.json()["ok"] is True
    assert len(rows(settings, tables.submissions)) == 2


def test_text_is_normalized(client, settings):
    post_lead(client, name="  Zoe\u0301\x07  Smith\u200b ", message="line one\r\nline\x00 two\t ")
    (sub,) = rows(settings, tables.submissions)
    assert sub.data["name"] == "Zo\u00e9 Smith"
    assert sub.data["message"] == "line one\nline two"


def test_duplicated_fields_are_rejected_not_guessed(client, settings):
    r = client.post(
        "/request-info",
        content="name=a&name=b&email=a@example.com",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 422 and "sent more than once" in r.text
    assert rows(settings, tables.submissions) == []


def test_honeypot_is_stored_as_spam_and_held(client, settings):
    r = post_lead(client, fax="+1 555 0100")
    assert r.status_code == 303 and r.headers["location"] == "/request-info/thanks"
    (sub,) = rows(settings, tables.submissions)
    assert sub.spam and sub.spam_reason == "honeypot"
    (delivery,) = rows(settings, tables.deliveries)
    assert delivery.state == "held"


def test_time_trap(make_settings, clock):
    from starlette.testclient import TestClient

    from frontdesk.app import create_app

    settings = make_settings(form_min_seconds=3)
    with TestClient(create_app(settings, clock=clock), follow_redirects=False) as c:
        assert post_lead(c).status_code == 303  # sent at once: looks fine to the sender, stored as spam
        t = token(c)
        clock.advance(seconds=5)
        assert post_lead(c, _t=t).status_code == 303
        assert post_lead(c, _t="123.forged").status_code == 303
        t = token(c)
        clock.advance(hours=25)
        assert post_lead(c, _t=t).status_code == 303
    reasons = [s.spam_reason for s in sorted(rows(settings, tables.submissions), key=lambda s: s.created_at)]
    assert reasons[0].startswith("time-trap: sent")
    assert reasons[1] is None
    assert reasons[2] == "time-trap: missing or invalid token"
    assert reasons[3] == "time-trap: form too old"


# -- applications --------------------------------------------------------------------------------------------


def apply(client, *, files=None, **overrides):
    data = {
        "_t": token(client, f"/careers/{JOB}/apply"),
        "name": "Grace Hopper",
        "email": "grace@example.com",
        "phone": "605 555 0123",
        "links": "https://www.linkedin.com/in/grace\nhttps://grace.example.com",
        "cover_letter": "I debug things.",
        "consent": "yes",
    }
    data.update(overrides)
    if files is None:
        files = {"resume": ("Grace Hopper CV.pdf", PDF, "application/pdf")}
    return client.post(f"/careers/{JOB}/apply", data={k: v for k, v in data.items() if v is not None}, files=files)


def test_apply_form_renders(client):
    html = client.get(f"/careers/{JOB}/apply").text
    assert 'enctype="multipart/form-data"' in html and 'type="file"' in html and 'name="resume"' in html


def test_application_is_stored_with_a_private_resume_and_signed_link(client, settings, clock):
    r = apply(client)
    assert r.status_code == 303 and r.headers["location"] == f"/careers/{JOB}/apply/thanks"
    assert "Licensed Insurance Agent" in client.get(r.headers["location"]).text
    (sub,) = rows(settings, tables.submissions)
    assert sub.kind == "application" and sub.data["job"]["slug"] == JOB
    assert sub.data["links"] == ["https://www.linkedin.com/in/grace", "https://grace.example.com"]
    (upload,) = rows(settings, tables.uploads)
    stored = settings.uploads_dir / upload.stored_name
    assert stored.read_bytes() == PDF and "Grace" not in upload.stored_name
    assert upload.original_name == "Grace Hopper CV.pdf" and upload.mime == "application/pdf"
    (delivery,) = rows(settings, tables.deliveries)
    resume = delivery.payload["data"]["resume"]
    assert resume["url"].startswith("http://testserver/files/resume/")
    assert "content" not in resume and PDF.decode(errors="ignore") not in str(delivery.payload)
    url = urlsplit(resume["url"])
    path = url.path + "?" + url.query
    got = client.get(path)
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-disposition"].startswith("attachment")
    assert got.headers["x-content-type-options"] == "nosniff"
    q = parse_qs(url.query)
    tampered = f"{url.path}?expires={int(q['expires'][0]) + 1}&sig={q['sig'][0]}"
    assert client.get(tampered).status_code == 403
    assert client.get(url.path).status_code == 403
    clock.advance(days=8)
    assert client.get(path).status_code == 403


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("empty.pdf", b"", "empty"),
        ("page.pdf", b"<html><script>alert(1)</script></html>", "Upload your résumé as"),
        ("setup.pdf", b"MZ\x90\x00" + b"\x00" * 100, "Upload your résumé as"),
        ("image.svg", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "Upload your résumé as"),
        ("archive.docx", b"PK\x03\x04" + b"\x00" * 60, "Upload your résumé as"),
        ("bin.txt", b"\x00\x01\x02\xff", "Upload your résumé as"),
    ],
)
def test_rejected_resumes(client, settings, name, body, message):
    r = apply(client, files={"resume": (name, body, "application/pdf")})
    assert r.status_code == 422
    assert message in r.text
    assert rows(settings, tables.submissions) == [] and rows(settings, tables.uploads) == []
    assert not settings.uploads_dir.exists() or list(settings.uploads_dir.iterdir()) == []


def test_accepted_resume_types(client, settings):
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(
            "[Content_Types].xml",
            '<Types><Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        z.writestr("word/document.xml", "<w:document/>")
    cases = [("cv.docx", buf.getvalue()), ("cv.txt", "Grace Hopper — résumé".encode()), ("cv.rtf", b"{\\rtf1 hi}")]
    for name, body in cases:
        assert apply(client, files={"resume": (name, body, "application/octet-stream")}).status_code == 303, name
    assert sorted(u.mime for u in rows(settings, tables.uploads)) == [
        "application/rtf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "text/plain",
    ]


def test_missing_resume_and_invalid_fields(client, settings):
    r = apply(client, files={}, name="", links="javascript:alert(1)")
    assert r.status_code == 422
    html = r.text
    assert "Attach your résumé" in html and "starting with https://" in html and "This field is required." in html
    assert rows(settings, tables.submissions) == []


def test_expired_posting_answers_410(client, settings):
    assert client.get("/careers/summer-claims-assistant/apply").status_code == 410
    r = client.post("/careers/summer-claims-assistant/apply", data={"name": "x"})
    assert r.status_code == 410 and "/careers" in r.text
    assert client.get("/careers/nope/apply").status_code == 404
    assert rows(settings, tables.submissions) == []


# -- feedback -----------------------------------------------------------------------------------------------


def vote(client, page="/offices/sioux-falls-agency", **data):
    body = {"_t": token(client, page), "page": page, **data}
    return client.post("/feedback", data=body)


def test_feedback_widget_on_every_content_page(client):
    for path in ["/", "/offices", "/offices/sioux-falls-agency", "/careers", f"/careers/{JOB}", "/customer-care"]:
        html = client.get(path).text
        assert "Was this information helpful?" in html and f'name="page" value="{path}"' in html, path
    assert "Was this information helpful?" not in client.get("/request-info").text


def test_yes_vote_then_thanks_without_js(client, settings):
    r = vote(client, helpful="yes")
    assert r.status_code == 303 and r.headers["location"] == "/offices/sioux-falls-agency?feedback=thanks#feedback"
    assert "fd_vid=" in r.headers["set-cookie"] and "HttpOnly" in r.headers["set-cookie"]
    assert "Thank you for your feedback" in client.get("/offices/sioux-falls-agency?feedback=thanks").text
    (v,) = rows(settings, tables.votes)
    assert v.helpful is True
    (d,) = rows(settings, tables.vote_days)
    assert (d.yes, d.no) == (1, 0)
    (delivery,) = rows(settings, tables.deliveries)
    assert delivery.event_type == "feedback.created" and delivery.payload["data"]["replaces_previous_vote"] is False


def test_no_vote_asks_for_a_reason_and_the_answer_replaces_it(client, settings):
    r = vote(client, helpful="no")
    assert r.headers["location"] == "/offices/sioux-falls-agency?feedback=more#feedback"
    assert "What could be better?" in client.get("/offices/sioux-falls-agency?feedback=more").text
    r = vote(client, helpful="no", reason="missing", comment="Parking details please")
    assert r.headers["location"].endswith("feedback=thanks#feedback")
    (v,) = rows(settings, tables.votes)
    assert (v.helpful, v.reason, v.comment) == (False, "missing", "Parking details please")
    (d,) = rows(settings, tables.vote_days)
    assert (d.yes, d.no) == (0, 1)
    flags = sorted(d.payload["data"]["replaces_previous_vote"] for d in rows(settings, tables.deliveries))
    assert flags == [False, True]  # the second vote goes out as a new event that says it replaces the first


def test_feedback_json(client):
    r = vote(client, helpful="no", **{})
    r = client.post(
        "/feedback",
        data={"_t": token(client), "page": "/customer-care", "helpful": "no"},
        headers={"Accept": "application/json"},
    )
    assert r.json() == {"ok": True, "message": "Thank you for your feedback.", "ask_reason": True}


@pytest.mark.parametrize(
    "data",
    [
        {"page": "/nope", "helpful": "yes"},
        {"page": "https://evil.example/", "helpful": "yes"},
        {"page": "/", "helpful": "maybe"},
        {"page": "/", "helpful": "no", "reason": "bored"},
        {"page": "/", "helpful": "no", "comment": "z" * 2001},
    ],
)
def test_invalid_feedback(client, settings, data):
    r = client.post("/feedback", data={"_t": token(client), **data})
    assert r.status_code == 422 and "There is a problem" in r.text
    assert rows(settings, tables.votes) == [] and rows(settings, tables.submissions) == []


def test_spam_votes_do_not_move_tallies(client, settings):
    vote(client, helpful="yes", fax="bot")
    assert rows(settings, tables.votes) == []
    (sub,) = rows(settings, tables.submissions)
    assert sub.spam


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"name=%FF%FE&email=x", "application/x-www-form-urlencoded", 400),
        (b"name=\xff\xfe", "application/x-www-form-urlencoded", 400),
        ("&".join(f"f{i}=x" for i in range(100)).encode(), "application/x-www-form-urlencoded", 400),
        (b'{"name": "x"}', "application/json", 415),
        (b"--x\r\nbroken", "multipart/form-data; boundary=x", 400),  # cut off before its closing boundary
    ],
)
def test_malformed_bodies_get_a_clear_4xx(client, settings, body, content_type, status):
    r = client.post("/request-info", content=body, headers={"Content-Type": content_type})
    assert r.status_code == status
    assert "Traceback" not in r.text
    assert rows(settings, tables.submissions) == []
