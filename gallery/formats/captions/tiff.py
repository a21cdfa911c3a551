"""Credits into a TIFF original: IFD0 gets ImageDescription, Artist, Copyright, XMP and IPTC, appended at the end.

Nothing before the end of the file moves (every strip and tile offset stays valid); the old IFD0
is zeroed and the header points at the new one. BigTIFF is served as stored (ValueError here).
"""
from __future__ import annotations

import mmap
from typing import BinaryIO

from gallery.formats.captions.ifd import (
    BYTE,
    TAG_IPTC,
    TAG_PHOTOSHOP,
    TAG_XMP,
    UNDEFINED,
    credit_fields,
    ifd0_edits,
)
from gallery.formats.credits import Credits, build_iim, build_xmp

CHUNK = 1024 * 1024


def write(fh: BinaryIO, out: BinaryIO, credits: Credits) -> bool:
    """Copy the TIFF in fh to out with the credits in IFD0; ValueError when it cannot be read."""
    fields = credit_fields(credits.caption, credits.creator, credits.copyright)
    fields[TAG_XMP] = (BYTE, build_xmp(credits))
    iim = build_iim(credits)
    fields[TAG_IPTC] = (UNDEFINED, iim + bytes(-len(iim) % 4))
    with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        # The Photoshop resources tag can hold an older IPTC block: ours alone speaks.
        patches, tail = ifd0_edits(buf, fields, (TAG_PHOTOSHOP,), len(buf))
        pos = 0
        for at, data in sorted(patches):
            if at < pos:
                raise ValueError("TIFF fields overlap")
            _copy(buf, out, pos, at)
            out.write(data)
            pos = at + len(data)
        _copy(buf, out, pos, len(buf))
    out.write(tail)
    return True


def _copy(buf: mmap.mmap, out: BinaryIO, start: int, stop: int) -> None:
    for at in range(start, stop, CHUNK):
        out.write(buf[at:min(at + CHUNK, stop)])
