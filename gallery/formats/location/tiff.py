"""Location out of TIFF structures, in place: TIFF and BigTIFF files and the EXIF blocks of others.

Every IFD is visited: the chain of pages, SubIFDs, and the EXIF and Interoperability IFDs. A GPS
IFD and a maker note are zeroed and their entries unlinked (the IFD keeps its length: fewer
entries, then zero padding); XMP (tag 700) has its location blanked with spaces; IPTC IIM (tag
33723) and Photoshop resources (tag 34377) have their sub-location blanked. Nothing moves, so
every strip and tile offset stays valid. A structure that cannot be read raises TiffCleanError:
the caller drops the block or refuses the file, never passes it on. Photoshop resources
(clean_irb) live here too: they nest EXIF blocks, and TIFF tags nest them.
"""
from __future__ import annotations

import struct
from typing import NamedTuple

from gallery.formats.location.common import (
    IRB_EXIF,
    IRB_IPTC,
    IRB_KEPT,
    IRB_SIGNATURES,
    IRB_XMP,
    MetadataError,
    blank_iim,
    blank_xmp_location,
)

TAG_GPS, TAG_EXIF, TAG_INTEROP, TAG_SUBIFDS, TAG_MAKERNOTE = 0x8825, 0x8769, 0xA005, 0x014A, 0x927C
TAG_XMP, TAG_IPTC, TAG_PHOTOSHOP = 700, 33723, 34377
REMOVED = (TAG_GPS, TAG_MAKERNOTE)
POINTERS = (TAG_EXIF, TAG_INTEROP, TAG_SUBIFDS)
TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8,
              13: 4, 16: 8, 17: 8, 18: 8}
MAX_IFDS = 10_000  # a loop of IFD pointers must end


class TiffCleanError(MetadataError):
    """A TIFF structure could not be read well enough to remove its location."""


class Layout(NamedTuple):
    """How one TIFF block is written: byte order, classic or BigTIFF, where it starts."""

    end: str  # "<" or ">"
    big: bool
    base: int

    @property
    def offset(self) -> str:
        """struct format of an offset or count (4 bytes, or 8 in BigTIFF)."""
        return self.end + ("Q" if self.big else "I")

    @property
    def count(self) -> str:
        """struct format of an IFD's entry count."""
        return self.end + ("Q" if self.big else "H")

    @property
    def entry(self) -> int:
        """Bytes of one IFD entry."""
        return 20 if self.big else 12


class Entry(NamedTuple):
    """One IFD entry and where its value is (absolute position in the buffer)."""

    pos: int
    tag: int
    kind: int
    count: int
    value_at: int
    size: int


def layout(buf: bytes | bytearray, base: int = 0) -> Layout:
    """The layout of the TIFF block starting at base, or TiffCleanError."""
    order = bytes(buf[base:base + 2])
    if order not in (b"II", b"MM"):
        raise TiffCleanError("a TIFF block has no byte order mark")
    end = "<" if order == b"II" else ">"
    magic = struct.unpack_from(end + "H", buf, base + 2)[0]
    if magic == 42:
        return Layout(end, False, base)
    if magic == 43 and struct.unpack_from(end + "HH", buf, base + 4) == (8, 0):
        return Layout(end, True, base)
    raise TiffCleanError("a TIFF block has an unknown version")


def clean_tiff(buf: bytearray, base: int = 0, zero_unreferenced: bool = False) -> bool:
    """Remove GPS, maker notes and finer-than-city places from every IFD; True if anything changed.

    zero_unreferenced, for an EXIF block inside another file: bytes no IFD reaches (an orphaned
    maker note, a GPS IFD whose pointer was damaged) are zeroed too. A TIFF file's image data is
    reached through tags this walk does not follow, so its bytes are never zeroed.
    """
    lay = layout(buf, base)
    first_at = base + (8 if lay.big else 4)
    used = [(base, first_at + struct.calcsize(lay.offset))]
    queue = [_read(buf, lay.offset, first_at)]
    seen: set[int] = set()
    changed = False
    while queue:
        offset = queue.pop()
        at = base + offset
        # An offset of zero ends a chain; one past the end points at bytes that do not exist.
        if offset == 0 or at in seen or at >= len(buf):
            continue
        seen.add(at)
        if len(seen) > MAX_IFDS:
            raise TiffCleanError("a TIFF block has too many IFDs")
        changed |= _clean_ifd(buf, lay, at, queue, used)
    if zero_unreferenced:
        changed |= _zero_gaps(buf, base, used)
    return changed


def _zero_gaps(buf: bytearray, base: int, used: list[tuple[int, int]]) -> bool:
    """Zero every byte from base on that lies in none of the used spans; True if any was not zero."""
    changed, at = False, base
    for start, stop in sorted(used) + [(len(buf), len(buf))]:
        start = min(max(start, base), len(buf))
        if start > at:
            changed |= any(buf[at:start])
            buf[at:start] = bytes(start - at)
        at = max(at, min(stop, len(buf)))
    return changed


def _clean_ifd(buf: bytearray, lay: Layout, at: int, queue: list[int],
               used: list[tuple[int, int]]) -> bool:
    """Clean one IFD and queue the IFDs it points to (next page, SubIFDs, EXIF, Interop)."""
    entries, next_at = _entries(buf, lay, at)
    used.append((at, next_at + struct.calcsize(lay.offset)))
    used.extend((e.value_at, e.value_at + e.size) for e in entries if e.tag not in REMOVED)
    used.extend(_data_spans(buf, lay, entries))
    changed = False
    for entry in entries:
        data = buf[entry.value_at:entry.value_at + entry.size] if entry.size else b""
        if entry.tag == TAG_GPS:
            for pointer in _offsets(entry, data, lay):
                _zero_ifd(buf, lay, lay.base + pointer)
        if entry.tag in REMOVED:
            buf[entry.value_at:entry.value_at + entry.size] = bytes(entry.size)
            changed = True
        elif entry.tag in POINTERS:
            queue.extend(_offsets(entry, data, lay))
        elif entry.tag in (TAG_XMP, TAG_IPTC, TAG_PHOTOSHOP) and entry.size:
            cleaned = _clean_value(entry.tag, data)
            if cleaned != data:
                buf[entry.value_at:entry.value_at + entry.size] = cleaned
                changed = True
    queue.append(_read(buf, lay.offset, next_at))
    kept = [bytes(buf[e.pos:e.pos + lay.entry]) for e in entries if e.tag not in REMOVED]
    if len(kept) != len(entries):
        # Same total length: fewer entries, the next-IFD pointer, then zero padding.
        old_length = next_at + struct.calcsize(lay.offset) - at
        block = struct.pack(lay.count, len(kept)) + b"".join(kept) + bytes(
            buf[next_at:next_at + struct.calcsize(lay.offset)])
        buf[at:at + old_length] = block.ljust(old_length, b"\x00")
    return changed


def _clean_value(tag: int, data: bytes | bytearray) -> bytes:
    """XMP, IPTC or Photoshop resources with their location blanked (zeroed whole if unreadable)."""
    if tag == TAG_XMP:
        return blank_xmp_location(data)
    try:
        return blank_iim(data) if tag == TAG_IPTC else clean_irb(data)
    except MetadataError:
        return bytes(len(data))  # unreadable: nothing in it can be told apart, so it all goes


def _entries(buf: bytearray, lay: Layout, at: int) -> tuple[list[Entry], int]:
    """The entries of the IFD at `at` and where its next-IFD pointer is."""
    count = _read(buf, lay.count, at)
    first = at + struct.calcsize(lay.count)
    next_at = first + lay.entry * count
    if next_at + struct.calcsize(lay.offset) > len(buf):
        raise TiffCleanError("a TIFF IFD runs past the end of its block")
    inline = 8 if lay.big else 4
    entries = []
    for i in range(count):
        pos = first + lay.entry * i
        raw = bytes(buf[pos:pos + lay.entry])
        if lay.big:
            tag, kind, n = struct.unpack_from(lay.end + "HHQ", raw)
        else:
            tag, kind, n = struct.unpack_from(lay.end + "HHI", raw)
        size = TYPE_SIZES.get(kind, 1) * n
        value_at = pos + 4 + inline if size <= inline else lay.base + _read(buf, lay.offset, pos + 4 + inline)
        if value_at + size > len(buf):
            # A value running past the end: what is there is what a reader would read.
            size = max(0, len(buf) - value_at)
        entries.append(Entry(pos, tag, kind, n, value_at, size))
    return entries, next_at


def _data_spans(buf: bytearray, lay: Layout, entries: list[Entry]) -> list[tuple[int, int]]:
    """Spans an IFD reaches through offset and length pairs: a thumbnail, or strips."""
    by_tag = {e.tag: e for e in entries}
    spans = []
    for offsets_tag, lengths_tag in ((0x0201, 0x0202), (0x0111, 0x0117)):
        if offsets_tag in by_tag and lengths_tag in by_tag:
            starts = _values(buf, lay, by_tag[offsets_tag])
            lengths = _values(buf, lay, by_tag[lengths_tag])
            spans += [(lay.base + s, lay.base + s + n) for s, n in zip(starts, lengths, strict=False)]
    return spans


def _values(buf: bytearray, lay: Layout, entry: Entry) -> list[int]:
    """The unsigned integer values of a SHORT, LONG or LONG8 entry."""
    fmt = {3: "H", 4: "I", 16: "Q"}.get(entry.kind)
    if fmt is None or not entry.size:
        return []
    width = struct.calcsize(fmt)
    data = bytes(buf[entry.value_at:entry.value_at + entry.size])
    return [struct.unpack_from(lay.end + fmt, data, i * width)[0] for i in range(len(data) // width)]


def _offsets(entry: Entry, data: bytes | bytearray, lay: Layout) -> list[int]:
    """The IFD offsets an IFD-pointer entry holds (LONG, IFD, LONG8 or IFD8 values)."""
    width = {4: 4, 13: 4, 16: 8, 18: 8}.get(entry.kind)
    if width is None or not data:
        return []
    fmt = lay.end + ("I" if width == 4 else "Q")
    return [struct.unpack_from(fmt, data, i * width)[0] for i in range(len(data) // width)]


def _zero_ifd(buf: bytearray, lay: Layout, at: int) -> None:
    """Zero an IFD and the out-of-line values its entries point to (as far as they are there)."""
    try:
        entries, next_at = _entries(buf, lay, at)
    except (TiffCleanError, struct.error):
        return  # the entry pointing here is unlinked all the same
    for entry in entries:
        buf[entry.value_at:entry.value_at + entry.size] = bytes(entry.size)
    stop = next_at + struct.calcsize(lay.offset)
    buf[at:stop] = bytes(stop - at)


def _read(buf: bytes | bytearray, fmt: str, at: int) -> int:
    try:
        return struct.unpack_from(fmt, buf, at)[0]
    except struct.error as exc:
        raise TiffCleanError("a TIFF block is cut short") from exc


def clean_irb(data: bytes | bytearray) -> bytes:
    """Photoshop image resources: IPTC, XMP and EXIF cleaned, others but IRB_KEPT zeroed; MetadataError if damaged."""
    out = bytearray(data)
    pos = 0
    while pos + 12 <= len(out):
        if bytes(out[pos:pos + 4]) not in IRB_SIGNATURES:
            break
        resource = int.from_bytes(out[pos + 4:pos + 6], "big")
        name = out[pos + 6] + 1
        size_at = pos + 6 + name + (name & 1)  # the Pascal name is padded to an even length
        if size_at + 4 > len(out):
            raise MetadataError("a Photoshop resource is cut short")
        size = int.from_bytes(out[size_at:size_at + 4], "big")
        start, stop = size_at + 4, size_at + 4 + size
        if stop > len(out):
            raise MetadataError("a Photoshop resource runs past its block")
        body = bytes(out[start:stop])
        if resource == IRB_IPTC:
            out[start:stop] = blank_iim(body)
        elif resource == IRB_XMP:
            out[start:stop] = blank_xmp_location(body)
        elif resource in IRB_EXIF:
            exif = bytearray(body)
            clean_tiff(exif, zero_unreferenced=True)
            out[start:stop] = exif
        elif resource not in IRB_KEPT:
            out[start:stop] = bytes(size)
        pos = stop + (size & 1)
    if any(out[pos:]):
        raise MetadataError("a Photoshop resource block is damaged")
    return bytes(out)
