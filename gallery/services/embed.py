"""Metadata inside downloaded files, without re-encoding: credits spliced in, GPS taken out.

Renditions get an EXIF and an XMP segment spliced into the JPEG byte stream after SOI/JFIF.
Originals keep every compressed byte of their image data; GPS and location metadata are blanked
in place (same length, so no offset inside the file moves) or their chunks are dropped.
"""
from __future__ import annotations

import io
import mmap
import re
import struct
from typing import BinaryIO, Iterator, NamedTuple
from xml.sax.saxutils import escape

CHUNK = 1024 * 1024
EXIF_HEADER = b"Exif\x00\x00"
XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
XMP_EXT_HEADER = b"http://ns.adobe.com/xmp/extension/\x00"
MPF_HEADER = b"MPF\x00"
MAX_SEGMENT = 65533  # payload bytes of one JPEG marker segment (length field counts itself)

TAG_DESCRIPTION, TAG_ARTIST, TAG_COPYRIGHT, TAG_GPS_IFD = 0x010E, 0x013B, 0x8298, 0x8825
TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8,
              13: 4, 16: 8, 17: 8, 18: 8}

# XMP properties that say where a picture was taken: exif:GPS*, and the IPTC location structures
# (which may carry coordinates). City and country stay: the catalogue shows them publicly.
_XMP_ELEMENT = re.compile(
    rb"<([\w.-]+:(?:GPS\w*|Location|LocationCreated|LocationShown))(?=[\s/>])[^>]*?"
    rb"(?:/>|>.*?</\1\s*>)", re.S)
_XMP_ATTRIBUTE = re.compile(
    rb"\s[\w.-]+:(?:GPS\w*|Location)\s*=\s*(?:\"[^\"]*\"|'[^']*')")


class Credits(NamedTuple):
    """What a downloaded rendition says about itself."""

    title: str
    caption: str
    creator: str
    credit: str
    copyright: str


# --- Renditions: credits in -------------------------------------------------------------

def embed_credits(jpeg: bytes, credits: Credits) -> bytes:
    """A copy of a JPEG with EXIF and XMP credit segments spliced in, scan data untouched."""
    if jpeg[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG")
    head, rest = _split_after_jfif(jpeg)
    # Drop any EXIF or XMP already there: ours replaces it, and old EXIF could hold GPS.
    kept = b"".join(seg for seg in _header_segments(rest) if not _is_exif_or_xmp(seg))
    body_start = _header_length(rest)
    exif = _segment(0xE1, EXIF_HEADER + build_exif(credits))
    xmp = _segment(0xE1, XMP_HEADER + build_xmp(credits))
    return head + exif + xmp + kept + rest[body_start:]


def build_exif(credits: Credits) -> bytes:
    """A little-endian TIFF block with IFD0 ImageDescription, Artist and Copyright (UTF-8)."""
    budget = MAX_SEGMENT - len(EXIF_HEADER) - 200
    artist = _utf8(credits.creator, 2000)
    rights = _utf8(credits.copyright, 2000)
    description = _utf8(credits.caption, budget - len(artist) - len(rights))
    entries = [(t, v) for t, v in ((TAG_DESCRIPTION, description), (TAG_ARTIST, artist),
                                   (TAG_COPYRIGHT, rights)) if v]
    ifd_size = 2 + 12 * len(entries) + 4
    data_offset = 8 + ifd_size
    ifd = struct.pack("<H", len(entries))
    data = b""
    for tag, value in entries:
        value += b"\x00"
        if len(value) <= 4:
            ifd += struct.pack("<HHI", tag, 2, len(value)) + value.ljust(4, b"\x00")
        else:
            ifd += struct.pack("<HHII", tag, 2, len(value), data_offset + len(data))
            data += value + (b"\x00" if len(value) % 2 else b"")
    ifd += struct.pack("<I", 0)
    return b"II*\x00" + struct.pack("<I", 8) + ifd + data


def build_xmp(credits: Credits) -> bytes:
    """An XMP packet with IPTC Core terms: dc:title, dc:description, dc:creator, dc:rights, photoshop:Credit."""
    budget = MAX_SEGMENT - len(XMP_HEADER) - 1500

    def alt(text: str) -> str:
        return f'<rdf:Alt><rdf:li xml:lang="x-default">{escape(text)}</rdf:li></rdf:Alt>'

    fixed = [credits.title[:300], credits.creator[:500], credits.copyright[:500], credits.credit[:500]]
    caption = _fit_escaped(credits.caption, budget - sum(len(escape(f).encode()) for f in fixed))
    props = []
    if credits.title:
        props.append(f"<dc:title>{alt(fixed[0])}</dc:title>")
    if caption:
        props.append(f"<dc:description>{alt(caption)}</dc:description>")
    if credits.creator:
        props.append(f"<dc:creator><rdf:Seq><rdf:li>{escape(fixed[1])}</rdf:li></rdf:Seq></dc:creator>")
    if credits.copyright:
        props.append(f"<dc:rights>{alt(fixed[2])}</dc:rights>")
    if credits.credit:
        props.append(f"<photoshop:Credit>{escape(fixed[3])}</photoshop:Credit>")
    packet = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/">'
        + "".join(props) +
        "</rdf:Description></rdf:RDF></x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    )
    return packet.encode("utf-8")


def _utf8(text: str, limit: int) -> bytes:
    """UTF-8 bytes of text cut to at most limit bytes on a character boundary, without NULs."""
    data = (text or "").replace("\x00", "").encode("utf-8")
    if len(data) <= limit:
        return data
    return data[:max(0, limit)].decode("utf-8", "ignore").encode("utf-8")


def _fit_escaped(text: str, limit: int) -> str:
    """Text cut so that its XML-escaped UTF-8 form fits in limit bytes."""
    text = text or ""
    while len(escape(text).encode("utf-8")) > limit:
        text = text[: max(0, len(text) - max(1, (len(escape(text).encode()) - limit) // 4))]
    return text


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def _split_after_jfif(jpeg: bytes) -> tuple[bytes, bytes]:
    """(SOI plus a leading JFIF APP0 if any, the rest): JFIF readers want APP0 first."""
    pos = 2
    if jpeg[2:4] == b"\xff\xe0" and jpeg[6:11] == b"JFIF\x00":
        pos = 4 + struct.unpack(">H", jpeg[4:6])[0]
    return jpeg[:pos], jpeg[pos:]


def _header_segments(data: bytes) -> Iterator[bytes]:
    """Marker segments (whole, with marker and length) before the first SOS."""
    pos = 0
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xDA:
            return
        length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        yield data[pos:pos + 2 + length]
        pos += 2 + length


def _header_length(data: bytes) -> int:
    return sum(len(s) for s in _header_segments(data))


def _is_exif_or_xmp(segment: bytes) -> bool:
    payload = segment[4:]
    return segment[1] == 0xE1 and (payload.startswith(EXIF_HEADER) or payload.startswith(XMP_HEADER)
                                   or payload.startswith(XMP_EXT_HEADER))


# --- Originals: GPS out ------------------------------------------------------------------

def strip_location(fh: BinaryIO, mime_type: str) -> Iterator[bytes]:
    """The bytes of an original with GPS and location metadata removed, streamed in chunks."""
    if mime_type == "image/jpeg":
        return _jpeg_without_location(fh)
    if mime_type == "image/png":
        return _png_without_location(fh)
    if mime_type == "image/webp":
        return _webp_without_location(fh)
    if mime_type == "image/tiff":
        return _tiff_without_location(fh)
    # GIF has no GPS; video and audio are served as stored (see README: Downloads).
    return _copy(fh)


def blank_xmp_location(xmp: bytes | bytearray) -> bytes:
    """XMP with GPS and location properties replaced by spaces of the same length."""
    def spaces(m: re.Match) -> bytes:
        return b" " * len(m.group(0))

    return _XMP_ATTRIBUTE.sub(spaces, _XMP_ELEMENT.sub(spaces, bytes(xmp)))


def blank_gps_ifd(tiff: bytearray, base: int = 0) -> bool:
    """Remove the GPS IFD of a TIFF/EXIF block in place (zeroed, unlinked); True if one was found."""
    if tiff[base:base + 2] == b"II":
        end = "<"
    elif tiff[base:base + 2] == b"MM":
        end = ">"
    else:
        return False
    try:
        ifd0 = base + struct.unpack_from(end + "I", tiff, base + 4)[0]
        count = struct.unpack_from(end + "H", tiff, ifd0)[0]
        entries = [tiff[ifd0 + 2 + 12 * i: ifd0 + 14 + 12 * i] for i in range(count)]
        next_ifd = tiff[ifd0 + 2 + 12 * count: ifd0 + 6 + 12 * count]
        gps = [e for e in entries if struct.unpack_from(end + "H", e)[0] == TAG_GPS_IFD]
        if not gps:
            return False
        for entry in gps:
            _zero_ifd(tiff, base, base + struct.unpack_from(end + "I", entry, 8)[0], end)
        kept = [e for e in entries if e not in gps]
        # Same total length: fewer entries, the next-IFD pointer, then zero padding.
        block = struct.pack(end + "H", len(kept)) + b"".join(kept) + next_ifd
        block = block.ljust(6 + 12 * count, b"\x00")
        tiff[ifd0:ifd0 + len(block)] = block
        return True
    except (struct.error, IndexError):
        return False


def _zero_ifd(buf: bytearray, base: int, offset: int, end: str) -> None:
    """Zero an IFD and the out-of-line values its entries point to."""
    if not base <= offset < len(buf) - 2:
        return
    count = struct.unpack_from(end + "H", buf, offset)[0]
    for i in range(count):
        pos = offset + 2 + 12 * i
        if pos + 12 > len(buf):
            break
        _tag, typ, n = struct.unpack_from(end + "HHI", buf, pos)
        size = TYPE_SIZES.get(typ, 1) * n
        if size > 4:
            value_at = base + struct.unpack_from(end + "I", buf, pos + 8)[0]
            if base <= value_at and value_at + size <= len(buf):
                buf[value_at:value_at + size] = bytes(size)
    stop = min(len(buf), offset + 6 + 12 * count)
    buf[offset:stop] = bytes(stop - offset)


def _copy(fh: BinaryIO) -> Iterator[bytes]:
    while chunk := fh.read(CHUNK):
        yield chunk


def _read_exact(fh: BinaryIO, n: int) -> bytes:
    data = fh.read(n)
    if len(data) != n:
        raise ValueError("truncated file")
    return data


def _jpeg_without_location(fh: BinaryIO) -> Iterator[bytes]:
    """Header segments cleaned in place; scan data copied up to the primary image's EOI.

    Anything after the EOI (MPF secondary images, motion-photo videos, vendor trailers) is
    dropped with the MPF index: those parts carry their own EXIF, GPS included.
    """
    if _read_exact(fh, 2) != b"\xff\xd8":
        raise ValueError("not a JPEG")
    header = bytearray(b"\xff\xd8")
    announced_trailer = False
    while True:
        marker = _read_exact(fh, 2)
        while marker[1] == 0xFF:  # fill bytes before a marker
            marker = marker[1:] + _read_exact(fh, 1)
        if marker[0] != 0xFF:
            raise ValueError("bad JPEG marker")
        if 0xD0 <= marker[1] <= 0xD7 or marker[1] == 0x01:
            header += marker
            continue
        if marker[1] == 0xD9:
            raise ValueError("JPEG ends before its image data")
        length_bytes = _read_exact(fh, 2)
        payload = bytearray(_read_exact(fh, struct.unpack(">H", length_bytes)[0] - 2))
        if marker[1] == 0xE1 and payload.startswith(EXIF_HEADER):
            blank_gps_ifd(payload, len(EXIF_HEADER))
        elif marker[1] == 0xE1 and payload.startswith(XMP_HEADER):
            announced_trailer |= any(word in payload for word in _TRAILER_WORDS)
            payload = bytearray(blank_xmp_location(payload))
        elif marker[1] == 0xE1 and payload.startswith(XMP_EXT_HEADER):
            continue
        elif marker[1] == 0xE2 and payload.startswith(MPF_HEADER):
            announced_trailer = True
            continue
        header += marker + length_bytes + payload
        if marker[1] == 0xDA:
            break
    yield bytes(header)
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


# XMP words that announce data after the EOI: Google motion photos and micro-videos.
_TRAILER_WORDS = (b"MicroVideo", b"MotionPhoto", b"Container:Directory", b"GContainer")


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
    """PNG chunks copied, except eXIf and text chunks (which hold EXIF and XMP packets)."""
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
        drop = kind in (b"eXIf", b"tEXt", b"zTXt", b"iTXt")
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
    """WebP with its EXIF and XMP chunks dropped and the VP8X flags and RIFF size fixed."""
    data = _mapped(fh)
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError("not a WebP")
    end = min(len(data), 8 + struct.unpack_from("<I", data, 4)[0])
    kept: list[tuple[int, int]] = []  # (start, stop) of each chunk kept, header included
    pos = 12
    while pos + 8 <= end:
        kind, size = struct.unpack_from("<4sI", data, pos)
        stop = min(end, pos + 8 + size + (size & 1))
        if kind not in (b"EXIF", b"XMP "):
            kept.append((pos, stop))
            if kind == b"VP8X" and stop - pos > 8:
                data[pos + 8] &= ~0x0C & 0xFF  # clear the EXIF (0x08) and XMP (0x04) flags
        pos = stop
    yield b"RIFF" + struct.pack("<I", 4 + sum(b - a for a, b in kept)) + b"WEBP"
    for start, stop in kept:
        for at in range(start, stop, CHUNK):
            yield bytes(data[at:min(stop, at + CHUNK)])


def _tiff_without_location(fh: BinaryIO) -> Iterator[bytes]:
    """A TIFF with its GPS IFD zeroed and unlinked and its XMP location blanked, in place."""
    data = _mapped(fh)
    blank_gps_ifd(data, 0)
    end = "<" if data[:2] == b"II" else ">"
    try:
        ifd0 = struct.unpack_from(end + "I", data, 4)[0]
        count = struct.unpack_from(end + "H", data, ifd0)[0]
        for i in range(count):
            tag, _typ, n, offset = struct.unpack_from(end + "HHII", data, ifd0 + 2 + 12 * i)
            if tag == 700 and n > 4 and offset + n <= len(data):  # the XMP packet
                data[offset:offset + n] = blank_xmp_location(data[offset:offset + n])
    except struct.error:
        pass
    for start in range(0, len(data), CHUNK):
        yield bytes(data[start:start + CHUNK])


def _mapped(fh: BinaryIO) -> mmap.mmap | bytearray:
    """A private, writable view of the file: copy-on-write pages, so edits never reach the disk."""
    try:
        return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_COPY)
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        fh.seek(0)
        return bytearray(fh.read())
