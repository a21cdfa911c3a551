"""`gallery recredit`: served copies made before a writer knew their format, or left stale, carry the catalogue's credits again."""
from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from PIL import Image
from sqlalchemy import select, update

from gallery.extensions import db
from gallery.models import Asset, AssetWork
from gallery.services import jobs, recrediting, served, storage

needs_exiftool = pytest.mark.skipif(shutil.which("exiftool") is None,
                                    reason="exiftool is not installed (apt-get install libimage-exiftool-perl)")


def settled(asset) -> Asset:
    """The asset read again once its queued work (the served copy) is done."""
    assert jobs.wait_idle()
    db.session.expire_all()
    return db.session.get(Asset, asset.id)


def behind_the_writers_back(asset_id: int, **values) -> None:
    """Change the row without the asset service, so no "credits" piece is queued."""
    db.session.execute(update(Asset).where(Asset.id == asset_id).values(**values))
    db.session.commit()
    db.session.expire_all()


def credits_piece(asset_id: int) -> AssetWork | None:
    return db.session.scalar(select(AssetWork).where(AssetWork.asset_id == asset_id,
                                                     AssetWork.piece == "credits"))


def embedded_credit(key: str, tmp_path) -> str:
    """What exiftool reads as the XMP credit line of a stored file."""
    path = tmp_path / "read.jpg"
    path.write_bytes(storage.read_bytes(key))
    return subprocess.run(["exiftool", "-s3", "-XMP-photoshop:Credit", str(path)], capture_output=True,
                          text=True, check=True).stdout.strip()


@pytest.fixture
def stale(make_gallery, make_asset):
    """Two galleries, an asset in each whose served copy says "Relief Agency" while its row says "Partner Network"."""
    out = []
    for title in ("Water in Turkana", "Schools in Gulu"):
        asset = settled(make_asset(make_gallery(title=title), caption="Queue at the pump",
                                   credit="Relief Agency"))
        assert b"Relief Agency" in storage.read_bytes(asset.served_key)
        behind_the_writers_back(asset.id, credit="Partner Network")
        out.append(db.session.get(Asset, asset.id))
    return out


@needs_exiftool
def test_recredit_rewrites_a_credit_changed_behind_the_writers_back(runner, stale, tmp_path):
    before = [a.served_key for a in stale]
    assert embedded_credit(before[0], tmp_path) == "Relief Agency"
    result = runner.invoke(args=["recredit"])
    assert result.exit_code == 0, result.output
    assert "Queued the credits of 2 assets" in result.output
    for asset, old in zip(stale, before):
        asset = settled(asset)
        assert asset.served_key != old and not storage.exists(old)
        assert embedded_credit(asset.served_key, tmp_path) == "Partner Network"
        assert credits_piece(asset.id).state == "ready"


def test_a_copy_served_as_stored_before_its_writer_existed_gets_the_credits(runner, make_gallery, make_asset):
    """Before a writer learned a format its copy was the original itself; recredit writes the credits in."""
    asset = settled(make_asset(make_gallery(), caption="Night falls on the camp.", credit="Relief Agency"))
    behind_the_writers_back(asset.id, served_key=asset.storage_key)
    assert b"Night falls on the camp." not in storage.read_bytes(asset.storage_key)
    assert runner.invoke(args=["recredit"]).exit_code == 0
    asset = settled(asset)
    assert served.carries_credits(asset.served_key) and asset.served_key != asset.storage_key
    data = storage.read_bytes(asset.served_key)
    assert b"Night falls on the camp." in data and b"Relief Agency" in data
    with Image.open(io.BytesIO(data)) as im:
        assert im.size == (640, 480)
    assert storage.exists(asset.storage_key)  # the original is never deleted


def test_dry_run_counts_and_changes_nothing(runner, stale):
    before = [a.served_key for a in stale]
    result = runner.invoke(args=["recredit", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Would queue the credits of 2 assets" in result.output
    assert jobs.wait_idle()
    db.session.expire_all()
    for asset, old in zip(stale, before):
        assert credits_piece(asset.id) is None
        assert db.session.get(Asset, asset.id).served_key == old
        assert b"Relief Agency" in storage.read_bytes(old)


def test_gallery_limits_it_to_that_gallerys_assets(runner, stale):
    mine, other = stale
    before = other.served_key
    assert "would queue the credits of 1 asset " in runner.invoke(
        args=["recredit", "--gallery", str(mine.gallery_id), "--dry-run"]).output.lower()
    result = runner.invoke(args=["recredit", "--gallery", str(mine.gallery_id)])
    assert result.exit_code == 0, result.output
    assert "Queued the credits of 1 asset;" in result.output
    assert b"Partner Network" in storage.read_bytes(settled(mine).served_key)
    assert settled(other).served_key == before and credits_piece(other.id) is None
    assert b"Relief Agency" in storage.read_bytes(before)


def test_media_type_limits_it(runner, stale):
    result = runner.invoke(args=["recredit", "--media-type", "video"])
    assert result.exit_code == 0 and "Queued the credits of 0 assets" in result.output
    assert all(credits_piece(a.id) is None for a in stale)
    assert "Would queue the credits of 2 assets" in runner.invoke(
        args=["recredit", "--media-type", "image", "--dry-run"]).output


def test_an_unknown_gallery_is_a_clear_error(runner, stale):
    result = runner.invoke(args=["recredit", "--gallery", "99999"])
    assert result.exit_code == 1 and "No such gallery." in result.output
    result = runner.invoke(args=["recredit", "--media-type", "pdf"])
    assert result.exit_code == 2 and "--media-type" in result.output
    assert all(credits_piece(a.id) is None for a in stale)


def test_batches_queue_every_asset_once_and_skip_those_without_a_copy(app, stale, make_gallery, make_asset):
    """A batch of one still reaches every asset; an asset whose copy is not made yet is left to its "served" piece."""
    pending = make_asset(make_gallery(title="Not yet"), credit="Relief Agency")  # work not run
    assert pending.served_key is None
    assert recrediting.count() == 2
    assert recrediting.recredit_all(batch=1) == 2
    assert {a.id for a in stale} == set(db.session.scalars(select(AssetWork.asset_id).where(
        AssetWork.piece == "credits", AssetWork.state == "pending")))
    assert jobs.wait_idle()
    db.session.expire_all()
    assert all(b"Partner Network" in storage.read_bytes(db.session.get(Asset, a.id).served_key) for a in stale)


def test_an_audio_files_served_original_and_proxy_are_recredited(runner, make_gallery):
    """Audio got its writers after its first copies: recredit reaches the served WAV and the AAC proxy."""
    from mutagen.mp4 import MP4
    from mutagen.wave import WAVE

    from gallery.services import ingest
    from tests.media_files import audio_bytes

    result = ingest.ingest(make_gallery(), io.BytesIO(audio_bytes(seconds=0.5)), "chime.wav",
                           {"caption": "Morning call", "credit": "Relief Agency"}, user=None)
    assert result.status == "accepted", result.reason
    asset = settled(result.asset)
    assert asset.rendition("audio") is not None
    behind_the_writers_back(asset.id, caption="Evening call")
    assert "Would queue the credits of 1 asset " in runner.invoke(
        args=["recredit", "--media-type", "audio", "--dry-run"]).output
    result = runner.invoke(args=["recredit", "--media-type", "audio"])
    assert result.exit_code == 0 and "Queued the credits of 1 asset;" in result.output
    asset = settled(asset)
    assert str(WAVE(storage.path(asset.served_key)).tags.getall("COMM")[0]) == "Evening call"
    assert MP4(storage.path(asset.rendition("audio").storage_key)).tags["\xa9cmt"][0] == "Evening call"
