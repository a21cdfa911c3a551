"""Assets: every change to one (edit, move, order, replace the file, bulk changes, the caption grid) and lookups."""
from __future__ import annotations

import os
from typing import Any, BinaryIO, Mapping

from flask import current_app
from sqlalchemy import func, select

from gallery.exceptions import DuplicateAsset, NotFound, ValidationError
from gallery.extensions import db
from gallery.i18n.service_messages import N_
from gallery.models import CONSENT_STATUSES, STATUSES, Asset, Gallery, Rendition, User
from gallery.services import activity, fields, ingest, search, storage, translations, unit, work
from gallery.services.counts import refresh_counts
from gallery.services.galleries import gallery_assets, load_gallery, reorder
from gallery.services.permissions import require_staff
from gallery.text import clean_filename

ASSET_FIELDS = ("title", "caption", "alt_text", "credit", "creator", "copyright", "keywords",
                "city", "country", "date_taken", "consent", "sensitive", "status", "embargo_until",
                "rights_expire_on", "licence", "usage_terms", "restrictions", "translations")
BULK_FIELDS = ("credit", "keywords", "keywords_mode", "country", "status", "embargo_until",
               "rights_expire_on", "licence", "usage_terms", "restrictions")
# Changes to these fields change what the public sees, so the gallery counts follow.
PUBLIC_FIELDS = {"status", "consent", "embargo_until", "rights_expire_on"}
CAPTION_FIELDS = ("title", "caption", "credit", "keywords", "alt_text")


@unit.use_case
def update_asset(asset_id: int, values: Mapping[str, Any], user: User) -> Asset:
    """Change an asset's descriptive fields, consent, sensitivity or status; reindex and log."""
    require_staff(user)
    _reject_unknown(values, ASSET_FIELDS)
    asset = load_asset(asset_id)
    changes = activity.apply_changes(asset, _parse_asset(values, asset))
    if not changes:
        return asset
    search.queue_assets([asset.id])
    if "rights_expire_on" in changes:
        asset.withdrawn_at = None  # new rights; the schedule withdraws it again if they ended too
    if PUBLIC_FIELDS & changes.keys():
        refresh_counts([asset.gallery_id])
    recredit = work.recredit([asset]) if work.CREDIT_FIELDS & changes.keys() else []
    activity.record(user, "asset.update", gallery_id=asset.gallery_id, asset_id=asset.id,
                    changes=changes)
    unit.commit(look_at=recredit)
    return asset


@unit.use_case
def move_asset(asset_id: int, gallery_id: Any, user: User) -> Asset:
    """Move an asset to the end of another gallery; both galleries' counts follow."""
    require_staff(user)
    asset = load_asset(asset_id)
    target_id = fields.integer(gallery_id, "gallery_id", minimum=1)
    if target_id == asset.gallery_id:
        raise ValidationError("The asset is already in that gallery.", field="gallery_id")
    try:
        target = load_gallery(target_id)  # type: ignore[arg-type]
    except NotFound as exc:
        raise ValidationError("No such gallery to move to.", field="gallery_id") from exc
    source = asset.gallery
    if source.cover_asset_id == asset.id:
        source.cover_asset_id = None
    last = db.session.scalar(select(func.max(Asset.position)).where(Asset.gallery_id == target.id))
    asset.gallery_id = target.id
    asset.position = (last or 0) + 1
    db.session.flush()
    db.session.expire(asset, ["gallery"])
    search.queue_assets([asset.id])
    refresh_counts([source.id, target.id])
    details = {"from_gallery": source.id, "to_gallery": target.id}
    activity.record(user, "asset.move_out", gallery_id=source.id, asset_id=asset.id, **details)
    activity.record(user, "asset.move_in", gallery_id=target.id, asset_id=asset.id, **details)
    # The new gallery's credit line and date may be the ones its proxies should carry.
    unit.commit(look_at=work.recredit([asset]))
    return asset


@unit.use_case
def bulk_update(gallery_id: int, asset_ids: Any, values: Mapping[str, Any], user: User) -> int:
    """Set credit, keywords (add or replace), country or status on many assets; returns how many changed."""
    require_staff(user)
    gallery = load_gallery(gallery_id)
    return _bulk(asset_ids, values, user, Asset.gallery_id == gallery.id, N_("Some selected assets are not in this gallery."))


@unit.use_case
def bulk_update_assets(asset_ids: Any, values: Mapping[str, Any], user: User) -> int:
    """The same bulk change on assets from any galleries (a search result); returns how many changed."""
    require_staff(user)
    return _bulk(asset_ids, values, user, Asset.id.is_not(None), N_("Some selected assets no longer exist."))


def _bulk(asset_ids: Any, values: Mapping[str, Any], user: User, where: Any, missing: str) -> int:
    _reject_unknown(values, BULK_FIELDS)
    ids = fields.id_list(asset_ids, "asset_ids")
    if not ids:
        raise ValidationError("Select at least one asset.", field="asset_ids")
    assets = list(db.session.scalars(select(Asset).where(
        Asset.id.in_(ids), where, Asset.deleted_at.is_(None))))
    if len(assets) != len(ids):
        raise ValidationError(missing, field="asset_ids")
    parsed = _parse_bulk(values)
    if not parsed:
        raise ValidationError("Choose at least one field to set.", field="fields")
    mode = parsed.pop("keywords_mode", "add")
    changed = 0
    recredit = []
    for asset in sorted(assets, key=lambda a: a.id):
        new = dict(parsed)
        if "keywords" in new and mode == "add":
            new["keywords"] = fields.keywords(list(asset.keywords or []) + new["keywords"])
        changes = activity.apply_changes(asset, new)
        if "rights_expire_on" in changes:
            asset.withdrawn_at = None  # as in update_asset
        if changes:
            changed += 1
            activity.record(user, "asset.bulk_update", gallery_id=asset.gallery_id, asset_id=asset.id,
                            changes=changes)
            if work.CREDIT_FIELDS & changes.keys():
                recredit.append(asset)
    if changed:
        search.queue_assets([a.id for a in assets])
        refresh_counts(sorted({a.gallery_id for a in assets}))
    unit.commit(look_at=work.recredit(recredit))
    return changed


@unit.use_case
def replace_file(asset_id: int, stream: BinaryIO, filename: str, user: User) -> Asset:
    """Swap an asset's file for a new one, keeping its metadata; renditions are made again.

    thumb and preview are made now (the pages need them); the served copy and large go to the
    workers, queued after the commit. The old files are removed only after the commit, so a
    failure leaves the asset as it was.
    """
    require_staff(user)
    asset = load_asset(asset_id)
    name = clean_filename(filename)
    cfg = current_app.config
    tmp, sha, size, _crc = storage.spool(stream, limit=max(cfg["MAX_IMAGE_BYTES"], cfg["MAX_VIDEO_BYTES"]))
    written: list[str] = []
    old_keys = [asset.storage_key] + [r.storage_key for r in asset.renditions]
    old_keys += [asset.served_key] if asset.served_key else []
    try:
        if sha == asset.sha256:
            raise ValidationError("That is the same file as the current one.", field="file")
        existing = db.session.scalar(select(Asset.id).where(Asset.sha256 == sha))
        if existing is not None:
            raise DuplicateAsset(N_("%(name)s: already in the catalogue.", name=name), existing)
        # The ingest path's own checks and renditions, so a replacement meets the same rules.
        probed = ingest.examine(tmp, name, size)
        made = ingest.ingest_renditions(tmp, probed)  # from the spooled file, before it is stored
        key = storage.original_key(sha, probed.ext)
        storage.commit_file(tmp, key)
        written.append(key)
        current = {r.size: r for r in asset.renditions}
        for r in made:
            rkey = storage.rendition_key(sha, r.size)
            storage.save_bytes(r.data, rkey)
            written.append(rkey)
            row = current.pop(r.size, None)
            if row is None:
                asset.renditions.append(Rendition(size=r.size, width=r.width, height=r.height,
                                                  bytes=len(r.data), storage_key=rkey))
            else:
                row.width, row.height, row.bytes, row.storage_key = r.width, r.height, len(r.data), rkey
        for row in current.values():  # a size the new, smaller file no longer needs
            asset.renditions.remove(row)
        before = {"filename": asset.original_filename, "sha256": asset.sha256}
        asset.sha256, asset.storage_key, asset.bytes, asset.original_filename = sha, key, size, name
        asset.served_key, asset.served_bytes, asset.served_crc32 = None, None, None
        asset.media_type, asset.mime_type = probed.media_type, probed.mime_type
        asset.width, asset.height, asset.duration = probed.width, probed.height, probed.duration
        asset.codec, asset.camera = probed.codec, probed.camera
        work.mark(asset, work.needed(asset))
        search.queue_assets([asset.id])
        db.session.flush()
        # A video's new proxy is required before it is public again: it leaves the count now.
        refresh_counts([asset.gallery_id])
        activity.record(user, "asset.replace_file", gallery_id=asset.gallery_id, asset_id=asset.id,
                        old=before, new={"filename": name, "sha256": sha})
        db.session.flush()
    except BaseException:
        db.session.rollback()
        for key in written:
            storage.delete(key)
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    unit.commit(after=lambda: delete_unreferenced(old_keys), look_at=[asset.id])
    return asset


@unit.use_case
def retry_work(asset_id: int, piece: str, user: User) -> bool:
    """Staff's Retry on a failed piece: pending again with its attempts reset, then queued.

    False when the piece is not failed (already retried, or made meanwhile): nothing to do.
    """
    require_staff(user)
    asset = load_asset(asset_id, trashed=None)
    if not work.retry(asset.id, piece):
        return False
    activity.record(user, "asset.retry_work", gallery_id=asset.gallery_id, asset_id=asset.id,
                    new={"piece": piece})
    unit.commit(drain=False, look_at=[asset.id])
    return True


def move_in_order(asset_id: int, offset: int, user: User) -> list[int]:
    """Move one asset up (offset -1) or down (+1) in its gallery: the keyboard-friendly reorder."""
    require_staff(user)
    asset = load_asset(asset_id)
    ids = [a.id for a in gallery_assets(asset.gallery_id)]
    index = ids.index(asset.id)
    target = max(0, min(len(ids) - 1, index + offset))
    ids.insert(target, ids.pop(index))
    return reorder(asset.gallery_id, ids, user)


@unit.use_case
def update_captions(gallery: Gallery, updates: dict[int, dict[str, Any]],
                    user: User | None = None) -> list[Asset]:
    """Save the caption grid: new texts for many assets of a gallery, all in one transaction."""
    assets = {a.id: a for a in db.session.scalars(
        select(Asset).where(Asset.gallery_id == gallery.id, Asset.id.in_(list(updates))))}
    changed: list[Asset] = []
    recredit: list[Asset] = []
    for asset_id, values in updates.items():
        asset = assets.get(asset_id)
        if asset is None:
            raise NotFound(N_("Asset %(id)s is not in this gallery.", id=asset_id))
        new = _caption_values(values, asset_id)
        if values.get("translations"):
            new["translations"] = _caption_translations(asset, values["translations"], asset_id)
        differ = {k for k, v in new.items() if getattr(asset, k) != v}
        if differ:
            for key, value in new.items():
                setattr(asset, key, value)
            changed.append(asset)
            if work.CREDIT_FIELDS & differ:
                recredit.append(asset)
    if changed:
        search.queue_assets([a.id for a in changed])
        unit.commit(look_at=work.recredit(recredit))
    return changed


def load_asset(asset_id: int, *, trashed: bool | None = False) -> Asset:
    """An asset by id; trashed=False hides the trash, True wants it, None takes either."""
    asset = db.session.get(Asset, asset_id)
    if asset is None or (trashed is not None and (asset.deleted_at is not None) != trashed):
        raise NotFound(N_("No such asset.") if not trashed else N_("No such asset in the trash."))
    return asset


def delete_unreferenced(keys: list[str]) -> None:
    """Remove stored files that no asset or rendition row points at any more."""
    for key in set(keys):
        in_use = db.session.scalar(select(func.count()).select_from(Asset).where(
            (Asset.storage_key == key) | (Asset.served_key == key)))
        in_use = in_use or db.session.scalar(
            select(func.count()).select_from(Rendition).where(Rendition.storage_key == key))
        if not in_use:
            storage.delete(key)


def asset_choices_for_move(asset: Asset) -> list[Gallery]:
    """Galleries an asset can move to: every other gallery not in the trash."""
    return list(db.session.scalars(select(Gallery).where(
        Gallery.deleted_at.is_(None), Gallery.id != asset.gallery_id).order_by(Gallery.title)))


def _parse_asset(values: Mapping[str, Any], asset: Asset | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if asset is not None:
        originals, translated = translations.parse(
            values, translations.ASSET_FIELDS, translations.language_of(asset), asset.translations)
        if translated is not None:
            out["translations"] = translated
        values = {**values, **originals}
    for name in fields.ASSET_TEXT_LIMITS:
        if name in values and not isinstance(values[name], Mapping):
            out[name] = fields.asset_text(values[name], name)
    if "keywords" in values:
        out["keywords"] = fields.keywords(values["keywords"])
    if "country" in values:
        out["country_code"] = fields.country(values["country"])
    if "date_taken" in values:
        out["date_taken"] = fields.date(values["date_taken"], "date_taken")
    if "consent" in values:
        out["consent"] = fields.choice(values["consent"], CONSENT_STATUSES, "consent")
    if "sensitive" in values:
        out["sensitive"] = fields.boolean(values["sensitive"], "sensitive")
    if "status" in values:
        out["status"] = fields.choice(values["status"], STATUSES, "status")
    out.update(fields.schedule_fields(values))
    out.update(fields.rights_fields(values))
    return out


def _parse_bulk(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "credit" in values:
        out["credit"] = fields.asset_text(values["credit"], "credit")
    if "keywords" in values:
        out["keywords"] = fields.keywords(values["keywords"])
        out["keywords_mode"] = fields.choice(values.get("keywords_mode") or "add", ("add", "replace"),
                                             "keywords_mode")
    if "country" in values:
        out["country_code"] = fields.country(values["country"])
    if "status" in values:
        out["status"] = fields.choice(values["status"], STATUSES, "status")
    out.update(fields.schedule_fields(values))
    out.update(fields.rights_fields(values))
    return out


def _reject_unknown(values: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    for name in values:
        if name not in allowed:
            raise ValidationError(N_("Unknown field: %(name)s", name=name), field=name)


def _caption_translations(asset: Asset, given: Any, asset_id: int) -> dict[str, dict[str, str]]:
    """The grid's translation column ({"fr": {"caption": ...}}) checked and merged into the asset's."""
    if not isinstance(given, Mapping):
        raise ValidationError("Translations must be an object of languages.", field=f"{asset_id}-translations")
    updated = dict(asset.translations or {})
    for lang, texts in given.items():
        code = translations.check_language(lang, f"{asset_id}-translations")
        if code == translations.language_of(asset) or not isinstance(texts, Mapping):
            continue  # the original's column is the plain field
        checked = {}
        for key, text in texts.items():
            if key not in translations.ASSET_FIELDS:
                raise ValidationError(N_("Unknown field: %(name)s", name=key), field=f"{asset_id}-translations")
            checked[key] = fields.text(text, f"{asset_id}-{key}-{code}", translations.LIMITS[key],
                                       label=f"{key.replace('_', ' ').capitalize()} ({code})")
        for key, text in checked.items():
            updated = translations.with_translations(updated, key, {code: text})
    return updated


def _caption_values(values: dict[str, Any], asset_id: int) -> dict[str, Any]:
    """Validated caption-grid values, by the edit form's rules; empty text clears a field."""
    out: dict[str, Any] = {}
    for key in CAPTION_FIELDS:
        if key not in values:
            continue
        where = f"{asset_id}-{key}"
        if key == "keywords":
            out[key] = fields.keywords(values[key], field=where)
        else:
            out[key] = fields.asset_text(values[key], key, field=where)
    return out
