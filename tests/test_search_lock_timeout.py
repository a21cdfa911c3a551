"""Requests wait for the search index lock only SEARCH_LOCK_TIMEOUT, then leave their change queued."""
from __future__ import annotations

import os

import pytest
import whoosh.util.filelock
from sqlalchemy import select, tuple_
from whoosh import index
from whoosh.util.filelock import FileLock

from gallery.extensions import db
from gallery.models import SearchOutbox
from gallery.services import apitokens, search
from gallery.services.search import store, sync


class MovedClock:
    """time.time/monotonic/sleep for the lock loops: sleeping moves the clock instead of waiting."""

    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.slept = 0.0

    def time(self) -> float:
        return self.now

    monotonic = time

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.now += seconds


@pytest.fixture
def patch_caption(client, editor, make_gallery, make_asset):
    """PATCH an asset's caption through the editor API; returns (asset id, send)."""
    token = apitokens.create_token(editor, "tests", editor)[1]
    asset = make_asset(make_gallery())
    assert search.pending().entries == 0  # indexed at ingest

    def send(caption: str):
        return client.patch(f"/api/assets/{asset.id}", json={"caption": caption},
                            headers={"Authorization": f"Bearer {token}"})

    return asset.id, send


def queued(asset_id: int) -> list[int]:
    """The asset's log entries this server's index has not applied."""
    cursor = sync.local_cursor()
    db.session.expire_all()
    return list(db.session.scalars(select(SearchOutbox.asset_id).where(
        SearchOutbox.asset_id == asset_id,
        tuple_(SearchOutbox.txid, SearchOutbox.id) > tuple_(*cursor.position))))


def test_held_whoosh_writer_lock_waits_the_configured_timeout(app, patch_caption, monkeypatch):
    asset_id, send = patch_caption
    app.config["SEARCH_LOCK_TIMEOUT"] = 0.5
    root = app.config["SEARCH_INDEX_DIR"]
    ix = index.open_dir(os.path.join(root, store.current_name(root)))
    held = ix.lock("WRITELOCK")  # the real Whoosh writer lock of the current index version
    assert held.acquire()
    clock = MovedClock()
    monkeypatch.setattr(whoosh.util.filelock, "time", clock)  # Whoosh's own retry loop
    try:
        response = send("Queued while the index is busy")
    finally:
        held.release()
        ix.close()
    assert response.status_code == 200
    assert queued(asset_id) == [asset_id]  # the change waits in the log
    # Whoosh retries every 0.1 s until its timeout: the wait is the configured 0.5 s, not 5 s.
    assert 0.5 <= clock.slept <= 0.6


def test_held_index_root_lock_waits_the_configured_timeout(app, patch_caption, monkeypatch):
    asset_id, send = patch_caption
    app.config["SEARCH_LOCK_TIMEOUT"] = 0.25
    held = FileLock(os.path.join(app.config["SEARCH_INDEX_DIR"], store.LOCKFILE))
    assert held.acquire()
    clock = MovedClock()
    monkeypatch.setattr(store, "time", clock)
    try:
        response = send("Queued while another process drains")
    finally:
        held.release()
    assert response.status_code == 200
    assert queued(asset_id) == [asset_id]
    assert 0.25 <= clock.slept <= 0.27


def test_search_before_any_index_exists_waits_the_configured_timeout(app, client, monkeypatch):
    app.config["SEARCH_LOCK_TIMEOUT"] = 0.5
    root = app.config["SEARCH_INDEX_DIR"]
    os.makedirs(root, exist_ok=True)
    assert store.current_name(root) is None
    held = FileLock(os.path.join(root, store.LOCKFILE))  # another process making the first index
    assert held.acquire()
    clock = MovedClock()
    monkeypatch.setattr(store, "time", clock)
    try:
        response = client.get("/api/search?q=water")
        page = client.get("/search?q=water")
    finally:
        held.release()
    assert response.status_code == 503 and "try again" in response.json["error"]["message"]
    assert page.status_code == 503 and b"try again" in page.data
    assert 1.0 <= clock.slept <= 1.05  # two requests, 0.5 s each


def test_search_of_an_empty_catalogue_answers(app, client, runner):
    """A fresh install: the first index has no document yet (its reader has no segment)."""
    assert client.get("/search?q=water").status_code == 200
    assert client.get("/api/search?q=water").json["total"] == 0
    assert runner.invoke(args=["check"]).exit_code == 0
