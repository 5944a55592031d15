"""The content model: what each file under `content/` may hold, and the immutable objects built from them.

The `*File` classes are pydantic models of the files' fields (`extra="forbid"`, so a misspelt field is an
error rather than silently ignored); `Office`, `Job`, `Post` and `Content` are what the rest of Frontdesk
reads. A `Content` is one complete, valid snapshot: a reload builds a new one and swaps it in whole
(`reload.py`), so nothing ever sees half of an edit.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, HttpUrl, field_validator

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
        if value.lower() == "closed":
            return "closed"
        for span in value.split(","):
            m = _HOURS.match(span.strip())
            if not m or (m[3], m[4]) <= (m[1], m[2]):
                raise ValueError('use "HH:MM-HH:MM" (24-hour, end after start), ranges joined by ",", or "closed"')
        return value

    def spans(self, day: str) -> list[tuple[str, str]]:
        value = getattr(self, day)
        if value == "closed":
            return []
        return [(a, b) for a, _, b in (s.strip().partition("-") for s in value.split(","))]

    def rows(self) -> list[tuple[str, str]]:
        """(Weekday, human text) for display."""
        out = []
        for day in WEEKDAYS:
            spans = self.spans(day)
            out.append((day.title(), ", ".join(f"{a}–{b}" for a, b in spans) if spans else "Closed"))
        return out


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


class CustomerCare(FileModel):
    phone: Text
    email: EmailStr
    text: str
    hours: Hours


class Choice(FileModel):
    slug: Slug
    name: Text


class Category(FileModel):
    slug: Slug
    name: Text
    description: str = ""


class Home(FileModel):
    intro: str = ""


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


class OfficeFile(FileModel):
    name: Text
    slug: Slug
    kind: Text
    address: Address
    phone: Text
    email: EmailStr
    geo: Geo
    hours: Hours
    summary: str = ""


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
    summary: str = ""


class Cover(FileModel):
    src: Text
    alt: Text


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


@dataclass(frozen=True)
class Office:
    meta: OfficeFile
    html: str

    def __getattr__(self, name: str) -> Any:
        return getattr(self.meta, name)


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
class Content:
    site: SiteFile
    offices: tuple[Office, ...]
    jobs: tuple[Job, ...]
    posts: tuple[Post, ...]  # newest first
    version: str  # a hash of every file: changes when any content changes
    root: Path

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
