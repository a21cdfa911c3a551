"""A video's thumb and preview replaced by the poster of its first proxy pass (upright, tone-mapped, 10 % in).

Ingest makes them at once from a frame about one second in (formats/avmedia.py), for the caption
grid staff fill right after an upload; the proxy pass then sees the whole clip through the same
filters as the player's copy, so its frame is the one the public gets (docs/renditions.md, "The poster").
"""
from __future__ import annotations

import io

from flask import current_app
from PIL import Image

from gallery.extensions import db
from gallery.formats import imaging
from gallery.models import Asset, Rendition
from gallery.policy import BLURRED
from gallery.services import storage

REPLACED = ("thumb", "preview")  # the ingest sizes; `large` is made on first use from the source


def replace(asset: Asset, poster: bytes) -> list[str]:
    """Store the poster as the asset's thumb and preview (rows corrected, commits); the sizes replaced.

    Runs before the proxy piece is ready, so before the asset is public: no shared cache has
    stored the ingest images under these URLs. The blurred thumb is dropped, to be made again
    from the new thumb on first use.
    """
    config = current_app.config
    sizes = {name: edge for name, edge in config["RENDITION_SIZES"].items() if name in REPLACED}
    with Image.open(io.BytesIO(poster)) as opened:
        picture = imaging.to_srgb(opened.convert("RGB"))
    made = imaging.renditions_from_image(picture, sizes, config["JPEG_QUALITY"])
    done = []
    for rendered in made:
        name = rendered.size
        k = storage.rendition_key(asset.sha256, name)
        storage.save_bytes(rendered.data, k)  # atomic: a reader gets the old file or the new one
        row = asset.rendition(name)
        if row is None:
            db.session.add(Rendition(asset_id=asset.id, size=name, width=rendered.width,
                                     height=rendered.height, bytes=len(rendered.data), storage_key=k))
        else:
            row.width, row.height, row.bytes, row.storage_key = (
                rendered.width, rendered.height, len(rendered.data), k)
        done.append(name)
    blurred = asset.rendition(BLURRED)
    if blurred is not None:
        db.session.delete(blurred)
    db.session.commit()
    if blurred is not None:
        storage.delete(blurred.storage_key)
    return done
