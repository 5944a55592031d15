"""Atom feeds (RFC 4287) for the insights, built with the standard library's XML writer.

Why Atom and not RSS: Atom says exactly what each field means (an entry's
`id` is permanent, `updated` is a timestamp with a zone, `content` declares
whether it is text or HTML), and every feed reader understands it.

Why ElementTree and not a template: the serializer escapes every text node and
attribute, so a title such as ``Q&A: <script>`` can never make the document
ill-formed. HTML content goes in as text with ``type="html"``: the reader
unescapes it once and gets the article's HTML back.

The feed's `updated` is the newest entry's date, never "now", so the bytes
(and any ETag computed from them) change only when the content does.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

ATOM_NS = "http://www.w3.org/2005/Atom"
XML_NS = "http://www.w3.org/XML/1998/namespace"
MEDIA_TYPE = "application/atom+xml"

# Characters XML 1.0 forbids anywhere in a document, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Category:
    term: str
    label: str
    scheme: str


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    url: str
    published: dt.datetime
    updated: dt.datetime
    author: str
    summary: str
    content_html: str
    categories: Sequence[Category] = ()


@dataclass(frozen=True)
class Feed:
    id: str
    title: str
    subtitle: str
    self_url: str
    alternate_url: str
    base_url: str  # xml:base, so relative links inside the articles resolve against the site
    author: str
    updated: dt.datetime
    entries: Sequence[Entry]


def timestamp(value: dt.datetime) -> str:
    """RFC 3339 in UTC, as Atom's date constructs require: 2026-11-12T00:00:00Z."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    el.text = _clean(text)
    return el


def _link(parent: ET.Element, rel: str, href: str, media_type: str) -> None:
    ET.SubElement(parent, "link", {"rel": rel, "type": media_type, "href": href})


def render(feed: Feed) -> bytes:
    """The feed as a UTF-8 XML document."""
    # Children are written unprefixed, in the default namespace declared here; ElementTree writes the
    # reserved xml: prefix for base and lang by itself.
    root = ET.Element("feed", {"xmlns": ATOM_NS, f"{{{XML_NS}}}base": feed.base_url, f"{{{XML_NS}}}lang": "en"})
    _text(root, "id", feed.id)
    _text(root, "title", feed.title)
    if feed.subtitle:
        _text(root, "subtitle", feed.subtitle)
    _text(root, "updated", timestamp(feed.updated))
    author = ET.SubElement(root, "author")
    _text(author, "name", feed.author)
    _link(root, "self", feed.self_url, MEDIA_TYPE)
    _link(root, "alternate", feed.alternate_url, "text/html")
    for item in feed.entries:
        entry = ET.SubElement(root, "entry")
        _text(entry, "id", item.id)
        _text(entry, "title", item.title)
        _link(entry, "alternate", item.url, "text/html")
        _text(entry, "published", timestamp(item.published))
        _text(entry, "updated", timestamp(item.updated))
        entry_author = ET.SubElement(entry, "author")
        _text(entry_author, "name", item.author)
        for category in item.categories:
            ET.SubElement(
                entry, "category", {"term": category.term, "label": category.label, "scheme": category.scheme}
            )
        _text(entry, "summary", item.summary)
        _text(entry, "content", item.content_html, type="html")
    ET.indent(root)  # whitespace between elements only; no text node changes
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True)) + b"\n"
