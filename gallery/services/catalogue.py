"""Use cases that change the catalogue: the only place that commits."""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Iterable

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from gallery.extensions import db
from gallery.models import Asset, Category, Gallery, Rendition, SearchOutbox, User
from gallery.services import imaging, search, storage
from gallery.services.errors import DuplicateAsset, NotFound, UnsupportedMedia, ValidationError
from gallery.services.reference import country_code
from gallery.services.text import clean_filename, slugify

IMAGE_FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"),
                 "WEBP": ("image/webp", "webp"), "GIF": ("image/gif", "gif"),
                 "TIFF": ("image/tiff", "tif")}


@dataclass
class IngestResult:
    """Outcome of ingesting one file: accepted, duplicate or rejected."""

    filename: str
    status: str
    asset: Asset | None = None
    reason: str = ""
    existing_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def get_category(value: str | int) -> Category:
    """Find a category by id, slug or name (case-insensitive)."""
    session = db.session
    if isinstance(value, int) or str(value).isdigit():
        found = session.get(Category, int(value))
    else:
        text = str(value).strip()
        found = session.scalar(select(Category).where(
            (Category.slug == slugify(text)) | (func.lower(Category.name) == text.lower())))
    if found is None:
        raise ValidationError(f"Unknown category: {value}", field="category")
    return found


def create_gallery(*, title: str, category: str | int, country: str | None = None,
                   description: str = "", credit: str = "", date: dt.date | None = None,
                   status: str = "draft", editors_pick: bool = False,
                   pick_position: int | None = None, user: User | None = None) -> Gallery:
    """Create a gallery with its batch metadata."""
    title = (title or "").strip()
    if not title:
        raise ValidationError("A gallery needs a title.", field="title")
    if status not in ("draft", "published"):
        raise ValidationError("Status must be draft or published.", field="status")
    code = country_code(country) if country else None
    if country and code is None:
        raise ValidationError(f"Unknown country: {country}", field="country")
    gallery = Gallery(
        title=title[:300], slug=slugify(title), description=description or "",
        credit=credit or "", category=get_category(category), country_code=code, date=date,
        status=status, editors_pick=editors_pick, pick_position=pick_position,
        created_by_id=user.id if user else None,
    )
    db.session.add(gallery)
    db.session.commit()
    return gallery


def ingest(gallery: Gallery, stream: BinaryIO, filename: str, fields: dict[str, Any] | None = None,
           user: User | None = None) -> IngestResult:
    """Store one uploaded file as an asset of the gallery, with renditions and a search outbox row."""
    fields = fields or {}
    name = clean_filename(filename)
    tmp, sha, size = storage.spool(stream)
    written: list[str] = []
    try:
        existing = db.session.scalar(select(Asset.id).where(Asset.sha256 == sha))
        if existing is not None:
            raise DuplicateAsset(f"{name}: already in the catalogue.", existing)
        probe = _probe_image(tmp, name)
        key = storage.original_key(sha, probe["ext"])
        storage.commit_file(tmp, key)
        written.append(key)
        asset = Asset(
            gallery=gallery, media_type="image", original_filename=name, sha256=sha,
            storage_key=key, mime_type=probe["mime"], bytes=size, width=probe["width"],
            height=probe["height"], position=_next_position(gallery),
            uploaded_by_id=user.id if user else None,
            **_asset_fields(fields, gallery),
        )
        sizes = current_app.config["RENDITION_SIZES"]
        for r in imaging.make_renditions(storage.path(key), sizes, current_app.config["JPEG_QUALITY"]):
            rkey = storage.rendition_key(sha, r.size)
            storage.save_bytes(r.data, rkey)
            written.append(rkey)
            asset.renditions.append(Rendition(size=r.size, width=r.width, height=r.height,
                                              bytes=len(r.data), storage_key=rkey))
        db.session.add(asset)
        db.session.flush()
        queue_search([asset.id])
        refresh_counts([gallery.id])
        db.session.commit()
    except DuplicateAsset as exc:
        db.session.rollback()
        _cleanup(written, tmp)
        return IngestResult(name, "duplicate", reason=exc.message, existing_id=exc.existing_id)
    except UnsupportedMedia as exc:
        db.session.rollback()
        _cleanup(written, tmp)
        return IngestResult(name, "rejected", reason=exc.message)
    except IntegrityError:
        # Another upload of the same bytes won the race: report it as the duplicate it is.
        db.session.rollback()
        _cleanup(written, tmp)
        existing = db.session.scalar(select(Asset.id).where(Asset.sha256 == sha))
        return IngestResult(name, "duplicate", reason=f"{name}: already in the catalogue.",
                            existing_id=existing)
    except BaseException:
        db.session.rollback()
        _cleanup(written, tmp)
        raise
    search.after_commit()
    return IngestResult(name, "accepted", asset=asset)


def queue_search(asset_ids: Iterable[int], operation: str = "upsert") -> None:
    """Add search outbox rows in the current transaction."""
    db.session.add_all(SearchOutbox(asset_id=i, operation=operation) for i in asset_ids)


def refresh_counts(gallery_ids: Iterable[int]) -> None:
    """Recompute the denormalised per-media-type counts of published, live assets."""
    for gid in set(gallery_ids):
        counts = dict(db.session.execute(
            select(Asset.media_type, func.count())
            .where(Asset.gallery_id == gid, Asset.status == "published", Asset.deleted_at.is_(None))
            .group_by(Asset.media_type)).all())
        db.session.execute(update(Gallery).where(Gallery.id == gid).values(
            image_count=counts.get("image", 0), video_count=counts.get("video", 0),
            audio_count=counts.get("audio", 0)))


def get_gallery(gallery_id: int) -> Gallery:
    """A gallery by id, or NotFound."""
    gallery = db.session.get(Gallery, gallery_id)
    if gallery is None or gallery.deleted_at is not None:
        raise NotFound("No such gallery.")
    return gallery


def _asset_fields(fields: dict[str, Any], gallery: Gallery) -> dict[str, Any]:
    """Descriptive fields from the form or manifest, falling back to the gallery's values."""
    keywords = fields.get("keywords") or []
    if isinstance(keywords, str):
        keywords = [k.strip() for k in keywords.split(",") if k.strip()]
    code = country_code(fields.get("country")) if fields.get("country") else gallery.country_code
    return {
        "title": (fields.get("title") or "")[:300],
        "caption": fields.get("caption") or "",
        "alt_text": fields.get("alt_text") or "",
        "credit": (fields.get("credit") or gallery.credit or "")[:300],
        "creator": (fields.get("creator") or "")[:300],
        "copyright": (fields.get("copyright") or "")[:300],
        "keywords": list(keywords),
        "city": (fields.get("city") or "")[:200],
        "country_code": code,
        "date_taken": fields.get("date_taken") or gallery.date,
        "status": fields.get("status") or "published",
    }


def _next_position(gallery: Gallery) -> int:
    last = db.session.scalar(select(func.max(Asset.position)).where(Asset.gallery_id == gallery.id))
    return (last or 0) + 1


def _probe_image(path: str, name: str) -> dict[str, Any]:
    """Check the file is a complete image of an allowed format; return format facts."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            fmt = im.format
            width, height = im.size
            im.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UnsupportedMedia(f"{name}: not an image we accept, or the file is damaged.") from exc
    if fmt not in IMAGE_FORMATS:
        raise UnsupportedMedia(f"{name}: {fmt} images are not accepted.")
    mime, ext = IMAGE_FORMATS[fmt]
    return {"mime": mime, "ext": ext, "width": width, "height": height}


def _cleanup(keys: list[str], tmp: str) -> None:
    for key in keys:
        storage.delete(key)
    if os.path.exists(tmp):
        os.unlink(tmp)
