"""One field vocabulary: ingest, the manifest, the caption grid and the edit form share limits and rules."""
from __future__ import annotations

import io

import pytest
from bs4 import BeautifulSoup

from gallery.extensions import db
from gallery.models import Asset
from gallery.services import ingest, manifest
from tests.conftest import image_bytes, stored_files
from tests.media_files import iptc_block, jpeg

LONG_CAPTION = "A long caption. " * 1300  # 20,800 characters: over the 20,000 the edit form takes


def browser_post(client, url: str):
    """Post a rendered form back as a browser would: every input (hidden too), textarea and select."""
    page = BeautifulSoup(client.get(url).data, "html.parser")
    form = next(f for f in page.select("form[method=post]") if f.get("action", url) == url)
    data: dict[str, str] = {}
    for field in form.select("input[name], textarea[name], select[name]"):
        kind = field.get("type", "text")
        if field.name == "textarea":
            data[field["name"]] = field.get_text()
        elif field.name == "select":
            chosen = field.select_one("option[selected]") or field.select_one("option")
            data[field["name"]] = chosen.get("value", chosen.get_text()) if chosen else ""
        elif kind in ("checkbox", "radio"):
            if field.has_attr("checked"):
                data[field["name"]] = field.get("value", "on")
        elif kind not in ("submit", "button", "file"):
            data[field["name"]] = field.get("value", "")
    return client.post(url, data=data)


def as_tuple(asset: Asset) -> tuple:
    """The descriptive fields of an asset, to compare before and after a save."""
    return (asset.title, asset.caption, asset.alt_text, asset.credit, asset.creator, asset.copyright,
            list(asset.keywords), asset.city, asset.country_code, asset.date_taken, asset.status)


def test_api_ingest_refuses_a_caption_the_edit_form_would_refuse(client, make_user, login_as,
                                                                  make_gallery, app):
    login_as(make_user("editor"))
    gallery = make_gallery()
    response = client.post(f"/api/galleries/{gallery.id}/assets", data={
        "file": (io.BytesIO(image_bytes()), "photo.jpg"), "caption": LONG_CAPTION})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["field"] == "caption" and "20000 characters" in error["message"]
    assert stored_files(app) == []


def test_manifest_refuses_a_caption_over_the_limit_naming_it(app, tmp_path):
    data = {"galleries": [{"title": "Floods", "category": "Health", "assets": [
        {"file": "a.jpg", "caption": LONG_CAPTION}, {"file": "b.jpg", "alt_text": "x" * 2001}]}]}
    with pytest.raises(manifest.ManifestError) as caught:
        manifest.parse(data, str(tmp_path))
    assert any(p.startswith("galleries[0].assets[0].caption:") for p in caught.value.problems)
    assert any(p.startswith("galleries[0].assets[1].alt_text:") for p in caught.value.problems)


def test_embedded_caption_is_cut_and_the_asset_resaves_unchanged(client, make_user, login_as,
                                                                 make_gallery):
    photo = jpeg(iptc=iptc_block({120: LONG_CAPTION.strip(), 25: ["Water", "water", "WATER", "k" * 150]}))
    result = ingest.ingest(make_gallery(), io.BytesIO(photo), "embedded.jpg")
    assert result.status == "accepted"
    asset = result.asset
    assert 19_990 < len(asset.caption) <= 20_000 and LONG_CAPTION.startswith(asset.caption)
    assert asset.keywords == ["Water", "k" * 100]
    before = as_tuple(asset)
    login_as(make_user("editor"))
    url = f"/manage/assets/{asset.id}/edit"
    response = browser_post(client, url)
    assert response.status_code == 302, BeautifulSoup(response.data, "html.parser").get_text()[:500]
    db.session.expire_all()
    assert as_tuple(db.session.get(Asset, asset.id)) == before


def test_ingest_folds_keywords_like_the_edit_form(app, make_gallery):
    asset = ingest.ingest(make_gallery(), io.BytesIO(image_bytes()), "a.jpg",
                             {"keywords": "Water, water, WATER, pump"}).asset
    assert asset.keywords == ["Water", "pump"]
    listed = ingest.ingest(make_gallery(), io.BytesIO(image_bytes(color=(1, 2, 3))), "b.jpg",
                              {"keywords": ["Water", "water", "WATER"]}).asset
    assert listed.keywords == ["Water"]


def test_ingest_refuses_more_keywords_than_the_edit_form_takes(app, make_gallery):
    words = ", ".join(f"word{n}" for n in range(101))
    result = ingest.ingest(make_gallery(), io.BytesIO(image_bytes()), "a.jpg", {"keywords": words})
    assert result.status == "rejected" and result.error_field == "keywords"


def test_caption_grid_refuses_what_the_edit_form_refuses(client, make_user, login_as, make_gallery,
                                                         make_asset):
    gallery = make_gallery()
    asset = make_asset(gallery, caption="Short")
    login_as(make_user("editor"))
    edit = client.post(f"/manage/assets/{asset.id}/edit", data={"caption": LONG_CAPTION})
    assert edit.status_code == 400
    edit_message = BeautifulSoup(edit.data, "html.parser").select_one("#caption-error").get_text(strip=True)
    grid = client.post(f"/manage/galleries/{gallery.id}/captions", data={
        f"{asset.id}-caption": LONG_CAPTION, f"{asset.id}-title": "New title"})
    assert grid.status_code == 400
    shown = BeautifulSoup(grid.data, "html.parser")
    assert shown.select_one(f"#e-{asset.id}-caption").get_text(strip=True) == edit_message
    db.session.expire_all()
    saved = db.session.get(Asset, asset.id)
    assert (saved.caption, saved.title) == ("Short", "")
