"""Search in each language: every text analysed with its own language's rules, every query in all."""
from __future__ import annotations

import datetime as dt

import pytest
from bs4 import BeautifulSoup

from gallery.extensions import db
from gallery.services import search
from gallery.services.search import Filters


@pytest.fixture
def corpus(app, make_gallery, make_asset):
    """A French, a Spanish and an English gallery; one English photo carries a French caption too."""

    def gallery(language, **fields):
        g = make_gallery(**fields)
        g.language = language
        db.session.commit()
        return g

    fr = gallery("fr", title="Santé à Goma", category="Health", country="COD",
                 description="Les équipes de santé à Goma.")
    es = gallery("es", title="Salud en Cúcuta", category="Health", country="COL",
                 description="Equipos de salud, comunidades y escuelas.")
    en = gallery("en", title="Water in Lodwar", category="Shelter", country="KEN",
                 description="Boreholes and camps in Turkana.")
    a = {
        "fr": make_asset(fr, caption="Des enfants déplacés reçoivent de l'eau potable à Goma.",
                         date_taken=dt.date(2023, 5, 2)),
        "fr_refugees": make_asset(fr, caption="Des réfugiés attendent à la frontière.",
                                  date_taken=dt.date(2023, 5, 3)),
        "es": make_asset(es, caption="Los desplazados y los refugiados esperan en la frontera.",
                         date_taken=dt.date(2022, 8, 1)),
        "es_vaccines": make_asset(es, caption="Una enfermera prepara la vacunación contra el cólera.",
                                  date_taken=dt.date(2022, 8, 2)),
        "en": make_asset(en, caption="Displaced families collect clean water at a borehole.",
                         date_taken=dt.date(2021, 1, 4)),
        "mission": make_asset(en, caption="The mission team visits the camp.",
                              date_taken=dt.date(2021, 1, 5)),
        "mision": make_asset(es, caption="La misión visita el campamento.",
                             date_taken=dt.date(2022, 8, 3)),
    }
    a["en"].translations = {"fr": {"caption": "Des familles déplacées puisent de l'eau propre."}}
    db.session.commit()
    search.queue_assets([a["en"].id])
    db.session.commit()
    search.after_commit()
    return a


def ids(q, **kw) -> set[int]:
    return {h.asset.id for h in search.run(q, None, **kw).hits}


def test_french_stems_find_other_forms_of_a_word(corpus):
    assert ids("déplacées") == {corpus["fr"].id, corpus["en"].id}  # déplacés; the translation
    assert ids("réfugiée") == {corpus["fr_refugees"].id}


def test_spanish_stems_find_other_forms_of_a_word(corpus):
    assert corpus["es"].id in ids("desplazadas")
    assert ids("vacunaciones") == {corpus["es_vaccines"].id}
    # the gallery's Spanish description is Spanish text too
    assert ids("gallery:escuela") == {corpus["es"].id, corpus["es_vaccines"].id,
                                      corpus["mision"].id}


def test_a_word_finds_only_its_own_language_unless_a_caption_says_so(corpus):
    assert ids("réfugiés") == {corpus["fr_refugees"].id}
    assert ids("refugiados") == {corpus["es"].id}
    # an English word's French cognate stem is French text only where the text is French
    assert ids("displaced") == {corpus["en"].id}
    assert ids("réfugiés OR refugiados") == {corpus["fr_refugees"].id, corpus["es"].id}


def test_elision_and_accents(corpus):
    assert ids("eau") == ids("l'eau") == ids("L\u2019EAU") == {corpus["fr"].id, corpus["en"].id}
    assert ids('"eau potable"') == {corpus["fr"].id}
    assert ids('"potable eau"') == set()
    assert ids("recoivent") == ids("reçoivent") == {corpus["fr"].id}
    assert ids("colera") == ids("cólera") == {corpus["es_vaccines"].id}
    # typed without its accents a word still finds itself, though its stem needs them
    assert ids("vacunacion") == {corpus["es_vaccines"].id}
    assert ids("deplacees") == {corpus["en"].id}


def test_stop_words_of_one_language_do_not_hide_its_texts(corpus):
    # "la" and "el" are Spanish and French stop words, but plain words to English analysis
    assert ids("la frontera") == {corpus["es"].id}
    assert ids("el cólera") == {corpus["es_vaccines"].id}
    assert ids('"la frontière"') == {corpus["fr_refugees"].id}
    assert ids("the collect") == {corpus["en"].id}


def test_a_mixed_language_query(corpus):
    # each word in its own language: English caption and its French translation
    assert ids("borehole familles") == {corpus["en"].id}
    assert ids("enfants Goma") == {corpus["fr"].id}
    assert ids("enfermera cholera") == set()  # "cholera" is not the Spanish "cólera"'s stem
    assert ids("enfermera cólera") == {corpus["es_vaccines"].id}


def test_prefixes_and_fields_in_each_language(corpus):
    assert ids("déplac*") == {corpus["fr"].id, corpus["en"].id}
    assert ids("despl*") == {corpus["es"].id}
    assert ids("caption:desplazadas") == {corpus["es"].id}
    assert ids("caption:déplacées") == {corpus["fr"].id, corpus["en"].id}
    assert ids("-frontera refugiados") == set()


def test_facets_count_every_language(corpus):
    res = search.run("frontière OR frontera", None)
    assert res.total == 2
    assert {v: c for v, c, _label in res.facets["country"]} == {"COD": 1, "COL": 1}
    assert ids("frontera", filters=Filters(country="COL")) == {corpus["es"].id}


def test_did_you_mean_looks_in_the_readers_language_first(corpus):
    # "misiion" is one letter from English "mission" and from Spanish "mision"
    assert search.run("misiion", None, lang="es").suggestion == "mision"
    assert search.run("misiion", None, lang="en").suggestion == "mission"
    assert search.run("desplazadoss", None, lang="fr").suggestion == "desplazados"


def test_highlights_use_the_texts_language(corpus):
    hit = next(h for h in search.run("déplacées", None).hits if h.asset.id == corpus["fr"].id)
    assert "<mark>déplacés</mark>" in hit.caption and hit.caption_lang == "fr"
    hit = next(h for h in search.run("vacunacion", None).hits)
    assert "<mark>vacunación</mark>" in hit.caption


def test_results_show_the_readers_language_where_translated(client, corpus):
    hits = {h.asset.id: h for h in search.run("familles", None, lang="fr").hits}
    assert hits[corpus["en"].id].caption_lang == "fr"
    assert "<mark>familles</mark>" in hits[corpus["en"].id].caption
    english = {h.asset.id: h for h in search.run("borehole", None, lang="en").hits}
    assert english[corpus["en"].id].caption_lang == "en"
    # The page marks a caption in another language than its own, for screen readers.
    with client.get("/fr/search", query_string={"q": "borehole OR frontera"}) as r:
        assert r.status_code == 200
        page = BeautifulSoup(r.data, "html.parser")
    langs = {p.get("lang") for p in page.select(".search-results .snippet")}
    # the photo translated into French shows it (no lang); the Spanish one and the English one
    # without a translation (its gallery mentions boreholes) are marked
    assert langs == {None, "es", "en"}


def test_countries_are_found_by_their_names_in_every_language(corpus):
    spanish = {corpus["es"].id, corpus["es_vaccines"].id, corpus["mision"].id}
    assert ids("Colombie") == ids("Colombia") == ids("country:colombie") == spanish
    assert ids("Kenia") == {corpus["en"].id, corpus["mission"].id}
    assert ids('"République démocratique du Congo"') == {corpus["fr"].id, corpus["fr_refugees"].id}


def test_the_search_page_and_its_facets_speak_the_readers_language(client, corpus):
    with client.get("/es/search", query_string={"q": "frontière OR frontera"}) as r:
        page = BeautifulSoup(r.data, "html.parser")
    assert page.select_one("#facet-country").get_text() == "País"
    countries = [s.get_text() for s in page.select('section[aria-labelledby="facet-country"] li span:first-child')]
    assert sorted(countries) == ["Colombia", "República Democrática del Congo"]
    assert page.select_one("#facet-category").get_text() == "Categoría"
    assert [s.get_text() for s in page.select('section[aria-labelledby="facet-category"] li span:first-child')] == ["Salud"]


def test_seeded_categories_are_found_by_their_names_in_every_language(corpus):
    assert ids("category:abris") == ids("alojamiento") == {corpus["en"].id, corpus["mission"].id}
    health = {corpus[k].id for k in ("fr", "fr_refugees", "es", "es_vaccines", "mision")}
    assert ids("santé") == ids("sante") == ids("category:salud") == health


def test_keywords_are_stemmed_in_the_gallerys_language(app, make_gallery, make_asset):
    fr = make_gallery(title="Goma", category="Health", country="COD")
    es = make_gallery(title="Cúcuta", category="Health", country="COL")
    fr.language, es.language = "fr", "es"
    en = make_gallery(title="Water in Lodwar", category="Shelter", country="KEN")
    db.session.commit()
    flooded = make_asset(fr, caption="Une rue de Goma.", keywords=["inondées", "abris d'urgence"])
    floods = make_asset(fr, caption="Le fleuve.", keywords=["inondations"])
    moved = make_asset(es, caption="Una calle.", keywords=["desplazadas"])
    english = make_asset(en, caption="A street.", keywords=["flooding", "shelters"])
    search.after_commit()
    # French and Spanish stems: "inondées" is "inondé" and "inondations" in French, not in English
    assert ids("inondé") == ids("keywords:inondé") == {flooded.id, floods.id}
    assert ids("inondation") == {flooded.id, floods.id}
    assert ids("desplazado") == ids("keyword:desplazado") == {moved.id}
    assert ids('"abris d\'urgence"') == {flooded.id}
    assert ids("inond*") == {flooded.id, floods.id}
    assert ids("keywords:desplaz*") == {moved.id}
    # English keywords as before
    assert ids("flood") == ids("keywords:floods") == ids("flood*") == {english.id}
    assert ids("shelter") == ids('"shelters"') == {english.id}
