"""IIIF tile speed: the tiles a viewer asks for while zooming into a 24 MP and a 61 MP JPEG, against libvips.

Makes two camera-size JPEGs (photo-like: gradients and noise), ingests them for real into an app
on a temp dir (IIIF_PUBLIC_SIZE = "full", so the viewer may zoom to full resolution), then asks
the IIIF route for every tile an OpenSeadragon viewer of 1280 x 860 px requests when it opens
the image and zooms in level by level to 1:1, centred: uncached (an empty tile cache, through
the Flask test client in process) and cached (the same URLs again). The baseline is pyvips
(libvips) making the same tile from the same location-free file: region, resize, JPEG encode,
its operation cache off. Reports p50/p95 per tile for each.

    python bench/iiif.py [--rounds 3] [--keep DIR]

Needs pyvips (pip install -e '.[bench]') and libvips (apt: libvips42).
"""
from __future__ import annotations

import argparse
import io
import math
import os
import shutil
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

IMAGES = {"24 MP": (6000, 4000), "61 MP": (9600, 6400)}
VIEWPORT = (1280, 860)
TILE = 512


def photo(size: tuple[int, int]) -> bytes:
    """A photo-like baseline JPEG (quality 90): smooth gradients under fine noise, as a camera writes."""
    from PIL import Image

    w, h = size
    small = Image.radial_gradient("L").resize((w // 8, h // 8)).convert("RGB")
    noise = Image.effect_noise((w // 8, h // 8), 60).convert("RGB")
    base = Image.blend(small, noise, 0.35).resize(size, Image.Resampling.BILINEAR)
    grain = Image.effect_noise(size, 18).convert("RGB")
    im = Image.blend(base, grain, 0.2)
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def viewer_tiles(width: int, height: int) -> list[tuple[int, int, int, int, int, int]]:
    """(x, y, w, h, out_w, out_h) of each tile the viewer requests, from the whole image down to 1:1."""
    factors = [1]
    while math.ceil(max(width, height) / factors[-1]) > TILE:
        factors.append(factors[-1] * 2)
    tiles = []
    for s in reversed(factors):
        # The viewport, in full-image pixels at this level, centred on the image.
        vw, vh = VIEWPORT[0] * s, VIEWPORT[1] * s
        left, top = max(0, (width - vw) // 2), max(0, (height - vh) // 2)
        right, bottom = min(width, left + vw), min(height, top + vh)
        span = TILE * s
        for ty in range(top // span, math.ceil(bottom / span)):
            for tx in range(left // span, math.ceil(right / span)):
                x, y = tx * span, ty * span
                w, h = min(span, width - x), min(span, height - y)
                tiles.append((x, y, w, h, math.ceil(w / s), math.ceil(h / s)))
    return tiles


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="uncached passes over every tile (cache emptied each time)")
    parser.add_argument("--keep", help="work in this folder and keep it (default: a temp dir, removed)")
    args = parser.parse_args()
    import pyvips

    from gallery import create_app, migrate
    from gallery.extensions import db
    from gallery.services import galleries, ingest, reference, served, storage

    pyvips.cache_set_max(0)  # every libvips tile decodes afresh, as an uncached tile does
    base = args.keep or tempfile.mkdtemp(prefix="gallery-bench-iiif-")
    os.makedirs(base, exist_ok=True)
    app = create_app({"DATABASE_URL": f"sqlite:///{base}/gallery.sqlite", "SECRET_KEY": "bench",
                      "UPLOAD_DIR": f"{base}/uploads", "SEARCH_INDEX_DIR": f"{base}/search_index",
                      "JOB_THREAD": False, "IIIF_PUBLIC_SIZE": "full"})
    app.instance_path = f"{base}/instance"
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}; cpus {os.cpu_count()}")
    with app.app_context():
        migrate.upgrade(app)
        reference.seed(db.session)
        gallery = galleries.create_gallery({"title": "Bench", "category": "Health", "country": "KEN",
                                            "status": "published"}, None, script=True)
        assets = {}
        for label, size in IMAGES.items():
            result = ingest.ingest(gallery, io.BytesIO(photo(size)), f"{label}.jpg", {}, user=None)
            assert result.status == "accepted", result.reason
            assets[label] = served.ensure(result.asset)
        client = app.test_client()
        print(f"{'image':7} {'tiles':>5}  {'uncached p50':>12} {'p95':>8}  {'libvips p50':>11} {'p95':>8}  "
              f"{'cached p50':>10} {'p95':>7}")
        for label, asset in assets.items():
            tiles = viewer_tiles(asset.width, asset.height)
            paths = [f"/iiif/3/{asset.id}/{x},{y},{w},{h}/{ow},/0/default.jpg" for x, y, w, h, ow, _oh in tiles]
            with storage.local_copy(asset.served_key) as source:
                ours, vips, cached = [], [], []
                for _ in range(args.rounds):
                    shutil.rmtree(os.path.join(base, "uploads", storage.TILES_FOLDER), ignore_errors=True)
                    for path, (x, y, w, h, ow, oh) in zip(paths, tiles):
                        # Interleaved, tile by tile: both see the same load and the same page cache.
                        start = time.perf_counter()
                        response = client.get(path)
                        response.get_data()
                        response.close()
                        ours.append(time.perf_counter() - start)
                        assert response.status_code == 200, (path, response.status_code)
                        start = time.perf_counter()
                        image = pyvips.Image.new_from_file(source, access="sequential")
                        image.crop(x, y, w, h).resize(ow / w, vscale=oh / h).write_to_buffer(".jpg[Q=85]")
                        vips.append(time.perf_counter() - start)
                    for path in paths:
                        start = time.perf_counter()
                        response = client.get(path)
                        response.get_data()
                        response.close()
                        cached.append(time.perf_counter() - start)
            ms = [1000 * percentile(v, p) for v in (ours, vips, cached) for p in (50, 95)]
            print(f"{label:7} {len(tiles):5}  {ms[0]:10.1f}ms {ms[1]:6.1f}ms  {ms[2]:9.1f}ms {ms[3]:6.1f}ms  "
                  f"{ms[4]:8.2f}ms {ms[5]:5.2f}ms")
            print("        per level (uncached median, ours / libvips): " + ", ".join(
                f"1/{s}: {statistics.median(a) * 1000:.0f}/{statistics.median(b) * 1000:.0f} ms"
                for s, a, b in _by_level(tiles, ours, vips)))
        db.engine.dispose()
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)


def _by_level(tiles, ours, vips):
    """Per zoom level: the scale and both timings of its tiles (every round)."""
    levels: dict[int, tuple[list[float], list[float]]] = {}
    for i, (_x, _y, w, _h, ow, _oh) in enumerate(tiles * (len(ours) // len(tiles))):
        scale = max(1, round(w / ow))
        levels.setdefault(scale, ([], []))
        levels[scale][0].append(ours[i])
        levels[scale][1].append(vips[i])
    return [(s, a, b) for s, (a, b) in sorted(levels.items(), reverse=True)]


if __name__ == "__main__":
    main()
