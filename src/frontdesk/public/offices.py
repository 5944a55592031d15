"""Offices: the list and each office's page, with its hours, map, directions and LocalBusiness structured data.

The map is OpenStreetMap's embed, the one third party the CSP admits (in a frame), and it is **loaded
only when the visitor asks**: the page carries a "Show the map" link to OpenStreetMap's own page, which
site.js turns into the embedded frame on click. Before that click no request leaves for a third party;
without JavaScript the link simply opens the map on openstreetmap.org. The address card with "Get
directions" (the visitor's own map app, the street address as destination) is always on the page, so
it is also the fallback when the embed cannot load.
"""

from __future__ import annotations

import functools
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk import web
from frontdesk.content import Office
from frontdesk.pagecache import Rendered
from frontdesk.public import jsonld
from frontdesk.public.rendering import PageEnv, cached


def directions_url(office: Office) -> str:
    """A "Get directions" link: the visitor's map app plans the route to the street address."""
    a = office.address
    return "https://www.google.com/maps/dir/?" + urlencode(
        {"api": "1", "destination": f"{a.street}, {a.locality}, {a.region} {a.postal_code}"}
    )


def map_page_url(office: Office) -> str:
    """The map on openstreetmap.org: where "Show the map" goes without JavaScript."""
    lat, lon = office.geo.latitude, office.geo.longitude
    return f"https://www.openstreetmap.org/?mlat={lat:.5f}&mlon={lon:.5f}#map=17/{lat:.5f}/{lon:.5f}"


def map_embed_url(office: Office) -> str:
    lat, lon = office.geo.latitude, office.geo.longitude
    bbox = f"{lon - 0.006:.5f},{lat - 0.003:.5f},{lon + 0.006:.5f},{lat + 0.003:.5f}"
    return "https://www.openstreetmap.org/export/embed.html?" + urlencode(
        {"bbox": bbox, "layer": "mapnik", "marker": f"{lat:.5f},{lon:.5f}"}
    )


async def offices(request: Request) -> Response:
    return cached(request, ("offices",), _offices)


def _offices(env: PageEnv) -> Rendered:
    return env.render("pages/offices.html", {"title": "Our offices"}, "/offices")


async def office(request: Request) -> Response:
    slug = request.path_params["slug"]
    if web.content(request).office(slug) is None:
        raise HTTPException(404)
    return cached(request, ("office", slug), functools.partial(_office, slug=slug))


def _office(env: PageEnv, *, slug: str) -> Rendered:
    snapshot = env.content
    found = snapshot.office(slug)
    assert found is not None  # the view checked
    path = f"/offices/{found.slug}"
    url = env.public_url + path
    context = {
        "office": found,
        "title": found.name,
        "description": found.summary or f"{found.name}: {found.address.one_line}",
        "jsonld": jsonld.to_script(jsonld.local_business(found, snapshot, url, env.public_url, env.media)),
        "og_picture": found.photo,
        "map_url": map_embed_url(found),
        "map_page_url": map_page_url(found),
        "directions_url": directions_url(found),
        "jobs": [j for j in snapshot.open_jobs(env.day) if j.office.slug == found.slug],
    }
    return env.render("pages/office.html", context, path)


routes = [
    Route("/offices", offices, name="offices"),
    Route("/offices/{slug}", office, name="office"),
]
