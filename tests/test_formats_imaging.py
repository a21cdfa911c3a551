"""Imaging: embedded metadata (XMP, IPTC, EXIF, mixed encodings, precedence) and rendition pixels."""
from __future__ import annotations

import datetime as dt
import io
import struct

import pytest
from PIL import Image, ImageCms

from gallery.countries import country_code
from gallery.formats import imagemeta, imaging
from tests.media_files import adobe_rgb_profile, alt, bag, iptc_block, jpeg, xmp_packet

SIZES = {"thumb": 400, "preview": 1280}


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def exif_with(**tags) -> Image.Exif:
    exif = Image.Exif()
    names = {"description": 0x010E, "make": 0x010F, "model": 0x0110, "orientation": 0x0112,
             "artist": 0x013B, "copyright": 0x8298}
    for name, value in tags.items():
        if name == "taken":
            exif.get_ifd(0x8769)[0x9003] = value
        elif name == "gps":
            exif.get_ifd(0x8825).update({1: "N", 2: (14.0, 1.0, 59.88), 3: "W", 4: (86.0, 34.0, 59.88)})
        else:
            exif[names[name]] = value
    return exif


def rendition_files(tmp_path, data: bytes, sizes=SIZES, name="src") -> list[imaging.Rendered]:
    path = tmp_path / name
    path.write_bytes(data)
    return imaging.make_renditions(str(path), sizes, 85)


def pixel(rendered: imaging.Rendered, xy) -> tuple[int, int, int]:
    with Image.open(io.BytesIO(rendered.data)) as im:
        return im.convert("RGB").getpixel(xy)


def close(a, b, tolerance=24) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b))


# --- metadata ------------------------------------------------------------------------------

def test_iptc_fields_declared_utf8():
    data = jpeg(iptc=iptc_block({
        5: "Borehole", 120: "Women collect water in Danlí.", 80: "Lucía Fernández",
        110: "Example Relief Agency", 116: "© Agency 2023", 25: ["water", "drought", "water"],
        90: "Lodwar", 100: "KEN", 101: "Kenya", 55: "20230314"}))
    found = imagemeta.read_iptc(opened(data), country_code)
    assert found == {
        "title": "Borehole", "caption": "Women collect water in Danlí.", "creator": "Lucía Fernández",
        "credit": "Example Relief Agency", "copyright": "© Agency 2023", "keywords": ["water", "drought"],
        "city": "Lodwar", "country_code": "KEN", "date_taken": dt.date(2023, 3, 14)}


def test_iptc_latin1_without_declaration_and_country_name_only():
    data = jpeg(iptc=iptc_block({120: "Région autonome", 90: "Bilwi", 101: "Nicaragua"},
                                utf8=False, encoding="latin-1"))
    found = imagemeta.read_iptc(opened(data), country_code)
    assert found["caption"] == "Région autonome" and found["country_code"] == "NIC"


def test_iptc_utf8_bytes_without_declaration_are_read_as_utf8():
    data = jpeg(iptc=iptc_block({80: "Karla Ruiz Peña", 105: "Headline as title"}, utf8=False))
    found = imagemeta.read_iptc(opened(data), country_code)
    assert found["creator"] == "Karla Ruiz Peña" and found["title"] == "Headline as title"


def test_xmp_element_and_attribute_forms():
    body = (alt("dc:title", "Water point") + alt("dc:description", "Déplacés à Goma")
            + alt("dc:rights", "© Agence 2023") + bag("dc:creator", ["Élodie Nsimba"], "Seq")
            + bag("dc:subject", ["déplacés", "abris"]) + "<photoshop:City>Goma</photoshop:City>"
            + alt("Iptc4xmpCore:AltTextAccessibility", "Families queue at a tent")
            + "<photoshop:DateCreated>2023-01-12T10:30:00</photoshop:DateCreated>")
    found = imagemeta.read_xmp(opened(jpeg(xmp=xmp_packet(body))), country_code)
    assert found == {
        "title": "Water point", "caption": "Déplacés à Goma", "copyright": "© Agence 2023",
        "creator": "Élodie Nsimba", "keywords": ["déplacés", "abris"], "city": "Goma",
        "alt_text": "Families queue at a tent", "date_taken": dt.date(2023, 1, 12)}
    packet = xmp_packet("").replace("rdf:about=''", "rdf:about='' photoshop:Credit='Agence Exemple' "
                                    "Iptc4xmpCore:CountryCode='COD' photoshop:Country='Congo'")
    found = imagemeta.read_xmp(opened(jpeg(xmp=packet)), country_code)
    assert found == {"credit": "Agence Exemple", "country_code": "COD"}


def test_xmp_with_entities_is_ignored_not_expanded():
    bomb = ("<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;'>]>"
            + xmp_packet(alt("dc:description", "&b;")))
    im = opened(jpeg(xmp=bomb))
    assert imagemeta.read_xmp(im) == {}


def test_exif_fields_with_utf8_in_ascii_tags_are_repaired():
    exif = exif_with(artist="Karla Ruiz Peña".encode("utf-8"), copyright="© Agencia 2022".encode("utf-8"),
                     description="Encuesta en Bilwi", taken="2022:08:09 10:30:00",
                     make="Canon", model="Canon EOS R6", gps=True)
    im = opened(jpeg(exif=exif.tobytes()))
    found = imagemeta.read_exif(im)
    assert found == {"creator": "Karla Ruiz Peña", "copyright": "© Agencia 2022",
                     "caption": "Encuesta en Bilwi", "date_taken": dt.date(2022, 8, 9)}
    assert imagemeta.camera(im) == "Canon EOS R6"
    assert "gps" not in str(found).lower()


@pytest.mark.parametrize("text, repaired", [
    ("PeÃ±a", "Peña"), ("Deniz YÄ±lmaz", "Deniz Yılmaz"), ("Ã\x89lodie", "Élodie"),
    ("Peña", "Peña"), ("plain", "plain"), (b"Pe\xf1a", "Peña"), (b"Pe\xc3\xb1a", "Peña"),
])
def test_fix_text_repairs_mojibake_and_decodes_bytes(text, repaired):
    assert imagemeta.fix_text(text) == repaired


def test_camera_junk_description_is_not_a_caption():
    im = opened(jpeg(exif=exif_with(description="OLYMPUS DIGITAL CAMERA", make="OLYMPUS",
                                    model="E-M5").tobytes()))
    assert "caption" not in imagemeta.read_exif(im)
    assert imagemeta.camera(im) == "OLYMPUS E-M5"


def test_precedence_xmp_over_iptc_over_exif():
    exif = exif_with(description="EXIF caption", artist="EXIF artist", copyright="EXIF rights",
                     taken="2020:01:01 00:00:00")
    iptc = iptc_block({120: "IPTC caption", 80: "IPTC by-line", 110: "IPTC credit", 90: "IPTC city"})
    xmp = xmp_packet(alt("dc:description", "XMP caption"))
    found = imagemeta.read_metadata(opened(jpeg(exif=exif.tobytes(), iptc=iptc, xmp=xmp)), country_code)
    assert found == {"caption": "XMP caption", "creator": "IPTC by-line", "credit": "IPTC credit",
                     "city": "IPTC city", "copyright": "EXIF rights", "date_taken": dt.date(2020, 1, 1)}


def test_no_metadata_gives_empty_dict():
    assert imagemeta.read_metadata(opened(jpeg())) == {}


# --- renditions ----------------------------------------------------------------------------

# Inverse of what each EXIF orientation asks the viewer to do: stored = inverse(displayed).
STORE = {1: None, 2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
         4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_90,
         7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_270}


def quadrants(size=(1600, 800)) -> Image.Image:
    """Displayed picture: red top-left, green top-right, blue bottom-left, white bottom-right."""
    w, h = size
    im = Image.new("RGB", size, (255, 255, 255))
    im.paste((230, 20, 20), (0, 0, w // 2, h // 2))
    im.paste((20, 200, 20), (w // 2, 0, w, h // 2))
    im.paste((20, 20, 230), (0, h // 2, w // 2, h))
    return im


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_is_applied(tmp_path, orientation):
    shown = quadrants()
    stored = shown.transpose(STORE[orientation]) if STORE[orientation] is not None else shown
    data = jpeg(stored, exif=exif_with(orientation=orientation).tobytes(), quality=92)
    thumb = next(r for r in rendition_files(tmp_path, data) if r.size == "thumb")
    assert (thumb.width, thumb.height) == (400, 200)
    assert close(pixel(thumb, (20, 20)), (230, 20, 20))
    assert close(pixel(thumb, (380, 20)), (20, 200, 20))
    assert close(pixel(thumb, (20, 180)), (20, 20, 230))
    facts = imaging.probe_image(str(tmp_path / "src"), "src", 10**8)
    assert (facts.width, facts.height) == (1600, 800)


def test_sizes_largest_first_never_upscaled_and_progressive(tmp_path):
    made = rendition_files(tmp_path, jpeg(size=(3000, 2000)), {"thumb": 400, "preview": 1280, "large": 2560})
    assert [(r.size, r.width, r.height) for r in made] == [
        ("large", 2560, 1707), ("preview", 1280, 853), ("thumb", 400, 267)]
    small = rendition_files(tmp_path, jpeg(size=(300, 200)), name="small")
    assert {(r.width, r.height) for r in small} == {(300, 200)}
    with Image.open(io.BytesIO(made[1].data)) as im:
        assert im.format == "JPEG" and im.info.get("progressive") == 1 and im.mode == "RGB"


def test_renditions_carry_no_gps_exif_xmp_or_comment(tmp_path):
    exif = exif_with(gps=True, artist="Someone", make="Canon", model="EOS")
    xmp = xmp_packet("<exif:GPSLatitude>14,1.0N</exif:GPSLatitude>" + alt("dc:description", "x"))
    data = jpeg(size=(900, 600), exif=exif.tobytes(), xmp=xmp, comment=b"shot at 14.01N 86.58W")
    assert opened(data).getexif().get_ifd(0x8825)  # the source does have GPS
    for r in rendition_files(tmp_path, data):
        with Image.open(io.BytesIO(r.data)) as im:
            assert not im.getexif().get_ifd(0x8825)
            assert len(im.getexif()) == 0
            assert "xmp" not in im.info and "comment" not in im.info and "exif" not in im.info
            assert b"GPS" not in r.data and b"14.01N" not in r.data and b"xmpmeta" not in r.data


def test_cmyk_including_adobe_inverted_becomes_rgb(tmp_path):
    cmyk = Image.new("CMYK", (800, 600), (0, 255, 255, 0))  # red; Pillow writes Adobe inverted CMYK
    data = jpeg(cmyk)
    assert opened(data).mode == "CMYK" and opened(data).info.get("adobe") is not None
    thumb = rendition_files(tmp_path, data)[-1]
    assert close(pixel(thumb, (200, 150)), (255, 0, 0), 30)


def test_icc_profile_is_converted_to_srgb(tmp_path):
    profile = adobe_rgb_profile()
    im = Image.new("RGB", (800, 600), (128, 200, 128))
    tagged = rendition_files(tmp_path, jpeg(im, icc_profile=profile, quality=95), name="tagged")[-1]
    plain = rendition_files(tmp_path, jpeg(im, quality=95), name="plain")[-1]
    assert close(pixel(plain, (10, 10)), (128, 200, 128), 4)
    r, g, b = pixel(tagged, (10, 10))
    # Adobe RGB's green is wider than sRGB's: the same numbers mean a more saturated colour.
    assert r < 100 and g >= 195 and close((r, g, b), (77, 201, 125), 8)
    with Image.open(io.BytesIO(tagged.data)) as out:
        assert ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(out.info["icc_profile"]))) \
            .strip().startswith("sRGB")


def test_alpha_is_flattened_on_neutral_grey(tmp_path):
    im = Image.new("RGBA", (800, 400), (0, 0, 0, 0))
    im.paste((200, 0, 0, 255), (0, 0, 400, 400))
    im.paste((255, 0, 0, 128), (400, 0, 800, 400))
    buf = io.BytesIO()
    im.save(buf, "PNG")
    thumb = rendition_files(tmp_path, buf.getvalue())[-1]
    assert close(pixel(thumb, (100, 100)), (200, 0, 0))
    assert close(pixel(thumb, (300, 100)), (187, 59, 59))


def test_white_artwork_on_transparency_stays_visible(tmp_path):
    im = Image.new("RGBA", (800, 500), (255, 255, 255, 0))  # white, but see-through
    im.paste((255, 255, 255, 255), (200, 100, 600, 400))     # the white logo itself
    buf = io.BytesIO()
    im.save(buf, "PNG")
    thumb = rendition_files(tmp_path, buf.getvalue())[-1]
    assert close(pixel(thumb, (200, 125)), (255, 255, 255))
    assert close(pixel(thumb, (20, 20)), (118, 118, 118))


def test_opaque_alpha_channel_changes_nothing(tmp_path):
    im = Image.new("RGBA", (600, 300), (250, 250, 250, 255))
    buf = io.BytesIO()
    im.save(buf, "PNG")
    thumb = rendition_files(tmp_path, buf.getvalue())[-1]
    assert close(pixel(thumb, (50, 50)), (250, 250, 250))



def test_palette_with_transparency(tmp_path):
    im = Image.new("P", (600, 300), 0)
    im.putpalette([0, 0, 0, 10, 120, 200] + [0] * 762)
    im.paste(1, (0, 0, 300, 300))
    buf = io.BytesIO()
    im.save(buf, "PNG", transparency=0)
    thumb = rendition_files(tmp_path, buf.getvalue())[-1]
    assert close(pixel(thumb, (50, 50)), (10, 120, 200))
    assert close(pixel(thumb, (350, 50)), (118, 118, 118))


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_animated_images_take_the_first_frame(tmp_path, fmt):
    frames = [Image.new("RGB", (500, 300), c) for c in ((220, 20, 20), (20, 220, 20), (20, 20, 220))]
    buf = io.BytesIO()
    frames[0].save(buf, fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert getattr(opened(buf.getvalue()), "n_frames", 1) == 3
    thumb = rendition_files(tmp_path, buf.getvalue())[-1]
    assert (thumb.width, thumb.height) == (400, 240)
    assert close(pixel(thumb, (200, 120)), (220, 20, 20), 30)


def test_16_bit_greyscale_png_is_scaled_not_clipped(tmp_path):
    row = [32768] * 300 + [65535] * 300
    im = Image.frombytes("I;16", (600, 300), struct.pack("<600H", *row) * 300)
    buf = io.BytesIO()
    im.save(buf, "PNG")
    assert opened(buf.getvalue()).mode.startswith("I")
    thumb = rendition_files(tmp_path, buf.getvalue())[-1]
    assert close(pixel(thumb, (50, 50)), (128, 128, 128), 6)
    assert close(pixel(thumb, (350, 50)), (255, 255, 255), 4)


def test_heic_from_phones(tmp_path):
    pillow_heif = pytest.importorskip("pillow_heif")
    if not pillow_heif.libheif_info().get("HEIF"):
        pytest.skip("this pillow-heif has no HEIC encoder")
    imaging.register_heif()
    buf = io.BytesIO()
    quadrants((800, 400)).save(buf, "HEIF", quality=90)
    path = tmp_path / "phone.heic"
    path.write_bytes(buf.getvalue())
    facts = imaging.probe_image(str(path), "phone.heic", 10**8)
    assert (facts.format, facts.mime_type, facts.width, facts.height) == ("HEIF", "image/heic", 800, 400)
    thumb = imaging.make_renditions(str(path), SIZES, 85)[-1]
    assert (thumb.width, thumb.height) == (400, 200) and close(pixel(thumb, (20, 20)), (230, 20, 20), 30)
