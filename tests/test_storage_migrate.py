"""`gallery storage migrate --to URL`: local to S3 and back, verified, resumable, switching nothing."""
from __future__ import annotations

import hashlib
import io

import pytest
from sqlalchemy import select

from gallery.extensions import db
from gallery.models import Asset, Rendition
from gallery.services import ingest, storage
from gallery.services.storage_migration import items
from tests.conftest import gps_image_bytes


@pytest.fixture(params=["local-to-s3", "s3-to-local"])
def app_settings(request) -> dict:
    """The app's store is the source; the other kind is the target."""
    return {} if request.param == "local-to-s3" else request.getfixturevalue("s3_settings")


@pytest.fixture
def target_url(app_settings, s3_server, tmp_path, monkeypatch) -> str:
    from tests.s3_server import AWS_ENV

    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)
    if app_settings:
        return f"file://{tmp_path}/moved"
    return f"s3://{s3_server.new_bucket()}/gallery"


@pytest.fixture
def target(app, target_url, s3_server):
    from tests.s3_server import REGION

    store = storage.open_store(target_url, app.config["UPLOAD_DIR"], s3_server.url, REGION)
    yield store
    store.close()


@pytest.fixture
def library(make_gallery, make_asset):
    """Originals, renditions and a served copy (a photo with GPS)."""
    gallery = make_gallery()
    made = [make_asset(gallery) for _ in range(3)]
    result = ingest.ingest(gallery, io.BytesIO(gps_image_bytes("JPEG")), "gps.jpg")
    assert result.asset.served_key != result.asset.storage_key
    return made + [result.asset]


def run(runner, target_url, s3_server, *extra):
    return runner.invoke(args=["storage", "migrate", "--to", target_url,
                               "--endpoint-url", s3_server.url, "--region", "us-east-1", *extra])


def every_key() -> set[str]:
    keys = {k for row in db.session.execute(select(Asset.storage_key, Asset.served_key)) for k in row if k}
    return keys | set(db.session.scalars(select(Rendition.storage_key)))


def test_copies_verifies_and_resumes(app, runner, library, target, target_url, s3_server):
    keys = every_key()
    assert {i.key for i in items()} == keys and len(items()) == len(keys)
    source_url = storage.backend().url
    # Stopped after two copies, as a killed run would be: only whole, verified files are there.
    first = run(runner, target_url, s3_server, "--limit", "2")
    assert first.exit_code == 0, first.output
    assert first.output.count("] copied ") == 2 and "Stopped after 2 copies" in first.output
    assert "STORAGE_URL =" not in first.output
    assert len({f.key for folder in storage.STORED_FOLDERS for f in target.listing(folder)}) == 2
    # A file in the target with the wrong bytes (an earlier tool's half copy) is copied again.
    bad = sorted(keys)[-1]
    target.put_bytes(b"half a file", bad)
    second = run(runner, target_url, s3_server)
    assert second.exit_code == 0, second.output
    assert f"{len(keys) - 2} copied" in second.output and "2 already there and verified" in second.output
    assert f"STORAGE_URL = '{target_url}'" in second.output
    stored = {f.key for folder in storage.STORED_FOLDERS for f in target.listing(folder)}
    assert stored == keys
    for key in keys:
        assert storage.hash_of(target, key) == storage.sha256(key)
    for asset in library:
        assert storage.hash_of(target, asset.storage_key) == asset.sha256
    # Nothing was switched; a third run copies nothing.
    assert storage.backend().url == source_url and app.config["STORAGE_URL"] == (
        None if source_url.startswith("file://") else app.config["STORAGE_URL"])
    third = run(runner, target_url, s3_server)
    assert third.exit_code == 0 and f"0 copied (0 bytes), {len(keys)} already there" in third.output, third.output


def test_a_damaged_or_missing_source_switches_nothing(app, runner, library, target_url, s3_server):
    broken = library[0]
    storage.save_bytes(b"not the original any more", broken.storage_key)
    storage.delete(library[1].storage_key)
    result = run(runner, target_url, s3_server)
    assert result.exit_code == 1
    assert f"failed: {broken.storage_key} (original): the current store's bytes do not match" in result.output
    assert f"failed: {library[1].storage_key} (original): missing in the current store" in result.output
    assert "nothing was switched" in result.output and "STORAGE_URL =" not in result.output


def test_an_unreachable_target_is_said_once(app, runner, s3_server, library):
    result = runner.invoke(args=["storage", "migrate", "--to", "s3://no-such-bucket/x",
                                 "--endpoint-url", s3_server.url])
    assert result.exit_code == 1 and "Cannot use s3://no-such-bucket/x" in result.output
    assert "] copied" not in result.output


def test_the_same_store_and_bad_urls_are_refused(app, runner, s3_server):
    same = runner.invoke(args=["storage", "migrate", "--to", storage.backend().url])
    assert same.exit_code == 1 and "already stored at" in same.output
    bad = runner.invoke(args=["storage", "migrate", "--to", "ftp://x/y"])
    assert bad.exit_code == 2 and "STORAGE_URL must be" in bad.output


def test_hashes_are_of_bytes(app):
    storage.save_bytes(b"abc", "served/00/00/x.jpg")
    assert storage.sha256("served/00/00/x.jpg") == hashlib.sha256(b"abc").hexdigest()
