"""Understand one file: sniff its type from the bytes, check it, read its facts and metadata."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Mapping

from PIL import Image

from gallery.exceptions import TooLarge, UnsupportedMedia
from gallery.formats import imaging
from gallery.formats.imagemeta import CountryLookup
from gallery.text import human_bytes

# kind -> (media type, MIME type, extension); the allowlist.
KINDS = {
    "jpeg": ("image", "image/jpeg", "jpg"),
    "png": ("image", "image/png", "png"),
    "webp": ("image", "image/webp", "webp"),
    "gif": ("image", "image/gif", "gif"),
    "tiff": ("image", "image/tiff", "tif"),
    "heif": ("image", "image/heic", "heic"),
    "mp4": ("video", "video/mp4", "mp4"),
    "mov": ("video", "video/quicktime", "mov"),
    "webm": ("video", "video/webm", "webm"),
    "mkv": ("video", "video/x-matroska", "mkv"),
    "avi": ("video", "video/x-msvideo", "avi"),
    "m4a": ("audio", "audio/mp4", "m4a"),
    "mp3": ("audio", "audio/mpeg", "mp3"),
    "wav": ("audio", "audio/wav", "wav"),
    "ogg": ("audio", "audio/ogg", "ogg"),
}
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P "}
QT_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}


@dataclass
class Probed:
    """Facts about one accepted file, as displayed (after orientation), and its embedded metadata."""

    media_type: str
    mime_type: str
    ext: str
    width: int | None
    height: int | None
    duration: float | None = None
    codec: str | None = None
    camera: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    kind: str = ""
    orientation: int = 1
    # An image's checked decode, kept so renditions.make_renditions need not decode the file again.
    frame: Image.Image | None = field(default=None, repr=False, compare=False)


def probe(path: str, display_name: str, config: Mapping,
          country_code: CountryLookup | None = None) -> Probed:
    """Sniff, check and describe a file, or raise UnsupportedMedia / TooLarge naming it.

    config: the limits (MAX_IMAGE_BYTES, MAX_VIDEO_BYTES, MAX_IMAGE_PIXELS) and the rendition
    sizes made at ingest; country_code: see imagemeta.CountryLookup.
    """
    name = display_name or "The file"
    with open(path, "rb") as f:
        head = f.read(4096)
    kind = sniff(head, name)
    media_type, mime, ext = KINDS[kind]
    size = os.path.getsize(path)
    limit = config["MAX_IMAGE_BYTES"] if media_type == "image" else config["MAX_VIDEO_BYTES"]
    if size > limit:
        raise TooLarge(f"{name}: {media_type} files may be at most {human_bytes(limit)}.")
    if media_type == "image":
        facts = imaging.probe_image(path, name, config["MAX_IMAGE_PIXELS"], _ingest_edge(config),
                                    country_code)
        return Probed("image", facts.mime_type, facts.ext, facts.width, facts.height,
                      camera=facts.camera, metadata=facts.metadata, codec=facts.format.lower(),
                      kind=kind, orientation=facts.orientation, frame=facts.frame)
    # Imported on first use: PyAV's FFmpeg costs about 23 MiB resident, which image-only
    # processes never pay.
    from gallery.formats import avmedia

    av_facts = avmedia.probe_av(path, name, media_type)
    if av_facts.media_type != media_type:
        # An MP4 or MOV holding only sound is audio; an "audio" MP4 with a picture track is video.
        media_type = av_facts.media_type
        kind = {"audio": "m4a", "video": "mp4"}[media_type] if kind in ("mp4", "mov", "m4a") else kind
        _, mime, ext = KINDS[kind]
    return Probed(media_type, mime, ext, av_facts.width, av_facts.height, av_facts.duration,
                  av_facts.codec, None, av_facts.metadata, kind)


def _ingest_edge(config: Mapping) -> int | None:
    """Long edge of the largest rendition made at ingest (the frame probe keeps for it)."""
    sizes = config.get("RENDITION_SIZES") or {}
    at_ingest = config.get("RENDITIONS_AT_INGEST") or tuple(sizes)
    edges = [edge for name, edge in sizes.items() if name in at_ingest]
    return max(edges) if edges else None


def sniff(head: bytes, name: str) -> str:
    """The allowed kind of file these first bytes start, or UnsupportedMedia saying what it is."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"  # played from its web proxy; the codec inside is checked by decoding a frame
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if head[4:8] == b"ftyp":
        return _iso_kind(head, name)
    if head[4:8] in QT_ATOMS:
        return "mov"  # QuickTime files from old cameras start without an ftyp box
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm" if b"webm" in head[:64] else "mkv"
    if head.startswith(b"OggS"):
        if b"OpusHead" in head or b"\x01vorbis" in head:
            return "ogg"
        raise UnsupportedMedia(f"{name}: only Ogg Vorbis or Opus audio is accepted.")
    if head.startswith(b"ID3") or _mp3_frame(head):
        return "mp3"
    what = _what(head)
    reason = f"{what} not accepted" if what else "not a type of file we accept"
    raise UnsupportedMedia(f"{name}: {reason}. Accepted: JPEG, PNG, WebP, GIF, TIFF, HEIC images; "
                           "MP4, MOV, WebM, MKV, AVI video; MP3, M4A, WAV, Ogg audio.")


def _iso_kind(head: bytes, name: str) -> str:
    """Tell HEIF, MP4, MOV and M4A apart by the ftyp box's brands."""
    box = int.from_bytes(head[:4], "big")
    major = head[8:12]
    compatible = {head[i:i + 4] for i in range(16, min(box, len(head)), 4)}
    brands = {major} | compatible
    if brands & (HEIF_BRANDS - {b"mif1", b"msf1"}):
        return "heif"
    if b"avif" in brands or b"avis" in brands:
        raise UnsupportedMedia(f"{name}: AVIF images are not accepted.")
    if major in (b"mif1", b"msf1"):
        return "heif"
    if major == b"qt  ":
        return "mov"
    if major in AUDIO_BRANDS:
        return "m4a"
    return "mp4"


def _mp3_frame(head: bytes) -> bool:
    """An MPEG audio layer III frame header at the start (a file without ID3 tags)."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 3, (head[1] >> 1) & 3
    bitrate, rate = head[2] >> 4, (head[2] >> 2) & 3
    return version != 1 and layer == 1 and bitrate not in (0, 15) and rate != 3


def _what(head: bytes) -> str:
    """A short name for a refused file, so the message says what it was ("" when unknown)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"%PDF"):
        return "PDF documents are"
    if head.startswith(b"%!PS") or head.startswith(b"\xc5\xd0\xd3\xc6"):
        return "PostScript and EPS files are"
    if b"<svg" in text[:1024] or (text.startswith(b"<?xml") and b"svg" in text):
        return "SVG images are"
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script")):
        return "HTML pages are"
    if head.startswith(b"MZ"):
        return "Windows programs are"
    if head.startswith(b"\x7fELF"):
        return "programs (ELF) are"
    if head[:4] in (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe"):
        return "programs (Mach-O) are"
    if head.startswith(b"#!"):
        return "scripts are"
    if head.startswith(b"PK\x03\x04"):
        return "zip archives are"
    if head.startswith(b"fLaC"):
        return "FLAC audio is"
    if head.startswith(b"BM"):
        return "BMP images are"
    if not head:
        return "empty files are"
    return ""
