"""IIIF Image API 3.0: an image's info.json and its tiles, made once and cached in storage.

Each viewer sees the image at the size the policy lets it zoom to (policy.iiif_edge): the public
to the preview size by default, users who may download large to that. That size is the image's
full size in info.json, so every region and size is in its coordinates and no request can go
past it. Tiles are made from the smallest stored picture at least that big: a rendition (upright,
sRGB, no metadata) or else the location-free served copy, never the stored original. The cache
(tiles/ in storage) is derived data: `gallery check --repair` drops the tiles of assets that
are gone, and a tile is always served after the policy is asked again.
"""
from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

from flask import current_app

from gallery.exceptions import GalleryError, NotFound
from gallery.formats import iiif_image, imaging
from gallery.formats.iiif_image import Limits, Spec
from gallery.models import Asset
from gallery.services import integrity, renditions, rights, served, storage

CONTEXT = "http://iiif.io/api/image/3/context.json"
PROFILE = "level2"
TILES_FOLDER = storage.TILES_FOLDER


def full_size(asset: Asset, edge: int) -> tuple[int, int]:
    """The image's size as this viewer sees it: the asset's upright size fitted into edge."""
    return imaging.fit((asset.width, asset.height), edge)


def info(asset: Asset, edge: int, service_id: str) -> dict[str, Any]:
    """The info.json of an image for a viewer allowed this long edge."""
    width, height = full_size(asset, edge)
    tile = int(current_app.config["IIIF_TILE_SIZE"])
    factors = [1]
    while math.ceil(max(width, height) / factors[-1]) > tile:
        factors.append(factors[-1] * 2)  # down to one tile: the whole image as a thumbnail
    sizes = sorted({(r.width, r.height) for r in asset.renditions
                    if r.size in current_app.config["RENDITION_SIZES"]
                    and r.width <= width and r.height <= height})
    body: dict[str, Any] = {
        "@context": CONTEXT, "id": service_id, "type": "ImageService3",
        "protocol": "http://iiif.io/api/image", "profile": PROFILE,
        "width": width, "height": height, "maxWidth": width, "maxHeight": height,
        "sizes": [{"width": w, "height": h} for w, h in sizes],
        "tiles": [{"width": tile, "height": tile, "scaleFactors": factors}],
        "extraQualities": ["bitonal"], "extraFormats": ["webp"], "extraFeatures": ["mirroring"],
    }
    licence = rights.of(asset).licence_url
    if licence.startswith("http"):
        body["rights"] = licence
    return body


def parse(asset: Asset, edge: int, region: str, size: str, rotation: str, quality_format: str) -> Spec:
    """The request parsed in this viewer's coordinates; IIIFError for anything out of bounds."""
    width, height = full_size(asset, edge)
    return iiif_image.parse(region, size, rotation, quality_format, (width, height),
                            Limits(width, height, width * height))


def tile_key(asset: Asset, edge: int, spec: Spec) -> str:
    """Where a tile is cached: by the file's hash, the viewer's full size and the canonical request."""
    width, height = full_size(asset, edge)
    name = spec.canonical.replace("/", "_").replace(",", "-").replace("!", "m")
    sha = asset.sha256
    return f"{TILES_FOLDER}/{sha[:2]}/{sha[2:4]}/{sha}/{width}x{height}/{name}"


def ensure_tile(asset: Asset, edge: int, spec: Spec) -> str:
    """The storage key of a tile, made and stored now if it is not cached yet."""
    key = tile_key(asset, edge, spec)
    if storage.exists(key):
        return key
    width, height = full_size(asset, edge)
    scale = asset.width / width  # viewer pixels to upright source pixels
    # The source needs only the output's detail: a zoomed-out tile is made from a rendition.
    zoom = max(spec.size[0] / spec.region[2], spec.size[1] / spec.region[3])
    needed = math.ceil(max(width, height) * min(1.0, zoom))
    with _source(asset, needed) as (path, source_edge):
        # The request in the source's own coordinates (a rendition is smaller than the asset).
        ratio = source_edge / max(asset.width, asset.height) * scale
        x, y, w, h = spec.region
        try:
            data = iiif_image.render(path, spec, current_app.config["JPEG_QUALITY"],
                                     current_app.config["MAX_IMAGE_PIXELS"],
                                     box=(x * ratio, y * ratio, (x + w) * ratio, (y + h) * ratio))
        except (OSError, GalleryError) as exc:
            current_app.logger.error("asset %s: IIIF source %s unreadable: %s", asset.id, path, exc)
            raise NotFound("The file of this image cannot be read; the problem has been logged.") from exc
    storage.save_bytes(data, key)
    return key


@contextlib.contextmanager
def _source(asset: Asset, edge: int) -> Iterator[tuple[str, int]]:
    """A local file of the smallest stored picture at least edge long, and its long edge."""
    sizes = current_app.config["RENDITION_SIZES"]
    made = sorted((max(r.width, r.height), r.size) for r in asset.renditions if r.size in sizes)
    for long_edge, size in made:
        if long_edge >= edge or long_edge >= max(asset.width, asset.height):
            rend = renditions.ensure_rendition(asset, size)  # remade here if its file was lost
            with storage.local_copy(rend.storage_key) as path:
                yield path, max(rend.width, rend.height)
            return
    integrity.require_original(asset)
    asset = served.ensure(asset)
    with storage.local_copy(asset.served_key) as path:
        yield path, max(asset.width, asset.height)


def is_tile_key(key: str) -> bool:
    """Whether a stored key is a cached tile."""
    return key.startswith(TILES_FOLDER + "/")


def tile_hash(key: str) -> str:
    """The original's SHA-256 a cached tile was made from."""
    parts = key.split("/")
    return parts[3] if len(parts) > 3 else ""
