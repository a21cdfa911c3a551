"""IIIF Presentation API 3.0: a manifest per gallery and a collection of every public gallery.

A canvas per item the viewer may see (the same query as the gallery page): images painted with
their Image API service, videos and audio as time-based canvases playing their web proxies.
Text is tagged with CATALOGUE_LANGUAGE, the one language the catalogue is written in.
"""
from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from flask_login import AnonymousUserMixin
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from gallery import policy
from gallery.extensions import db
from gallery.models import Asset, Gallery
from gallery.services import browsing, credits, iiif, rights, translations
from gallery.templating import asset_url, gallery_url, rendition_url

PRESENTATION_CONTEXT = "http://iiif.io/api/presentation/3/context.json"
# The rights property takes only these (the Presentation API 3.0, section 3.3.1); the
# organisation's own terms go in requiredStatement instead.
RIGHTS_PREFIXES = ("http://creativecommons.org/", "https://creativecommons.org/",
                   "http://rightsstatements.org/", "https://rightsstatements.org/")
PROXY_FOR = {"video": ("web", "Video", "video/mp4"), "audio": ("audio", "Sound", "audio/mp4")}


def _lang(*values: str) -> dict[str, list[str]]:
    """A language map of the non-empty values."""
    return {current_app.config.get("CATALOGUE_LANGUAGE", "en"): [v for v in values if v]}


def _texts(obj: Any, field: str) -> dict[str, list[str]]:
    """A language map of a translatable field: the original and every translation."""
    found = translations.texts(obj, field)
    return {lang: [value] for lang, value in found.items()} or _lang(getattr(obj, field))


def _pair(label: str, value: str) -> dict[str, Any]:
    """A label and value pair (metadata, requiredStatement) as language maps."""
    return {"label": _lang(label), "value": _lang(value)}


def _rights_uri(url: str) -> str | None:
    """The licence URL when the rights property may carry it (Creative Commons, RightsStatements.org)."""
    return url if url.startswith(RIGHTS_PREFIXES) else None


def gallery_manifest(user: Any, gallery: Gallery) -> dict[str, Any]:
    """The manifest of a gallery this user may browse, with the items this user may see."""
    manifest_id = url_for("iiif.manifest", gallery_id=gallery.id, _external=True)
    items = list(db.session.scalars(
        select(Asset).where(Asset.gallery_id == gallery.id, policy.visible_asset_clause(user))
        .order_by(Asset.position, Asset.id).options(selectinload(Asset.renditions))))
    organisation = current_app.config["ORGANISATION"]
    terms = rights.of_gallery(gallery)
    credit = gallery.credit or organisation
    metadata = [_pair("Credit", credit), _pair("Category", gallery.category.name)]
    if gallery.country is not None:
        metadata.append(_pair("Country", gallery.country.name))
    if gallery.date is not None:
        metadata.append(_pair("Date", gallery.date.isoformat()))
    body: dict[str, Any] = {
        "@context": PRESENTATION_CONTEXT, "id": manifest_id, "type": "Manifest",
        "label": _texts(gallery, "title"),
        "metadata": metadata,
        "requiredStatement": _pair("Attribution", " ".join(p for p in (credit, terms.statement) if p)),
        "homepage": [{"id": gallery_url(gallery, _external=True), "type": "Text",
                      "label": _lang(gallery.title), "format": "text/html"}],
        "provider": [{"id": url_for("browse.index", _external=True), "type": "Agent",
                      "label": _lang(organisation)}],
        "items": [c for c in (_canvas(user, manifest_id, a) for a in items) if c is not None],
    }
    if gallery.description:
        body["summary"] = _texts(gallery, "description")
    if _rights_uri(terms.licence_url):
        body["rights"] = terms.licence_url
    cover = next((a for a in items if a.id == gallery.cover_asset_id), items[0] if items else None)
    if cover is not None and policy.reveals(user, cover):
        body["thumbnail"] = [_thumbnail(cover)]
    return body


def _canvas(user: Any, manifest_id: str, asset: Asset) -> dict[str, Any] | None:
    """One item's canvas, or None when it has nothing to paint for this user (not ready, or sensitive)."""
    canvas_id = f"{manifest_id.rsplit('/', 1)[0]}/canvas/{asset.id}"
    organisation = current_app.config["ORGANISATION"]
    terms = rights.of(asset)
    country = asset.country or asset.gallery.country
    place = ", ".join(p for p in (asset.city, country.name if country else "") if p)
    facts = [("Caption", asset.caption), ("Credit", credits.credit_line(asset, organisation)),
             ("Creator", asset.creator), ("Date", asset.date_taken.isoformat() if asset.date_taken else ""),
             ("Place", place), ("Keywords", ", ".join(asset.keywords or []))]
    canvas: dict[str, Any] = {
        "id": canvas_id, "type": "Canvas",
        "label": _texts(asset, "title") if asset.title else _lang(asset.display_title),
        "metadata": [_pair(label, value) for label, value in facts if value],
        "requiredStatement": _pair("Attribution", " ".join(
            p for p in (credits.credit_line(asset, organisation), terms.statement) if p)),
        "homepage": [{"id": asset_url(asset, _external=True), "type": "Text",
                      "label": _lang(asset.display_title), "format": "text/html"}],
    }
    if _rights_uri(terms.licence_url):
        canvas["rights"] = terms.licence_url
    if asset.caption:
        canvas["summary"] = _texts(asset, "caption")
    if asset.media_type == "image":
        edge = policy.iiif_edge(user, asset)
        if not edge:
            return None  # a sensitive photo this user may not see: no canvas rather than a broken one
        width, height = iiif.full_size(asset, edge)
        service = url_for("iiif.base", asset_id=asset.id, _external=True)
        canvas.update(width=width, height=height)
        body = {"id": f"{service}/full/max/0/default.jpg", "type": "Image", "format": "image/jpeg",
                "width": width, "height": height,
                "service": [{"id": service, "type": "ImageService3", "profile": iiif.PROFILE}]}
    else:
        if policy.access(user, asset, "stream") is not policy.Access.OK or asset.rendition(PROXY_FOR[asset.media_type][0]) is None:
            return None
        size, kind, mimetype = PROXY_FOR[asset.media_type]
        proxy = asset.rendition(size)
        canvas["duration"] = float(asset.duration or 0.0) or 0.001
        body = {"id": url_for("media.play", asset_id=asset.id, size=size, _external=True),
                "type": kind, "format": mimetype, "duration": canvas["duration"]}
        if asset.media_type == "video":
            canvas.update(width=proxy.width or asset.width or 1280, height=proxy.height or asset.height or 720)
            body.update(width=canvas["width"], height=canvas["height"])
    if policy.reveals(user, asset) and asset.rendition("thumb") is not None:
        canvas["thumbnail"] = [_thumbnail(asset)]
    canvas["items"] = [{"id": f"{canvas_id}/page", "type": "AnnotationPage", "items": [
        {"id": f"{canvas_id}/page/painting", "type": "Annotation", "motivation": "painting",
         "body": body, "target": canvas_id}]}]
    return canvas


def _thumbnail(asset: Asset) -> dict[str, Any]:
    """The asset's thumb rendition as a IIIF thumbnail resource."""
    thumb = asset.rendition("thumb")
    found: dict[str, Any] = {"id": rendition_url(asset, "thumb", _external=True), "type": "Image",
                             "format": "image/jpeg"}
    if thumb is not None:
        found.update(width=thumb.width, height=thumb.height)
    return found


def collection() -> dict[str, Any]:
    """Every public gallery, newest first, as a collection of manifests."""
    public = AnonymousUserMixin()
    galleries = list(db.session.scalars(browsing.visible_galleries(public)
                                        .order_by(Gallery.date.desc().nulls_last(), Gallery.id.desc())))
    covers = browsing.covers(public, galleries)
    items = []
    for gallery in galleries:
        entry: dict[str, Any] = {"id": url_for("iiif.manifest", gallery_id=gallery.id, _external=True),
                                 "type": "Manifest", "label": _lang(gallery.title)}
        cover = covers.get(gallery.id)
        if cover is not None and policy.reveals(public, cover):
            entry["thumbnail"] = [_thumbnail(cover)]
        items.append(entry)
    return {"@context": PRESENTATION_CONTEXT,
            "id": url_for("iiif.collection", _external=True), "type": "Collection",
            "label": _lang(f"{current_app.config['SITE_NAME']}: public galleries"),
            "homepage": [{"id": url_for("browse.index", _external=True), "type": "Text",
                          "label": _lang(current_app.config["SITE_NAME"]), "format": "text/html"}],
            "items": items}
