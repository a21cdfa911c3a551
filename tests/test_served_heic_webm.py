"""HEIC and WebM leave without location: served copy, downloads, playback, zips, renditions."""
from __future__ import annotations

import io
import struct
import zipfile
import zlib

import av
import pytest
from PIL import Image

from gallery.formats import imaging
from gallery.formats.location import heif, webm
from gallery.formats.location.common import MediaCleanError
from gallery.services import terms
from gallery.services.ingest import ingest as ingest_file
from tests.conftest import GPS_XMP, gps_exif, stored_files
from tests.media_files import video_bytes
from tests.test_served import decoded, get, ingest, read, served_copy_refused

pillow_heif = pytest.importorskip("pillow_heif")
needs_heic_encoder = pytest.mark.skipif(not pillow_heif.libheif_info().get("HEIF"),
                                        reason="this pillow-heif has no HEIC encoder")
COORDINATES = b"+14.0166-086.5833/"
XMP_PLACES = (b"GPSLatitude", b"GPSLongitude", b"14,0.998N", b"GPSAltitude", "Danlí".encode())


@pytest.fixture
def member(make_user, login_as):
    user = make_user("member")
    terms.accept(user)
    return login_as(user)


def heic_with_gps(size=(320, 240), xmp: bool = True) -> bytes:
    """A noisy HEIC with an EXIF GPS IFD (and XMP location) that pillow-heif kept."""
    imaging.register_heif()
    im = Image.effect_noise(size, 40).convert("RGB")
    buf = io.BytesIO()
    im.save(buf, format="HEIF", exif=gps_exif(), quality=90, **({"xmp": GPS_XMP} if xmp else {}))
    data = buf.getvalue()
    with Image.open(io.BytesIO(data)) as check:
        assert check.getexif().get_ifd(0x8825), "pillow-heif dropped the GPS IFD"
    return data


def gps_values(data: bytes) -> list[bytes]:
    """The raw rationals of the GPS latitude and longitude as the file stores them."""
    with Image.open(io.BytesIO(data)) as im:
        exif = im.info["exif"]
    start = exif.index(b"MM\x00*") if b"MM\x00*" in exif else exif.index(b"II*\x00")
    return tiff_gps_values(exif[start:])


def tiff_gps_values(tiff: bytes) -> list[bytes]:
    """The raw rationals of GPS tags 2 and 4 (latitude, longitude) of a TIFF block."""
    end = "<" if tiff[:2] == b"II" else ">"
    ifd0 = struct.unpack_from(end + "I", tiff, 4)[0]
    entries = [struct.unpack_from(end + "HHII", tiff, ifd0 + 2 + 12 * i)
               for i in range(struct.unpack_from(end + "H", tiff, ifd0)[0])]
    gps = next(offset for tag, _t, _n, offset in entries if tag == 0x8825)
    values = []
    for i in range(struct.unpack_from(end + "H", tiff, gps)[0]):
        tag, _typ, count, offset = struct.unpack_from(end + "HHII", tiff, gps + 2 + 12 * i)
        if tag in (2, 4):
            values.append(bytes(tiff[offset:offset + 8 * count]))
    return values


def heic_leaks(data: bytes, planted: list[bytes]) -> list[bytes]:
    """The planted GPS rationals and XMP location still in data."""
    return [p for p in [*planted, *XMP_PLACES] if p in data]


def no_gps(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as im:
        exif = im.getexif()
        return 0x8825 not in exif and not exif.get_ifd(0x8825)


@needs_heic_encoder
def test_heic_original_downloads_zip_and_renditions_carry_no_location(client, member, make_gallery):
    data = heic_with_gps((640, 480))
    planted = gps_values(data)
    assert len(planted) == 2 and heic_leaks(data, planted) == [*planted, *XMP_PLACES]
    asset = ingest(make_gallery(), "shelter.heic", data)
    assert asset.mime_type == "image/heic" and asset.served_key.startswith("served/")
    assert read(asset.storage_key) == data
    served = read(asset.served_key)
    assert heic_leaks(served, planted) == [] and no_gps(served)
    with Image.open(io.BytesIO(served)) as im, Image.open(io.BytesIO(data)) as before:
        assert im.tobytes() == before.tobytes()
        assert im.getexif()[0x013B] == "Lucia Fernandez"  # only location goes
        assert b"Shelter roof" in im.info["xmp"]

    # Images are never streamed, only downloaded.
    assert get(client, f"/media/{asset.id}/original").status_code == 404
    original = get(client, f"/download/assets/{asset.id}/original")
    assert original.status_code == 200 and original.data == served
    for size in ("preview", "large"):
        got = get(client, f"/download/assets/{asset.id}/{size}?use=Press")
        assert got.status_code == 200 and got.mimetype == "image/jpeg"
        assert heic_leaks(got.data, planted) == [] and no_gps(got.data)
    for size in ("thumb", "preview"):  # the sizes shown in pages
        got = get(client, f"/media/{asset.id}/{size}.jpg")
        assert got.status_code == 200 and heic_leaks(got.data, planted) == [] and no_gps(got.data)
    with client.get(f"/download/galleries/{asset.gallery_id}.zip?size=original") as r:
        assert r.status_code == 200
        zipped = r.data
    with zipfile.ZipFile(io.BytesIO(zipped)) as zf:
        names = [n for n in zf.namelist() if n != "captions.csv"]
        assert zf.read(names[0]) == served
    assert heic_leaks(zipped, planted) == []


@needs_heic_encoder
def test_heic_without_location_gets_only_the_credits(app, make_gallery):
    """Nothing to remove: the served copy differs by the credits alone (tests/test_credits_in_originals.py)."""
    imaging.register_heif()
    buf = io.BytesIO()
    Image.effect_noise((320, 240), 40).convert("RGB").save(buf, format="HEIF", quality=90)
    asset = ingest(make_gallery(), "plain.heic", buf.getvalue())
    assert asset.served_key != asset.storage_key and read(asset.storage_key) == buf.getvalue()
    with Image.open(io.BytesIO(read(asset.served_key))) as im, Image.open(buf) as before:
        assert im.tobytes() == before.tobytes() and b"Example Relief Agency" in im.info["xmp"]


@needs_heic_encoder
def test_heic_whose_exif_cannot_be_read_is_never_sent(client, admin, login_as, make_gallery):
    login_as(admin)
    data = bytearray(heic_with_gps(xmp=False))
    at = data.index(b"Exif\x00\x00MM\x00*") - 4
    data[at:at + 4] = (5000).to_bytes(4, "big")  # the TIFF block is said to start past the item
    result = ingest_file(make_gallery(), io.BytesIO(bytes(data)), "broken.heic")
    assert result.status == "accepted"
    served_copy_refused(client, result.asset.id, "its location metadata cannot be removed safely "
                                                 "(its Exif item does not start a TIFF block where it says).")


@needs_heic_encoder
def test_heic_whose_item_overruns_the_file_is_refused(app, make_gallery):

    data = bytearray(heic_with_gps(xmp=False))
    iloc = data.index(b"iloc") + 4
    version, sizes = data[iloc], data[iloc + 4]
    assert version in (0, 1) and sizes >> 4 == 4 and sizes & 15 == 4
    # Every extent length becomes huge: each item now reaches past the end of the file.
    count = struct.unpack_from(">H", data, iloc + 6)[0]
    pos = iloc + 8
    base_size = data[iloc + 5] >> 4
    for _ in range(count):
        pos += 2 + (2 if version == 1 else 0) + 2 + base_size
        extents = struct.unpack_from(">H", data, pos)[0]
        pos += 2
        for _ in range(extents):
            data[pos + 4:pos + 8] = (10 ** 7).to_bytes(4, "big")
            pos += 8
    with pytest.raises(MediaCleanError, match="lies outside the file"):
        heif.heif_edits(io.BytesIO(bytes(data)))


def webm_with_location(seconds: float = 2) -> bytes:
    data = video_bytes("webm", "libvpx", seconds=seconds, title="Shelter",
                       tags={"LOCATION": COORDINATES.decode(), "RECORDING_LOCATION": "Danlí"})
    with av.open(io.BytesIO(data)) as container:
        assert container.metadata["LOCATION"] == COORDINATES.decode()  # PyAV wrote it
    return data


def webm_leaks(data: bytes) -> list[bytes]:
    return [p for p in (COORDINATES, "Danlí".encode()) if p in data]


def test_webm_playback_download_and_zip_carry_no_location(client, member, make_gallery):
    data = webm_with_location()
    assert webm_leaks(data)
    asset = ingest(make_gallery(), "clip.webm", data)
    assert asset.mime_type == "video/webm" and asset.served_key.startswith("served/")
    served = read(asset.served_key)
    assert len(served) == len(data) and webm_leaks(served) == []
    assert decoded(served) == decoded(data)
    with av.open(io.BytesIO(served)) as container:
        assert container.metadata["title"] == "Shelter"
        assert container.metadata["LOCATION"].strip() == ""

    played = get(client, f"/media/{asset.id}/original")
    assert played.status_code == 200 and played.mimetype == "video/webm" and played.data == served
    part = get(client, f"/media/{asset.id}/original", headers={"Range": "bytes=100-"})
    assert part.status_code == 206 and part.data == served[100:]
    download = get(client, f"/download/assets/{asset.id}/original")
    assert download.status_code == 200 and download.data == served
    with client.get(f"/download/galleries/{asset.gallery_id}.zip?size=original") as r:
        assert r.status_code == 200
        zipped = r.data
    with zipfile.ZipFile(io.BytesIO(zipped)) as zf:
        assert zf.read(next(n for n in zf.namelist() if n != "captions.csv")) == served
    assert webm_leaks(zipped) == []


def test_webm_without_location_is_served_as_stored(app, make_gallery):
    data = video_bytes("webm", "libvpx", seconds=1, title="Shelter")
    asset = ingest(make_gallery(), "plain.webm", data)
    assert asset.served_key == asset.storage_key


def test_matroska_crc32_is_recomputed(tmp_path):
    """A muxer that writes EBML CRC-32 elements: the tags' CRC still matches after blanking."""
    data = video_bytes("matroska", "libvpx", seconds=1, tags={"LOCATION": COORDINATES.decode()})
    tags = data.rindex(bytes.fromhex("1254C367"), 0, data.index(b"LOCATION"))
    assert data[tags + 4:tags + 16].find(b"\xbf\x84") >= 0, "no CRC-32 written"
    edits = webm.webm_edits(io.BytesIO(data))
    clean = bytearray(data)
    for offset, patch in edits:
        clean[offset:offset + len(patch)] = patch
    assert COORDINATES not in clean and len(clean) == len(data)
    _, size, header = webm._header(bytes(clean[tags:tags + 12]))
    body, end = tags + header, tags + header + size
    crc_at = clean.index(b"\xbf\x84", body)
    assert crc_at == body
    assert struct.unpack_from("<I", clean, crc_at + 2)[0] == zlib.crc32(clean[crc_at + 6:end])


def test_damaged_webm_tags_are_never_sent(client, admin, login_as, make_gallery):
    login_as(admin)
    data = bytearray(webm_with_location())
    at = data.index(b"\x45\xa3\x88LOCATION")
    data[at + 2] = 0xFF  # the TagName's size now runs past its SimpleTag
    result = ingest_file(make_gallery(), io.BytesIO(bytes(data)), "broken.webm")
    assert result.status == "accepted"
    served_copy_refused(client, result.asset.id, "location metadata cannot be removed safely")
    assert not any(f.startswith("served/") for f in stored_files(client.application))


def test_webm_served_as_stored_before_is_cleaned_after_the_migration(app, client, member,
                                                                     make_gallery):
    """Assets ingested when WebM passed through get a clean copy once the database is upgraded."""
    from alembic import command

    from gallery import migrate
    from gallery.extensions import db

    asset = ingest(make_gallery(), "old.webm", webm_with_location())
    asset.served_key, asset.served_bytes = asset.storage_key, len(read(asset.storage_key))
    db.session.commit()
    db.session.close()
    command.downgrade(migrate.alembic_config(app), "0002")
    migrate.upgrade(app)
    download = get(client, f"/download/assets/{asset.id}/original")
    assert download.status_code == 200 and webm_leaks(download.data) == []
    assert db.session.get(type(asset), asset.id).served_key.startswith("served/")


def _box(kind: bytes, payload: bytes, full: bool = False) -> bytes:
    payload = (b"\x00" * 4 if full else b"") + payload
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def test_heif_exif_item_in_idat_is_cleaned():
    """An Exif item stored in the meta box's idat (iloc version 1, construction method 1)."""

    exif = gps_exif().tobytes()
    assert exif.startswith(b"Exif\x00\x00")
    item = struct.pack(">I", 6) + exif
    infe = _box(b"infe", b"\x02\x00\x00\x00" + struct.pack(">HH", 1, 0) + b"Exif" + b"\x00")
    iinf = _box(b"iinf", struct.pack(">H", 1) + infe, full=True)
    iloc = _box(b"iloc", b"\x01\x00\x00\x00" + bytes([0x44, 0x00]) + struct.pack(">H", 1)
                + struct.pack(">HHHH", 1, 1, 0, 1) + struct.pack(">II", 0, len(item)))
    meta = _box(b"meta", _box(b"hdlr", b"\x00" * 8 + b"pict" + b"\x00" * 13, full=True)
                + iinf + iloc + _box(b"idat", item), full=True)
    data = _box(b"ftyp", b"heic\x00\x00\x00\x00mif1heic") + meta
    edits = heif.heif_edits(io.BytesIO(data))
    clean = bytearray(data)
    for offset, patch in edits:
        clean[offset:offset + len(patch)] = patch
    tiff = bytes(clean[clean.rindex(b"Exif\x00\x00") + 6:])
    assert len(clean) == len(data) and clean[:data.index(b"idat")] == data[:data.index(b"idat")]
    back = Image.Exif()
    back.load(b"Exif\x00\x00" + tiff)
    assert 0x8825 not in back and back[0x013B] == "Lucia Fernandez"
    planted = tiff_gps_values(data[data.rindex(b"Exif\x00\x00") + 6:])
    assert len(planted) == 2 and not any(p in clean for p in planted)
