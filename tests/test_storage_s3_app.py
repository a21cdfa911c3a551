"""The app on STORAGE_URL=s3://...: uploads become objects, downloads and the player get presigned
URLs, zips stream from the bucket, deletes remove objects after the commit, `gallery check` compares."""
from __future__ import annotations

import io
import time
import urllib.error
import urllib.request
import zipfile

import pytest
from PIL import Image
from sqlalchemy import select

from gallery.extensions import db
from gallery.models import Asset, DownloadEvent, Rendition
from gallery.services import ingest, integrity, served, storage, terms, trash
from gallery.services.storage_s3 import S3Store
from tests.conftest import gps_image_bytes, image_bytes
from tests.media_files import video_bytes


@pytest.fixture
def app_settings(s3_settings) -> dict:
    return s3_settings


def objects() -> set[str]:
    """Every object key in the app's bucket, as the gallery's keys."""
    return {f.key for folder in storage.STORED_FOLDERS for f in storage.listing(folder)}


def fetch(url: str, headers: dict | None = None):
    """GET a presigned URL with a real HTTP client: (status, headers, body)."""
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as r:
        return r.status, r.headers, r.read()


def presigned(response) -> str:
    """The presigned URL a response redirects to, checked to be private and short-lived."""
    assert response.status_code == 302
    assert response.headers["Cache-Control"] == "private, no-store"
    url = response.headers["Location"]
    assert url.startswith(storage.backend().client.meta.endpoint_url) and "X-Amz-Expires=300" in url
    return url


@pytest.fixture
def member(make_user, login_as):
    user = login_as(make_user("member"))
    terms.accept(user)
    return user


@pytest.fixture
def gps_photo(make_gallery):
    gallery = make_gallery(title="Shelters in Danli")
    data = gps_image_bytes("JPEG", size=(1600, 1200), quality=90)
    result = ingest.ingest(gallery, io.BytesIO(data), "IMG_2231.jpg", {"caption": "A roof."})
    assert result.status == "accepted", result.reason
    return result.asset, data


def test_an_upload_is_stored_as_objects(client, make_gallery, make_user, login_as):
    gallery = make_gallery()
    login_as(make_user("editor"))
    data = image_bytes((1600, 1200))
    posted = client.post(f"/manage/galleries/{gallery.id}/upload",
                         data={"files": (io.BytesIO(data), "field.jpg")})
    assert posted.status_code in (200, 302)
    asset = db.session.scalar(select(Asset))
    keys = {asset.storage_key} | {r.storage_key for r in asset.renditions}
    assert {r.size for r in asset.renditions} >= {"thumb", "preview"}
    assert keys <= objects()
    assert storage.sha256(asset.storage_key) == asset.sha256
    assert storage.backend().scratch and list(storage.temp_listing()) == []  # no spool left
    for r in asset.renditions:
        with Image.open(io.BytesIO(storage.read_bytes(r.storage_key))) as im:
            assert max(im.size) == min(max(asset.width, asset.height), app_edge(r.size))


def app_edge(size: str) -> int:
    from flask import current_app

    return current_app.config["RENDITION_SIZES"][size]


def test_rendition_files_redirect_to_presigned_urls(client, make_gallery, make_asset):
    asset = make_asset(make_gallery())
    thumb = asset.rendition("thumb")
    with client.get(f"/media/{asset.id}/thumb.jpg?v={asset.sha256[:12]}") as response:
        url = presigned(response)  # never "public, immutable": the URL expires in minutes
    status, headers, body = fetch(url)
    assert status == 200 and headers["Content-Type"] == "image/jpeg"
    assert body == storage.read_bytes(thumb.storage_key)


def test_original_download_is_the_location_free_copy_by_presigned_url(client, member, gps_photo):
    asset, data = gps_photo
    assert asset.served_key != asset.storage_key  # the GPS made a served copy
    with client.get(f"/download/assets/{asset.id}/original") as response:
        url = presigned(response)
    # Logged before the redirect, as any download.
    assert db.session.scalar(select(DownloadEvent.size).where(DownloadEvent.asset_id == asset.id)) == "original"
    status, headers, body = fetch(url)
    assert status == 200 and headers["Content-Type"] == "image/jpeg"
    assert headers["Content-Disposition"] == f'attachment; filename="shelters-in-danli-{asset.id}-original.jpg"'
    assert body == storage.read_bytes(asset.served_key) and body != data
    assert b"GPS" not in Image.open(io.BytesIO(body)).info.get("xmp", b"")
    assert Image.open(io.BytesIO(body)).getexif().get_ifd(0x8825) == {}
    assert asset.storage_key not in url


def test_rendition_downloads_carry_credits_through_the_app(client, member, make_gallery, make_asset):
    asset = make_asset(make_gallery(credit="Field team"), size=(2000, 1500))
    with client.get(f"/download/assets/{asset.id}/preview") as response:
        assert response.status_code == 200  # credits are spliced in: not the stored object
        assert response.headers["Cache-Control"] == "private, no-store"
        assert b"Field team" in response.data


def test_player_range_request_is_answered_by_the_store(client, make_gallery, make_user, login_as):
    login_as(make_user("editor"))
    data = video_bytes(seconds=1.0)
    result = ingest.ingest(make_gallery(), io.BytesIO(data), "clip.mp4")
    assert result.status == "accepted", result.reason
    with client.get(f"/media/{result.asset.id}/original", headers={"Range": "bytes=100-299"}) as response:
        url = presigned(response)
    status, headers, body = fetch(url, {"Range": "bytes=100-299"})
    served = storage.read_bytes(db.session.get(Asset, result.asset.id).served_key)
    assert status == 206 and body == served[100:300]
    assert headers["Content-Range"] == f"bytes 100-299/{len(served)}"
    assert headers["Content-Type"] == "video/mp4"


def test_gallery_zip_streams_from_the_bucket(client, member, make_gallery, make_asset):
    gallery = make_gallery(title="Zip me")
    assets = [make_asset(gallery, size=(900, 600)) for _ in range(3)]
    with client.get(f"/download/galleries/{gallery.id}.zip?size=original") as response:
        assert response.status_code == 200 and response.is_streamed
        body = response.get_data()
    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        assert names[-1] == "captions.csv" and len(names) == 4
        for name, asset in zip(names, assets):
            assert zf.read(name) == storage.read_bytes(db.session.get(Asset, asset.id).served_key)
    assert list(storage.temp_listing()) == []  # streamed: no temp file


def test_purge_removes_objects_after_the_commit(app, make_gallery, make_asset, make_user):
    admin = make_user("admin")
    gallery = make_gallery()
    asset, kept = make_asset(gallery), make_asset(gallery)
    keys = {asset.storage_key} | {r.storage_key for r in asset.renditions}
    assert keys <= objects()
    trash.trash_asset(asset.id, admin)
    assert keys <= objects()  # the trash keeps the files: it can be restored
    seen_at_commit: list[set[str]] = []
    from sqlalchemy import event

    def committed(session):
        seen_at_commit.append(objects())

    event.listen(db.session, "after_commit", committed)
    try:
        trash.purge_asset(asset.id, admin)
    finally:
        event.remove(db.session, "after_commit", committed)
    assert keys <= seen_at_commit[0]  # still there when the rows went
    assert not keys & objects()
    assert kept.storage_key in objects()


def test_check_finds_a_missing_object_and_an_orphan(app, runner, make_gallery, make_asset):
    asset = make_asset(make_gallery())
    assert integrity.check().clean
    store = storage.backend()
    assert isinstance(store, S3Store)
    store.client.delete_object(Bucket=store.bucket, Key=store.object_key(asset.storage_key))
    storage.save_bytes(b"left behind", "renditions/ff/ff/orphan-thumb.jpg")
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1, result.output
    assert f"stored files in {store.url}." in result.output
    assert f"asset {asset.id}: {asset.storage_key}" in result.output
    assert "renditions/ff/ff/orphan-thumb.jpg" in result.output
    report = integrity.check()
    assert [m.key for m in report.missing_originals] == [asset.storage_key]
    assert [o.key for o in report.orphans] == ["renditions/ff/ff/orphan-thumb.jpg"]
    # The orphan is young (an ingest may be about to commit its row); a day later it goes.
    done = integrity.repair(report, now=time.time() + 2 * 24 * 3600)
    assert done.removed_orphans == 1 and "renditions/ff/ff/orphan-thumb.jpg" not in objects()


def test_a_missing_object_is_a_404_not_a_500(client, member, make_gallery, make_asset):
    asset = make_asset(make_gallery())
    for key in [asset.storage_key] + [r.storage_key for r in db.session.scalars(
            select(Rendition).where(Rendition.asset_id == asset.id))]:
        storage.delete(key)
    assert client.get(f"/download/assets/{asset.id}/original").status_code == 404
    assert client.get(f"/media/{asset.id}/preview.jpg").status_code == 404
    with pytest.raises(urllib.error.HTTPError) as gone:
        fetch(storage.backend().presign(asset.storage_key, "image/jpeg", None))
    assert gone.value.code in (403, 404)  # S3 says 403 to whom may not list the bucket
    gone.value.close()


def test_zip_remakes_a_lost_served_copy_and_skips_a_lost_original(client, member, make_gallery, make_asset):
    gallery = make_gallery(title="Lost and found")
    result = ingest.ingest(gallery, io.BytesIO(gps_image_bytes("JPEG")), "gps.jpg")
    located, gone = served.ensure(result.asset), make_asset(gallery)
    storage.delete(located.served_key)  # a lost served copy: made again from the original
    storage.delete(gone.storage_key)  # a lost original: nothing to make it from
    with client.get(f"/download/galleries/{gallery.id}.zip?size=original") as response:
        body = response.get_data()
    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        assert names == [f"lost-and-found-{located.id}-original.jpg", "captions.csv"]
        assert zf.read(names[0]) == storage.read_bytes(located.served_key)
