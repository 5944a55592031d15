"""Content: the demo site (or yours) read from `content/` into immutable objects.

The layout is the one Jekyll, Hugo and Eleventy editors know::

    content/site.yaml          the agency, customer care, interests, categories
    content/categories.yaml    optional: more insight categories (a list, or `categories:`)
    content/offices/*.md       one office per file, YAML front matter + Markdown
    content/careers/*.md       one posting per file
    content/posts/*.md         one insight article per file

`load_content(path)` validates everything and either returns a complete
`Content` or raises `ContentError` listing every problem as
``file: field: message``. There is never a half-loaded site: the server refuses
to start, and a reload keeps the old content.

Markdown is rendered once, here, with raw HTML disabled, so templates only ever
insert HTML that came out of the Markdown renderer.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from markdown_it import MarkdownIt
from pydantic import BaseModel, ConfigDict, EmailStr, Field, HttpUrl, ValidationError, field_validator

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

# libyaml's loader, where PyYAML was built with it, parses front matter about ten times faster (start-up with
# many postings); the pure-Python SafeLoader is the same language and the fallback.
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml(text: str) -> Any:
    return yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader (C or Python)


_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def render_markdown(text: str) -> str:
    return str(_markdown.render(text))


class ContentError(Exception):
    """The content directory holds a file that is missing, unreadable or invalid."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


Slug = Annotated[str, Field(pattern=SLUG, max_length=80)]
Text = Annotated[str, Field(min_length=1, max_length=500)]


class Hours(_Model):
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


class Address(_Model):
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


class Geo(_Model):
    latitude: Annotated[float, Field(ge=-90, le=90)]
    longitude: Annotated[float, Field(ge=-180, le=180)]

    @field_validator("latitude", "longitude")
    @classmethod
    def _precise(cls, value: float) -> float:
        # Five decimals is about a metre: enough to put the map pin on the door.
        if _decimals(value) < 5:
            raise ValueError("give at least 5 decimals")
        return value


class Social(_Model):
    twitter: HttpUrl | None = None
    facebook: HttpUrl | None = None
    linkedin: HttpUrl | None = None
    youtube: HttpUrl | None = None


class CustomerCare(_Model):
    phone: Text
    email: EmailStr
    text: str
    hours: Hours


class Choice(_Model):
    slug: Slug
    name: Text


class Category(_Model):
    slug: Slug
    name: Text
    description: str = ""


class Home(_Model):
    intro: str = ""


class SiteFile(_Model):
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


class OfficeFile(_Model):
    name: Text
    slug: Slug
    kind: Text
    address: Address
    phone: Text
    email: EmailStr
    geo: Geo
    hours: Hours
    summary: str = ""


class Salary(_Model):
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    min: Annotated[float, Field(ge=0)]
    max: Annotated[float, Field(ge=0)]
    unit: Literal["HOUR", "DAY", "WEEK", "MONTH", "YEAR"]


class JobFile(_Model):
    title: Text
    slug: Slug
    department: Text
    office: Slug
    employment_type: Literal[EMPLOYMENT_TYPES]  # type: ignore[valid-type]
    date_posted: dt.date
    valid_through: dt.date
    salary: Salary | None = None
    summary: str = ""


class Cover(_Model):
    src: Text
    alt: Text


class CategoriesFile(_Model):
    """`content/categories.yaml`: insight categories kept apart from site.yaml, for sites with many."""

    categories: list[Category] = []


class PostFile(_Model):
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


def _format_error(rel: str, err: ValidationError) -> list[str]:
    out = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(file)"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown field"
        out.append(f"{rel}: {loc}: {msg}")
    return out


def _split_front_matter(text: str) -> tuple[Any, str]:
    if not text.startswith("---"):
        raise ValueError("missing YAML front matter (the file must start with ---)")
    parts = re.split(r"^---[ \t]*$", text, maxsplit=2, flags=re.MULTILINE)
    if len(parts) < 3:
        raise ValueError("front matter is not closed by a --- line")
    return _yaml(parts[1]), parts[2]


def _read(path: Path, root: Path, model: type[_Model], problems: list[str], digest: Any) -> tuple[Any, str] | None:
    rel = str(path.relative_to(root.parent)) if root.parent in path.parents else str(path)
    try:
        raw = path.read_bytes()
        digest.update(path.name.encode() + b"\0" + raw)
        text = raw.decode("utf-8")
        if path.suffix in {".yaml", ".yml"}:
            data, body = _yaml(text), ""
        else:
            data, body = _split_front_matter(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        problems.append(f"{rel}: (file): {detail}")
        return None
    if model is CategoriesFile and isinstance(data, list):
        data = {"categories": data}  # a bare list is the natural shape for a file named categories.yaml
    if not isinstance(data, dict):
        problems.append(f"{rel}: (file): expected a mapping of fields")
        return None
    try:
        return model.model_validate(data), body
    except ValidationError as exc:
        problems.extend(_format_error(rel, exc))
        return None


def _files(folder: Path) -> Iterable[Path]:
    return sorted(folder.glob("*.md")) if folder.is_dir() else []


def _check_unique(kind: str, items: list[tuple[Path, Any]], root: Path, problems: list[str]) -> None:
    seen: dict[str, Path] = {}
    for path, meta in items:
        if meta.slug in seen:
            problems.append(
                f"{path.relative_to(root.parent)}: slug: {meta.slug!r} is already used by {seen[meta.slug].name}"
            )
        seen[meta.slug] = path


def _merge_categories(root: Path, site: SiteFile | None, problems: list[str], digest: Any) -> SiteFile | None:
    """Add the categories of `categories.yaml`, if there is one, after those of site.yaml."""
    path = root / "categories.yaml"
    if not path.exists():
        return site
    got = _read(path, root, CategoriesFile, problems, digest)
    if not got or site is None:
        return site
    known = {c.slug for c in site.categories}
    merged = list(site.categories)
    for i, category in enumerate(got[0].categories):
        if category.slug in known:
            problems.append(f"categories.yaml: categories.{i}.slug: {category.slug!r} is already a category")
            continue
        known.add(category.slug)
        merged.append(category)
    return site.model_copy(update={"categories": merged})


def load_content(root: Path) -> Content:
    """Read and validate the whole content directory, or raise `ContentError`."""
    root = Path(root).resolve()
    problems: list[str] = []
    digest = hashlib.sha256()
    if not root.is_dir():
        raise ContentError([f"{root}: (dir): content directory not found"])
    site_path = root / "site.yaml"
    site_read = _read(site_path, root, SiteFile, problems, digest) if site_path.exists() else None
    if not site_path.exists():
        problems.append(f"{site_path.name}: (file): missing")
    site: SiteFile | None = site_read[0] if site_read else None
    site = _merge_categories(root, site, problems, digest)

    office_items: list[tuple[Path, OfficeFile, str]] = []
    for path in _files(root / "offices"):
        got = _read(path, root, OfficeFile, problems, digest)
        if got:
            office_items.append((path, got[0], got[1]))
    if not office_items and not any("offices/" in p for p in problems):
        problems.append("offices/: (dir): at least one office is required")
    _check_unique("office", [(p, m) for p, m, _ in office_items], root, problems)
    offices = tuple(Office(meta=m, html=render_markdown(b)) for _, m, b in office_items)
    by_slug = {o.slug: o for o in offices}

    jobs: list[Job] = []
    job_items = []
    for path in _files(root / "careers"):
        got = _read(path, root, JobFile, problems, digest)
        if not got:
            continue
        meta, body = got
        rel = path.relative_to(root.parent)
        if meta.office not in by_slug:
            problems.append(f"{rel}: office: {meta.office!r} is not an office slug (have: {', '.join(by_slug)})")
            continue
        if meta.valid_through < meta.date_posted:
            problems.append(f"{rel}: valid_through: must not be before date_posted")
            continue
        if meta.salary and meta.salary.max < meta.salary.min:
            problems.append(f"{rel}: salary.max: must not be below salary.min")
            continue
        job_items.append((path, meta))
        jobs.append(Job(meta=meta, markdown=body, office=by_slug[meta.office]))
    _check_unique("job", job_items, root, problems)

    categories = {c.slug: c for c in site.categories} if site else {}
    posts: list[Post] = []
    post_items = []
    for path in _files(root / "posts"):
        got = _read(path, root, PostFile, problems, digest)
        if not got:
            continue
        meta, body = got
        unknown = [c for c in meta.categories if c not in categories]
        if site and unknown:
            problems.append(
                f"{path.relative_to(root.parent)}: categories: {', '.join(unknown)} not in site.yaml or categories.yaml"
            )
            continue
        post_items.append((path, meta))
        if not site:
            continue  # site.yaml is invalid: categories are unknown, and the load fails below anyway
        posts.append(
            Post(
                meta=meta,
                html=render_markdown(body),
                categories=tuple(categories[c] for c in meta.categories),
            )
        )
    _check_unique("post", post_items, root, problems)

    if problems or site is None:
        raise ContentError(problems or ["site.yaml: (file): invalid"])
    posts.sort(key=lambda p: (p.date, p.slug), reverse=True)
    return Content(
        site=site,
        offices=offices,
        jobs=tuple(jobs),
        posts=tuple(posts),
        version=digest.hexdigest()[:16],
        root=root,
    )
