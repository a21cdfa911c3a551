"""The interface in English, French and Spanish: language choice, links, formats, names, site texts."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from bs4 import BeautifulSoup

from gallery.i18n import formatting, names


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def text_of(page: BeautifulSoup, selector: str) -> str:
    return " ".join(page.select_one(selector).get_text().split())


# --- Which language a request speaks ---------------------------------------------------------

@pytest.mark.parametrize("path, lang, search, galleries", [
    ("/", "en", "Search", "Galleries"),
    ("/fr/", "fr", "Rechercher", "Galeries"),
    ("/es/", "es", "Buscar", "Galerías"),
    ("/en/", "en", "Search", "Galleries"),
])
def test_the_url_prefix_sets_the_language(client, path, lang, search, galleries):
    page = soup(client.get(path))
    assert page.html["lang"] == lang
    assert page.select_one(".header-search button").get_text() == search
    assert page.select_one(".site-nav a").get_text() == galleries


def test_prefixed_pages_link_within_their_language(client, make_gallery):
    gallery = make_gallery(title="Water in Turkana")
    page = soup(client.get(f"/fr/galleries/{gallery.id}-{gallery.slug}"))
    assert page.html["lang"] == "fr"
    assert page.select_one(".site-nav a")["href"] == "/fr/galleries"
    assert page.select_one("form.header-search")["action"] == "/fr/search"
    # Files are the same in every language: one URL, one cached copy.
    assert page.select_one('link[rel="stylesheet"]')["href"].startswith("/static/")


def test_unprefixed_pages_follow_the_cookie_then_accept_language(client):
    assert soup(client.get("/", headers={"Accept-Language": "es-ES,es;q=0.9"})).html["lang"] == "es"
    assert soup(client.get("/", headers={"Accept-Language": "de-DE,fr;q=0.5"})).html["lang"] == "fr"
    assert soup(client.get("/", headers={"Accept-Language": "de-DE"})).html["lang"] == "en"
    response = client.get("/")
    assert soup(response).html["lang"] == "en"  # no cookie, no header: English
    assert {"Accept-Language", "Cookie"} <= set(response.vary)
    client.set_cookie("lang", "fr")
    page = soup(client.get("/", headers={"Accept-Language": "es"}))
    assert page.html["lang"] == "fr"  # the switcher's cookie beats the browser's header
    assert soup(client.get("/es/", headers={"Accept-Language": "fr"})).html["lang"] == "es"  # the URL beats both
    client.set_cookie("lang", "xx")  # a forged cookie is ignored
    assert soup(client.get("/", headers={"Accept-Language": "es"})).html["lang"] == "es"


def test_the_switcher_sets_the_cookie_and_goes_to_the_same_page_in_the_language(client):
    page = soup(client.get("/countries?x=1"))
    links = {a["hreflang"]: a for a in page.select(".language-switcher a")}
    assert [a.get_text() for a in links.values()] == ["English", "Français", "Español"]
    assert links["en"].get("aria-current") == "true" and links["fr"]["lang"] == "fr"
    response = client.get(links["fr"]["href"])
    assert response.status_code == 302 and response.headers["Location"] == "/fr/countries?x=1"
    assert "lang=fr" in response.headers["Set-Cookie"]
    assert soup(client.get("/countries")).html["lang"] == "fr"
    back = client.get("/language/en?next=/countries")
    assert back.headers["Location"] == "/countries"
    assert soup(client.get("/countries")).html["lang"] == "en"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil", "javascript:alert(1)"])
def test_the_switcher_never_leaves_the_site(client, target):
    response = client.get("/language/es", query_string={"next": target})
    assert response.headers["Location"] == "/es/"


def test_an_unknown_language_is_a_clear_404(client):
    response = client.get("/language/de?next=/")
    assert response.status_code == 404 and "Set-Cookie" not in response.headers
    assert client.get("/de/").status_code == 404


def test_every_page_has_canonical_and_hreflang_alternates(client):
    page = soup(client.get("/fr/search?q=water"))
    assert page.select_one('link[rel="canonical"]')["href"] == "/fr/search?q=water"
    alternates = {link["hreflang"]: link["href"] for link in page.select('link[rel="alternate"][hreflang]')}
    assert alternates == {"en": "/search?q=water", "fr": "/fr/search?q=water",
                          "es": "/es/search?q=water", "x-default": "/search?q=water"}
    english = soup(client.get("/search?q=water"))
    assert english.select_one('link[rel="canonical"]')["href"] == "/search?q=water"


def test_the_json_api_stays_english_with_the_same_fields(client):
    for path in ("/api/assets/999999", "/fr/api/assets/999999"):
        response = client.get(path, headers={"Accept-Language": "fr"})
        assert response.status_code == 404
        error = response.get_json()["error"]
        assert set(error) == {"status", "message"} and error["message"] == "No such asset."


def test_error_pages_speak_the_language(client):
    page = soup(client.get("/es/no-such-page"))
    assert page.html["lang"] == "es"
    assert "Página no encontrada" in page.get_text()
    assert "Aquí no hay nada" in page.get_text()


# --- Pages in French and Spanish ---------------------------------------------------------------

def test_a_french_gallery_and_asset_page(client, make_gallery, make_asset):
    gallery = make_gallery(title="Eau potable à Turkana", country="COD", date=dt.date(2023, 9, 5))
    asset = make_asset(gallery, caption="Une femme remplit un bidon.")
    page = soup(client.get(f"/fr/galleries/{gallery.id}-{gallery.slug}"))
    assert page.title.get_text().startswith("Eau potable à Turkana")
    assert text_of(page, ".gallery-count") == "1 élément"
    assert page.select_one(".gallery-country a").get_text() == "République démocratique du Congo"
    assert page.select_one(".gallery-category a").get_text() == "Santé"
    asset_page = soup(client.get(f"/fr/assets/{asset.id}"))
    rows = {th.get_text(): td for th, td in zip(asset_page.select(".meta-table th, dl dt"),
                                                 asset_page.select(".meta-table td, dl dd"))}
    assert "Taille du fichier" in rows and rows["Taille du fichier"].get_text().endswith("\u202fko")
    assert "Référence" in rows and rows["Référence"].get_text() == f"Élément {asset.id}"


def test_a_spanish_search_page(client, make_gallery, make_asset):
    gallery = make_gallery(title="Agua en Turkana")
    make_asset(gallery, caption="Water point in Lodwar")
    page = soup(client.get("/es/search?q=lodwar"))
    assert page.html["lang"] == "es"
    assert text_of(page, ".result-count") == "1 resultado"
    assert page.select_one("h1").get_text() == "Resultados de «lodwar»"
    assert page.select_one(".facets h2").get_text() == "Acotar los resultados"
    assert "Categoría" in [h.get_text() for h in page.select(".facet h3")]
    assert "Salud" in page.select_one(".facets").get_text()


def test_the_script_strings_travel_as_json_in_the_page(client):
    body = soup(client.get("/fr/")).body
    strings = json.loads(body["data-strings"])
    assert strings["Copied"] == "Copié"
    assert strings["%(count)s added"] == "%(count)s ajoutés"
    english = json.loads(soup(client.get("/")).body["data-strings"])
    assert english["Copied"] == "Copied"


def test_forms_labels_and_flash_messages_are_translated(client, make_user):
    page = soup(client.get("/es/login"))
    assert page.select_one('label[for="email"]').get_text().strip() == "Correo electrónico"
    user = make_user(email="ana@example.org")
    client.post("/es/login", data={"email": user.email, "password": "correct horse battery staple"})
    response = client.post("/es/logout", follow_redirects=True)
    assert "Ha cerrado la sesión." in soup(response).select_one(".flashes").get_text()


# --- Formats -------------------------------------------------------------------------------

def test_dates_numbers_and_sizes_per_language():
    day = dt.date(2023, 9, 5)
    assert formatting.format_date(day, "en") == "5 September 2023"
    assert formatting.format_date(day, "fr") == "5 septembre 2023"
    assert formatting.format_date(day, "es") == "5 de septiembre de 2023"
    assert formatting.number(1234, "en") == "1234"  # English counts stay as they were
    assert formatting.number(1234, "fr") == "1\u202f234"  # CLDR: a narrow no-break space
    size = int(12.4 * 1024 * 1024)
    assert formatting.filesize(size, "en") == "12.4 MB"
    assert formatting.filesize(size, "fr") == "12,4\u202fMo"  # CLDR spaces units with U+202F too
    assert formatting.filesize(size, "es") == "12,4 MB"
    assert formatting.filesize(512, "fr") == "512\u202fo"
    assert formatting.filesize(None, "fr") == ""


def test_a_french_page_counts_with_french_grouping(client, make_gallery):
    from gallery.extensions import db

    gallery = make_gallery(title="Big")
    gallery.image_count = 1234
    db.session.commit()
    page = soup(client.get("/fr/galleries"))
    assert "1\u202f234 photos" in page.select_one(".gallery-cards").get_text()


# --- Country and category names -----------------------------------------------------------------

@pytest.mark.parametrize("code, en, fr, es", [
    ("CD", "Democratic Republic of the Congo", "République démocratique du Congo",
     "República Democrática del Congo"),
    ("CG", "Congo", "Congo", "Congo"),
    ("BO", "Bolivia (Plurinational State of)", "Bolivie (État plurinational de)",
     "Bolivia (Estado Plurinacional de)"),
    ("TR", "Türkiye", "Türkiye", "Türkiye"),
    ("KR", "Republic of Korea", "République de Corée", "República de Corea"),
    ("EG", "Egypt", "Égypte", "Egipto"),  # CLDR's default where it is the UN's name
    ("LC", "Saint Lucia", "Sainte-Lucie", "Santa Lucía"),  # "St." written out in English
    ("BA", "Bosnia and Herzegovina", "Bosnie-Herzégovine", "Bosnia y Herzegovina"),
])
def test_country_names_are_the_un_short_names(code, en, fr, es):
    assert [names.un_name(code, lang) for lang in ("en", "fr", "es")] == [en, fr, es]


def test_country_names_accept_rows_and_codes():
    assert names.country_name("COD", "fr") == "République démocratique du Congo"
    assert names.country_name("cd", "es") == "República Democrática del Congo"

    class Row:
        alpha3, name = "RUS", "Russian Federation (pycountry)"
    assert names.country_name(Row(), "fr") == "Fédération de Russie"
    assert names.country_name(None) == ""


def test_sorting_follows_the_language_alphabet():
    french = ["Zambie", "Égypte", "Espagne", "Danemark", "Éthiopie", "États-Unis d’Amérique"]
    assert sorted(french, key=lambda n: names.sort_key(n, "fr")) == [
        "Danemark", "Égypte", "Espagne", "États-Unis d’Amérique", "Éthiopie", "Zambie"]
    spanish = ["Ñandú", "Nueva Zelandia", "Oman", "Níger"]
    assert sorted(spanish, key=lambda n: names.sort_key(n, "es")) == [
        "Níger", "Nueva Zelandia", "Ñandú", "Oman"]


def test_the_country_list_is_sorted_in_the_page_language(client, make_gallery):
    for code in ("EGY", "ESP", "DNK", "ZMB"):
        make_gallery(title=f"Gallery {code}", country=code)
    french = [li.get_text() for li in soup(client.get("/fr/countries")).select(".term-name")]
    assert french == ["Danemark", "Égypte", "Espagne", "Zambie"]
    english = [li.get_text() for li in soup(client.get("/countries")).select(".term-name")]
    assert english == ["Denmark", "Egypt", "Spain", "Zambia"]
    # The alpha-3 code stays in every URL, whatever the language.
    links = [a["href"] for a in soup(client.get("/es/countries")).select(".country-list a")]
    assert all(link.startswith("/es/countries/") for link in links)


def test_the_advanced_search_lists_countries_in_the_language(client):
    options = [o.get_text() for o in soup(client.get("/fr/search/advanced")).select("#adv-country option")]
    assert options.index("Égypte") < options.index("Espagne") < options.index("Estonie")


@pytest.mark.parametrize("prefix, language", [("", "en"), ("/fr", "fr"), ("/es", "es")])
def test_the_advanced_searchs_cached_country_options_are_those_named_and_sorted_one_by_one(client, prefix,
                                                                                             language):
    """The cached country_options filter gives the same options, in the same order, as naming each row did."""
    from sqlalchemy import select

    from gallery.extensions import db
    from gallery.models import Country

    rows = db.session.scalars(select(Country).order_by(Country.name)).all()
    # What the by_name filter did: each row named, then sorted by that name, in the page's language.
    named = [(c.alpha3, names.country_name(c, language)) for c in rows]
    expected = sorted(named, key=lambda option: names.sort_key(option[1], language))
    got = [(o["value"], o.get_text()) for o in
           soup(client.get(f"{prefix}/search/advanced")).select("#adv-country option")]
    assert got[0][0] == "" and len(got) == len(rows) + 1 > 200
    assert got[1:] == expected


def test_seeded_categories_have_names_in_each_language_and_new_ones_keep_theirs(client, app, make_user):
    from gallery.services import categories

    admin = make_user("admin")
    categories.add_category("Cash-based Interventions", admin)
    page = soup(client.get("/es/"))
    shown = [li.get_text() for li in page.select(".category-list .term-name")]
    assert "Respuesta a crisis" in shown and "Desplazados internos" in shown
    assert "Cash-based Interventions" in shown  # no translation: the name staff gave it
    assert len({c for c in names.CATEGORY_NAMES}) == 18


# --- Site texts per language -------------------------------------------------------------------

def test_built_in_terms_in_french_and_the_version_is_the_same(client):
    page = soup(client.get("/fr/terms"))
    assert page.select_one("h1").get_text() == "Conditions d’utilisation"
    assert page.select_one("article").get("lang") is None  # it is in the page's language
    assert "Version 1" in page.select_one(".site-text-version").get_text()


def test_a_translation_is_shown_for_its_english_version_only(client, app, make_user, login_as):
    from gallery.services import sitetext

    admin = make_user("admin")
    login_as(admin)
    english = client.post("/manage/texts/about", data={"title": "About us", "body": "We take photos."})
    assert english.status_code == 302
    # The English text changed: the built-in French one no longer fits, so English shows, marked.
    page = soup(client.get("/fr/about"))
    assert page.select_one("h1").get_text() == "About us"
    assert page.select_one("article")["lang"] == "en"
    form = soup(client.get("/manage/texts/about?language=fr"))
    assert form.select_one('form.text-form')["lang"] == "fr"
    saved = client.post("/manage/texts/about?language=fr",
                        data={"title": "À propos de nous", "body": "Nous prenons des photos."})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("language=fr")
    page = soup(client.get("/fr/about"))
    assert page.select_one("h1").get_text() == "À propos de nous"
    assert page.select_one("article").get("lang") is None
    # A new English version outdates the translation until it is saved again.
    client.post("/manage/texts/about", data={"title": "About us", "body": "We take photos and videos."})
    assert soup(client.get("/fr/about")).select_one("h1").get_text() == "About us"
    stale = soup(client.get("/manage/texts/about?language=fr"))
    assert stale.select_one(".stale-translation") is not None
    assert sitetext.get_row("about", "fr").version < sitetext.get_text("about").version


def test_an_empty_translation_is_refused_with_a_message(client, make_user, login_as):
    login_as(make_user("admin"))
    response = client.post("/manage/texts/help?language=es", data={"title": "Ayuda", "body": "  "})
    assert response.status_code == 400
    assert "necesita un título y un texto" not in response.get_data(as_text=True)  # admin page is English
    assert "A translation needs a title and a text." in response.get_data(as_text=True)
    assert client.post("/manage/texts/help?language=de", data={"title": "x", "body": "y"}).status_code == 404


def test_accepting_the_terms_in_spanish_records_the_version(client, make_user, login):
    from gallery.extensions import db
    from gallery.models import User
    from gallery.services import sitetext

    user = make_user(email="eva@example.org")
    login(user)
    page = soup(client.get("/es/terms/accept?next=/"))
    assert page.select_one("h1").get_text() == "Condiciones de uso"
    form = page.select_one("form.accept-form")
    data = {i["name"]: i.get("value", "") for i in form.select("input[name]") if i.get("type") != "checkbox"}
    data["accept"] = "yes"
    response = client.post(form["action"], data=data)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).terms_version == sitetext.terms_version() == 1


def test_registering_on_a_spanish_page_mails_in_spanish_with_a_spanish_link(client, caplog):
    import logging

    assert soup(client.get("/es/register")).html["lang"] == "es"
    data = {"name": "Ana Lima", "email": "ana@example.org", "organisation": "Radio Norte",
            "password": "a good long password", "confirm": "a good long password",
            "accept_terms": "y"}
    with caplog.at_level(logging.WARNING, logger="gallery.mail"):
        response = client.post("/es/register", data=data)
    assert response.status_code == 200
    assert "Hemos enviado un correo a ana@example.org" in soup(response).get_text()
    assert "Subject: Confirme su cuenta" in caplog.text
    assert "Active la cuenta aquí" in caplog.text
    assert "http://localhost/es/register/confirm/" in caplog.text  # the link opens in Spanish too
