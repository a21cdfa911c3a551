"""How public items travel off the site: share cards, schema.org JSON-LD, oEmbed and embed pages.

Everything here is what an anonymous visitor may see (gallery/policy.py decides): a link
preview, a search engine or another site's page never learns of a draft, embargoed, withheld or
sensitive item, whoever is looking at the page the tags are in.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, url_for
from markupsafe import Markup

from gallery import policy
from gallery.models import MEDIA_NOUNS, Asset, Gallery
from gallery.services import credits, rights, translations

SCHEMA_TYPES = {"image": "ImageObject", "video": "VideoObject", "audio": "AudioObject"}
MAX_LISTED = 100  # items a gallery's JSON-LD lists
EMBED_SIZE = {"asset": (640, 520), "gallery": (640, 560)}  # default iframe sizes, px


def shareable_asset(asset: Asset | None) -> bool:
    """Whether an asset may be shown off the site: public, and not sensitive (a preview would show it)."""
    return policy.is_public_file(asset, "preview")


def shareable_gallery(gallery: Gallery | None) -> bool:
    """Whether a gallery may be shown off the site: what an anonymous visitor may open."""
    return policy.can_view_gallery(None, gallery)


def script_json(data: dict[str, Any]) -> Markup:
    """JSON safe inside <script>: '<', '>' and '&' escaped, so a caption cannot close the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return Markup(text)


def asset_jsonld(asset: Asset) -> dict[str, Any] | None:
    """schema.org ImageObject / VideoObject / AudioObject of a public asset; None otherwise."""
    if not policy.can_view_asset(None, asset):
        return None
    organisation = current_app.config["ORGANISATION"]
    terms = rights.of(asset)
    country = asset.country or asset.gallery.country
    data: dict[str, Any] = {
        "@context": "https://schema.org", "@type": SCHEMA_TYPES[asset.media_type],
        "name": asset.display_title, "url": url_for("browse.asset", asset_id=asset.id, _external=True),
        "inLanguage": translations.language_of(asset),  # the texts are the originals
        "creditText": credits.credit_line(asset, organisation),
        "copyrightNotice": asset.copyright or credits.credit_line(asset, organisation).split(" / ")[0],
        "copyrightHolder": {"@type": "Organization", "name": asset.credit or asset.gallery.credit or organisation},
        "acquireLicensePage": current_app.config["TERMS_URL"] or url_for("browse.terms", _external=True),
        "isPartOf": {"@type": "ImageGallery", "name": asset.gallery.title,
                     "url": url_for("browse.gallery", gallery_ref=f"{asset.gallery.id}-{asset.gallery.slug}",
                                    _external=True)},
    }
    if asset.caption:
        data["caption" if asset.media_type == "image" else "description"] = asset.caption
    if asset.creator:
        data["creator"] = {"@type": "Person", "name": asset.creator}
    if terms.licence_url:
        data["license"] = terms.licence_url
    if terms.usage_terms:
        data["usageInfo"] = terms.usage_terms
    if asset.date_taken:
        data["dateCreated"] = asset.date_taken.isoformat()
    place = ", ".join(p for p in (asset.city, country.name if country else "") if p)
    if place:  # never finer than the city
        data["contentLocation"] = {"@type": "Place", "name": place}
    if asset.keywords:
        data["keywords"] = ", ".join(asset.keywords)
    if asset.duration:
        data["duration"] = _iso_duration(asset.duration)
    if shareable_asset(asset):  # the files themselves only when the public may fetch them
        preview = asset.rendition("preview")
        if preview:
            data["thumbnailUrl"] = _rendition(asset, "thumb")
        if asset.media_type == "image" and preview:
            data.update(contentUrl=_rendition(asset, "preview"), width=preview.width, height=preview.height)
        elif asset.media_type != "image":
            size = "audio" if asset.media_type == "audio" else "web"
            if asset.rendition(size):
                data["contentUrl"] = url_for("media.play", asset_id=asset.id, size=size, _external=True)
            data["embedUrl"] = url_for("embed.asset", asset_id=asset.id, _external=True)
    return data


def gallery_jsonld(gallery: Gallery, assets: Iterable[Asset]) -> dict[str, Any] | None:
    """schema.org ImageGallery of a public gallery listing its public items; None otherwise."""
    if not shareable_gallery(gallery):
        return None
    parts = []
    for asset in assets:
        if len(parts) >= MAX_LISTED:
            break
        if not policy.can_view_asset(None, asset):
            continue  # staff see drafts on the page: never in what it tells search engines
        part = {"@type": SCHEMA_TYPES[asset.media_type], "name": asset.display_title,
                "url": url_for("browse.asset", asset_id=asset.id, _external=True),
                "creditText": credits.credit_line(asset, current_app.config["ORGANISATION"])}
        if shareable_asset(asset) and asset.rendition("thumb"):
            part["thumbnailUrl"] = _rendition(asset, "thumb")
        parts.append(part)
    data: dict[str, Any] = {
        "@context": "https://schema.org", "@type": "ImageGallery", "name": gallery.title,
        "url": _gallery_url(gallery), "hasPart": parts, "inLanguage": translations.language_of(gallery),
        "creditText": gallery.credit or current_app.config["ORGANISATION"],
        "about": gallery.category.name,
    }
    if gallery.description:
        data["description"] = gallery.description
    if gallery.country:
        data["contentLocation"] = {"@type": "Country", "name": gallery.country.name}
    if gallery.date:
        data["dateCreated"] = gallery.date.isoformat()
    terms = rights.of_gallery(gallery)
    if terms.licence_url:
        data["license"] = terms.licence_url
    return data


def _rendition(asset: Asset, size: str) -> str:
    from gallery.templating import rendition_url

    return rendition_url(asset, size, _external=True)


def _gallery_url(gallery: Gallery) -> str:
    return url_for("browse.gallery", gallery_ref=f"{gallery.id}-{gallery.slug}", _external=True)


def _iso_duration(seconds: float) -> str:
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + f"{secs}S"


def same_site(url: str, host_url: str) -> str | None:
    """The path of a URL on this site (scheme-less or http(s) with this host), else None."""
    parts = urlsplit(url.strip())
    here = urlsplit(host_url)
    if parts.scheme not in ("http", "https") or parts.netloc.lower() != here.netloc.lower():
        return None
    return parts.path


def oembed_target(path: str) -> Asset | Gallery | None:
    """The public asset or gallery a page (or embed page) path on this site shows, else None."""
    from flask_login import AnonymousUserMixin
    from werkzeug.exceptions import HTTPException

    from gallery.services import browsing

    try:
        endpoint, values = current_app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:  # not a page of this site (a redirect counts as none: canonical URLs only)
        return None
    public = AnonymousUserMixin()
    if endpoint in ("browse.asset", "embed.asset"):
        asset = browsing.get_asset(public, values["asset_id"])
        return asset if shareable_asset(asset) else None
    gallery_id = values.get("gallery_id")
    if endpoint == "browse.gallery":
        head = values["gallery_ref"].partition("-")[0]
        gallery_id = int(head) if head.isascii() and head.isdigit() and len(head) < 12 else None
    if endpoint in ("browse.gallery", "embed.gallery") and gallery_id:
        gallery = browsing.get_gallery(public, gallery_id)
        return gallery if shareable_gallery(gallery) else None
    return None


def _fit(width: int, height: int, maxwidth: int | None, maxheight: int | None) -> tuple[int, int]:
    """(width, height) scaled down, never up, to fit the consumer's limits."""
    scale = min(1.0, (maxwidth / width) if maxwidth else 1.0, (maxheight / height) if maxheight else 1.0)
    return max(1, int(width * scale)), max(1, int(height * scale))


def oembed(item: Asset | Gallery, maxwidth: int | None, maxheight: int | None) -> dict[str, Any]:
    """The oEmbed 1.0 answer: a photo for a public image, an iframe (rich) for video, audio and galleries."""
    config = current_app.config
    data: dict[str, Any] = {"version": "1.0", "provider_name": config["SITE_NAME"],
                            "provider_url": url_for("browse.index", _external=True), "cache_age": 3600}
    if isinstance(item, Asset):
        data.update(title=item.display_title,
                    author_name=item.creator or item.credit or item.gallery.credit or config["ORGANISATION"])
        thumb = item.rendition("thumb")
        preview = item.rendition("preview")
        if item.media_type == "image" and preview:
            # The largest rendition within the limits; the thumb scaled when even it is too big.
            chosen = next((r for r in (preview, thumb) if r and _fit(r.width, r.height, maxwidth, maxheight)
                           == (r.width, r.height)), thumb or preview)
            width, height = _fit(chosen.width, chosen.height, maxwidth, maxheight)
            data.update(type="photo", url=_rendition(item, chosen.size), width=width, height=height)
        else:
            data.update(_rich("asset", url_for("embed.asset", asset_id=item.id, _external=True),
                              frame_title(item), maxwidth, maxheight))
        if thumb:
            data.update(thumbnail_url=_rendition(item, "thumb"), thumbnail_width=thumb.width,
                        thumbnail_height=thumb.height)
        return data
    data.update(title=item.title, author_name=item.credit or config["ORGANISATION"],
                **_rich("gallery", url_for("embed.gallery", gallery_id=item.id, _external=True),
                        item.title, maxwidth, maxheight))
    return data


def frame_title(asset: Asset) -> str:
    """An iframe's accessible name: the asset's title, else its kind and gallery (not the caption again)."""
    return asset.title or f"{MEDIA_NOUNS[asset.media_type]} from {asset.gallery.title}"


def _rich(kind: str, src: str, title: str, maxwidth: int | None, maxheight: int | None) -> dict[str, Any]:
    width, height = _fit(*EMBED_SIZE[kind], maxwidth, maxheight)
    return {"type": "rich", "width": width, "height": height, "html": iframe(src, title, width, height)}


def iframe(src: str, title: str, width: int, height: int) -> str:
    """The snippet another site pastes: an iframe of the embed page (escaped: titles are user input)."""
    from markupsafe import escape

    return (f'<iframe src="{escape(src)}" width="{width}" height="{height}" title="{escape(title)}" '
            f'style="border:0;max-width:100%" loading="lazy" allowfullscreen></iframe>')


def embed_snippet(item: Asset | Gallery) -> str | None:
    """The "Embed" snippet of a page, or None when the item may not be shown off the site."""
    if isinstance(item, Asset):
        if not shareable_asset(item):
            return None
        return iframe(url_for("embed.asset", asset_id=item.id, _external=True), frame_title(item),
                      *EMBED_SIZE["asset"])
    if not shareable_gallery(item):
        return None
    return iframe(url_for("embed.gallery", gallery_id=item.id, _external=True), item.title, *EMBED_SIZE["gallery"])
