"""A lost original: every route that needs it answers 404 (page or JSON) and logs it, never 500."""
from __future__ import annotations

import csv
import io
import logging
import os
import zipfile

import pytest
from bs4 import BeautifulSoup

from gallery.services import apitokens, ingest, jobs, storage, terms
from tests.media_files import video_bytes


@pytest.fixture
def member(make_user, login_as):
    user = make_user("member")
    terms.accept(user)
    return login_as(user)


@pytest.fixture
def lost_and_kept(make_gallery, make_asset):
    """Two photos of one gallery; the first has lost its original file (and its preview)."""
    gallery = make_gallery()
    lost, kept = make_asset(gallery), make_asset(gallery)
    assert lost.served_key is None  # the served copy is background work, not made yet
    os.unlink(storage.path(lost.storage_key))
    return gallery, lost, kept


def status(client, url: str) -> int:
    """The status of a GET, its (file) response closed."""
    with client.get(url) as response:
        return response.status_code


def logged(caplog, asset) -> bool:
    return any(r.levelno == logging.ERROR and f"asset {asset.id}" in r.getMessage()
               and asset.storage_key in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("size", ["large", "original", "preview-gone"])
def test_download_of_a_lost_original_is_404_and_logged(app, client, member, lost_and_kept, caplog,
                                                       size):
    _gallery, lost, _kept = lost_and_kept
    if size == "preview-gone":  # the Small download is remade on demand, from the original
        os.unlink(storage.path(lost.rendition("preview").storage_key))
        size = "preview"
    with caplog.at_level(logging.ERROR):
        response = client.get(f"/download/assets/{lost.id}/{size}")
    assert response.status_code == 404
    page = BeautifulSoup(response.data, "html.parser")
    assert "missing" in page.select_one("main").get_text()
    assert logged(caplog, lost)


def test_api_download_of_a_lost_original_is_a_json_404(app, client, member, lost_and_kept, caplog):
    _gallery, lost, _kept = lost_and_kept
    token = apitokens.create_token(member, "downloads", member)[1]
    with caplog.at_level(logging.ERROR):
        response = client.get(f"/api/assets/{lost.id}/download?size=large",
                              headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404
    assert "missing" in response.json["error"]["message"]
    assert logged(caplog, lost)


def test_rendition_route_with_a_lost_original_is_404_and_logged(app, client, lost_and_kept, caplog):
    _gallery, lost, kept = lost_and_kept
    assert status(client, f"/media/{lost.id}/thumb.jpg") == 200  # still stored
    os.unlink(storage.path(lost.rendition("thumb").storage_key))
    os.unlink(storage.path(kept.rendition("thumb").storage_key))
    with caplog.at_level(logging.ERROR):
        assert status(client, f"/media/{lost.id}/thumb.jpg") == 404
    assert logged(caplog, lost)
    assert status(client, f"/media/{kept.id}/thumb.jpg") == 200  # remade from its original


def test_zip_skips_a_lost_original_and_logs_it(app, client, member, lost_and_kept, caplog):
    gallery, lost, kept = lost_and_kept
    url = f"/download/galleries/{gallery.id}.zip?size=large"
    with caplog.at_level(logging.ERROR), client.get(url) as response:
        assert response.status_code == 200
        data = response.data
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        rows = list(csv.reader(io.StringIO(zf.read("captions.csv").decode("utf-8-sig"))))
    assert names == [f"water-in-turkana-{kept.id}-large.jpg", "captions.csv"]
    assert [r[0] for r in rows[1:]] == [names[0]]  # the skipped item is not listed either
    assert logged(caplog, lost)


def test_player_with_a_lost_original_is_404_and_logged(app, client, make_gallery, caplog):
    gallery = make_gallery()
    clip = ingest.ingest(gallery, io.BytesIO(video_bytes()), "clip.mp4", {}, None).asset
    assert jobs.wait_idle()  # public once its web proxy is made
    os.unlink(storage.path(clip.storage_key))
    os.unlink(storage.path(clip.served_key))  # its credited copy went with it
    with caplog.at_level(logging.ERROR):
        response = client.get(f"/media/{clip.id}/original")
    assert response.status_code == 404
    assert logged(caplog, clip)


def test_check_reports_a_lost_original_and_thumbnail_and_repairs_the_thumbnail(
        app, runner, client, member, lost_and_kept):
    _gallery, lost, kept = lost_and_kept
    thumb = kept.rendition("thumb").storage_key
    os.unlink(storage.path(thumb))
    report = runner.invoke(args=["check"])
    assert report.exit_code == 1
    assert f"Missing originals: 1\n  asset {lost.id}: {lost.storage_key}" in report.output
    assert f"Missing renditions: 1\n  asset {kept.id} thumb: {thumb}" in report.output
    repaired = runner.invoke(args=["check", "--repair"])
    assert repaired.exit_code == 1  # the original cannot be remade
    assert "1 renditions and 0 served copies remade" in repaired.output
    assert storage.exists(thumb)
    assert status(client, f"/download/assets/{lost.id}/large") == 404
    assert status(client, f"/download/assets/{kept.id}/large") == 200
