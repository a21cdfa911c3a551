"""Credits inside the proxies follow staff's edits: the atoms rewritten by the "credits" piece, never a re-encode."""
from __future__ import annotations

import hashlib
import io
import os

import av
import pytest
from mutagen.mp4 import MP4
from sqlalchemy import update

from gallery.extensions import db
from gallery.formats import transcode
from gallery.models import Asset
from gallery.services import assets, galleries, ingest, jobs, storage, work
from tests.media_files import audio_bytes, video_bytes


def ingested(gallery, data: bytes, name: str, **fields) -> Asset:
    """An asset with its proxies made, read afresh."""
    result = ingest.ingest(gallery, io.BytesIO(data), name, fields, user=None)
    assert result.status == "accepted", result.reason
    run_jobs(result.asset)
    assert result.asset.rendition("audio" if result.asset.media_type == "audio" else "web") is not None
    return result.asset


def run_jobs(*rows: Asset) -> None:
    assert jobs.wait_idle()
    db.session.commit()
    for row in rows:
        db.session.refresh(row)


def atoms(asset: Asset, size: str = "web") -> dict[str, str]:
    tags = MP4(storage.path(asset.rendition(size).storage_key)).tags or {}
    return {k: tags[k][0] for k in ("\xa9nam", "\xa9cmt", "\xa9ART", "cprt") if k in tags}


def media_digest(path: str) -> str:
    """A hash of every coded packet: the same when only the metadata changed."""
    digest = hashlib.sha256()
    with av.open(path) as container:
        for packet in container.demux():
            if packet.size:
                digest.update(bytes(packet))
    return digest.hexdigest()


@pytest.fixture
def editor(make_user):
    return make_user("editor")


def test_an_edited_caption_and_credit_are_rewritten_into_every_proxy(app, make_gallery, editor):
    asset = ingested(make_gallery(), video_bytes(seconds=0.5, size=(1920, 1080)), "clip.mp4",
                     caption="Before", creator="Amina Yusuf", credit="Relief Org")
    web, hd = (storage.path(asset.rendition(s).storage_key) for s in ("web", "hd"))
    media = {p: media_digest(p) for p in (web, hd)}
    assert atoms(asset)["\xa9cmt"] == "Before"

    assets.update_asset(asset.id, {"caption": "Wells at dawn, Turkana " * 40,
                                   "credit": "Partner Agency"}, editor)
    assert work.states_of([asset.id]) == {}  # no "Processing" tile for a credits rewrite
    run_jobs(asset)

    for size, path in (("web", web), ("hd", hd)):
        found = atoms(asset, size)
        assert found["\xa9cmt"] == ("Wells at dawn, Turkana " * 40).strip()
        assert "Partner Agency" in found["cprt"] and found["\xa9ART"] == "Amina Yusuf"
        assert media_digest(path) == media[path]  # not re-encoded
        assert asset.rendition(size).bytes == os.path.getsize(path)
        with open(path, "rb") as f:
            data = f.read()
        assert data.index(b"moov") < data.index(b"mdat")  # faststart kept
    assert {w.piece: w.state for w in asset.work}["credits"] == "ready"


def test_an_edit_that_changes_no_credit_leaves_the_proxies_alone(app, make_gallery, editor):
    asset = ingested(make_gallery(), video_bytes(seconds=0.3), "clip.mp4", caption="Same")
    assets.update_asset(asset.id, {"alt_text": "Wells at dawn, seen from the road."}, editor)
    db.session.commit()
    assert "credits" not in {w.piece for w in asset.work}


def test_the_gallery_credit_line_and_the_caption_grid_reach_the_proxies(app, make_gallery, editor):
    gallery = make_gallery()
    video = ingested(gallery, video_bytes(seconds=0.3), "clip.mp4", caption="A clip")
    sound = ingested(gallery, audio_bytes(), "tone.wav", caption="A tone")
    galleries.update_gallery(gallery.id, {"credit": "New Gallery Credit"}, editor)
    run_jobs(video, sound)
    assert "New Gallery Credit" in atoms(video)["cprt"]
    assert "New Gallery Credit" in atoms(sound, "audio")["cprt"]

    assets.update_captions(gallery, {video.id: {"caption": "From the grid"}}, editor)
    run_jobs(video)
    assert atoms(video)["\xa9cmt"] == "From the grid"


def test_a_caption_edited_during_the_proxy_pass_is_in_the_proxy(app, make_gallery, editor, monkeypatch):
    result = ingest.ingest(make_gallery(), io.BytesIO(video_bytes(seconds=0.3)), "clip.mp4",
                           {"caption": "Old"}, user=None)
    asset_id = result.asset.id
    real = transcode.video_proxies

    def slow_pass(*args, **kwargs):
        facts = real(*args, **kwargs)
        # Staff save a new caption while the pass runs (their own transaction); the credits
        # piece they mark finds no proxy yet, so the pass must notice.
        with db.engine.begin() as conn:
            conn.execute(update(Asset).where(Asset.id == asset_id).values(caption="Edited meanwhile"))
        return facts

    monkeypatch.setattr(transcode, "video_proxies", slow_pass)
    run_jobs(result.asset)
    assert atoms(result.asset)["\xa9cmt"] == "Edited meanwhile"
    assert result.asset.rendition("web").bytes == os.path.getsize(
        storage.path(result.asset.rendition("web").storage_key))


def test_rewrite_credits_is_a_no_op_when_they_already_match(tmp_path):
    from gallery.formats.credits import Credits

    src, dest = str(tmp_path / "in.mp4"), str(tmp_path / "out.mp4")
    with open(src, "wb") as f:
        f.write(video_bytes(seconds=0.3))
    credits = Credits(title="T", caption="C", creator="A", credit="Org", copyright="© Org")
    transcode.video_proxy(src, dest, credits=credits)
    before = os.stat(dest)
    assert transcode.rewrite_credits(dest, credits) is False
    assert os.stat(dest).st_mtime_ns == before.st_mtime_ns
    assert transcode.rewrite_credits(dest, Credits(title="T", caption="", creator="", credit="",
                                                   copyright="© Org")) is True
    assert set((MP4(dest).tags or {}).keys()) & {"\xa9cmt", "\xa9ART"} == set()
    assert sorted(os.listdir(tmp_path)) == ["in.mp4", "out.mp4"]  # no temp file left
