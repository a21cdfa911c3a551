"""Gallery zips: planned in the request, then streamed as they are built with flat memory."""
from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import time
import zlib
from dataclasses import dataclass
from typing import Any, BinaryIO, Callable, Iterable, Iterator, Self

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from gallery import csvsafe, policy
from gallery.exceptions import GalleryError, NotFound, StorageError, ValidationError
from gallery.extensions import db
from gallery.formats.credits import build_xmp
from gallery.formats.zipstream import ZipStream
from gallery.i18n.locale import DEFAULT
from gallery.i18n.service_messages import N_, term
from gallery.models import Asset, Gallery
from gallery.services import rights, served, storage, translations
from gallery.services.credits import copyright_notice
from gallery.services.downloads import SIZE_EDGES_LABEL, FileSource, label, source

CHUNK = 1024 * 1024
CSV_COLUMNS = ("file name", "title", "caption", "credit", "creator", "date", "country", "licence",
               "usage terms", "restrictions", "copyright", "keywords", "city")
log = logging.getLogger(__name__)


class TooManyFiles(GalleryError):
    """The zip would hold more files than MAX_ZIP_DOWNLOAD_FILES."""

    status = 413


@dataclass
class ZipPlan:
    """What goes in a zip: file sources in order and the captions.csv rows."""

    size: str
    files: list[FileSource]
    assets: list[Asset]
    skipped: int
    name: str
    changed_at: dt.datetime  # the last change of what holds the items (a gallery, a lightbox)
    language: str = DEFAULT  # captions.csv's titles and captions: this language's where translated

    @property
    def when(self) -> tuple[int, int, int, int, int, int]:
        """The entries' date: the last change (UTC) of the holder or of an item in the zip.

        Not the time of the request: the same gallery gives the same bytes from every app server
        and at any time (a resumed or repeated download, a cache), and a change gives new ones.
        """
        return max([self.changed_at, *(a.updated_at for a in self.assets)]).timetuple()[:6]

    def stream(self) -> Iterator[bytes]:
        """The zip's bytes, produced as each file is read (needs no app context)."""
        rows = dict(zip((f.asset_id for f in self.files), self.rows))
        # captions.csv goes last and lists only the files that made it into the zip.
        return stream_zip(self.files, lambda sent: captions_csv([rows[i] for i in sent]), self.when)

    @property
    def rows(self) -> list[list[str]]:
        return [_caption_row(f.filename, a, self.language) for f, a in zip(self.files, self.assets)]


def check_size(size: str) -> None:
    """A ValidationError naming the sizes when size is not a download size."""
    if size not in policy.DOWNLOAD_SIZES:
        names = ", ".join(SIZE_EDGES_LABEL[s] for s in policy.DOWNLOAD_SIZES)
        raise ValidationError(N_("Choose one of these sizes: %(sizes)s.", sizes=names), field="size")


def plan(user: Any, gallery: Gallery, size: str, asset_ids: Iterable[int] | None,
         organisation: str, max_files: int, part: int | None = None,
         language: str = DEFAULT) -> ZipPlan:
    """Pick the assets this user may download at this size; raise a clear error when none or too many.

    A whole gallery over max_files comes in numbered parts of max_files items (part 1, 2, ...).
    captions.csv gives titles and captions in language where they are translated.
    """
    check_size(size)
    user = policy.unproxied(user)
    # Never the trash (staff included), nor consent-withheld items for the public.
    query = (select(Asset).where(Asset.gallery_id == gallery.id, policy.visible_asset_clause(user))
             .order_by(Asset.position, Asset.id))
    if size != "original":
        query = query.options(selectinload(Asset.renditions))  # originals never look at them
    wanted = None
    if asset_ids is not None:
        wanted = {int(i) for i in asset_ids}
        if not wanted:
            raise ValidationError("Tick at least one item to download.", field="asset")
        query = query.where(Asset.id.in_(wanted))
    candidates = [a for a in db.session.scalars(query) if policy.can_view_asset(user, a)]
    if wanted is not None and len(candidates) != len(wanted):
        raise NotFound("Some of the ticked items are not in this gallery.")
    if wanted is None:
        candidates, suffix = whole_part(candidates, max_files, part, "gallery")
    else:
        suffix = ""
        if len(candidates) > max_files:
            raise TooManyFiles(
                f"This download would hold {len(candidates)} files; the limit is {max_files} per "
                f"zip. Tick up to {max_files} items on the gallery page and download those.",
                field="asset")
    verdicts = policy.download_access(user, candidates, size)
    return build(candidates, verdicts, size, organisation, f"{gallery.slug}-{gallery.id}",
                 gallery.updated_at, suffix, language=language)


def whole_part(candidates: list[Asset], max_files: int, part: int | None,
               what: str) -> tuple[list[Asset], str]:
    """The items of one part of a whole gallery or lightbox, and the name suffix of that part."""
    parts = parts_needed(len(candidates), max_files)
    if parts == 1 and part is None:
        return candidates, ""
    if part is None or not 1 <= part <= parts:
        raise TooManyFiles(
            f"The whole {what} holds {len(candidates)} files, more than {max_files} per zip: "
            f"download it in {parts} parts (part=1 to {parts}).", field="part")
    return candidates[(part - 1) * max_files:part * max_files], f"-part{part}-of-{parts}"


def build(candidates: list[Asset], verdicts: list[policy.Access], size: str, organisation: str,
          stem: str, changed_at: dt.datetime, suffix: str = "", *, language: str = DEFAULT) -> ZipPlan:
    """The plan of a zip of the candidates the policy's verdicts allow; NotFound when none.

    Every zip (a gallery, a lightbox, a press kit) is made here: only the choice of items and
    whose rules judge them differ.
    """
    files, assets, skipped = [], [], 0
    for asset, verdict in zip(candidates, verdicts):
        if verdict is not policy.Access.OK:
            skipped += 1
            continue
        try:
            files.append(source(asset, size, organisation, lazy=True))
        except NotFound:
            skipped += 1  # no such size for this item (a video has no Large), or its file is gone
            continue
        assets.append(asset)
    if not files:
        raise NotFound(N_("Nothing in this selection can be downloaded at %(size)s size.", size=term(label(size))))
    name = f"{stem}-{files[0].filename.rsplit('-', 1)[-1].split('.')[0]}{suffix}.zip"
    return ZipPlan(size, files, assets, skipped, name, changed_at, language)


def parts_needed(count: int, max_files: int) -> int:
    """How many zips a whole gallery of count items takes."""
    return max(1, -(-count // max_files))


def whole_gallery_parts(count: int, max_files: int) -> list[tuple[int, int, int]]:
    """(part, first item, last item) of each zip of a whole gallery, for the download links."""
    return [(n, (n - 1) * max_files + 1, min(n * max_files, count))
            for n in range(1, parts_needed(count, max_files) + 1)]


def captions_csv(rows: list[list[str]]) -> bytes:
    """captions.csv in UTF-8 with a byte-order mark, so spreadsheet programs read accents right.

    Captions are user input: a cell that starts like a formula is escaped (csvsafe), since this
    file is made to be opened in a spreadsheet.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csvsafe.row(r) for r in rows)
    return buf.getvalue().encode("utf-8-sig")


def stream_zip(files: list[FileSource], captions: bytes | Callable[[list[int]], bytes],
               when: tuple[int, ...] | None = None) -> Iterator[bytes]:
    """A zip's bytes as each file is read: no temp file, memory bounded by one chunk.

    Entries are stored (JPEGs and videos do not deflate). A served original's size and CRC-32 are
    in the database, so its header goes out first and its bytes are copied as read; a rendition is
    small and whole in memory, so its CRC is computed there. An original whose type cannot carry
    credits is followed by a sidecar `<name>.xmp` saying them. captions: the captions.csv bytes, or
    a function of the asset ids whose files went in that makes them. when: the entries' date
    (year, month, day, hour, minute, second), the current local time if not given.
    """
    out = ZipStream()
    when = when or _now()
    sent_ids: list[int] = []
    for f in files:
        try:
            size, crc, chunks, src = _entry(f)
        except (OSError, ValueError, GalleryError) as exc:
            # A file that went missing or cannot be made: the zip goes on without it.
            log.warning("zip: skipped asset %s (%s): %s", f.asset_id, f.size, exc)
            continue
        # Closed even when the client goes away between the header and the bytes (the reader
        # has not started then, so its own cleanup would never run).
        with chunks:
            yield out.header(f.filename, size, crc, when)
            sent = 0
            for chunk in chunks:
                sent += len(chunk)
                yield chunk
        if sent != size:
            # The header promised other bytes: better a broken download than a wrong file in it.
            raise StorageError(f"asset {f.asset_id}: the served file changed while it was zipped")
        if src.kind == "original" and not served.carries_credits(src.key):
            stem = f.filename.rsplit(".", 1)[0]
            yield out.member(f"{stem}.xmp", build_xmp(f.credits), when, deflate=True)
        sent_ids.append(f.asset_id)
    if callable(captions):
        captions = captions(sent_ids)
    yield out.member("captions.csv", captions, when, deflate=True)
    yield out.finish()


def _entry(f: FileSource) -> tuple[int, int, _Chunks, FileSource]:
    """(size, CRC-32, chunks, the source resolved) of one zip entry, with its file opened or made now."""
    src = f.resolved()
    if src.kind == "rendition":
        data = b"".join(src.chunks())
        return len(data), zlib.crc32(data), _Chunks(io.BytesIO(data)), src
    try:
        fh = src.open()  # local: the unbuffered file; S3: the object's body as it arrives
    except FileNotFoundError:
        if src.remake is None:
            raise
        src = src.remake()  # its record outlived the file: made again (or NotFound, skipped)
        fh = src.open()
    try:
        # A served original's size and CRC come from its record; without one, a first pass reads them.
        size, crc = (src.bytes, src.crc32) if src.crc32 is not None else _checksum(src)
        if fh.size != size:
            raise ValueError("the served file's size differs from its record")
    except BaseException:
        fh.close()
        raise
    return size, crc, _Chunks(fh), src


def _checksum(src: FileSource) -> tuple[int, int]:
    """(size, CRC-32) of a source's file, read once in chunks."""
    size = crc = 0
    with src.open() as fh:
        while chunk := fh.read(CHUNK):
            size, crc = size + len(chunk), zlib.crc32(chunk, crc)
    return size, crc


class _Chunks:
    """A file's bytes in 1 MiB reads, as a context manager that closes the file, read or not."""

    def __init__(self, fh: BinaryIO | storage.Reader) -> None:
        self.fh = fh  # originals: unbuffered, so each read lands straight in its own bytes

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> bytes:
        chunk = self.fh.read(CHUNK)
        if not chunk:
            raise StopIteration
        return chunk

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.fh.close()


def _caption_row(filename: str, asset: Asset, language: str = DEFAULT) -> list[str]:
    country = asset.country or asset.gallery.country
    when = asset.date_taken or asset.gallery.date
    terms = rights.of(asset)
    title = translations.text_for(asset, "title", language)[0]
    caption = translations.text_for(asset, "caption", language)[0]
    return [filename, title, caption, asset.credit or asset.gallery.credit,
            asset.creator, when.isoformat() if when else "", country.name if country else "",
            " ".join(p for p in (terms.licence_name, terms.licence_url) if p), terms.usage_terms,
            terms.restrictions, copyright_notice(asset, current_app.config["ORGANISATION"]),
            "; ".join(asset.keywords or []), asset.city]


def _now() -> tuple[int, int, int, int, int, int]:
    return time.localtime()[:6]
