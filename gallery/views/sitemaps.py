"""Sitemaps and robots.txt: search engines find every public page and image, and nothing else."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, url_for

from gallery.formats import sitemaps as xml
from gallery.services import sitemaps
from gallery.services.rights import of as rights_of
from gallery.templating import gallery_url

bp = Blueprint("sitemaps", __name__)
XML = {"Content-Type": "application/xml; charset=utf-8", "Cache-Control": "public, max-age=3600"}
# Staff pages, the APIs, downloads, accounts and search results (endless facet combinations).
DISALLOWED = ("/manage/", "/admin/", "/api/", "/download/", "/account/", "/login", "/register",
              "/search", "/media/*/original")


@bp.get("/robots.txt")
def robots():
    """robots.txt: keep crawlers out of staff, API, download and account paths; point at the sitemap."""
    body = xml.robots(DISALLOWED, url_for("sitemaps.index", _external=True))
    return body, 200, {"Content-Type": "text/plain; charset=utf-8",
                       "Cache-Control": "public, max-age=3600"}


@bp.get("/sitemap.xml")
def index():
    """The sitemap index: one paged sitemap per id range holding public galleries or assets."""
    entries = [(url_for("sitemaps.page", kind=kind, number=n, _external=True), lastmod)
               for kind, n, lastmod in sitemaps.pages(current_app.config["SITEMAP_PAGE_SIZE"])]
    return xml.index(entries), 200, XML


@bp.get("/sitemap-<any(galleries, assets):kind>-<int:number>.xml")
def page(kind: str, number: int):
    """One paged sitemap: gallery pages, or asset pages with their public preview image."""
    size = current_app.config["SITEMAP_PAGE_SIZE"]
    if number < 1:
        abort(404)
    if kind == "galleries":
        urls = [xml.Url(gallery_url(g, _external=True), g.updated_at)
                for g in sitemaps.galleries(number, size)]
    else:
        urls = [xml.Url(url_for("browse.asset", asset_id=a.id, _external=True),
                        max(a.updated_at, a.gallery.updated_at), _images(a))
                for a in sitemaps.assets(number, size)]
    if not urls:
        abort(404)
    return xml.urlset(urls), 200, XML


def _images(asset) -> list[xml.Image]:
    if asset.media_type != "image":
        return []
    return [xml.Image(url_for("media.rendition", asset_id=asset.id, size="preview", _external=True),
                      asset.caption, asset.display_title, rights_of(asset).licence_url)]
