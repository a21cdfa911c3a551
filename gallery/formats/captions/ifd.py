"""IFD0 of a classic TIFF block rewritten at its end: the fields set, the old IFD0 zeroed, nothing else moved.

Shared by JPEG EXIF blocks and TIFF files. The new IFD0 holds the old entries (their values stay
where they were, so strip and tile offsets stay valid) plus the fields set, sorted by tag.
"""
from __future__ import annotations

import struct

from gallery.formats.credits import safe_text
from gallery.formats.location.tiff import TYPE_SIZES, _data_spans, _entries, _read, layout

ASCII, UNDEFINED, BYTE = 2, 7, 1
TAG_DESCRIPTION, TAG_ARTIST, TAG_COPYRIGHT = 0x010E, 0x013B, 0x8298
TAG_XMP, TAG_IPTC, TAG_PHOTOSHOP = 700, 33723, 34377


class NotClassicTiff(ValueError):
    """A BigTIFF block: its 8-byte offsets are not written here."""


def ascii_value(text: str) -> bytes:
    """A TIFF ASCII value: UTF-8 bytes without NULs or control characters, NUL-terminated."""
    return safe_text(text).encode("utf-8") + b"\x00"


def ifd0_edits(buf, values: dict[int, tuple[int, bytes]], dropped: tuple[int, ...], end: int
               ) -> tuple[list[tuple[int, bytes]], bytes]:
    """(patches, tail): patches zero the old IFD0 and point the header at the new one appended at `end`.

    values: tag -> (TIFF type, raw value bytes) set in IFD0; dropped: tags removed from it.
    """
    lay = layout(buf)
    if lay.big:
        raise NotClassicTiff("BigTIFF")
    e = lay.end
    first = _read(buf, lay.offset, 4)
    entries, next_at = _entries(buf, lay, first)
    next_ifd = bytes(buf[next_at:next_at + 4])
    gone = set(values) | set(dropped)
    kept = [(x.tag, bytes(buf[x.pos:x.pos + 12])) for x in entries if x.tag not in gone]
    start = end + (end & 1)
    count = len(kept) + len(values)
    data_at = start + 2 + 12 * count + 4
    if data_at + sum(len(v) + 1 for _, v in values.values()) >= 2 ** 32:
        raise NotClassicTiff("the file is too big for 4-byte offsets")
    made, data = [], b""
    for tag, (kind, value) in values.items():
        n = len(value) // TYPE_SIZES[kind]
        if len(value) <= 4:
            made.append((tag, struct.pack(e + "HHI", tag, kind, n) + value.ljust(4, b"\x00")))
        else:
            made.append((tag, struct.pack(e + "HHII", tag, kind, n, data_at + len(data))))
            data += value + (b"\x00" if len(value) % 2 else b"")
    ifd = struct.pack(e + "H", count) + b"".join(raw for _, raw in sorted(kept + made)) + next_ifd
    patches = [(4, struct.pack(e + "I", start)), (first, bytes(next_at + 4 - first))]
    # Old values of replaced fields go too: a stale caption must not linger in the bytes.
    # (Never bytes an image strip also claims: a crafted file must not cost a pixel.)
    image = _data_spans(buf, lay, entries)
    patches += [(x.value_at, bytes(x.size)) for x in entries if x.tag in gone and x.size > 4
                and not any(a < x.value_at + x.size and x.value_at < b for a, b in image)]
    return patches, bytes(start - end) + ifd + data


def credit_fields(caption: str, creator: str, rights: str) -> dict[int, tuple[int, bytes]]:
    """ImageDescription, Artist and Copyright as TIFF ASCII values (the empty ones left out)."""
    return {tag: (ASCII, ascii_value(text)) for tag, text in
            ((TAG_DESCRIPTION, caption), (TAG_ARTIST, creator), (TAG_COPYRIGHT, rights)) if text}


def patched(buf: bytes, patches: list[tuple[int, bytes]], tail: bytes) -> bytes:
    """A copy of buf with the patches applied and tail appended."""
    out = bytearray(buf)
    for at, data in patches:
        out[at:at + len(data)] = data
    return bytes(out) + tail
