"""Zip archives: unpacked as a stream of entries; hostile archives refused, naming the entry."""
from __future__ import annotations

import io
import stat
import zipfile

import pytest
from sqlalchemy import func, select

from gallery.extensions import db
from gallery.models import Asset
from gallery.services import archives, ingest
from tests.conftest import image_bytes, stored_files, zip_bytes


def ingest_zip(gallery, data: bytes, name: str = "photos.zip"):
    return list(ingest.ingest_many(gallery, archives.expand(name, io.BytesIO(data))))


def asset_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Asset))


def test_entries_are_ingested_and_junk_skipped(app, make_gallery):
    data = zip_bytes({
        "day1/": b"",
        "day1/pump.jpg": image_bytes(color=(10, 120, 200)),
        "day1/tank.png": image_bytes(color=(200, 10, 10), fmt="PNG"),
        "__MACOSX/day1/._pump.jpg": b"\x00\x05\x16\x07junk",
        "day1/.DS_Store": b"junk",
        "Thumbs.db": b"junk",
    })
    results = ingest_zip(make_gallery(), data)
    assert [(r.filename, r.status) for r in results] == [
        ("photos.zip/day1/pump.jpg", "accepted"), ("photos.zip/day1/tank.png", "accepted")]
    assert results[0].asset.original_filename == "pump.jpg"
    assert asset_count() == 2


@pytest.mark.parametrize("entry", ["../escape.jpg", "day1/../../escape.jpg", "/etc/escape.jpg",
                                   "C:\\Windows\\escape.jpg", "..\\escape.jpg"])
def test_entries_escaping_the_folder_refuse_the_archive(app, make_gallery, entry):
    data = zip_bytes({"fine.jpg": image_bytes(), entry: image_bytes(color=(1, 200, 1))})
    [result] = ingest_zip(make_gallery(), data)
    assert result.status == "rejected" and result.filename == "photos.zip"
    assert "points outside the archive's folder" in result.reason and "escape.jpg" in result.reason
    assert stored_files(app) == [] and asset_count() == 0


def test_symlink_entry_refuses_the_archive(app, make_gallery):
    link = {"external_attr": (stat.S_IFLNK | 0o777) << 16, "create_system": 3}
    data = zip_bytes({"fine.jpg": image_bytes(), "link.jpg": (b"/etc/passwd", link)})
    [result] = ingest_zip(make_gallery(), data)
    assert result.status == "rejected" and "'link.jpg' is a symbolic link" in result.reason
    assert stored_files(app) == [] and asset_count() == 0


def test_too_many_entries(app, make_gallery):
    app.config["MAX_ZIP_ENTRIES"] = 3
    data = zip_bytes({f"{n}.jpg": image_bytes(color=(n * 50, 0, 0)) for n in range(4)})
    [result] = ingest_zip(make_gallery(), data)
    assert result.status == "rejected" and result.error_status == 413
    assert "4 entries; at most 3" in result.reason
    assert stored_files(app) == [] and asset_count() == 0


def test_declared_size_over_the_limit(app, make_gallery):
    app.config["MAX_ZIP_BYTES"] = 100_000
    data = zip_bytes({"zeros.jpg": bytes(5_000_000)})
    assert len(data) < 10_000  # a small archive that unpacks big
    [result] = ingest_zip(make_gallery(), data)
    assert result.status == "rejected" and "unpacks to 4.8 MB" in result.reason
    assert stored_files(app) == []


def test_actual_size_is_counted_while_reading(app, make_gallery, monkeypatch):
    # A lying directory: the real bytes are counted, whatever the header claims.
    monkeypatch.setattr(archives, "declared_size", lambda infos: 0)
    first = image_bytes(size=(300, 300), color=(0, 0, 200))
    second = image_bytes(size=(900, 900), color=(0, 200, 0))
    app.config["MAX_ZIP_BYTES"] = len(first) + len(second) // 2
    data = zip_bytes({"a.jpg": first, "b.jpg": second, "c.jpg": image_bytes(color=(9, 9, 9))})
    results = ingest_zip(make_gallery(), data)
    assert [r.status for r in results] == ["accepted", "rejected", "rejected"]
    assert "photos.zip/b.jpg" == results[1].filename and "unpacks to more than" in results[1].reason
    assert "remaining entries were not read" in results[2].reason
    assert asset_count() == 1
    assert {f for f in stored_files(app) if f.startswith("originals/")} == {results[0].asset.storage_key}
    assert not [f for f in stored_files(app) if f.startswith("tmp/")]


def test_encrypted_entry_refuses_the_archive(app, make_gallery):
    data = bytearray(zip_bytes({"secret.jpg": image_bytes()}))
    # Set the "encrypted" flag bit in the local header and the central directory entry.
    local, central = data.find(b"PK\x03\x04"), data.find(b"PK\x01\x02")
    data[local + 6] |= 0x1
    data[central + 8] |= 0x1
    [result] = ingest_zip(make_gallery(), bytes(data))
    assert result.status == "rejected" and "'secret.jpg' is encrypted" in result.reason
    assert stored_files(app) == []


def test_zips_inside_zips_are_refused_per_entry(app, make_gallery):
    inner = zip_bytes({"x.jpg": image_bytes()})
    data = zip_bytes({"inner.zip": inner, "disguised.jpg": inner,
                      "ok.jpg": image_bytes(color=(3, 90, 3))})
    results = ingest_zip(make_gallery(), data)
    assert [(r.filename, r.status) for r in results] == [
        ("photos.zip/inner.zip", "rejected"), ("photos.zip/disguised.jpg", "rejected"),
        ("photos.zip/ok.jpg", "accepted")]
    assert all("inside zip archives" in r.reason for r in results[:2])
    assert asset_count() == 1


def test_damaged_entry_is_refused_without_stopping_the_archive(app, make_gallery):
    good = image_bytes(color=(120, 1, 1))
    raw = bytearray(zip_bytes({"bad.jpg": image_bytes(size=(800, 800)), "good.jpg": good}))
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as zf:
        info = zf.getinfo("bad.jpg")
    start = info.header_offset + 30 + len(info.filename) + 10
    raw[start:start + 40] = bytes(40)  # scramble the compressed data
    results = ingest_zip(make_gallery(), bytes(raw))
    assert [r.status for r in results] == ["rejected", "accepted"]
    assert results[0].filename == "photos.zip/bad.jpg"
    assert not [f for f in stored_files(app) if f.startswith("tmp/")]


def test_not_really_a_zip(app, make_gallery):
    [result] = ingest_zip(make_gallery(), b"PK\x03\x04 but nothing else")
    assert result.status == "rejected" and "not a readable zip archive" in result.reason


def test_hostile_entry_names_are_cleaned_for_display(app, make_gallery):
    data = zip_bytes({"photos/\u202egpj.exe\x07.jpg": image_bytes()})
    [result] = ingest_zip(make_gallery(), data)
    assert result.status == "accepted"
    assert "\u202e" not in result.filename and "\x07" not in result.filename
    assert result.asset.original_filename == "gpj.exe.jpg"
