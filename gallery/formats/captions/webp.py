"""Credits into a WebP original: EXIF and XMP chunks at the end, announced in VP8X (made for a simple file).

The image chunks (VP8, VP8L, ALPH, ANIM, ANMF) are copied byte for byte.
"""
from __future__ import annotations

import struct
from typing import BinaryIO

from gallery.formats.credits import Credits, build_exif, build_xmp

CHUNK = 1024 * 1024
MAX_CHUNKS = 100_000
FLAG_ALPHA, FLAG_EXIF, FLAG_XMP = 0x10, 0x08, 0x04


def write(fh: BinaryIO, out: BinaryIO, credits: Credits) -> bool:
    """Copy the WebP in fh to out with the credits in; ValueError when it cannot be read."""
    head = fh.read(12)
    if len(head) != 12 or head[:4] != b"RIFF" or head[8:] != b"WEBP":
        raise ValueError("not a WebP file")
    end = 8 + struct.unpack("<I", head[4:8])[0]
    listed = []  # (fourcc, offset of the payload, size)
    pos = 12
    while pos + 8 <= end:
        fh.seek(pos)
        kind, size = struct.unpack("<4sI", fh.read(8))
        listed.append((kind, pos + 8, size))
        pos += 8 + size + (size & 1)
        if len(listed) > MAX_CHUNKS:
            raise ValueError("too many WebP chunks")
    if not listed or pos > end + 1:
        raise ValueError("truncated WebP")
    kept = [c for c in listed if c[0] not in (b"EXIF", b"XMP ")]
    extra = [(b"EXIF", build_exif(credits)), (b"XMP ", build_xmp(credits))]
    if kept[0][0] == b"VP8X":
        fh.seek(kept[0][1])
        vp8x = bytearray(fh.read(10))
        if len(vp8x) != 10:
            raise ValueError("truncated WebP")
        vp8x[0] |= FLAG_EXIF | FLAG_XMP
        first = [(b"VP8X", bytes(vp8x))]
        kept = kept[1:]
    else:
        first = [(b"VP8X", _vp8x(fh, kept))]
    body = sum(8 + len(d) + (len(d) & 1) for _, d in first + extra) + sum(8 + s + (s & 1) for _, _, s in kept)
    out.write(b"RIFF" + struct.pack("<I", 4 + body) + b"WEBP")
    for kind, data in first:
        out.write(_chunk(kind, data))
    for kind, at, size in kept:
        out.write(struct.pack("<4sI", kind, size))
        fh.seek(at)
        _copy(fh, out, size + (size & 1))
    for kind, data in extra:
        out.write(_chunk(kind, data))
    return True


def _vp8x(fh: BinaryIO, chunks: list[tuple[bytes, int, int]]) -> bytes:
    """A VP8X payload for a simple (lossy or lossless) file: its canvas size and alpha read from the bitstream."""
    kind, at, size = chunks[0]
    fh.seek(at)
    data = fh.read(min(size, 30))
    flags = FLAG_EXIF | FLAG_XMP
    if kind == b"VP8 " and len(data) >= 10 and data[3:6] == b"\x9d\x01\x2a":
        width, height = (struct.unpack("<H", data[6:8])[0] & 0x3FFF, struct.unpack("<H", data[8:10])[0] & 0x3FFF)
    elif kind == b"VP8L" and len(data) >= 5 and data[0] == 0x2F:
        bits = int.from_bytes(data[1:5], "little")
        width, height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        flags |= FLAG_ALPHA if bits >> 28 & 1 else 0
    else:
        raise ValueError("a WebP image chunk cannot be read")
    if any(k == b"ALPH" for k, _, _ in chunks):
        flags |= FLAG_ALPHA
    return bytes((flags, 0, 0, 0)) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return kind + struct.pack("<I", len(data)) + data + (b"\x00" if len(data) & 1 else b"")


def _copy(fh: BinaryIO, out: BinaryIO, n: int) -> None:
    while n:
        data = fh.read(min(n, CHUNK))
        if not data:
            if n == 1:  # a last odd chunk without its pad byte: add it
                out.write(b"\x00")
                return
            raise ValueError("truncated WebP")
        out.write(data)
        n -= len(data)
