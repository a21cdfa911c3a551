"""The manage page's rows and country lists: each row's labels and badges, every language's order."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import delete, select

from gallery.extensions import db
from gallery.i18n import names
from gallery.models import Country


@pytest.fixture
def editor(make_user, login_as):
    return login_as(make_user("editor"))


def page(response) -> BeautifulSoup:
    assert response.status_code == 200
    return BeautifulSoup(response.data, "html.parser")


def rows(soup) -> dict[int, BeautifulSoup]:
    return {int(li["data-asset-id"]): li for li in soup.select(".manage-assets > li")}


@pytest.mark.parametrize("prefix, select, up, down, up_text, down_text", [
    ("", "Select {}", "Move {} up", "Move {} down", "Up", "Down"),
    ("/fr", "Sélectionner {}", "Monter {}", "Descendre {}", "Monter", "Descendre"),
])
def test_each_row_is_labelled_with_its_own_title_escaped(client, editor, make_gallery, make_asset,
                                                          prefix, select, up, down, up_text, down_text):
    gallery = make_gallery(title="Labels")
    hostile = make_asset(gallery, title='<b>Fish & "chips"</b> 100%(title)s')
    plain = make_asset(gallery, caption="Boats at dawn")
    response = client.get(f"{prefix}/manage/galleries/{gallery.id}")
    assert b"<b>Fish" not in response.data  # the title is text, never markup
    listed = rows(page(response))
    for asset, title in ((hostile, '<b>Fish & "chips"</b> 100%(title)s'), (plain, "Boats at dawn")):
        row = listed[asset.id]
        assert row.select_one('input[name="asset_ids"]')["aria-label"] == select.format(title)
        buttons = row.select(".move-buttons button")
        assert [b["aria-label"] for b in buttons] == [up.format(title), down.format(title)]
        assert [b.get_text() for b in buttons] == [up_text, down_text]


def test_each_row_shows_its_own_status_and_consent_badges(client, editor, make_gallery, make_asset):
    gallery = make_gallery(title="Badges")
    made = {consent: make_asset(gallery, caption=f"Consent {consent}")
            for consent in ("withheld", "unknown", "obtained")}
    for consent, asset in made.items():
        asset.consent = consent
    made["obtained"].status, made["obtained"].sensitive = "draft", True
    db.session.commit()
    listed = rows(page(client.get(f"/manage/galleries/{gallery.id}")))
    badges = {consent: [(b.get_text(), b.get("title")) for b in listed[a.id].select(".badges > span")]
              for consent, a in made.items()}
    assert ("Consent withheld", "Never shown to the public") in badges["withheld"]
    assert ("Consent unknown", "Check consent before publishing") in badges["unknown"]
    assert not any(text.startswith("Consent") for text, _ in badges["obtained"])
    assert ("draft", None) in badges["obtained"] and ("sensitive", None) in badges["obtained"]
    assert not any(text in ("draft", "sensitive") for text, _ in badges["unknown"] + badges["withheld"])
    french = rows(page(client.get(f"/fr/manage/galleries/{gallery.id}")))
    assert "Consentement refusé" in french[made["withheld"].id].select_one(".badges").get_text()
    assert "Consentement inconnu" in french[made["unknown"].id].select_one(".badges").get_text()


def options(soup, selector: str) -> list[tuple[str, str]]:
    return [(o["value"], o.get_text()) for o in soup.select(f"{selector} option") if o["value"]]


@pytest.mark.parametrize("language", ["en", "fr", "es"])
def test_country_lists_are_every_country_in_the_language_order(client, editor, make_gallery,
                                                               make_asset, language):
    gallery = make_gallery(title="Countries", country="EGY")
    make_asset(gallery)
    prefix = "" if language == "en" else f"/{language}"
    # The reference: each row named, then sorted by the language's alphabet, one by one.
    table = db.session.execute(select(Country.alpha3, Country.name)).all()
    expected = [(r.alpha3, names.country_name(r, language)) for r in
                sorted(table, key=lambda r: names.sort_key(names.country_name(r, language), language))]
    assert len(expected) >= 249
    bulk = options(page(client.get(f"{prefix}/manage/galleries/{gallery.id}")), "#bulk-country")
    assert bulk == expected
    edit = page(client.get(f"{prefix}/manage/galleries/{gallery.id}/edit"))
    assert options(edit, "#f-country") == expected
    assert edit.select_one("#f-country option[selected]")["value"] == "EGY"
    dashboard = page(client.get(f"{prefix}/manage/?country=EGY"))
    assert options(dashboard, "#d-country") == expected
    assert dashboard.select_one("#d-country option[selected]")["value"] == "EGY"
    if language == "es":  # Ñ and accents: Egipto, El Salvador, Emiratos Árabes Unidos
        codes = [code for code, _ in bulk]
        assert codes.index("EGY") < codes.index("SLV") < codes.index("ARE")


def test_the_country_lists_follow_the_table(client, editor, make_gallery, make_asset):
    gallery = make_gallery(title="Table", country="EGY")
    make_asset(gallery)
    path = f"/fr/manage/galleries/{gallery.id}"
    assert ("ATA", "Antarctique") in options(page(client.get(path)), "#bulk-country")
    db.session.execute(delete(Country).where(Country.alpha3 == "ATA"))
    db.session.commit()
    assert "ATA" not in [code for code, _ in options(page(client.get(path)), "#bulk-country")]


def test_every_caption_grid_item_has_its_labelled_fields(client, editor, make_gallery, make_asset):
    gallery = make_gallery(title="Grid")
    ids = [make_asset(gallery, caption=f"Caption {n}").id for n in range(3)]
    soup = page(client.get(f"/fr/manage/galleries/{gallery.id}/captions"))
    for asset_id in ids:
        item = soup.select_one(f'.caption-grid > li[data-asset-id="{asset_id}"]')
        labels = {label["for"]: label.get_text() for label in item.select("label")}
        assert labels == {f"f-{asset_id}-title": "Titre", f"f-{asset_id}-caption": "Légende",
                          f"f-{asset_id}-credit": "Crédit",
                          f"f-{asset_id}-keywords": "Mots-clés (séparés par des virgules)",
                          f"f-{asset_id}-alt_text": "Texte alternatif"}
        assert all(item.select_one(f"#{name}") for name in labels)
