"""Lightboxes: one-click add and remove from grids, search and asset pages, order, notes, zip, ownership."""
from __future__ import annotations

import csv
import io
import zipfile

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from gallery.exceptions import NotFound, ValidationError
from gallery.extensions import db
from gallery.models import Asset, DownloadEvent, Lightbox, LightboxItem
from gallery.services import assets as asset_service
from gallery.services import lightboxes, terms


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.data, "html.parser")


def submit(client, form, headers=None, **changes):
    """Post a rendered form as a browser does: every input it holds (hidden ones included)."""
    data = {i["name"]: i.get("value", "") for i in form.select("input[name]")
            if i.get("type") not in ("checkbox", "radio") or i.has_attr("checked")}
    for area in form.select("textarea[name]"):
        data[area["name"]] = area.get_text()
    data.update(changes)
    return client.post(form["action"], data=data, headers=headers or {})


def toggle_form(page, asset_id):
    """The Add / Remove form of one asset on a page."""
    for form in page.select("form.lightbox-toggle"):
        if form.select_one("input[name=asset_id]")["value"] == str(asset_id):
            return form
    raise AssertionError(f"no lightbox button for asset {asset_id}")


@pytest.fixture
def library(make_gallery, make_asset):
    water = make_gallery(title="Water in Turkana", credit="Example Relief Agency")
    shelter = make_gallery(title="Shelter in Sylhet", country="BGD")
    return {
        "water": water, "shelter": shelter,
        "borehole": make_asset(water, title="Borehole", caption="Women collect water in Lodwar.",
                               creator="Amina Otieno", consent="obtained"),
        "queue": make_asset(water, title="Queue", caption="A queue at the tap stand."),
        "plinth": make_asset(shelter, title="Plinth", caption="Families raise a plinth in Sylhet."),
    }


@pytest.fixture
def member(make_user, login_as):
    user = make_user("member")
    terms.accept(user)
    return login_as(user)


def header_count(page) -> int:
    return int(page.select_one("[data-lightbox-count]").get_text())


def test_one_click_add_from_the_gallery_grid_without_javascript(client, member, library):
    water = library["water"]
    page = soup(client.get(f"/galleries/{water.id}-{water.slug}"))
    assert header_count(page) == 0
    form = toggle_form(page, library["borehole"].id)
    assert form.select_one(".lightbox-verb").get_text() == "Add to"
    response = submit(client, form)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/galleries/{water.id}-")
    page = soup(client.get(response.headers["Location"]))
    assert header_count(page) == 1
    again = toggle_form(page, library["borehole"].id)
    assert again.select_one("input[name=action]")["value"] == "remove"
    assert again.select_one(".lightbox-verb").get_text() == "Remove from"
    # The default lightbox was made on this first use and holds the item.
    box = db.session.scalar(select(Lightbox).where(Lightbox.user_id == member.id))
    assert box.is_default and box.name == lightboxes.DEFAULT_NAME
    assert [i.asset_id for i in box.items] == [library["borehole"].id]
    # The same button takes it out again.
    submit(client, again)
    assert header_count(soup(client.get(f"/galleries/{water.id}-{water.slug}"))) == 0


def test_javascript_add_answers_json_and_a_second_add_changes_nothing(client, member, library):
    page = soup(client.get(f"/assets/{library['queue'].id}"))
    form = toggle_form(page, library["queue"].id)
    json_headers = {"Accept": "application/json"}
    first = submit(client, form, json_headers)
    assert first.status_code == 200 and first.json["in_lightbox"] is True and first.json["count"] == 1
    second = submit(client, form, json_headers)  # the same stale form sent twice: idempotent
    assert second.json["count"] == 1
    assert db.session.scalar(select(func.count()).select_from(LightboxItem)) == 1
    removed = submit(client, form, json_headers, action="remove")
    assert removed.json == {**removed.json, "in_lightbox": False, "count": 0}


def test_search_results_offer_the_button_in_grid_and_list(client, member, library):
    for view in ("grid", "list"):
        page = soup(client.get("/search", query_string={"q": "plinth", "view": view}))
        form = toggle_form(page, library["plinth"].id)
        assert form.select_one("input[name=next]")["value"].startswith("/search?")
    response = submit(client, form)
    assert response.headers["Location"].startswith("/search?")
    assert lightboxes.asset_ids(lightboxes.default_for(member)) == {library["plinth"].id}


def test_visitors_get_no_buttons_and_a_post_asks_them_to_log_in(client, library):
    water = library["water"]
    page = soup(client.get(f"/galleries/{water.id}-{water.slug}"))
    assert not page.select("form.lightbox-toggle") and not page.select(".lightbox-link")
    response = client.post("/lightboxes/items", data={"asset_id": library["queue"].id})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/lightboxes").status_code == 302


def test_an_asset_the_user_may_not_see_cannot_be_added(client, member, library, make_gallery, make_asset):
    draft = make_asset(make_gallery(title="Draft", status="draft"), caption="Not public")
    response = client.post("/lightboxes/items", data={"asset_id": draft.id},
                           headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.json["error"]["field"] == "asset_id"
    for bad in ("abc", "99999999999", "", "-3"):
        response = client.post("/lightboxes/items", data={"asset_id": bad},
                               headers={"Accept": "application/json"})
        assert response.status_code in (400, 404), bad
    assert db.session.scalar(select(func.count()).select_from(LightboxItem)) == 0


def test_named_lightboxes_current_choice_rename_note_and_delete(client, member, library):
    page = soup(client.get("/lightboxes"))
    assert [a.get_text() for a in page.select(".lightbox-name")] == [lightboxes.DEFAULT_NAME]
    response = submit(client, page.select_one("form[action='/lightboxes']"), name="Monday story",
                      note="For the health desk")
    box = db.session.scalar(select(Lightbox).where(Lightbox.name == "Monday story"))
    assert response.headers["Location"] == f"/lightboxes/{box.id}"
    # The new one is now the one the buttons fill.
    page = soup(client.get(f"/assets/{library['plinth'].id}"))
    submit(client, toggle_form(page, library["plinth"].id))
    assert lightboxes.asset_ids(box) == {library["plinth"].id}
    assert lightboxes.asset_ids(lightboxes.default_for(member)) == set()
    # Rename and a note through the page's own form; a huge note is refused and nothing changes.
    page = soup(client.get(f"/lightboxes/{box.id}"))
    edit = page.select_one(f"form[action='/lightboxes/{box.id}']")
    huge = submit(client, edit, note="x" * (lightboxes.NOTE_LIMIT + 1))
    assert huge.status_code == 302
    assert "longer than 2000 characters" in client.get(huge.headers["Location"]).get_data(as_text=True)
    submit(client, edit, name="Tuesday story", note="Moved a day")
    db.session.refresh(box)
    assert (box.name, box.note) == ("Tuesday story", "Moved a day")
    assert submit(client, edit, name="  ").status_code == 302
    db.session.refresh(box)
    assert box.name == "Tuesday story"
    # Delete: the items go, and the buttons fill the default lightbox again.
    submit(client, page.select_one("form.delete-lightbox"))
    assert db.session.get(Lightbox, box.id) is None
    assert db.session.scalar(select(func.count()).select_from(LightboxItem)) == 0
    page = soup(client.get(f"/assets/{library['queue'].id}"))
    submit(client, toggle_form(page, library["queue"].id))
    assert lightboxes.asset_ids(lightboxes.default_for(member)) == {library["queue"].id}


def test_reorder_with_the_move_buttons_and_notes_per_item(client, member, library):
    box = lightboxes.default_for(member)
    ids = [library[k].id for k in ("borehole", "queue", "plinth")]
    lightboxes.add(member, box, ids)
    page = soup(client.get(f"/lightboxes/{box.id}"))
    assert [int(li["data-asset-id"]) for li in page.select(".lightbox-items > li")] == ids
    down = page.select_one(f"#item-{ids[0]} form[data-lightbox-action=move] input[name=offset][value='1']").parent
    submit(client, down)
    page = soup(client.get(f"/lightboxes/{box.id}"))
    assert [int(li["data-asset-id"]) for li in page.select(".lightbox-items > li")] == [ids[1], ids[0], ids[2]]
    # The JSON answer of the same form (what lightbox.js reads) gives the whole new order.
    up = page.select_one(f"#item-{ids[2]} form[data-lightbox-action=move] input[name=offset][value='-1']").parent
    assert submit(client, up, {"Accept": "application/json"}).json == {"order": [ids[1], ids[2], ids[0]]}
    note = page.select_one(f"#item-{ids[1]} form[data-lightbox-action=note]")
    submit(client, note, note="Use as the lead picture")
    assert "Use as the lead picture" in str(soup(client.get(f"/lightboxes/{box.id}")).select_one(f"#item-{ids[1]}"))
    too_long = submit(client, note, {"Accept": "application/json"}, note="n" * 501)
    assert too_long.status_code == 400 and too_long.json["error"]["field"] == "note"
    remove = page.select_one(f"#item-{ids[0]} form[data-lightbox-action=remove]")
    assert submit(client, remove, {"Accept": "application/json"}).json == {"count": 2}


def test_reorder_service_refuses_anything_but_every_item_once(app, make_user, library):
    user = make_user()
    box = lightboxes.default_for(user)
    ids = [library["borehole"].id, library["queue"].id]
    lightboxes.add(user, box, ids)
    for bad in ([ids[0]], [ids[0], ids[0]], [*ids, library["plinth"].id], "1,2", None):
        with pytest.raises(ValidationError):
            lightboxes.reorder(user, box, bad)
    assert lightboxes.reorder(user, box, ids[::-1]) == ids[::-1]


def test_other_users_lightboxes_are_404_everywhere(client, member, make_user, library, login_as):
    other = make_user()
    theirs = lightboxes.create(other, "Private picks")
    lightboxes.add(other, theirs, [library["borehole"].id])
    with pytest.raises(NotFound):
        lightboxes.get(member, theirs.id)
    for path in (f"/lightboxes/{theirs.id}", f"/download/lightboxes/{theirs.id}.zip",
                 f"/api/lightboxes/{theirs.id}"):
        assert client.get(path).status_code == 404, path
    for path in (f"/lightboxes/{theirs.id}", f"/lightboxes/{theirs.id}/delete",
                 f"/lightboxes/{theirs.id}/current", f"/lightboxes/{theirs.id}/links",
                 f"/lightboxes/{theirs.id}/items/{library['borehole'].id}/remove",
                 f"/lightboxes/{theirs.id}/items/{library['borehole'].id}/move"):
        assert client.post(path, data={"name": "Mine now", "offset": "1"}).status_code == 404, path
    assert client.delete(f"/api/lightboxes/{theirs.id}").status_code == 404
    db.session.refresh(theirs)
    assert theirs.name == "Private picks" and [i.asset_id for i in theirs.items] == [library["borehole"].id]
    # Staff are no exception: a lightbox is its owner's alone.
    login_as(make_user("editor"))
    assert client.get(f"/lightboxes/{theirs.id}").status_code == 404


def test_an_item_that_left_public_view_is_no_longer_available_not_leaked(client, member, library, make_user):
    box = lightboxes.default_for(member)
    lightboxes.add(member, box, [library["borehole"].id, library["queue"].id])
    editor = make_user("editor")
    asset_service.update_asset(library["queue"].id, {"status": "draft"}, editor)
    page = soup(client.get(f"/lightboxes/{box.id}"))
    gone = page.select_one(f"#item-{library['queue'].id}")
    assert "No longer available" in gone.get_text()
    assert "Queue" not in gone.get_text() and "tap stand" not in str(gone) and not gone.select("img")
    assert len(page.select(".lightbox-items > li")) == 2  # kept: it may come back
    body = client.get(f"/api/lightboxes/{box.id}").json["lightbox"]
    assert [(i["available"], i["asset"] is None) for i in body["items"]] == [(True, False), (False, True)]
    zf = zipfile.ZipFile(io.BytesIO(client.get(f"/download/lightboxes/{box.id}.zip?size=preview").data))
    assert zf.namelist() == [f"water-in-turkana-{library['borehole'].id}-small.jpg", "captions.csv"]


def test_lightbox_zip_across_galleries_with_captions_and_the_download_log(client, member, library):
    box = lightboxes.create(member, "Story picks")
    ids = [library["plinth"].id, library["borehole"].id]
    lightboxes.add(member, box, ids)
    page = soup(client.get(f"/lightboxes/{box.id}"))
    form = page.select_one("form#lightbox-download")
    assert [o["value"] for o in form.select("select[name=size] option")] == [
        "preview", "large", "web", "hd", "audio", "original"]
    with client.get(form["action"], query_string={"size": "preview", "use": "Press"}) as response:
        assert response.status_code == 200 and response.is_streamed
        assert response.headers["Content-Disposition"] == f'attachment; filename="lightbox-{box.id}-small.zip"'
        assert response.headers["Cache-Control"] == "private, no-store"
        zf = zipfile.ZipFile(io.BytesIO(response.data))
    names = [f"shelter-in-sylhet-{ids[0]}-small.jpg", f"water-in-turkana-{ids[1]}-small.jpg"]
    assert zf.namelist() == [*names, "captions.csv"]  # the lightbox's order, not the galleries'
    rows = list(csv.reader(io.StringIO(zf.read("captions.csv").decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == names
    assert rows[2][2] == "Women collect water in Lodwar." and rows[2][4] == "Amina Otieno"
    logged = db.session.execute(select(DownloadEvent.asset_id, DownloadEvent.via, DownloadEvent.user_id,
                                       DownloadEvent.intended_use, DownloadEvent.link_id)).all()
    assert sorted(logged) == sorted((i, "zip", member.id, "Press", None) for i in ids)


def test_lightbox_zip_refusals_bad_size_terms_and_parts(app, client, make_user, login_as, library):
    user = login_as(make_user())  # terms not accepted yet
    box = lightboxes.default_for(user)
    lightboxes.add(user, box, [library["borehole"].id, library["queue"].id, library["plinth"].id])
    response = client.get(f"/download/lightboxes/{box.id}.zip")
    assert response.status_code == 302 and "/terms/accept" in response.headers["Location"]
    terms.accept(user)
    bad = client.get(f"/download/lightboxes/{box.id}.zip?size=huge")
    assert bad.status_code == 302
    assert "Choose one of these sizes" in client.get(bad.headers["Location"]).get_data(as_text=True)
    app.config["MAX_ZIP_DOWNLOAD_FILES"] = 2
    whole = client.get(f"/download/lightboxes/{box.id}.zip?size=preview")
    assert "download it in 2 parts" in client.get(whole.headers["Location"]).get_data(as_text=True)
    second = client.get(f"/download/lightboxes/{box.id}.zip?size=preview&part=2")
    assert second.headers["Content-Disposition"].endswith(f'lightbox-{box.id}-small-part2-of-2.zip"')
    assert zipfile.ZipFile(io.BytesIO(second.data)).namelist() == [
        f"shelter-in-sylhet-{library['plinth'].id}-small.jpg", "captions.csv"]
    assert client.get(f"/download/lightboxes/{box.id}.zip?size=preview&part=abc").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(DownloadEvent)) == 1
    empty = lightboxes.create(user, "Empty")
    assert client.get(f"/download/lightboxes/{empty.id}.zip?size=preview").status_code == 302


def test_every_lightbox_form_carries_a_csrf_token_and_needs_it(app, make_user, library):
    from gallery import create_app

    config = {k: app.config[k] for k in ("DATABASE_URL", "UPLOAD_DIR", "SEARCH_INDEX_DIR")}
    other = create_app({**config, "TESTING": True, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": True})
    client = other.test_client()
    user = make_user()
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
    refused = client.post("/lightboxes/items", data={"asset_id": library["queue"].id})
    assert refused.status_code == 400
    page = soup(client.get(f"/assets/{library['queue'].id}"))
    form = toggle_form(page, library["queue"].id)
    assert form.select_one("input[name=csrf_token]")["value"]
    assert submit(client, form).status_code == 302
    box_page = soup(client.get("/lightboxes"))
    box_id = box_page.select_one(".lightbox-row")["data-lightbox-id"]
    forms = soup(client.get(f"/lightboxes/{box_id}")).select("main form[method=post]")
    assert len(forms) >= 6 and all(f.select_one("input[name=csrf_token]")["value"] for f in forms)
    other.extensions["db_engine"].dispose()


def test_lightbox_page_reads_a_fixed_number_of_queries(client, member, library, make_asset, count_queries):
    box = lightboxes.default_for(member)
    lightboxes.add(member, box, [library["borehole"].id])
    client.get(f"/lightboxes/{box.id}")
    with count_queries() as few:
        client.get(f"/lightboxes/{box.id}")
    more = [make_asset(library["water"]).id for _ in range(5)]
    lightboxes.add(member, box, more)
    with count_queries() as many:
        assert client.get(f"/lightboxes/{box.id}").status_code == 200
    assert many.count == few.count, many.statements


def test_asset_queries_stay_out_of_deleted_assets(client, member, library, make_user):
    """A trashed asset leaves the lightbox page's view but its row stays until the trash is emptied."""
    box = lightboxes.default_for(member)
    lightboxes.add(member, box, [library["plinth"].id])
    from gallery.services import trash

    trash.trash_asset(library["plinth"].id, make_user("editor"))
    page = soup(client.get(f"/lightboxes/{box.id}"))
    assert "No longer available" in page.select_one(".lightbox-items").get_text()
    assert db.session.get(Asset, library["plinth"].id) is not None


def test_a_download_token_manages_its_lightboxes_and_downloads_them_as_json_errors(client, app, make_user, library):
    from gallery.services import apitokens

    user = make_user()
    auth = {"Authorization": "Bearer " + apitokens.create_token(user, "script", user)[1]}
    made = client.post("/api/lightboxes", json={"name": "From a script"}, headers=auth)
    assert made.status_code == 201
    box = made.json["lightbox"]["id"]
    added = client.post(f"/api/lightboxes/{box}/items", json={"asset_ids": [library["queue"].id] * 2},
                        headers=auth)
    assert [i["asset_id"] for i in added.json["lightbox"]["items"]] == [library["queue"].id]
    # The token still may not edit the catalogue, and a zip needs the terms accepted first.
    assert client.patch(f"/api/assets/{library['queue'].id}", json={"title": "x"}, headers=auth).status_code == 403
    refused = client.get(f"/download/lightboxes/{box}.zip", headers=auth)
    assert refused.status_code == 403 and "terms" in refused.json["error"]["message"]
    terms.accept(user)
    bad = client.get(f"/download/lightboxes/{box}.zip?size=huge", headers=auth)
    assert bad.status_code == 400 and bad.json["error"]["field"] == "size"
    with client.get(f"/download/lightboxes/{box}.zip?size=preview", headers=auth) as response:
        assert response.status_code == 200 and response.mimetype == "application/zip"
