"""Careers: the list of open jobs and internships, with filters and pages, and each job's page.

`/careers?type=internship&office=SLUG&department=SLUG&page=N` lists; `/careers/{slug}` is a posting,
with JobPosting structured data, answering 410 once it has closed (applying is `intake/application.py`).

The open postings are indexed once per content version and day (`Listing`), so a filter is a set
intersection rather than a scan: with 1,000
postings an uncached filter answers in about a millisecond, most of it rendering the twenty cards shown.

Filter values are normalized before they become the page's cache key: a value that names nothing becomes
`UNKNOWN` (no posting matches it, no option is selected), and the page number is clamped to the pages that
exist, so odd or hostile query strings all share a handful of cached pages.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk import web
from frontdesk.content import Content, Job
from frontdesk.content.models import EMPLOYMENT_TYPES
from frontdesk.pagecache import Rendered
from frontdesk.public import jsonld
from frontdesk.public.rendering import PageEnv, cached, derived

PAGE_SIZE = 20


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def type_values(job: Job) -> tuple[str, ...]:
    """The `?type=` values a posting matches: internship, or job and its employment type (full-time, ...)."""
    if job.meta.employment_type == "INTERN":
        return ("internship",)
    return ("job", job.meta.employment_type.lower().replace("_", "-"))


TYPE_CHOICES = [("job", "Jobs"), ("internship", "Internships")] + [
    (t.lower().replace("_", "-"), t.replace("_", " ").title()) for t in EMPLOYMENT_TYPES if t != "INTERN"
]
_TYPE_VALUES = frozenset(v for v, _ in TYPE_CHOICES)
UNKNOWN = "-"  # a filter value that names nothing: matches no posting and selects no option


@dataclass(frozen=True)
class Listing:
    """Open jobs (newest first) indexed by filter value, built once per content version and day."""

    jobs: tuple[Job, ...]
    positions: dict[tuple[str, str], frozenset[int]]  # ("type"|"office"|"department", value) -> positions
    departments: tuple[tuple[str, str], ...]  # (slug, name), by name
    offices: frozenset[str]

    @classmethod
    def build(cls, content: Content, day: dt.date) -> Listing:
        jobs = tuple(content.open_jobs(day))
        positions: dict[tuple[str, str], set[int]] = {}
        departments = {}
        for i, job in enumerate(jobs):
            dept = slugify(job.meta.department)
            departments[dept] = job.meta.department
            keys = [("type", t) for t in type_values(job)] + [("office", job.meta.office), ("department", dept)]
            for key in keys:
                positions.setdefault(key, set()).add(i)
        return cls(
            jobs=jobs,
            positions={k: frozenset(v) for k, v in positions.items()},
            departments=tuple(sorted(departments.items(), key=lambda d: d[1])),
            offices=frozenset(o.slug for o in content.offices),
        )

    def matching(self, filters: dict[str, str]) -> list[int]:
        """Positions of the postings that match every filter, newest first."""
        if UNKNOWN in filters.values():
            return []
        chosen = [self.positions.get(item, frozenset()) for item in filters.items()]
        if not chosen:
            return list(range(len(self.jobs)))
        return sorted(frozenset.intersection(*chosen))


async def careers(request: Request) -> Response:
    snapshot = web.content(request)
    listing: Listing = derived(request, "listing", lambda day: Listing.build(snapshot, day))
    q = request.query_params
    valid = {"type": _TYPE_VALUES, "office": listing.offices, "department": {d for d, _ in listing.departments}}
    filters = {}
    for name in ("type", "office", "department"):
        value = q.get(name, "").strip().lower()
        if value:
            filters[name] = value if value in valid[name] else UNKNOWN
    found = web.paginate(listing.matching(filters), web.lenient_page_number(q.get("page")), PAGE_SIZE)
    shown = [listing.jobs[i] for i in found.items]
    key = ("careers", *(filters.get(n, "") for n in ("type", "office", "department")), found.number)
    build = functools.partial(
        _careers,
        filters=filters,
        jobs=shown,
        total=found.total or 0,
        page=found.number,
        pages=found.count,
        departments=listing.departments,
    )
    return cached(request, key, build)


def _careers(
    env: PageEnv,
    *,
    filters: dict[str, str],
    jobs: list[Job],
    total: int,
    page: int,
    pages: int,
    departments: tuple[tuple[str, str], ...],
) -> Rendered:
    context = {
        "title": "Careers & Internships",
        "description": f"Open jobs and internships at {env.content.site.name}.",
        "jobs": jobs,
        "total": total,
        "page": page,
        "pages": pages,
        "filters": filters,
        "page_query": lambda n: "?" + urlencode({**filters, "page": n}),
        "type_choices": TYPE_CHOICES,
        "departments": departments,
    }
    return env.render("pages/careers.html", context, "/careers")


def job_by_slug(request: Request, slug: str) -> Job | None:
    snapshot = web.content(request)
    by_slug: dict[str, Job] = derived(request, "jobs_by_slug", lambda day: {j.slug: j for j in snapshot.jobs})
    return by_slug.get(slug)


async def job(request: Request) -> Response:
    slug = request.path_params["slug"]
    if job_by_slug(request, slug) is None:
        raise HTTPException(404)
    return cached(request, ("job", slug), functools.partial(_job, slug=slug))


def _job(env: PageEnv, *, slug: str) -> Rendered:
    snapshot = env.content
    found = snapshot.job(slug)
    assert found is not None  # the view checked
    path = f"/careers/{found.slug}"
    if not found.is_open(env.day):
        context = {"job": found, "title": f"{found.title}: no longer open", "robots": "noindex"}
        return env.render("pages/job_closed.html", context, path, status=410)
    base = env.public_url
    context = {
        "job": found,
        "title": found.title,
        "description": found.summary or f"{found.title} at {snapshot.site.name}",
        "jsonld": jsonld.to_script(jsonld.job_posting(found, snapshot, base + path, base, env.media)),
    }
    return env.render("pages/job.html", context, path)


routes = [
    Route("/careers", careers, name="careers"),
    Route("/careers/{slug}", job, name="job"),
]
