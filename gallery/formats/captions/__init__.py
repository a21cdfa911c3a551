"""Credits into originals without re-encoding: one entry point that picks the writer for the MIME type.

JPEG: EXIF IFD0 fields edited, XMP and IPTC IIM segments replaced (jpeg.py); PNG: eXIf, XMP iTXt
and IPTC zTXt chunks (png.py); WebP: EXIF and XMP chunks with the VP8X flags (webp.py); TIFF:
IFD0 fields, XMP and IPTC tags (tiff.py); HEIC/HEIF: an XMP item in the meta box (heif.py); MP4,
MOV and M4A: the ©nam/©cmt/©ART/cprt atoms (transcode.rewrite_credits) and a top-level XMP box
(mp4.py, written by rewrite_credits); MP3 and WAV: ID3v2.4 frames, Ogg: Vorbis comments (audio.py). Every other type, and a
file whose structure a writer does not follow, is served as stored (a zip adds a sidecar .xmp).
Image and sound data are copied byte for byte.
"""
from __future__ import annotations

import shutil

from gallery.formats.captions import audio, heif, jpeg, png, tiff, webp
from gallery.formats.credits import Credits

IMAGE_WRITERS = {"image/jpeg": jpeg.write, "image/png": png.write, "image/webp": webp.write,
                 "image/tiff": tiff.write, "image/heic": heif.write, "image/heif": heif.write}
MEDIA_TYPES = ("video/mp4", "video/quicktime", "audio/mp4", "audio/x-m4a")


def carries(mime_type: str) -> bool:
    """Whether originals of this type get the credits written in (else a sidecar travels with them)."""
    return mime_type in IMAGE_WRITERS or mime_type in MEDIA_TYPES or mime_type in audio.TYPES


def with_credits(src: str, mime_type: str, credits: Credits, dest: str) -> bool:
    """Write src with credits in to dest; False (and no dest) when the type or the file cannot take them.

    A file whose structure cannot be read raises ValueError, as the location cleaners do.
    """
    writer = IMAGE_WRITERS.get(mime_type)
    if writer is not None:
        with open(src, "rb") as fh, open(dest, "wb") as out:
            written = writer(fh, out, credits)
        return written
    if mime_type in MEDIA_TYPES:
        from mutagen import MutagenError

        from gallery.formats.transcode import rewrite_credits  # PyAV loads only for video and audio

        shutil.copyfile(src, dest)
        try:
            rewrite_credits(dest, credits)
        except MutagenError as exc:  # a box structure mutagen cannot follow: as unreadable as any
            raise ValueError(f"its atoms cannot be rewritten ({exc})") from exc
        return True
    if mime_type in audio.TYPES:
        shutil.copyfile(src, dest)
        audio.write(dest, mime_type, credits)
        return True
    return False
