"""Press-kit recipients say who they are on the terms step; staff see it with each download; a
link dies with its maker's account (deactivated, demoted from staff or deleted)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from gallery.extensions import db
from gallery.models import DownloadEvent, LightboxLink, PressKitAcceptance, User
from gallery.services import lightboxes
from tests.test_lightbox_links import RECIPIENT, library, make_link, path_of, soup  # noqa: F401
from tests.test_lightboxes import submit


@pytest.fixture
def editor(make_user, login_as):
    return login_as(make_user("editor", name="Eda Editor"))


@pytest.fixture
def kit(editor, library):  # noqa: F811
    box = lightboxes.create(editor, "Turkana press kit", "")
    lightboxes.add(editor, box, [library["public"].id, library["not_needed"].id])
    return box


def terms_form(client, url):
    form = soup(client.get(url)).select_one(".press-terms form")
    assert form is not None
    return form


@pytest.mark.parametrize("changes, message", [
    ({"name": ""}, "Your name cannot be empty"),
    ({"name": "   "}, "Your name cannot be empty"),
    ({"name": "N" * 121}, "Your name is longer than 120 characters"),
    ({"organisation": "O" * 121}, "Organisation is longer than 120 characters"),
    ({"use": ""}, "Say what you will use these files for"),
    ({"use": "Espionage"}, "Intended use must be one of"),
    ({"accept": ""}, "Tick the box"),
])
def test_recipient_details_are_required_and_checked(app, client, editor, kit, changes, message):
    url = path_of(make_link(client, kit, kind="presskit", sizes=["preview"]))
    recipient = app.test_client()
    response = submit(recipient, terms_form(recipient, url), **{**RECIPIENT, **changes})
    assert response.status_code == 302
    page = recipient.get(url)
    assert message in page.get_data(as_text=True)
    # Refused: nothing recorded, no downloads offered, and what was typed is still in the form.
    assert db.session.scalar(select(PressKitAcceptance)) is None
    form = soup(page).select_one(".press-terms form")
    assert not soup(page).select(".press-files a")
    typed = (RECIPIENT | changes)["organisation"][:120]
    assert form.select_one("input[name=organisation]")["value"] == typed


def test_the_rendered_form_asks_name_organisation_and_use(app, client, editor, kit):
    url = path_of(make_link(client, kit, kind="presskit", sizes=["preview"]))
    form = terms_form(app.test_client(), url)
    name = form.select_one("input[name=name]")
    assert name.has_attr("required") and name["maxlength"] == "120"
    assert not form.select_one("input[name=organisation]").has_attr("required")
    use = form.select_one("select[name=use]")
    assert use.has_attr("required")
    assert [o["value"] for o in use.select("option")][1:] == ["Press", "Web", "Print", "TV", "Internal", "Other"]
    assert {label.get_text(" ", strip=True) for label in form.select("label")} >= {
        "Your name", "Organisation (optional)", "Intended use", "I accept the terms of use"}


def test_staff_see_who_downloaded_what_and_when(app, client, editor, kit, library, make_user, login_as):  # noqa: F811
    url = path_of(make_link(client, kit, kind="presskit", sizes=["preview"], label="Daily Example"))
    link = db.session.scalar(select(LightboxLink))
    jo, sam = app.test_client(), app.test_client()
    hostile = '<script>alert("x")</script> Ünïcode'
    submit(jo, terms_form(jo, url), **RECIPIENT)
    submit(sam, terms_form(sam, url), **{**RECIPIENT, "name": hostile, "organisation": "", "use": "tv"})
    accepted = db.session.execute(select(PressKitAcceptance.name, PressKitAcceptance.organisation,
                                         PressKitAcceptance.intended_use)
                                  .order_by(PressKitAcceptance.id)).all()
    assert accepted == [("Jo Reporter", "Daily Example", "Press"), (hostile, "", "TV")]
    public = library["public"].id
    jo.get(f"{url}/files/{public}/preview").close()
    sam.get(f"{url}/zip?size=preview").close()
    # The download log carries the recipient's use, as the site's other downloads do.
    assert sorted(db.session.scalars(select(DownloadEvent.intended_use))) == ["Press", "TV", "TV"]
    # Staff: from the list to the press kit's downloads, newest first, the name escaped.
    staff = soup(client.get("/manage/press-kits"))
    details = staff.select_one(f"tr[data-link-id='{link.id}'] a[href$='/manage/press-kits/{link.id}']")
    assert details is not None
    response = client.get(details["href"])
    assert response.status_code == 200
    assert b"<script>alert" not in response.data
    rows = [[td.get_text(" ", strip=True) for td in tr.select("td")]
            for tr in soup(response).select("tr.download-row")]
    assert [r[1:] for r in rows] == [
        [hostile, "—", "TV", "Pump", "Small", "zip"],
        [hostile, "—", "TV", "Borehole", "Small", "zip"],
        ["Jo Reporter", "Daily Example", "Press", "Borehole", "Small", "file"],
    ]
    # Members may not look; a share link or an unknown id is no press kit.
    share = path_of(make_link(client, kit, kind="share"))
    share_id = db.session.scalar(select(LightboxLink.id).where(LightboxLink.kind == "share"))
    assert client.get(f"/manage/press-kits/{share_id}").status_code == 404
    assert client.get("/manage/press-kits/99999").status_code == 404
    assert share.startswith("/shared/")
    login_as(make_user())
    assert client.get(f"/manage/press-kits/{link.id}").status_code == 403


def test_an_acceptance_opens_only_its_own_link(app, client, editor, kit, library):  # noqa: F811
    first = path_of(make_link(client, kit, kind="presskit", sizes=["preview"]))
    second = path_of(make_link(client, kit, kind="presskit", sizes=["preview"]))
    recipient = app.test_client()
    submit(recipient, terms_form(recipient, first), **RECIPIENT)
    links = db.session.scalars(select(LightboxLink).order_by(LightboxLink.id)).all()
    # A session that claims the first link's acceptance for the second is asked again.
    with recipient.session_transaction() as session:
        row = session["press_kits"][str(links[0].id)]
        session["press_kits"] = {**session["press_kits"], str(links[1].id): row}
    assert recipient.get(f"{second}/files/{library['public'].id}/preview").headers["Location"] == second
    assert recipient.get(f"{first}/files/{library['public'].id}/preview").status_code == 200


def _admin_sets_active(client, login_as, make_user, user, active: str):
    login_as(make_user("admin"))
    assert client.post(f"/admin/users/{user.id}/active", data={"active": active}).status_code == 303
    db.session.expire_all()


def test_links_die_with_a_deactivated_account_at_once(app, client, editor, kit, library, make_user, login_as):  # noqa: F811
    press = path_of(make_link(client, kit, kind="presskit", sizes=["preview"]))
    share = path_of(make_link(client, kit, kind="share"))
    recipient = app.test_client()
    submit(recipient, terms_form(recipient, press), **RECIPIENT)
    file_url = f"{press}/files/{library['public'].id}/preview"
    assert recipient.get(file_url).status_code == 200
    _admin_sets_active(client, login_as, make_user, editor, "0")
    for url in (press, share, file_url, f"{press}/zip?size=preview"):
        gone = recipient.get(url)
        assert gone.status_code == 410, url
        assert "This link's owner no longer has an account." in soup(gone).get_text()
    assert recipient.post(f"{press}/accept", data=RECIPIENT).status_code == 410
    # Staff see it as closed; revoking it makes it permanent.
    login_as(make_user("editor"))
    states = [r.select_one(".link-state").get_text()
              for r in soup(client.get("/manage/press-kits")).select("tr.link-row")]
    assert states == ["Closed"]
    # Reactivated (an admin's mistake undone): the links open again, as API tokens do.
    _admin_sets_active(client, login_as, make_user, editor, "1")
    assert recipient.get(share).status_code == 200
    assert recipient.get(file_url).status_code == 200


def test_a_press_kit_dies_when_its_maker_is_no_longer_staff(app, client, editor, kit, make_user, login_as):
    press = path_of(make_link(client, kit, kind="presskit", sizes=["preview"]))
    share = path_of(make_link(client, kit, kind="share"))
    login_as(make_user("admin"))
    assert client.post(f"/admin/users/{editor.id}/role", data={"role": "member"}).status_code == 303
    db.session.expire_all()
    visitor = app.test_client()
    ended = visitor.get(press)
    assert ended.status_code == 410 and "no longer available" in ended.get_data(as_text=True)
    assert visitor.get(share).status_code == 200  # any member may share


def test_links_die_with_a_deleted_account(app, client, editor, kit):
    press = path_of(make_link(client, kit, kind="presskit", sizes=["preview"]))
    share = path_of(make_link(client, kit, kind="share"))
    db.session.delete(db.session.get(User, editor.id))
    db.session.commit()
    # The account's lightboxes go with it, and so do their links; their tokens still name the
    # (signed) owner, who no longer exists: 410, as for a deactivated account.
    visitor = app.test_client()
    for url in (press, share):
        gone = visitor.get(url)
        assert gone.status_code == 410
        assert "This link's owner no longer has an account." in soup(gone).get_text()
    assert db.session.scalar(select(LightboxLink)) is None


def test_a_kit_bigger_than_one_zip_offers_its_parts(app, client, editor, kit, library):  # noqa: F811
    app.config["MAX_ZIP_DOWNLOAD_FILES"] = 1
    url = path_of(make_link(client, kit, kind="presskit", sizes=["preview"]))
    recipient = app.test_client()
    submit(recipient, terms_form(recipient, url), **RECIPIENT)
    form = soup(recipient.get(url)).select_one("form.press-zip")
    # Without a choice of part the recipient would only be told to add part=2 to the address.
    assert [o["value"] for o in form.select("select[name=part] option")] == ["1", "2"]
    with recipient.get(form["action"], query_string={"size": "preview", "part": "2"}) as response:
        assert response.status_code == 200
        assert f"-{library['not_needed'].id}-small.jpg".encode() in response.data
        assert f"-{library['public'].id}-small.jpg".encode() not in response.data
