"""Manage pages: access for each route, forms, trash, categories, site texts, tokens, activity."""
from __future__ import annotations

import io

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from gallery.extensions import db
from gallery.models import ApiToken, Asset, Category, Gallery, SiteText
from gallery.services import apitokens, assets, galleries, sitetext, storage, trash
from tests.conftest import image_bytes

ADMIN_ONLY = ("manage.trash_action", "manage.empty_trash", "manage.categories_page",
              "manage.add_category", "manage.rename_category", "manage.move_category",
              "manage.order_categories", "manage.merge_category", "manage.texts", "manage.edit_text")


def soup(response):
    return BeautifulSoup(response.data, "html.parser")


@pytest.fixture
def world(make_gallery, make_asset, editor):
    """A gallery with two assets, a trashed gallery, a category and a token, for URL building."""
    gallery = make_gallery(title="World")
    asset = make_asset(gallery)
    make_asset(gallery)
    trashed = make_gallery(title="Trashed")
    trash.trash_gallery(trashed.id, editor)
    row, _ = apitokens.create_token(editor, "w", editor)
    category = db.session.scalar(select(Category).where(Category.name == "Health"))
    return {"gallery_id": gallery.id, "asset_id": asset.id, "category_id": category.id,
            "item_id": trashed.id, "kind": "galleries", "action": "restore", "key": "terms",
            "token_id": row.id}


def staff_requests(app, world):
    """Every (method, url, endpoint) of the manage and token blueprints."""
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in ("manage", "tokens"):
            continue
        values = {name: world[name] for name in rule.arguments}
        url = rule.build(values)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((method, url, rule.endpoint))
    assert len(out) > 30
    return out


def test_anonymous_visitors_are_sent_to_log_in(app, client, world):
    for method, url, _ in staff_requests(app, world):
        response = client.open(url, method=method)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login"), url


def test_members_get_403_everywhere(app, client, world, member, login_as):
    login_as(member)
    for method, url, endpoint in staff_requests(app, world):
        if endpoint.startswith("tokens."):
            continue  # members hold download tokens (tests/test_download_tokens.py)
        assert client.open(url, method=method).status_code == 403, (method, url)
    db.session.expire_all()
    assert db.session.get(Gallery, world["item_id"]).deleted_at is not None  # nothing restored
    # Someone else's token is not the member's to revoke.
    assert client.post(f"/account/tokens/{world['token_id']}/revoke").status_code == 404
    assert db.session.get(ApiToken, world["token_id"]).revoked_at is None


def test_editors_get_403_on_admin_pages(app, client, world, editor, login_as):
    login_as(editor)
    for method, url, endpoint in staff_requests(app, world):
        if endpoint in ADMIN_ONLY:
            assert client.open(url, method=method).status_code == 403, (method, url)


def test_dashboard_lists_drafts_with_edit_and_manage_links(client, editor, login_as, make_gallery):
    make_gallery(title="Public one")
    draft = make_gallery(title="Secret draft", status="draft")
    trashed = make_gallery(title="Binned")
    trash.trash_gallery(trashed.id, editor)
    login_as(editor)
    page = soup(client.get("/manage/"))
    rows = {r.select_one(".manage-link").get_text(): r for r in page.select("tr.gallery-row")}
    assert set(rows) == {"Public one", "Secret draft"}
    assert rows["Secret draft"].select_one(".status").get_text() == "draft"
    assert rows["Secret draft"].select_one("a.edit-link")["href"] == f"/manage/galleries/{draft.id}/edit"
    drafts = soup(client.get("/manage/?status=draft"))
    assert [a.get_text() for a in drafts.select(".manage-link")] == ["Secret draft"]


def test_edit_gallery_form_saves_and_reports_field_errors(client, editor, login_as, make_gallery):
    gallery = make_gallery(title="Before")
    login_as(editor)
    form = soup(client.get(f"/manage/galleries/{gallery.id}/edit"))
    assert form.select_one("#f-title")["value"] == "Before"
    assert form.select_one("#f-country option[selected]")["value"] == "KEN"
    bad = client.post(f"/manage/galleries/{gallery.id}/edit", data={
        "title": "After", "category": "1", "country": "Nowhereland", "credit": "", "date": "",
        "description": ""})
    assert bad.status_code == 400
    page = soup(bad)
    assert page.select_one("#f-country")["aria-invalid"] == "true"
    assert page.select_one("#country-error").get_text() == "Unknown country: Nowhereland"
    assert page.select_one("#f-title")["value"] == "After"  # what was typed is kept
    assert db.session.get(Gallery, gallery.id).title == "Before"
    ok = client.post(f"/manage/galleries/{gallery.id}/edit", data={
        "title": "After", "category": "1", "country": "UGA", "credit": "IOM", "date": "2024-05-01",
        "description": "Text"})
    assert ok.status_code == 302
    db.session.expire_all()
    gallery = db.session.get(Gallery, gallery.id)
    assert (gallery.title, gallery.country_code, gallery.credit) == ("After", "UGA", "IOM")


def test_publish_pick_and_cover_forms(client, editor, login_as, make_gallery, make_asset):
    gallery = make_gallery(title="Draft first", status="draft")
    _first, second = make_asset(gallery), make_asset(gallery)
    login_as(editor)
    page = soup(client.get(f"/manage/galleries/{gallery.id}"))
    assert page.select_one(".status-form button").get_text() == "Publish"
    client.post(f"/manage/galleries/{gallery.id}/status", data={"status": "published"})
    assert db.session.get(Gallery, gallery.id).status == "published"
    client.post(f"/manage/galleries/{gallery.id}/pick", data={"editors_pick": "1", "pick_position": "4"})
    assert (gallery.editors_pick, gallery.pick_position) == (True, 4)
    client.post(f"/manage/galleries/{gallery.id}/pick", data={"editors_pick": "0"})
    assert gallery.editors_pick is False
    # As a browser sends a page with a hidden "0" before the ticked box: both values, in that order.
    client.post(f"/manage/galleries/{gallery.id}/pick", data={"editors_pick": ["0", "1"], "pick_position": "2"})
    assert (gallery.editors_pick, gallery.pick_position) == (True, 2)
    client.post(f"/manage/galleries/{gallery.id}/pick", data={})
    assert gallery.editors_pick is False
    cover_page = soup(client.get(f"/manage/galleries/{gallery.id}/cover"))
    assert len(cover_page.select("input[name=cover_asset_id]")) == 3
    client.post(f"/manage/galleries/{gallery.id}/cover", data={"cover_asset_id": str(second.id)})
    assert gallery.cover_asset_id == second.id
    page = soup(client.get(f"/manage/galleries/{gallery.id}"))
    assert page.select_one(f"#asset-{second.id} .badge").get_text() == "cover"


def test_delete_needs_confirmation_then_goes_to_trash(client, editor, admin, login_as, make_gallery, make_asset):
    gallery = make_gallery(title="Delete me")
    make_asset(gallery)
    login_as(editor)
    confirm = soup(client.get(f"/manage/galleries/{gallery.id}/delete"))
    assert confirm.select_one("form.confirm-delete button").get_text() == "Move to trash"
    assert db.session.get(Gallery, gallery.id).deleted_at is None
    client.post(f"/manage/galleries/{gallery.id}/delete")
    public = client.application.test_client()
    assert public.get(f"/galleries/{gallery.id}-{gallery.slug}").status_code == 404
    trash = soup(client.get("/manage/trash"))
    assert trash.select_one(".trash-galleries .title").get_text() == "Delete me"
    assert not trash.select(".trash-galleries form")  # editors cannot restore
    login_as(admin)
    trash = soup(client.get("/manage/trash"))
    restore = trash.select_one(".trash-galleries form[action$='/restore']")["action"]
    assert client.post(restore).status_code == 302
    assert public.get(f"/galleries/{gallery.id}-{gallery.slug}").status_code == 200


def test_admin_purges_and_empties_trash_removing_files(client, editor, admin, login_as, make_gallery, make_asset):
    gallery = make_gallery()
    doomed = make_asset(gallery)
    other = make_asset(make_gallery(title="Other"))
    keys = [doomed.storage_key] + [r.storage_key for r in doomed.renditions]
    trash.trash_asset(doomed.id, editor)
    trash.trash_gallery(other.gallery_id, editor)
    login_as(admin)
    page = soup(client.get("/manage/trash"))
    purge = page.select_one(f".trash-assets li[data-asset-id='{doomed.id}'] form[action$='/purge']")
    client.post(purge["action"])
    assert db.session.get(Asset, doomed.id) is None
    assert not any(storage.exists(k) for k in keys)
    client.post("/manage/trash/empty")
    assert db.session.get(Gallery, other.gallery_id) is None
    assert not storage.exists(other.storage_key)


def test_asset_edit_form_and_sensitive_tile(client, editor, member, login_as, make_gallery, make_asset):
    gallery = make_gallery()
    asset = make_asset(gallery, caption="Before")
    login_as(editor)
    form = soup(client.get(f"/manage/assets/{asset.id}/edit"))
    assert form.select_one("#f-caption").get_text() == "Before"
    assert form.select_one("input[name=consent][checked]")["value"] == "unknown"
    response = client.post(f"/manage/assets/{asset.id}/edit", data={
        "title": "T", "caption": "After", "alt_text": "Alt", "credit": "C", "creator": "Cr",
        "copyright": "©", "keywords": "a, b", "city": "Goma", "country": "COD",
        "date_taken": "2022-02-02", "consent": "not_needed", "sensitive": "1", "status": "published"})
    assert response.status_code == 302
    assert (asset.caption, asset.keywords, asset.consent, asset.sensitive) == ("After", ["a", "b"], "not_needed", True)
    bad = client.post(f"/manage/assets/{asset.id}/edit", data={"consent": "obtained", "date_taken": "02/02/2022"})
    assert bad.status_code == 400
    assert soup(bad).select_one("#date_taken-error")
    login_as(member)
    public = soup(client.get(f"/galleries/{gallery.id}-{gallery.slug}"))
    tile = public.select_one(f"[data-asset-id='{asset.id}']")
    assert "is-sensitive" in tile["class"]
    assert tile.select_one(".sensitive-note")
    assert not public.select(".manage-link")  # staff controls never render for members


def test_move_replace_and_delete_asset_forms(client, editor, login_as, make_gallery, make_asset):
    source, target = make_gallery(title="Source"), make_gallery(title="Target")
    asset = make_asset(source, caption="Kept")
    login_as(editor)
    form = soup(client.get(f"/manage/assets/{asset.id}/edit"))
    assert [o.get_text() for o in form.select("#move-gallery option")] == ["Target"]
    client.post(f"/manage/assets/{asset.id}/move", data={"gallery_id": str(target.id)})
    assert asset.gallery_id == target.id
    upload = {"file": (io.BytesIO(image_bytes(size=(300, 200), color=(5, 6, 7))), "new.png")}
    response = client.post(f"/manage/assets/{asset.id}/replace", data=upload,
                           content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    asset = db.session.get(Asset, asset.id)
    assert (asset.original_filename, asset.width, asset.caption) == ("new.png", 300, "Kept")
    bad = client.post(f"/manage/assets/{asset.id}/replace", content_type="multipart/form-data",
                      data={"file": (io.BytesIO(b"nope"), "x.jpg")})
    assert bad.status_code == 415 and soup(bad).select_one(".form-error")
    client.post(f"/manage/assets/{asset.id}/delete")
    assert db.session.get(Asset, asset.id).deleted_at is not None


def test_bulk_form_and_move_buttons(client, editor, login_as, make_gallery, make_asset):
    gallery = make_gallery()
    a, b, c = (make_asset(gallery) for _ in range(3))
    login_as(editor)
    page = soup(client.get(f"/manage/galleries/{gallery.id}"))
    assert [li["data-asset-id"] for li in page.select("li.manage-asset")] == [str(a.id), str(b.id), str(c.id)]
    assert page.select_one(f"#asset-{a.id} button[value=up]").has_attr("disabled")
    client.post(f"/manage/galleries/{gallery.id}/bulk", data={
        "asset_ids": [str(a.id), str(c.id)], "apply_credit": "1", "credit": "WFP",
        "apply_keywords": "1", "keywords": "food", "keywords_mode": "replace", "status": "draft"})
    assert (a.credit, c.credit, b.credit) == ("WFP", "WFP", "")
    assert a.keywords == ["food"] and a.status == "draft" and b.status == "published"
    move = page.select_one(f"#asset-{c.id} button[value=up]")
    client.post(move["formaction"], data={"direction": "up"})
    page = soup(client.get(f"/manage/galleries/{gallery.id}"))
    assert [li["data-asset-id"] for li in page.select("li.manage-asset")] == [str(a.id), str(c.id), str(b.id)]
    nothing = client.post(f"/manage/galleries/{gallery.id}/bulk", data={"apply_credit": "1", "credit": "X"},
                          follow_redirects=True)
    assert "Select at least one asset." in soup(nothing).select_one(".flash-error").get_text()


def test_categories_admin(client, admin, login_as, make_gallery, make_asset):
    gallery = make_gallery(category="Health")
    make_asset(gallery)
    login_as(admin)
    client.post("/manage/categories", data={"name": "Water and Sanitation"})
    new = db.session.scalar(select(Category).where(Category.name == "Water and Sanitation"))
    assert new.slug == "water-and-sanitation"
    dup = client.post("/manage/categories", data={"name": "health"}, follow_redirects=True)
    assert "already exists" in soup(dup).select_one(".flash-error").get_text()
    health = db.session.scalar(select(Category).where(Category.name == "Health"))
    client.post(f"/manage/categories/{health.id}/rename", data={"name": "Health and Wellbeing"})
    assert health.name == "Health and Wellbeing"
    client.post(f"/manage/categories/{new.id}/position", data={"direction": "up"})
    names = [i["value"] for i in soup(client.get("/manage/categories")).select(".category-list input[name=name]")]
    assert names[-2:] == ["Water and Sanitation", "Media and Communications"]
    client.post(f"/manage/categories/{health.id}/merge", data={"target": str(new.id)})
    db.session.expire_all()
    assert db.session.get(Gallery, gallery.id).category_id == new.id
    assert db.session.get(Category, health.id) is None


def test_site_text_admin_renders_markdown_safely(client, admin, login_as):
    login_as(admin)
    body = ("# Terms\n\nUse **freely**. [ok](https://example.org) [bad](javascript:alert(1))\n\n"
            "<script>alert('x')</script>\n\n<b onclick=\"x()\">raw</b>")
    assert sitetext.terms_version() == 1  # the built-in terms
    client.post("/manage/texts/terms", data={"title": "Terms of use", "body": body})
    text = db.session.get(SiteText, "terms")
    assert (text.version, text.body) == (2, body)
    page = soup(client.get("/manage/texts/terms"))
    rendered = page.select_one(".text-preview .rendered")
    assert rendered.select_one("h1").get_text() == "Terms"
    assert rendered.select_one("strong").get_text() == "freely"
    assert not rendered.select("script") and not rendered.select("b")
    hrefs = [a.get("href") for a in rendered.select("a")]
    assert hrefs[0] == "https://example.org" and all("javascript" not in (h or "") for h in hrefs)
    assert "<script>alert('x')</script>" in rendered.get_text()  # shown as text, not run
    client.post("/manage/texts/terms", data={"title": "Terms of use", "body": body})
    assert db.session.get(SiteText, "terms").version == 2  # unchanged text keeps its version
    client.post("/manage/texts/terms", data={"title": "Terms of use", "body": body + "\n\nNew clause."})
    assert sitetext.terms_version() == 3
    assert client.get("/manage/texts/contact").status_code == 404


@pytest.mark.parametrize("source, forbidden", [
    ("<script>alert(1)</script>", "script"),
    ("<iframe src='https://evil.example'></iframe>", "iframe"),
    ("<img src=x onerror=alert(1)>", "img"),
    ("[x](javascript:alert(1))", "a[href^=javascript]"),
    ("[x](JaVaScRiPt:alert(1))", "a[href]"),
    ("<a href='https://ok.example'>raw link</a>", "a"),
    ("![i](javascript:alert(1))", "img"),
])
def test_markdown_sanitising(app, source, forbidden):
    html = BeautifulSoup(str(sitetext.render_markdown(source)), "html.parser")
    assert not html.select(forbidden)


def test_activity_pages(client, editor, login_as, make_gallery, make_asset):
    gallery = make_gallery(title="Logged")
    asset = make_asset(gallery, caption="One")
    assets.update_asset(asset.id, {"caption": "Two"}, editor)
    galleries.update_gallery(gallery.id, {"credit": "Someone"}, editor)
    login_as(editor)
    page = soup(client.get(f"/manage/galleries/{gallery.id}/activity"))
    actions = [row["data-action"] for row in page.select("tr.activity-entry")]
    assert actions == ["gallery.update", "asset.update"]
    assert page.select_one("tr.activity-entry .who").get_text() == editor.email
    asset_page = soup(client.get(f"/manage/assets/{asset.id}/activity"))
    change = asset_page.select_one("tr.activity-entry .details li").get_text()
    assert change == "caption: One → Two"


def test_tokens_page_shows_a_new_token_once_and_revokes(client, editor, member, login_as, make_gallery):
    gallery = make_gallery()
    login_as(editor)
    created = client.post("/account/tokens/", data={"name": "Laptop"})
    assert created.headers["Cache-Control"] == "no-store"
    token = soup(created).select_one("#new-token").get_text()
    assert token.startswith("gal_")
    listing = client.get("/account/tokens/")
    assert token not in listing.get_data(as_text=True)
    account = soup(client.get("/account"))
    row = account.select_one(".api-tokens tr.token-row")
    assert row.select_one("td").get_text() == "Laptop"
    other = client.application.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    assert other.patch(f"/api/galleries/{gallery.id}", json={"credit": "x"}, headers=auth).status_code == 200
    client.post(row.select_one("form")["action"], data={"next": "/account"})
    assert db.session.scalar(select(ApiToken).where(ApiToken.name == "Laptop")).revoked_at is not None
    assert other.patch(f"/api/galleries/{gallery.id}", json={"credit": "y"}, headers=auth).status_code == 401
    login_as(member)
    section = soup(client.get("/account")).select_one(".api-tokens")
    assert "download token" in section.get_text() and not section.select("#token-scope")


def test_about_and_help_pages_show_the_built_in_text_until_an_admin_writes_them(client, admin, login_as):
    home = soup(client.get("/"))
    footer = [a.get("href") for a in home.select(".site-footer a")]
    assert "/about" in footer and "/help" in footer
    page = soup(client.get("/help"))
    assert page.select_one("h1").get_text() == "Help"
    assert "accents are optional" in page.select_one(".site-text-body").get_text()
    assert not page.select(".site-text-version")  # no version: nobody accepts a help page
    assert client.get("/about").status_code == 200

    login_as(admin)
    client.post("/manage/texts/about", data={"title": "About the library",
                                             "body": "Run by the **media team**."})
    client.post("/logout")
    page = soup(client.get("/about"))
    assert page.select_one("h1").get_text() == "About the library"
    assert page.select_one(".site-text-body strong").get_text() == "media team"
    assert sitetext.terms_version() == 1  # other texts do not touch the terms' version
