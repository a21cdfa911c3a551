"""JSON shapes of catalogue objects, shared by every API (browse, search, editor). Field names are stable."""
from __future__ import annotations

from typing import Any

from flask import url_for
from flask_login import current_user

from gallery import policy
from gallery.models import Asset, Category, Country, Gallery
from gallery.services import rights, translations
from gallery.templating import asset_url, gallery_url, rendition_url


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def category_json(category: Category, gallery_count: int | None = None) -> dict[str, Any]:
    """A category; gallery_count is included when known (published galleries)."""
    out: dict[str, Any] = {
        "id": category.id,
        "slug": category.slug,
        "name": category.name,
        "url": url_for("browse.category", slug=category.slug, _external=True),
    }
    if gallery_count is not None:
        out["gallery_count"] = gallery_count
    return out


def country_json(country: Country | None, gallery_count: int | None = None) -> dict[str, Any] | None:
    """A country (ISO 3166-1), or None."""
    if country is None:
        return None
    out: dict[str, Any] = {
        "code": country.alpha3,
        "alpha2": country.alpha2,
        "name": country.name,
        "url": url_for("browse.country", code=country.slug, _external=True),
    }
    if gallery_count is not None:
        out["gallery_count"] = gallery_count
    return out


def renditions_json(asset: Asset) -> dict[str, Any]:
    """The renditions the current user may see (thumb and preview, or only `blurred`), with versioned URL and size."""
    if not policy.reveals(current_user, asset):
        # A sensitive item, for someone without download rights to it: the blurred thumb only,
        # the size of the thumb it is made from (it is made on first request).
        thumb = asset.rendition("thumb")
        return {} if thumb is None else {policy.BLURRED: {
            "url": rendition_url(asset, policy.BLURRED, _external=True),
            "width": thumb.width, "height": thumb.height}}
    out = {}
    for size in ("thumb", "preview"):
        rend = asset.rendition(size)
        if rend is not None:
            out[size] = {"url": rendition_url(asset, size, _external=True), "width": rend.width,
                         "height": rend.height}
    return out


def gallery_json(gallery: Gallery, cover: Asset | None = None, *, editor: bool = False) -> dict[str, Any]:
    """A gallery with its counts, category, country and card image; editor adds the cover choice."""
    out = {
        "id": gallery.id,
        "title": gallery.title,
        "slug": gallery.slug,
        "description": gallery.description,
        "credit": gallery.credit,
        "date": _iso(gallery.date),
        "status": gallery.status,
        "embargo_until": _iso(gallery.embargo_until),
        "rights": rights.of_gallery(gallery).as_json(),
        "editors_pick": bool(gallery.editors_pick),
        "pick_position": gallery.pick_position if gallery.editors_pick else None,
        "category": category_json(gallery.category),
        "country": country_json(gallery.country),
        "counts": {"image": gallery.image_count, "video": gallery.video_count,
                   "audio": gallery.audio_count, "total": gallery.item_count},
        "cover": ({"asset_id": cover.id, "renditions": renditions_json(cover)}
                  if cover is not None else None),
        "url": gallery_url(gallery, _external=True),
        "api_url": url_for("api.gallery", gallery_id=gallery.id, _external=True),
        "created_at": _iso(gallery.created_at),
        "updated_at": _iso(gallery.updated_at),
        "language": translations.language_of(gallery),
        "translations": translations.translated_fields(gallery),
    }
    if editor:
        out["cover_asset_id"] = gallery.cover_asset_id
    return out


def asset_json(asset: Asset, *, editor: bool = False) -> dict[str, Any]:
    """An asset's descriptive metadata and public renditions (never its storage key or GPS).

    editor adds what only the editor APIs show: consent, the uploaded file name and the SHA-256.
    """
    out = {
        "id": asset.id,
        "gallery_id": asset.gallery_id,
        "position": asset.position,
        "media_type": asset.media_type,
        "status": asset.status,
        "title": asset.title,
        "display_title": asset.display_title,
        "caption": asset.caption,
        "alt_text": asset.alt_text,
        "credit": asset.credit,
        "creator": asset.creator,
        "copyright": asset.copyright,
        "keywords": list(asset.keywords or []),
        "city": asset.city,
        "country": country_json(asset.country),
        "date_taken": _iso(asset.date_taken),
        "embargo_until": _iso(asset.embargo_until),
        "rights_expire_on": _iso(asset.rights_expire_on),
        "rights": rights.of(asset).as_json(),
        "mime_type": asset.mime_type,
        "bytes": asset.bytes,
        "width": asset.width,
        "height": asset.height,
        "duration": asset.duration,
        "sensitive": bool(asset.sensitive),
        "renditions": renditions_json(asset),
        "url": asset_url(asset, _external=True),
        "api_url": url_for("api.asset", asset_id=asset.id, _external=True),
        "created_at": _iso(asset.created_at),
        "updated_at": _iso(asset.updated_at),
        "language": translations.language_of(asset),
        "translations": translations.translated_fields(asset),
    }
    if editor:
        out.update(consent=asset.consent, original_filename=asset.original_filename,
                   sha256=asset.sha256)
    return out


def pagination_json(page: Any) -> dict[str, int]:
    """Page number, page size, total items and number of pages."""
    return {"page": page.page, "per_page": page.per_page, "total": page.total, "pages": page.pages}



def lightbox_json(box: Any, count: int, entries: list | None = None) -> dict[str, Any]:
    """A lightbox; with entries, its items in order (an item the caller may no longer see has asset null)."""
    out: dict[str, Any] = {
        "id": box.id, "name": box.name, "note": box.note, "is_default": box.is_default,
        "count": count, "created_at": _iso(box.created_at), "updated_at": _iso(box.updated_at),
        "url": url_for("lightboxes.show", lightbox_id=box.id, _external=True),
        "api_url": url_for("api_lightboxes.one", lightbox_id=box.id, _external=True),
    }
    if entries is not None:
        out["items"] = [{"asset_id": e.item.asset_id, "position": e.item.position,
                         "note": e.item.note, "added_at": _iso(e.item.added_at),
                         "available": e.asset is not None,
                         "asset": asset_json(e.asset) if e.asset is not None else None}
                        for e in entries]
    return out
