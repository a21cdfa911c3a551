"""Credits as XMP in an MP4, MOV or M4A file: a top-level XMP `uuid` box appended, nothing moved.

The box (uuid BE7ACFCB-97A9-42E8-9C71-999491E3AFAC) is where exiftool writes XMP in MP4 and where
it reads it in MP4 and MOV alike. Appended after the last box it moves no sample, so no chunk offset
(stco/co64) changes. Any XMP already in the file (a top-level uuid box or QuickTime's moov/udta/XMP_)
becomes a `free` box of the same length with a zeroed payload, so only ours is read.
"""
from __future__ import annotations

import struct
from typing import BinaryIO

from gallery.formats.credits import Credits, build_xmp
from gallery.formats.location.common import MAX_READ
from gallery.formats.location.media import XMP_UUID, boxes

CONTAINERS = {b"moov", b"udta", b"trak"}


def append_xmp(path: str, credits: Credits) -> None:
    """Blank every XMP box of the file at path and append one with the credits (in place)."""
    packet = build_xmp(credits)
    with open(path, "r+b") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        top = list(boxes(fh, 0, size, top=True))
        if not top or top[0][3] not in (b"ftyp", b"wide", b"free", b"skip", b"moov", b"mdat"):
            raise ValueError("it does not start with an MP4 box")
        edits: list[tuple[int, bytes]] = []
        _old_xmp(fh, 0, size, edits, top=True)
        last_pos, last_header, last_size, _ = top[-1]
        fh.seek(last_pos)
        if struct.unpack(">I", fh.read(4))[0] == 0:
            # "to the end of the file": our box would join it, so its size is written out.
            if last_header != 8 or last_size >= 1 << 32:
                raise ValueError("its last box runs to the end and cannot be sized")
            edits.append((last_pos, struct.pack(">I", last_size)))
        for offset, data in edits:
            fh.seek(offset)
            fh.write(data)
        fh.seek(last_pos + last_size)
        fh.truncate()
        fh.write(struct.pack(">I4s", 8 + 16 + len(packet), b"uuid") + XMP_UUID + packet)


def _old_xmp(fh: BinaryIO, start: int, end: int, edits: list[tuple[int, bytes]], top: bool = False) -> None:
    for pos, header, size, kind in boxes(fh, start, end, top):
        xmp = kind == b"XMP_"
        if kind == b"uuid" and size - header >= 16:
            fh.seek(pos + header)
            xmp = fh.read(16) == XMP_UUID
        if xmp:
            edits.append(_to_free(pos, header, size))
        elif kind in CONTAINERS:
            _old_xmp(fh, pos + header, pos + size, edits)


def _to_free(pos: int, header: int, size: int) -> tuple[int, bytes]:
    """The box turned into a free box of the same size with zeros inside."""
    if size > MAX_READ:
        raise ValueError("an XMP box is too large")
    if header == 16:
        head = struct.pack(">I4sQ", 1, b"free", size)
    else:
        head = struct.pack(">I4s", size, b"free")
    return pos, head + bytes(size - header)


def current_xmp(path: str) -> bytes | None:
    """The packet of the file's last box when it is an XMP uuid box (ours), else None."""
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        found = list(boxes(fh, 0, size, top=True))
        last = found[-1] if found else None
        if last is None or last[3] != b"uuid" or last[2] - last[1] < 16 or last[2] > MAX_READ:
            return None
        fh.seek(last[0] + last[1])
        if fh.read(16) != XMP_UUID:
            return None
        return fh.read(last[2] - last[1] - 16)
