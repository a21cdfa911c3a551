"""Shared lightbox links and press-kit links: who sees what, terms, downloads logged, expiry and revocation."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from gallery import clock
from gallery.extensions import db
from gallery.models import DownloadEvent, LightboxLink, PressKitAcceptance
from gallery.services import apitokens, lightbox_links, lightboxes, sitetext, terms
from tests.test_lightboxes import submit

# What a recipient types on a press kit's terms step.
RECIPIENT = {"accept": "yes", "name": "Jo Reporter", "organisation": "Daily Example", "use": "Press"}


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.data, "html.parser")


@pytest.fixture
def library(make_gallery, make_asset, make_user):
    from gallery.services import assets

    water = make_gallery(title="Water in Turkana", credit="Example Relief Agency")
    draft = make_gallery(title="Field notes", status="draft")
    staff = make_user("editor")

    def made(gallery, consent=None, sensitive=False, **fields):
        asset = make_asset(gallery, **fields)
        changes = {"consent": consent} if consent else {}
        if sensitive:
            changes["sensitive"] = True
        return assets.update_asset(asset.id, changes, staff) if changes else asset

    return {
        "public": made(water, title="Borehole", caption="Women collect water in Lodwar.",
                       consent="obtained", creator="Amina Otieno"),
        "not_needed": made(water, title="Pump", caption="The hand pump.", consent="not_needed"),
        "unknown": made(water, title="Queue", caption="A queue at the tap stand."),
        "sensitive": made(water, title="Clinic", caption="A patient at the clinic.",
                          consent="obtained", sensitive=True),
        "draft": made(draft, title="Notes", caption="Unpublished notes.", consent="obtained"),
    }


@pytest.fixture
def editor(make_user, login_as):
    return login_as(make_user("editor", name="Eda Editor"))


@pytest.fixture
def kit(editor, library):
    """An editor's lightbox of every kind of item."""
    box = lightboxes.create(editor, "Turkana press kit", "Water story, March")
    lightboxes.add(editor, box, [a.id for a in library.values()])
    return box


def make_link(client, box, **fields):
    """Make a link with the lightbox page's own form; returns its address shown once."""
    form = soup(client.get(f"/lightboxes/{box.id}")).select_one("form.link-form")
    response = submit(client, form, **fields)
    assert response.status_code == 200, response.data[:500]
    shown = soup(response).select_one("#new-link-url")
    assert shown is not None, soup(response).select_one(".flashes")
    return shown.get_text()


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def test_shared_link_shows_each_viewer_what_they_may_see(app, client, editor, kit, library, make_user, login_as):
    url = make_link(client, kit, kind="share", label="For the desk")
    token = url.rsplit("/", 1)[-1]
    link = db.session.scalar(select(LightboxLink))
    # Only a hash is stored, and the token is long and random.
    assert link.token_hash == apitokens.hash_token(token) and token not in link.token_hash
    assert len(token) >= 40 and link.kind == "share"
    # Shown once: the lightbox page afterwards lists the link but not its address.
    listing = client.get(f"/lightboxes/{kit.id}").get_data(as_text=True)
    assert token not in listing and "For the desk" in listing
    # A visitor: the public items, the rest "no longer available" without a word about them.
    visitor = app.test_client()
    response = visitor.get(path_of(url))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    page = soup(response)
    text = page.select_one(".shared-items").get_text(" ")
    # The draft is gone for a visitor; consent unknown is public (PUBLISH_UNKNOWN_CONSENT), and
    # the sensitive item is shown blurred, as everywhere else.
    assert text.count("No longer available") == 1
    assert "Unpublished notes" not in page.get_text() and "Notes" not in text
    images = [img["src"] for img in page.select(".shared-items img")]
    assert len(images) == 4 and any("blurred" in src for src in images)
    # The editor who opens it sees the draft too: their own rights, not the link's.
    staff_page = soup(client.get(path_of(url)))
    assert "No longer available" not in staff_page.select_one(".shared-items").get_text()
    # No writing through a shared link: there are no forms on it.
    assert not page.select("main form[method=post]")


def test_unknown_revoked_and_expired_links_are_clear_pages(app, client, editor, kit, monkeypatch):
    visitor = app.test_client()
    unknown = visitor.get("/shared/not-a-real-token")
    assert unknown.status_code == 404 and "copied whole" in unknown.get_data(as_text=True)
    assert visitor.get("/shared/" + "x" * 500).status_code == 404
    tomorrow = (clock.today() + dt.timedelta(days=1)).isoformat()
    url = path_of(make_link(client, kit, kind="share", expires_on=tomorrow))
    assert visitor.get(url).status_code == 200
    # Still open on its last day; gone at midnight UTC after it, with no waiting.
    end = dt.datetime.combine(clock.today() + dt.timedelta(days=2), dt.time())
    monkeypatch.setattr(clock, "now", lambda: end - dt.timedelta(seconds=1))
    assert visitor.get(url).status_code == 200
    monkeypatch.setattr(clock, "now", lambda: end)
    expired = visitor.get(url)
    assert expired.status_code == 410 and "has expired" in expired.get_data(as_text=True)
    monkeypatch.undo()
    # Revoked: at once.
    url = path_of(make_link(client, kit, kind="share"))
    assert visitor.get(url).status_code == 200
    page = soup(client.get(f"/lightboxes/{kit.id}"))
    live = [r for r in page.select("tr.link-row") if r.select_one(".link-state").get_text() == "Live"]
    submit(client, live[0].select_one("form"))
    gone = visitor.get(url)
    assert gone.status_code == 410 and "withdrawn" in gone.get_data(as_text=True)


@pytest.mark.parametrize("expires_on, message", [
    ("2001-01-01", "in the past"), ("soon", "must be a date"), ("9999-12-31", "too far"),
])
def test_bad_expiry_dates_are_refused_with_a_message(client, editor, kit, expires_on, message):
    form = soup(client.get(f"/lightboxes/{kit.id}")).select_one("form.link-form")
    response = submit(client, form, kind="share", expires_on=expires_on)
    assert response.status_code == 302
    assert message in client.get(response.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(select(LightboxLink)) is None


def test_members_share_but_only_staff_make_press_kits(client, make_user, login_as, library):
    member = login_as(make_user())
    box = lightboxes.default_for(member)
    lightboxes.add(member, box, [library["public"].id])
    form = soup(client.get(f"/lightboxes/{box.id}")).select_one("form.link-form")
    assert not form.select("input[value=presskit]")
    refused = client.post(f"/lightboxes/{box.id}/links", data={"kind": "presskit", "sizes": "original"})
    assert refused.status_code == 302
    assert "Only the media team" in client.get(refused.headers["Location"]).get_data(as_text=True)
    assert path_of(make_link(client, box)).startswith("/shared/")
    with pytest.raises(Exception, match="media team"):
        lightbox_links.create(member, box, "presskit", sizes=["preview"])


def test_press_kit_sizes_must_be_known_and_at_least_one(client, editor, kit):
    form = soup(client.get(f"/lightboxes/{kit.id}")).select_one("form.link-form")
    data = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    for sizes in ([], ["giant"], ["preview", "../etc"]):
        response = client.post(form["action"], data={**data, "kind": "presskit", "sizes": sizes})
        assert response.status_code == 302, sizes
    assert db.session.scalar(select(LightboxLink)) is None


def test_press_kit_for_an_unregistered_recipient(app, client, editor, kit, library, make_user, login_as):
    url = path_of(make_link(client, kit, kind="presskit", sizes=["preview", "original"],
                            label="Daily Example"))
    assert url.startswith("/press/")
    link = db.session.scalar(select(LightboxLink))
    assert link.sizes == ["preview", "original"]
    recipient = app.test_client()
    page = soup(recipient.get(url))
    # Only published, consent-given, non-sensitive items: not "unknown" consent, not sensitive, not drafts.
    listed = [int(li["data-asset-id"]) for li in page.select(".press-items > li[data-asset-id]")]
    assert listed == [library["public"].id, library["not_needed"].id]
    assert "A patient at the clinic" not in page.get_text() and "tap stand" not in page.get_text()
    # Before accepting the terms: the terms and no download links; a file URL sends back to them.
    assert page.select_one(".press-terms") and not page.select(".press-files a")
    file_url = f"{url}/files/{library['public'].id}/original"
    assert recipient.get(file_url).headers["Location"] == url
    assert recipient.get(f"{url}/zip?size=preview").headers["Location"] == url
    refused = submit(recipient, page.select_one(".press-terms form"), accept="")
    assert refused.status_code == 302 and not db.session.scalars(select(PressKitAcceptance)).all()
    submit(recipient, page.select_one(".press-terms form"), **RECIPIENT)
    accepted = db.session.scalars(select(PressKitAcceptance)).all()
    assert [(a.link_id, a.terms_version) for a in accepted] == [(link.id, 1)]
    page = soup(recipient.get(url))
    files = [a["href"] for a in page.select(".press-files a")]
    assert files == [f"{url}/files/{library[k].id}/{s}" for k in ("public", "not_needed")
                     for s in ("preview", "original")]
    response = recipient.get(files[1])
    assert response.status_code == 200
    assert re.fullmatch(r'attachment; filename="water-in-turkana-\d+-original\.jpg"',
                        response.headers["Content-Disposition"])
    response.close()
    # Sizes staff did not choose, items not listed or not eligible: 404.
    assert recipient.get(f"{url}/files/{library['public'].id}/large").status_code == 404
    for key in ("unknown", "sensitive", "draft"):
        assert recipient.get(f"{url}/files/{library[key].id}/preview").status_code == 404, key
    assert recipient.get(f"{url}/files/999999/preview").status_code == 404
    # The zip: eligible items only, with captions.csv.
    with recipient.get(f"{url}/zip?size=preview") as response:
        assert response.status_code == 200
        zf = zipfile.ZipFile(io.BytesIO(response.data))
    assert zf.namelist() == [f"water-in-turkana-{library['public'].id}-small.jpg",
                             f"water-in-turkana-{library['not_needed'].id}-small.jpg", "captions.csv"]
    rows = list(csv.reader(io.StringIO(zf.read("captions.csv").decode("utf-8-sig"))))
    assert rows[1][2] == "Women collect water in Lodwar." and rows[1][4] == "Amina Otieno"
    bad = recipient.get(f"{url}/zip?size=large")
    assert bad.status_code == 302
    assert "does not offer that size" in recipient.get(url).get_data(as_text=True)
    # Every file is logged against the link, with no user.
    logged = db.session.execute(select(DownloadEvent.user_id, DownloadEvent.link_id, DownloadEvent.via,
                                       DownloadEvent.size).order_by(DownloadEvent.id)).all()
    assert logged == [(None, link.id, "file", "original"), (None, link.id, "zip", "preview"),
                      (None, link.id, "zip", "preview")]
    # An item taken out of the lightbox is out of the press kit at once.
    lightboxes.remove(editor, kit, library["not_needed"].id)
    assert recipient.get(f"{url}/files/{library['not_needed'].id}/preview").status_code == 404
    # The asset's download list names the press kit; the admin statistics count its files.
    login_as(make_user("admin"))
    who = soup(client.get(f"/manage/assets/{library['public'].id}/downloads")).select("td[data-label=Who]")
    assert [w.get_text() for w in who] == [f"Press kit {link.id} (no account)"] * 2
    for by in ("asset", "gallery", "user", "month"):
        stats = client.get(f"/admin/downloads?by={by}")
        assert stats.status_code == 200 and "3</span> downloads" in stats.get_data(as_text=True), by
    login_as(editor)
    # Staff see the link with its count, and revoke it: at once.
    staff = soup(client.get("/manage/press-kits"))
    row = staff.select_one(f"tr[data-link-id='{link.id}']")
    assert row.select_one(".link-downloads").get_text() == "3"
    assert "Daily Example" in row.get_text() and "Small, Original" in row.get_text()
    submit(client, row.select_one("form"))
    assert recipient.get(url).status_code == 410
    assert recipient.get(files[0]).status_code == 410
    assert recipient.get(f"{url}/zip?size=preview").status_code == 410


def test_press_kit_acceptance_is_per_link_and_per_terms_version(app, client, editor, kit, make_user):
    first = path_of(make_link(client, kit, kind="presskit", sizes=["preview"]))
    second = path_of(make_link(client, kit, kind="presskit", sizes=["preview"]))
    recipient = app.test_client()
    submit(recipient, soup(recipient.get(first)).select_one(".press-terms form"), **RECIPIENT)
    assert not soup(recipient.get(first)).select_one(".press-terms")
    assert soup(recipient.get(second)).select_one(".press-terms")  # another link: accept again
    # New terms published: the recipient reads and accepts them again.
    sitetext.save_text("terms", {"title": "Terms of use", "body": "New terms."}, make_user("admin"))
    page = soup(recipient.get(first))
    assert page.select_one(".press-terms") and "New terms." in page.get_text()
    stale = page.select_one(".press-terms form")
    response = submit(recipient, stale, **RECIPIENT, version="1")
    assert response.status_code == 302
    assert "terms changed" in recipient.get(first).get_data(as_text=True)


def test_press_kit_follows_the_catalogue_at_once(app, client, editor, kit, library, monkeypatch):
    url = path_of(make_link(client, kit, kind="presskit", sizes=["preview"]))
    recipient = app.test_client()
    submit(recipient, soup(recipient.get(url)).select_one(".press-terms form"), **RECIPIENT)
    file_url = f"{url}/files/{library['public'].id}/preview"
    assert recipient.get(file_url).status_code == 200
    from gallery.services import assets

    assets.update_asset(library["public"].id, {"embargo_until": "2099-01-01T00:00"}, editor)
    assert recipient.get(file_url).status_code == 404
    listed = [int(li["data-asset-id"]) for li in soup(recipient.get(url)).select(".press-items > li[data-asset-id]")]
    assert listed == [library["not_needed"].id]
    assets.update_asset(library["public"].id, {"embargo_until": "", "consent": "withheld"}, editor)
    assert recipient.get(file_url).status_code == 404
    # Expiry on the schedules' clock, without waiting.
    expiring = path_of(make_link(client, kit, kind="presskit", sizes=["preview"],
                                 expires_on=clock.today().isoformat()))
    assert recipient.get(expiring).status_code == 200
    later = dt.datetime.combine(clock.today() + dt.timedelta(days=1), dt.time())
    monkeypatch.setattr(clock, "now", lambda: later)
    assert recipient.get(expiring).status_code == 410
    staff = soup(client.get("/manage/press-kits"))
    assert [r.select_one(".link-state").get_text() for r in staff.select("tr.link-row")] == ["Expired", "Live"]


def test_staff_list_is_for_staff_and_only_owners_or_staff_revoke(app, client, editor, kit, make_user, login_as):
    url = path_of(make_link(client, kit, kind="presskit", sizes=["preview"]))
    share = path_of(make_link(client, kit, kind="share"))
    links = {link.kind: link for link in db.session.scalars(select(LightboxLink))}
    member = login_as(make_user())
    terms.accept(member)
    assert client.get("/manage/press-kits").status_code == 403
    for link in links.values():
        assert client.post(f"/lightboxes/links/{link.id}/revoke").status_code == 404
    login_as(make_user("editor"))  # another editor: may revoke a press kit, not someone's share link
    assert client.post(f"/lightboxes/links/{links['share'].id}/revoke").status_code == 404
    assert client.post(f"/lightboxes/links/{links['presskit'].id}/revoke").status_code == 302
    visitor = app.test_client()
    assert visitor.get(url).status_code == 410 and visitor.get(share).status_code == 200


def test_press_kit_offers_each_item_only_the_chosen_sizes_it_has(app, client, editor, kit, library):
    url = path_of(make_link(client, kit, kind="presskit", sizes=["preview", "web", "original"]))
    recipient = app.test_client()
    submit(recipient, soup(recipient.get(url)).select_one(".press-terms form"), **RECIPIENT)
    item = soup(recipient.get(url)).select_one(f".press-items > li[data-asset-id='{library['public'].id}']")
    # A photo has no web video: only Small and Original are offered, and "web" is a 404.
    assert [a.get_text(" ", strip=True).split(":")[0].strip() for a in item.select(".press-files a")] == ["Small", "Original"]
    assert recipient.get(f"{url}/files/{library['public'].id}/web").status_code == 404
    assert not db.session.scalars(select(DownloadEvent)).all()


@pytest.mark.parametrize("ending", ["deactivated", "deleted"])
def test_links_of_an_account_that_is_gone_answer_410_with_a_clear_page(app, client, editor, kit, make_user,
                                                                      ending):
    """Deactivated (the rows stay) or deleted (the rows go with it): 410 Gone, never 404, in any language."""
    from sqlalchemy import delete

    from gallery.models import User
    from gallery.services import accounts

    share = path_of(make_link(client, kit, kind="share"))
    press = path_of(make_link(client, kit, kind="presskit", sizes=["preview"]))
    visitor = app.test_client()
    assert visitor.get(share).status_code == 200 and visitor.get(press).status_code == 200
    if ending == "deactivated":
        accounts.set_active(make_user("admin"), editor, False)
    else:
        db.session.execute(delete(User).where(User.id == editor.id))
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(LightboxLink)) == 0  # gone with it
    for url in (share, press, f"{press}/zip?size=preview"):
        gone = visitor.get(url)
        assert gone.status_code == 410, url
        assert "This link's owner no longer has an account." in soup(gone).get_text()
    french = visitor.get("/fr" + share)
    assert french.status_code == 410 and "n’a plus de compte" in soup(french).get_text()
    # A mangled token, or a forged owner part, is still just not valid.
    token = share.rsplit("/", 1)[1]
    random_part, owner, signature = token.split(".")
    for bad in (f"{random_part}.{owner}.{_mangled(signature)}", f"{_mangled(random_part)}.{owner}.{signature}",
                random_part):
        assert visitor.get(f"/shared/{bad}").status_code == 404, bad


def _mangled(text: str) -> str:
    """text with its third character from the end changed, always to another one.

    Not the last: a base64 signature's last character holds padding bits a decoder ignores.
    """
    return text[:-3] + ("A" if text[-3] != "A" else "B") + text[-2:]
