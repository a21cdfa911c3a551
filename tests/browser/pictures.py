"""Photo-like test pictures made with Pillow: a sky gradient, a sun and layered hills."""
from __future__ import annotations

import io
import math
import random

from PIL import Image, ImageDraw, ImageOps

PALETTES = [
    ((250, 196, 120), (84, 142, 201), [(120, 98, 72), (92, 74, 58), (60, 50, 42)]),     # dusk over dry hills
    ((206, 231, 246), (61, 126, 196), [(98, 150, 90), (66, 118, 70), (40, 84, 52)]),     # green valley
    ((255, 226, 180), (236, 128, 84), [(170, 110, 80), (130, 80, 60), (90, 56, 46)]),    # desert sunset
    ((224, 232, 240), (120, 150, 180), [(150, 160, 170), (110, 124, 138), (74, 88, 104)]),  # grey coast
    ((255, 240, 200), (110, 170, 220), [(196, 170, 110), (160, 132, 84), (118, 96, 62)]),  # savannah
]


def picture(seed: int, size: tuple[int, int] = (1600, 1067), fmt: str = "JPEG", grain: int = 0) -> bytes:
    """A landscape-like image, different for each seed, as encoded bytes; grain adds film grain (bigger files)."""
    rng = random.Random(seed)
    width, height = size
    horizon, top, hills = PALETTES[rng.randrange(len(PALETTES))]
    sky = ImageOps.colorize(Image.linear_gradient("L").resize(size), top, horizon)
    draw = ImageDraw.Draw(sky)
    sun_r = rng.randint(height // 14, height // 8)
    sx, sy = rng.randint(sun_r, width - sun_r), rng.randint(height // 6, height // 2)
    draw.ellipse((sx - sun_r, sy - sun_r, sx + sun_r, sy + sun_r), fill=(255, 236, 170))
    for layer, colour in enumerate(hills):
        base = height * (0.55 + 0.14 * layer)
        amp = height * rng.uniform(0.04, 0.12)
        freq = rng.uniform(1.0, 3.0) / width
        phase = rng.uniform(0, math.tau)
        points = [(x, base - amp * math.sin(x * freq * math.tau + phase)) for x in range(0, width + 40, 40)]
        draw.polygon(points + [(width, height), (0, height)], fill=colour)
    # A few figures on the nearest hill, so pictures differ at thumbnail size.
    for _ in range(rng.randint(1, 4)):
        fx, fy = rng.randint(40, width - 40), int(height * rng.uniform(0.82, 0.9))
        fh = rng.randint(height // 12, height // 7)
        draw.rectangle((fx - fh // 8, fy - fh, fx + fh // 8, fy), fill=(30, 30, 36))
        draw.ellipse((fx - fh // 7, fy - fh - fh // 4, fx + fh // 7, fy - fh + fh // 20), fill=(30, 30, 36))
    if grain:
        noise = Image.frombytes("L", size, rng.randbytes(width * height)).convert("RGB")
        sky = Image.blend(sky, noise, grain / 400)
    buf = io.BytesIO()
    sky.save(buf, fmt, quality=88)
    return buf.getvalue()
