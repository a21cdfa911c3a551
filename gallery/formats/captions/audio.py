"""Credits into MP3, WAV and Ogg originals with mutagen; the audio frames and pages are copied as they were.

MP3 and WAV: ID3v2.4 (title TIT2, caption COMM, creator TPE1, copyright TCOP, TXXX frames for
credit, usage terms, keywords, city and country, and the whole XMP packet in a PRIV "XMP" frame,
which exiftool reads as XMP); a WAV's own XMP chunk becomes JUNK. Ogg Vorbis and Opus: Vorbis
comments (TITLE, DESCRIPTION, ARTIST, COPYRIGHT, LICENSE, CREDIT, KEYWORDS, CITY, COUNTRY).
Frames and comments of those names already there give way.
"""
from __future__ import annotations

import struct

import mutagen
from mutagen.id3 import COMM, ID3, PRIV, TCOP, TIT2, TPE1, TXXX, ID3NoHeaderError
from mutagen.wave import WAVE

from gallery.formats.credits import Credits, build_xmp, safe_text
from gallery.formats.location.common import MAX_READ

TYPES = ("audio/mpeg", "audio/wav", "audio/ogg")
TXXX_FIELDS = ("Credit", "Usage terms", "Keywords", "City", "Country")
VORBIS_FIELDS = ("TITLE", "DESCRIPTION", "COMMENT", "ARTIST", "COPYRIGHT", "LICENSE", "CREDIT",
                 "KEYWORDS", "CITY", "COUNTRY")


def write(path: str, mime_type: str, credits: Credits) -> None:
    """Write the credits into the file at path (in place); ValueError when its tags cannot be read."""
    try:
        if mime_type == "audio/mpeg":
            try:
                tags = ID3(path)
            except ID3NoHeaderError:
                tags = ID3()
            _id3(tags, credits)
            tags.save(path, v2_version=4, v1=1)
        elif mime_type == "audio/wav":
            audio = WAVE(path)
            if audio.tags is None:
                audio.add_tags()
            _id3(audio.tags, credits)
            audio.save(v2_version=4)
            _junk_riff_xmp(path)
        else:
            audio = mutagen.File(path)
            if audio is None or not hasattr(audio, "tags"):
                raise ValueError("not an Ogg stream mutagen knows")
            if audio.tags is None:
                audio.add_tags()
            for name in VORBIS_FIELDS:
                if name in audio.tags:
                    del audio.tags[name]
            for name, value in _values(credits).items():
                audio.tags[name] = [value]
            audio.save()
    except mutagen.MutagenError as exc:
        raise ValueError(f"its tags cannot be rewritten ({exc})") from exc


def _junk_riff_xmp(path: str) -> None:
    """A WAV's own XMP chunk (_PMX) becomes a JUNK chunk of zeros: the ID3 frame's packet is the one."""
    with open(path, "r+b") as fh:
        fh.seek(0, 2)
        end = fh.tell()
        pos = 12
        while pos + 8 <= end:
            fh.seek(pos)
            kind, size = struct.unpack("<4sI", fh.read(8))
            if kind == b"_PMX":
                if size > MAX_READ or pos + 8 + size > end:
                    raise ValueError("its XMP chunk is too large or cut short")
                fh.seek(pos)
                fh.write(b"JUNK" + struct.pack("<I", size) + bytes(size))
            pos += 8 + size + (size & 1)


def _values(credits: Credits) -> dict[str, str]:
    text = {"TITLE": credits.title, "DESCRIPTION": credits.caption, "ARTIST": credits.creator,
            "COPYRIGHT": credits.copyright, "LICENSE": credits.usage_terms, "CREDIT": credits.credit,
            "KEYWORDS": ", ".join(credits.keywords), "CITY": credits.city, "COUNTRY": credits.country}
    return {k: safe_text(v) for k, v in text.items() if v and safe_text(v)}


def _id3(tags: ID3, credits: Credits) -> None:
    for frame_id in ("TIT2", "COMM", "TPE1", "TCOP"):
        tags.delall(frame_id)
    for key in [k for k in tags if k.startswith("TXXX:") and tags[k].desc in TXXX_FIELDS]:
        del tags[key]
    for key in [k for k in tags if k.startswith("PRIV:") and tags[k].owner == "XMP"]:
        del tags[key]
    values = _values(credits)
    plain = {"TITLE": TIT2, "ARTIST": TPE1, "COPYRIGHT": TCOP}
    for name, frame in plain.items():
        if name in values:
            tags.add(frame(encoding=3, text=[values[name]]))
    if "DESCRIPTION" in values:
        tags.add(COMM(encoding=3, lang="und", desc="", text=[values["DESCRIPTION"]]))
    for desc, name in zip(TXXX_FIELDS, ("CREDIT", "LICENSE", "KEYWORDS", "CITY", "COUNTRY")):
        if name in values:
            tags.add(TXXX(encoding=3, desc=desc, text=[values[name]]))
    tags.add(PRIV(owner="XMP", data=build_xmp(credits)))
