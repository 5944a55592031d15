"""Public pages: key content, structured data, filters, errors, sitemap and headers."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

OFFICE = "/offices/sioux-falls-agency"
JOB = "/careers/licensed-insurance-agent"
INTERNSHIP = "/careers/marketing-intern"
EXPIRED = "/careers/summer-claims-assistant"
PUBLIC_PAGES = ["/", "/offices", OFFICE, "/offices/sioux-falls-call-center", "/careers", JOB, "/customer-care"]


def jsonld_blocks(html: str) -> list[dict]:
    found = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [json.loads(block) for block in found]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inline_scripts = 0
        self.inline_styles = 0
        self.tags: list[tuple[str, dict]] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if "style" in a:
            self.inline_styles += 1
        if tag == "style":
            self.inline_styles += 1
        if tag == "script" and not a.get("src") and a.get("type") != "application/ld+json":
            self.inline_scripts += 1
        if any(k.startswith("on") for k in a):
            self.inline_scripts += 1


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_page_renders_in_the_layout(client, path):
    r = client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    assert '<html lang="en">' in html
    assert 'href="#main"' in html and 'id="main"' in html  # skip link and its target
    assert "<header" in html and "<nav" in html and "<main" in html and "<footer" in html
    assert '<link rel="canonical" href="http://testserver' in html
    assert 'property="og:title"' in html and 'name="twitter:card"' in html
    # The footer lists every office with its address, the social links, careers and request info.
    assert "3932 South Willow Avenue" in html and "3817 South Elmwood Avenue" in html
    assert "linkedin.com" in html and "youtube.com" in html and "facebook.com" in html and "twitter.com" in html
    assert 'href="/careers"' in html and 'href="/request-info"' in html
    parsed = _Collector()
    parsed.feed(html)
    assert parsed.inline_scripts == 0 and parsed.inline_styles == 0


def test_home_shows_offices_openings_and_calls_to_action(client):
    html = client.get("/").text
    assert "Prairie Point Agency" in html
    assert "Sioux Falls Agency Office" in html and "Sioux Falls Call Center Office" in html
    assert "Licensed Insurance Agent" in html or "Latest openings" in html
    assert 'href="/request-info"' in html and "Careers &amp; Internships" in html


def test_office_page_has_address_hours_map_directions_and_local_business(client):
    r = client.get(OFFICE)
    html = r.text
    assert "3932 South Willow Avenue" in html and "Sioux Falls, SD 57105" in html
    # en_US: a 12-hour clock, as Babel (CLDR) writes it, with its narrow spaces (was "08:00–17:00")
    assert "Monday" in html and "8:00\u202fAM\u2009–\u20095:00\u202fPM" in html
    assert 'src="https://www.openstreetmap.org/export/embed.html?' in html
    assert "OpenStreetMap contributors" in html
    assert "Get directions" in html
    (data,) = jsonld_blocks(html)
    assert data["@context"] == "https://schema.org"
    assert data["@type"] in {"LocalBusiness", "InsuranceAgency"}
    assert data["address"]["streetAddress"] == "3932 South Willow Avenue"
    assert data["address"]["postalCode"] == "57105"
    assert data["geo"]["latitude"] == pytest.approx(43.51043, abs=1e-3)
    assert data["telephone"]
    assert data["url"] == "http://testserver" + OFFICE
    days = {spec["dayOfWeek"] for spec in data["openingHoursSpecification"]}
    assert "https://schema.org/Monday" in days and "https://schema.org/Sunday" not in days


def test_name_address_and_phone_are_consistent_everywhere(client):
    office_html = client.get(OFFICE).text
    (data,) = jsonld_blocks(office_html)
    for path in ["/", "/offices", "/careers"]:
        html = client.get(path).text
        assert data["telephone"] in html
        assert data["address"]["streetAddress"] in html


def test_job_page_has_job_posting_json_ld(client):
    html = client.get(JOB).text
    assert "Licensed Insurance Agent" in html
    assert f'href="{JOB}/apply"' in html
    (data,) = jsonld_blocks(html)
    assert data["@type"] == "JobPosting"
    for key in [
        "title",
        "description",
        "datePosted",
        "validThrough",
        "employmentType",
        "hiringOrganization",
        "jobLocation",
    ]:
        assert data[key], key
    assert data["directApply"] is True
    assert data["employmentType"] == "FULL_TIME"
    assert data["jobLocation"]["address"]["addressLocality"] == "Sioux Falls"
    assert data["baseSalary"]["currency"] == "USD"
    assert data["baseSalary"]["value"]["minValue"] <= data["baseSalary"]["value"]["maxValue"]


def test_internship_employment_type(client):
    (data,) = jsonld_blocks(client.get(INTERNSHIP).text)
    assert data["employmentType"] == "INTERN"


def test_careers_lists_open_positions_only(client):
    html = client.get("/careers").text
    assert "Licensed Insurance Agent" in html
    assert "Summer Claims Assistant" not in html


def test_careers_filters_by_type_office_and_department(client):
    interns = client.get("/careers?type=internship").text
    assert "Marketing Intern" in interns and "Licensed Insurance Agent" not in interns
    jobs = client.get("/careers?type=job").text
    assert "Licensed Insurance Agent" in jobs and "Marketing Intern" not in jobs
    by_dept = client.get("/careers?department=sales").text
    assert "Licensed Insurance Agent" in by_dept and "Customer Care Specialist" not in by_dept
    r = client.get("/careers?office=sioux-falls-call-center&type=full-time")
    assert r.status_code == 200
    assert 'value="sioux-falls-call-center" selected' in r.text


def test_careers_no_match_state(client):
    r = client.get("/careers?type=internship&department=sales")
    assert r.status_code == 200
    assert "No openings match" in r.text


@pytest.mark.parametrize("query", ["?page=abc", "?page=-4", "?page=999", "?type=%00", "?office=" + "x" * 5000])
def test_careers_odd_queries_never_fail(client, query):
    assert client.get("/careers" + query).status_code == 200


def test_expired_posting_is_gone_with_a_pointer(client):
    r = client.get(EXPIRED)
    assert r.status_code == 410
    assert 'href="/careers"' in r.text and "no longer open" in r.text
    assert "noindex" in r.text


def test_expiry_follows_the_clock(client, clock):
    clock.advance(days=3650)
    assert client.get(JOB).status_code == 410
    assert "No openings match" in client.get("/careers").text or "0 openings" in client.get("/careers").text


@pytest.mark.parametrize("path", ["/nope", "/offices/nope", "/careers/nope", "/careers/../../etc/passwd"])
def test_unknown_pages_get_the_404_page(client, path):
    r = client.get(path)
    assert r.status_code == 404
    assert "Page not found" in r.text and '<html lang="en">' in r.text
    assert "Traceback" not in r.text


def test_method_not_allowed_is_a_page(client):
    r = client.request("DELETE", "/")
    assert r.status_code == 405
    assert "Traceback" not in r.text


def test_customer_care_page(client):
    html = client.get("/customer-care").text
    assert "+1 605-555-0199" in html and "care@prairiepoint.example" in html
    assert "Customer care hours" in html


def test_sitemap_lists_every_office_and_open_job(client):
    r = client.get("/sitemap.xml")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    import xml.etree.ElementTree as ET

    locs = {el.text for el in ET.fromstring(r.text).iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")}
    for path in ["/", "/offices", "/careers", OFFICE, "/offices/sioux-falls-call-center", JOB, INTERNSHIP]:
        assert "http://testserver" + path in locs
    assert "http://testserver" + EXPIRED not in locs


def test_robots_points_to_sitemap(client):
    r = client.get("/robots.txt")
    assert "Sitemap: http://testserver/sitemap.xml" in r.text
    assert "Disallow: /staff" in r.text


def test_health_and_readiness(client):
    assert client.get("/healthz").text == "ok"
    r = client.get("/readyz")
    assert r.status_code == 200 and "database: ok" in r.text and "content: ok" in r.text


@pytest.mark.parametrize("path", [*PUBLIC_PAGES, "/nope", EXPIRED, "/sitemap.xml", "/robots.txt", "/healthz"])
def test_security_headers_on_every_response(client, path):
    h = client.get(path).headers
    csp = h["content-security-policy"]
    for part in [
        "default-src 'self'",
        "frame-src https://www.openstreetmap.org",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]:
        assert part in csp
    assert "unsafe-inline" not in csp
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in h["permissions-policy"] and "geolocation=()" in h["permissions-policy"]
    assert "strict-transport-security" not in h


def test_hsts_when_public_url_is_https(make_settings, clock):
    from starlette.testclient import TestClient

    from frontdesk.app import create_app

    app = create_app(make_settings(public_url="https://www.example.com"), clock=clock)
    with TestClient(app) as c:
        assert c.get("/").headers["strict-transport-security"].startswith("max-age=")


def test_static_files_are_fingerprinted_and_immutable(client):
    html = client.get("/").text
    (css,) = re.findall(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', html)
    r = client.get(css)
    assert r.status_code == 200
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert r.headers["content-type"].startswith("text/css")
    stale = client.get("/static/css/site.000000000000.css")
    assert stale.status_code == 200 and "immutable" not in stale.headers["cache-control"]
    assert client.get("/static/nope.css").status_code == 404
    assert client.get(css, headers={"If-None-Match": r.headers["etag"]}).status_code == 304
