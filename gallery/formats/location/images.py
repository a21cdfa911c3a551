"""Location out of image originals; every compressed byte of the image data stays as it was.

JPEG: EXIF (every IFD: GPS and maker note zeroed and unlinked, unreferenced bytes zeroed), XMP
and Photoshop/IPTC place fields blanked in place; comments, other application segments (but
JFIF, ICC and Adobe), extended XMP and anything after the primary image dropped. PNG and WebP: only chunks known to hold no text are kept. TIFF and BigTIFF: every
IFD cleaned in place (tiff.py). GIF: comments and application extensions other than looping
and colour profiles dropped (gif.py). What cannot be read raises ValueError: refused, never
passed through.
"""
from __future__ import annotations

import io
import mmap
import struct
from collections.abc import Iterator
from typing import BinaryIO

from gallery.formats.location.common import MetadataError, blank_xmp_location
from gallery.formats.location.gif import gif_without_location
from gallery.formats.location.tiff import clean_irb, clean_tiff

CHUNK = 1024 * 1024
EXIF_HEADER = b"Exif\x00\x00"
XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
XMP_EXT_HEADER = b"http://ns.adobe.com/xmp/extension/\x00"
MPF_HEADER = b"MPF\x00"
PHOTOSHOP_HEADER = b"Photoshop 3.0\x00"
KEPT_APP = {0xE0: (b"JFIF\x00", b"JFXX\x00"), 0xE2: (b"ICC_PROFILE\x00",), 0xEE: (b"Adobe",)}
MAX_JUNK = 1024 * 1024  # stray bytes between JPEG markers skipped (libjpeg skips them too)
# PNG chunks kept: image data, colour, timing and animation; every other chunk may hold text.
PNG_KEEP = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP",
            b"sBIT", b"bKGD", b"pHYs", b"hIST", b"sPLT", b"tIME", b"acTL", b"fcTL", b"fdAT",
            b"cICP", b"mDCV", b"cLLI", b"mDCv", b"cLLi"}
WEBP_KEEP = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF", b"ICCP"}
# XMP words that announce data after the EOI: Google motion photos and micro-videos.
_TRAILER_WORDS = (b"MicroVideo", b"MotionPhoto", b"Container:Directory", b"GContainer")


def strip_location(fh: BinaryIO, mime_type: str) -> Iterator[bytes]:
    """The bytes of an original with GPS and location metadata removed, streamed in chunks."""
    cleaner = {"image/jpeg": _jpeg_without_location, "image/png": _png_without_location,
               "image/webp": _webp_without_location, "image/tiff": _tiff_without_location,
               "image/gif": lambda f: gif_without_location(_mapped(f))}.get(mime_type)
    if cleaner is None:
        raise ValueError(f"no location cleaner for {mime_type}")
    return cleaner(fh)


def _copy(fh: BinaryIO) -> Iterator[bytes]:
    while chunk := fh.read(CHUNK):
        yield chunk


def _read_exact(fh: BinaryIO, n: int) -> bytes:
    data = fh.read(n)
    if len(data) != n:
        raise ValueError("truncated file")
    return data


def _next_marker(fh: BinaryIO) -> int:
    """The next JPEG marker code, skipping fill bytes and stray bytes before it as libjpeg does."""
    skipped = 0
    byte = _read_exact(fh, 1)[0]
    while True:
        while byte != 0xFF:
            skipped += 1
            if skipped > MAX_JUNK:
                raise ValueError("too many stray bytes between JPEG markers")
            byte = _read_exact(fh, 1)[0]
        code = _read_exact(fh, 1)[0]
        while code == 0xFF:  # fill bytes before a marker
            code = _read_exact(fh, 1)[0]
        if code != 0x00:  # FF 00 is not a marker: still stray bytes
            return code
        byte = _read_exact(fh, 1)[0]


def _clean_segment(code: int, payload: bytearray) -> bytearray | None:
    """A header segment with its place data removed, or None when it is dropped whole."""
    if code == 0xE1 and payload.startswith(EXIF_HEADER):
        try:
            clean_tiff(payload, len(EXIF_HEADER), zero_unreferenced=True)
        except (MetadataError, struct.error):
            return None  # an EXIF block that cannot be walked cannot be vouched for
        return payload
    if code == 0xE1 and payload.startswith(XMP_HEADER):
        return bytearray(blank_xmp_location(payload))
    if code == 0xE1:
        return None  # extended XMP (it holds the rest of a packet) and unknown APP1 data
    if code == 0xED:
        if not payload.startswith(PHOTOSHOP_HEADER):
            return None
        try:
            return bytearray(PHOTOSHOP_HEADER + clean_irb(payload[len(PHOTOSHOP_HEADER):]))
        except (MetadataError, struct.error):
            return None
    if code < 0xC0 or 0xF0 <= code <= 0xFD:
        return None  # reserved markers: no decoder needs what they hold
    if 0xE0 <= code <= 0xEF or code == 0xFE:
        # Other application segments and comments are vendor metadata and free text: only JFIF,
        # the ICC profile and Adobe's colour transform stay (decoders need them).
        return payload if any(payload.startswith(h) for h in KEPT_APP.get(code, ())) else None
    return payload


def jpeg_is_clean(fh: BinaryIO) -> bool:
    """Whether the JPEG cleaner would return the file unchanged, read without writing a copy."""
    header, announced_trailer = _jpeg_header(fh)
    end = fh.tell()
    fh.seek(0)
    same = fh.read(end) == header
    fh.seek(end)
    # Only a file whose rest is copied as it is (no trailer to drop) can come out unchanged.
    return same and not announced_trailer and _ends_with_eoi(fh)


def _jpeg_header(fh: BinaryIO) -> tuple[bytes, bool]:
    """The header segments up to the first SOS, cleaned; and whether a trailer is announced."""
    if _read_exact(fh, 2) != b"\xff\xd8":
        raise ValueError("not a JPEG")
    header = bytearray(b"\xff\xd8")
    announced_trailer = False
    while True:
        code = _next_marker(fh)
        marker = bytes((0xFF, code))
        if 0xD0 <= code <= 0xD7 or code == 0x01:
            header += marker
            continue
        if code == 0xD9:
            raise ValueError("JPEG ends before its image data")
        length_bytes = _read_exact(fh, 2)
        length = struct.unpack(">H", length_bytes)[0]
        if length < 2:
            raise ValueError("bad JPEG segment length")
        payload = bytearray(_read_exact(fh, length - 2))
        if code == 0xE1 and payload.startswith(XMP_HEADER):
            announced_trailer |= any(word in payload for word in _TRAILER_WORDS)
        elif code == 0xE2 and payload.startswith(MPF_HEADER):
            announced_trailer = True
        cleaned = _clean_segment(code, payload)
        if cleaned is None:
            continue
        header += marker + length_bytes + cleaned
        if code == 0xDA:
            break
    return bytes(header), announced_trailer


def _jpeg_without_location(fh: BinaryIO) -> Iterator[bytes]:
    """Header segments cleaned in place; scan data copied up to the primary image's EOI.

    Anything after the EOI (MPF secondary images, motion-photo videos, vendor trailers) is
    dropped with the MPF index: those parts carry their own EXIF, GPS included.
    """
    header, announced_trailer = _jpeg_header(fh)
    yield header
    if not announced_trailer and _ends_with_eoi(fh):
        # The usual file: nothing follows the image, so the rest is copied without scanning it
        # (a byte scan for the EOI marker costs more than the read itself).
        yield from _copy(fh)
        return
    prev = b""
    while chunk := fh.read(CHUNK):
        # The first FF D9 after the first SOS ends the primary image: the entropy-coded data
        # never holds FF followed by anything but 00 or a restart marker.
        window = prev + chunk
        at = window.find(b"\xff\xd9")
        if at >= 0:
            yield window[len(prev):at + 2] if at + 2 > len(prev) else b""
            return
        yield chunk
        prev = chunk[-1:]


def _ends_with_eoi(fh: BinaryIO) -> bool:
    """Whether the file ends with the EOI marker (zero padding allowed), without moving."""
    here = fh.tell()
    try:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(here, size - 4096))
        tail = fh.read().rstrip(b"\x00")
    except (OSError, ValueError):
        return False
    finally:
        fh.seek(here)
    return tail.endswith(b"\xff\xd9") and b"\xff\xd8" not in tail


def _png_without_location(fh: BinaryIO) -> Iterator[bytes]:
    """PNG chunks copied, except those that may hold text (eXIf, tEXt, zTXt, iTXt, private ones)."""
    signature = _read_exact(fh, 8)
    if signature != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    yield signature
    while True:
        head = fh.read(8)
        if not head:
            return
        if len(head) < 8:
            raise ValueError("truncated PNG")
        length, kind = struct.unpack(">I4s", head)
        drop = kind not in PNG_KEEP
        if drop and not kind[0] & 0x20:
            raise ValueError(f"unknown critical PNG chunk {kind!r}")
        remaining = length + 4  # data and CRC
        if not drop:
            yield head
        while remaining:
            part = fh.read(min(CHUNK, remaining))
            if not part:
                raise ValueError("truncated PNG")
            remaining -= len(part)
            if not drop:
                yield part
        if kind == b"IEND":
            return


def _webp_without_location(fh: BinaryIO) -> Iterator[bytes]:
    """WebP with only image, animation and colour chunks kept, the VP8X flags and RIFF size fixed."""
    data = _mapped(fh)
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError("not a WebP")
    end = min(len(data), 8 + struct.unpack_from("<I", data, 4)[0])
    kept: list[tuple[int, int]] = []  # (start, stop) of each chunk kept, header included
    pos = 12
    while pos + 8 <= end:
        kind, size = struct.unpack_from("<4sI", data, pos)
        stop = min(end, pos + 8 + size + (size & 1))
        if kind in WEBP_KEEP:
            kept.append((pos, stop))
            if kind == b"VP8X" and stop - pos > 8:
                data[pos + 8] &= ~0x0C & 0xFF  # clear the EXIF (0x08) and XMP (0x04) flags
        pos = stop
    yield b"RIFF" + struct.pack("<I", 4 + sum(b - a for a, b in kept)) + b"WEBP"
    for start, stop in kept:
        for at in range(start, stop, CHUNK):
            yield bytes(data[at:min(stop, at + CHUNK)])


def _tiff_without_location(fh: BinaryIO) -> Iterator[bytes]:
    """A TIFF or BigTIFF with every IFD cleaned in place (pages, SubIFDs, EXIF IFDs)."""
    data = _mapped(fh)
    try:
        clean_tiff(data, 0)
    except struct.error as exc:
        raise ValueError("a TIFF structure is cut short") from exc
    for start in range(0, len(data), CHUNK):
        yield bytes(data[start:start + CHUNK])


def _mapped(fh: BinaryIO) -> mmap.mmap | bytearray:
    """A private, writable view of the file: copy-on-write pages, so edits never reach the disk."""
    try:
        return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_COPY)
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        fh.seek(0)
        return bytearray(fh.read())
