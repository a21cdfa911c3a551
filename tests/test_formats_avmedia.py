"""Video and audio: facts, tags, poster frames, waveforms; playback in the page with range requests;
renditions made on first use."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from bs4 import BeautifulSoup
from PIL import Image
from sqlalchemy import func, select

from gallery.extensions import db
from gallery.formats import avmedia, probe
from gallery.formats.renditions import make_renditions
from gallery.models import Asset, Rendition
from gallery.services import ingest, jobs, renditions, storage
from tests.media_files import audio_bytes, jpeg, video_bytes

CONFIG = {"MAX_IMAGE_PIXELS": 120_000_000, "MAX_IMAGE_BYTES": 200 << 20, "MAX_VIDEO_BYTES": 2 << 30}
SIZES = {"thumb": 400, "preview": 1280}


def written(tmp_path, data: bytes, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def colour_of(rendered) -> tuple[int, int, int]:
    with Image.open(io.BytesIO(rendered.data)) as im:
        return im.convert("RGB").resize((1, 1)).getpixel((0, 0))


@pytest.mark.parametrize("fmt, codec, mime, codec_name", [
    ("mp4", "libx264", "video/mp4", "h264"),
    ("mov", "mpeg4", "video/quicktime", "mpeg4"),
    ("webm", "libvpx", "video/webm", "vp8"),
])
def test_video_facts_and_poster_from_about_one_second(tmp_path, fmt, codec, mime, codec_name):
    path = written(tmp_path, video_bytes(fmt, codec, seconds=3, title="Borehole repair"), f"clip.{fmt}")
    found = probe.probe(path, f"clip.{fmt}", CONFIG)
    assert (found.media_type, found.mime_type, found.width, found.height, found.codec) == \
        ("video", mime, 320, 240, codec_name)
    assert found.duration == pytest.approx(3.0, abs=0.15)
    assert found.metadata.get("title") == "Borehole repair"
    made = make_renditions(path, found, SIZES, 85)
    assert [(r.size, r.width, r.height) for r in made] == [("preview", 320, 240), ("thumb", 320, 240)]
    r, g, b = colour_of(made[0])
    assert b > 150 and r < 90  # the clip turns from red to blue at one second: the poster is blue


@pytest.mark.parametrize("fmt, tags, options", [
    ("mp4", {"creation_time": "2023-05-12T08:30:00.000000Z"}, {}),
    # An iPhone writes its capture time as an mdta key, which ffmpeg writes only when asked.
    ("mov", {"com.apple.quicktime.creationdate": "2023-05-12T10:30:00+0200"},
     {"movflags": "use_metadata_tags"}),
])
def test_video_capture_date_becomes_date_taken(tmp_path, fmt, tags, options):
    path = written(tmp_path, video_bytes(fmt, "libx264", seconds=1, tags=tags, options=options), f"clip.{fmt}")
    assert probe.probe(path, f"clip.{fmt}", CONFIG).metadata.get("date_taken") == dt.date(2023, 5, 12)


def test_short_video_poster_is_its_first_frame(tmp_path):
    path = written(tmp_path, video_bytes(seconds=0.5), "short.mp4")
    found = probe.probe(path, "short.mp4", CONFIG)
    r, g, b = colour_of(make_renditions(path, found, SIZES, 85)[0])
    assert r > 150 and b < 90


@pytest.mark.parametrize("fmt, codec, mime, codec_name", [
    ("wav", "pcm_s16le", "audio/wav", "pcm_s16le"),
    ("mp3", "libmp3lame", "audio/mpeg", "mp3"),
    ("ogg", "libopus", "audio/ogg", "opus"),
    ("ipod", "aac", "audio/mp4", "aac"),
])
def test_audio_facts_tags_and_waveform(tmp_path, fmt, codec, mime, codec_name):
    tags = {"title": "Safe migration spot", "artist": "Community Radio", "comment": "Broadcast in Swahili"}
    path = written(tmp_path, audio_bytes(fmt, codec, seconds=2, tags=tags), f"spot.{fmt}")
    found = probe.probe(path, f"spot.{fmt}", CONFIG)
    assert (found.media_type, found.mime_type, found.codec, found.width) == ("audio", mime, codec_name, None)
    assert found.duration == pytest.approx(2.0, abs=0.1)
    assert found.metadata == {"title": "Safe migration spot", "creator": "Community Radio",
                              "caption": "Broadcast in Swahili"}
    preview = make_renditions(path, found, SIZES, 85)[0]
    assert (preview.width, preview.height) == (1280, 400)


@pytest.mark.parametrize("fmt, codec", [("mp3", "libmp3lame"), ("ipod", "aac")])
def test_coordinates_in_a_comment_or_title_never_become_public_text(tmp_path, fmt, codec):
    tags = {"title": "+40.6892-074.0445/", "comment": "40.68921, -74.04452", "artist": "Radio"}
    path = written(tmp_path, audio_bytes(fmt, codec, seconds=1, tags=tags), f"spot.{fmt}")
    assert probe.probe(path, f"spot.{fmt}", CONFIG).metadata == {"creator": "Radio"}


def test_waveform_follows_loudness(tmp_path):
    path = written(tmp_path, audio_bytes(seconds=2), "tone.wav")
    im = avmedia.waveform(path, (800, 200))
    ink = [sum(1 for y in range(200) if im.getpixel((x, y)) == avmedia.WAVEFORM_FG) for x in range(0, 800, 4)]
    quiet, loud = ink[5:90], ink[110:195]
    assert max(quiet) < max(loud) and sum(loud) > 2.5 * sum(quiet)


def test_audio_container_with_a_picture_track_is_video(tmp_path):
    path = written(tmp_path, video_bytes("mp4"), "not-audio.m4a")
    assert probe.probe(path, "not-audio.m4a", CONFIG).media_type == "video"


# --- the asset page and the stream route ---------------------------------------------------

@pytest.fixture
def clip(app, make_gallery):
    gallery = make_gallery()
    data = video_bytes(seconds=2)
    result = ingest.ingest(gallery, io.BytesIO(data), "clip.mp4", {"caption": "Borehole"})
    assert result.status == "accepted", result.reason
    assert jobs.wait_idle()  # public once its web proxy is made
    db.session.expire_all()  # the jobs ran in this session: read the rows they wrote
    return result.asset, storage.read_bytes(result.asset.served_key)  # what plays: credits in


def test_asset_page_plays_video_with_poster(client, clip):
    asset, _ = clip
    with client.get(f"/assets/{asset.id}") as response:
        page = BeautifulSoup(response.data, "html.parser")
    video = page.select_one("video[controls]")
    assert video is not None and video["preload"] == "metadata"
    assert video["poster"] == f"/media/{asset.id}/preview.jpg?v={asset.sha256[:12]}"
    source = video.select_one("source")
    assert source["src"] == f"/media/{asset.id}/play/web" and source["type"] == "video/mp4"


def test_asset_page_plays_audio_with_waveform(client, app, make_gallery):
    result = ingest.ingest(make_gallery(), io.BytesIO(audio_bytes("mp3", "libmp3lame")), "spot.mp3")
    assert jobs.wait_idle()  # public once its web proxy is made
    db.session.expire_all()  # the jobs ran in this session: read the rows they wrote
    with client.get(f"/assets/{result.asset.id}") as response:
        page = BeautifulSoup(response.data, "html.parser")
    assert page.select_one("audio[controls] source")["src"] == f"/media/{result.asset.id}/play/audio"
    assert page.select_one("img.waveform")["src"] == f"/media/{result.asset.id}/preview.jpg?v={result.asset.sha256[:12]}"
    assert page.select_one("video") is None


def test_stream_supports_range_requests(client, clip):
    asset, data = clip
    with client.get(f"/media/{asset.id}/original", headers={"Range": "bytes=100-299"}) as response:
        assert response.status_code == 206
        assert response.headers["Content-Range"] == f"bytes 100-299/{len(data)}"
        assert response.headers["Accept-Ranges"] == "bytes"
        assert response.mimetype == "video/mp4"
        assert response.data == data[100:300]
    with client.get(f"/media/{asset.id}/original") as response:
        assert response.status_code == 200 and response.data == data


def test_stream_asks_the_policy(client, clip, make_gallery, make_asset):
    asset, _ = clip
    asset.status = "draft"
    db.session.commit()
    with client.get(f"/media/{asset.id}/original") as response:
        assert response.status_code == 404
    photo = make_asset(make_gallery(title="Photos"))
    with client.get(f"/media/{photo.id}/original") as response:
        assert response.status_code == 404  # image originals are never streamed (GPS lives there)
    with client.get("/media/999999/original") as response:
        assert response.status_code == 404


# --- large, made on first use ---------------------------------------------------------------

def test_large_is_made_on_first_use_and_kept(app, client, login, make_user, make_gallery):
    result = ingest.ingest(make_gallery(), io.BytesIO(jpeg(size=(3000, 2000))), "big.jpg")
    asset = result.asset
    assert asset.rendition("large") is None
    # Large is a download: /media sends it through the download route (policy, credits, log).
    with client.get(f"/media/{asset.id}/large.jpg") as response:
        assert response.status_code == 302
        assert response.headers["Location"] == f"/download/assets/{asset.id}/large"
    with client.get(f"/download/assets/{asset.id}/large") as response:
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    from gallery.services import terms

    member = make_user("member")
    terms.accept(member)
    login(member)
    with client.get(f"/media/{asset.id}/large.jpg", follow_redirects=True) as response:
        assert response.status_code == 200
        with Image.open(io.BytesIO(response.data)) as im:
            assert im.size == (2560, 1707)
    with client.get(f"/download/assets/{asset.id}/large") as response:
        assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Rendition).where(
        Rendition.asset_id == asset.id, Rendition.size == "large")) == 1


def test_ensure_rendition_race_keeps_one_row(app, make_gallery):
    asset = ingest.ingest(make_gallery(), io.BytesIO(jpeg(size=(3000, 2000))), "big.jpg").asset
    stale = db.session.get(Asset, asset.id)
    assert stale.rendition("large") is None  # this session has looked and found none
    with app.app_context():  # another request (its own session) makes it first
        winner = renditions.ensure_rendition(db.session.get(Asset, asset.id), "large")
        winner_id = winner.id
    row = renditions._make(stale, "large", 2560)  # the loser inserts too, hits the unique constraint
    assert row.id == winner_id
    assert storage.exists(row.storage_key)
    assert db.session.scalar(select(func.count()).select_from(Rendition).where(
        Rendition.asset_id == asset.id)) == 3


def test_lost_rendition_file_is_remade(app, make_gallery):
    asset = ingest.ingest(make_gallery(), io.BytesIO(jpeg(size=(900, 600))), "pic.jpg").asset
    preview = asset.rendition("preview")
    storage.delete(preview.storage_key)
    again = renditions.ensure_rendition(asset, "preview")
    assert again.id == preview.id and storage.exists(again.storage_key) and again.width == 900
