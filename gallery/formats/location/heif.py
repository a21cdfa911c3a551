"""Location out of HEIC/HEIF originals, in place: no offset moves, the image stays byte-identical.

HEIF keeps its metadata as items of the top-level `meta` box: `iinf` names each item's type (Exif,
or mime with an XMP content type) and `iloc` says where its bytes are (in the file, often in mdat,
or in `idat`). In the Exif item every IFD loses its GPS IFD and maker note (zeroed and unlinked)
and XMP location is blanked with
spaces, both the same length, so every iloc extent and the coded image stay where they were.
"""
from __future__ import annotations

import struct
from typing import BinaryIO, NamedTuple

from gallery.formats.location.common import (
    MAX_READ,
    MediaCleanError,
    MetadataError,
    blank_xmp_location,
)
from gallery.formats.location.media import boxes, mp4_edits
from gallery.formats.location.tiff import clean_tiff

XMP_TYPES = {"application/rdf+xml", "application/xmp+xml", "text/xml", "application/xml"}


class Item(NamedTuple):
    """An item of the meta box as iinf declares it."""

    kind: str  # the item type ("Exif", "mime", "hvc1", ...)
    content_type: str
    encoding: str
    protected: bool


class Extent(NamedTuple):
    """Where part of an item's bytes are in the file (absolute offset, length)."""

    offset: int
    length: int


def heif_edits(fh: BinaryIO) -> list[tuple[int, bytes]]:
    """(offset, bytes) patches removing every GPS value from a HEIF file, each the same length."""
    fh.seek(0, 2)
    size = fh.tell()
    edits: list[tuple[int, bytes]] = []
    for pos, header, box_size, kind in boxes(fh, 0, size, top=True):
        if kind == b"meta":
            edits += _meta_edits(fh, pos + header + 4, pos + box_size, size)
    # Image sequences carry a movie too: its udta/meta location boxes go as in an MP4.
    return edits + mp4_edits(fh)


def _meta_edits(fh: BinaryIO, body: int, end: int, file_size: int) -> list[tuple[int, bytes]]:
    children = {kind: (pos, header, size) for pos, header, size, kind in boxes(fh, body, end)}
    if b"iinf" not in children:
        return []
    items = _read_iinf(fh, *children[b"iinf"])
    metadata = {i: item for i, item in items.items() if _is_metadata(item)}
    if not metadata:
        return []
    if b"iloc" not in children:
        raise MediaCleanError("its metadata items have no locations (iloc)")
    idat = children.get(b"idat")
    idat_span = (idat[0] + idat[1], idat[0] + idat[2]) if idat else None
    places = _read_iloc(fh, *children[b"iloc"])
    edits: list[tuple[int, bytes]] = []
    for item_id, item in metadata.items():
        if item_id not in places:
            continue  # declared but stored nowhere in this file: nothing to leak
        if item.protected or item.encoding:
            raise MediaCleanError(f"its {item.kind} item is encrypted or compressed")
        extents = _absolute(item_id, places[item_id], idat_span, file_size)
        total = sum(e.length for e in extents)
        if total > MAX_READ:
            raise MediaCleanError(f"its {item.kind} item is too large to check")
        data = bytearray(b"".join(_read_at(fh, e) for e in extents))
        cleaned = _clean_exif(data) if item.kind == "Exif" else bytearray(blank_xmp_location(data))
        edits += _patches(extents, data, cleaned)
    return edits


def _is_metadata(item: Item) -> bool:
    return item.kind == "Exif" or (item.kind == "mime" and item.content_type.lower() in XMP_TYPES)


def _read_iinf(fh: BinaryIO, pos: int, header: int, size: int) -> dict[int, Item]:
    """Item id -> Item for every infe entry (versions 0 to 3)."""
    fh.seek(pos + header)
    version = fh.read(4)[0]
    start = pos + header + 4 + (2 if version == 0 else 4)
    items: dict[int, Item] = {}
    for ipos, iheader, isize, kind in boxes(fh, start, pos + size):
        if kind != b"infe":
            continue
        fh.seek(ipos + iheader)
        body = fh.read(isize - iheader)
        item_id, item = _parse_infe(body)
        items[item_id] = item
    return items


def _parse_infe(body: bytes) -> tuple[int, Item]:
    version, at = body[0], 4
    try:
        if version >= 2:
            fmt = ">H" if version == 2 else ">I"
            item_id = struct.unpack_from(fmt, body, at)[0]
            at += struct.calcsize(fmt)
            protection = struct.unpack_from(">H", body, at)[0]
            kind = body[at + 2:at + 6].decode("latin-1")
            strings = body[at + 6:].split(b"\x00")
            # item_name, then for mime items content_type and an optional content_encoding.
            content, encoding = (strings + [b"", b""])[1:3] if kind == "mime" else (b"", b"")
        else:
            item_id, protection = struct.unpack_from(">HH", body, at)
            kind = "mime"
            strings = body[at + 4:].split(b"\x00")
            content, encoding = (strings + [b"", b""])[1:3]
    except struct.error as exc:
        raise MediaCleanError("an item entry (infe) is cut short") from exc
    return item_id, Item(kind, _text(content), _text(encoding), protection != 0)


def _text(value: bytes) -> str:
    return value.decode("utf-8", "replace").strip()


def _read_iloc(fh: BinaryIO, pos: int, header: int, size: int) -> dict[int, tuple]:
    """Item id -> (construction method, base offset, [(offset, length)]) for items in this file."""
    if size - header > MAX_READ:
        raise MediaCleanError("its item location box (iloc) is too large")
    fh.seek(pos + header)
    reader = _Reader(fh.read(size - header))
    version = reader.int(1)
    reader.int(3)  # flags
    sizes = reader.int(1)
    offset_size, length_size = sizes >> 4, sizes & 15
    more = reader.int(1)
    base_size, index_size = more >> 4, (more & 15 if version in (1, 2) else 0)
    places: dict[int, tuple] = {}
    for _ in range(reader.int(2 if version < 2 else 4)):
        item_id = reader.int(2 if version < 2 else 4)
        method = reader.int(2) & 15 if version in (1, 2) else 0
        reference = reader.int(2)
        base = reader.int(base_size)
        extents = []
        for _ in range(reader.int(2)):
            reader.int(index_size)
            extents.append((reader.int(offset_size), reader.int(length_size)))
        if reference == 0:  # otherwise the bytes live in another file
            places[item_id] = (method, base, extents)
    return places


def _absolute(item_id: int, place: tuple, idat: tuple[int, int] | None,
              file_size: int) -> list[Extent]:
    """An item's extents as absolute file spans (construction method 0: file, 1: idat)."""
    method, base, extents = place
    if method == 0:
        start, stop = 0, file_size
    elif method == 1 and idat is not None:
        start, stop = idat
    else:
        # Method 2 builds an item from other items' bytes: not something phones write for metadata.
        raise MediaCleanError(f"metadata item {item_id} is stored in a way that cannot be checked")
    out = []
    for offset, length in extents:
        at = start + base + offset
        if length == 0:
            length = stop - at  # zero means "to the end"
        if at < start or length < 0 or at + length > stop:
            raise MediaCleanError(f"metadata item {item_id} lies outside the file")
        out.append(Extent(at, length))
    return out


def _read_at(fh: BinaryIO, extent: Extent) -> bytes:
    fh.seek(extent.offset)
    data = fh.read(extent.length)
    if len(data) != extent.length:
        raise MediaCleanError("a metadata item is cut short")
    return data


def _clean_exif(data: bytearray) -> bytearray:
    """The Exif item (a 4-byte offset, then the TIFF block) with GPS and maker note removed, or refused."""
    if len(data) < 4:
        raise MediaCleanError("its Exif item is cut short")
    base = 4 + struct.unpack_from(">I", data, 0)[0]
    if data[base:base + 2] not in (b"II", b"MM"):
        raise MediaCleanError("its Exif item does not start a TIFF block where it says")
    cleaned = bytearray(data)
    try:
        clean_tiff(cleaned, base, zero_unreferenced=True)
    except (MetadataError, struct.error) as exc:
        raise MediaCleanError(f"its Exif item cannot be read ({exc})") from exc
    return cleaned


def _patches(extents: list[Extent], before: bytearray, after: bytearray) -> list[tuple[int, bytes]]:
    """The changed part of each extent as an (offset, bytes) patch."""
    patches, at = [], 0
    for extent in extents:
        old, new = before[at:at + extent.length], after[at:at + extent.length]
        if old != new:
            patches.append((extent.offset, bytes(new)))
        at += extent.length
    return patches


class _Reader:
    """Big-endian unsigned integers of any byte width, read in turn."""

    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def int(self, width: int) -> int:
        if width == 0:
            return 0
        if self.at + width > len(self.data):
            raise MediaCleanError("its item location box (iloc) is cut short")
        value = int.from_bytes(self.data[self.at:self.at + width], "big")
        self.at += width
        return value
