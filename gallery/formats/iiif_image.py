"""IIIF Image API 3.0 in bytes: parameters parsed against an image's size, and tiles made with Pillow.

parse() turns the four path segments into a Spec (clear IIIFError messages, answered as 400) and
render() makes its bytes from a source file: the JPEG decoder scales by 1/2, 1/4 or 1/8 while it
decodes (draft), so zoomed-out tiles never decode at full size, and only the region is resized.
Output carries no metadata (no EXIF, XMP, GPS or comment): only pixels and an sRGB profile.
"""
from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass

from PIL import Image, ImageFile

from gallery.formats import imagemeta, imaging

QUALITIES = ("default", "color", "gray", "bitonal")
FORMATS = {"jpg": ("JPEG", "image/jpeg"), "png": ("PNG", "image/png"), "webp": ("WEBP", "image/webp")}
_NUMBER = r"\d+(?:\.\d+)?"
_PIXELS = re.compile(r"^(\d+),(\d+),(\d+),(\d+)$")
_PERCENT = re.compile(rf"^pct:({_NUMBER}),({_NUMBER}),({_NUMBER}),({_NUMBER})$")
_ROTATION = re.compile(r"^(!?)(\d+(?:\.\d+)?)$")


class IIIFError(ValueError):
    """A request the Image API cannot answer: the message says which parameter and why (400)."""


@dataclass(frozen=True)
class Limits:
    """The largest output this viewer may have: width, height and area in pixels."""

    width: int
    height: int
    area: int


@dataclass(frozen=True)
class Spec:
    """One parsed image request, in full-image pixel coordinates of the upright image."""

    region: tuple[int, int, int, int]  # x, y, w, h
    size: tuple[int, int]               # output width and height before rotation
    mirror: bool
    rotation: int                       # 0, 90, 180 or 270, clockwise
    quality: str
    format: str

    @property
    def mimetype(self) -> str:
        """The MIME type of the output."""
        return FORMATS[self.format][1]

    @property
    def canonical(self) -> str:
        """The request in one canonical form (cache keys and Link headers): region/size/rotation/quality.format."""
        x, y, w, h = self.region
        return (f"{x},{y},{w},{h}/{self.size[0]},{self.size[1]}/{'!' if self.mirror else ''}"
                f"{self.rotation}/{self.quality}.{self.format}")


def parse(region: str, size: str, rotation: str, quality_format: str, full: tuple[int, int],
          limits: Limits) -> Spec:
    """A Spec from the path segments for an upright image of size full, within limits."""
    quality, dot, fmt = quality_format.rpartition(".")
    if not dot:
        raise IIIFError("The last segment must be quality.format, for example default.jpg.")
    if quality not in QUALITIES:
        raise IIIFError(f"Unknown quality {quality!r}: use one of {', '.join(QUALITIES)}.")
    if fmt not in FORMATS:
        raise IIIFError(f"Unknown format {fmt!r}: use one of {', '.join(FORMATS)}.")
    box = parse_region(region, full)
    out = parse_size(size, box[2:], limits)
    mirror, degrees = parse_rotation(rotation)
    return Spec(box, out, mirror, degrees, quality, fmt)


def parse_region(value: str, full: tuple[int, int]) -> tuple[int, int, int, int]:
    """x, y, w, h of a region (full, square, x,y,w,h or pct:x,y,w,h), clipped to the image."""
    width, height = full
    if value == "full":
        return 0, 0, width, height
    if value == "square":
        side = min(width, height)
        return (width - side) // 2, (height - side) // 2, side, side
    pixels = _PIXELS.match(value)
    if pixels:
        x, y, w, h = (int(v) for v in pixels.groups())
    else:
        pct = _PERCENT.match(value)
        if not pct:
            raise IIIFError(f"Region {value!r} is not full, square, x,y,w,h or pct:x,y,w,h.")
        px, py, pw, ph = (float(v) for v in pct.groups())
        x, y = round(px * width / 100), round(py * height / 100)
        w, h = round(pw * width / 100), round(ph * height / 100)
    if w <= 0 or h <= 0:
        raise IIIFError(f"Region {value!r} has no width or height.")
    if x >= width or y >= height:
        raise IIIFError(f"Region {value!r} lies outside the image ({width} x {height} pixels).")
    return x, y, min(w, width - x), min(h, height - y)


def parse_size(value: str, region: tuple[int, int], limits: Limits) -> tuple[int, int]:
    """Output width and height for a size parameter; upscaling only with ^, never past limits."""
    rw, rh = region
    up = value.startswith("^")
    spec = value[1:] if up else value
    if spec == "max":
        w, h = _fit(rw, rh, limits, allow_up=up)
    elif spec.startswith("pct:"):
        try:
            pct = float(spec[4:])
        except ValueError:
            raise IIIFError(f"Size {value!r}: pct: takes a number.") from None
        if not math.isfinite(pct) or pct <= 0:
            raise IIIFError(f"Size {value!r}: the percentage must be above 0.")
        w, h = max(1, round(rw * pct / 100)), max(1, round(rh * pct / 100))
    else:
        confined = spec.startswith("!")
        parts = (spec[1:] if confined else spec).split(",")
        if len(parts) != 2 or not all(p == "" or p.isdigit() for p in parts) or parts == ["", ""]:
            raise IIIFError(f"Size {value!r} is not max, pct:n, w,, ,h, w,h or !w,h (each may start with ^).")
        w_ask, h_ask = (int(p) if p else None for p in parts)
        if confined and (w_ask is None or h_ask is None):
            raise IIIFError(f"Size {value!r}: !w,h needs both a width and a height.")
        if confined:
            scale = min(w_ask / rw, h_ask / rh)
            w, h = max(1, round(rw * scale)), max(1, round(rh * scale))
        elif w_ask is None:
            w, h = max(1, round(rw * h_ask / rh)), h_ask
        elif h_ask is None:
            w, h = w_ask, max(1, round(rh * w_ask / rw))
        else:
            w, h = w_ask, h_ask
    if w <= 0 or h <= 0:
        raise IIIFError(f"Size {value!r} has no width or height.")
    if not up and (w > rw or h > rh):
        raise IIIFError(f"Size {value!r} is larger than the region ({rw} x {rh}): upscaling needs ^.")
    if w > limits.width or h > limits.height or w * h > limits.area:
        raise IIIFError(f"Size {value!r} ({w} x {h}) is larger than this image is served "
                        f"({limits.width} x {limits.height} at most).")
    return w, h


def _fit(rw: int, rh: int, limits: Limits, allow_up: bool) -> tuple[int, int]:
    """The largest size of a region's proportions within the limits (and the region, unless ^)."""
    scale = min(limits.width / rw, limits.height / rh, math.sqrt(limits.area / (rw * rh)))
    if not allow_up:
        scale = min(scale, 1.0)
    return max(1, math.floor(rw * scale + 1e-9)), max(1, math.floor(rh * scale + 1e-9))


def parse_rotation(value: str) -> tuple[bool, int]:
    """(mirror, degrees) of a rotation: 0, 90, 180 or 270, with ! to mirror first."""
    found = _ROTATION.match(value)
    if not found:
        raise IIIFError(f"Rotation {value!r} is not a number of degrees (0, 90, 180, 270, with ! to mirror).")
    degrees = float(found.group(2))
    if degrees > 360 or degrees % 90:
        raise IIIFError(f"Rotation {value!r}: only 0, 90, 180 and 270 degrees are supported.")
    return bool(found.group(1)), int(degrees) % 360


# The inverse of each EXIF orientation's transpose: where a point of the upright image lies in
# the stored pixels, so only the stored region is decoded and resized.
def _stored_point(x: float, y: float, orientation: int, w: int, h: int) -> tuple[float, float]:
    """A point of the upright image in the stored pixels (w x h) of a file with this orientation."""
    return {1: (x, y), 2: (w - x, y), 3: (w - x, h - y), 4: (x, h - y), 5: (y, x),
            6: (y, h - x), 7: (w - y, h - x), 8: (w - y, x)}.get(orientation, (x, y))


def render(path: str, spec: Spec, quality: int = 85, max_pixels: int = 120_000_000,
           box: tuple[float, float, float, float] | None = None) -> bytes:
    """The bytes of a parsed request made from the image file at path (upright, sRGB, no metadata).

    box: the region as left, top, right, bottom in the file's upright pixels, when the file is
    not the size the request's coordinates are in (a rendition, or a viewer's smaller view).
    """
    if box is None:
        x, y, w, h = spec.region
        box = (x, y, x + w, y + h)
    with imaging.open_image(path, "source", max_pixels) as im:
        turn = imagemeta.orientation(im)
        stored_w, stored_h = im.size
        upright = (stored_h, stored_w) if turn >= 5 else (stored_w, stored_h)
        # Rounding upstream may reach a hair past the edge: stay inside the picture.
        box = (max(0.0, box[0]), max(0.0, box[1]), min(float(upright[0]), box[2]), min(float(upright[1]), box[3]))
        corners = [_stored_point(px, py, turn, stored_w, stored_h)
                   for px, py in (box[:2], box[2:])]
        left, right = sorted(c[0] for c in corners)
        top, bottom = sorted(c[1] for c in corners)
        swapped = turn >= 5
        out_w, out_h = (spec.size[1], spec.size[0]) if swapped else spec.size
        if im.format in ("JPEG", "MPO"):
            # The decoder scales by a power of two for free: ask for the smallest decode that
            # still gives the region at least the output's pixels.
            factor = min((right - left) / out_w, (bottom - top) / out_h)
            if factor > 1:
                im.draft("RGB" if im.mode in ("RGB", "YCbCr") else None,
                         (math.ceil(stored_w / factor), math.ceil(stored_h / factor)))
        im.seek(0)  # animated GIF/WebP and multi-page TIFF: the first frame
        scale_x, scale_y = im.size[0] / stored_w, im.size[1] / stored_h
        # Resampling reads a few rows past the region's edge (Lanczos: 3 source pixels per
        # output pixel); below that, nothing is needed.
        support = 3 * max(1.0, (bottom - top) * scale_y / out_h) + 2
        rows = math.ceil(bottom * scale_y + support)
        decoded = _decode_rows(im, rows) if turn in (1, 2) and rows < im.size[1] else None
        if decoded is None:
            im.load()
        frame = imaging.to_srgb(decoded if decoded is not None else im)
    scaled = (left * scale_x, top * scale_y, right * scale_x, bottom * scale_y)
    whole = tuple(round(v) for v in scaled)
    if all(abs(a - b) < 1e-6 for a, b in zip(whole, scaled)) and (whole[2] - whole[0], whole[3] - whole[1]) == (out_w, out_h):
        tile = frame.crop(whole)  # pixel for pixel: no resampling
    else:
        tile = frame.resize((out_w, out_h), Image.Resampling.LANCZOS, box=scaled, reducing_gap=2.0)
    tile = imaging.transpose(tile, turn)
    if spec.mirror:
        tile = tile.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if spec.rotation:
        tile = tile.transpose({90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180,
                               270: Image.Transpose.ROTATE_90}[spec.rotation])
    if spec.quality == "gray":
        tile = tile.convert("L")
    elif spec.quality == "bitonal":
        tile = tile.convert("L").convert("1")
    return encode(tile, spec.format, quality)


def _decode_rows(im: Image.Image, rows: int) -> Image.Image | None:
    """The first rows of a JPEG, decoded without the rest (a JPEG decodes top to bottom).

    A tile high up in a 61 MP photo then costs a fraction of the whole decode. Returns None
    (decode it all) for anything but one plain JPEG tile, or where Pillow's decoder API differs.
    """
    if im.format not in ("JPEG", "MPO") or len(im.tile) != 1 or im.tile[0][0] != "jpeg":
        return None
    name, _extents, offset, args = im.tile[0]
    try:
        decoder = Image._getdecoder(im.mode, name, args, im.decoderconfig)
        core = Image.core.new(im.mode, (im.size[0], rows))
        decoder.setimage(core, (0, 0, im.size[0], rows))
    except (AttributeError, TypeError, ValueError):
        return None
    im.fp.seek(offset)
    try:
        while True:
            chunk = im.fp.read(ImageFile.SAFEBLOCK)
            consumed, error = decoder.decode(chunk)
            if consumed < 0:
                # Done: every row asked for is there. Stopping before the end of the image
                # makes libjpeg's finish step report "broken" (-2); anything else is a fault.
                if error not in (0, -2):
                    raise OSError(f"the image could not be decoded (error {error}).")
                break
            if not chunk:
                raise OSError("the image file is truncated.")
    finally:
        decoder.cleanup()
    return im._new(core)


def encode(im: Image.Image, fmt: str, quality: int = 85) -> bytes:
    """Encode a tile with no metadata at all (JPEG and WebP carry the sRGB profile only)."""
    im.info = {}  # nothing from the source travels into the output
    buf = io.BytesIO()
    pil_format = FORMATS[fmt][0]
    if pil_format == "JPEG":
        if im.mode == "1":
            im = im.convert("L")
        im.save(buf, "JPEG", quality=quality, icc_profile=imaging.SRGB_BYTES if im.mode == "RGB" else None)
    elif pil_format == "WEBP":
        im.save(buf, "WEBP", quality=quality, method=2,
                icc_profile=imaging.SRGB_BYTES if im.mode == "RGB" else None)
    else:
        im.save(buf, "PNG", compress_level=3)
    return buf.getvalue()
