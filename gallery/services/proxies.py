"""Web proxies of videos and audio (gallery.formats.transcode), stored and recorded as Rendition rows.

The "proxy" piece of services/work.py (and the "credits" piece, recredit()): a 720p H.264/AAC MP4 ("web"), a 1080p one ("hd") when the
source has that many lines, or an AAC M4A ("audio"). Made from the served, location-free copy,
with the asset's credits written in; content-addressed keys beside the renditions; each file
renamed into place before its row commits, and removed again if the row cannot be written.
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
from collections.abc import Callable

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gallery.exceptions import GalleryError
from gallery.extensions import db
from gallery.formats import transcode
from gallery.formats.transcode import ProxyFacts
from gallery.i18n.service_messages import N_, term
from gallery.models import Asset, Rendition
from gallery.services import posters, served, storage
from gallery.services.credits import credits_for
from gallery.services.renditions import lock_for

# size -> (short edge, extension, MIME type); audio has no edge.
SIZES: dict[str, tuple[int | None, str, str]] = {
    "web": (720, "mp4", "video/mp4"), "hd": (1080, "mp4", "video/mp4"),
    "audio": (None, "m4a", "audio/mp4")}

Progress = Callable[[float], None]


def key(sha256: str, size: str) -> str:
    """Content-addressed key of a proxy, like a rendition's: re-made files overwrite."""
    return f"renditions/{sha256[:2]}/{sha256[2:4]}/{sha256}-{size}.{SIZES[size][1]}"


def mimetype(size: str) -> str:
    """The MIME type of a proxy size."""
    return SIZES[size][2]


def sizes_for(asset: Asset) -> list[str]:
    """The proxies an asset gets: web (and hd for a source of 1080 lines or more), or audio."""
    if asset.media_type == "audio":
        return ["audio"]
    if asset.media_type != "video":
        return []
    heights = transcode.proxy_heights(asset.width or 0, asset.height or 0)
    return [s for s in ("web", "hd") if SIZES[s][0] in heights]


def playable(asset: Asset) -> Rendition | None:
    """The proxy the player uses (web, or audio), if it is recorded and its file is there."""
    size = "audio" if asset.media_type == "audio" else "web"
    found = asset.rendition(size)
    return found if found is not None and storage.exists(found.storage_key) else None


def made(asset: Asset) -> bool:
    """Whether every proxy the asset gets is recorded (work.needed asks)."""
    return all(asset.rendition(s) is not None for s in sizes_for(asset))


def make(asset: Asset, progress: Progress | None = None) -> list[Rendition]:
    """Make, store and record the asset's missing proxies (commits); the proxy piece's maker.

    A video's missing sizes come from one pass (one decode feeding both encoders). Idempotent: a
    proxy recorded with its file there is kept. Two workers racing write the same key (an atomic
    rename) and the unique (asset, size) keeps one row. Raises UnsupportedMedia when the source
    cannot be decoded (the piece then records the reason). The first pass of a video also
    replaces its ingest thumb and preview with the pass's poster (posters.py).
    """
    wanted = sizes_for(asset)
    if not wanted:
        raise GalleryError(N_("A %(kind)s has no web proxy.", kind=term(asset.media_type)))
    if _missing(asset, wanted):
        with contextlib.ExitStack() as held:
            for size in wanted:  # in one order everywhere: two threads never each hold one and wait
                held.enter_context(lock_for(asset.id, size))
            db.session.refresh(asset)
            missing = _missing(asset, wanted)
            if missing:
                first = all(asset.rendition(s) is None for s in wanted)
                poster = _make(asset, missing, progress)
                if first and poster is not None:
                    db.session.refresh(asset)
                    posters.replace(asset, poster)
    db.session.refresh(asset)
    return [asset.rendition(s) for s in wanted]


def recredit(asset: Asset) -> list[str]:
    """Rewrite the credits of the asset's proxies where they differ from its fields (commits); the sizes rewritten.

    The "credits" piece's maker, after staff edit a caption, credit or the gallery's credit line:
    the atoms are rewritten in a copy renamed into place, no re-encode (milliseconds for a proxy).
    A proxy not made yet is skipped: its pass reads the credits again before it is recorded.
    """
    credits = credits_for(asset, current_app.config["ORGANISATION"])
    done = []
    for size in sizes_for(asset):
        with lock_for(asset.id, size):
            row = asset.rendition(size)
            if row is None or not storage.exists(row.storage_key):
                continue
            # A copy is rewritten and stored whole (a rename locally, one upload on S3).
            scratch = storage.scratch_file("." + SIZES[size][1])
            try:
                with storage.local_copy(row.storage_key) as src:
                    shutil.copyfile(src, scratch)
                if transcode.rewrite_credits(scratch, credits):
                    row.bytes = os.path.getsize(scratch)
                    storage.commit_file(scratch, row.storage_key)
                    done.append(size)
            finally:
                _unlink(scratch)
    db.session.commit()
    return done


def _missing(asset: Asset, sizes: list[str]) -> list[str]:
    found = {s: asset.rendition(s) for s in sizes}
    return [s for s, row in found.items() if row is None or not storage.exists(row.storage_key)]


def _make(asset: Asset, sizes: list[str], progress: Progress | None) -> bytes | None:
    """One pass for these sizes: files stored, then rows recorded; returns the pass's poster (video)."""
    # The served copy, never the stored original: nothing the location cleaner took out can ride
    # along (transcode copies no tags anyway; this is the belt to its braces).
    asset = served.ensure(asset)
    credits = credits_for(asset, current_app.config["ORGANISATION"])
    dests = {size: storage.scratch_file("." + SIZES[size][1]) for size in sizes}
    made: dict[str, ProxyFacts]
    try:
        with storage.local_copy(asset.served_key) as src:
            if sizes == ["audio"]:
                made = {"audio": transcode.audio_proxy(src, dests["audio"], credits=credits, progress=progress)}
            else:
                edges = {SIZES[size][0]: size for size in sizes}
                by_edge = transcode.video_proxies(src, {edge: dests[size] for edge, size in edges.items()},
                                                  credits=credits, progress=progress)
                made = {edges[edge]: facts for edge, facts in by_edge.items()}
        # Staff may have edited the caption or credit during a pass of minutes; a "credits" piece
        # that ran meanwhile found no proxy to rewrite, so the fields are read again here.
        db.session.refresh(asset)
        db.session.refresh(asset.gallery)
        now_credits = credits_for(asset, current_app.config["ORGANISATION"])
        for size in sizes:
            if transcode.rewrite_credits(dests[size], now_credits):
                made[size] = dataclasses.replace(made[size], bytes=os.path.getsize(dests[size]))
    except BaseException:
        for dest in dests.values():
            _unlink(dest)
        raise
    keys = {size: key(asset.sha256, size) for size in sizes}
    try:
        for size in sizes:
            storage.commit_file(dests[size], keys[size])  # whole or not at all: a rename, or one upload
    except BaseException:
        for dest in dests.values():
            _unlink(dest)
        raise
    for size in sizes:
        facts = made[size]
        row = asset.rendition(size)
        if row is None:
            db.session.add(Rendition(asset_id=asset.id, size=size, width=facts.width or 0,
                                     height=facts.height or 0, bytes=facts.bytes, storage_key=keys[size]))
        else:  # the row survived but its file was lost: the file is remade, the row corrected
            row.width, row.height, row.bytes, row.storage_key = (
                facts.width or 0, facts.height or 0, facts.bytes, keys[size])
    # Not unit.commit(): derived data under its own lock, like renditions.ensure_rendition; a
    # race is settled by the unique (asset, size), and no search document holds renditions.
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # the winner wrote the same bytes to the same keys: keep them
        return None
    except BaseException:
        db.session.rollback()
        for k in keys.values():
            if not _referenced(k):
                storage.delete(k)  # no file without its row
        raise
    return next((facts.poster for facts in made.values() if facts.poster is not None), None)


def _referenced(k: str) -> bool:
    return db.session.scalar(select(Rendition.id).where(Rendition.storage_key == k).limit(1)) is not None


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
