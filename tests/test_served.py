"""Served originals: video, audio and image originals leave with no location, byte-exact elsewhere."""
from __future__ import annotations

import io
import zipfile

import av
import pytest
from PIL import Image
from sqlalchemy import func, select

from gallery.extensions import db
from gallery.models import Asset
from gallery.services import assets, jobs, served, storage, terms, trash
from gallery.services.ingest import ingest as ingest_file
from tests.conftest import gps_image_bytes, image_bytes, stored_files
from tests.media_files import (
    audio_bytes,
    location_leaks,
    mp3_with_location,
    mp4_with_location,
    video_bytes,
)


@pytest.fixture
def member(make_user, login_as):
    user = make_user("member")
    terms.accept(user)
    return login_as(user)


def media(kind: str) -> tuple[str, bytes]:
    """(file name, bytes) of a clip carrying phone-style location."""
    if kind == "mp4":
        return "clip.mp4", mp4_with_location(video_bytes("mp4", seconds=2))
    if kind == "mov":
        return "clip.mov", mp4_with_location(video_bytes("mov", seconds=2))
    if kind == "m4a":
        return "spot.m4a", mp4_with_location(audio_bytes("mp4", "aac", seconds=2))
    return "spot.mp3", mp3_with_location(audio_bytes("mp3", "libmp3lame", seconds=2))


def decoded(data: bytes) -> tuple[float, int]:
    """(duration in seconds, decoded frames of the first stream): the media still plays."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams[0]
        frames = sum(1 for _ in container.decode(stream))
        return container.duration / 1e6, frames


def read(key: str) -> bytes:
    with open(storage.path(key), "rb") as fh:
        return fh.read()


def get(client, url: str, **kwargs):
    """A response read whole and closed (file responses hold their file open until closed)."""
    with client.get(url, **kwargs) as response:
        response.get_data()
    return response


def ingest(gallery, name: str, data: bytes) -> Asset:
    result = ingest_file(gallery, io.BytesIO(data), name)
    assert result.status == "accepted", result.reason
    assert jobs.wait_idle()  # a video or audio file is public once its web proxy is made
    db.session.expire_all()  # the jobs ran in this session: read the rows they wrote
    return result.asset


@pytest.mark.parametrize("kind", ["mp4", "mov", "m4a", "mp3"])
def test_playback_download_and_zip_carry_no_location(client, member, make_gallery, kind):
    name, data = media(kind)
    assert location_leaks(data)  # the helper planted them
    asset = ingest(make_gallery(), name, data)
    assert asset.served_key != asset.storage_key and storage.exists(asset.served_key)
    assert storage.path(asset.storage_key) and read(asset.storage_key) == data

    played = get(client, f"/media/{asset.id}/original")
    assert played.status_code == 200 and played.mimetype == asset.mime_type
    assert location_leaks(played.data) == []
    assert len(played.data) == asset.served_bytes
    assert decoded(played.data) == decoded(data)

    part = get(client, f"/media/{asset.id}/original", headers={"Range": "bytes=100-"})
    assert part.status_code == 206 and part.data == played.data[100:]
    assert location_leaks(part.data) == []

    download = get(client, f"/download/assets/{asset.id}/original")
    assert download.status_code == 200 and download.data == played.data

    with client.get(f"/download/galleries/{asset.gallery_id}.zip?size=original") as r:
        assert r.status_code == 200
        zipped = r.data
    with zipfile.ZipFile(io.BytesIO(zipped)) as zf:
        assert zf.testzip() is None
        member_name = [n for n in zf.namelist() if n != "captions.csv"][0]
        assert zf.read(member_name) == played.data
    assert location_leaks(zipped) == []


def test_mp4_media_data_is_byte_identical(app, make_gallery):
    """Only metadata changes: the copy differs only from moov on (location out, credits in)."""
    name, data = media("mp4")
    asset = ingest(make_gallery(), name, data)
    clean = read(asset.served_key)
    mdat = data.index(b"mdat") - 4
    moov = data.index(b"moov") - 4
    assert clean[:moov] == data[:moov] and mdat < moov  # every sample byte before moov is untouched


def test_mp3_audio_frames_are_byte_identical(app, make_gallery):
    import mutagen

    name, data = media("mp3")
    asset = ingest(make_gallery(), name, data)
    clean = read(asset.served_key)
    tags = mutagen.File(io.BytesIO(clean)).tags
    assert str(tags["TIT2"]) == "Radio spot" and "TXXX:GPS" not in tags
    # The ID3 tag is rewritten; the MPEG frames after it are the same bytes.
    start = lambda b: 10 + int.from_bytes(bytes(x & 0x7F for x in b[6:10]), "big")  # noqa: E731
    assert clean[start(clean):] == data[start(data):]


def test_clean_files_are_served_as_stored(app, make_gallery):
    """Nothing to remove and no credits to carry (GIF): no copy, the original's own size and CRC are recorded."""
    import zlib

    from PIL import Image

    buf = io.BytesIO()
    Image.new("P", (40, 30)).save(buf, "GIF")
    data = buf.getvalue()
    asset = ingest(make_gallery(), "c.gif", data)
    assert asset.served_key == asset.storage_key
    assert (asset.served_bytes, asset.served_crc32) == (len(data), zlib.crc32(data))
    assert not any(f.startswith("served/") for f in stored_files(app))


def test_clean_files_that_carry_credits_get_a_credited_copy(app, make_gallery):
    """No location, but MP4 and JPEG take the credits: a copy whose key names them; the original is untouched."""
    gallery = make_gallery()
    for name, data in (("a.mp4", video_bytes("mp4", seconds=1)), ("b.jpg", image_bytes())):
        asset = ingest(gallery, name, data)
        assert served.carries_credits(asset.served_key) and storage.exists(asset.served_key)
        assert read(asset.storage_key) == data


def test_image_with_gps_gets_a_stored_served_copy(client, member, make_gallery):
    data = gps_image_bytes("JPEG", size=(800, 600))
    asset = ingest(make_gallery(), "shelter.jpg", data)
    assert asset.served_key.startswith("served/")
    got = get(client, f"/download/assets/{asset.id}/original")
    assert got.status_code == 200 and got.data == read(asset.served_key)
    assert got.content_length == asset.served_bytes
    with Image.open(io.BytesIO(got.data)) as im, Image.open(io.BytesIO(data)) as before:
        assert 0x8825 not in im.getexif()
        assert im.tobytes() == before.tobytes()
    assert b"GPSLatitude" not in got.data and b"14,0.998N" not in got.data


def test_assets_from_before_get_their_copy_on_first_use(client, member, make_gallery):
    """An asset ingested before served copies existed: made once, recorded, then reused."""
    name, data = media("mp4")
    asset = ingest(make_gallery(), name, data)
    storage.delete(asset.served_key)
    asset.served_key = asset.served_bytes = asset.served_crc32 = None
    db.session.commit()

    played = get(client, f"/media/{asset.id}/original", headers={"Range": "bytes=0-99"})
    assert played.status_code == 206 and len(played.data) == 100
    db.session.refresh(asset)
    assert asset.served_key and storage.exists(asset.served_key)
    with client.get(f"/download/galleries/{asset.gallery_id}.zip?size=original") as r:
        with zipfile.ZipFile(io.BytesIO(r.data)) as zf:
            assert zf.testzip() is None
            assert location_leaks(zf.read(zf.namelist()[0])) == []


def test_lazy_copy_for_an_asset_from_a_closed_session(app, make_gallery):
    """What a streamed zip meets: the request's session is gone and the copy is not made yet."""
    gps = ingest(make_gallery(), "g.jpg", gps_image_bytes("JPEG"))
    key = gps.served_key
    storage.delete(key)
    gps.served_key = gps.served_bytes = gps.served_crc32 = None
    db.session.commit()
    db.session.expunge(gps)
    made = served.ensure(gps)
    assert made.served_key == key and storage.exists(key)
    assert db.session.scalar(select(Asset.served_key).where(Asset.id == gps.id)) == key


def test_failed_commit_of_a_lazy_copy_leaves_no_file(app, make_gallery, monkeypatch):
    gps = ingest(make_gallery(), "g.jpg", gps_image_bytes("JPEG"))
    key = gps.served_key
    storage.delete(key)
    gps.served_key = gps.served_bytes = gps.served_crc32 = None
    db.session.commit()

    def broken_commit():
        raise RuntimeError("database went away")

    monkeypatch.setattr(db.session, "commit", broken_commit)
    with pytest.raises(RuntimeError):
        served.ensure(gps)
    monkeypatch.undo()
    assert not storage.exists(key)


def test_failed_ingest_commit_removes_the_served_copy(app, make_gallery, monkeypatch):
    gallery = make_gallery()

    def broken_commit():
        raise RuntimeError("database went away")

    monkeypatch.setattr(db.session, "commit", broken_commit)
    with pytest.raises(RuntimeError):
        ingest_file(gallery, io.BytesIO(media("mp4")[1]), "clip.mp4")
    monkeypatch.undo()
    assert stored_files(app) == []


def test_purge_deletes_the_served_copy(app, admin, make_gallery):
    asset = ingest(make_gallery(), *media("m4a"))
    keys = (asset.storage_key, asset.served_key)
    trash.trash_asset(asset.id, admin)
    trash.purge_asset(asset.id, admin)
    assert not any(storage.exists(k) for k in keys)
    assert db.session.scalar(select(func.count()).select_from(Asset)) == 0


def test_replacing_the_file_replaces_the_served_copy(app, admin, make_gallery):
    asset = ingest(make_gallery(), *media("mp4"))
    old = asset.served_key
    assets.replace_file(asset.id, io.BytesIO(video_bytes("mp4", seconds=1)), "new.mp4", admin)
    assert asset.served_key is None and not storage.exists(old)  # the new copy is the workers' job
    jobs.wait_idle()
    assert served.carries_credits(asset.served_key) and storage.exists(asset.served_key)


def served_copy_refused(client, asset_id: int, reason: str) -> None:
    """The file was taken, but its served copy failed with the reason (staff see it on the piece),
    and an original download says why instead of sending the original."""
    from gallery.models import AssetWork

    jobs.wait_idle()
    db.session.expire_all()
    row = db.session.scalar(select(AssetWork).where(AssetWork.asset_id == asset_id,
                                                    AssetWork.piece == "served"))
    assert row.state in ("pending", "failed") and reason in row.reason, row.reason
    got = get(client, f"/download/assets/{asset_id}/original")
    assert got.status_code == 415 and "cannot be removed safely" in got.get_data(as_text=True)
    assert db.session.get(Asset, asset_id).served_key is None


def test_unreadable_location_metadata_fails_the_served_copy_with_a_reason(client, admin, login_as,
                                                                          make_gallery):
    """A box that overruns its parent: the file cannot be cleaned safely, so its original never leaves."""
    login_as(admin)
    data = bytearray(media("mp4")[1])
    at = data.index(b"loci") - 4
    data[at:at + 4] = (10 ** 6).to_bytes(4, "big")
    result = ingest_file(make_gallery(), io.BytesIO(bytes(data)), "broken.mp4")
    assert result.status == "accepted"
    served_copy_refused(client, result.asset.id, "its location metadata cannot be removed safely "
                                                 "(a 'loci' box overruns its parent).")


@pytest.mark.parametrize("tag", ["LOCATION", "GPS_COORDINATES"])
def test_ogg_location_comments_are_removed(tmp_path, tag):
    import mutagen

    from gallery.formats.location.media import strip_media_location

    src = tmp_path / "a.ogg"
    src.write_bytes(audio_bytes("ogg", "libopus", seconds=1, tags={"title": "Spot", tag: "+14.01-086.58/"}))
    dest = tmp_path / "b.ogg"
    assert strip_media_location(str(src), "audio/ogg", str(dest))
    tags = mutagen.File(str(dest)).tags
    assert tags["title"] == ["Spot"] and tag.lower() not in {k.lower() for k in tags.keys()}
    assert b"+14.01-086.58" not in dest.read_bytes()
    assert decoded(dest.read_bytes())[1] == decoded(src.read_bytes())[1]


def test_wav_xmp_and_info_location_is_blanked(tmp_path):
    import struct

    from gallery.formats.location.media import strip_media_location
    from tests.conftest import GPS_XMP

    wav = audio_bytes(seconds=1)
    info = b"INFO" + b"ICMT" + struct.pack("<I", 18) + b"+14.0166-086.5833\x00"
    extra = b"LIST" + struct.pack("<I", len(info)) + info + b"_PMX" + struct.pack("<I", len(GPS_XMP)) + GPS_XMP
    extra += b"\x00" * (len(extra) % 2)
    data = wav[:4] + struct.pack("<I", len(wav) - 8 + len(extra)) + wav[8:] + extra
    src, dest = tmp_path / "a.wav", tmp_path / "b.wav"
    src.write_bytes(data)
    assert strip_media_location(str(src), "audio/wav", str(dest))
    clean = dest.read_bytes()
    assert location_leaks(clean) == [] and len(clean) == len(data)
    assert clean[:len(wav)] == wav[:4] + data[4:8] + wav[8:]
    assert decoded(clean) == decoded(data)


def test_location_tag_names():
    from gallery.formats.location.common import is_location_tag

    for name in ("GPS", "LOCATION", "com.apple.quicktime.location.ISO6709", "Latitude", "geo:lat"):
        assert is_location_tag(name), name
    for name in ("TITLE", "comment", "Relocation story", "Category"):
        assert not is_location_tag(name, "Health"), name
    assert is_location_tag("comment", "+14.0166-086.5833/")
    assert is_location_tag("note", "14.01661, -86.58330")
    assert not is_location_tag("year", "2023")
