"""An HEVC MOV and AVI files (MPEG-4 Part 2, MJPEG), which browsers cannot play as they are, play in Chromium from their web proxies."""
from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect

from tests.media_files import video_bytes

# name -> (container, codec, pixel format): an iPhone-like HEVC MOV, and the two codecs AVI files
# from older cameras hold (MPEG-4 Part 2 as Xvid/DivX write it; MJPEG from compacts and webcams).
SOURCES = {"hevc.mov": ("mov", "libx265", "yuv420p"), "mpeg4.avi": ("avi", "mpeg4", "yuv420p"),
           "mjpeg.avi": ("avi", "mjpeg", "yuvj420p")}


@pytest.fixture(scope="module")
def clips(live_server):
    """The two files ingested into a draft gallery (only staff see it: the other tests' counts stay)."""
    from gallery.extensions import db
    from gallery.models import Asset
    from gallery.services import galleries, ingest, jobs

    with live_server.app.app_context():
        gallery = galleries.create_gallery({"title": "Draft: clips to transcode", "category": "Events",
                                            "country": "KEN", "status": "draft"}, None, script=True)
        ids = {}
        for name, (fmt, codec, pix_fmt) in SOURCES.items():
            data = video_bytes(fmt=fmt, codec=codec, seconds=3.0, size=(640, 360), fps=25, pix_fmt=pix_fmt)
            result = ingest.ingest(gallery, io.BytesIO(data), name, {"caption": f"Clip {name}"})
            assert result.status == "accepted", result.reason
            assert result.asset.mime_type == {"mov": "video/quicktime", "avi": "video/x-msvideo"}[fmt]
            ids[name] = result.asset.id
        # The live server's embedded thread makes the proxies; wait for it as a person would.
        assert jobs.wait_idle(timeout=120)
        db.session.expire_all()  # the thread wrote in its own session
        for asset_id in ids.values():
            asset = db.session.get(Asset, asset_id)
            assert asset.rendition("web") is not None, [(w.piece, w.state, w.reason) for w in asset.work]
        db.session.close()
    return ids


@pytest.mark.parametrize("name", list(SOURCES))
def test_a_video_browsers_cannot_play_plays_from_its_proxy(page, live_server, login_as, clips, name):
    login_as(live_server.users["editor"])
    page.goto(f"/assets/{clips[name]}")
    video = page.locator("video.player-video")
    expect(video).to_be_visible()
    assert video.locator("source").get_attribute("src") == f"/media/{clips[name]}/play/web"
    page.wait_for_function("() => document.querySelector('video').readyState >= 2", timeout=30_000)
    # Muted: headless Chromium plays without a user gesture only when muted.
    page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; return v.play(); }")
    page.wait_for_function("() => document.querySelector('video').currentTime > 0.2", timeout=30_000)
    assert page.evaluate("() => document.querySelector('video').error") is None
