"""Credits into a JPEG original: EXIF IFD0 fields edited, XMP and IPTC IIM segments replaced, scan data copied.

Everything from the first SOS on is copied byte for byte; before it, JFIF stays first, the EXIF
block keeps every field (orientation, camera) but gets ImageDescription, Artist and Copyright,
and XMP, extended XMP and Photoshop (IPTC) segments give way to ours.
"""
from __future__ import annotations

import struct
from typing import BinaryIO

from gallery.formats.captions.ifd import credit_fields, ifd0_edits, patched
from gallery.formats.credits import (
    EXIF_HEADER,
    MAX_SEGMENT,
    PHOTOSHOP_HEADER,
    XMP_EXT_HEADER,
    XMP_HEADER,
    Credits,
    build_exif,
    build_iptc,
    build_xmp,
)

CHUNK = 1024 * 1024
MAX_HEADER_SEGMENTS = 4096


def write(fh: BinaryIO, out: BinaryIO, credits: Credits) -> bool:
    """Copy the JPEG in fh to out with the credits in; ValueError when it cannot be read."""
    if fh.read(2) != b"\xff\xd8":
        raise ValueError("not a JPEG")
    segments: list[tuple[int, bytes]] = []
    while True:
        marker = _marker(fh)
        if marker == 0xDA:
            break
        if marker in (0xD8, 0xD9) or 0xD0 <= marker <= 0xD7 or marker == 0x01:
            raise ValueError("a JPEG marker out of place before the scan")
        (length,) = struct.unpack(">H", _exact(fh, 2))
        if length < 2:
            raise ValueError("a JPEG segment has a bad length")
        segments.append((marker, _exact(fh, length - 2)))
        if len(segments) > MAX_HEADER_SEGMENTS:
            raise ValueError("too many JPEG segments")
    head = [segments.pop(0)] if segments and segments[0][0] == 0xE0 and segments[0][1].startswith(b"JFIF\x00") else []
    exif = next((p for m, p in segments if m == 0xE1 and p.startswith(EXIF_HEADER)), None)
    kept = [(m, p) for m, p in segments if not _replaced(m, p)]
    block = _exif(exif[len(EXIF_HEADER):] if exif else None, credits)
    ours = [(0xE1, EXIF_HEADER + block), (0xE1, XMP_HEADER + build_xmp(credits)),
            (0xED, PHOTOSHOP_HEADER + build_iptc(credits))]
    out.write(b"\xff\xd8")
    for marker, payload in head + ours + kept:
        out.write(bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload)
    out.write(b"\xff\xda")
    while chunk := fh.read(CHUNK):
        out.write(chunk)
    return True


def _exif(block: bytes | None, credits: Credits) -> bytes:
    """The camera's EXIF block with the credit fields set, or a new one when there is none (or it is damaged)."""
    if block:
        caption = credits.caption
        for _ in range(8):
            try:
                fields = credit_fields(caption, credits.creator, credits.copyright)
                patches, tail = ifd0_edits(block, fields, (), len(block))
            except (ValueError, struct.error):
                break  # an unreadable EXIF block: ours replaces it
            edited = patched(block, patches, tail)
            if len(edited) + len(EXIF_HEADER) <= MAX_SEGMENT:
                return edited
            caption = caption[: len(caption) // 2]  # a crowded block: a shorter description fits
        else:
            return block  # no room at all: the camera's block as it was (XMP and IPTC carry the credits)
    return build_exif(credits)


def _replaced(marker: int, payload: bytes) -> bool:
    return ((marker == 0xE1 and payload.startswith((EXIF_HEADER, XMP_HEADER, XMP_EXT_HEADER)))
            or (marker == 0xED and payload.startswith(PHOTOSHOP_HEADER)))


def _marker(fh: BinaryIO) -> int:
    byte = fh.read(1)
    if byte != b"\xff":
        raise ValueError("a JPEG segment does not start with a marker")
    while byte == b"\xff":  # fill bytes
        byte = fh.read(1)
    if not byte:
        raise ValueError("truncated JPEG")
    return byte[0]


def _exact(fh: BinaryIO, n: int) -> bytes:
    data = fh.read(n)
    if len(data) != n:
        raise ValueError("truncated JPEG")
    return data
