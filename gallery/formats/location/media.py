"""Location out of video and audio originals; the audio and video data stay byte-identical.

MP4, MOV and M4A: location boxes become `free` boxes of the same length with zeroed payloads, and
XMP and QuickTime location values are blanked in place, so no chunk offset (stco/co64) moves.
WebM and Matroska: location tags are blanked in place (webm.py).
AVI: RIFF INFO entries, XMP and iXML location values are blanked in place, as in WAV.
MP3, WAV and Ogg: location tags and XMP properties are removed with mutagen or in place.
"""
from __future__ import annotations

import re
import shutil
import struct
from typing import BinaryIO

import mutagen
from mutagen.id3 import ID3, ID3NoHeaderError
from mutagen.wave import WAVE

from gallery.formats.location.common import (
    MAX_READ,
    MediaCleanError,
    blank_xmp_location,
    is_location_tag,
)
from gallery.formats.location.webm import webm_edits

MP4_TYPES = ("video/mp4", "video/quicktime", "audio/mp4")
XMP_UUID = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")
# Boxes whose whole payload is a place: ISO 6709 text (QuickTime/Android), 3GPP location,
# and the GPS boxes some dash cameras write.
LOCATION_BOXES = {b"\xa9xyz", b"loci", b"gps ", b"GPS "}
CONTAINERS = {b"moov", b"trak", b"udta", b"meta", b"ilst", b"mdia", b"minf", b"edts"}
CHUNK = 1024 * 1024
_IXML_LOCATION = re.compile(rb"<LOCATION\b.*?</LOCATION\s*>", re.DOTALL | re.IGNORECASE)

def strip_media_location(src: str, mime_type: str, dest: str) -> bool:
    """Write a location-free copy of src to dest; False (dest untouched) when src has no location."""
    in_place = {"video/webm": webm_edits, "video/x-matroska": webm_edits,
                "video/x-msvideo": _avi_edits}.get(mime_type) or (mp4_edits if mime_type in MP4_TYPES else None)
    if in_place is not None:
        with open(src, "rb") as fh:
            edits = in_place(fh)
        if not edits:
            return False
        copy_with_edits(src, dest, edits)
        return True
    cleaner = {"audio/mpeg": _clean_mp3, "audio/wav": _clean_wav, "audio/ogg": _clean_ogg}.get(mime_type)
    if cleaner is None:
        return False
    shutil.copyfile(src, dest)
    return cleaner(dest)



# --- MP4 family ------------------------------------------------------------------------

def mp4_edits(fh: BinaryIO) -> list[tuple[int, bytes]]:
    """(offset, bytes) patches that blank every location box or value, each the same length."""
    fh.seek(0, 2)
    edits: list[tuple[int, bytes]] = []
    _walk(fh, 0, fh.tell(), edits, top=True)
    return edits


def boxes(fh: BinaryIO, start: int, end: int, top: bool = False):
    """(offset, header length, size, type) of each box between start and end."""
    pos = start
    while pos + 8 <= end:
        fh.seek(pos)
        head = fh.read(8)
        size, kind = struct.unpack(">I4s", head)
        header = 8
        if size == 1:
            size = struct.unpack(">Q", fh.read(8))[0]
            header = 16
        elif size == 0:
            size = end - pos  # the box runs to the end of its parent (or file)
        if size < header or pos + size > end:
            if top and kind == b"mdat":
                size = end - pos  # a truncated last mdat is still playable; nothing follows it
            else:
                raise MediaCleanError(f"a {kind.decode('latin-1')!r} box overruns its parent")
        yield pos, header, size, kind
        pos += size


def _walk(fh: BinaryIO, start: int, end: int, edits: list[tuple[int, bytes]], top: bool = False) -> None:
    for pos, header, size, kind in boxes(fh, start, end, top):
        body = pos + header
        if kind in LOCATION_BOXES:
            edits.append(_to_free(pos, header, size))
        elif kind == b"uuid" and size - header >= 16:
            fh.seek(body)
            if fh.read(16) == XMP_UUID:
                _blank_xmp(fh, pos, header, header + 16, size, edits)
        elif kind == b"XMP_":
            _blank_xmp(fh, pos, header, header, size, edits)
        elif kind == b"meta":
            _walk_meta(fh, body, pos + size, edits)
        elif kind == b"----":
            _freeform(fh, pos, header, size, edits)
        elif kind in CONTAINERS:
            _walk(fh, body, pos + size, edits)


def _walk_meta(fh: BinaryIO, body: int, end: int, edits: list[tuple[int, bytes]]) -> None:
    """A meta box: ISO (version and flags first) or QuickTime (children at once), with mdta keys."""
    fh.seek(body)
    if fh.read(8)[4:8] != b"hdlr":
        body += 4  # ISO full box: skip version and flags
    keys: dict[int, str] = {}
    children = list(boxes(fh, body, end))
    for pos, header, size, kind in children:
        if kind == b"keys":
            keys = _read_keys(fh, pos + header, pos + size)
    for pos, header, size, kind in children:
        if kind == b"ilst" and keys:
            for ipos, iheader, isize, ikind in boxes(fh, pos + header, pos + size):
                name = keys.get(struct.unpack(">I", ikind)[0], "")
                if is_location_tag(name):
                    _blank_data_values(fh, ipos + iheader, ipos + isize, edits)
            continue
        if kind in LOCATION_BOXES or kind in CONTAINERS or kind in (b"uuid", b"XMP_"):
            _walk(fh, pos, pos + size, edits)


def _read_keys(fh: BinaryIO, body: int, end: int) -> dict[int, str]:
    """The mdta keys box: 1-based index -> key name (com.apple.quicktime.location.ISO6709, ...)."""
    fh.seek(body + 4)
    count = struct.unpack(">I", fh.read(4))[0]
    keys, pos = {}, body + 8
    for index in range(1, count + 1):
        if pos + 8 > end:
            break
        fh.seek(pos)
        size, _namespace = struct.unpack(">I4s", fh.read(8))
        if size < 8 or pos + size > end:
            raise MediaCleanError("a QuickTime metadata key overruns its box")
        keys[index] = fh.read(size - 8).decode("utf-8", "replace")
        pos += size
    return keys


def _blank_data_values(fh: BinaryIO, start: int, end: int, edits: list[tuple[int, bytes]]) -> None:
    """Zero the values of an item's data boxes, keeping the boxes so readers still parse the list."""
    for pos, header, size, kind in boxes(fh, start, end):
        if kind == b"data" and size > header + 8:
            value_at = pos + header + 8  # after the type indicator and locale
            edits.append((value_at, bytes(pos + size - value_at)))


def _freeform(fh: BinaryIO, pos: int, header: int, size: int, edits: list[tuple[int, bytes]]) -> None:
    """An iTunes '----' item (mean, name, data): blanked whole when its name gives a place."""
    for cpos, cheader, csize, ckind in boxes(fh, pos + header, pos + size):
        if ckind == b"name" and csize - cheader <= 4096:
            fh.seek(cpos + cheader + 4)
            if is_location_tag(fh.read(csize - cheader - 4).decode("utf-8", "replace")):
                edits.append(_to_free(pos, header, size))
            return


def _blank_xmp(fh: BinaryIO, pos: int, header: int, skip: int, size: int,
               edits: list[tuple[int, bytes]]) -> None:
    """XMP inside a box (from pos + skip): location blanked with spaces; a huge packet goes whole."""
    if size - skip > MAX_READ:
        edits.append(_to_free(pos, header, size))
        return
    fh.seek(pos + skip)
    xmp = fh.read(size - skip)
    blanked = blank_xmp_location(xmp)
    if blanked != xmp:
        edits.append((pos + skip, blanked))


def _to_free(pos: int, header: int, size: int) -> tuple[int, bytes]:
    """The same box renamed `free` with a zeroed payload (a 64-bit size field stays as it is)."""
    if header == 16:
        return pos + 4, b"free" + struct.pack(">Q", size) + bytes(size - 16)
    return pos + 4, b"free" + bytes(size - 8)


def copy_with_edits(src: str, dest: str, edits: list[tuple[int, bytes]]) -> None:
    """Copy src to dest with each (offset, bytes) patch applied; the rest is copied as is."""
    with open(src, "rb") as fin, open(dest, "wb") as fout:
        shutil.copyfileobj(fin, fout, CHUNK)
        for offset, data in edits:
            fout.seek(offset)
            fout.write(data)
        fout.flush()


# --- MP3, WAV, Ogg ------------------------------------------------------------------------

def _clean_id3(tags) -> bool:
    """Remove location frames from ID3 tags and blank XMP location; True if anything changed."""
    changed = False
    for key, frame in list(tags.items()):
        fid = frame.FrameID
        if fid in ("TXXX", "WXXX", "COMM") and (is_location_tag(frame.desc) or
                                        any(is_location_tag("", str(t)) for t in _texts(frame))):
            del tags[key]
            changed = True
        elif fid == "PRIV" and _looks_xmp(frame.data):
            blanked = blank_xmp_location(frame.data)
            changed |= blanked != frame.data
            frame.data = blanked
        elif fid == "GEOB" and (_looks_xmp(frame.data) or is_location_tag(frame.desc)):
            if is_location_tag(frame.desc):
                del tags[key]
                changed = True
                continue
            blanked = blank_xmp_location(frame.data)
            changed |= blanked != frame.data
            frame.data = blanked
        elif fid.startswith("T") and any(is_location_tag("", str(t)) for t in _texts(frame)):
            del tags[key]
            changed = True
    return changed


def _texts(frame) -> list:
    return list(getattr(frame, "text", None) or [getattr(frame, "url", "")])


def _looks_xmp(data: bytes) -> bool:
    return b"x:xmpmeta" in data or b"<rdf:RDF" in data


def _id3_version(tags) -> int:
    return 3 if tags.version[1] == 3 else 4


def _clean_mp3(path: str) -> bool:
    try:
        tags = ID3(path)
    except ID3NoHeaderError:
        return False
    except Exception as exc:  # mutagen raises its own error per damaged tag
        raise MediaCleanError(f"its ID3 tag cannot be read ({exc})") from exc
    if not _clean_id3(tags):
        return False
    tags.save(path, v2_version=_id3_version(tags), v1=1)
    return True


def _clean_ogg(path: str) -> bool:
    try:
        audio = mutagen.File(path)
    except Exception as exc:
        raise MediaCleanError(f"its Ogg comments cannot be read ({exc})") from exc
    if audio is None or audio.tags is None:
        return False
    kept = [(k, v) for k, v in audio.tags if not is_location_tag(k, v)]
    if len(kept) == len(list(audio.tags)):
        return False
    audio.tags.clear()
    audio.tags.extend(kept)
    audio.save()
    return True


def _clean_wav(path: str) -> bool:
    """ID3 chunk through mutagen; LIST/INFO, XMP (_PMX) and iXML blanked in place."""
    changed = False
    try:
        audio = WAVE(path)
        if audio.tags is not None and _clean_id3(audio.tags):
            audio.save(v2_version=_id3_version(audio.tags))
            changed = True
    except Exception as exc:
        raise MediaCleanError(f"its WAV chunks cannot be read ({exc})") from exc
    with open(path, "r+b") as fh:
        edits = _wav_edits(fh)
        for offset, data in edits:
            fh.seek(offset)
            fh.write(data)
    return changed or bool(edits)


def _wav_edits(fh: BinaryIO) -> list[tuple[int, bytes]]:
    return _riff_edits(fh, b"WAVE")


def _avi_edits(fh: BinaryIO) -> list[tuple[int, bytes]]:
    """AVI is RIFF too: the same INFO, XMP (_PMX) and iXML chunks, at the top or in the header list."""
    return _riff_edits(fh, b"AVI ")


def _riff_edits(fh: BinaryIO, form: bytes) -> list[tuple[int, bytes]]:
    fh.seek(0, 2)
    end = fh.tell()
    fh.seek(0)
    head = fh.read(12)
    if head[:4] != b"RIFF" or head[8:12] != form:
        raise MediaCleanError(f"not a RIFF {form.decode().strip()} file")
    return _riff_chunks(fh, 12, end)


def _riff_chunks(fh: BinaryIO, pos: int, end: int) -> list[tuple[int, bytes]]:
    edits: list[tuple[int, bytes]] = []
    while pos + 8 <= end:
        fh.seek(pos)
        kind, size = struct.unpack("<4sI", fh.read(8))
        body, stop = pos + 8, min(end, pos + 8 + size)
        if kind in (b"_PMX", b"iXML") and size <= MAX_READ:
            data = fh.read(stop - body)
            blanked = blank_xmp_location(data) if kind == b"_PMX" else _IXML_LOCATION.sub(
                lambda m: b" " * len(m.group(0)), data)
            if blanked != data:
                edits.append((body, blanked))
        elif kind == b"LIST" and size <= MAX_READ:
            form = fh.read(4)
            if form == b"INFO":
                edits += _info_edits(fh, body + 4, stop)
            elif form == b"hdrl":  # an AVI's header list may hold its own INFO list
                edits += _riff_chunks(fh, body + 4, stop)
        pos = stop + (size & 1)
    return edits


def _info_edits(fh: BinaryIO, start: int, end: int) -> list[tuple[int, bytes]]:
    """LIST/INFO entries that give a place: their text zeroed, their ids kept."""
    edits, pos = [], start
    while pos + 8 <= end:
        fh.seek(pos)
        kind, size = struct.unpack("<4sI", fh.read(8))
        value = fh.read(min(size, end - pos - 8))
        text = value.rstrip(b"\x00").decode("utf-8", "replace")
        if is_location_tag(kind.decode("latin-1"), text):
            edits.append((pos + 8, bytes(len(value))))
        pos += 8 + size + (size & 1)
    return edits
