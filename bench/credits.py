"""Credits into large originals: what the served copy costs with them, against a plain copy, in one run.

Run from the project root: python bench/credits.py [--rounds 5] [--video-seconds 60]
Sources are made here: a 24 MP JPEG with camera EXIF and GPS, the same picture as PNG, TIFF and
HEIC, a 1080p30 H.264 MP4 with phone-style location (--video-seconds long) and an MP3 as long. For each, the
median of --rounds runs of: copying the file (the floor: the served copy has to be written whole
anyway), removing its location (what the served copy cost before), and removing its location then
writing the credits (gallery.formats.captions, what the served and credits pieces do now).
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from gallery.formats import captions, location  # noqa: E402
from gallery.formats.credits import Credits  # noqa: E402

CREDITS = Credits(title="Borehole", caption="Women carry water back to Lodwar. " * 20, creator="Amina Otieno",
                  credit="Relief Agency", copyright="© Relief Agency 2024", usage_terms="CC BY 4.0",
                  keywords=("water", "wells", "drought"), city="Lodwar", country="Kenya", country_code="KEN")


def sources(folder: str, video_seconds: float) -> dict[str, tuple[str, str]]:
    """label -> (path, MIME type), made once in folder."""
    from PIL import Image

    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from gallery.formats import imaging
    from tests.conftest import gps_exif
    from tests.media_files import audio_bytes, mp3_with_location, mp4_with_location, video_bytes

    im = Image.effect_noise((6000, 4000), 60).convert("RGB")
    exif = gps_exif()
    exif[0x0112], exif[0x010F] = 1, "Canon"
    made = {}
    for label, fmt, ext, mime, extra in (("JPEG 24 MP", "JPEG", "jpg", "image/jpeg", {"exif": exif, "quality": 92}),
                                         ("PNG 24 MP", "PNG", "png", "image/png", {"exif": exif}),
                                         ("TIFF 24 MP", "TIFF", "tif", "image/tiff", {})):
        path = os.path.join(folder, f"source.{ext}")
        im.save(path, fmt, **extra)
        made[label] = (path, mime)
    imaging.register_heif()
    path = os.path.join(folder, "source.heic")
    im.save(path, "HEIF", exif=exif, quality=90)
    made["HEIC 24 MP"] = (path, "image/heic")
    path = os.path.join(folder, "source.mp4")
    with open(path, "wb") as fh:
        fh.write(mp4_with_location(video_bytes("mp4", seconds=video_seconds, size=(1920, 1080))))
    made[f"MP4 1080p {video_seconds:g} s"] = (path, "video/mp4")
    path = os.path.join(folder, "source.mp3")
    with open(path, "wb") as fh:
        fh.write(mp3_with_location(audio_bytes("mp3", "libmp3lame", seconds=video_seconds)))
    made[f"MP3 {video_seconds:g} s"] = (path, "audio/mpeg")
    return made


def credited(path: str, mime: str, clean: str, out: str) -> None:
    """What the served piece does now: location out, then credits in."""
    changed = location.without_location(path, mime, clean)
    assert captions.with_credits(clean if changed else path, mime, CREDITS, out)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--video-seconds", type=float, default=60)
    args = parser.parse_args()
    print(f"load average before the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as folder:
        made = sources(folder, args.video_seconds)
        clean, out = os.path.join(folder, "clean"), os.path.join(folder, "out")
        print("| Original | MB | copy (ms) | location out (ms) | location out + credits (ms) | credits alone |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for label, (path, mime) in made.items():
            copy, loc, both = [], [], []
            for _ in range(args.rounds):  # the three take turns, round by round
                copy.append(timed(lambda p=path: shutil.copyfile(p, out)))
                loc.append(timed(lambda p=path, m=mime: location.without_location(p, m, clean)))
                both.append(timed(lambda p=path, m=mime: credited(p, m, clean, out)))
            c, lo, b = (statistics.median(x) * 1000 for x in (copy, loc, both))
            print(f"| {label} | {os.path.getsize(path) / 1e6:.1f} | {c:.0f} | {lo:.0f} | {b:.0f} | "
                  f"+{b - lo:.0f} ms ({(b - lo) / c:.1f} × a copy) |")
    print(f"load average after the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
