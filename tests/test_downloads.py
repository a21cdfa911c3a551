"""Single downloads: the asset page panel, credits inside the file, GPS-free originals, the log."""
from __future__ import annotations

import io

import pytest
from bs4 import BeautifulSoup
from PIL import Image
from sqlalchemy import select

from gallery.extensions import db
from gallery.models import DownloadEvent
from gallery.services import ingest, terms
from tests.conftest import gps_image_bytes

FIELDS = {"caption": "Una asistente explica la encuesta posterior al retorno en Bilwi.",
          "creator": "Karla Ruiz Peña", "credit": "Agencia de Ejemplo",
          "copyright": "© Agencia de Ejemplo 2023", "title": "Retorno voluntario",
          "date_taken": "2023-05-02"}


def exif_text(value: str) -> str:
    return value.encode("latin-1").decode("utf-8")


def scan_data(jpeg: bytes) -> bytes:
    start = jpeg.index(b"\xff\xda")
    return jpeg[start:jpeg.index(b"\xff\xd9", start) + 2]


@pytest.fixture
def member(make_user, login_as):
    user = make_user("member", name="Ana")
    terms.accept(user)
    return login_as(user)


@pytest.fixture
def photo(make_gallery, make_asset):
    gallery = make_gallery(title="Retorno a Bilwi")
    return make_asset(gallery, size=(3000, 2000), filename="DSC_0042 secret name.jpg", **FIELDS)


@pytest.fixture
def gps_photo(make_gallery):
    gallery = make_gallery(title="Shelters in Danlí", credit="Example Relief Agency Honduras")
    data = gps_image_bytes("JPEG", size=(1600, 1200), quality=90)
    result = ingest.ingest(gallery, io.BytesIO(data), "IMG_2231.jpg",
                              {"caption": "Volunteers reinforce a shelter roof.",
                               "creator": "Lucía Fernández"})
    assert result.status == "accepted", result.reason
    return result.asset, data


def test_anonymous_sees_log_in_to_download(client, photo):
    page = BeautifulSoup(client.get(f"/assets/{photo.id}").data, "html.parser")
    link = page.select_one(".downloads .download-login a")
    assert link.get_text(strip=True) == "Log in to download"
    assert link["href"] == f"/login?next=/assets/{photo.id}"
    assert page.select(".download-size") == []


def test_member_sees_sizes_with_pixels_and_bytes(client, member, photo):
    page = BeautifulSoup(client.get(f"/assets/{photo.id}").data, "html.parser")
    sizes = {li["data-size"]: li for li in page.select(".downloads .download-size")}
    assert list(sizes) == ["preview", "large", "original"]
    assert [li.select_one("button").get_text() for li in sizes.values()] == ["Small", "Large", "Original"]
    from gallery.templating import filesize

    small = photo.rendition("preview")
    assert max(small.width, small.height) == 1280
    assert sizes["preview"].select_one(".download-pixels").get_text() == f"{small.width} × {small.height} px"
    assert sizes["preview"].select_one(".download-bytes").get_text() == filesize(small.bytes)
    # Large is made on the first download: its size is known, its bytes estimated until then.
    assert sizes["large"].select_one(".download-pixels").get_text() == "2560 × 1707 px"
    assert sizes["large"].select_one(".download-bytes").get_text().startswith("about ")
    assert sizes["original"].select_one(".download-pixels").get_text() == "3000 × 2000 px"
    assert sizes["original"].select_one(".download-bytes").get_text() == filesize(photo.bytes)
    with client.get(f"/download/assets/{photo.id}/large") as r:
        assert r.status_code == 200
    db.session.refresh(photo)  # tests share one session across requests
    page = BeautifulSoup(client.get(f"/assets/{photo.id}").data, "html.parser")
    large = page.select_one('.download-size[data-size="large"]')
    rend = photo.rendition("large")
    assert large.select_one(".download-pixels").get_text() == f"{rend.width} × {rend.height} px" == "2560 × 1707 px"
    assert large.select_one(".download-bytes").get_text() == filesize(rend.bytes)
    assert sizes["large"].select_one("button")["formaction"] == f"/download/assets/{photo.id}/large"
    uses = [o["value"] for o in page.select("#download-use option")]
    assert uses == ["", "Press", "Web", "Print", "TV", "Internal", "Other"]


def test_credit_line_with_copy_button(client, photo):
    page = BeautifulSoup(client.get(f"/assets/{photo.id}").data, "html.parser")
    text = page.select_one("#credit-line").get_text()
    assert text == "© Agencia de Ejemplo 2023 / Karla Ruiz Peña"
    assert page.select_one('.credit-line button[data-copy="credit-line"]') is not None


def test_credit_line_built_from_credit_year_and_creator(client, make_gallery, make_asset):
    gallery = make_gallery(title="Lodwar")
    asset = make_asset(gallery, credit="Example Relief Agency", creator="Amina Otieno",
                       date_taken="2023-03-14")
    page = BeautifulSoup(client.get(f"/assets/{asset.id}").data, "html.parser")
    assert page.select_one("#credit-line").get_text() == "© Example Relief Agency 2023 / Amina Otieno"


def test_credit_year_is_the_gallery_date_then_none_never_the_upload_year(client, make_gallery, make_asset):
    dated = make_gallery(title="Lodwar 2021", date="2021-05-02")
    undated = make_gallery(title="Undated")
    in_dated = make_asset(dated, credit="Example Relief Agency", creator="Amina Otieno")
    in_undated = make_asset(undated, credit="Example Relief Agency", creator="Amina Otieno")

    def line(asset):
        return BeautifulSoup(client.get(f"/assets/{asset.id}").data, "html.parser").select_one("#credit-line").get_text()

    assert line(in_dated) == "© Example Relief Agency 2021 / Amina Otieno"
    assert line(in_undated) == "© Example Relief Agency / Amina Otieno"


@pytest.mark.parametrize("size,edge", [("preview", 1280), ("large", 2560)])
def test_downloaded_rendition_carries_credits_and_no_gps(client, member, photo, size, edge):
    with client.get(f"/download/assets/{photo.id}/{size}?use=Press") as r:
        assert r.status_code == 200 and r.mimetype == "image/jpeg"
        name = "small" if size == "preview" else size
        assert r.headers["Content-Disposition"] == f'attachment; filename="retorno-a-bilwi-{photo.id}-{name}.jpg"'
        assert "DSC_0042" not in r.headers["Content-Disposition"]
        data = r.data
    with Image.open(io.BytesIO(data)) as im:
        assert max(im.size) == edge
        exif = im.getexif()
        assert exif_text(exif[0x010E]) == FIELDS["caption"]
        assert exif_text(exif[0x013B]) == "Karla Ruiz Peña"
        assert exif_text(exif[0x8298]) == "© Agencia de Ejemplo 2023"
        assert 0x8825 not in exif and not exif.get_ifd(0x8825)
        xmp = im.getxmp()["xmpmeta"]["RDF"]["Description"]
        assert xmp["creator"]["Seq"]["li"] == "Karla Ruiz Peña"
        assert xmp["description"]["Alt"]["li"]["text"] == FIELDS["caption"]
        assert xmp["rights"]["Alt"]["li"]["text"] == "© Agencia de Ejemplo 2023"
        assert xmp["Credit"] == "Agencia de Ejemplo"
    event = db.session.scalars(select(DownloadEvent)).one()
    assert (event.user_id, event.asset_id, event.gallery_id, event.size, event.via, event.intended_use) == (
        member.id, photo.id, photo.gallery_id, size, "file", "Press")


def test_original_download_strips_gps_and_keeps_pixels(client, member, gps_photo):
    asset, uploaded = gps_photo
    with client.get(f"/download/assets/{asset.id}/original") as r:
        assert r.status_code == 200
        assert r.headers["Content-Disposition"] == f'attachment; filename="shelters-in-danli-{asset.id}-original.jpg"'
        data = r.data
    assert scan_data(data) == scan_data(uploaded)
    with Image.open(io.BytesIO(uploaded)) as before, Image.open(io.BytesIO(data)) as after:
        assert before.getexif().get_ifd(0x8825)
        assert 0x8825 not in after.getexif() and not after.getexif().get_ifd(0x8825)
        assert b"GPS" not in after.info["xmp"]
        assert after.tobytes() == before.tobytes()


def test_gps_never_in_any_download_of_a_gps_photo(client, member, gps_photo):
    asset, _ = gps_photo
    for size in ("preview", "large", "original"):
        with client.get(f"/download/assets/{asset.id}/{size}") as r:
            assert r.status_code == 200
            with Image.open(io.BytesIO(r.data)) as im:
                assert 0x8825 not in im.getexif(), size
            assert b"GPSLatitude" not in r.data and b"Zarzal" not in r.data


def test_intended_use_must_be_one_of_the_list(client, member, photo):
    with client.get(f"/download/assets/{photo.id}/large?use=Spam") as r:
        assert r.status_code == 400
        assert "Intended use must be one of" in BeautifulSoup(r.data, "html.parser").get_text()
    assert db.session.scalars(select(DownloadEvent)).all() == []


def test_unknown_size_is_404(client, member, photo):
    for size in ("thumb", "huge", "stream"):
        with client.get(f"/download/assets/{photo.id}/{size}") as r:
            assert r.status_code == 404


def test_api_download_logs_via_api(client, member, photo):
    with client.get(f"/api/assets/{photo.id}/download?size=large&use=web") as r:
        assert r.status_code == 200 and r.data[:2] == b"\xff\xd8"
    event = db.session.scalars(select(DownloadEvent)).one()
    assert (event.via, event.size, event.intended_use) == ("api", "large", "Web")


def test_api_errors_are_json(client, photo, make_user, login_as):
    with client.get(f"/api/assets/{photo.id}/download?size=large") as r:
        assert r.status_code == 401 and r.get_json()["error"]["message"].startswith("Log in to download")
    login_as(make_user("member"))  # has not accepted the terms
    with client.get(f"/api/assets/{photo.id}/download?size=large") as r:
        assert r.status_code == 403 and "/terms/accept" in r.get_json()["error"]["message"]
    with client.get("/api/assets/999999/download") as r:
        assert r.status_code == 404 and r.get_json()["error"]["status"] == 404


def test_small_original_offers_no_separate_large(client, member, make_gallery, make_asset):
    asset = make_asset(make_gallery(), size=(800, 600))
    page = BeautifulSoup(client.get(f"/assets/{asset.id}").data, "html.parser")
    assert [li["data-size"] for li in page.select(".download-size")] == ["preview", "original"]


def test_download_history_on_own_page(client, member, photo):
    with client.get(f"/download/assets/{photo.id}/preview?use=Print"):
        pass
    page = BeautifulSoup(client.get("/account/downloads").data, "html.parser")
    rows = page.select("table.history tbody tr")
    assert len(rows) == 1
    cells = [td.get_text(strip=True) for td in rows[0].select("td")]
    assert cells[1:] == ["Retorno voluntario", "Small", "file", "Print"]


def test_copy_caption_gives_a_newsroom_caption_line(client, make_gallery, make_asset):
    gallery = make_gallery(title="Lodwar", country="KEN")
    asset = make_asset(gallery, caption="Women collect water at a borehole", credit="Example Relief Agency",
                       creator="Amina Otieno", city="Lodwar", date_taken="2023-03-14")
    page = BeautifulSoup(client.get(f"/assets/{asset.id}").data, "html.parser")
    line = page.select_one("#caption-line").get_text()
    assert line == ("Women collect water at a borehole. Lodwar, Kenya, 14 March 2023. "
                    "Photo: © Example Relief Agency 2023 / Amina Otieno")
    assert page.select_one('button[data-copy="caption-line"]').get_text() == "Copy caption"
