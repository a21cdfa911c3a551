"""Location out of WebM originals, in place: no element size changes, audio and video identical.

Matroska keeps tags as SimpleTag elements (TagName, TagString or TagBinary) under Segment/Tags.
A SimpleTag naming a place (LOCATION, RECORDING_LOCATION, GPS...) or holding coordinates has its
value, and its nested tags' values, overwritten with spaces (text) or zeros (binary) of the same
length; a segment or track title that reads as coordinates is blanked too. EBML CRC-32 elements of
the masters that changed are recomputed so strict readers still accept them.
"""
from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from gallery.formats.location.common import MAX_READ, MediaCleanError, is_location_tag

SEGMENT, CLUSTER, TAGS, INFO, TRACKS, ATTACHMENTS = (
    0x18538067, 0x1F43B675, 0x1254C367, 0x1549A966, 0x1654AE6B, 0x1941A469)
TAG, SIMPLE_TAG, TAG_NAME, TAG_STRING, TAG_BINARY = 0x7373, 0x67C8, 0x45A3, 0x4487, 0x4485
TRACK_ENTRY, TITLE, TRACK_NAME, CRC32 = 0xAE, 0x7BA9, 0x536E, 0xBF
# Segment children: an unknown-size cluster ends where one of these starts.
LEVEL1 = {0x114D9B74, INFO, TRACKS, 0x1C53BB6B, TAGS, CLUSTER, 0x1043A770, ATTACHMENTS, SEGMENT}
CLEANED = {TAGS: "tags", INFO: "segment info", TRACKS: "tracks"}
MASTERS = {TAGS, TAG, INFO, TRACKS, TRACK_ENTRY}


def webm_edits(fh: BinaryIO) -> list[tuple[int, bytes]]:
    """(offset, bytes) patches blanking every location tag of a WebM file, each the same length."""
    fh.seek(0, 2)
    file_size = fh.tell()
    edits: list[tuple[int, bytes]] = []
    pos = 0
    while pos < file_size:
        element, size, header = _header_at(fh, pos, file_size)
        end = file_size if size is None else pos + header + size
        if element == SEGMENT:
            edits += _segment_edits(fh, pos + header, min(end, file_size))
        elif size is None:
            raise MediaCleanError("a top-level element has no size")
        pos = end
    return edits


def _segment_edits(fh: BinaryIO, start: int, end: int) -> list[tuple[int, bytes]]:
    edits: list[tuple[int, bytes]] = []
    pos = start
    while pos < end:
        element, size, header = _header_at(fh, pos, end)
        if size is None:
            if element != CLUSTER:
                raise MediaCleanError("a segment element other than a cluster has no size")
            pos = _unknown_cluster_end(fh, pos + header, end)
            continue
        stop = pos + header + size
        if stop > end:
            if element == CLUSTER:
                break  # a recording cut short: its last cluster is partial, nothing follows
            raise MediaCleanError(f"a Matroska element {element:#x} overruns its segment")
        if element == ATTACHMENTS:
            raise MediaCleanError("it has attached files, which may carry their own location")
        if element in CLEANED:
            if size > MAX_READ:
                raise MediaCleanError(f"its {CLEANED[element]} are too large to check")
            fh.seek(pos)
            before = fh.read(stop - pos)
            after = bytearray(before)
            _clean_master(after, element, header, len(after))
            if after != before:
                edits.append((pos, bytes(after)))
        pos = stop
    return edits


def _unknown_cluster_end(fh: BinaryIO, pos: int, end: int) -> int:
    """Where a cluster of unknown size (live recordings) ends: at the next segment-level element."""
    while pos < end:
        element, size, header = _header_at(fh, pos, end)
        if element in LEVEL1:
            return pos
        if size is None:
            raise MediaCleanError("a cluster element has no size")
        pos += header + size
    return end


def _clean_master(buf: bytearray, element: int, start: int, end: int,
                  located: bool = False) -> None:
    """Blank location values among a master element's children, then refresh its CRC-32."""
    if element == SIMPLE_TAG:
        located = located or _names_a_place(buf, start, end)
    for child, body, stop in _children(buf, start, end):
        if child == SIMPLE_TAG or child in MASTERS:
            _clean_master(buf, child, body, stop, located)
        elif located and child == TAG_STRING:
            buf[body:stop] = b" " * (stop - body)
        elif located and child == TAG_BINARY:
            buf[body:stop] = bytes(stop - body)
        elif child in (TITLE, TRACK_NAME) and is_location_tag("", _text(buf[body:stop])):
            buf[body:stop] = b" " * (stop - body)
    _refresh_crc(buf, start, end)


def _names_a_place(buf: bytearray, start: int, end: int) -> bool:
    """Whether a SimpleTag's name gives a place or its text value reads as coordinates."""
    name = value = ""
    for child, body, stop in _children(buf, start, end):
        if child == TAG_NAME:
            name = _text(buf[body:stop])
        elif child == TAG_STRING:
            value = _text(buf[body:stop])
    return is_location_tag(name, value)


def _refresh_crc(buf: bytearray, start: int, end: int) -> None:
    """An EBML CRC-32 first child covers the rest of its parent: recompute it after edits."""
    children = list(_children(buf, start, end))
    if children and children[0][0] == CRC32 and children[0][2] - children[0][1] == 4:
        _, body, stop = children[0]
        buf[body:stop] = struct.pack("<I", zlib.crc32(buf[stop:end]))


def _children(buf: bytearray, start: int, end: int) -> Iterator[tuple[int, int, int]]:
    """(element id, payload start, payload end) of each child element in buf[start:end]."""
    pos = start
    while pos < end:
        element, size, header = _header(bytes(buf[pos:pos + 12]))
        if size is None or pos + header + size > end:
            raise MediaCleanError(f"a Matroska element {element:#x} overruns its parent")
        yield element, pos + header, pos + header + size
        pos += header + size


def _header_at(fh: BinaryIO, pos: int, end: int) -> tuple[int, int | None, int]:
    fh.seek(pos)
    head = fh.read(min(12, end - pos))
    return _header(head)


def _header(head: bytes) -> tuple[int, int | None, int]:
    """(element id, payload size or None when unknown, header length) of an EBML element."""
    id_len = _vint_length(head, 0, 4)
    size_len = _vint_length(head, id_len, 8)
    element = int.from_bytes(head[:id_len], "big")
    raw = head[id_len:id_len + size_len]
    size = int.from_bytes(raw, "big") & ((1 << (7 * size_len)) - 1)
    if size == (1 << (7 * size_len)) - 1:
        return element, None, id_len + size_len  # all ones: size unknown
    return element, size, id_len + size_len


def _vint_length(head: bytes, at: int, longest: int) -> int:
    if at >= len(head) or head[at] == 0:
        raise MediaCleanError("a Matroska element header is damaged or cut short")
    length = 8 - head[at].bit_length() + 1
    if length > longest or at + length > len(head):
        raise MediaCleanError("a Matroska element header is damaged or cut short")
    return length


def _text(value: bytes | bytearray) -> str:
    return bytes(value).rstrip(b"\x00").decode("utf-8", "replace")
