"""Pillow only: open images, make renditions. (Metadata reading grows here in the ingest issue.)"""
from __future__ import annotations

import io
from typing import NamedTuple

from PIL import Image, ImageCms, ImageOps

SRGB = ImageCms.createProfile("sRGB")


class Rendered(NamedTuple):
    """A rendition made in memory."""

    size: str
    data: bytes
    width: int
    height: int


def to_srgb(im: Image.Image) -> Image.Image:
    """Return an RGB image in sRGB: ICC converted, CMYK/palette converted, alpha flattened on white."""
    icc = im.info.get("icc_profile")
    if icc and im.mode in ("RGB", "RGBA", "CMYK", "L"):
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            out_mode = "RGBA" if im.mode == "RGBA" else "RGB"
            im = ImageCms.profileToProfile(im, src, SRGB, outputMode=out_mode)
        except (ImageCms.PyCMSError, OSError):
            pass  # a broken profile is ignored: the pixels are still usable
    if im.mode in ("P", "PA", "LA", "La", "RGBa"):
        im = im.convert("RGBA")
    if im.mode == "RGBA":
        background = Image.new("RGB", im.size, (255, 255, 255))
        background.paste(im, mask=im.getchannel("A"))
        return background
    if im.mode != "RGB":
        im = im.convert("RGB")
    return im


def fit(size: tuple[int, int], long_edge: int) -> tuple[int, int]:
    """Dimensions scaled so the long edge is at most long_edge; never upscaled."""
    w, h = size
    scale = min(1.0, long_edge / max(w, h))
    return max(1, round(w * scale)), max(1, round(h * scale))


def encode_jpeg(im: Image.Image, quality: int = 85) -> bytes:
    """Progressive sRGB JPEG with no metadata at all (no EXIF, GPS, XMP or maker notes)."""
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality, progressive=True, optimize=False,
            icc_profile=ImageCms.ImageCmsProfile(SRGB).tobytes())
    return buf.getvalue()


def make_renditions(source: str, sizes: dict[str, int], quality: int = 85) -> list[Rendered]:
    """Make every named size from an image file, largest first, each derived from the previous."""
    with Image.open(source) as im:
        largest = max(sizes.values())
        if im.format == "JPEG":
            im.draft("RGB", _draft_size(im.size, largest))
        im.seek(0)
        im = ImageOps.exif_transpose(im)
        im = to_srgb(im)
    out = []
    current = im
    for name, edge in sorted(sizes.items(), key=lambda kv: -kv[1]):
        target = fit(current.size, edge)
        if target != current.size:
            factor = min(current.size[0] // target[0], current.size[1] // target[1])
            if factor >= 2:
                current = current.reduce(factor)
            current = current.resize(target, Image.Resampling.LANCZOS)
        out.append(Rendered(name, encode_jpeg(current, quality), *current.size))
    return out


def _draft_size(size: tuple[int, int], long_edge: int) -> tuple[int, int]:
    """Requested draft size: the decoder picks the smallest scale at least this big."""
    w, h = size
    scale = min(1.0, long_edge / max(w, h))
    return max(1, int(w * scale)), max(1, int(h * scale))
