"""Worker processes for the search concurrency tests (spawned, so they import this module)."""
from __future__ import annotations

import os
import signal
import uuid


def _app(config: dict):
    from gallery import create_app

    return create_app({"TESTING": True, "SECRET_KEY": "test", **config})


def _add_assets(gallery_id: int, n: int, tag: str) -> list[int]:
    """Insert asset rows with their log entries, one transaction each, as an import would."""
    from gallery.extensions import db
    from gallery.models import Asset
    from gallery.services import search

    ids = []
    busy = 0
    for i in range(n):
        digest = uuid.uuid4().hex * 2
        asset = Asset(gallery_id=gallery_id, media_type="image", sha256=digest,
                      storage_key=f"originals/{digest}.jpg", mime_type="image/jpeg",
                      caption=f"Concurrent caption {tag} number {i} about water")
        db.session.add(asset)
        db.session.flush()
        search.queue_assets([asset.id])
        db.session.commit()
        ids.append(asset.id)
        result = search.drain(timeout=0.01, limit=50)
        busy += result.busy
    return ids, busy


def write_concurrently(config: dict, gallery_id: int, n: int, tag: str, out) -> None:
    """Add n assets, draining after each commit with a tiny lock timeout, then report."""
    app = _app(config)
    with app.app_context():
        try:
            ids, busy = _add_assets(gallery_id, n, tag)
            out.put(("ok", tag, ids, busy))
        except BaseException as exc:  # reported to the parent test
            out.put(("error", tag, repr(exc), 0))
            raise


def drain_and_die(config: dict) -> None:
    """Apply the change log but die by SIGKILL after the Whoosh commit, before the cursor is written."""
    from gallery.services.search import sync

    app = _app(config)
    with app.app_context():
        sync._after_index_commit = lambda: os.kill(os.getpid(), signal.SIGKILL)
        sync.drain(timeout=5.0)
