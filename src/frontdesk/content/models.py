"""The content model: what each file under `content/` may hold, and the immutable objects built from them.

The `*File` classes are pydantic models of the files' fields (`extra="forbid"`, so a misspelt field is an
error rather than silently ignored); `Office`, `Job`, `Post`, `Page` and `Content` are what the rest of
Frontdesk reads. Pictures are named by their path inside the content folder (`images/hero.png`); the loader
checks that each exists, and the image pipeline (`media/`) makes the served sizes from it. Brand colours are
checked for WCAG AA contrast here, so no site can be configured into unreadable text.

A `Content` is one complete, valid snapshot: a reload builds a new one and swaps it in whole (`reload.py`),
so nothing ever sees half of an edit.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import string
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import babel
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    HttpUrl,
    field_validator,
    model_validator,
)

from frontdesk.content.markdown import render_markdown

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
EMPLOYMENT_TYPES = (
    "FULL_TIME",
    "PART_TIME",
    "CONTRACTOR",
    "TEMPORARY",
    "INTERN",
    "VOLUNTEER",
    "PER_DIEM",
    "OTHER",
)
SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
# Paths a generic page (`pages/*.md`, served at `/{slug}`) may not take: they belong to the site itself.
RESERVED_PAGE_SLUGS = frozenset(
    {"offices", "careers", "insights", "customer-care", "request-info", "feedback", "staff", "static", "media",
     "files", "healthz", "readyz", "metrics", "brand"}
)  # fmt: skip
# Image formats a picture may be given in (the pipeline reads them with Pillow); the logo may also be SVG.
PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
LOGO_SUFFIXES = (*PICTURE_SUFFIXES, ".svg")
# The schema.org LocalBusiness types an agency is likely to be; `business_type` must be one of them.
BUSINESS_TYPES = (
    "LocalBusiness", "InsuranceAgency", "RealEstateAgent", "TravelAgency", "EmploymentAgency",
    "FinancialService", "AccountingService", "LegalService", "ProfessionalService", "HomeAndConstructionBusiness",
    "MedicalBusiness", "AutomotiveBusiness", "EntertainmentBusiness", "GovernmentOffice", "Store",
)  # fmt: skip
PAGE_KINDS = ("home", "offices", "office", "careers", "job", "insights", "article", "customer_care", "page")
_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


class FileModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


Slug = Annotated[str, Field(pattern=SLUG, max_length=80)]
Text = Annotated[str, Field(min_length=1, max_length=500)]


class Hours(FileModel):
    """Opening hours per weekday: "08:00-17:00", "08:00-12:00, 13:00-17:00" or "closed"."""

    monday: str = "closed"
    tuesday: str = "closed"
    wednesday: str = "closed"
    thursday: str = "closed"
    friday: str = "closed"
    saturday: str = "closed"
    sunday: str = "closed"

    @field_validator(*WEEKDAYS)
    @classmethod
    def _check(cls, value: str) -> str:
        return _check_hours(value)

    def spans(self, day: str) -> list[tuple[str, str]]:
        return parse_spans(getattr(self, day))


def _check_hours(value: str) -> str:
    if value.lower() == "closed":
        return "closed"
    for span in value.split(","):
        m = _HOURS.match(span.strip())
        if not m or (m[3], m[4]) <= (m[1], m[2]):
            raise ValueError('use "HH:MM-HH:MM" (24-hour, end after start), ranges joined by ",", or "closed"')
    return value


def parse_spans(value: str) -> list[tuple[str, str]]:
    """'08:00-12:00, 13:00-17:00' -> [("08:00", "12:00"), ("13:00", "17:00")]; "closed" -> []."""
    if value == "closed":
        return []
    return [(a, b) for a, _, b in (s.strip().partition("-") for s in value.split(","))]


class SpecialHours(FileModel):
    """One day that differs from the weekly hours: a holiday, an early close, a Saturday opening."""

    date: dt.date
    hours: str = "closed"
    note: Annotated[str, Field(max_length=120)] = ""

    @field_validator("hours")
    @classmethod
    def _check(cls, value: str) -> str:
        return _check_hours(value)

    def spans(self) -> list[tuple[str, str]]:
        return parse_spans(self.hours)


class Address(FileModel):
    street: Text
    locality: Text
    region: Text
    postal_code: Annotated[str, Field(min_length=1, max_length=20)]
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]

    @property
    def one_line(self) -> str:
        return f"{self.street}, {self.locality}, {self.region} {self.postal_code}"


def _decimals(value: float) -> int:
    text = repr(float(value))
    return len(text.split(".")[1]) if "." in text and "e" not in text else 0


class Geo(FileModel):
    latitude: Annotated[float, Field(ge=-90, le=90)]
    longitude: Annotated[float, Field(ge=-180, le=180)]

    @field_validator("latitude", "longitude")
    @classmethod
    def _precise(cls, value: float) -> float:
        # Five decimals is about a metre: enough to put the map pin on the door.
        if _decimals(value) < 5:
            raise ValueError("give at least 5 decimals")
        return value


class Social(FileModel):
    twitter: HttpUrl | None = None
    facebook: HttpUrl | None = None
    linkedin: HttpUrl | None = None
    youtube: HttpUrl | None = None


def _content_path(value: str, suffixes: tuple[str, ...]) -> str:
    """A file inside the content folder, named relative to it: no absolute paths, no way out of the folder."""
    parts = value.split("/")
    if value.startswith("/") or "\\" in value or any(p in ("", ".", "..") for p in parts):
        raise ValueError("give a path inside the content folder, such as images/office.png")
    if not value.lower().endswith(suffixes):
        raise ValueError(f"use one of {', '.join(suffixes)}")
    return value


class Picture(FileModel):
    """A picture from the content folder: `src` is its path there, `alt` its text alternative ("" if decorative)."""

    src: Annotated[str, Field(min_length=1, max_length=300)]
    alt: Annotated[str, Field(max_length=500)]

    @field_validator("src")
    @classmethod
    def _src(cls, value: str) -> str:
        return _content_path(value, PICTURE_SUFFIXES)


class Logo(FileModel):
    src: Annotated[str, Field(min_length=1, max_length=300)]

    @field_validator("src")
    @classmethod
    def _src(cls, value: str) -> str:
        return _content_path(value, LOGO_SUFFIXES)


_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def _luminance(colour: str) -> float:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    """The WCAG 2.x contrast ratio of two `#rrggbb` colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


AA_TEXT = 4.5


class Brand(FileModel):
    """The brand colours. Each carries text on white and white text on it, so each must reach 4.5:1 with white."""

    primary: str = "#1d4e6b"  # links, buttons
    dark: str = "#143a50"  # the header, headings
    accent: str = "#b3471d"  # highlights, tags

    @field_validator("primary", "dark", "accent")
    @classmethod
    def _colour(cls, value: str) -> str:
        if not _HEX.match(value):
            raise ValueError('give a colour as "#rrggbb"')
        ratio = contrast(value, "#ffffff")
        if ratio < AA_TEXT:
            raise ValueError(
                f"{value} on white has a contrast of {ratio:.2f}:1; WCAG AA needs {AA_TEXT}:1 (choose a darker shade)"
            )
        return value.lower()


class Service(FileModel):
    """A line of business, shown on the home page; `interest` preselects it on the Request Info form."""

    name: Text
    summary: Text
    icon: Literal["car", "home", "briefcase", "people", "heart", "question", "shield", "chart"] = "shield"
    interest: Slug | None = None


class Feedback(FileModel):
    """Where "Was this information helpful?" is shown, by page kind."""

    home: bool = False
    offices: bool = False
    office: bool = True
    careers: bool = False
    job: bool = False
    insights: bool = False
    article: bool = True
    customer_care: bool = True
    page: bool = True

    def shown_on(self, kind: str) -> bool:
        return bool(getattr(self, kind, False))


class Careers(FileModel):
    """Site rules for job postings."""

    intro: Annotated[str, Field(max_length=500)] = ""  # one or two sentences under the careers page's heading
    # EU pay transparency (Directive 2023/970) and several US states require the pay range in every posting.
    salary_required: bool = False


_SECURITY_CONTACT = re.compile(r"^(mailto:[^@\s]+@[^@\s]+|https://\S+|tel:\+?[0-9 ()-]+)$")


class SecurityTxt(FileModel):
    """`/.well-known/security.txt` (RFC 9116): where to report a vulnerability, and until when that holds."""

    contact: Annotated[list[str], Field(min_length=1)]
    expires: AwareDatetime
    policy: HttpUrl | None = None
    acknowledgments: HttpUrl | None = None
    preferred_languages: Annotated[
        str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]+)*(, ?[a-z]{2,3}(-[A-Za-z0-9]+)*)*$")
    ] = "en"

    @field_validator("contact")
    @classmethod
    def _contact(cls, value: list[str]) -> list[str]:
        for item in value:
            if not _SECURITY_CONTACT.match(item):
                raise ValueError(f"{item!r}: use mailto:, https:// or tel: addresses")
        return value


def check_timezone(value: str) -> str:
    """`value` if it names an IANA time zone, else ValueError with a hint."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone such as America/Chicago") from None
    return value


def _locale(value: str) -> str:
    try:
        babel.Locale.parse(value)
    except (ValueError, babel.UnknownLocaleError):
        raise ValueError(f"{value!r} is not a locale such as en_US") from None
    return value


TimeZone = Annotated[str, AfterValidator(check_timezone)]
LocaleName = Annotated[str, AfterValidator(_locale)]


class CustomerCare(FileModel):
    phone: Text
    email: EmailStr
    text: str
    hours: Hours
    special_hours: list[SpecialHours] = []


PLACEHOLDERS = ("name", "reference", "site", "job", "office", "phone", "summary")


def _placeholders(value: str) -> str:
    """Only the known `{placeholders}`, so a typo fails at load time instead of in a person's inbox."""
    try:
        fields = [(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(value) if name is not None]
    except ValueError:
        raise ValueError("a { or } without its partner: write {{ or }} for the character itself") from None
    unknown = [
        n if not (spec or conv) else f"{n}..." for n, spec, conv in fields if n not in PLACEHOLDERS or spec or conv
    ]
    if unknown:
        known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
        raise ValueError(f"unknown placeholder {{{unknown[0][:40]}}}: use {known}")
    return value


Template = Annotated[str, Field(min_length=1, max_length=5000), AfterValidator(_placeholders)]


class Confirmation(FileModel):
    """The email a person gets after sending a form: wording in content, `send: false` turns it off."""

    send: bool = True
    subject: Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_placeholders)] = (
        "We have your request ({reference})"
    )
    body: Template = (
        "Hello {name},\n\nthank you for contacting {site}. We have your request, and its reference is "
        "{reference}. Please quote it if you get in touch about it.\n\nWhat you sent us:\n\n{summary}"
    )
    next_steps: Template = "Someone from our team will contact you within one business day."


class Emails(FileModel):
    """site.yaml `emails:` the staff address when no office is named, and each form's confirmation."""

    leads_to: EmailStr | None = None  # the site's `email` when not given
    request_info: Confirmation = Confirmation()
    application: Confirmation = Confirmation(
        subject="We have your application ({reference})",
        body=(
            "Hello {name},\n\nthank you for applying for {job} at {site}. Your application's reference is "
            "{reference}.\n\nWhat you sent us:\n\n{summary}"
        ),
        next_steps="The hiring team reads every application and answers within two weeks.",
    )


class Choice(FileModel):
    slug: Slug
    name: Text


class Category(FileModel):
    slug: Slug
    name: Text
    description: str = ""


class Home(FileModel):
    heading: Annotated[str, Field(max_length=200)] = ""  # the home page's H1; the tagline when empty
    intro: str = ""
    hero: Picture | None = None


class SiteFile(FileModel):
    name: Text
    tagline: Text
    description: Text
    phone: Text
    email: EmailStr
    social: Social = Social()
    customer_care: CustomerCare
    privacy_policy_version: Text
    consent_text: Text
    interests: Annotated[list[Choice], Field(min_length=1)]
    categories: list[Category] = []
    comments_close_after_days: Annotated[int, Field(ge=0)] = 60
    home: Home = Home()
    logo: Logo | None = None
    brand: Brand = Brand()
    business_type: Literal[BUSINESS_TYPES] = "LocalBusiness"  # type: ignore[valid-type]
    locale: LocaleName = "en_US"
    timezone: TimeZone = "UTC"
    services: list[Service] = []
    feedback: Feedback = Feedback()
    careers: Careers = Careers()
    security_txt: SecurityTxt | None = None
    emails: Emails = Emails()

    @model_validator(mode="after")
    def _services_name_interests(self) -> SiteFile:
        known = {i.slug for i in self.interests}
        for i, service in enumerate(self.services):
            if service.interest and service.interest not in known:
                raise ValueError(f"services.{i}.interest: {service.interest!r} is not one of the interests")
        return self


class Person(FileModel):
    name: Text
    role: Text
    photo: Picture | None = None


class OfficeFile(FileModel):
    name: Text
    slug: Slug
    kind: Text
    address: Address
    phone: Text
    email: EmailStr
    leads_to: EmailStr | None = None  # where new leads for this office are emailed; `email` when not given
    geo: Geo
    hours: Hours
    special_hours: list[SpecialHours] = []
    timezone: TimeZone | None = None  # the site's when not given
    locale: LocaleName | None = None  # the site's when not given
    photo: Picture | None = None
    team: list[Person] = []
    summary: str = ""
    updated: dt.date | None = None  # the sitemap's lastmod


class Salary(FileModel):
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    min: Annotated[float, Field(ge=0)]
    max: Annotated[float, Field(ge=0)]
    unit: Literal["HOUR", "DAY", "WEEK", "MONTH", "YEAR"]


class JobFile(FileModel):
    title: Text
    slug: Slug
    department: Text
    office: Slug
    employment_type: Literal[EMPLOYMENT_TYPES]  # type: ignore[valid-type]
    date_posted: dt.date
    valid_through: dt.date
    salary: Salary | None = None
    contact: EmailStr | None = None  # the hiring contact emailed for each application; the office's otherwise
    summary: str = ""
    # Where the work is done: at the office, partly at home (hybrid), or from anywhere in `remote_countries`.
    workplace: Literal["onsite", "hybrid", "remote"] = "onsite"
    remote_countries: list[Annotated[str, Field(pattern=r"^[A-Z]{2}$")]] = []  # the office's country when empty
    updated: dt.date | None = None


class Cover(FileModel):
    """An article's cover: a content picture (`images/...`), or a URL this site serves as it is (`/static/...`)."""

    src: Text
    alt: Text

    @field_validator("src")
    @classmethod
    def _src(cls, value: str) -> str:
        return value if value.startswith("/") else _content_path(value, PICTURE_SUFFIXES)

    @property
    def picture(self) -> Picture | None:
        """The cover as a content picture (None for a URL given as it is)."""
        return None if self.src.startswith("/") else Picture(src=self.src, alt=self.alt)


class CategoriesFile(FileModel):
    """`content/categories.yaml`: insight categories kept apart from site.yaml, for sites with many."""

    categories: list[Category] = []


class PostFile(FileModel):
    title: Text
    slug: Slug
    date: dt.date
    author: Text
    categories: Annotated[list[Slug], Field(min_length=1)]
    summary: Text
    cover: Cover | None = None
    comments_close_after_days: Annotated[int, Field(ge=0)] | None = None
    updated: dt.date | None = None


class PageFile(FileModel):
    """`pages/*.md`: a page of its own at `/{slug}` (privacy policy, accessibility statement, about)."""

    title: Text
    slug: Slug
    summary: Text
    updated: dt.date | None = None
    # The privacy policy names the version that the forms' consent refers to (site.yaml privacy_policy_version).
    policy_version: Text | None = None

    @field_validator("slug")
    @classmethod
    def _free(cls, value: str) -> str:
        if value in RESERVED_PAGE_SLUGS:
            raise ValueError(f"/{value} belongs to the site itself; choose another slug")
        return value


@dataclass(frozen=True)
class Office:
    meta: OfficeFile
    html: str
    timezone: str  # the office's, else the site's
    locale: str

    def __getattr__(self, name: str) -> Any:
        return getattr(self.meta, name)

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Job:
    meta: JobFile
    markdown: str
    office: Office

    def __getattr__(self, name: str) -> Any:
        return getattr(self.meta, name)

    @functools.cached_property
    def html(self) -> str:
        """Rendered on first use: a site with 1,000 postings starts without rendering 1,000 descriptions."""
        return render_markdown(self.markdown)

    @property
    def internship(self) -> bool:
        return bool(self.meta.employment_type == "INTERN")

    def is_open(self, today: dt.date) -> bool:
        return self.meta.date_posted <= today <= self.meta.valid_through


@dataclass(frozen=True)
class Post:
    meta: PostFile
    html: str
    categories: tuple[Category, ...]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.meta, name)


@dataclass(frozen=True)
class Page:
    meta: PageFile
    html: str

    def __getattr__(self, name: str) -> Any:
        return getattr(self.meta, name)


@dataclass(frozen=True)
class ImageFile:
    """A picture file the content names: where it is, and a hash of its bytes (the served URLs carry it)."""

    path: Path
    sha256: str


@dataclass(frozen=True)
class Content:
    site: SiteFile
    offices: tuple[Office, ...]
    jobs: tuple[Job, ...]
    posts: tuple[Post, ...]  # newest first
    version: str  # a hash of every file: changes when any content changes
    root: Path
    pages: tuple[Page, ...] = ()
    images: dict[str, ImageFile] = field(default_factory=dict)  # by `src`, every picture the content names

    def page(self, slug: str) -> Page | None:
        return next((p for p in self.pages if p.slug == slug), None)

    @property
    def privacy_page(self) -> Page | None:
        """The page whose `policy_version` is the one the forms' consent names."""
        version = self.site.privacy_policy_version
        return next((p for p in self.pages if p.policy_version == version), None)

    def office(self, slug: str) -> Office | None:
        return next((o for o in self.offices if o.slug == slug), None)

    def job(self, slug: str) -> Job | None:
        return next((j for j in self.jobs if j.slug == slug), None)

    def post(self, slug: str) -> Post | None:
        return next((p for p in self.posts if p.slug == slug), None)

    def category(self, slug: str) -> Category | None:
        return next((c for c in self.site.categories if c.slug == slug), None)

    def open_jobs(self, today: dt.date) -> list[Job]:
        return sorted((j for j in self.jobs if j.is_open(today)), key=lambda j: (-j.date_posted.toordinal(), j.title))
