"""Web proxies of videos and audio: the proxy piece, public only once it is ready, played with ranges, downloaded."""
from __future__ import annotations

import io
import os

import av
import pytest
from PIL import Image
from sqlalchemy import select

from gallery import policy
from gallery.extensions import db
from gallery.models import Asset, AssetWork, Gallery
from gallery.services import assets, ingest, integrity, jobs, proxies, served, storage, terms, work
from gallery.services.renditions import ensure_rendition
from tests.media_files import audio_bytes, location_leaks, mp4_with_location, video_bytes

CREDITS = dict(creator="Amina Yusuf", copyright="© 2026 Relief Org", caption="Wells at dawn")


def states(asset_id: int) -> dict[str, str]:
    db.session.commit()  # see what the jobs committed
    return dict(db.session.execute(select(AssetWork.piece, AssetWork.state)
                                   .where(AssetWork.asset_id == asset_id)).all())


def counts(gallery_id: int) -> tuple[int, int]:
    db.session.commit()
    g = db.session.get(Gallery, gallery_id)
    db.session.refresh(g)
    return g.video_count, g.audio_count


def ingested(gallery, data: bytes, name: str, **fields) -> Asset:
    result = ingest.ingest(gallery, io.BytesIO(data), name, fields, user=None)
    assert result.status == "accepted", result.reason
    return result.asset


def run_jobs(*assets: Asset) -> None:
    """Run the queued work here (JOB_THREAD is off in tests) and read the assets afresh, as a new request would."""
    assert jobs.wait_idle()
    db.session.commit()
    for asset in assets:
        db.session.refresh(asset)


def streams(path: str) -> tuple[list[str], dict[str, str]]:
    with av.open(path) as c:
        return [s.codec_context.name for s in c.streams], dict(c.metadata)


@pytest.fixture
def member_client(app, make_user):
    user = make_user("member")
    terms.accept(user)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return client


@pytest.fixture
def editor_client(app, make_user):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = make_user("editor").get_id()
        session["_fresh"] = True
    return client


def test_a_video_is_public_and_counted_only_once_its_proxy_is_ready(app, client, make_gallery):
    gallery = make_gallery()
    asset = ingested(gallery, video_bytes(seconds=1.0), "clip.mp4", **CREDITS)
    assert states(asset.id) == {"served": "pending", "proxy": "pending"}  # both background work
    assert not policy.can_view_asset(None, asset)
    assert counts(gallery.id) == (0, 0)
    assert client.get(f"/assets/{asset.id}").status_code == 404

    assert jobs.wait_idle()
    assert states(asset.id) == {"served": "ready", "proxy": "ready"}
    db.session.refresh(asset)
    assert policy.can_view_asset(None, asset)
    assert counts(gallery.id) == (1, 0)  # refreshed with the piece's state, in its transaction
    web = asset.rendition("web")
    assert asset.rendition("hd") is None  # 240 lines: no 1080p
    assert (web.width, web.height) == (320, 240) and web.bytes > 0
    assert web.storage_key == proxies.key(asset.sha256, "web") and web.storage_key.endswith(".mp4")
    codecs, tags = streams(storage.path(web.storage_key))
    assert codecs == ["h264"]  # a silent source: no audio track
    assert tags["artist"] == "Amina Yusuf" and tags["copyright"].startswith("© 2026 Relief Org")
    assert tags["comment"] == "Wells at dawn"
    page = client.get(f"/assets/{asset.id}")
    assert page.status_code == 200 and f"/media/{asset.id}/play/web".encode() in page.data


def test_running_the_proxy_piece_twice_keeps_one_file_and_row(app, make_gallery):
    asset = ingested(make_gallery(), video_bytes(seconds=0.5), "clip.mp4")
    assert jobs.wait_idle()
    db.session.refresh(asset)
    first = asset.rendition("web")
    work.MAKERS["proxy"](asset)  # again: nothing to do
    db.session.commit()
    rows = db.session.scalars(select(AssetWork).where(AssetWork.asset_id == asset.id)).all()
    assert [r.state for r in rows] == ["ready", "ready"]  # served, proxy
    db.session.refresh(asset)
    assert [r.size for r in asset.renditions if r.size in policy.PROXY_SIZES] == ["web"]
    assert asset.rendition("web").id == first.id


def test_check_repair_remakes_a_lost_proxy_through_the_workers(app, client, make_gallery):
    asset = ingested(make_gallery(), video_bytes(seconds=0.5), "clip.mp4")
    run_jobs(asset)
    web = asset.rendition("web")
    os.remove(storage.path(web.storage_key))  # a lost disk, a bad restore
    report = integrity.check()
    assert [(m.asset_id, m.what) for m in report.missing_renditions] == [(asset.id, "web")]

    done = integrity.repair(report)
    assert not done.failed and done.requeued == 1
    assert states(asset.id) == {"served": "ready", "proxy": "pending"}  # unpublished until its proxy is back
    assert client.get(f"/assets/{asset.id}").status_code == 404
    run_jobs(asset)
    assert states(asset.id) == {"served": "ready", "proxy": "ready"}
    assert storage.exists(asset.rendition("web").storage_key)
    played = client.get(f"/media/{asset.id}/play/web")
    played.close()
    assert played.status_code == 200
    assert integrity.check().clean


def test_a_replaced_video_leaves_the_count_until_its_new_proxy_is_ready(app, make_gallery, make_user):
    gallery = make_gallery()
    asset = ingested(gallery, video_bytes(seconds=0.5), "clip.mp4")
    run_jobs(asset)
    assert counts(gallery.id) == (1, 0)
    assets.replace_file(asset.id, io.BytesIO(video_bytes(seconds=0.7)), "take2.mp4", make_user("editor"))
    assert states(asset.id)["proxy"] == "pending"
    assert counts(gallery.id) == (0, 0)
    run_jobs(asset)
    assert states(asset.id)["proxy"] == "ready"
    assert counts(gallery.id) == (1, 0)


def test_a_1080p_video_gets_web_and_hd(app, make_gallery):
    asset = ingested(make_gallery(), video_bytes(seconds=0.3, size=(1920, 1080)), "big.mp4")
    assert jobs.wait_idle()
    db.session.refresh(asset)
    assert (asset.rendition("web").width, asset.rendition("web").height) == (1280, 720)
    assert (asset.rendition("hd").width, asset.rendition("hd").height) == (1920, 1080)
    assert streams(storage.path(asset.rendition("hd").storage_key))[0] == ["h264"]


def colour(key: str) -> tuple[int, int, int]:
    with Image.open(io.BytesIO(storage.read_bytes(key))) as im:
        return im.convert("RGB").resize((1, 1)).getpixel((0, 0))


def is_red(rgb) -> bool:
    return rgb[0] > 150 and rgb[2] < 90


def is_blue(rgb) -> bool:
    return rgb[2] > 150 and rgb[0] < 90


def test_the_poster_comes_from_the_proxy_pass_before_the_video_is_public(app, client, make_gallery):
    # Red for its first second, then blue: ingest's frame (one second in) is blue, the proxy
    # pass's (10 % of two seconds) red.
    asset = ingested(make_gallery(), video_bytes(seconds=2.0), "clip.mp4")
    ingest_thumb = storage.read_bytes(asset.rendition("thumb").storage_key)
    assert is_blue(colour(asset.rendition("thumb").storage_key))  # at once, for the caption grid
    blurred = ensure_rendition(asset, "blurred")  # staff looked at it as the public would
    old_blurred = blurred.storage_key

    run_jobs(asset)
    assert states(asset.id) == {"served": "ready", "proxy": "ready"}
    for size in ("thumb", "preview"):
        row = asset.rendition(size)
        data = storage.read_bytes(row.storage_key)
        with Image.open(io.BytesIO(data)) as im:
            assert (row.width, row.height, row.bytes) == (*im.size, len(data))
        assert is_red(colour(row.storage_key)), size
    assert asset.rendition("blurred") is None and not storage.exists(old_blurred)  # made again on use
    assert is_red(colour(ensure_rendition(asset, "blurred").storage_key))
    # What the public now gets at the thumb's URL is the proxy pass's frame.
    with client.get(f"/media/{asset.id}/thumb.jpg") as shown:
        data = shown.data
    with Image.open(io.BytesIO(data)) as im:
        assert is_red(im.convert("RGB").resize((1, 1)).getpixel((0, 0)))
    assert integrity.check().clean

    # A proxy made again (a lost file) leaves the thumb alone: the public may have cached it by
    # now. (The ingest frame put back shows whether the pass would have replaced it.)
    storage.save_bytes(ingest_thumb, asset.rendition("thumb").storage_key)
    os.remove(storage.path(asset.rendition("web").storage_key))
    proxies.make(asset)
    assert storage.exists(asset.rendition("web").storage_key)
    assert storage.read_bytes(asset.rendition("thumb").storage_key) == ingest_thumb


def test_audio_gets_an_aac_proxy_and_is_public_once_it_is_ready(app, client, make_gallery):
    gallery = make_gallery()
    asset = ingested(gallery, audio_bytes(), "tone.wav", **CREDITS)
    assert states(asset.id) == {"served": "pending", "proxy": "pending"}
    assert counts(gallery.id) == (0, 0)
    assert jobs.wait_idle()
    db.session.refresh(asset)
    assert states(asset.id) == {"served": "ready", "proxy": "ready"} and counts(gallery.id) == (0, 1)
    m4a = asset.rendition("audio")
    assert m4a.storage_key.endswith(".m4a")
    codecs, tags = streams(storage.path(m4a.storage_key))
    assert codecs == ["aac"] and tags["artist"] == "Amina Yusuf"
    with client.get(f"/media/{asset.id}/play/audio") as r:
        assert r.status_code == 200 and r.headers["Content-Type"] == "audio/mp4"


def test_an_undecodable_video_fails_with_its_reason_and_is_never_public(app, client, make_gallery,
                                                                          editor_client):
    app.config["JOB_MAX_ATTEMPTS"] = 1
    gallery = make_gallery()
    asset = served.ensure(ingested(gallery, video_bytes(seconds=0.5), "clip.mp4"))
    with open(storage.path(asset.served_key), "wb") as fh:  # the bytes rot after the copy was made
        fh.write(b"\x00not a video any more" * 100)
    assert jobs.wait_idle()
    row = db.session.scalars(select(AssetWork).where(AssetWork.asset_id == asset.id,
                                                     AssetWork.piece == "proxy")).one()
    db.session.refresh(row)
    assert row.state == "failed" and row.reason
    db.session.refresh(asset)
    assert asset.rendition("web") is None
    assert not policy.can_view_asset(None, asset) and counts(gallery.id) == (0, 0)
    assert client.get(f"/assets/{asset.id}").status_code == 404
    assert client.get(f"/media/{asset.id}/play/web").status_code == 404
    page = editor_client.get(f"/assets/{asset.id}")
    assert page.status_code == 200 and b"Making the web version failed" in page.data
    jobs_page = editor_client.get("/manage/jobs")
    assert jobs_page.status_code == 200 and row.reason.encode()[:20] in jobs_page.data


def test_staff_see_a_processing_video_at_once(app, make_gallery, editor_client):
    asset = ingested(make_gallery(), video_bytes(seconds=0.5), "clip.mp4")
    page = editor_client.get(f"/assets/{asset.id}")
    assert page.status_code == 200 and "Processing video…".encode() in page.data


def test_a_running_proxy_shows_staff_how_far_it_is(app, make_gallery, editor_client, monkeypatch):
    monkeypatch.setattr(work, "PROGRESS_SECONDS", 0)  # write every report (3 s apart in production)
    asset = ingested(make_gallery(), video_bytes(seconds=2.0), "clip.mp4")
    real, pages = work._progress, []

    def spy(asset_id: int, piece: str):
        report = real(asset_id, piece)

        def reported(fraction: float) -> None:
            report(fraction)
            if 0.4 <= fraction < 1 and not pages:  # half way: look as staff do, in another request
                pages.append((fraction, editor_client.get(f"/assets/{asset_id}").get_data(as_text=True),
                              editor_client.get("/manage/jobs").get_data(as_text=True)))

        return reported

    monkeypatch.setattr(work, "_progress", spy)
    run_jobs(asset)
    fraction, page, jobs_page = pages[0]
    shown = f"{round(fraction * 100)} %"
    assert f"Processing video… {shown}" in page
    assert shown in jobs_page
    assert states(asset.id) == {"served": "ready", "proxy": "ready"}


def test_a_range_request_of_the_proxy_answers_206(app, client, make_gallery):
    asset = ingested(make_gallery(), video_bytes(seconds=1.0), "clip.mp4")
    run_jobs(asset)
    with client.get(f"/media/{asset.id}/play/web", headers={"Range": "bytes=0-99"}) as r:
        assert r.status_code == 206 and len(r.data) == 100
        size = storage.path(asset.rendition("web").storage_key)
        assert r.headers["Content-Range"] == f"bytes 0-99/{os.path.getsize(size)}"
        assert r.headers["Content-Type"] == "video/mp4"
    assert client.get(f"/media/{asset.id}/play/hd").status_code == 404  # never played in the page


def test_a_sensitive_proxy_plays_only_for_those_who_may_download_it(app, client, make_gallery,
                                                                    member_client):
    asset = ingested(make_gallery(), video_bytes(seconds=0.5), "clip.mp4")
    asset.sensitive = True
    db.session.commit()
    run_jobs(asset)
    assert client.get(f"/media/{asset.id}/play/web").status_code == 403
    assert member_client.get(f"/media/{asset.id}/play/web").status_code == 403  # no approval


def test_download_sizes_of_a_video_and_an_audio(app, make_gallery, member_client):
    gallery = make_gallery()
    video = ingested(gallery, video_bytes(seconds=0.3, size=(1920, 1080)), "big.mp4")
    audio = ingested(gallery, audio_bytes(), "tone.wav")
    run_jobs(video, audio)
    page = member_client.get(f"/assets/{video.id}").get_data(as_text=True)
    assert "Web (720p)" in page and "HD (1080p)" in page and "Original" in page
    page = member_client.get(f"/assets/{audio.id}").get_data(as_text=True)
    assert "AAC" in page and "Original" in page and "Web (720p)" not in page
    r = member_client.get(f"/download/assets/{audio.id}/audio")
    assert r.status_code == 200 and r.headers["Content-Type"] == "audio/mp4"
    assert r.headers["Content-Disposition"].endswith('-audio.m4a"')


def test_a_member_downloads_the_web_proxy_with_credits_and_no_location(app, client, make_gallery,
                                                                       member_client, tmp_path):
    source = mp4_with_location(video_bytes(seconds=0.5))
    assert location_leaks(source)
    asset = ingested(make_gallery(), source, "placed.mp4", **CREDITS)
    run_jobs(asset)
    r = member_client.get(f"/download/assets/{asset.id}/web")
    assert r.status_code == 200 and r.headers["Content-Type"] == "video/mp4"
    assert r.headers["Content-Disposition"].endswith('-web.mp4"')
    assert r.headers["Cache-Control"] == "private, no-store"
    assert not location_leaks(r.data)
    assert b"\xa9ART" in r.data and b"cprt" in r.data and b"Amina Yusuf" in r.data
    (tmp_path / "got.mp4").write_bytes(r.data)
    assert streams(str(tmp_path / "got.mp4"))[0] == ["h264"]
    api = member_client.get(f"/api/assets/{asset.id}/download?size=web")
    assert api.status_code == 200 and api.data == r.data
    # An anonymous visitor gets the login answer: the page a redirect to it, the API a challenge.
    anon = client.get(f"/download/assets/{asset.id}/web")
    assert anon.status_code == 302 and "/login" in anon.headers["Location"]
    assert client.get(f"/api/assets/{asset.id}/download?size=web").status_code == 401
