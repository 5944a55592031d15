"""Issue 17's public site: brand and pictures, pages from content, the home page, local details, the map on
request, structured data, the sitemap's lastmod and security.txt."""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser

import pytest

OFFICE = "/offices/sioux-falls-agency"
JOB = "/careers/licensed-insurance-agent"


def jsonld_blocks(html: str) -> list[dict]:
    return [json.loads(b) for b in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)]


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.imgs: list[dict] = []
        self.sources: list[dict] = []
        self.h1: list[str] = []
        self._in_h1 = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.imgs.append(a)
        elif tag == "source":
            self.sources.append(a)
        elif tag == "h1":
            self._in_h1 = True
            self.h1.append("")

    def handle_endtag(self, tag):
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data):
        if self._in_h1:
            self.h1[-1] += data


def parsed(html: str) -> _Images:
    p = _Images()
    p.feed(html)
    return p


# -- brand and pictures --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", OFFICE, "/insights/why-hospitals-belong-on-social-media", "/insights", "/offices"]
)
def test_pictures_have_a_size_and_the_largest_is_fetched_first(client, path):
    page = parsed(client.get(path).text)
    pictures = [i for i in page.imgs if i["src"].startswith("/media/") and not i["src"].endswith(".svg")]
    assert pictures, path
    for img in pictures:
        assert img["width"].isdigit() and img["height"].isdigit() and "alt" in img, img
        assert img.get("decoding") == "async"
        assert ("loading" in img) != ("fetchpriority" in img), img  # lazy below the fold, or the page's first
    assert sum(1 for i in page.imgs if i.get("fetchpriority") == "high") == 1, path
    types = {s["type"] for s in page.sources}
    assert "image/webp" in types and all(
        s["srcset"].count("w,") >= 1 or s["srcset"].endswith("w") for s in page.sources
    )


def test_the_logo_and_brand_colours_reach_every_page_without_inline_style(client, content_dir, make_settings, clock):
    html = client.get("/").text
    logo = parsed(html).imgs[0]
    assert logo["src"].startswith("/media/logo-") and logo["src"].endswith(".svg") and logo["alt"] == ""
    css_url = re.search(r'<link rel="stylesheet" href="(/static/css/site\.[0-9a-f]{12}\.css)">', html).group(1)
    css = client.get(css_url)
    assert css.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "--brand: #1d4e6b; --brand-dark: #143a50; --accent: #a63f17;" in css.text and ".hp" in css.text
    # Another colour in site.yaml is another stylesheet URL, so no browser keeps the old colours.
    from starlette.testclient import TestClient

    from frontdesk.app import create_app

    text = (content_dir / "site.yaml").read_text().replace('primary: "#1d4e6b"', 'primary: "#1b5e20"')
    (content_dir / "site.yaml").write_text(text)
    with TestClient(create_app(make_settings(content_dir=content_dir), clock=clock)) as other:
        themed = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', other.get("/").text).group(1)
        assert themed != css_url and "--brand: #1b5e20" in other.get(themed).text


def test_office_page_shows_photo_team_and_special_hours(client):
    html = client.get(OFFICE).text
    assert "Who you will meet" in html and "Jordan Ellis" in html and "Benefits consultant" in html
    assert "Holiday and special hours" in html
    assert "Thursday, November 26</time> (Thanksgiving Day): <strong>Closed</strong>" in html
    assert "(Central Time)" in html


# -- pages from content, and the privacy policy behind the consent --------------------------------------------


def test_pages_from_content_are_served_and_listed(client):
    r = client.get("/privacy")
    assert r.status_code == 200
    assert '<h1 id="page-title">Privacy policy</h1>' in r.text and "Version 2026-09-01" in r.text
    assert "fd_vid" in r.text and "Was this information helpful?" in r.text
    for path, title in [("/accessibility", "Accessibility statement"), ("/about", "About Prairie Point Agency")]:
        assert f">{title}</h1>" in client.get(path).text
    locs = re.findall(r"<loc>http://testserver(/[^<]*)</loc>", client.get("/sitemap.xml").text)
    assert {"/privacy", "/accessibility", "/about"} <= set(locs)


@pytest.mark.parametrize("path", ["/", "/request-info", f"{JOB}/apply", "/request-info/thanks", f"{JOB}/apply/thanks"])
def test_the_privacy_policy_is_linked_with_its_version(client, path):
    html = client.get(path).text
    assert '<a href="/privacy">Privacy policy</a> (version 2026-09-01)' in html  # the footer, on every page
    if "thanks" in path:
        assert 'our <a href="/privacy">privacy policy</a> (version 2026-09-01) describes' in html
    elif path != "/":
        assert '<a href="/privacy">Privacy policy version 2026-09-01</a>' in html  # beside the consent box
        assert 'aria-describedby="consent-policy"' in html


def test_unknown_paths_are_404_for_every_method_and_pages_take_get_only(client):
    assert client.get("/nope").status_code == 404
    assert client.post("/nope").status_code == 404
    assert client.post("/privacy").status_code == 405
    assert client.request("PROPFIND", "/request-info").status_code == 405
    assert client.get("/privacy/extra").status_code == 404


# -- the home page -------------------------------------------------------------------------------------------


def test_home_page_has_a_real_heading_services_and_a_call_to_action(client):
    html = client.get("/").text
    (h1,) = parsed(html).h1
    assert h1 == "Insurance and benefits advice from neighbours who answer the phone" and h1 != "Prairie Point Agency"
    assert "What we help with" in html
    for name in [
        "Auto insurance",
        "Home and renters",
        "Business insurance",
        "Employee benefits",
        "Health and Medicare",
    ]:
        assert f"<h3>{name}</h3>" in html
    assert 'href="/request-info?interest=auto"' in html and "Talk to a licensed agent" in html
    assert "Visit an office" in html and "Latest openings" in html and "Insights" in html
    assert "Was this information helpful?" not in html


def test_request_info_preselects_an_interest_or_an_office(client):
    html = client.get("/request-info?interest=benefits").text
    assert '<option value="benefits" selected>' in html
    html = client.get("/request-info?office=sioux-falls-call-center&interest=nope").text
    assert '<option value="sioux-falls-call-center" selected>' in html and "selected>Employee" not in html


# -- local details -------------------------------------------------------------------------------------------


def test_pay_plurals_and_dates_read_naturally(client):
    assert "$17–$19 an hour" in client.get("/careers/benefits-intern").text
    assert "USD" not in client.get("/careers/benefits-intern").text.split("application/ld+json")[0]
    one = client.get("/careers?type=internship&department=benefits").text
    assert "1 opening matches your filters" in one
    assert "openings match your filters" in client.get("/careers?type=internship").text
    assert "open positions" in client.get("/careers").text
    assert "November 2, 2026" in client.get(JOB).text


def test_open_now_is_left_to_the_browser(client):
    """A cached page is the same bytes all day: it carries the schedule, never a claim that goes stale."""
    html = client.get(OFFICE).text
    slot = re.search(r'<p class="open-status" data-open-status data-schedule="([^"]+)" role="status" hidden>', html)
    data = json.loads(slot.group(1).replace("&#34;", '"').replace("&quot;", '"'))
    assert data["tz"] == "America/Chicago" and data["week"][0] == [["08:00", "17:00"]]
    assert data["special"]["2026-11-26"] == []
    assert "Open now" not in html and "Closed now" not in html


def test_office_page_offers_request_info_about_it(client):
    html = client.get(OFFICE).text
    assert '<a class="button" href="/request-info?office=sioux-falls-agency">Request info about this office</a>' in html
    assert "Request info about this office" in client.get("/offices").text


# -- the map, on request only --------------------------------------------------------------------------------


def test_the_map_loads_only_when_asked(client):
    html = client.get(OFFICE).text
    assert "<iframe" not in html  # no request to a third party before the visitor asks
    link = re.search(
        r'<a class="button button-secondary" href="([^"]+)" rel="noopener" data-map-embed data-src="([^"]+)"', html
    )
    assert link.group(1).startswith("https://www.openstreetmap.org/?mlat=43.51043")
    assert link.group(2).startswith("https://www.openstreetmap.org/export/embed.html?")
    assert "3932 South Willow Avenue" in html and "Get directions" in html  # the card is there before and after


# -- structured data -----------------------------------------------------------------------------------------


def test_local_business_type_id_image_and_holidays(client):
    (data,) = jsonld_blocks(client.get(OFFICE).text)
    assert data["@type"] == "InsuranceAgency"
    assert data["@id"] == "http://testserver/offices/sioux-falls-agency#office"
    assert re.fullmatch(r"http://testserver/media/office-willow-[0-9a-f]{12}-1200\.jpg", data["image"])
    assert data["parentOrganization"]["logo"].startswith("http://testserver/media/logo-")
    thanksgiving = [s for s in data["specialOpeningHoursSpecification"] if s["validFrom"] == "2026-11-26"]
    assert thanksgiving == [
        {
            "@type": "OpeningHoursSpecification",
            "validFrom": "2026-11-26",
            "validThrough": "2026-11-26",
            "opens": "00:00",
            "closes": "00:00",
        }
    ]


def test_job_posting_closes_in_the_office_zone_with_logo(client):
    (data,) = jsonld_blocks(client.get(JOB).text)
    assert data["validThrough"] == "2027-12-31T23:59:59-06:00"
    assert data["hiringOrganization"]["logo"].startswith("http://testserver/media/logo-")
    assert "jobLocationType" not in data and data["jobLocation"]["address"]["addressLocality"] == "Sioux Falls"


@pytest.mark.parametrize("workplace", ["remote", "hybrid"])
def test_remote_and_hybrid_postings(content_dir, make_settings, clock, workplace):
    from starlette.testclient import TestClient

    from frontdesk.app import create_app

    path = content_dir / "careers/licensed-insurance-agent.md"
    path.write_text(
        path.read_text().replace(
            "employment_type:", f"workplace: {workplace}\nremote_countries: [US, CA]\nemployment_type:", 1
        )
    )
    with TestClient(create_app(make_settings(content_dir=content_dir), clock=clock)) as c:
        html = c.get(JOB).text
        (data,) = jsonld_blocks(html)
    assert data["jobLocationType"] == "TELECOMMUTE"
    assert data["applicantLocationRequirements"] == [
        {"@type": "Country", "name": "US"},
        {"@type": "Country", "name": "CA"},
    ]
    assert ("jobLocation" in data) == (workplace == "hybrid")
    assert ("Remote" in html) if workplace == "remote" else ("(hybrid)" in html)


def test_article_image_is_an_absolute_url(client):
    (data,) = jsonld_blocks(client.get("/insights/why-hospitals-belong-on-social-media").text)
    assert re.fullmatch(r"http://testserver/media/cover-social-[0-9a-f]{12}-1200\.jpg", data["image"])
    assert data["publisher"]["logo"].startswith("http://testserver/media/logo-")


def test_sitemap_has_lastmod_where_content_knows_it(client):
    body = client.get("/sitemap.xml").text
    entries = dict(re.findall(r"<loc>http://testserver([^<]*)</loc>(?:<lastmod>([^<]+)</lastmod>)?", body))
    assert entries[OFFICE] == "2026-11-02" and entries["/careers/benefits-intern"] == "2026-10-09"
    assert entries["/insights/why-hospitals-belong-on-social-media"] == "2026-06-10"
    assert entries["/privacy"] == "2026-09-01" and entries["/insights"] == max(
        v for k, v in entries.items() if k.startswith("/insights/") and "category" not in k
    )
    assert entries["/request-info"] == ""  # nothing known: left out rather than made up


def test_security_txt(client, content_dir, make_settings, clock):
    r = client.get("/.well-known/security.txt")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert r.text.splitlines()[:2] == ["Contact: mailto:security@prairiepoint.example", "Expires: 2027-10-31T23:59:59Z"]
    assert "Canonical: http://testserver/.well-known/security.txt" in r.text
    from starlette.testclient import TestClient

    from frontdesk.app import create_app

    site = content_dir / "site.yaml"
    site.write_text(re.sub(r"security_txt:\n(  .*\n)+", "", site.read_text()))
    with TestClient(create_app(make_settings(content_dir=content_dir), clock=clock)) as c:
        assert c.get("/.well-known/security.txt").status_code == 404


def test_security_txt_expiry_warning():
    from frontdesk.content import load_content
    from frontdesk.public.crawlers import security_txt_expiry_warning
    from support import DEMO_CONTENT

    content = load_content(DEMO_CONTENT)
    assert security_txt_expiry_warning(content, dt.datetime(2027, 9, 1, tzinfo=dt.UTC)) is None
    soon = security_txt_expiry_warning(content, dt.datetime(2027, 10, 10, tzinfo=dt.UTC))
    assert soon == "site.yaml: security_txt.expires: expires on 2027-10-31, in 21 days; set a later date"
    assert "expired on 2027-10-31" in security_txt_expiry_warning(content, dt.datetime(2027, 11, 2, tzinfo=dt.UTC))
