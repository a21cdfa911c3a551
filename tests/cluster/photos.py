"""Small real JPEGs made with Pillow, each different, with the caption in EXIF as a camera app writes it."""
from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw

EXIF_IMAGE_DESCRIPTION, EXIF_ARTIST = 0x010E, 0x013B


def photo(n: int, caption: str, size: tuple[int, int] = (480, 320)) -> bytes:
    """A JPEG of coloured blocks drawn from n (so no two are alike) carrying caption in EXIF."""
    rng = random.Random(n)
    im = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(im)
    for _ in range(12):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        draw.rectangle((x, y, x + rng.randrange(20, 160), y + rng.randrange(20, 120)),
                       fill=tuple(rng.randrange(256) for _ in range(3)))
    exif = Image.Exif()
    exif[EXIF_IMAGE_DESCRIPTION] = caption
    exif[EXIF_ARTIST] = "Field Office Camera"
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=85, exif=exif)
    return buf.getvalue()


def word(serial: int) -> str:
    """A made-up word of letters only, unique per serial: what a caption is searched by."""
    letters = ""
    for _ in range(5):
        serial, digit = divmod(serial, 26)
        letters += chr(ord("a") + digit)
    return "zq" + letters
