"""Download files: names, credits inside renditions, GPS-free originals, logging."""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from sqlalchemy import insert, select

from gallery import policy
from gallery.exceptions import NotFound, ValidationError
from gallery.extensions import db
from gallery.formats.credits import Credits, embed_credits
from gallery.formats.imaging import fit
from gallery.i18n.service_messages import N_, term
from gallery.models import Asset, DownloadEvent, Rendition, User, utcnow
from gallery.services import integrity, proxies, renditions, served, storage, unit

# Re-exported: the credits moved to their own module so the proxy maker (under services/work.py,
# which this module cannot be imported by: downloads -> unit -> jobs -> work) writes the same.
from gallery.services.credits import credits_for
from gallery.text import slugify

SIZE_NAMES = {"preview": "small", "large": "large", "original": "original"}
SIZE_EDGES_LABEL = {"preview": "Small", "large": "Large", "web": "Web (720p)", "hd": "HD (1080p)",
                    "audio": "AAC", "original": "Original"}
INTENDED_USES = ("Press", "Web", "Print", "TV", "Internal", "Other")
VIA = ("file", "zip", "api", "stream")  # stream: a sensitive item played in its asset page
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class FileSource:
    """Everything needed to produce one download's bytes, with no database or app context."""

    asset_id: int
    size: str
    filename: str
    mimetype: str
    key: str  # the stored file's key ("" until a lazy source is resolved)
    # "rendition" (credits spliced in), "original" (the served, location-free copy) or "proxy"
    # (a web proxy: credits written when it was made, sent as stored).
    kind: str
    credits: Credits
    bytes: int  # exact for originals; the stored rendition's size (before credits) otherwise
    # For a rendition or served original made on first use: makes it (needs the app context)
    # and returns the source.
    make: Callable[[], "FileSource"] | None = None
    crc32: int | None = None  # of the served original, recorded when it was made
    # The store its file is in: bytes are read with no app context (zips stream after the request).
    store: storage.Backend | None = None
    # A zip entry's recorded file, not looked for yet: what to do if opening it finds it gone.
    remake: Callable[[], "FileSource"] | None = None

    def resolved(self) -> "FileSource":
        """This source, with its file made first if it is made on first use."""
        return self.make() if self.make is not None else self

    def open(self) -> storage.Reader:
        """The stored file opened for reading in chunks (FileNotFoundError when it is gone)."""
        return (self.store or storage.backend()).open(self.key)

    def chunks(self) -> Iterator[bytes]:
        """The download's bytes, in chunks; the stored file is never changed."""
        src = self.resolved()
        if src.kind == "rendition":
            with src.open() as fh:
                yield embed_credits(fh.read(), src.credits)
            return
        with src.open() as fh:
            while chunk := fh.read(CHUNK):
                yield chunk


def label(size: str) -> str:
    """What users call a download size: Small, Large, Original."""
    return SIZE_EDGES_LABEL.get(size, size.capitalize())


def download_name(asset: Asset, size: str, ext: str) -> str:
    """gallery-slug-<asset id>-<size>.<ext>: never the uploader's file name."""
    return f"{slugify(asset.gallery.slug, 60)}-{asset.id}-{SIZE_NAMES.get(size, size)}.{ext}"


def rendition_for(asset: Asset, size: str) -> Rendition | None:
    """The stored rendition of this size, made now if it is made on first use (see renditions)."""
    found = asset.rendition(size)
    if found is None or not storage.exists(found.storage_key):
        integrity.require_original(asset)  # made from the original: without it, 404 (logged)
        found = renditions.ensure_rendition(asset, size)
    return found if found is not None and storage.exists(found.storage_key) else None


def available(asset: Asset, size: str, edge: int) -> dict[str, Any] | None:
    """Pixel and file size of a download size, for the asset page; None if it does not exist."""
    if size == "original":
        return {"width": asset.width, "height": asset.height, "bytes": asset.served_bytes or asset.bytes,
                "estimated": False}
    if size in policy.PROXY_SIZES:
        rend = asset.rendition(size)
        return None if rend is None else {"width": rend.width or None, "height": rend.height or None,
                                          "bytes": rend.bytes, "estimated": False}
    if asset.media_type != "image":
        return None
    rend = asset.rendition(size)
    small = asset.rendition("preview")
    if rend is None and size == "large" and small is not None:
        return _large_to_come(asset, small, edge)
    if rend is None:
        return None
    if size == "large" and small is not None and (small.width, small.height) == (rend.width, rend.height):
        return None  # a small original: "Large" would be the same picture as "Small"
    return {"width": rend.width, "height": rend.height, "bytes": rend.bytes, "estimated": False}


def _large_to_come(asset: Asset, small: Rendition, edge: int) -> dict[str, Any] | None:
    """Size of a Large made on first download: the original fitted to the edge, turned like the Small."""
    w, h = asset.width or 0, asset.height or 0
    if (small.width > small.height) != (w > h):
        w, h = h, w  # EXIF orientation turns the picture
    width, height = fit((w, h), edge) if w and h else (0, 0)
    if max(width, height) <= max(small.width, small.height):
        return None  # a small original: "Large" would be the same picture as "Small"
    # JPEG bytes grow roughly with the pixel count: an estimate, labelled as one.
    ratio = (width * height) / (small.width * small.height)
    return {"width": width, "height": height, "bytes": int(small.bytes * ratio), "estimated": True}


def source(asset: Asset, size: str, organisation: str, lazy: bool = False) -> FileSource:
    """Where a download's bytes come from; NotFound when that size does not exist.

    lazy: the file is looked for, or made, only when its bytes are first read (zips find or make
    them one by one as they stream, not all before the first byte).
    """
    if size not in policy.DOWNLOAD_SIZES:
        raise NotFound("There is no such download size.")
    credits = credits_for(asset, organisation)
    if size == "original":
        ext = os.path.splitext(asset.storage_key)[1].lstrip(".") or "bin"
        name = download_name(asset, size, ext)
        if lazy:
            # Nothing on disk is looked at before a zip's first byte: its file is found (or the
            # served copy made) when its entry comes.
            pending = FileSource(asset.id, size, name, asset.mime_type, "", "original", credits,
                                 asset.served_bytes or asset.bytes, crc32=asset.served_crc32,
                                 store=storage.backend())
            return dataclasses.replace(
                pending, make=lambda: _served_source(pending, asset, organisation))
        recorded = _recorded_served_key(asset)
        if recorded is None:
            integrity.require_original(asset)
            asset = served.ensure(asset)
            recorded = asset.served_key
        return FileSource(asset.id, size, name, asset.mime_type, recorded, "original", credits,
                          asset.served_bytes, crc32=asset.served_crc32, store=storage.backend())
    if size in policy.PROXY_SIZES:
        return _proxy_source(asset, size, credits)
    if lazy and asset.media_type == "image":
        # As for originals: the rendition is looked for, or made, when its entry comes.
        rend = asset.rendition(size)
        return FileSource(asset.id, size, download_name(asset, size, "jpg"), "image/jpeg", "",
                          "rendition", credits, rend.bytes if rend is not None else 0,
                          make=lambda: source(asset, size, organisation), store=storage.backend())
    rend = rendition_for(asset, size) if asset.media_type == "image" else None
    if rend is None:
        raise NotFound(N_("There is no %(size)s version of this %(kind)s.", size=term(label(size)),
                          kind=term(asset.media_type)))
    return FileSource(asset.id, size, download_name(asset, size, "jpg"), "image/jpeg",
                      rend.storage_key, "rendition", credits, rend.bytes, store=storage.backend())


def _proxy_source(asset: Asset, size: str, credits: Credits) -> FileSource:
    """A web proxy, as stored (made in the background: never on first download)."""
    rend = asset.rendition(size)
    if rend is None or not storage.exists(rend.storage_key):
        raise NotFound(N_("There is no %(size)s version of this %(kind)s.", size=term(label(size)),
                          kind=term(asset.media_type)))
    name = download_name(asset, size, proxies.SIZES[size][1])
    return FileSource(asset.id, size, name, proxies.mimetype(size), rend.storage_key,
                      "proxy", credits, rend.bytes, store=storage.backend())


def _served_source(pending: FileSource, asset: Asset, organisation: str) -> FileSource:
    """A zip entry's served original, found as recorded or else made (source() in full)."""
    # Names and credits were worked out in the plan: only the file is looked for here, per entry.
    if asset.served_key is None or asset.served_bytes is None or asset.served_crc32 is None:
        return source(asset, pending.size, organisation)
    # Not looked for before it is opened (a stat, or a HEAD request per entry on S3): opening
    # a file that is gone falls back to remake, which makes the served copy or says why not.
    return dataclasses.replace(pending, key=asset.served_key, bytes=asset.served_bytes,
                               crc32=asset.served_crc32, make=None,
                               remake=lambda: source(asset, pending.size, organisation))


def _recorded_served_key(asset: Asset) -> str | None:
    """The served original's key when it is recorded and its file is there, else None."""
    if asset.served_key is None or asset.served_bytes is None or asset.served_crc32 is None:
        return None
    return asset.served_key if storage.exists(asset.served_key) else None


def clean_intended_use(value: str | None) -> str:
    """One of INTENDED_USES, or '' when not given; anything else is an error."""
    value = (value or "").strip()
    if not value:
        return ""
    for use in INTENDED_USES:
        if use.lower() == value.lower():
            return use
    raise ValidationError(N_("Intended use must be one of %(uses)s.", uses=", ".join(INTENDED_USES)),
                          field="use")


def log(user: User | None, assets: Iterable[Asset], size: str, via: str, intended_use: str = "",
        link_id: int | None = None, acceptance_id: int | None = None) -> int:
    """Record one DownloadEvent per asset and commit; returns how many were written.

    user None with link_id: a press-kit recipient, who has no account; the link names the download
    and acceptance_id the recipient's acceptance of the terms (who they said they were).
    """
    if via not in VIA:
        raise ValueError(via)
    if user is None and link_id is None:
        raise ValueError("a download is logged against a user or a press-kit link")
    user_id, now = policy.unproxied(user).id if user is not None else None, utcnow()
    rows = [{"user_id": user_id, "asset_id": a.id, "gallery_id": a.gallery_id, "size": size,
             "via": via, "intended_use": intended_use, "link_id": link_id,
             "acceptance_id": acceptance_id, "created_at": now}
            for a in assets]
    if rows:
        # One executemany on the table, not an ORM object (and an INSERT ... RETURNING) per row:
        # a zip logs every file it holds before its first byte goes out.
        db.session.execute(insert(DownloadEvent.__table__), rows)
    unit.commit(drain=False)  # a download log holds no search document
    return len(rows)


def history(user: User, limit: int = 50) -> list[tuple[DownloadEvent, Asset | None]]:
    """A user's latest downloads with their assets (None when the asset was deleted)."""
    return list(db.session.execute(
        select(DownloadEvent, Asset).outerjoin(Asset, Asset.id == DownloadEvent.asset_id)
        .where(DownloadEvent.user_id == user.id)
        .order_by(DownloadEvent.created_at.desc(), DownloadEvent.id.desc()).limit(limit)).all())
