"""Content in several languages (issue 17): a gallery's original language, translations of titles,
captions and alt text edited side by side, taken by the API and manifests, shown per page language
with lang attributes, and carried in downloads' XMP."""
from __future__ import annotations

import io
import json
import shutil
import subprocess

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import create_engine, select, text

from gallery import create_app, migrate
from gallery.exceptions import ValidationError
from gallery.extensions import db
from gallery.models import Asset, Gallery
from gallery.services import apitokens, terms, translations
from gallery.services.ingest import ingest
from tests.conftest import PG_URL, bearer, image_bytes


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.fixture
def staff(make_user, login_as):
    return login_as(make_user("editor"))


@pytest.fixture
def token(make_user):
    editor = make_user("editor")
    return apitokens.create_token(editor, "tests", editor)[1]


# --- Model, migration and service -------------------------------------------------------------

def test_0018_gives_existing_galleries_english_and_no_translations(tmp_path):
    if PG_URL:
        pytest.skip("the PostgreSQL run migrates its empty database in the session fixture")
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/old.sqlite", "SECRET_KEY": "x"})
    migrate.upgrade(app, "0017")
    engine = create_engine(app.config["DATABASE_URL"])
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO categories (id, name, slug, position) VALUES (1, 'Health', 'health', 1)"))
        conn.execute(text(
            "INSERT INTO galleries (id, title, slug, description, credit, category_id, status, licence, "
            "usage_terms, restrictions, editors_pick, image_count, video_count, audio_count, created_at, "
            "updated_at) VALUES (1, 'Old', 'old', '', '', 1, 'draft', '', '', '', 0, 0, 0, 0, "
            "'2026-01-01', '2026-01-01')"))
    migrate.upgrade(app)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT language, translations FROM galleries")).one()
    engine.dispose()
    assert row[0] == "en" and json.loads(row[1]) == {}


def test_texts_and_text_for_follow_the_gallery_language(app, make_gallery, make_asset):
    gallery = make_gallery(title="Eau potable", language="fr",
                           translations={"en": {"title": "Drinking water"}})
    asset = make_asset(gallery, caption={"fr": "Un puits", "es": "Un pozo"}, title="")
    assert translations.texts(gallery, "title") == {"fr": "Eau potable", "en": "Drinking water"}
    assert translations.texts(asset, "caption") == {"fr": "Un puits", "es": "Un pozo"}
    assert translations.texts(asset, "title") == {}  # empty ones left out
    assert translations.text_for(asset, "caption", "es") == ("Un pozo", "es")
    assert translations.text_for(asset, "caption", "en") == ("Un puits", "fr")  # the original
    assert translations.text_for(gallery, "title", "fr") == ("Eau potable", "fr")
    # A translation into the original language never hides the original.
    asset.translations = {"fr": {"caption": "stale"}}
    assert translations.text_for(asset, "caption", "fr") == ("Un puits", "fr")


def test_bad_languages_and_long_translations_are_clear_errors(app):
    with pytest.raises(ValidationError) as bad:
        translations.parse({"caption": {"de": "x"}}, translations.ASSET_FIELDS, "en", None)
    assert bad.value.field == "caption"
    with pytest.raises(ValidationError) as long:
        translations.parse({"translations": {"fr": {"title": "x" * 301}}}, translations.ASSET_FIELDS,
                           "en", None)
    assert long.value.field == "title_fr" and "300" in long.value.message
    with pytest.raises(ValidationError):
        translations.check_language("de")


# --- The JSON API and the manifest -----------------------------------------------------------

def test_api_takes_language_maps_and_returns_plain_originals_with_translations(client, token):
    created = client.post("/api/galleries", headers=bearer(token), json={
        "title": {"fr": "Abris", "en": "Shelters"}, "language": "fr", "category": "Shelter"})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["title"] == "Abris" and body["language"] == "fr"
    assert body["translations"] == {"en": {"title": "Shelters"}}
    gallery = db.session.get(Gallery, body["id"])

    upload = client.post(f"/api/galleries/{gallery.id}/assets", headers=bearer(token), data={
        "file": (io.BytesIO(image_bytes()), "a.jpg"), "caption": "Une tente",
        "translations": json.dumps({"es": {"caption": "Una tienda"}, "en": {"alt_text": "A tent"}})})
    assert upload.status_code == 201, upload.get_json()
    asset = upload.get_json()
    assert asset["caption"] == "Une tente"
    assert asset["translations"] == {"en": {"alt_text": "A tent"}, "es": {"caption": "Una tienda"}}

    patched = client.patch(f"/api/assets/{asset['id']}", headers=bearer(token),
                           json={"caption": {"en": "A tent"}, "title": {"fr": "Tente", "es": "Tienda"}})
    assert patched.status_code == 200, patched.get_json()
    got = patched.get_json()
    assert got["caption"] == "Une tente" and got["title"] == "Tente"  # plain strings: the original
    assert got["translations"] == {"en": {"caption": "A tent", "alt_text": "A tent"},
                                   "es": {"caption": "Una tienda", "title": "Tienda"}}

    bad = client.patch(f"/api/assets/{asset['id']}", headers=bearer(token),
                       json={"caption": {"de": "Ein Zelt"}})
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "caption"
    bad = client.post(f"/api/galleries/{gallery.id}/assets", headers=bearer(token), data={
        "file": (io.BytesIO(image_bytes(color=(1, 2, 3))), "b.jpg"), "translations": "{not json"})
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "translations"


def test_manifest_language_maps(runner, tmp_path):
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "1.jpg").write_bytes(image_bytes(color=(10, 20, 30)))
    (folder / "manifest.json").write_text(json.dumps({"galleries": [{
        "title": {"es": "Refugios", "en": "Shelters"}, "language": "es", "category": "Shelter",
        "description": {"es": "Kits", "fr": "Des kits"},
        "assets": [{"file": "1.jpg", "caption": {"es": "Una tienda", "en": "A tent"},
                    "alt_text": "Tienda blanca"}]}]}))
    result = runner.invoke(args=["import", str(folder / "manifest.json")])
    assert result.exit_code == 0, result.output
    gallery = db.session.scalar(select(Gallery).where(Gallery.title == "Refugios"))
    assert gallery.language == "es" and gallery.description == "Kits"
    assert gallery.translations == {"en": {"title": "Shelters"}, "fr": {"description": "Des kits"}}
    asset = db.session.scalar(select(Asset).where(Asset.gallery_id == gallery.id))
    assert asset.caption == "Una tienda" and asset.alt_text == "Tienda blanca"
    assert asset.translations == {"en": {"caption": "A tent"}}

    (folder / "manifest.json").write_text(json.dumps({"galleries": [{
        "title": "X", "category": "Shelter", "language": "de",
        "assets": [{"file": "1.jpg", "caption": {"xx": "?"}}]}]}))
    refused = runner.invoke(args=["import", str(folder / "manifest.json")])
    assert refused.exit_code != 0
    assert "Language must be one of en, fr, es." in refused.output


# --- Staff forms -----------------------------------------------------------------------------

def test_gallery_form_edits_translations_side_by_side(client, staff, make_gallery):
    gallery = make_gallery(title="Water", translations={"fr": {"title": "Eau"}})
    page = soup(client.get(f"/manage/galleries/{gallery.id}/edit"))
    row = page.select_one("#f-title").find_parent(class_="translated-row")
    assert [i["name"] for i in row.select("input")] == ["title", "title_fr", "title_es"]
    assert page.select_one("#f-title_fr")["value"] == "Eau" and page.select_one("#f-title_fr")["lang"] == "fr"
    assert page.select_one("label[for=f-title]").get_text() == "Title"  # the original keeps its label
    assert page.select_one("label[for=f-title_es]").get_text() == "Español"
    assert page.select_one("#f-title_es")["aria-describedby"] == "l-title"  # "Español", "Title"
    assert page.select_one("#f-language option[selected]")["value"] == "en"

    form = {"title": "Water", "description": "Wells", "category": str(gallery.category_id),
            "country": "KEN", "title_fr": "L’eau", "title_es": "Agua", "description_fr": "Des puits",
            "description_es": "", "language": "en"}
    assert client.post(f"/manage/galleries/{gallery.id}/edit", data=form).status_code == 302
    db.session.expire_all()
    saved = db.session.get(Gallery, gallery.id)
    assert saved.translations == {"fr": {"title": "L’eau", "description": "Des puits"},
                                  "es": {"title": "Agua"}}

    too_long = client.post(f"/manage/galleries/{gallery.id}/edit", data={**form, "title_es": "x" * 301})
    assert too_long.status_code == 400
    page = soup(too_long)
    assert page.select_one("#f-title_es")["aria-invalid"] == "true"
    assert "longer than 300" in page.select_one("#title_es-error").get_text()
    db.session.expire_all()
    assert db.session.get(Gallery, gallery.id).translations["es"] == {"title": "Agua"}


def test_new_gallery_form_sets_the_original_language(client, staff):
    page = soup(client.get("/manage/upload"))
    assert page.select_one("select[name=language]")
    response = client.post("/manage/upload", data={"title": "Abris", "category": "1", "language": "fr",
                                                  "country": "", "status": "draft"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert db.session.scalar(select(Gallery).where(Gallery.title == "Abris")).language == "fr"


def test_asset_form_and_caption_grid_edit_translations(client, staff, make_gallery, make_asset):
    gallery = make_gallery()
    asset = make_asset(gallery, caption="A well")
    page = soup(client.get(f"/manage/assets/{asset.id}/edit"))
    assert page.select_one("textarea[name=caption_fr]") is not None
    assert page.select_one("textarea[name=alt_text_es]") is not None
    form = {n: "" for n in ("title", "alt_text", "credit", "creator", "copyright", "keywords", "city",
                            "country", "date_taken", "embargo_until", "rights_expire_on", "licence",
                            "usage_terms", "restrictions")}
    form.update(caption="A well", status="published", consent="unknown", caption_fr="Un puits")
    response = client.post(f"/manage/assets/{asset.id}/edit", data=form)
    assert response.status_code == 302, soup(response).select(".field-error, .form-error")
    db.session.expire_all()
    assert db.session.get(Asset, asset.id).translations == {"fr": {"caption": "Un puits"}}

    grid_url = f"/manage/galleries/{gallery.id}/captions"
    assert soup(client.get(grid_url)).select_one(f"textarea[name='{asset.id}-caption-fr']") is None
    grid = soup(client.get(grid_url + "?lang=es"))
    assert grid.select_one("#f-caption-lang option[selected]")["value"] == "es"
    cell = grid.select_one(f"textarea[name='{asset.id}-caption-es']")
    assert cell is not None and cell["lang"] == "es"
    data = {f"{asset.id}-{k}": "" for k in ("title", "credit", "keywords", "alt_text")}
    data.update({f"{asset.id}-caption": "A well", f"{asset.id}-caption-es": "Un pozo",
                 f"{asset.id}-title-es": "Pozo"})
    assert client.post(grid_url + "?lang=es", data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(Asset, asset.id).translations == {
        "fr": {"caption": "Un puits"}, "es": {"caption": "Un pozo", "title": "Pozo"}}
    data[f"{asset.id}-title-es"] = "x" * 301
    refused = client.post(grid_url + "?lang=es", data=data)
    assert refused.status_code == 400
    assert soup(refused).select_one(f"#f-{asset.id}-title-es")["aria-invalid"] == "true"


# --- Public pages ----------------------------------------------------------------------------

def test_pages_show_the_visitors_language_and_mark_other_languages(client, make_gallery, make_asset):
    gallery = make_gallery(title="Water", description="Wells in Turkana",
                           translations={"fr": {"title": "Eau", "description": "Des puits"}})
    asset = make_asset(gallery, caption={"en": "Women carry water", "fr": "Des femmes portent l’eau"},
                       alt_text="Three women")
    path = f"/galleries/{gallery.id}-{gallery.slug}"

    french = soup(client.get("/fr" + path))
    assert french.select_one("h1").get_text(" ", strip=True).startswith("Eau")
    assert french.select_one("h1 span").get("lang") is None  # in the page's language
    assert french.select_one(".gallery-description").get_text(strip=True) == "Des puits"
    tile = french.select_one(f"[data-asset-id='{asset.id}'] img")
    # No French alt text: the French caption beats the English alt text.
    assert tile["alt"] == "Des femmes portent l’eau" and tile.get("lang") is None

    spanish = soup(client.get("/es" + path))  # no Spanish: the original, marked as English
    assert spanish.select_one("h1 span")["lang"] == "en"
    assert spanish.select_one(".gallery-description")["lang"] == "en"
    assert spanish.select_one(f"[data-asset-id='{asset.id}'] img")["lang"] == "en"

    page = soup(client.get(f"/fr/assets/{asset.id}"))
    caption = page.select_one("p.caption")
    assert caption.get_text() == "Des femmes portent l’eau" and caption.get("lang") is None
    assert page.select_one('meta[property="og:description"]')["content"] == "Des femmes portent l’eau"
    english = soup(client.get(f"/assets/{asset.id}")).select_one("p.caption")
    assert english.get_text() == "Women carry water" and english.get("lang") is None
    spanish = soup(client.get(f"/es/assets/{asset.id}")).select_one("p.caption")
    assert spanish.get_text() == "Women carry water" and spanish["lang"] == "en"


def test_a_french_gallery_is_marked_french_on_english_pages(client, make_gallery, make_asset):
    gallery = make_gallery(title="Abris", language="fr")
    asset = make_asset(gallery, caption="Une tente", title="Tente")
    page = soup(client.get(f"/assets/{asset.id}"))
    assert page.html["lang"] == "en"
    assert page.select_one("p.caption")["lang"] == "fr"
    assert page.select_one("h1 span")["lang"] == "fr"
    assert page.select_one(".back-to-gallery span")["lang"] == "fr"


# --- Downloads -------------------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool is not installed")
def test_downloads_carry_every_translation_in_xmp(client, make_user, login_as, make_gallery, tmp_path):
    member = make_user("member")
    terms.accept(member)
    login_as(member)
    gallery = make_gallery()
    result = ingest(gallery, io.BytesIO(image_bytes(size=(1600, 1200))), "well.jpg", {
        "title": {"en": "Borehole", "es": "Pozo"},
        "caption": {"en": "Women carry water", "fr": "Des femmes portent l’eau", "es": "Mujeres con agua"}})
    assert result.status == "accepted", result.reason
    with client.get(f"/download/assets/{result.asset.id}/preview") as response:
        data = response.get_data()
    assert response.status_code == 200
    path = tmp_path / "preview.jpg"
    path.write_bytes(data)
    out = subprocess.run(["exiftool", "-j", "-XMP-dc:Description-fr", "-XMP-dc:Description-es",
                          "-XMP-dc:Description", "-XMP-dc:Title-es", "-XMP-dc:Title", str(path)],
                         capture_output=True, text=True, check=True).stdout
    tags = json.loads(out)[0]
    assert tags["Description"] == "Women carry water"  # x-default: the original
    assert tags["Description-fr"] == "Des femmes portent l’eau"
    assert tags["Description-es"] == "Mujeres con agua"
    assert tags["Title"] == "Borehole" and tags["Title-es"] == "Pozo"


def test_staff_search_results_name_items_in_the_page_language(client, staff, make_gallery, make_asset):
    gallery = make_gallery(title="Water")
    asset = make_asset(gallery, title={"en": "Women at the well", "fr": "Femmes au puits"},
                       caption="Women carry water from the well")
    for view in ("grid", "list"):
        page = soup(client.get(f"/fr/search?q=water&view={view}"))
        box = page.select_one(f"[data-asset-id='{asset.id}'] input[name=asset_ids]")
        label = box.get("aria-label") or box.find_parent("label").get_text(" ", strip=True)
        assert "Femmes au puits" in label and "Women at the well" not in label
