"""The storage door on both backends: local files and S3 (moto's server over HTTP, real boto3 calls)."""
from __future__ import annotations

import hashlib
import io
import os
import urllib.request

import pytest
from boto3.s3.transfer import TransferConfig

from gallery.exceptions import StorageError
from gallery.services import storage
from gallery.services.storage_local import LocalStore
from gallery.services.storage_s3 import S3Store

MB = 1024 * 1024


@pytest.fixture(params=["local", "s3"])
def app_settings(request) -> dict:
    """Every test here runs once per backend."""
    return request.getfixturevalue("s3_settings") if request.param == "s3" else {}


def blob(n: int, seed: int = 1) -> bytes:
    """n bytes that differ at every offset (a wrong range or a shifted chunk shows)."""
    return b"".join(hashlib.sha256(f"{seed}-{i}".encode()).digest() for i in range(n // 32 + 1))[:n]


def spooled(data: bytes) -> str:
    return storage.spool(io.BytesIO(data)).path


def test_backend_follows_the_setting(app, app_settings):
    store = storage.backend()
    assert isinstance(store, S3Store if app_settings else LocalStore)
    assert store is storage.backend()  # made once per app


def test_bytes_round_trip_and_delete(app):
    key = storage.rendition_key("ab" * 32, "thumb")
    assert not storage.exists(key) and storage.size(key) is None
    stored = storage.save_bytes(b"jpeg bytes", key)
    assert stored == (key, hashlib.sha256(b"jpeg bytes").hexdigest(), 10)
    assert storage.exists(key) and storage.size(key) == 10
    assert storage.read_bytes(key) == b"jpeg bytes"
    storage.save_bytes(b"made again", key)  # content-addressed keys are overwritten whole
    assert storage.read_bytes(key) == b"made again"
    storage.delete(key)
    assert not storage.exists(key)
    storage.delete(key)  # a missing file is not an error


def test_big_file_is_stored_whole_and_its_temp_file_is_gone(app):
    data = blob(12 * MB + 123)
    store = storage.backend()
    if isinstance(store, S3Store):
        # Parts of 5 MiB (the S3 minimum): this upload is a three-part multipart upload.
        store.transfer = TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB)
    tmp = spooled(data)
    key = storage.original_key(hashlib.sha256(data).hexdigest(), "mp4")
    assert storage.commit_file(tmp, key) == key
    assert not os.path.exists(tmp)
    assert storage.size(key) == len(data)
    assert storage.sha256(key) == hashlib.sha256(data).hexdigest()
    if isinstance(store, S3Store):
        head = store.client.head_object(Bucket=store.bucket, Key=store.object_key(key))
        assert head["ETag"].strip('"').endswith("-3")  # a multipart object's ETag counts its parts


def test_reads_come_in_chunks_and_ranges(app):
    data = blob(3 * MB + 7)
    key = "served/00/11/range.mp4"
    storage.commit_file(spooled(data), key)
    with storage.reader(key) as fh:
        assert fh.size == len(data)
        chunks = []
        while chunk := fh.read(storage.CHUNK):
            chunks.append(chunk)
    assert b"".join(chunks) == data and max(map(len, chunks)) <= storage.CHUNK
    for start, end in ((0, 1), (1000, 5000), (MB - 3, 2 * MB + 11), (len(data) - 10, None),
                       (500, 500), (len(data), None)):
        with storage.reader(key, start, end) as fh:
            assert fh.size == len(data)
            assert fh.read() == data[start:end]


def test_listing_lists_one_top_folder(app):
    for key in ("originals/aa/bb/one.jpg", "originals/cc/dd/two.jpg", "renditions/aa/bb/one-thumb.jpg"):
        storage.save_bytes(key.encode(), key)
    found = {f.key: f.mtime for f in storage.listing("originals")}
    assert set(found) == {"originals/aa/bb/one.jpg", "originals/cc/dd/two.jpg"}
    assert all(m > 0 for m in found.values())
    storage.remove_listed("originals/aa/bb/one.jpg")
    assert [f.key for f in storage.listing("originals")] == ["originals/cc/dd/two.jpg"]
    assert list(storage.listing("served")) == []


def test_local_copy_for_decoders(app):
    key = "originals/ee/ff/decode.jpg"
    storage.save_bytes(b"pixels", key)
    with storage.local_copy(key) as path:
        with open(path, "rb") as fh:
            assert fh.read() == b"pixels"
        if isinstance(storage.backend(), LocalStore):
            assert path == storage.path(key)  # no copy on the local backend
    if isinstance(storage.backend(), S3Store):
        assert not os.path.exists(path)  # the download is removed after the block
        assert os.listdir(storage.backend().scratch) == []


def test_missing_files(app):
    key = "originals/00/00/gone.jpg"
    with pytest.raises(FileNotFoundError):
        storage.reader(key)
    with pytest.raises(FileNotFoundError):
        with storage.local_copy(key):
            pass
    assert storage.scratch_file() and not list(storage.listing("originals"))


@pytest.mark.parametrize("key", ["../outside.jpg", "originals/../../outside.jpg", "", "/etc/passwd"])
def test_escaping_keys_are_refused(app, key):
    with pytest.raises(StorageError):
        storage.save_bytes(b"x", key)
    with pytest.raises(StorageError):
        storage.exists(key)


def test_spools_stay_on_this_machine(app):
    """Uploads are spooled to local scratch space on either backend, never to the store."""
    spool = storage.spool(io.BytesIO(b"upload"))
    assert os.path.dirname(spool.path) == storage.backend().scratch
    assert [t.key for t in storage.temp_listing()] == [f"tmp/{os.path.basename(spool.path)}"]
    storage.remove_temp(f"tmp/{os.path.basename(spool.path)}")
    assert list(storage.temp_listing()) == []


def test_presigned_urls_serve_the_bytes_with_name_and_type(app):
    store = storage.backend()
    data = blob(2 * MB)
    key = "served/12/34/clip.mp4"
    storage.commit_file(spooled(data), key)
    url = store.presign(key, "video/mp4", "turkana-7-original.mp4")
    if isinstance(store, LocalStore):
        assert url is None  # local files are sent by the app or the front server
        return
    assert "X-Amz-Expires=300" in url and "X-Amz-Signature=" in url
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.status == 200 and r.read() == data
        assert r.headers["Content-Type"] == "video/mp4"
        assert r.headers["Content-Disposition"] == 'attachment; filename="turkana-7-original.mp4"'
    ranged = urllib.request.Request(store.presign(key, "video/mp4", None),
                                    headers={"Range": "bytes=1000-1999"})
    with urllib.request.urlopen(ranged, timeout=10) as r:
        assert r.status == 206 and r.read() == data[1000:2000]
        assert r.headers["Content-Range"] == f"bytes 1000-1999/{len(data)}"
    # A signature made for another key does not open this one.
    forged = url.replace("clip.mp4", "other.mp4")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(forged, timeout=10)
    assert refused.value.code == 403
    refused.value.close()
