"""Structured data for search engines: schema.org JSON-LD built from content.

Each builder returns a plain dict; `to_script` serializes it so that it can sit
safely inside `<script type="application/ld+json">` (a `</script>` in a title
cannot close the block early). These are data blocks, not scripts, so the
strict Content-Security-Policy does not need `'unsafe-inline'` for them.

- LocalBusiness: the `@type` site.yaml names (`business_type`: InsuranceAgency, RealEstateAgent, ...), an
  `@id` (the office page's URL with `#office`, so other data can point at it), and the office photo.
- JobPosting: `validThrough` at the end of the closing day in the office's time zone, with its UTC
  offset (a bare local time is ambiguous to a crawler); remote roles as `jobLocationType: TELECOMMUTE`
  with `applicantLocationRequirements`, hybrid roles with both that and the office; the hiring
  organization's logo.
- Article: the cover picture's absolute URL.
"""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

from frontdesk.content import Content, Job, Office, Post
from frontdesk.content.models import WEEKDAYS, Picture
from frontdesk.media import ImageLibrary
from frontdesk.public.local import utc_offset


def _image(media: ImageLibrary, content: Content, public_url: str, pic: Picture | None) -> str | None:
    found = media.renditions(content).get(pic.src) if pic else None
    return public_url + found.url(width=1200) if found else None


def organization(content: Content, public_url: str, media: ImageLibrary) -> dict[str, Any]:
    data: dict[str, Any] = {"@type": "Organization", "name": content.site.name, "url": public_url + "/"}
    logo = media.renditions(content).get(content.site.logo.src) if content.site.logo else None
    if logo:
        data["logo"] = public_url + logo.url()
    return data


def to_script(data: dict[str, Any]) -> Markup:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(f'<script type="application/ld+json">{text}</script>')  # noqa: S704 - escaped above


def _address(office: Office) -> dict[str, Any]:
    a = office.address
    return {
        "@type": "PostalAddress",
        "streetAddress": a.street,
        "addressLocality": a.locality,
        "addressRegion": a.region,
        "postalCode": a.postal_code,
        "addressCountry": a.country,
    }


def local_business(office: Office, content: Content, url: str, public_url: str, media: ImageLibrary) -> dict[str, Any]:
    hours = []
    for day in WEEKDAYS:
        for opens, closes in office.hours.spans(day):
            hours.append(
                {
                    "@type": "OpeningHoursSpecification",
                    "dayOfWeek": f"https://schema.org/{day.title()}",
                    "opens": opens,
                    "closes": closes,
                }
            )
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": content.site.business_type,
        "@id": f"{url}#office",
        "name": f"{content.site.name} – {office.name}",
        "url": url,
        "telephone": office.phone,
        "email": office.email,
        "address": _address(office),
        "geo": {
            "@type": "GeoCoordinates",
            "latitude": office.geo.latitude,
            "longitude": office.geo.longitude,
        },
        "openingHoursSpecification": hours,
        "parentOrganization": organization(content, public_url, media),
    }
    special = []
    for day in office.special_hours:
        # schema.org: closed all day is opens = closes = 00:00; valid for the one day.
        for opens, closes in day.spans() or [("00:00", "00:00")]:
            special.append(
                {
                    "@type": "OpeningHoursSpecification",
                    "validFrom": day.date.isoformat(),
                    "validThrough": day.date.isoformat(),
                    "opens": opens,
                    "closes": closes,
                }
            )
    if special:
        data["specialOpeningHoursSpecification"] = special
    image = _image(media, content, public_url, office.photo)
    if image:
        data["image"] = image
    elif content.site.logo and (logo := organization(content, public_url, media).get("logo")):
        data["image"] = logo
    return data


def job_posting(job: Job, content: Content, url: str, public_url: str, media: ImageLibrary) -> dict[str, Any]:
    office = job.office
    closes = f"{job.valid_through.isoformat()}T23:59:59{utc_offset(job.valid_through, office.timezone)}"
    hiring = {**organization(content, public_url, media), "sameAs": public_url + "/"}
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "title": job.title,
        "description": job.html,
        "datePosted": job.date_posted.isoformat(),
        "validThrough": closes,
        "employmentType": job.employment_type,
        "hiringOrganization": hiring,
        "directApply": True,
        "url": url,
        "identifier": {"@type": "PropertyValue", "name": content.site.name, "value": job.slug},
    }
    if job.workplace != "remote":
        data["jobLocation"] = {"@type": "Place", "address": _address(office)}
    if job.workplace != "onsite":
        data["jobLocationType"] = "TELECOMMUTE"
        countries = job.remote_countries or [office.address.country]
        data["applicantLocationRequirements"] = [{"@type": "Country", "name": c} for c in countries]
    if job.salary:
        s = job.salary
        data["baseSalary"] = {
            "@type": "MonetaryAmount",
            "currency": s.currency,
            "value": {"@type": "QuantitativeValue", "minValue": s.min, "maxValue": s.max, "unitText": s.unit},
        }
    return data


def article(post: Post, content: Content, url: str, public_url: str, media: ImageLibrary) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": post.title,
        "description": post.summary,
        "datePublished": post.date.isoformat(),
        "author": {"@type": "Person", "name": post.author},
        "publisher": organization(content, public_url, media),
        "mainEntityOfPage": url,
        "articleSection": [c.name for c in post.categories],
    }
    if post.meta.updated:
        data["dateModified"] = post.meta.updated.isoformat()
    if post.cover:
        picture = post.cover.picture
        data["image"] = _image(media, content, public_url, picture) if picture else public_url + post.cover.src
    return data
