"""The strings issue 17 left in English: messages built from values, notices, mails, feeds, IIIF labels."""
from __future__ import annotations

import logging

import feedparser
import pytest
from bs4 import BeautifulSoup

from gallery.extensions import db
from gallery.models import Lightbox, User


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def flashes(response) -> str:
    found = soup(response).select_one(".flashes")
    return " ".join(found.get_text().split()) if found else ""


def test_filter_notices_speak_the_page_language(client, make_gallery):
    make_gallery(title="Water")
    french = [p.get_text() for p in soup(client.get("/fr/galleries?category=nope&type=pdf")).select(".filter-notice")]
    assert french == ["Il n’y a pas de catégorie « nope ». Ce filtre n’a pas été appliqué.",
                      "Le type doit être image, video ou audio. Ce filtre n’a pas été appliqué."]
    english = [p.get_text() for p in soup(client.get("/galleries?category=nope")).select(".filter-notice")]
    assert english == ["There is no category “nope”. The filter was ignored."]


def test_the_api_keeps_messages_built_from_values_in_english(client):
    for path in ("/api/galleries?page=0", "/fr/api/galleries?page=0"):
        error = client.get(path, headers={"Accept-Language": "fr"}).get_json()["error"]
        assert error["message"].startswith("page must be a whole number from 1 to ")
    error = client.get("/fr/api/galleries?category=nope", headers={"Accept-Language": "es"}).get_json()["error"]
    assert error == {"status": 400, "field": "category", "message": "There is no category “nope”."}


def test_a_message_built_from_values_reaches_a_spanish_page_in_spanish(client, make_user, login_as,
                                                                       monkeypatch):
    from gallery.services import saved_searches

    user = login_as(make_user("member"))
    monkeypatch.setattr(saved_searches, "MAX_PER_USER", 1)
    saved_searches.save(user, "Agua", {"q": "agua"})
    response = client.post("/es/account/searches", data={"name": "Otra", "q": "pozos"}, follow_redirects=True)
    assert "Puede guardar hasta 1 búsquedas: elimine una antes." in flashes(response)


def test_saved_searches_in_french(client, make_user, login_as, make_gallery, make_asset):
    make_asset(make_gallery(title="Eau"), caption="Forage à Lodwar")
    login_as(make_user("member"))
    page = soup(client.get("/fr/search?q=lodwar"))
    assert page.select_one(".feed-link").get_text() == "Flux de cette recherche"
    assert page.select_one(".save-search summary").get_text() == "Enregistrer cette recherche"
    response = client.post("/fr/account/searches", data={"name": "Forages", "q": "lodwar", "email": "1"},
                           follow_redirects=True)
    assert ("« Forages » est enregistrée : les nouveaux résultats vous seront envoyés par e-mail une fois "
            "par jour.") in flashes(response)
    listing = soup(response)
    assert listing.select_one("h1").get_text() == "Recherches enregistrées"
    assert listing.select_one(".saved-arg").get_text() == "Mots: lodwar"
    assert listing.select_one(".saved-search button.link").get_text().startswith("Désactiver")


def test_the_default_lightbox_name_is_shown_in_the_language_and_stored_in_english(client, make_user, login_as):
    from gallery.services import lightboxes

    user = login_as(make_user("member"))
    first = lightboxes.default_for(user)
    mine = lightboxes.create(user, "My lightbox of wells", "")
    names = [a.get_text() for a in soup(client.get("/fr/lightboxes")).select(".lightbox-name")]
    assert "Ma table lumineuse" in names and "My lightbox of wells" in names  # a name the user wrote stays
    assert soup(client.get(f"/es/lightboxes/{first.id}")).select_one("h1").get_text().startswith("Mi mesa de luz")
    assert soup(client.get(f"/lightboxes/{first.id}")).select_one("h1").get_text().startswith("My lightbox")
    db.session.expire_all()
    assert db.session.get(Lightbox, first.id).name == "My lightbox"
    assert db.session.get(Lightbox, mine.id).name == "My lightbox of wells"


def test_the_press_kit_form_for_recipients_in_spanish(client, make_user, make_gallery, make_asset):
    from gallery.services import lightbox_links, lightboxes

    editor = make_user("editor")
    asset = make_asset(make_gallery(title="Agua"), caption="Pozo")
    box = lightboxes.create(editor, "Agua", "")
    lightboxes.add(editor, box, [asset.id])
    _link, token = lightbox_links.create(editor, box, "presskit", sizes=["preview"])
    recipient = client.application.test_client()
    page = soup(recipient.get(f"/es/press/{token}"))
    form = page.select_one(".press-terms form")
    assert form.select_one('label[for="recipient-name"]').get_text() == "Su nombre"
    assert [o.get_text() for o in form.select("#recipient-use option")][:3] == ["Elegir…", "Prensa", "Web"]
    assert form.select_one("button").get_text() == "Aceptar y mostrar las descargas"
    data = {i["name"]: i.get("value", "") for i in form.select("input[name]") if i.get("type") != "checkbox"}
    data.update(name="Ana", use="Press", accept="yes")
    assert recipient.post(form["action"], data=data).status_code == 302
    accepted = soup(recipient.get(f"/es/press/{token}"))
    assert accepted.select_one(".press-zip button").get_text() == "Descargar el zip"
    bad_part = recipient.get(f"/es/press/{token}/zip?size=preview&part=x", follow_redirects=True)
    assert "Parte: se espera un número entero." in flashes(bad_part)


def test_the_activation_mail_speaks_the_recipients_language(client, admin, login_as, caplog):
    """Not the admin's page's: the mail is the new member's (English when they chose none)."""
    from gallery.services import accounts

    user = accounts.create_user(email="nuevo@example.org", password="a good long password", name="Nuevo")
    user.active, user.language = False, "fr"
    plain = accounts.create_user(email="plain@example.org", password="a good long password", name="Plain")
    plain.active = False
    db.session.commit()
    login_as(admin)
    with caplog.at_level(logging.WARNING, logger="gallery.mail"):
        assert client.post(f"/admin/users/{user.id}/active", data={"active": "1"}).status_code == 303
    assert "Votre compte est" in caplog.text and "Bonjour Nuevo," in caplog.text
    assert "vous pouvez vous connecter sur http://localhost/fr/login" in caplog.text
    assert db.session.get(User, user.id).active
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="gallery.mail"):
        assert client.post(f"/fr/admin/users/{plain.id}/active", data={"active": "1"}).status_code == 303
    assert "Hello Plain," in caplog.text and "Bonjour" not in caplog.text


def test_feeds_take_the_language_of_the_request_else_english(client, make_gallery):
    make_gallery(title="Eau", category="Health", country="COD")
    english = client.get("/feed")
    assert feedparser.parse(english.data).feed.title == "Media Gallery: latest galleries"
    assert "Accept-Language" in english.headers["Vary"]
    french = feedparser.parse(client.get("/feed", headers={"Accept-Language": "fr"}).data)
    assert french.feed.title == "Media Gallery: dernières galeries"
    assert [t.label for t in french.entries[0].tags] == ["Santé", "République démocratique du Congo"]
    spanish = feedparser.parse(client.get("/es/categories/health/cod/feed").data)
    assert spanish.feed.title == "Media Gallery: Salud en República Democrática del Congo"
    search = client.get("/fr/search/feed?q=eau")
    assert b'xml:lang="fr"' in search.data
    assert "Accept-Language" not in search.headers.get("Vary", "")  # the prefix alone decides
    assert feedparser.parse(search.data).feed.title == "Media Gallery: recherche « eau »"


def test_iiif_labels_that_are_interface_strings_carry_every_language(client, make_gallery, make_asset):
    gallery = make_gallery(title="Agua", country="COD")
    make_asset(gallery, caption="Pozo")
    manifest = client.get(f"/iiif/3/galleries/{gallery.id}/manifest.json").get_json()
    facts = {m["label"]["en"][0]: m for m in manifest["metadata"]}
    assert facts["Credit"]["label"] == {"en": ["Credit"], "fr": ["Crédit"], "es": ["Crédito"]}
    assert facts["Country"]["value"] == {"en": ["Democratic Republic of the Congo"],
                                         "fr": ["République démocratique du Congo"],
                                         "es": ["República Democrática del Congo"]}
    assert manifest["label"] == {"en": ["Agua"]}  # content stays in the catalogue's language
    canvas = manifest["items"][0]
    caption = next(m for m in canvas["metadata"] if m["label"]["en"] == ["Caption"])
    assert caption["label"]["fr"] == ["Légende"] and caption["value"] == {"en": ["Pozo"]}


@pytest.mark.parametrize("language, word", [("fr", "Intégrer"), ("es", "Insertar")])
def test_embeds_speak_the_language(client, make_gallery, make_asset, language, word):
    gallery = make_gallery(title="Agua")
    asset = make_asset(gallery, caption="Pozo")
    page = soup(client.get(f"/{language}/assets/{asset.id}"))
    snippet = page.select_one(".embed-snippet summary")
    assert snippet is None or snippet.get_text() == word
    embed = soup(client.get(f"/{language}/embed/galleries/{gallery.id}"))
    assert embed.html["lang"] == language
    assert embed.select_one(".embed-credit").get_text().startswith("1 ")
