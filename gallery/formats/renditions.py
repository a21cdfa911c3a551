"""JPEG renditions of any accepted file: the image itself, a video's poster, an audio waveform."""
from __future__ import annotations

from gallery.formats import imaging
from gallery.formats.imaging import Rendered
from gallery.formats.probe import Probed


def make_renditions(path: str, probed: Probed, sizes: dict[str, int], quality: int,
                    max_pixels: int = 120_000_000) -> list[Rendered]:
    """Every named size as JPEG bytes, largest first; an image reuses the frame probe kept."""
    if not sizes:
        return []
    if probed.media_type == "image":
        frame, probed.frame = probed.frame, None  # used once, then its memory is released
        needed = min(max(sizes.values()), max(probed.width or 0, probed.height or 0))
        if frame is not None and max(frame.size) >= needed:
            stored = (probed.height, probed.width) if probed.orientation >= 5 else (probed.width, probed.height)
            return imaging.renditions_from_image(frame, sizes, quality, probed.orientation, stored)
        return imaging.make_renditions(path, sizes, quality, max_pixels)
    # Imported on first use: PyAV's FFmpeg costs about 23 MiB resident, which image-only
    # processes never pay.
    from gallery.formats import avmedia

    return avmedia.make_renditions(path, probed.media_type, sizes, quality)
