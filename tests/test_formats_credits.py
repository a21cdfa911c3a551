"""Credits spliced into renditions and GPS taken out of originals, without re-encoding."""
from __future__ import annotations

import io
import struct

import pytest
from PIL import Image

from gallery.formats import credits
from gallery.formats.location import common, images
from tests.conftest import GPS_XMP, gps_image_bytes, image_bytes

CREDITS = credits.Credits(title="Retorno voluntario", caption="Una asistente explica la encuesta — Bilwi <Región> & Co.",
                        creator="Karla Ruiz Peña", credit="Agencia de Ejemplo",
                        copyright="© Agencia de Ejemplo 2023")
MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "TIFF": "image/tiff"}


def exif_text(value: str) -> str:
    """Pillow reads EXIF ASCII as Latin-1; the bytes are UTF-8."""
    return value.encode("latin-1").decode("utf-8")


def scan_data(jpeg: bytes) -> bytes:
    """The compressed image data: from the first SOS marker to the end of the image."""
    start = jpeg.index(b"\xff\xda")
    return jpeg[start:jpeg.index(b"\xff\xd9", start) + 2]


def read_xmp(im: Image.Image) -> dict:
    return im.getxmp()["xmpmeta"]["RDF"]["Description"]


def test_credits_spliced_into_jpeg_read_back_with_pillow():
    source = image_bytes(size=(300, 200), quality=90)
    out = credits.embed_credits(source, CREDITS)
    assert scan_data(out) == scan_data(source)  # no re-encoding
    with Image.open(io.BytesIO(out)) as im:
        exif = im.getexif()
        assert exif_text(exif[0x010E]) == CREDITS.caption
        assert exif_text(exif[0x013B]) == "Karla Ruiz Peña"
        assert exif_text(exif[0x8298]) == "© Agencia de Ejemplo 2023"
        assert 0x8825 not in exif
        xmp = read_xmp(im)
        assert xmp["description"]["Alt"]["li"]["text"] == CREDITS.caption
        assert xmp["creator"]["Seq"]["li"] == "Karla Ruiz Peña"
        assert xmp["rights"]["Alt"]["li"]["text"] == "© Agencia de Ejemplo 2023"
        assert xmp["Credit"] == "Agencia de Ejemplo"
        assert xmp["title"]["Alt"]["li"]["text"] == "Retorno voluntario"
        im.load()


def test_embedding_replaces_old_exif_and_keeps_jfif_first():
    source = gps_image_bytes("JPEG")
    out = credits.embed_credits(source, CREDITS)
    assert out[2:4] == b"\xff\xe0" and out[6:11] == b"JFIF\x00"
    with Image.open(io.BytesIO(out)) as im:
        assert 0x8825 not in im.getexif()
        assert b"GPS" not in im.info["xmp"]
    assert out.count(b"Exif\x00\x00") == 1


def test_very_long_caption_is_cut_to_fit_one_segment():
    long = credits.Credits("t", "é" * 100_000, "c", "cr", "©")
    out = credits.embed_credits(image_bytes(), long)
    with Image.open(io.BytesIO(out)) as im:
        caption = exif_text(im.getexif()[0x010E])
        assert 20_000 < len(caption) < 33_000 and set(caption) == {"é"}
        assert set(read_xmp(im)["description"]["Alt"]["li"]["text"]) == {"é"}


def test_jpeg_original_loses_gps_and_keeps_scan_data():
    source = gps_image_bytes("JPEG", size=(640, 480), quality=92)
    out = b"".join(images.strip_location(io.BytesIO(source), "image/jpeg"))
    assert scan_data(out) == scan_data(source)
    with Image.open(io.BytesIO(source)) as before, Image.open(io.BytesIO(out)) as after:
        assert before.getexif().get_ifd(0x8825)  # the test image really had GPS
        exif = after.getexif()
        assert 0x8825 not in exif and not exif.get_ifd(0x8825)
        assert exif[0x013B] == "Lucia Fernandez" and exif[0x0132] == "2023:06:21 10:30:00"
        assert after.tobytes() == before.tobytes()
        xmp = after.info["xmp"]
        assert b"GPS" not in xmp and b"Location" not in xmp and "Zarzal".encode() not in xmp
        assert b"Shelter roof" in xmp
        assert read_xmp(after)["description"]["Alt"]["li"]["text"] == "Shelter roof"


def test_jpeg_trailer_after_end_of_image_is_dropped():
    source = gps_image_bytes("JPEG") + b"\xff\xd8TRAILER WITH GPS 14N 86W"
    out = b"".join(images.strip_location(io.BytesIO(source), "image/jpeg"))
    assert out.endswith(b"\xff\xd9") and b"TRAILER" not in out


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "TIFF"])
def test_other_originals_lose_gps_and_keep_pixels(fmt):
    source = gps_image_bytes(fmt)
    out = b"".join(images.strip_location(io.BytesIO(source), MIME[fmt]))
    with Image.open(io.BytesIO(source)) as before, Image.open(io.BytesIO(out)) as after:
        assert before.getexif().get_ifd(0x8825)
        assert not after.getexif().get_ifd(0x8825) and 0x8825 not in after.getexif()
        assert after.tobytes() == before.tobytes()
    assert b"GPSLatitude" not in out and "Zarzal".encode() not in out


def test_webp_flags_and_riff_size_fixed():
    out = b"".join(images.strip_location(io.BytesIO(gps_image_bytes("WEBP")), "image/webp"))
    assert struct.unpack("<I", out[4:8])[0] == len(out) - 8
    if out[12:16] == b"VP8X":
        assert out[20] & 0x0C == 0


def test_xmp_blanking_keeps_length_and_valid_xml():
    from defusedxml import ElementTree

    blanked = common.blank_xmp_location(GPS_XMP)
    assert len(blanked) == len(GPS_XMP)
    start = blanked.index(b"<x:xmpmeta")
    ElementTree.fromstring(blanked[start:blanked.index(b"<?xpacket end")])
    assert b"GPS" not in blanked


def test_not_a_jpeg_is_refused():
    with pytest.raises(ValueError):
        list(images.strip_location(io.BytesIO(b"GIF89a not really"), "image/jpeg"))


def test_multi_picture_file_keeps_only_the_primary_image():
    first = Image.effect_noise((320, 240), 40).convert("RGB")
    second = Image.effect_noise((160, 120), 40).convert("RGB")
    buf = io.BytesIO()
    first.save(buf, "MPO", save_all=True, append_images=[second], exif=_gps_exif())
    source = buf.getvalue()
    assert source.count(b"\xff\xd8") >= 2 and b"MPF\x00" in source
    out = b"".join(images.strip_location(io.BytesIO(source), "image/jpeg"))
    assert b"MPF\x00" not in out and out.count(b"\xff\xd8\xff") == 1
    assert scan_data(out) == scan_data(source)
    with Image.open(io.BytesIO(out)) as im:
        assert 0x8825 not in im.getexif() and getattr(im, "n_frames", 1) == 1


def _gps_exif():
    from tests.conftest import gps_exif

    return gps_exif()
