"""Zip bombs: an entry is refused before (or as soon as) it passes its limit, not after it is on disk."""
from __future__ import annotations

import io
import os

import pytest
from sqlalchemy import func, select

from gallery.extensions import db
from gallery.models import Asset
from gallery.services import archives, ingest, storage
from tests.conftest import image_bytes, stored_files, zip_bytes

MIB = 1024 * 1024


@pytest.fixture
def written(monkeypatch) -> dict[int, int]:
    """Bytes written per file opened for writing with os.fdopen (how storage writes temp files)."""
    counts: dict[int, int] = {}
    real = os.fdopen

    class Counting:
        def __init__(self, fh) -> None:
            self.fh = fh
            counts[id(self)] = 0

        def write(self, data) -> int:
            counts[id(self)] += len(data)
            return self.fh.write(data)

        def __getattr__(self, name):
            return getattr(self.fh, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.fh.__exit__(*exc)

    def fdopen(fd, mode="r", *args, **kwargs):
        fh = real(fd, mode, *args, **kwargs)
        return Counting(fh) if "w" in mode else fh

    monkeypatch.setattr(os, "fdopen", fdopen)
    return counts


def ingest_zip(gallery, data: bytes):
    return list(ingest.ingest_many(gallery, archives.expand("photos.zip", io.BytesIO(data))))


@pytest.mark.parametrize("name, head, kind", [
    ("bomb.jpg", b"\xff\xd8\xff\xe0", "image"),                           # starts like a JPEG
    ("bomb.mp4", b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2", "video"),  # like an MP4
])
def test_entry_over_its_kind_limit_is_refused_before_it_is_written(app, make_gallery, written,
                                                                    name, head, kind):
    # Only this kind's limit is low: the other (the spool's overall cap) stays at its default.
    app.config["MAX_IMAGE_BYTES" if kind == "image" else "MAX_VIDEO_BYTES"] = 2 * MIB
    data = zip_bytes({"ok.jpg": image_bytes(), name: head + bytes(64 * MIB)})
    assert len(data) < 200_000  # a small archive that unpacks to 64 MiB
    results = ingest_zip(make_gallery(), data)
    assert [r.status for r in results] == ["accepted", "rejected"]
    assert max(written.values()) <= 2 * MIB + storage.CHUNK  # never more than limit + one chunk
    refused = results[1]
    assert refused.filename == f"photos.zip/{name}"
    assert refused.reason.startswith(f"photos.zip/{name}: ")
    assert f"{kind} files may be at most 2 MB" in refused.reason
    assert not [f for f in stored_files(app) if f.startswith("tmp/")]
    assert db.session.scalar(select(func.count()).select_from(Asset)) == 1


def test_entry_of_no_accepted_kind_is_refused_without_a_byte_written(app, make_gallery, written):
    data = zip_bytes({"zeros.jpg": bytes(64 * MIB)})
    [result] = ingest_zip(make_gallery(), data)
    assert result.status == "rejected"
    assert result.reason.startswith("photos.zip/zeros.jpg: ") and "not a type of file we accept" in result.reason
    assert sum(written.values()) == 0
    assert stored_files(app) == []


def test_entry_within_its_limit_is_read_whole(app, make_gallery, written):
    photo = image_bytes(size=(1200, 900))
    app.config["MAX_IMAGE_BYTES"] = len(photo)  # exactly at the limit: accepted
    [result] = ingest_zip(make_gallery(), zip_bytes({"a.jpg": photo}))
    assert result.status == "accepted"
    with open(storage.path(result.asset.storage_key), "rb") as fh:
        assert fh.read() == photo
