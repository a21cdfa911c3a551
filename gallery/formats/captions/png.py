"""Credits into a PNG original: eXIf, iTXt XML:com.adobe.xmp and zTXt "Raw profile type iptc" before the image data.

Text and EXIF chunks already there give way to ours; every other chunk is copied as it was.
"""
from __future__ import annotations

import struct
import zlib
from typing import BinaryIO

from gallery.formats.credits import Credits, build_exif, build_iim, build_xmp

SIGNATURE = b"\x89PNG\r\n\x1a\n"
REPLACED = {b"eXIf", b"iTXt", b"tEXt", b"zTXt"}
CHUNK = 1024 * 1024
MAX_CHUNKS = 1_000_000


def write(fh: BinaryIO, out: BinaryIO, credits: Credits) -> bool:
    """Copy the PNG in fh to out with the credits in; ValueError when it cannot be read."""
    if fh.read(8) != SIGNATURE:
        raise ValueError("not a PNG")
    out.write(SIGNATURE)
    written = False
    for _ in range(MAX_CHUNKS):
        head = fh.read(8)
        if len(head) != 8:
            raise ValueError("truncated PNG")
        length, kind = struct.unpack(">I4s", head)
        if kind in (b"IDAT", b"IEND") and not written:
            out.write(b"".join(chunks(credits)))
            written = True
        if kind in REPLACED:
            _skip(fh, length + 4)
        else:
            out.write(head)
            _copy(fh, out, length + 4)
        if kind == b"IEND":
            return True
    raise ValueError("too many PNG chunks")


def chunks(credits: Credits) -> list[bytes]:
    """The three chunks that carry the credits."""
    xmp = b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + build_xmp(credits)
    iim = build_iim(credits)
    hexed = iim.hex()
    profile = ("\niptc\n%8d\n" % len(iim) + "\n".join(hexed[i:i + 72] for i in range(0, len(hexed), 72))
               + "\n").encode("ascii")
    iptc = b"Raw profile type iptc\x00\x00" + zlib.compress(profile)
    return [_chunk(b"eXIf", build_exif(credits)), _chunk(b"iTXt", xmp), _chunk(b"zTXt", iptc)]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _copy(fh: BinaryIO, out: BinaryIO, n: int) -> None:
    while n:
        data = fh.read(min(n, CHUNK))
        if not data:
            raise ValueError("truncated PNG")
        out.write(data)
        n -= len(data)


def _skip(fh: BinaryIO, n: int) -> None:
    fh.seek(n, 1)  # past the end: the next chunk's header read says the file is cut short
