"""IIIF Presentation API 3.0: a manifest per gallery and a collection of every public gallery.

A canvas per item the viewer may see (the same query as the gallery page): images painted with
their Image API service, videos and audio as time-based canvases playing their web proxies.
Text is tagged with CATALOGUE_LANGUAGE, the one language the catalogue is written in; labels
that are interface strings ("Credit", "Caption"), category and country names carry every
language the interface speaks.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

from flask import current_app, url_for
from flask_babel import force_locale, gettext
from flask_login import AnonymousUserMixin
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from gallery import policy
from gallery.extensions import db
from gallery.i18n.locale import LANGUAGES
from gallery.i18n.names import N_, category_name, country_name
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


def _each_language(text: Callable[[str], str]) -> dict[str, list[str]]:
    """A language map of text the interface translates: text(code) once per interface language."""
    found = {code: [text(code)] for code in LANGUAGES}
    if len({tuple(v) for v in found.values()}) == 1:  # not translated (a category staff named): the catalogue's
        return _lang(found[next(iter(LANGUAGES))][0])
    return found


def _in(code: str, function: Callable[[Any], str], value: Any) -> str:
    """function(value) with the interface in one language (names that read the page's language)."""
    with force_locale(code):
        return function(value)


def _translated(message: str, code: str, **values: Any) -> str:
    """An interface string in one language."""
    with force_locale(code):
        return gettext(message, **values)


@lru_cache(maxsize=64)
def _label(label: str) -> tuple[tuple[str, str], ...]:
    # A manifest repeats a handful of labels on every canvas: translate each once per process.
    return tuple((code, _translated(label, code)) for code in LANGUAGES)


def _pair(label: str, value: str | dict[str, list[str]]) -> dict[str, Any]:
    """A label (an interface string, in every language) and a value (text, or a language map)."""
    return {"label": {code: [text] for code, text in _label(label)},
            "value": value if isinstance(value, dict) else _lang(value)}


def _texts(obj: Any, field: str) -> dict[str, list[str]]:
    """A language map of a translatable field: the original and every translation."""
    found = translations.texts(obj, field)
    return {lang: [value] for lang, value in found.items()} or _lang(getattr(obj, field))


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
    metadata = [_pair(N_("Credit"), credit),
                _pair(N_("Category"), _each_language(lambda code: _in(code, category_name, gallery.category)))]
    if gallery.country is not None:
        metadata.append(_pair(N_("Country"), _each_language(lambda code: country_name(gallery.country, code))))
    if gallery.date is not None:
        metadata.append(_pair(N_("Date"), gallery.date.isoformat()))
    body: dict[str, Any] = {
        "@context": PRESENTATION_CONTEXT, "id": manifest_id, "type": "Manifest",
        "label": _texts(gallery, "title"),
        "metadata": metadata,
        "requiredStatement": _pair(N_("Attribution"), " ".join(p for p in (credit, terms.statement) if p)),
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
    place = _each_language(lambda code: ", ".join(p for p in (asset.city, country_name(country, code)) if p))
    facts = [(N_("Caption"), asset.caption), (N_("Credit"), credits.credit_line(asset, organisation)),
             (N_("Creator"), asset.creator),
             (N_("Date"), asset.date_taken.isoformat() if asset.date_taken else ""),
             (N_("Place"), place if (asset.city or country) else ""),
             (N_("Keywords"), ", ".join(asset.keywords or []))]
    canvas: dict[str, Any] = {
        "id": canvas_id, "type": "Canvas",
        "label": _texts(asset, "title") if asset.title else _lang(asset.display_title),
        "metadata": [_pair(label, value) for label, value in facts if value],
        "requiredStatement": _pair(N_("Attribution"), " ".join(
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
            "label": _each_language(lambda code: _translated(N_("%(site)s: public galleries"), code,
                                                             site=current_app.config["SITE_NAME"])),
            "homepage": [{"id": url_for("browse.index", _external=True), "type": "Text",
                          "label": _lang(current_app.config["SITE_NAME"]), "format": "text/html"}],
            "items": items}
