"""Structured data for search engines: schema.org JSON-LD built from content.

Each builder returns a plain dict; `to_script` serializes it so that it can sit
safely inside `<script type="application/ld+json">` (a `</script>` in a title
cannot close the block early). These are data blocks, not scripts, so the
strict Content-Security-Policy does not need `'unsafe-inline'` for them.
"""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

from frontdesk.content import Content, Job, Office, Post
from frontdesk.content.models import WEEKDAYS


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


def local_business(office: Office, content: Content, url: str) -> dict[str, Any]:
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
    return {
        "@context": "https://schema.org",
        "@type": "InsuranceAgency",
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
        "parentOrganization": {"@type": "Organization", "name": content.site.name},
    }


def job_posting(job: Job, content: Content, url: str, public_url: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "title": job.title,
        "description": job.html,
        "datePosted": job.date_posted.isoformat(),
        "validThrough": f"{job.valid_through.isoformat()}T23:59:59",
        "employmentType": job.employment_type,
        "hiringOrganization": {"@type": "Organization", "name": content.site.name, "sameAs": public_url},
        "jobLocation": {"@type": "Place", "address": _address(job.office)},
        "directApply": True,
        "url": url,
        "identifier": {"@type": "PropertyValue", "name": content.site.name, "value": job.slug},
    }
    if job.salary:
        s = job.salary
        data["baseSalary"] = {
            "@type": "MonetaryAmount",
            "currency": s.currency,
            "value": {"@type": "QuantitativeValue", "minValue": s.min, "maxValue": s.max, "unitText": s.unit},
        }
    return data


def article(post: Post, content: Content, url: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": post.title,
        "description": post.summary,
        "datePublished": post.date.isoformat(),
        "author": {"@type": "Person", "name": post.author},
        "publisher": {"@type": "Organization", "name": content.site.name},
        "mainEntityOfPage": url,
        "articleSection": [c.name for c in post.categories],
    }
    if post.cover:
        data["image"] = post.cover.src
    return data
