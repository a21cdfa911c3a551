"""Gallery zips: planned in the request, then streamed as they are built with flat memory."""
from __future__ import annotations

import csv
import io
import logging
import zipfile
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from gallery import policy
from gallery.extensions import db
from gallery.models import Asset, Gallery
from gallery.services.downloads import FileSource, label, source
from gallery.services.errors import GalleryError, NotFound, ValidationError

FLUSH_AT = 1024 * 1024  # hand bytes to the server once this much is waiting
ZIP64_FROM = 1 << 31  # entries that may pass 2 GiB get zip64 headers up front
CSV_COLUMNS = ("file name", "title", "caption", "credit", "creator", "date", "country")
log = logging.getLogger(__name__)


class TooManyFiles(GalleryError):
    """The zip would hold more files than MAX_ZIP_DOWNLOAD_FILES."""

    status = 413


@dataclass
class ZipPlan:
    """What goes in a zip: file sources in gallery order and the captions.csv rows."""

    gallery: Gallery
    size: str
    files: list[FileSource]
    assets: list[Asset]
    skipped: int
    name: str

    def stream(self) -> Iterator[bytes]:
        """The zip's bytes, produced as each file is read (needs no app context)."""
        return stream_zip(self.files, captions_csv(self.rows))

    @property
    def rows(self) -> list[list[str]]:
        return [_caption_row(f.filename, a) for f, a in zip(self.files, self.assets)]


def plan(user: Any, gallery: Gallery, size: str, asset_ids: Iterable[int] | None,
         organisation: str, max_files: int) -> ZipPlan:
    """Pick the assets this user may download at this size; raise a clear error when none or too many."""
    if size not in policy.DOWNLOAD_SIZES:
        raise ValidationError("Choose Small, Large or Original.", field="size")
    query = (select(Asset).where(Asset.gallery_id == gallery.id).order_by(Asset.position, Asset.id)
             .options(selectinload(Asset.renditions)))
    wanted = None
    if asset_ids is not None:
        wanted = {int(i) for i in asset_ids}
        if not wanted:
            raise ValidationError("Tick at least one item to download.", field="asset")
        query = query.where(Asset.id.in_(wanted))
    candidates = [a for a in db.session.scalars(query) if policy.can_view_asset(user, a)]
    if wanted is not None and len(candidates) != len(wanted):
        raise NotFound("Some of the ticked items are not in this gallery.")
    if len(candidates) > max_files:
        raise TooManyFiles(
            f"This download would hold {len(candidates)} files; the limit is {max_files} per zip. "
            f"Tick up to {max_files} items on the gallery page and download those.", field="asset")
    files, assets, skipped = [], [], 0
    for asset in candidates:
        if not policy.can_download(user, asset, size):
            skipped += 1
            continue
        try:
            files.append(source(asset, size, organisation, lazy=True))
        except NotFound:
            skipped += 1  # no such size for this item (a video has no Large), or its file is gone
            continue
        assets.append(asset)
    if not files:
        raise NotFound(f"Nothing in this selection can be downloaded at {label(size)} size.")
    name = f"{gallery.slug}-{gallery.id}-{files[0].filename.rsplit('-', 1)[-1].split('.')[0]}.zip"
    return ZipPlan(gallery, size, files, assets, skipped, name)


def captions_csv(rows: list[list[str]]) -> bytes:
    """captions.csv in UTF-8 with a byte-order mark, so spreadsheet programs read accents right."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")


class _Sink:
    """A write-only, unseekable file for zipfile: bytes wait here until the generator takes them."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self.pending = 0
        self.position = 0

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        self.pending += len(data)
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        self.pending = 0
        return data


def stream_zip(files: list[FileSource], captions: bytes) -> Iterator[bytes]:
    """Write a zip into a sink and yield its bytes as they come: no temp file, memory bounded.

    JPEGs are stored (deflating them saves nothing and costs CPU); zipfile writes data
    descriptors after each entry because the sink cannot seek back.
    """
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for f in files:
            try:
                chunks = f.chunks()
                first = next(chunks, b"")
            except (OSError, ValueError, GalleryError) as exc:
                # A file that went missing or cannot be made: the zip goes on without it.
                log.warning("zip: skipped asset %s (%s): %s", f.asset_id, f.size, exc)
                continue
            info = zipfile.ZipInfo(f.filename, date_time=_now())
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            with zf.open(info, "w", force_zip64=f.bytes >= ZIP64_FROM) as dest:
                dest.write(first)
                for chunk in chunks:
                    dest.write(chunk)
                    if sink.pending >= FLUSH_AT:
                        yield sink.take()
            if sink.pending >= FLUSH_AT:
                yield sink.take()
        zf.writestr(zipfile.ZipInfo("captions.csv", date_time=_now()), captions,
                    compress_type=zipfile.ZIP_DEFLATED)
    yield sink.take()


def _caption_row(filename: str, asset: Asset) -> list[str]:
    country = asset.country or asset.gallery.country
    when = asset.date_taken or asset.gallery.date
    return [filename, asset.title, asset.caption, asset.credit or asset.gallery.credit,
            asset.creator, when.isoformat() if when else "", country.name if country else ""]


def _now() -> tuple[int, int, int, int, int, int]:
    import time

    return time.localtime()[:6]
