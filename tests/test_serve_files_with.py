"""SERVE_FILES_WITH on the local store: the app decides and logs, the front server sends the bytes."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from gallery import create_app
from gallery.extensions import db
from gallery.models import DownloadEvent
from gallery.services import ingest, storage, terms
from tests.conftest import gps_image_bytes


@pytest.fixture(params=["x-accel-redirect", "x-sendfile"])
def app_settings(request) -> dict:
    return {"SERVE_FILES_WITH": request.param}


@pytest.fixture
def member(make_user, login_as):
    user = login_as(make_user("member"))
    terms.accept(user)
    return user


def sent_by_front_server(response, key: str, mode: str) -> None:
    """The response names the file for the front server and holds no bytes itself."""
    assert response.status_code == 200 and response.data == b""
    if mode == "x-accel-redirect":
        assert response.headers["X-Accel-Redirect"] == f"/_protected/{key}"
        assert "X-Sendfile" not in response.headers
    else:
        assert response.headers["X-Sendfile"] == storage.path(key)
        assert "X-Accel-Redirect" not in response.headers


def test_rendition_files(client, app, make_gallery, make_asset):
    asset = make_asset(make_gallery())
    mode = app.config["SERVE_FILES_WITH"]
    with client.get(f"/media/{asset.id}/thumb.jpg?v={asset.sha256[:12]}") as response:
        sent_by_front_server(response, asset.rendition("thumb").storage_key, mode)
        assert response.mimetype == "image/jpeg"
        # The app's caching rules still hold: the front server passes them on.
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_original_download_is_logged_then_sent_as_the_served_copy(client, app, member, make_gallery):
    result = ingest.ingest(make_gallery(title="Roofs"), io.BytesIO(gps_image_bytes("JPEG")), "IMG_1.jpg")
    asset = result.asset
    assert asset.served_key != asset.storage_key
    with client.get(f"/download/assets/{asset.id}/original") as response:
        sent_by_front_server(response, asset.served_key, app.config["SERVE_FILES_WITH"])
        assert response.headers["Content-Disposition"] == f'attachment; filename="roofs-{asset.id}-original.jpg"'
        assert response.headers["Cache-Control"] == "private, no-store"
    assert db.session.scalar(select(func.count()).select_from(DownloadEvent)) == 1


def test_refused_downloads_send_nothing(client, make_gallery, make_asset):
    asset = make_asset(make_gallery())
    with client.get(f"/download/assets/{asset.id}/original") as response:  # not logged in
        assert response.status_code == 302 and "X-Accel-Redirect" not in response.headers
        assert "X-Sendfile" not in response.headers


def test_an_unknown_mode_is_refused_at_start(tmp_path):
    with pytest.raises(ValueError, match="SERVE_FILES_WITH"):
        create_app({"TESTING": True, "SERVE_FILES_WITH": "x-lighttpd", "SECRET_KEY": "x",
                    "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite"})


@pytest.mark.parametrize("url", ["ftp://host/dir", "file://relative/dir", "s3://", "s3://bucket/p?x=1"])
def test_an_unknown_storage_url_is_refused_at_start(tmp_path, url):
    with pytest.raises(ValueError, match="STORAGE_URL must be"):
        create_app({"TESTING": True, "STORAGE_URL": url, "SECRET_KEY": "x",
                    "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite"})
