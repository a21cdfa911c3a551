"""Each asset's OAI-PMH record: a datestamp that moves when its public record changes, and tombstones.

Every change a search document follows is logged through search.queue_* in the changing
transaction; the same calls note the assets here, and just before that transaction commits their
records are refreshed: a record is written when an asset becomes harvestable
(policy.harvestable_clause), restamped when the fingerprint of what it says changes, and marked
deleted (never removed) when the asset stops being harvestable or is purged. Datestamps come
from the one clock, in whole seconds, taken after the OaiState row lock: a harvest takes that
lock too before it reads (harvest_point), so no record can be stamped earlier than a harvest that
did not see it, and `from` the last responseDate never misses a change.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager

from gallery import clock, policy
from gallery.models import Asset, Gallery, OaiRecord, OaiState, utcnow
from gallery.services.credits import credit_line
from gallery.services.rights import of as rights_of

STATE_ID = 1
BATCH = 500
# session.info keys of what the transaction changed, read just before it commits.
ASSETS, GALLERIES, CATEGORIES = "oai_assets", "oai_galleries", "oai_categories"
DC_TYPES = {"image": "StillImage", "video": "MovingImage", "audio": "Sound"}


def init_app(app: Flask) -> None:
    """Refresh the records of the assets a transaction changed, in that transaction, on every commit path."""
    # A listener rather than a call in unit.commit: the schedule and the workers commit on
    # their own, and a change they make public must not be left without its record.
    maker = app.extensions["db_sessionmaker"]
    event.listen(maker, "before_commit", _before_commit)
    event.listen(maker, "after_soft_rollback", _forget)


def note_assets(session: Session, asset_ids: Iterable[int]) -> None:
    """Remember assets whose public record may have changed in this transaction."""
    session.info.setdefault(ASSETS, set()).update(asset_ids)


def note_gallery(session: Session, gallery_id: int) -> None:
    """Remember a gallery whose assets' records may have changed (publish, rename, move)."""
    session.info.setdefault(GALLERIES, set()).add(gallery_id)


def note_category(session: Session, category_id: int) -> None:
    """Remember a category whose assets' records may have changed (rename)."""
    session.info.setdefault(CATEGORIES, set()).add(category_id)


def _forget(session: Session, _previous) -> None:
    for key in (ASSETS, GALLERIES, CATEGORIES):
        session.info.pop(key, None)


def _before_commit(session: Session) -> None:
    ids = set(session.info.pop(ASSETS, ()))
    galleries = session.info.pop(GALLERIES, set())
    categories = session.info.pop(CATEGORIES, set())
    if not (ids or galleries or categories) or not has_app_context():
        return
    if galleries:
        ids.update(session.scalars(select(Asset.id).where(Asset.gallery_id.in_(galleries))))
    if categories:
        ids.update(session.scalars(select(Asset.id).join(Gallery, Asset.gallery_id == Gallery.id)
                                   .where(Gallery.category_id.in_(categories))))
    refresh(session, ids)


def lock(session: Session) -> dt.datetime:
    """Take the OaiState row lock (held until the commit) and return the datestamp of now."""
    session.execute(update(OaiState).where(OaiState.id == STATE_ID).values(touched_at=utcnow()))
    # After the lock: a harvest that ran before it ended before this stamp.
    return clock.now().replace(microsecond=0)


def refresh(session: Session, asset_ids: Iterable[int]) -> int:
    """Write, restamp or tombstone the records of these assets as they stand now; returns rows changed."""
    ids = sorted(set(asset_ids))
    if not ids:
        return 0
    stamp = lock(session)
    organisation = current_app.config["ORGANISATION"]
    changed = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        public = {a.id: a for a in session.scalars(
            select(Asset).join(Gallery, Asset.gallery_id == Gallery.id)
            .where(Asset.id.in_(chunk), policy.harvestable_clause())
            .options(contains_eager(Asset.gallery))).unique()}
        rows = {r.asset_id: r for r in session.scalars(
            select(OaiRecord).where(OaiRecord.asset_id.in_(chunk)))}
        for asset_id in chunk:
            asset, row = public.get(asset_id), rows.get(asset_id)
            if asset is not None:
                fields = record_fields(asset, organisation)
                mark = fingerprint(fields)
                sets = {"category": fields["category_slug"], "country": fields["country_slug"],
                        "gallery_id": asset.gallery_id}
                if row is None:
                    session.add(OaiRecord(asset_id=asset_id, datestamp=stamp, deleted=False,
                                          fingerprint=mark, **sets))
                elif row.deleted or row.fingerprint != mark:
                    row.datestamp, row.deleted, row.fingerprint = stamp, False, mark
                    row.category, row.country, row.gallery_id = (
                        sets["category"], sets["country"], sets["gallery_id"])
                else:
                    continue
                changed += 1
            elif row is not None and not row.deleted:
                # Gone from public view or purged: a tombstone in the sets it was harvested from.
                row.datestamp, row.deleted, row.fingerprint = stamp, True, ""
                changed += 1
    return changed


def rebuild(session: Session) -> int:
    """Bring every record up to date (an upgraded catalogue, a changed consent setting); commits per batch."""
    changed, last = 0, 0
    while True:
        chunk = list(session.scalars(select(Asset.id).where(Asset.id > last)
                                     .order_by(Asset.id).limit(BATCH)))
        if not chunk:
            break
        changed += refresh(session, chunk)
        session.commit()
        last = chunk[-1]
    # Records whose asset was purged while no transaction noted it (before this table existed).
    orphans = list(session.scalars(select(OaiRecord.asset_id).where(
        OaiRecord.deleted.is_(False), ~select(Asset.id).where(
            Asset.id == OaiRecord.asset_id).exists())))
    changed += refresh(session, orphans)
    _state(session).built = True
    session.commit()
    return changed


def harvest_point(session: Session) -> dt.datetime:
    """Before a harvest reads: records complete, writers in flight finished; the responseDate."""
    state = _state(session)
    if not state.built:
        rebuild(session)
    stamp = lock(session)
    session.commit()
    return stamp


def _state(session: Session) -> OaiState:
    state = session.get(OaiState, STATE_ID)
    if state is None:  # an emptied table (tests reset every table): made again, not built
        try:
            session.execute(insert(OaiState).values(id=STATE_ID, built=False, touched_at=utcnow()))
            session.commit()
        except IntegrityError:  # another request made it a moment ago
            session.rollback()
        state = session.get(OaiState, STATE_ID)
    return state


def record_fields(asset: Asset, organisation: str) -> dict[str, Any]:
    """What an asset's harvested record says, as plain values (no URLs: they depend on the host)."""
    gallery = asset.gallery
    country = asset.country or gallery.country
    rights = rights_of(asset)
    credit = asset.credit or gallery.credit or organisation
    when = asset.date_taken or gallery.date
    return {
        "title": asset.display_title, "description": asset.caption, "alt_text": asset.alt_text,
        "creator": asset.creator, "credit": credit,
        "copyright": asset.copyright or credit_line(asset, organisation).split(" / ")[0],
        "licence": rights.licence, "licence_name": rights.licence_name,
        "usage_terms": rights.usage_terms, "restrictions": rights.restrictions,
        "date": when.isoformat() if when else "", "keywords": list(asset.keywords or []),
        "category": gallery.category.name, "category_slug": gallery.category.slug,
        "city": asset.city, "country_code": country.alpha3 if country else "",
        "country_name": country.name if country else "",
        "country_slug": country.slug if country else None,
        "media_type": asset.media_type, "dc_type": DC_TYPES.get(asset.media_type, "Image"),
        "mime_type": asset.mime_type, "width": asset.width, "height": asset.height,
        "duration": asset.duration, "gallery_id": gallery.id, "gallery_title": gallery.title,
    }


def fingerprint(fields: dict[str, Any]) -> str:
    """SHA-256 of the record's fields: the datestamp moves only when this does."""
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()
