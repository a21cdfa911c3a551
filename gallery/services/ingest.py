"""The ingest pipeline: check, store and render files, then write their asset rows in batches."""
from __future__ import annotations

import datetime as dt
import functools
import os
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Callable, Iterable, Iterator, Mapping

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from gallery.countries import country_code
from gallery.exceptions import DuplicateAsset, GalleryError, ValidationError
from gallery.extensions import db
from gallery.formats.imaging import Rendered
from gallery.formats.probe import Probed
from gallery.formats.renditions import make_renditions
from gallery.i18n.service_messages import N_, term
from gallery.models import Asset, Gallery, Rendition, User
from gallery.services import (
    fields,
    preparation,
    renditions,
    search,
    storage,
    translations,
    unit,
    work,
)
from gallery.services.counts import refresh_counts
from gallery.text import clean_filename

# Seconds ingest_many waits for one file's preparation in the pool: far beyond the slowest file
# accepted (a 2 GB video's poster, a 120 MP photo), so only a hung or lost worker reaches it.
PREPARE_TIMEOUT = 600.0


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
    """Store one uploaded file as an asset of the gallery, with renditions and a search change log entry."""
    return list(ingest_many(gallery, [IngestItem(filename, stream, fields or {})], user))[0]


def ingest_many(gallery: Gallery, items: Iterable[IngestItem], user: User | None = None,
                batch_size: int | None = None, workers: int | None = None,
                timeout: float = PREPARE_TIMEOUT,
                sizes: tuple[str, ...] | None = None) -> Iterator[IngestResult]:
    """Ingest many files, committing every batch_size accepted files; yields one result per file.

    Each file is checked, stored and rendered before its row is written; a batch's rows go in one
    transaction (one unit.commit()). Files of a batch whose commit fails are removed.

    workers: with 2 or more, the CPU work of each file (probe and renditions:
    preparation.prepare) runs in a pool of that many processes, a few files ahead; spooling,
    duplicate checks, moves into storage, rows and commits stay in this process, in the order the
    files came. timeout: seconds to wait for one file's preparation before the run stops.
    sizes: the renditions made with the file (default RENDITIONS_AT_INGEST); the rest are
    background work.
    """
    run = _Run(gallery, user, batch_size or current_app.config["INGEST_BATCH_SIZE"], sizes)
    try:
        if workers is None or workers <= 1:
            for item in items:
                entry = run.intake(item)
                run.finish(entry, functools.partial(_prepare_here, entry, run.config))
                yield from run.full_batch()
        else:
            yield from _pooled(run, items, workers, timeout)
        yield from run.settle()
    finally:
        # A caller that stops early, or an error, must not leave files without rows.
        run.discard()


def clean_fields(values: dict[str, Any], language: str = translations.DEFAULT) -> dict[str, Any]:
    """Validate explicit descriptive fields (form, manifest, API) by the edit form's rules; only non-empty ones are kept.

    Title, caption and alt text may be language maps ({"en": "...", "fr": "..."}) or come with a
    `translations` object; language is the gallery's, the one a plain string is written in.
    """
    out: dict[str, Any] = {}
    originals, translated = translations.parse(values, translations.ASSET_FIELDS, language, None)
    if translated:
        out["translations"] = translated
    values = {**values, **originals}
    for key in TEXT_FIELDS:
        value = values.get(key)
        if value is None or value == "" or isinstance(value, Mapping):
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
            raise ValidationError(N_("Unknown country: %(value)s", value=country), field="country")
        out["country_code"] = code
    if values.get("date_taken"):
        out["date_taken"] = parse_date(values["date_taken"], "date_taken")
    status = values.get("status")
    if status:
        if status not in ("draft", "published"):
            raise ValidationError("status must be draft or published.", field="status")
        out["status"] = status
    given = {k: v for k, v in values.items() if v not in (None, "")}
    out.update(fields.schedule_fields(given))
    out.update({k: v for k, v in fields.rights_fields(given).items() if v})
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
        raise ValidationError(N_("%(label)s must be a date like 2023-05-01.", label=field_name), field=field_name) from None


TEXT_FIELDS = fields.ASSET_TEXT_LIMITS


@dataclass(eq=False)
class _Job:
    """A file spooled and checked for duplicates, whose CPU work is to be done (here or in the pool)."""

    label: str
    filename: str
    explicit: dict[str, Any]
    tmp: str
    sha: str
    size: int
    crc: int
    settled: int  # batches committed when it was spooled: a later one may hold its bytes


class _Run:
    """One ingest_many call: the batch waiting for its commit, results held in order, files open."""

    def __init__(self, gallery: Gallery, user: User | None, batch_size: int,
                 sizes: tuple[str, ...] | None = None) -> None:
        cfg = current_app.config
        self.gallery, self.user, self.batch_size = gallery, user, batch_size
        made = renditions.ingest_sizes(cfg["RENDITION_SIZES"], sizes or cfg["RENDITIONS_AT_INGEST"])
        # The probe keeps its decoded frame at the scale the largest of these sizes needs.
        self.config = {**preparation.settings(cfg, made), "RENDITIONS_AT_INGEST": tuple(made)}
        self.limit = max(cfg["MAX_IMAGE_BYTES"], cfg["MAX_VIDEO_BYTES"])
        self.batch: list[_Pending] = []
        self.held: list[IngestResult] = []  # results of rejected or duplicate files, kept in order
        self.seen: dict[str, _Pending] = {}
        self.open: set[_Job] = set()  # spooled, not yet stored or discarded
        self.settled = 0

    def intake(self, item: IngestItem) -> IngestResult | _Job:
        """Refuse, spool and check one file for duplicates: its result now, or a job to prepare."""
        label = item.label or clean_filename(item.filename)
        if item.error is not None:
            return _refused(label, item.error)
        tmp: str | None = None
        try:
            explicit = clean_fields(item.fields, self.gallery.language)
            tmp, sha, size, crc = storage.spool(item.stream, limit=self.limit)
            self._check_duplicate(label, sha, check_db=True)
        except DuplicateAsset as exc:
            _discard(tmp, [], "")
            return _duplicate(label, exc)
        except GalleryError as exc:
            _discard(tmp, [], "")
            return _refused(label, exc)
        except BaseException:
            _discard(tmp, [], "")
            raise
        job = _Job(label, item.filename, explicit, tmp, sha, size, crc, self.settled)
        self.open.add(job)
        return job

    def finish(self, entry: IngestResult | _Job, outcome: Callable[[], preparation.Prepared]) -> None:
        """Store a prepared file and hold its asset for the batch, or hold its refusal (in order)."""
        if isinstance(entry, IngestResult):
            self.held.append(entry)
            return
        result, pending = self._store(entry, outcome)
        self.open.discard(entry)
        if pending is not None:
            self.batch.append(pending)
            self.seen[pending.sha] = pending
            self.held.append(IngestResult(pending.label, "pending"))
        else:
            self.held.append(result)

    def full_batch(self) -> list[IngestResult]:
        """Commit the batch when it is full; the results settled by it, in order."""
        return self.settle() if len(self.batch) >= self.batch_size else []

    def settle(self) -> list[IngestResult]:
        """Commit the batch; the results held so far, in order."""
        out = _settle(self.gallery, self.batch, self.held)
        self.batch, self.held, self.seen = [], [], {}
        self.settled += 1
        return out

    def discard(self) -> None:
        """Remove every file written for a row that will not exist (after an error or an early stop)."""
        for pending in self.batch:
            _cleanup(pending.written, pending.sha)
        self.batch = []
        for job in self.open:
            _discard(job.tmp, [], "")
        self.open = set()

    def _check_duplicate(self, label: str, sha: str, check_db: bool) -> None:
        existing = db.session.scalar(select(Asset.id).where(Asset.sha256 == sha)) if check_db else None
        if existing is not None:
            raise DuplicateAsset(N_("%(label)s: already in the catalogue as asset %(id)s.", label=label, id=existing),
                                 existing)
        if sha in self.seen:
            self.seen[sha].duplicates.append(label)
            raise DuplicateAsset(N_("%(label)s: same file as %(other)s in this upload.", label=label,
                                    other=self.seen[sha].label), 0)

    def _store(self, job: _Job, outcome: Callable[[], preparation.Prepared]
               ) -> tuple[IngestResult | None, _Pending | None]:
        """Move a prepared file and what was made from it into storage; its asset, not yet added."""
        written: list[str] = []
        tmp: str | None = job.tmp
        try:
            prepared = outcome()
            # Another file of this run may have become an asset since this one was spooled; a
            # batch committed since then is in the database.
            self._check_duplicate(job.label, job.sha, check_db=job.settled != self.settled)
            probed = prepared.probed
            key = storage.original_key(job.sha, probed.ext)
            storage.commit_file(job.tmp, key)
            tmp = None
            written.append(key)
            asset = Asset(
                gallery_id=self.gallery.id, media_type=probed.media_type,
                original_filename=clean_filename(job.filename), sha256=job.sha, storage_key=key,
                mime_type=probed.mime_type, bytes=job.size,
                width=probed.width, height=probed.height, duration=probed.duration,
                codec=probed.codec, camera=probed.camera,
                uploaded_by_id=self.user.id if self.user else None,
                **_asset_values(job.explicit, probed.metadata, self.gallery),
            )
            for r in prepared.renditions:
                rkey = storage.rendition_key(job.sha, r.size)
                storage.save_bytes(r.data, rkey)
                written.append(rkey)
                asset.renditions.append(Rendition(size=r.size, width=r.width, height=r.height,
                                                  bytes=len(r.data), storage_key=rkey))
        except DuplicateAsset as exc:
            _discard(tmp, written, job.sha)
            return _duplicate(job.label, exc), None
        except GalleryError as exc:
            _discard(tmp, written, job.sha)
            return _refused(job.label, exc), None
        except BaseException:
            _discard(tmp, written, job.sha)
            raise
        return None, _Pending(job.label, job.sha, asset, written)


def _prepare_here(job: _Job, config: dict[str, Any]) -> preparation.Prepared:
    """The preparation in this process (one worker, or the web upload)."""
    # With the run's config, so the probe keeps its frame at the scale the run's sizes need.
    probed = examine(job.tmp, job.label, job.size, config)
    return preparation.finish(job.tmp, probed, config)


def _pool_result(entry: IngestResult | _Job, future: Future | None, timeout: float) -> preparation.Prepared:
    assert future is not None and isinstance(entry, _Job)  # run.finish asks only for a job's result
    return preparation.result(future, entry.label, timeout)


def _pooled(run: _Run, items: Iterable[IngestItem], workers: int,
            timeout: float) -> Iterator[IngestResult]:
    """ingest_many with the preparation in a process pool, at most 2 files per worker in flight.

    Files are finished in the order they came (the first one waits for its result while the
    others keep the workers busy), so positions, batches and duplicate checks are those of one
    worker. Memory stays bounded: each worker decodes one file at a time, and a file in flight is
    a temp path here until its result comes back.
    """
    pool = preparation.Pool(workers, run.config)
    window: deque[tuple[IngestResult | _Job, Future | None]] = deque()
    in_flight = 0
    completed = False
    try:
        for item in items:
            entry = run.intake(item)
            future = pool.submit(entry.tmp, entry.label, entry.size) \
                if isinstance(entry, _Job) else None
            window.append((entry, future))
            in_flight += future is not None
            # Finish what is ready at the head; wait for the head only when the window is full.
            while window and (in_flight >= 2 * workers or window[0][1] is None or window[0][1].done()):
                entry, future = window.popleft()
                in_flight -= future is not None
                run.finish(entry, functools.partial(_pool_result, entry, future, timeout))
                yield from run.full_batch()
        while window:
            entry, future = window.popleft()
            run.finish(entry, functools.partial(_pool_result, entry, future, timeout))
            yield from run.full_batch()
        completed = True
    finally:
        pool.close(abort=not completed)


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
            result.reason = N_("%(label)s: already in the catalogue as asset %(id)s.", label=result.filename,
                               id=first.asset.id)
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
        unit.commit(look_at=ids, queue="low")  # applies the search change log, then queues the work
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
                             reason=N_("%(label)s: already in the catalogue as asset %(id)s.",
                                       label=pending.label, id=existing))]
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
    for key in ("embargo_until", "rights_expire_on"):  # schedules and rights only from explicit fields
        values[key] = explicit.get(key)
    for key in ("licence", "usage_terms", "restrictions"):
        values[key] = explicit.get(key, "")
    values["translations"] = explicit.get("translations") or {}
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


def examine(path: str, label: str, size: int, config: dict[str, Any] | None = None) -> Probed:
    """What the file is by its bytes; refuse anything not on the allowlist or over its limit.

    config: a run's preparation settings (their sizes decide the frame the probe keeps).
    """
    if config is None:
        cfg = current_app.config
        config = preparation.settings(cfg, renditions.ingest_sizes(cfg["RENDITION_SIZES"],
                                                                   cfg["RENDITIONS_AT_INGEST"]))
    return preparation.examine(path, label, size, config)


def ingest_renditions(path: str, probed: Probed) -> list[Rendered]:
    """The renditions made at ingest (the others, such as large, are made on first use)."""
    cfg = current_app.config
    sizes = renditions.ingest_sizes(cfg["RENDITION_SIZES"], cfg["RENDITIONS_AT_INGEST"])
    return make_renditions(path, probed, sizes, cfg["JPEG_QUALITY"], cfg["MAX_IMAGE_PIXELS"])


def _duplicate(label: str, exc: DuplicateAsset) -> IngestResult:
    return IngestResult(label, "duplicate", reason=exc.message, existing_id=exc.existing_id or None,
                        error_status=409)


def _refused(label: str, exc: GalleryError) -> IngestResult:
    message = exc.message if exc.message.startswith(label) else N_(
        "%(label)s: %(problem)s", label=label, problem=term(exc.message))
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
