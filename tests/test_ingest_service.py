"""The ingest service every way in goes through: storage, duplicates, limits, precedence, rollback."""
from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
from sqlalchemy import func, select

from gallery.extensions import db
from gallery.models import Asset, Gallery, SearchOutbox
from gallery.services import ingest, search
from gallery.services.ingest import IngestItem
from tests.conftest import image_bytes, stored_files


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_accepted_file_is_content_addressed_with_renditions(app, make_gallery):
    gallery = make_gallery(credit="Agency / Field Team")
    data = image_bytes(size=(3000, 2000))
    result = ingest.ingest(gallery, io.BytesIO(data), "borehole.jpg", {"caption": "A borehole."})
    assert result.status == "accepted", result.reason
    sha = hashlib.sha256(data).hexdigest()
    asset = result.asset
    assert asset.storage_key == f"originals/{sha[:2]}/{sha[2:4]}/{sha}.jpg"
    assert asset.original_filename == "borehole.jpg" and asset.bytes == len(data)
    # large is made on first use (services/renditions.ensure_rendition), not at ingest.
    assert {r.size: max(r.width, r.height) for r in asset.renditions} == {
        "thumb": 400, "preview": 1280}
    files = stored_files(app)
    assert asset.storage_key in files and all(r.storage_key in files for r in asset.renditions)
    assert len(files) == 3  # no temp file left behind
    # The log entry was written with the asset and applied to the index after the commit.
    assert search.pending().entries == 0
    report = search.check()
    assert report.documents == 1 and report.clean
    assert db.session.get(Gallery, gallery.id).image_count == 1


def test_duplicate_is_reported_with_the_existing_asset(app, make_gallery):
    gallery = make_gallery()
    data = image_bytes()
    first = ingest.ingest(gallery, io.BytesIO(data), "a.jpg")
    files = stored_files(app)
    again = ingest.ingest(make_gallery(title="Other"), io.BytesIO(data), "copy.jpg")
    assert again.status == "duplicate" and again.existing_id == first.asset.id
    assert f"asset {first.asset.id}" in again.reason and "copy.jpg" in again.reason
    assert count(Asset) == 1 and stored_files(app) == files


def test_duplicate_inside_one_batch_points_at_the_first_copy(app, make_gallery):
    gallery = make_gallery()
    data = image_bytes(color=(1, 2, 3))
    items = [IngestItem("one.jpg", io.BytesIO(data)), IngestItem("two.jpg", io.BytesIO(data))]
    first, second = ingest.ingest_many(gallery, items)
    assert first.status == "accepted"
    assert second.status == "duplicate" and second.existing_id == first.asset.id
    assert count(Asset) == 1


@pytest.mark.parametrize("data, why", [
    (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "SVG images are not accepted"),
    (b"<html><script>alert(1)</script></html>", "HTML pages are not accepted"),
    (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "PDF documents are not accepted"),
    (b"MZ\x90\x00" + b"\x00" * 200, "Windows programs are not accepted"),
    (image_bytes(size=(800, 600))[:4000], "damaged"),
    (image_bytes(fmt="BMP"), "BMP images are not accepted"),
])
def test_unsupported_or_damaged_files_are_refused_and_leave_nothing(app, make_gallery, data, why):
    gallery = make_gallery()
    result = ingest.ingest(gallery, io.BytesIO(data), "photo.jpg")
    assert result.status == "rejected" and result.error_status == 415
    assert why in result.reason and result.reason.startswith("photo.jpg: ")
    assert stored_files(app) == [] and count(Asset) == 0 and count(SearchOutbox) == 0


def test_size_limits_per_media_type_and_while_spooling(app, make_gallery):
    gallery = make_gallery()
    data = image_bytes(size=(1200, 900), quality=95)
    app.config.update(MAX_IMAGE_BYTES=len(data) - 1, MAX_VIDEO_BYTES=len(data) * 2)
    result = ingest.ingest(gallery, io.BytesIO(data), "big.jpg")
    assert result.status == "rejected" and result.error_status == 413
    assert "image files may be at most" in result.reason
    app.config.update(MAX_VIDEO_BYTES=len(data) - 1)
    result = ingest.ingest(gallery, io.BytesIO(data), "big.jpg")
    assert result.status == "rejected" and "over the size limit" in result.reason
    assert stored_files(app) == [] and count(Asset) == 0


def test_pixel_limit(app, make_gallery):
    app.config["MAX_IMAGE_PIXELS"] = 1000 * 1000
    result = ingest.ingest(make_gallery(), io.BytesIO(image_bytes(size=(1200, 1000))), "wide.png")
    assert result.status == "rejected" and result.error_status == 413
    assert "pixels" in result.reason and stored_files(app) == []


def test_hostile_filename_is_cleaned_and_never_a_path(app, make_gallery, tmp_path):
    name = "../../../etc/\u202eevil\x00\x07" + "x" * 400 + ".jpg"
    result = ingest.ingest(make_gallery(), io.BytesIO(image_bytes()), name)
    assert result.status == "accepted"
    shown = result.asset.original_filename
    assert "/" not in shown and "\x00" not in shown and "\u202e" not in shown
    assert shown.endswith(".jpg") and len(shown) <= 200
    assert all(f.startswith("originals/") or f.startswith("renditions/") for f in stored_files(app))
    assert not (tmp_path / "etc").exists()


def test_explicit_fields_beat_metadata_which_beats_gallery_values(app, make_gallery, monkeypatch):
    gallery = make_gallery(credit="Gallery credit", date=dt.date(2023, 5, 1), country="KEN")
    real_probe = ingest.examine

    def probe_with_metadata(path, label, size, config=None):
        probed = real_probe(path, label, size, config)
        probed.metadata = {"caption": "Embedded caption", "credit": "Embedded credit",
                           "keywords": ["water", "Turkana"], "country_code": "UGA",
                           "date_taken": "2022-01-02", "city": "Lodwar"}
        return probed

    monkeypatch.setattr(ingest, "examine", probe_with_metadata)
    asset = ingest.ingest(gallery, io.BytesIO(image_bytes()), "a.jpg",
                             {"caption": "Form caption", "keywords": "borehole, pump"}).asset
    assert asset.caption == "Form caption" and asset.keywords == ["borehole", "pump"]
    assert asset.credit == "Embedded credit" and asset.country_code == "UGA"
    assert asset.date_taken == dt.date(2022, 1, 2) and asset.city == "Lodwar"

    monkeypatch.setattr(ingest, "examine", real_probe)
    plain = ingest.ingest(gallery, io.BytesIO(image_bytes(color=(9, 9, 9))), "b.jpg").asset
    assert plain.credit == "Gallery credit" and plain.country_code == "KEN"
    assert plain.date_taken == dt.date(2023, 5, 1) and plain.caption == ""


@pytest.mark.parametrize("fields, field", [
    ({"date_taken": "yesterday"}, "date_taken"),
    ({"country": "Atlantis"}, "country"),
    ({"status": "secret"}, "status"),
    ({"title": "x" * 301}, "title"),
    ({"keywords": [1, 2]}, "keywords"),
])
def test_bad_fields_are_refused_naming_the_field(app, make_gallery, fields, field):
    result = ingest.ingest(make_gallery(), io.BytesIO(image_bytes()), "a.jpg", fields)
    assert result.status == "rejected" and result.error_status == 400
    assert result.error_field == field and stored_files(app) == []


def test_failed_commit_removes_the_files_it_wrote(app, make_gallery, monkeypatch):
    gallery = make_gallery()

    def broken_commit():
        raise RuntimeError("database went away")

    monkeypatch.setattr(db.session, "commit", broken_commit)
    with pytest.raises(RuntimeError):
        ingest.ingest(gallery, io.BytesIO(image_bytes()), "a.jpg")
    monkeypatch.undo()
    assert stored_files(app) == [] and count(Asset) == 0 and count(SearchOutbox) == 0


def test_batches_commit_and_drain_search_once_each(app, make_gallery, monkeypatch):
    gallery = make_gallery()
    drains = []
    monkeypatch.setattr(search, "after_commit", lambda: drains.append(count(Asset)))
    items = [IngestItem(f"{n}.jpg", io.BytesIO(image_bytes(color=(n * 40, 0, 0)))) for n in range(5)]
    results = list(ingest.ingest_many(gallery, items, batch_size=2))
    assert [r.status for r in results] == ["accepted"] * 5
    assert drains == [2, 4, 5]
    assert [r.asset.position for r in results] == [1, 2, 3, 4, 5]
    assert count(SearchOutbox) == 5


def test_error_mid_batch_leaves_no_file_without_its_row(app, make_gallery):
    gallery = make_gallery()

    def items():
        for n in range(2):
            yield IngestItem(f"{n}.jpg", io.BytesIO(image_bytes(color=(0, n * 90, 0))))
        raise OSError("disk unplugged")

    with pytest.raises(OSError):
        list(ingest.ingest_many(gallery, items(), batch_size=10))
    assert stored_files(app) == [] and count(Asset) == 0
