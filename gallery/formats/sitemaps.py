"""Sitemaps (sitemaps.org 0.9) with Google's image extension, and robots.txt, as bytes."""
from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field

from gallery.formats.oaipmh import clean

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
IMAGE_NS = "http://www.google.com/schemas/sitemap-image/1.1"


@dataclass(frozen=True)
class Image:
    """One image:image of a page: a public rendition's URL, its caption, title and licence URL."""

    loc: str
    caption: str = ""
    title: str = ""
    licence: str = ""


@dataclass(frozen=True)
class Url:
    """One page of a sitemap."""

    loc: str
    lastmod: dt.datetime | None = None
    images: list[Image] = field(default_factory=list)


def _lastmod(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _sub(parent: ET.Element, tag: str, text: str | None = None, ns: str = SITEMAP_NS) -> ET.Element:
    child = ET.SubElement(parent, f"{{{ns}}}{tag}")
    if text is not None:
        child.text = clean(text)
    return child


def index(sitemaps: Iterable[tuple[str, dt.datetime | None]]) -> bytes:
    """A sitemap index: the URL and last change of each paged sitemap."""
    ET.register_namespace("", SITEMAP_NS)
    root = ET.Element(f"{{{SITEMAP_NS}}}sitemapindex")
    for loc, lastmod in sitemaps:
        entry = _sub(root, "sitemap")
        _sub(entry, "loc", loc)
        if lastmod is not None:
            _sub(entry, "lastmod", _lastmod(lastmod))
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def urlset(urls: Iterable[Url]) -> bytes:
    """A sitemap of pages, each with its images."""
    ET.register_namespace("", SITEMAP_NS)
    ET.register_namespace("image", IMAGE_NS)
    root = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    for url in urls:
        entry = _sub(root, "url")
        _sub(entry, "loc", url.loc)
        if url.lastmod is not None:
            _sub(entry, "lastmod", _lastmod(url.lastmod))
        for image in url.images:
            element = _sub(entry, "image", ns=IMAGE_NS)
            _sub(element, "loc", image.loc, IMAGE_NS)
            for name, text in (("caption", image.caption), ("title", image.title),
                               ("license", image.licence)):
                if text:
                    _sub(element, name, text, IMAGE_NS)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def robots(disallowed: Iterable[str], sitemap_url: str) -> bytes:
    """robots.txt: every crawler kept out of these paths, and told where the sitemap index is."""
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in disallowed), "",
             f"Sitemap: {sitemap_url}", ""]
    return "\n".join(lines).encode()
