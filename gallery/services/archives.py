"""Zip archives unpacked server-side into a stream of ingest items, refusing hostile archives."""
from __future__ import annotations

import io
import re
import stat
import zipfile
import zlib
from typing import Any, BinaryIO, Iterator

from flask import current_app

from gallery.exceptions import GalleryError, TooLarge, UnsupportedMedia
from gallery.formats import probe
from gallery.i18n.service_messages import N_, term
from gallery.services.ingest import IngestItem
from gallery.text import clean_filename, clean_label, human_bytes

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
HEAD = 4096  # bytes peeked at to know an entry's kind (what probe.probe reads too)
JUNK_FILES = {".ds_store", "thumbs.db", "desktop.ini", "icon\r"}
JUNK_DIRS = {"__macosx"}
_DRIVE = re.compile(r"^[A-Za-z]:")


def expand(filename: str, stream: BinaryIO, fields: dict[str, Any] | None = None,
           label: str | None = None) -> Iterator[IngestItem]:
    """One upload as ingest items: the file itself, or each entry when it is a zip archive."""
    label = label or clean_filename(filename)
    if is_zip(filename, stream):
        yield from iter_zip(stream, label, fields or {})
    else:
        yield IngestItem(filename, stream, dict(fields or {}), label)


def is_zip(filename: str, stream: BinaryIO) -> bool:
    """A .zip name and zip bytes (both: an office document is a zip too, and is refused as such)."""
    if not filename.lower().endswith(".zip") or not stream.seekable():
        return False
    pos = stream.tell()
    head = stream.read(4)
    stream.seek(pos)
    return head in ZIP_MAGIC


def is_junk(path: str) -> bool:
    """Files that operating systems leave in folders and archives (.DS_Store, __MACOSX/, Thumbs.db)."""
    parts = [p for p in path.replace("\\", "/").split("/") if p]
    if not parts:
        return True
    name = parts[-1].lower()
    return (name in JUNK_FILES or name.startswith("._")
            or any(p.lower() in JUNK_DIRS for p in parts[:-1]))


def iter_zip(stream: BinaryIO, label: str, fields: dict[str, Any]) -> Iterator[IngestItem]:
    """The files of an archive as ingest items; a hostile archive is one refused item naming the entry."""
    cfg = current_app.config
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        yield IngestItem(label, label=label, error=UnsupportedMedia("not a readable zip archive."))
        return
    with archive:
        infos = archive.infolist()
        problem = check_archive(infos, cfg["MAX_ZIP_ENTRIES"], cfg["MAX_ZIP_BYTES"])
        if problem is not None:
            yield IngestItem(label, label=label, error=problem)
            return
        budget = Budget(cfg["MAX_ZIP_BYTES"])
        for info in infos:
            if info.is_dir() or is_junk(info.filename):
                continue
            entry_label = f"{label}/{clean_label(info.filename)}"
            if info.filename.lower().endswith(".zip"):
                yield IngestItem(info.filename, label=entry_label, error=UnsupportedMedia(
                    "zip archives inside zip archives are not accepted."))
                continue
            try:
                raw = archive.open(info)
            except (NotImplementedError, RuntimeError, zipfile.BadZipFile, OSError) as exc:
                yield IngestItem(info.filename, label=entry_label,
                                 error=UnsupportedMedia(N_("this entry cannot be unpacked (%(error)s).",
                                                          error=str(exc))))
                continue
            with raw:
                entry = EntryStream(raw, budget)
                try:
                    entry.limit_to(entry_limit(entry.head(HEAD), info, entry_label, cfg))
                except GalleryError as exc:
                    yield IngestItem(info.filename, label=entry_label, error=exc)
                else:
                    yield IngestItem(info.filename, entry, dict(fields), entry_label)
            if budget.exceeded:
                yield IngestItem(label, label=label, error=TooLarge(
                    N_("stopped after %(name)s: the archive unpacks to more than %(limit)s; the remaining "
                       "entries were not read.", name=clean_label(info.filename), limit=human_bytes(budget.limit))))
                return


def entry_limit(head: bytes, info: zipfile.ZipInfo, label: str, cfg: Any) -> int:
    """The byte limit of one entry, by the kind its first bytes start; refuses it before any write.

    A small archive can unpack to gigabytes: knowing the kind first, an entry that is no accepted
    media, or says it is bigger than its kind's limit, is refused without a byte on disk, and the
    others stop being read once past their limit (EntryStream).
    """
    if head[:4] in ZIP_MAGIC:
        raise UnsupportedMedia("zip archives inside zip archives are not accepted.")
    media_type = probe.KINDS[probe.sniff(head, label)][0]
    key = "MAX_IMAGE_BYTES" if media_type == "image" else "MAX_VIDEO_BYTES"
    limit = cfg[key]
    if info.file_size > limit:
        raise TooLarge(N_("%(label)s: unpacks to %(size)s; %(kind)s files may be at most %(limit)s.",
                          label=label, size=human_bytes(info.file_size), kind=term(media_type),
                          limit=human_bytes(limit)))
    return limit


def check_archive(infos: list[zipfile.ZipInfo], max_entries: int, max_bytes: int) -> GalleryError | None:
    """The first reason to refuse a whole archive from its directory, naming the entry, or None."""
    if len(infos) > max_entries:
        return TooLarge(N_("the archive has %(count)s entries; at most %(limit)s are accepted.",
                           count=len(infos), limit=max_entries))
    for info in infos:
        name = clean_label(info.filename)
        path = info.filename.replace("\\", "/")
        if path.startswith("/") or _DRIVE.match(path) or ".." in path.split("/"):
            return UnsupportedMedia(N_("entry '%(name)s' points outside the archive's folder.", name=name))
        if stat.S_ISLNK(info.external_attr >> 16):
            return UnsupportedMedia(N_("entry '%(name)s' is a symbolic link; links are not accepted.", name=name))
        if info.flag_bits & 0x1:
            return UnsupportedMedia(N_("entry '%(name)s' is encrypted; encrypted archives are not accepted.",
                                      name=name))
    declared = declared_size(infos)
    if declared > max_bytes:
        return TooLarge(N_("the archive unpacks to %(size)s, over the limit of %(limit)s.",
                           size=human_bytes(declared), limit=human_bytes(max_bytes)))
    return None


def declared_size(infos: list[zipfile.ZipInfo]) -> int:
    """Total uncompressed size the archive's directory claims (a first check only: headers can lie)."""
    return sum(info.file_size for info in infos)


class Budget:
    """Bytes actually unpacked from one archive, against its limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.exceeded = False

    def spend(self, n: int) -> None:
        """Count n more unpacked bytes; over the limit raises TooLarge."""
        self.used += n
        if self.used > self.limit:
            self.exceeded = True
            raise TooLarge(N_("the archive unpacks to more than %(limit)s.", limit=human_bytes(self.limit)))


class EntryStream(io.RawIOBase):
    """An archive entry read for ingest: counted against the budget, damage reported as refusal."""

    def __init__(self, raw: BinaryIO, budget: Budget) -> None:
        super().__init__()
        self._raw = raw
        self._budget = budget
        self._prefix = b""
        self._limit: int | None = None
        self._read_total = 0

    def limit_to(self, limit: int) -> None:
        """Refuse (TooLarge) as soon as more than limit bytes of this entry have been read."""
        self._limit = limit

    def readable(self) -> bool:
        return True

    def head(self, n: int) -> bytes:
        """Peek at the first n bytes without consuming them."""
        if len(self._prefix) < n:
            self._prefix += self._read(n - len(self._prefix))
        return self._prefix[:n]

    def read(self, size: int = -1) -> bytes:
        if self._prefix:
            data, self._prefix = self._prefix, b""
            return data
        return self._read(size)

    def _read(self, size: int) -> bytes:
        try:
            data = self._raw.read(size)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise UnsupportedMedia(N_("this archive entry is damaged (%(error)s).", error=str(exc))) from exc
        self._budget.spend(len(data))
        self._read_total += len(data)
        if self._limit is not None and self._read_total > self._limit:
            # Raised before these bytes are handed on: what was written stays within the limit.
            raise TooLarge(N_("unpacks to more than %(limit)s, over the limit for its kind of file.",
                              limit=human_bytes(self._limit)))
        return data
