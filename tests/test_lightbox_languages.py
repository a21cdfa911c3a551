"""Lightbox, shared-link and press-kit pages and their zips in the page's language (issue 17): titles and
captions translated where a translation exists, `lang` on what stays in another language."""
from __future__ import annotations

import csv
import io
import zipfile

import pytest
from bs4 import BeautifulSoup

from gallery.services import assets, lightbox_links, lightboxes
from tests.test_lightboxes import submit

RECIPIENT = {"accept": "yes", "name": "Jo Reporter", "organisation": "Daily Example", "use": "Press"}


def soup(response) -> BeautifulSoup:
    assert response.status_code == 200, response.data[:300]
    return BeautifulSoup(response.data, "html.parser")


def shown(element) -> tuple[str, str | None]:
    """An element's text and its lang attribute (None: the page's language)."""
    return element.get_text(strip=True), element.get("lang")


@pytest.fixture
def box(make_gallery, make_asset, make_user, login_as):
    """An editor's lightbox: a borehole translated into French, then a pump in English only."""
    editor = login_as(make_user("editor"))
    gallery = make_gallery(title="Water in Turkana", translations={"fr": {"title": "L’eau au Turkana"}})
    borehole = make_asset(gallery, title={"en": "Borehole", "fr": "Forage"},
                          caption={"en": "Women collect water in Lodwar.",
                                   "fr": "Des femmes puisent de l’eau à Lodwar."})
    pump = make_asset(gallery, title="Pump", caption="The hand pump.")
    for asset in (borehole, pump):
        assets.update_asset(asset.id, {"consent": "obtained"}, editor)
    found = lightboxes.create(editor, "Turkana", "")
    lightboxes.add(editor, found, [borehole.id, pump.id])
    return editor, found


def test_lightbox_page_shows_titles_in_the_pages_language(client, box):
    _editor, found = box
    page = soup(client.get(f"/fr/lightboxes/{found.id}"))
    titles = [shown(a) for a in page.select(".lightbox-item-title a")]
    assert titles == [("Forage", None), ("Pump", "en")]
    galleries = [shown(p.select_one("span")) for p in page.select(".lightbox-item-body p.small.muted")]
    assert galleries == [("L’eau au Turkana", None)] * 2
    alts = [(img["alt"], img.get("lang")) for img in page.select(".lightbox-thumb img")]
    assert alts == [("Des femmes puisent de l’eau à Lodwar.", None), ("The hand pump.", "en")]
    # In English, the originals and no lang attributes.
    english = soup(client.get(f"/lightboxes/{found.id}"))
    assert [shown(a) for a in english.select(".lightbox-item-title a")] == [("Borehole", None), ("Pump", None)]


def test_shared_link_page_speaks_the_visitors_language(app, box):
    editor, found = box
    _link, token = lightbox_links.create(editor, found, "share")
    visitor = app.test_client()
    page = soup(visitor.get(f"/es/shared/{token}"))
    # No Spanish translation: the originals, marked with their language.
    alts = [(img["alt"], img.get("lang")) for img in page.select(".shared-items img")]
    assert alts == [("Women collect water in Lodwar.", "en"), ("The hand pump.", "en")]
    page = soup(visitor.get(f"/fr/shared/{token}"))
    alts = [(img["alt"], img.get("lang")) for img in page.select(".shared-items img")]
    assert alts == [("Des femmes puisent de l’eau à Lodwar.", None), ("The hand pump.", "en")]


def test_press_kit_page_and_zip_captions_follow_the_pages_language(app, client, box):
    editor, found = box
    link, token = lightbox_links.create(editor, found, "presskit", sizes=["preview"])
    recipient = app.test_client()
    url = f"/fr/press/{token}"
    page = soup(recipient.get(url))
    items = page.select(".press-items > li[data-asset-id]")
    assert [shown(li.select_one(".lightbox-item-title")) for li in items] == [("Forage", None), ("Pump", "en")]
    assert [shown(li.select_one(".caption")) for li in items] == [
        ("Des femmes puisent de l’eau à Lodwar.", None), ("The hand pump.", "en")]
    assert submit(recipient, page.select_one(".press-terms form"), **RECIPIENT).status_code == 302
    page = soup(recipient.get(url))
    hidden = [shown(a.select_one(".visually-hidden span")) for a in page.select(".press-files a")]
    assert hidden == [("Forage", None), ("Pump", "en")]

    def csv_rows(path: str) -> list[list[str]]:
        with recipient.get(path) as response:
            assert response.status_code == 200
            archive = zipfile.ZipFile(io.BytesIO(response.data))
        return list(csv.reader(io.StringIO(archive.read("captions.csv").decode("utf-8-sig"))))

    rows = csv_rows(f"{url}/zip?size=preview")
    assert [r[1:3] for r in rows[1:]] == [["Forage", "Des femmes puisent de l’eau à Lodwar."],
                                         ["Pump", "The hand pump."]]
    rows = csv_rows(f"/press/{token}/zip?size=preview")
    assert [r[1:3] for r in rows[1:]] == [["Borehole", "Women collect water in Lodwar."],
                                         ["Pump", "The hand pump."]]
    # Staff read who downloaded what, titles in their page's language too.
    staff = soup(client.get(f"/fr/manage/press-kits/{link.id}"))
    assert {shown(a) for a in staff.select("td a[href*='/manage/assets/']")} == {("Forage", None), ("Pump", "en")}


def test_lightbox_and_gallery_zips_captions_follow_the_pages_language(client, box):
    from gallery.services import terms

    editor, found = box
    terms.accept(editor)

    def csv_rows(path: str) -> list[list[str]]:
        with client.get(path) as response:
            assert response.status_code == 200, response.data[:300]
            archive = zipfile.ZipFile(io.BytesIO(response.data))
        return list(csv.reader(io.StringIO(archive.read("captions.csv").decode("utf-8-sig"))))

    # No Spanish translation: the originals.
    rows = csv_rows(f"/es/download/lightboxes/{found.id}.zip?size=preview")
    assert [r[1:3] for r in rows[1:]] == [["Borehole", "Women collect water in Lodwar."],
                                         ["Pump", "The hand pump."]]
    gallery_id = lightboxes.entries(editor, found)[0].asset.gallery_id
    rows = csv_rows(f"/fr/download/galleries/{gallery_id}.zip?size=preview")
    assert [r[1:3] for r in rows[1:]] == [["Forage", "Des femmes puisent de l’eau à Lodwar."],
                                         ["Pump", "The hand pump."]]
