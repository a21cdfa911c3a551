"""`gallery import MANIFEST.json` and `gallery import-folder DIR`."""
from __future__ import annotations

import datetime as dt
import json
import os

import pytest
from sqlalchemy import func, select

from gallery.extensions import db
from gallery.models import Asset, Gallery
from tests.conftest import image_bytes, stored_files, zip_bytes


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def write(path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "shoot"
    write(root / "day1" / "pump.jpg", image_bytes(color=(10, 100, 200)))
    write(root / "day1" / "tank.png", image_bytes(color=(200, 100, 10), fmt="PNG"))
    write(root / "day2" / "more.zip", zip_bytes({"a.jpg": image_bytes(color=(1, 1, 150)),
                                                 "b.jpg": image_bytes(color=(150, 1, 1))}))
    write(root / ".DS_Store", b"junk")
    write(root / "day2" / "Thumbs.db", b"junk")
    write(root / ".hidden" / "secret.jpg", image_bytes(color=(5, 5, 5)))
    return root


def test_import_folder_recurses_unpacks_zips_and_reports(runner, folder):
    result = runner.invoke(args=["import-folder", str(folder), "--gallery", "Water points",
                                 "--category", "Health", "--country", "KEN", "--credit", "Field team",
                                 "--date", "2023-05-01", "--status", "published"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Gallery ") and lines[0].endswith("created.")
    assert [line.split()[0:2] for line in lines[1:5]] == [
        ["accepted", "day1/pump.jpg"], ["accepted", "day1/tank.png"],
        ["accepted", "day2/more.zip/a.jpg"], ["accepted", "day2/more.zip/b.jpg"]]
    assert lines[-1] == "Imported 4, duplicates 0, rejected 0."
    gallery = db.session.scalar(select(Gallery))
    assert (gallery.title, gallery.country_code, gallery.status) == ("Water points", "KEN", "published")
    assert gallery.date == dt.date(2023, 5, 1) and gallery.image_count == 4
    assets = db.session.scalars(select(Asset).order_by(Asset.position)).all()
    assert [a.credit for a in assets] == ["Field team"] * 4


def test_running_an_import_again_imports_nothing_twice(runner, folder):
    args = ["import-folder", str(folder), "--gallery", "Water points", "--category", "health",
            "--country", "Kenya"]
    assert runner.invoke(args=args).exit_code == 0
    files = stored_files(runner.app)
    again = runner.invoke(args=args)
    assert again.exit_code == 0, again.output
    assert "adding to the existing gallery" in again.output.splitlines()[0]
    assert again.output.splitlines()[-1] == "Imported 0, duplicates 4, rejected 0."
    assert count(Gallery) == 1 and count(Asset) == 4 and stored_files(runner.app) == files


def test_rejections_give_exit_status_1(runner, folder):
    write(folder / "notes.txt", b"not a photo")
    write(folder / "day1" / "bad.jpg", image_bytes()[:500])
    result = runner.invoke(args=["import-folder", str(folder), "--gallery", "G", "--category", "Health"])
    assert result.exit_code == 1
    assert "rejected   notes.txt: not a type of file we accept" in result.output
    assert "rejected   day1/bad.jpg: " in result.output
    assert result.output.splitlines()[-1] == "Imported 4, duplicates 0, rejected 2."
    assert not [f for f in stored_files(runner.app) if f.startswith("tmp/")]


def test_link_out_of_the_folder_is_refused(runner, folder, tmp_path):
    write(tmp_path / "elsewhere.jpg", image_bytes(color=(99, 0, 99)))
    os.symlink(tmp_path / "elsewhere.jpg", folder / "link.jpg")
    result = runner.invoke(args=["import-folder", str(folder), "--gallery", "G", "--category", "Health"])
    assert result.exit_code == 1
    assert "rejected   link.jpg: a link pointing outside the folder." in result.output


@pytest.mark.parametrize("args, message", [
    (["--category", "Nonsense"], "Unknown category: Nonsense"),
    (["--category", "Health", "--country", "Atlantis"], "Unknown country: Atlantis"),
    (["--category", "Health", "--date", "May 2023"], "date must be a date like 2023-05-01"),
])
def test_import_folder_bad_options(runner, folder, args, message):
    result = runner.invoke(args=["import-folder", str(folder), "--gallery", "G", *args])
    assert result.exit_code != 0 and message in result.output
    assert count(Gallery) == 0 and count(Asset) == 0


def manifest_file(tmp_path, data) -> str:
    path = tmp_path / "batch" / "manifest.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def test_import_manifest(runner, tmp_path, make_gallery):
    existing = make_gallery(title="Cholera response", category="Health", country="YEM")
    write(tmp_path / "batch" / "photos" / "001.jpg", image_bytes(color=(30, 60, 90)))
    write(tmp_path / "batch" / "photos" / "002.jpg", image_bytes(color=(90, 60, 30)))
    write(tmp_path / "batch" / "003.png", image_bytes(color=(0, 160, 60), fmt="PNG"))
    path = manifest_file(tmp_path, {"galleries": [
        {"title": "Cholera response", "category": "Health", "country": "YEM",
         "assets": [{"file": "photos/001.jpg", "caption": "Oral rehydration point.",
                     "keywords": ["cholera", "ORS"], "credit": "Photo credit",
                     "date_taken": "2023-05-02", "alt_text": "A nurse mixes salts."}]},
        {"title": "Shelter kits", "category": "Shelter", "country": "KEN", "credit": "Gallery credit",
         "date": "2023-06-01", "status": "published", "description": "Kits arrive.",
         "assets": [{"file": "photos/002.jpg", "title": "Kit"}, {"file": "003.png"}]},
    ]})
    result = runner.invoke(args=["import", path])
    assert result.exit_code == 0, result.output
    assert "adding to the existing gallery" in result.output
    assert result.output.splitlines()[-1] == "Imported 3, duplicates 0, rejected 0."
    assert count(Gallery) == 2
    first = db.session.scalar(select(Asset).where(Asset.gallery_id == existing.id))
    assert first.caption == "Oral rehydration point." and first.keywords == ["cholera", "ORS"]
    assert first.credit == "Photo credit" and first.date_taken == dt.date(2023, 5, 2)
    assert first.alt_text == "A nurse mixes salts."
    shelter = db.session.scalar(select(Gallery).where(Gallery.title == "Shelter kits"))
    assert shelter.status == "published" and shelter.description == "Kits arrive."
    kit, png = db.session.scalars(select(Asset).where(Asset.gallery_id == shelter.id)
                                  .order_by(Asset.position)).all()
    assert kit.title == "Kit" and kit.credit == "Gallery credit" and kit.date_taken == dt.date(2023, 6, 1)
    assert png.country_code == "KEN"

    again = runner.invoke(args=["import", path])
    assert again.exit_code == 0
    assert again.output.splitlines()[-1] == "Imported 0, duplicates 3, rejected 0."
    assert count(Gallery) == 2 and count(Asset) == 3


def test_manifest_missing_file_is_rejected_and_the_rest_imported(runner, tmp_path):
    write(tmp_path / "batch" / "ok.jpg", image_bytes())
    path = manifest_file(tmp_path, {"galleries": [{"title": "G", "category": "Health", "assets": [
        {"file": "missing.jpg"}, {"file": "ok.jpg"}]}]})
    result = runner.invoke(args=["import", path])
    assert result.exit_code == 1
    assert "rejected   missing.jpg: cannot read the file: No such file or directory." in result.output
    assert count(Asset) == 1


@pytest.mark.parametrize("data, message", [
    ('{"galleries": [', "not valid JSON: Expecting value at line 1, column 16."),
    ("[]", 'the manifest needs a "galleries" list'),
    ({"galleries": []}, 'the manifest needs a "galleries" list'),
    ({"galleries": [{"category": "Health"}]}, "galleries[0].title: a gallery needs a title."),
    ({"galleries": [{"title": "G", "category": "Nope"}]}, "galleries[0].category: Unknown category: Nope"),
    ({"galleries": [{"title": "G", "category": "Health", "country": "Atlantis"}]},
     "galleries[0].country: unknown country 'Atlantis'."),
    ({"galleries": [{"title": "G", "category": "Health", "date": "soon"}]},
     "galleries[0].date: date must be a date like 2023-05-01."),
    ({"galleries": [{"title": "G", "category": "Health", "status": "live"}]},
     "galleries[0].status: must be draft or published."),
    ({"galleries": [{"title": "G", "category": "Health", "titel": "x"}]},
     "galleries[0]: unknown field 'titel'."),
    ({"galleries": [{"title": "G", "category": "Health", "assets": [{"caption": "x"}]}]},
     "galleries[0].assets[0].file: each asset needs a file path."),
    ({"galleries": [{"title": "G", "category": "Health", "assets": [
        {"file": "a.jpg", "date_taken": "2023-13-01"}]}]},
     "galleries[0].assets[0].date_taken: date_taken must be a date like 2023-05-01."),
    ({"galleries": [{"title": "G", "category": "Health", "assets": [{"file": "../outside.jpg"}]}]},
     "galleries[0].assets[0].file: '../outside.jpg' is outside the manifest's folder."),
    ({"galleries": [{"title": "G", "category": "Health", "assets": [{"file": "/etc/passwd"}]}]},
     "galleries[0].assets[0].file: '/etc/passwd' is outside the manifest's folder."),
    ({"galleries": [{"title": "G", "category": "Health", "assets": [{"file": "a/../../x.jpg"}]}]},
     "is outside the manifest's folder."),
])
def test_bad_manifests_import_nothing(runner, tmp_path, data, message):
    write(tmp_path / "outside.jpg", image_bytes())
    path = manifest_file(tmp_path, data)
    result = runner.invoke(args=["import", path])
    assert result.exit_code == 1
    assert message in result.output
    assert "nothing was imported" in result.output
    assert count(Gallery) == 0 and count(Asset) == 0 and stored_files(runner.app) == []


def test_manifest_link_escaping_its_folder_is_refused(runner, tmp_path):
    write(tmp_path / "outside.jpg", image_bytes())
    (tmp_path / "batch").mkdir()
    os.symlink(tmp_path / "outside.jpg", tmp_path / "batch" / "inside.jpg")
    path = manifest_file(tmp_path, {"galleries": [{"title": "G", "category": "Health",
                                                   "assets": [{"file": "inside.jpg"}]}]})
    result = runner.invoke(args=["import", path])
    assert result.exit_code == 1 and "outside the manifest's folder" in result.output
    assert count(Asset) == 0


@pytest.mark.parametrize("workers", ["1", "2"])
def test_import_folder_makes_large_from_the_same_decode_instead_of_queueing_it(runner, tmp_path, workers):
    from gallery.models import AssetWork, Rendition

    write(tmp_path / "in" / "wide.jpg", image_bytes(size=(3200, 2000), color=(30, 120, 60)))
    result = runner.invoke(args=["import-folder", str(tmp_path / "in"), "--gallery", "Wide",
                                 "--category", "Health", "--workers", workers])
    assert result.exit_code == 0, result.output
    sizes = {r.size: (r.width, r.height) for r in db.session.scalars(select(Rendition))}
    assert sizes["large"] == (2560, 1600) and sizes["preview"] == (1280, 800)
    assert db.session.scalar(select(func.count()).select_from(AssetWork)
                             .where(AssetWork.piece == "large")) == 0


def test_an_import_in_one_process_decodes_each_photo_once(runner, tmp_path, monkeypatch):
    """The probe keeps its frame at the scale large needs, so no second decode of the original."""
    from gallery.formats import imaging

    def second_decode(*_args, **_kwargs):
        raise AssertionError("the original was decoded a second time")
    monkeypatch.setattr(imaging, "make_renditions", second_decode)
    write(tmp_path / "in" / "wide.jpg", image_bytes(size=(3200, 2000)))
    result = runner.invoke(args=["import-folder", str(tmp_path / "in"), "--gallery", "Once",
                                 "--category", "Health", "--workers", "1"])
    assert result.exit_code == 0 and "Imported 1," in result.output, result.output
