"""Pillow only: open and check images, read their metadata, make JPEG renditions."""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from PIL import Image, ImageCms, ImageFile, ImageFilter, UnidentifiedImageError

from gallery.exceptions import TooLarge, UnsupportedMedia
from gallery.services import imagemeta

SRGB = ImageCms.createProfile("sRGB")
SRGB_BYTES = ImageCms.ImageCmsProfile(SRGB).tobytes()
ImageFile.LOAD_TRUNCATED_IMAGES = False  # a truncated file is refused, never half-shown

# Pillow format -> (MIME type, extension) for the formats we accept.
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "MPO": ("image/jpeg", "jpg"),
           "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp"),
           "GIF": ("image/gif", "gif"), "TIFF": ("image/tiff", "tif"),
           "HEIF": ("image/heic", "heic")}

read_metadata = imagemeta.read_metadata


class Rendered(NamedTuple):
    """A rendition made in memory."""

    size: str
    data: bytes
    width: int
    height: int


@dataclass
class ImageFacts:
    """What probing an image found: format, displayed size, camera, metadata, decoded frame."""

    format: str
    mime_type: str
    ext: str
    width: int
    height: int
    camera: str | None
    metadata: dict[str, Any] = field(default_factory=dict)
    orientation: int = 1
    # The checked decode, already in sRGB and no bigger than needed, kept so that making the
    # renditions straight after probing does not decode the file a second time.
    frame: Image.Image | None = field(default=None, repr=False, compare=False)


def open_image(path: str, name: str, max_pixels: int) -> Image.Image:
    """Open an image lazily, turning Pillow's decompression-bomb guard into TooLarge."""
    # Pillow warns above MAX_IMAGE_PIXELS and refuses above twice that; align it with our limit
    # and make the warning an error, so a bomb is refused rather than merely reported.
    Image.MAX_IMAGE_PIXELS = max_pixels
    if _head(path, 12)[4:8] == b"ftyp":
        register_heif()
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            im = Image.open(path)
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise TooLarge(f"{name}: the image has more than {max_pixels:,} pixels.") from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
            raise UnsupportedMedia(f"{name}: not an image we can read, or the file is damaged.") from exc
    if im.width * im.height > max_pixels:
        im.close()
        raise TooLarge(f"{name}: the image has more than {max_pixels:,} pixels.")
    return im


def register_heif() -> None:
    """Teach Pillow HEIC/HEIF (phones' format) the first time one is seen.

    pillow-heif loads libheif, about 12 MiB resident: processes that never meet a HEIC skip it.
    """
    global _heif_registered
    if not _heif_registered:
        import pillow_heif

        pillow_heif.register_heif_opener()
        _heif_registered = True


_heif_registered = False


def probe_image(path: str, name: str, max_pixels: int, keep_edge: int | None = None) -> ImageFacts:
    """Check an image decodes completely and return its facts, metadata and (if asked) a frame.

    keep_edge: the long edge of the largest rendition to be made next; the decoded frame is kept
    at (at least) that size so make_renditions can reuse it.
    """
    im = open_image(path, name, max_pixels)
    frame = None
    try:
        fmt = im.format or ""
        if fmt not in FORMATS:
            raise UnsupportedMedia(f"{name}: {fmt or 'this'} images are not accepted.")
        metadata = imagemeta.read_metadata(im)
        cam = imagemeta.camera(im)
        turn = imagemeta.orientation(im)
        width, height = im.size
        if fmt in ("JPEG", "MPO"):
            # A scaled decode still reads every entropy-coded block, so truncation and corruption
            # are caught at a fraction of the memory and time of a full-size decode.
            edge = keep_edge or max(1, max(width, height) // 8)
            _draft(im, edge)
        im.seek(0)
        im.load()
        if keep_edge:
            frame = to_srgb(im)
            target = fit(frame.size, keep_edge)
            if target != frame.size:
                frame = shrink(frame, target)
            elif frame is im:
                frame = im.copy()  # closing im below would free the pixels otherwise
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise UnsupportedMedia(f"{name}: the image is truncated or damaged and cannot be decoded.") from exc
    finally:
        im.close()
    if turn >= 5:
        width, height = height, width
    mime, ext = FORMATS[fmt]
    if fmt == "HEIF" and b"heic" not in _head(path):
        mime, ext = "image/heif", "heif"
    return ImageFacts(fmt, mime, ext, width, height, cam, metadata, turn, frame)


def make_renditions(source: str, sizes: dict[str, int], quality: int = 85,
                    max_pixels: int = 120_000_000) -> list[Rendered]:
    """Make every named size from an image file, largest first, each derived from the previous."""
    with open_image(source, source.rsplit("/", 1)[-1], max_pixels) as im:
        full_size = im.size
        if im.format in ("JPEG", "MPO"):
            _draft(im, max(sizes.values()))
        turn = imagemeta.orientation(im)
        im.seek(0)  # animated GIF/WebP and multi-page TIFF: the first frame
        im.load()
        frame = to_srgb(im)
    return renditions_from_image(frame, sizes, quality, turn, full_size)


def ensure_rendition(asset: Any, size: str) -> Any:
    """The asset's rendition of this size, made now if it is made on first use (see renditions)."""
    from gallery.services.renditions import ensure_rendition as ensure  # it needs the database

    return ensure(asset, size)


# The blurred thumb keeps this many blocks of colour on its long edge, then blurs their edges:
# a face in a 400 px thumb spans a block or two, so nobody can be recognised, yet the tile
# keeps the colours and layout of the picture. Changing the recipe changes BLUR_VERSION.
BLUR_BLOCKS = 12
BLUR_VERSION = "1"


def blur_jpeg(data: bytes, quality: int = 85) -> Rendered:
    """A JPEG (a thumb) with its picture blurred away in the pixels: same size, only its colours left."""
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        frame = to_srgb(im)
    # Averaging into a few blocks removes the detail for certain (a Gaussian blur alone can be
    # partly undone); the blur afterwards only hides the blocks' edges.
    blocks = frame.resize(fit(frame.size, BLUR_BLOCKS), Image.Resampling.BOX)
    smooth = blocks.resize(frame.size, Image.Resampling.BILINEAR)
    smooth = smooth.filter(ImageFilter.GaussianBlur(radius=max(frame.size) / BLUR_BLOCKS / 2))
    return Rendered("blurred", encode_jpeg(smooth, quality), *smooth.size)


def _draft(im: Image.Image, long_edge: int) -> None:
    """Let the JPEG decoder scale by 1/2, 1/4 or 1/8 for free, staying at least long_edge big.

    The long edge is the same whichever way the photo turns, so orientation does not matter here.
    """
    im.draft("RGB" if im.mode in ("RGB", "YCbCr") else None, fit_floor(im.size, long_edge))


def renditions_from_image(im: Image.Image, sizes: dict[str, int], quality: int = 85,
                          orientation: int = 1, full_size: tuple[int, int] | None = None) -> list[Rendered]:
    """Resize an sRGB RGB image to every size, largest first; orientation is applied per output.

    full_size: the original's pixel size when im is a scaled decode, so every size keeps the
    original's proportions exactly (a derived size would otherwise inherit rounding).
    """
    out = []
    current = im
    for name, edge in sorted(sizes.items(), key=lambda kv: -kv[1]):
        target = fit(full_size or im.size, edge)
        target = (min(target[0], current.size[0]), min(target[1], current.size[1]))
        current = shrink(current, target)
        shown = transpose(current, orientation)
        out.append(Rendered(name, encode_jpeg(shown, quality), *shown.size))
    return out


def shrink(im: Image.Image, target: tuple[int, int]) -> Image.Image:
    """Box-reduce by a whole factor while 1.5 times the target remains, then Lanczos the rest."""
    if target == im.size:
        return im
    # Pillow's reducing_gap: 2.0 is indistinguishable from a full Lanczos, 1.5 visually the same
    # for photos at these sizes, and it lets 1280 -> 400 reduce by 2 first.
    factor = int(min(im.size[0] / target[0], im.size[1] / target[1]) / 1.5)
    if factor >= 2:
        im = im.reduce(factor)
    return im.resize(target, Image.Resampling.LANCZOS)


def transpose(im: Image.Image, orientation: int) -> Image.Image:
    """Apply an EXIF orientation (1-8) to pixels, so the rendition shows the right way up."""
    method = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
              4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
              6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
              8: Image.Transpose.ROTATE_90}.get(orientation)
    return im.transpose(method) if method is not None else im


# See-through pixels become this grey: white artwork (logos) vanished on white, and this grey
# contrasts about equally (4.5:1) with white and with black artwork.
TRANSPARENT_BACKGROUND = (118, 118, 118)


def to_srgb(im: Image.Image) -> Image.Image:
    """An RGB image in sRGB: ICC converted, CMYK/palette/16-bit converted, alpha flattened on grey."""
    icc = im.info.get("icc_profile")
    im = _to_8bit(im)
    if icc and im.mode in ("RGB", "RGBA", "CMYK", "L", "LA"):
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            if im.mode in ("L", "LA"):
                im = im.convert("RGBA" if im.mode == "LA" else "RGB")
            out_mode = "RGBA" if im.mode == "RGBA" else "RGB"
            im = ImageCms.profileToProfile(im, src, SRGB, outputMode=out_mode,
                                           renderingIntent=ImageCms.Intent.PERCEPTUAL)
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken or mismatched profile is ignored: the pixels are still usable
    if im.mode in ("P", "PA", "LA", "La", "RGBa"):
        im = im.convert("RGBA")
    if im.mode == "RGBA":
        alpha = im.getchannel("A")
        if alpha.getextrema()[0] == 255:
            return im.convert("RGB")  # an alpha channel with nothing see-through in it
        background = Image.new("RGB", im.size, TRANSPARENT_BACKGROUND)
        background.paste(im, mask=alpha)
        return background
    if im.mode != "RGB":
        im = im.convert("RGB")
    return im


def _to_8bit(im: Image.Image) -> Image.Image:
    """16-bit and 32-bit greyscale scaled to 8 bits (a plain convert would clip to white)."""
    if im.mode.startswith("I;16") or im.mode == "I":
        im = im if im.mode == "I" else im.convert("I")
        _lo, hi = im.getextrema()
        # 16-bit files use 0-65535; some writers use only the low bits: scale by what is there.
        scale = 255 / 65535 if hi > 255 else 1
        return im.point(lambda v: v * scale).convert("L")
    if im.mode == "F":
        return im.point(lambda v: v * 255 if v <= 1.0 else v).convert("L")
    if im.mode == "1":
        return im.convert("L")
    return im


def fit(size: tuple[int, int], long_edge: int) -> tuple[int, int]:
    """Dimensions scaled so the long edge is at most long_edge; never upscaled."""
    w, h = size
    scale = min(1.0, long_edge / max(w, h))
    return max(1, round(w * scale)), max(1, round(h * scale))


def fit_floor(size: tuple[int, int], long_edge: int) -> tuple[int, int]:
    """Requested draft size: the decoder picks the smallest scale at least this big."""
    w, h = size
    scale = min(1.0, long_edge / max(w, h))
    return max(1, int(w * scale)), max(1, int(h * scale))


def encode_jpeg(im: Image.Image, quality: int = 85) -> bytes:
    """Progressive sRGB JPEG with no metadata at all (no EXIF, GPS, XMP, comment or maker notes)."""
    # Pillow copies im.info into derived images and writes some of it (comment, XMP) back out
    # on save: start from nothing so no source metadata can travel into a rendition.
    im.info = {}
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality, progressive=True, optimize=False,
            icc_profile=SRGB_BYTES)
    return buf.getvalue()


def _head(path: str, n: int = 64) -> bytes:
    with open(path, "rb") as f:
        return f.read(n)
