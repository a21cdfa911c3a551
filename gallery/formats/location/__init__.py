"""Location out of originals: one entry point that picks the cleaner for the file's MIME type."""
from __future__ import annotations

import filecmp

from gallery.formats.location import heif, images, media

IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/tiff", "image/gif")
HEIF_TYPES = ("image/heic", "image/heif")


def without_location(src: str, mime_type: str, dest: str) -> bool:
    """Write a location-free copy of src to dest; False when src holds no location."""
    if mime_type == "image/jpeg":
        # Most photos hold no location: a read of the header saves writing and comparing a copy.
        with open(src, "rb") as fh:
            if images.jpeg_is_clean(fh):
                return False
    if mime_type in IMAGE_TYPES:
        with open(src, "rb") as fh, open(dest, "wb") as out:
            out.writelines(images.strip_location(fh, mime_type))
        # strip_location rewrites what it reads; an unchanged copy means nothing was there.
        return not filecmp.cmp(src, dest, shallow=False)
    if mime_type in HEIF_TYPES:
        with open(src, "rb") as fh:
            edits = heif.heif_edits(fh)
        if edits:
            media.copy_with_edits(src, dest, edits)
        return bool(edits)
    return media.strip_media_location(src, mime_type, dest)
