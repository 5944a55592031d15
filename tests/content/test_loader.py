"""Content validation: each kind of invalid file yields an error naming file, field and problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from frontdesk.content import ContentError, load_content


def test_demo_content_loads(content_dir):
    content = load_content(content_dir)
    assert len(content.offices) == 2
    assert sum(1 for j in content.jobs if j.internship) >= 2
    assert sum(1 for j in content.jobs if not j.internship) >= 3
    assert len({j.department for j in content.jobs}) >= 3
    assert len(content.posts) >= 4


def _problems(root: Path) -> list[str]:
    with pytest.raises(ContentError) as info:
        load_content(root)
    return info.value.problems


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


OFFICE = "offices/sioux-falls-agency.md"
JOB = "careers/licensed-insurance-agent.md"


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        (
            OFFICE,
            "latitude: 43.51043",
            "latitude: 43.51",
            "offices/sioux-falls-agency.md: geo.latitude: give at least 5 decimals",
        ),
        (OFFICE, "latitude: 43.51043", "latitude: 143.51043", "geo.latitude"),
        (OFFICE, 'monday: "08:00-17:00"', 'monday: "17:00-08:00"', "hours.monday"),
        (OFFICE, "slug: sioux-falls-agency", "slug: Sioux Falls!", "slug"),
        (OFFICE, "name: Sioux Falls Agency Office\n", "", "offices/sioux-falls-agency.md: name: Field required"),
        (OFFICE, "country: US", "country: USA", "address.country"),
        (
            OFFICE,
            "email: willow@prairiepoint.example",
            "email: not-an-email",
            "offices/sioux-falls-agency.md: email: value is not a valid email",
        ),
        (OFFICE, "kind:", "colour: blue\nkind:", "offices/sioux-falls-agency.md: colour: unknown field"),
        (
            JOB,
            "office: sioux-falls-agency",
            "office: atlantis",
            "careers/licensed-insurance-agent.md: office: 'atlantis' is not an office slug",
        ),
        (
            JOB,
            "employment_type: FULL_TIME",
            "employment_type: SOMETIMES",
            "careers/licensed-insurance-agent.md: employment_type",
        ),
        (
            JOB,
            "valid_through: 2027-12-31",
            "valid_through: 2020-01-01",
            "valid_through: must not be before date_posted",
        ),
        (JOB, "date_posted:", "date_posted: yesterday\nx_date_posted:", "date_posted"),
        (JOB, "---\n", "", "careers/licensed-insurance-agent.md: (file): missing YAML front matter"),
        (JOB, "title: ", "title: [unclosed\nx: ", "careers/licensed-insurance-agent.md: (file)"),
    ],
)
def test_invalid_files_are_named(content_dir, file, old, new, expected):
    _edit(content_dir / file, old, new)
    problems = _problems(content_dir)
    assert any(expected in p for p in problems), problems


def test_duplicate_slug(content_dir):
    src = content_dir / JOB
    (content_dir / "careers/copy.md").write_text(src.read_text())
    assert any("slug: 'licensed-insurance-agent' is already used" in p for p in _problems(content_dir))


def test_unknown_post_category(content_dir):
    post = sorted((content_dir / "posts").glob("*.md"))[0]
    text = post.read_text()
    import re

    post.write_text(re.sub(r"categories: \[.*?\]", "categories: [astrology]", text, count=1))
    assert any("categories: astrology not in site.yaml" in p for p in _problems(content_dir))


def test_missing_site_yaml(content_dir):
    (content_dir / "site.yaml").unlink()
    assert any("site.yaml" in p and "missing" in p for p in _problems(content_dir))


def test_site_yaml_field_errors(content_dir):
    _edit(content_dir / "site.yaml", "privacy_policy_version:", "privacy_policy_versionx:")
    problems = _problems(content_dir)
    assert any(p.startswith("content/site.yaml: privacy_policy_version: Field required") for p in problems), problems


def test_invalid_utf8(content_dir):
    (content_dir / OFFICE).write_bytes(b"---\nname: \xff\xfe\n---\n")
    assert any(OFFICE in p and "(file)" in p for p in _problems(content_dir))


def test_all_problems_are_reported_at_once(content_dir):
    _edit(content_dir / OFFICE, "latitude: 43.51043", "latitude: 43.5")
    _edit(content_dir / JOB, "employment_type: FULL_TIME", "employment_type: NOPE")
    assert len(_problems(content_dir)) >= 2


def test_content_version_changes_with_content(content_dir):
    before = load_content(content_dir).version
    _edit(content_dir / OFFICE, "## ", "## Updated ")
    assert load_content(content_dir).version != before


def test_markdown_raw_html_is_not_passed_through(content_dir):
    path = content_dir / OFFICE
    path.write_text(path.read_text() + "\n<script>alert(1)</script>\n")
    office = load_content(content_dir).office("sioux-falls-agency")
    assert "<script>" not in office.html


def test_yaml_reads_country_codes_and_postal_codes_as_written(content_dir):
    """YAML 1.1 read `country: NO` as false and `postal_code: 0150` as the octal number 104."""
    office = content_dir / "offices" / "sioux-falls-agency.md"
    text = office.read_text().replace('postal_code: "57105"', "postal_code: 0150").replace("country: US", "country: NO")
    office.write_text(text)
    content = load_content(content_dir)
    found = content.office("sioux-falls-agency")
    assert found is not None and found.address.postal_code == "0150" and found.address.country == "NO"


def test_a_number_in_a_text_field_says_to_quote_it(content_dir):
    office = content_dir / "offices" / "sioux-falls-agency.md"
    office.write_text(office.read_text().replace('postal_code: "57105"', "postal_code: 57105"))
    with pytest.raises(ContentError) as failed:
        load_content(content_dir)
    (problem,) = [p for p in failed.value.problems if "postal_code" in p]  # jobs of that office fail too
    assert problem.startswith("content/offices/sioux-falls-agency.md: address.postal_code: YAML read this as a number")
    assert 'quote this value, e.g. postal_code: "..."' in problem


# -- issue 17: pictures, brand, pages, rules ------------------------------------------------------------------


def test_the_consent_must_name_a_privacy_policy_that_exists(content_dir):
    (content_dir / "pages/privacy.md").unlink()
    problems = _problems(content_dir)
    assert any(
        p.startswith("content/site.yaml: privacy_policy_version: no page has policy_version '2026-09-01'")
        for p in problems
    ), problems
    _edit(content_dir / "site.yaml", 'privacy_policy_version: "2026-09-01"', 'privacy_policy_version: "2026-10-01"')
    assert any("policy_version '2026-10-01'" in p for p in _problems(content_dir))


def test_the_privacy_page_is_found_by_its_version(content_dir):
    content = load_content(content_dir)
    assert content.privacy_page is not None and content.privacy_page.slug == "privacy"
    assert [p.slug for p in content.pages] == ["about", "accessibility", "privacy"]


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        (
            OFFICE,
            "src: images/office-willow.png",
            "src: images/nope.png",
            f"content/{OFFICE}: photo.src: images/nope.png is not a file",
        ),
        (OFFICE, "src: images/office-willow.png", "src: ../site.yaml.png", "photo.src: give a path inside"),
        (OFFICE, "src: images/office-willow.png", "src: /etc/passwd.png", "give a path inside the content folder"),
        (
            OFFICE,
            "src: images/office-willow.png",
            "src: images/office-willow.gif",
            "use one of .png, .jpg, .jpeg, .webp",
        ),
        (OFFICE, "timezone: America/Chicago", "timezone: Mars/Olympus", "timezone: 'Mars/Olympus' is not an IANA"),
        (
            OFFICE,
            "- {date: 2026-12-25, note: Christmas Day}",
            "- {date: 2026-12-24, note: twice}",
            "special_hours.3.date: 2026-12-24 is given twice",
        ),
        (
            OFFICE,
            '{date: 2026-11-27, hours: "08:00-12:00"',
            '{date: 2026-11-27, hours: "12:00-08:00"',
            "special_hours.1.hours",
        ),
        ("site.yaml", 'accent: "#a63f17"', 'accent: "#f2b705"', "brand.accent: #f2b705 on white has a contrast of 1.8"),
        ("site.yaml", 'primary: "#1d4e6b"', "primary: blue", 'brand.primary: give a colour as "#rrggbb"'),
        ("site.yaml", "locale: en_US", "locale: xx_YY", "locale: 'xx_YY' is not a locale"),
        ("site.yaml", "business_type: InsuranceAgency", "business_type: Spaceport", "business_type"),
        (
            "site.yaml",
            'contact: ["mailto:security@prairiepoint.example"]',
            'contact: ["ftp://x"]',
            "security_txt.contact",
        ),
        ("pages/about.md", "slug: about", "slug: staff", "slug: /staff belongs to the site itself"),
    ],
)
def test_invalid_pictures_brand_and_pages_are_named(content_dir, file, old, new, expected):
    _edit(content_dir / file, old, new)
    problems = _problems(content_dir)
    assert any(expected in p for p in problems), problems


def test_a_picture_that_is_not_a_picture_is_refused(content_dir):
    (content_dir / "images/hero.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really a picture")
    assert any(
        "content/site.yaml: home.hero.src: images/hero.png is not a picture that can be read" in p
        for p in _problems(content_dir)
    )


def test_a_changed_picture_changes_the_content_version(content_dir):
    before = load_content(content_dir).version
    from PIL import Image

    with Image.open(content_dir / "images/hero.png") as im:
        im.rotate(180).save(content_dir / "images/hero.png")
    assert load_content(content_dir).version != before


def test_salary_required_rule(content_dir):
    _edit(content_dir / JOB, "salary:\n  currency: USD\n  min: 52000\n  max: 68000\n  unit: YEAR\n", "")
    load_content(content_dir)  # pay is optional by default
    _edit(content_dir / "site.yaml", "salary_required: false", "salary_required: true")
    problems = _problems(content_dir)
    assert any("salary: required by site.yaml careers.salary_required" in p for p in problems), problems


def test_office_time_zone_and_locale_default_to_the_sites(content_dir):
    _edit(content_dir / OFFICE, "timezone: America/Chicago\n", "")
    _edit(content_dir / "site.yaml", "timezone: America/Chicago", "timezone: America/Denver")
    office = load_content(content_dir).office("sioux-falls-agency")
    assert office.timezone == "America/Denver" and office.locale == "en_US"


def test_the_site_time_zone_is_read_alone_and_falls_back_to_utc(content_dir):
    from frontdesk.content.loader import site_timezone

    assert site_timezone(content_dir) == "America/Chicago"
    site = content_dir / "site.yaml"
    site.write_text(site.read_text(encoding="utf-8").replace("America/Chicago", "Mars/Olympus"), encoding="utf-8")
    assert site_timezone(content_dir) == "UTC"  # `frontdesk check` names the mistake; the digest still goes
    site.write_text("timezone: [unclosed", encoding="utf-8")
    assert site_timezone(content_dir) == "UTC"
    site.write_bytes(b"\xff\xfe timezone")
    assert site_timezone(content_dir) == "UTC"
    site.unlink()
    assert site_timezone(content_dir) == "UTC"
