"""Content: the demo site (or yours) read from `content/` into immutable objects.

The layout is the one Jekyll, Hugo and Eleventy editors know::

    content/site.yaml          the agency, customer care, interests, categories
    content/categories.yaml    optional: more insight categories (a list, or `categories:`)
    content/offices/*.md       one office per file, YAML front matter + Markdown
    content/careers/*.md       one posting per file
    content/posts/*.md         one insight article per file
    content/pages/*.md         pages of their own at /{slug}: the privacy policy, accessibility, about
    content/images/            the pictures the files above name (logo, hero, office photos, covers, team)

`load_content(path)` validates everything and either returns a complete
`Content` or raises `ContentError` listing every problem as
``file: field: message``. There is never a half-loaded site: the server refuses
to start, and a reload keeps the old content.

Cross-file rules live here: a job names an office; a post names known categories; every picture named
exists in the content folder (its bytes are part of the content version); the consent's privacy policy
version is the `policy_version` of a page, so nobody agrees to a document they cannot read; and with
`careers.salary_required`, every posting states its pay.

Markdown is rendered once, at load (`markdown.py`), except job descriptions, which are rendered on first
use so that a site with a thousand postings starts quickly.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

import yaml
from PIL import Image
from pydantic import ValidationError

from frontdesk.content.markdown import render_markdown
from frontdesk.content.models import (
    CategoriesFile,
    Content,
    FileModel,
    ImageFile,
    Job,
    JobFile,
    Office,
    OfficeFile,
    Page,
    PageFile,
    Picture,
    Post,
    PostFile,
    SiteFile,
    check_timezone,
)

# libyaml's loader, where PyYAML was built with it, parses front matter about ten times faster (start-up with
# many postings); the pure-Python SafeLoader is the same language and the fallback.
_BASE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Yaml12Loader(_BASE_LOADER):  # type: ignore[misc]
    """YAML as editors expect it (the YAML 1.2 core schema's scalars), not PyYAML's YAML 1.1.

    YAML 1.1 reads `country: NO` (Norway) as false, `yes`/`on`/`y` as true, `postal_code: 0150` as the
    octal number 104 and `1:30` as 90 (base 60). Here only true/false are booleans, and only plain
    decimal numbers (no leading zero), `0x`/`0o` ones, and floats are numbers; everything else stays the
    text that was written. A value in a text field that still reads as a number (`postal_code: 57105`) gets
    a content error that says to quote it.
    """

    yaml_implicit_resolvers: ClassVar[dict[str, list[tuple[str, re.Pattern[str]]]]] = {
        first: [
            (tag, regex) for tag, regex in resolvers if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int")
        ]
        for first, resolvers in _BASE_LOADER.yaml_implicit_resolvers.items()
    }


_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?(?:0|[1-9][0-9]*)|0x[0-9a-fA-F]+|0o[0-7]+)$"),
    list("-+0123456789"),
)


def _construct_int(loader: Any, node: Any) -> int:
    text = str(loader.construct_scalar(node))
    if text.startswith("0o"):
        return int(text[2:], 8)
    return int(text, 0) if text.startswith("0x") else int(text)


_Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def _yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Yaml12Loader)  # noqa: S506 - a safe loader (C or Python)


class ContentError(Exception):
    """The content directory holds a file that is missing, unreadable or invalid."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def _format_error(rel: str, err: ValidationError) -> list[str]:
    out = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(file)"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown field"
        elif e["type"] == "string_type" and isinstance(e.get("input"), bool | int | float):
            what = "true or false" if isinstance(e["input"], bool) else "a number"
            msg = f'YAML read this as {what}, not text: quote this value, e.g. {loc.rsplit(".", 1)[-1]}: "..."'
        out.append(f"{rel}: {loc}: {msg}")
    return out


def _split_front_matter(text: str) -> tuple[Any, str]:
    if not text.startswith("---"):
        raise ValueError("missing YAML front matter (the file must start with ---)")
    parts = re.split(r"^---[ \t]*$", text, maxsplit=2, flags=re.MULTILINE)
    if len(parts) < 3:
        raise ValueError("front matter is not closed by a --- line")
    return _yaml(parts[1]), parts[2]


def _read(path: Path, root: Path, model: type[FileModel], problems: list[str], digest: Any) -> tuple[Any, str] | None:
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


def site_timezone(root: Path) -> str:
    """The site's IANA time zone from `site.yaml` alone, for a process that loads no content (the worker).

    The weekly digest's week runs in it. A missing or broken `site.yaml` gives "UTC" rather than an error:
    `frontdesk check` and `serve` report the problem, and the digest should still go out.
    """
    try:
        data = _yaml((Path(root) / "site.yaml").read_text(encoding="utf-8"))
        zone = data.get("timezone", "UTC") if isinstance(data, dict) else "UTC"
        return check_timezone(zone) if isinstance(zone, str) else "UTC"
    except (OSError, UnicodeError, yaml.YAMLError, ValueError):
        return "UTC"


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
    offices = tuple(
        Office(
            meta=m,
            html=render_markdown(b),
            timezone=m.timezone or (site.timezone if site else "UTC"),
            locale=m.locale or (site.locale if site else "en_US"),
        )
        for _, m, b in office_items
    )
    named = root.name  # problems name files as the editor sees them: content/site.yaml, content/offices/x.md
    for path, meta, _ in office_items:
        _check_special_days(meta.special_hours, f"{path.relative_to(root.parent)}: special_hours", problems)
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
        if site and site.careers.salary_required and meta.salary is None:
            problems.append(f"{rel}: salary: required by site.yaml careers.salary_required (state the pay range)")
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

    pages: list[Page] = []
    page_items = []
    for path in _files(root / "pages"):
        got = _read(path, root, PageFile, problems, digest)
        if got:
            page_items.append((path, got[0]))
            pages.append(Page(meta=got[0], html=render_markdown(got[1])))
    _check_unique("page", page_items, root, problems)
    if site and not any(p.policy_version == site.privacy_policy_version for p in pages):
        problems.append(
            f"{named}/site.yaml: privacy_policy_version: no page has policy_version {site.privacy_policy_version!r}: "
            "the consent must name a privacy policy people can read (add pages/privacy.md with that policy_version)"
        )
    if site:
        _check_special_days(
            site.customer_care.special_hours, f"{named}/site.yaml: customer_care.special_hours", problems
        )

    pictures = _pictures(
        site,
        [(str(p.relative_to(root.parent)), m) for p, m, _ in office_items],
        [(str(p.relative_to(root.parent)), m) for p, m in post_items],
        named,
    )
    images = _images(root, pictures, problems, digest)
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
        pages=tuple(sorted(pages, key=lambda p: p.slug)),
        images=images,
    )


def _check_special_days(days: Iterable[Any], where: str, problems: list[str]) -> None:
    seen = set()
    for i, day in enumerate(days):
        if day.date in seen:
            problems.append(f"{where}.{i}.date: {day.date.isoformat()} is given twice")
        seen.add(day.date)


def _pictures(
    site: SiteFile | None, offices: Iterable[tuple[str, OfficeFile]], posts: Iterable[tuple[str, PostFile]], named: str
) -> list[tuple[str, str]]:
    """(where, src) for every picture the content names, logo included; `where` is "file: field"."""
    found: list[tuple[str, str]] = []
    if site:
        if site.logo:
            found.append((f"{named}/site.yaml: logo.src", site.logo.src))
        if site.home.hero:
            found.append((f"{named}/site.yaml: home.hero.src", site.home.hero.src))
    for where, office in offices:
        if office.photo:
            found.append((f"{where}: photo.src", office.photo.src))
        found += [(f"{where}: team.{i}.photo.src", p.photo.src) for i, p in enumerate(office.team) if p.photo]
    for where, post in posts:
        picture: Picture | None = post.cover.picture if post.cover else None
        if picture:
            found.append((f"{where}: cover.src", picture.src))
    return found


def _images(root: Path, pictures: list[tuple[str, str]], problems: list[str], digest: Any) -> dict[str, ImageFile]:
    """Every named picture is a readable picture inside the content folder; its bytes go into the content version."""
    found: dict[str, ImageFile] = {}
    for where, src in pictures:
        if src in found:
            continue
        path = (root / src).resolve()
        if root not in path.parents or not path.is_file():
            problems.append(f"{where}: {src} is not a file in the content folder")
            continue
        try:
            raw = path.read_bytes()
        except OSError as exc:
            problems.append(f"{where}: {src}: {exc.strerror or type(exc).__name__}")
            continue
        if path.suffix.lower() != ".svg":
            try:
                with Image.open(io.BytesIO(raw)) as im:  # the header only: is it a picture Pillow can read?
                    im.verify()
            except (OSError, ValueError, SyntaxError) as exc:
                problems.append(f"{where}: {src} is not a picture that can be read ({type(exc).__name__})")
                continue
        sha = hashlib.sha256(raw).hexdigest()
        digest.update(src.encode() + b"\0" + sha.encode())
        found[src] = ImageFile(path=path, sha256=sha)
    return found
