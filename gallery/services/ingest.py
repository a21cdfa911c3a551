"""The ingest pipeline: check, store and render files, then write their asset rows in batches."""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Iterable, Iterator

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from gallery.exceptions import (
    DuplicateAsset,
    GalleryError,
    TooLarge,
    ValidationError,
)
from gallery.extensions import db
from gallery.formats import probe
from gallery.formats.imaging import Rendered
from gallery.formats.probe import Probed
from gallery.formats.renditions import make_renditions
from gallery.models import Asset, Gallery, Rendition, User
from gallery.services import fields, renditions, search, served, storage, unit, work
from gallery.services.galleries import refresh_counts
from gallery.services.reference import country_code
from gallery.text import clean_filename, human_bytes


@dataclass
class IngestResult:
    """Outcome of ingesting one file: accepted, duplicate or rejected."""

    filename: str
    status: str
    asset: Asset | None = None
    reason: str = ""
    existing_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    error_status: int | None = None
    error_field: str | None = None


@dataclass
class IngestItem:
    """One file to ingest: a readable stream and its name, or a refusal decided before reading."""

    filename: str
    stream: BinaryIO | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    label: str = ""
    error: GalleryError | None = None


@dataclass
class _Pending:
    """A file stored and rendered, waiting for its batch's commit."""

    label: str
    sha: str
    asset: Asset
    written: list[str]
    duplicates: list[str] = field(default_factory=list)


def ingest(gallery: Gallery, stream: BinaryIO, filename: str, fields: dict[str, Any] | None = None,
           user: User | None = None) -> IngestResult:
    """Store one uploaded file as an asset of the gallery, with renditions and a search outbox row."""
    return list(ingest_many(gallery, [IngestItem(filename, stream, fields or {})], user))[0]


def ingest_many(gallery: Gallery, items: Iterable[IngestItem], user: User | None = None,
                batch_size: int | None = None) -> Iterator[IngestResult]:
    """Ingest many files, committing every batch_size accepted files; yields one result per file.

    Each file is checked, stored and rendered before its row is written; a batch's rows go in one
    transaction (one unit.commit()). Files of a batch whose commit fails are removed.
    """
    batch_size = batch_size or current_app.config["INGEST_BATCH_SIZE"]
    batch: list[_Pending] = []
    held: list[IngestResult] = []  # results of rejected or duplicate files, kept in order
    seen: dict[str, _Pending] = {}
    try:
        for item in items:
            result, pending = _prepare(gallery, item, user, seen)
            if pending is not None:
                batch.append(pending)
                seen[pending.sha] = pending
                held.append(IngestResult(pending.label, "pending"))
            else:
                held.append(result)
            if len(batch) >= batch_size:
                yield from _settle(gallery, batch, held)
                batch, held, seen = [], [], {}
        yield from _settle(gallery, batch, held)
        batch = []
    finally:
        # A caller that stops early, or an error, must not leave files without rows.
        for pending in batch:
            _cleanup(pending.written, pending.sha)


def clean_fields(values: dict[str, Any]) -> dict[str, Any]:
    """Validate explicit descriptive fields (form, manifest, API) by the edit form's rules; only non-empty ones are kept."""
    out: dict[str, Any] = {}
    for key in TEXT_FIELDS:
        value = values.get(key)
        if value is None or value == "":
            continue
        value = fields.asset_text(value, key)
        if value:
            out[key] = value
    if values.get("keywords"):
        words = fields.keywords(values["keywords"])
        if words:
            out["keywords"] = words
    country = values.get("country") or values.get("country_code")
    if country:
        code = country_code(country) if isinstance(country, str) else None
        if code is None:
            raise ValidationError(f"Unknown country: {country}", field="country")
        out["country_code"] = code
    if values.get("date_taken"):
        out["date_taken"] = parse_date(values["date_taken"], "date_taken")
    status = values.get("status")
    if status:
        if status not in ("draft", "published"):
            raise ValidationError("status must be draft or published.", field="status")
        out["status"] = status
    return out


def parse_date(value: Any, field_name: str) -> dt.date:
    """A date from a date object or an ISO text (YYYY-MM-DD), or a ValidationError naming the field."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError(f"{field_name} must be a date like 2023-05-01.", field=field_name) from None


TEXT_FIELDS = fields.ASSET_TEXT_LIMITS


def _prepare(gallery: Gallery, item: IngestItem, user: User | None,
             seen: dict[str, _Pending]) -> tuple[IngestResult | None, _Pending | None]:
    """Check, store and render one file without writing any row."""
    label = item.label or clean_filename(item.filename)
    if item.error is not None:
        return _refused(label, item.error), None
    written: list[str] = []
    tmp: str | None = None
    sha = ""
    try:
        explicit = clean_fields(item.fields)
        cfg = current_app.config
        tmp, sha, size, crc = storage.spool(item.stream, limit=max(cfg["MAX_IMAGE_BYTES"],
                                                               cfg["MAX_VIDEO_BYTES"]))
        existing = db.session.scalar(select(Asset.id).where(Asset.sha256 == sha))
        if existing is not None:
            raise DuplicateAsset(f"{label}: already in the catalogue as asset {existing}.", existing)
        if sha in seen:
            seen[sha].duplicates.append(label)
            raise DuplicateAsset(f"{label}: same file as {seen[sha].label} in this upload.", 0)
        probed = examine(tmp, label, size)
        key = storage.original_key(sha, probed.ext)
        storage.commit_file(tmp, key)
        tmp = None
        written.append(key)
        copy = served.make(key, sha, probed.mime_type, size, crc)
        if copy.key != key:
            written.append(copy.key)
        asset = Asset(
            gallery_id=gallery.id, media_type=probed.media_type,
            original_filename=clean_filename(item.filename), sha256=sha, storage_key=key,
            served_key=copy.key, served_bytes=copy.bytes, served_crc32=copy.crc32,
            mime_type=probed.mime_type, bytes=size, width=probed.width, height=probed.height,
            duration=probed.duration, codec=probed.codec, camera=probed.camera,
            uploaded_by_id=user.id if user else None,
            **_asset_values(explicit, probed.metadata, gallery),
        )
        for r in ingest_renditions(storage.path(key), probed):
            rkey = storage.rendition_key(sha, r.size)
            storage.save_bytes(r.data, rkey)
            written.append(rkey)
            asset.renditions.append(Rendition(size=r.size, width=r.width, height=r.height,
                                              bytes=len(r.data), storage_key=rkey))
    except DuplicateAsset as exc:
        _discard(tmp, written, sha)
        return IngestResult(label, "duplicate", reason=exc.message,
                            existing_id=exc.existing_id or None, error_status=409), None
    except GalleryError as exc:
        _discard(tmp, written, sha)
        return _refused(label, exc), None
    except BaseException:
        _discard(tmp, written, sha)
        raise
    return None, _Pending(label, sha, asset, written)


def _settle(gallery: Gallery, batch: list[_Pending], held: list[IngestResult]) -> list[IngestResult]:
    """Commit a batch's rows; results in the order the files came, pending ones filled in."""
    firsts = {label: p for p in batch for label in p.duplicates}
    done = iter(_commit(gallery, batch))
    out = [next(done) if r.status == "pending" else r for r in held]
    for result in out:
        # A second copy in the same batch points at the asset the first copy became.
        first = firsts.get(result.filename)
        if result.status == "duplicate" and result.existing_id is None and first is not None \
                and first.asset.id is not None:
            result.existing_id = first.asset.id
            result.reason = f"{result.filename}: already in the catalogue as asset {first.asset.id}."
    return out


def _commit(gallery: Gallery, batch: list[_Pending]) -> list[IngestResult]:
    """Write the rows of a batch in one transaction; one by one if another upload raced us."""
    if not batch:
        return []
    try:
        position = _next_position(gallery)
        for offset, pending in enumerate(batch):
            pending.asset.position = position + offset
            work.mark(pending.asset, work.needed(pending.asset))  # large etc., for the workers
            db.session.add(pending.asset)
        db.session.flush()
        ids = [p.asset.id for p in batch]
        search.queue_assets(ids)
        refresh_counts([gallery.id])
        unit.commit(look_at=ids, queue="low")  # drains the search outbox, then queues the work
    except IntegrityError:
        db.session.rollback()  # the flush may have failed before unit.commit() could roll back
        if len(batch) > 1:
            results = [r for pending in list(batch) for r in _commit(gallery, [pending])]
            batch.clear()
            return results
        pending = batch[0]
        existing = db.session.scalar(select(Asset.id).where(Asset.sha256 == pending.sha))
        if existing is None:
            _cleanup(pending.written, pending.sha)
            raise
        # Another upload of the same bytes committed first; its row owns the same files.
        return [IngestResult(pending.label, "duplicate", existing_id=existing, error_status=409,
                             reason=f"{pending.label}: already in the catalogue as asset {existing}.")]
    except BaseException:
        db.session.rollback()
        for pending in batch:
            _cleanup(pending.written, pending.sha)
        batch.clear()
        raise
    results = [IngestResult(p.label, "accepted", asset=p.asset) for p in batch]
    batch.clear()
    return results


def _asset_values(explicit: dict[str, Any], metadata: dict[str, Any], gallery: Gallery) -> dict[str, Any]:
    """Descriptive values: explicit field, else the file's metadata, else the gallery's value."""
    meta = _clean_metadata(metadata)
    fallback = {"credit": gallery.credit or "", "country_code": gallery.country_code,
                "date_taken": gallery.date}
    values: dict[str, Any] = {}
    for key in (*TEXT_FIELDS, "keywords", "country_code", "date_taken"):
        values[key] = explicit.get(key) or meta.get(key) or fallback.get(key)
    for key in TEXT_FIELDS:
        values[key] = values[key] or ""
    values["keywords"] = list(values["keywords"] or [])
    values["status"] = explicit.get("status", "published")
    return values


def _clean_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """Embedded metadata made safe for the row: unknown countries and odd dates dropped."""
    out: dict[str, Any] = {k: fields.embedded_text(v, k) for k, v in metadata.items() if k in TEXT_FIELDS}
    out["keywords"] = fields.embedded_keywords(metadata.get("keywords"))
    code = metadata.get("country_code") or metadata.get("country")
    if isinstance(code, str) and code.strip():
        out["country_code"] = country_code(code)
    taken = metadata.get("date_taken")
    if taken:
        try:
            out["date_taken"] = parse_date(taken, "date_taken")
        except ValidationError:
            pass  # an unreadable camera date is not a reason to refuse the photo
    return out


def _next_position(gallery: Gallery) -> int:
    last = db.session.scalar(select(func.max(Asset.position)).where(Asset.gallery_id == gallery.id))
    return (last or 0) + 1


def examine(path: str, label: str, size: int) -> Probed:
    """What the file is by its bytes; refuse anything not on the allowlist or over its limit."""
    probed = probe.probe(path, label, current_app.config, country_code)
    _check_size(probed, size)
    return probed


def ingest_renditions(path: str, probed: Probed) -> list[Rendered]:
    """The renditions made at ingest (the others, such as large, are made on first use)."""
    cfg = current_app.config
    sizes = renditions.ingest_sizes(cfg["RENDITION_SIZES"], cfg["RENDITIONS_AT_INGEST"])
    return make_renditions(path, probed, sizes, cfg["JPEG_QUALITY"], cfg["MAX_IMAGE_PIXELS"])


def _check_size(probed: Probed, size: int) -> None:
    """Per-type byte limits: the spool only enforced the largest of them."""
    key = "MAX_IMAGE_BYTES" if probed.media_type == "image" else "MAX_VIDEO_BYTES"
    limit = current_app.config[key]
    if size > limit:
        raise TooLarge(f"{probed.media_type} files may be at most {human_bytes(limit)}.")


def _refused(label: str, exc: GalleryError) -> IngestResult:
    message = exc.message if exc.message.startswith(label) else f"{label}: {exc.message}"
    return IngestResult(label, "rejected", reason=message, error_status=exc.status,
                        error_field=exc.field)


def _discard(tmp: str | None, written: list[str], sha: str) -> None:
    if tmp and os.path.exists(tmp):
        os.unlink(tmp)
    _cleanup(written, sha)


def _cleanup(keys: list[str], sha: str) -> None:
    """Remove files written for a row that will not exist, unless a committed row owns them."""
    if not keys:
        return
    if sha and db.session.scalar(select(Asset.id).where(Asset.sha256 == sha)) is not None:
        return
    for key in keys:
        storage.delete(key)
