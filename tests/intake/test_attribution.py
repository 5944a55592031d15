"""First and latest touch: the signed attribution cookie, its bounds, and both touches in the DB and webhook."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest

from frontdesk.db import tables
from frontdesk.intake import attribution
from support import db_rows, post_lead

SECRET = "s" * 40
NOW = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)


def scope(query: bytes = b"", referer: bytes = b"") -> dict:
    headers = [(b"host", b"testserver")] + ([(b"referer", referer)] if referer else [])
    return {"type": "http", "method": "GET", "path": "/offices", "query_string": query, "headers": headers}


def test_a_google_ad_then_a_newsletter_keeps_both_touches_in_the_database_and_the_webhook(client, settings):
    client.get("/offices?gclid=EAIaIQobChMI-ad-click", headers={"Referer": "https://www.google.com/"})
    client.get("/careers?utm_source=newsletter&utm_medium=email&utm_campaign=december")
    assert post_lead(client).status_code == 303

    (sub,) = db_rows(settings.database_url, tables.submissions)
    first, last = sub.attribution["first_touch"], sub.attribution["last_touch"]
    assert (first["source"], first["medium"], first["click_ids"]) == (
        "google",
        "cpc",
        {"gclid": "EAIaIQobChMI-ad-click"},
    )
    assert first["landing_page"] == "/offices?gclid=EAIaIQobChMI-ad-click"
    assert first["referrer"] == "https://www.google.com/"
    assert (last["source"], last["medium"], last["campaign"], last["click_ids"]) == (
        "newsletter",
        "email",
        "december",
        {},
    )
    assert first["at"] and last["at"]
    assert (sub.first_source, sub.first_medium, sub.first_landing) == ("google", "cpc", "/offices")
    assert (sub.last_source, sub.last_medium, sub.last_campaign, sub.last_landing) == (
        "newsletter",
        "email",
        "december",
        "/careers",
    )
    (delivery,) = db_rows(settings.database_url, tables.deliveries)
    sent = delivery.payload["data"]["attribution"]
    assert sent["first_touch"]["click_ids"]["gclid"] == "EAIaIQobChMI-ad-click"
    assert sent["last_touch"]["source"] == "newsletter"


def test_a_direct_visit_records_no_touch(client, settings):
    post_lead(client)
    (sub,) = db_rows(settings.database_url, tables.submissions)
    assert sub.attribution["first_touch"] is None and sub.attribution["last_touch"] is None
    assert sub.first_source == "" and sub.last_landing == ""


def test_every_click_id_is_kept_and_implies_its_source():
    for name, (source, medium) in attribution.CLICK_SOURCES.items():
        touch = attribution._landing(scope(f"{name}=abc123".encode()), NOW)
        assert touch is not None and touch["click_ids"] == {name: "abc123"}
        assert (touch["source"], touch["medium"]) == (source, medium)
        assert attribution._maybe_landing(scope(f"{name}=abc123".encode()))


def test_utm_source_wins_over_the_inferred_one():
    touch = attribution._landing(scope(b"gclid=x&utm_source=partner"), NOW)
    assert touch is not None and (touch["source"], touch["medium"]) == ("partner", "")


def test_the_cookie_round_trips_and_is_signed():
    first = attribution._landing(scope(b"gclid=abc"), NOW)
    last = attribution._landing(scope(b"utm_source=news"), NOW + dt.timedelta(days=2))
    value = attribution.encode(first, last, SECRET)
    assert attribution.decode(value, SECRET) == (first, last)
    assert attribution.decode(value, "t" * 40) is None  # another key
    body, sig = value.split(".")
    forged = base64.urlsafe_b64encode(json.dumps({"f": {"s": "forged"}}).encode()).decode().rstrip("=")
    assert attribution.decode(f"{forged}.{sig}", SECRET) is None
    assert attribution.decode(body, SECRET) is None  # unsigned (the old format)
    assert attribution.decode(value + "x", SECRET) is None


@pytest.mark.parametrize(
    "value",
    ["", ".", "a.b.c", "x" * 5000, "!!!.???", "e30." + "A" * 16, "\x00\x01.\x02", "bnVsbA.AAAA"],
)
def test_garbage_cookies_are_ignored(value):
    assert attribution.decode(value, SECRET) is None


def test_signed_but_odd_contents_are_revalidated():
    def signed(data: object) -> str:
        body = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
        return f"{body}.{attribution._sign(body, SECRET)}"

    assert attribution.decode(signed([1, 2]), SECRET) is None
    assert attribution.decode(signed({"l": {}}), SECRET) is None
    first, _ = attribution.decode(signed({"f": {"s": "a\x00b\u202e" + "x" * 500, "a": True, "zz": "y"}}), SECRET)
    assert first["source"] == "ab" + "x" * 98 and first["at"] == ""


def test_values_are_stripped_and_capped_and_the_cookie_stays_under_1_kb():
    huge = "v\x07" * 4000
    query = "&".join(f"{k}={huge}" for k in (*attribution.UTM, *attribution.CLICK_IDS)).encode()
    first = attribution._landing(scope(query, b"https://elsewhere.example/" + b"r" * 5000), NOW)
    assert first is not None and "\x07" not in first["source"] and len(first["source"]) == 100
    last = attribution._landing(scope(query.replace(b"v", b"w")), NOW)
    value = attribution.encode(first, last, SECRET)
    assert len(value) <= attribution.MAX_COOKIE
    decoded = attribution.decode(value, SECRET)
    assert decoded is not None and decoded[0]["source"].startswith("v")


def test_forged_and_oversized_cookies_never_break_a_page_or_a_form(client, settings):
    client.cookies.set("fd_attr", "eyJmIjp7InMiOiJmb3JnZWQifX0.AAAAAAAAAAAAAAAA")
    assert client.get("/offices").status_code == 200
    client.cookies.set("fd_attr", "A" * 3000)
    assert client.get("/").status_code == 200
    assert post_lead(client).status_code == 303
    (sub,) = db_rows(settings.database_url, tables.submissions)
    assert sub.attribution["first_touch"] is None


@pytest.mark.parametrize("value", [".\x80", "e30.²", "é.é", "\x00.\x00"])
def test_a_cookie_with_non_ascii_in_its_signature_is_ignored_not_a_500(client, settings, value):
    # Found by the fuzz test: compare_digest raises TypeError on non-ASCII str.
    assert attribution.decode(value, SECRET) is None
    raw = {"cookie": b"fd_attr=" + value.encode()}
    assert client.get("/offices", headers=raw).status_code == 200
    assert post_lead(client, headers=raw).status_code == 303
    (sub,) = db_rows(settings.database_url, tables.submissions)
    assert sub.attribution["first_touch"] is None


def test_a_forged_cookie_does_not_become_the_first_touch(client, settings):
    client.cookies.set("fd_attr", "eyJmIjp7InMiOiJmb3JnZWQifX0.AAAAAAAAAAAAAAAA")
    response = client.get("/offices?utm_source=real")
    assert "fd_attr=" in response.headers["set-cookie"]
    post_lead(client)
    (sub,) = db_rows(settings.database_url, tables.submissions)
    assert sub.attribution["first_touch"]["source"] == "real"
