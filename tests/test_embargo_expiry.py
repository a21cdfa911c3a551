"""Embargoes and usage-rights expiry on every public surface, with the clock moved (never slept)."""
from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from gallery.extensions import db
from gallery.models import ActivityLog, Asset, Gallery
from gallery.services import apitokens, download_stats, schedule, terms
from tests.conftest import bearer

NOON = dt.datetime(2030, 6, 1, 12, 0)


@pytest.fixture
def at(set_clock):
    """Set the schedules' clock: at(datetime)."""
    set_clock(NOON)
    return set_clock


@pytest.fixture
def editor(make_user):
    return make_user("editor")


def public_surfaces(client, gallery: Gallery, asset, token: str) -> dict[str, bool]:
    """Whether the asset shows on each public surface (True) or not (False)."""
    with client.session_transaction() as session:
        session.clear()  # anonymous
    home = client.get("/").get_data(as_text=True)
    listing = client.get("/galleries").get_data(as_text=True)
    gallery_page = client.get(f"/galleries/{gallery.id}-{gallery.slug}")
    asset_page = client.get(f"/assets/{asset.id}")
    search = client.get("/api/search?q=embargoword").get_json()
    api_gallery = client.get(f"/api/galleries/{gallery.id}")
    api_asset = client.get(f"/api/assets/{asset.id}")
    with client.get(f"/media/{asset.id}/thumb.jpg") as r:
        thumb = r.status_code == 200
    with client.get(f"/api/assets/{asset.id}/download?size=preview", headers=bearer(token)) as r:
        download = r.status_code == 200
    with client.get(f"/download/galleries/{gallery.id}.zip?size=preview", headers=bearer(token)) as r:
        zipped = r.status_code == 200 and any(
            n != "captions.csv" for n in zipfile.ZipFile(io.BytesIO(r.data)).namelist())
    return {
        "home": gallery.title in home, "galleries": gallery.title in listing,
        "gallery page": gallery_page.status_code == 200,
        "asset page": asset_page.status_code == 200,
        "search": any(hit["id"] == asset.id for hit in search["results"]),
        "api gallery": api_gallery.status_code == 200,
        "api asset": api_asset.status_code == 200,
        "thumb": thumb,
        "download": download, "zip": zipped,
    }


@pytest.fixture
def member_token(make_user):
    member = make_user("member")
    terms.accept(member)
    return apitokens.create_token(member, "dl", member)[1]


def test_an_embargoed_gallery_appears_at_its_minute_everywhere(app, client, at, editor, make_gallery,
                                                               make_asset, member_token):
    gallery = make_gallery(title="Embargoed floods report", status="published",
                           embargo_until="2030-06-01T14:00")
    asset = make_asset(gallery, caption="embargoword water rising in the valley")
    assert gallery.embargo_until == dt.datetime(2030, 6, 1, 14, 0)
    hidden = public_surfaces(client, gallery, asset, member_token)
    assert not any(hidden.values()), hidden

    at(dt.datetime(2030, 6, 1, 14, 0))  # the minute it lifts: pages ask the clock directly
    assert client.get(f"/galleries/{gallery.id}-{gallery.slug}").status_code == 200
    schedule.apply_due()  # what the worker's sweeper (or the next request) does then
    db.session.expire_all()
    assert gallery.embargo_until is None and gallery.item_count == 1
    shown = public_surfaces(client, gallery, asset, member_token)
    assert all(shown.values()), shown
    assert db.session.scalar(select(ActivityLog.action).where(ActivityLog.gallery_id == gallery.id,
                                                              ActivityLog.action == "gallery.embargo_lifted"))


def test_the_first_request_after_the_minute_lifts_it_when_no_worker_runs(app, client, at, make_gallery,
                                                                        make_asset):
    gallery = make_gallery(title="Embargoed", status="published", embargo_until="2030-06-01T12:30")
    asset = make_asset(gallery, caption="embargoword")
    at(dt.datetime(2030, 6, 1, 12, 31))
    app.extensions["gallery.schedule_checked"] = 0.0
    client.get("/")
    db.session.expire_all()
    assert gallery.embargo_until is None
    hits = client.get("/api/search?q=embargoword").get_json()["results"]
    assert [h["id"] for h in hits] == [asset.id]


def test_an_embargoed_asset_in_a_public_gallery(client, at, make_gallery, make_asset, member_token):
    gallery = make_gallery(title="Open gallery", status="published")
    make_asset(gallery, caption="always visible")
    held = make_asset(gallery, caption="embargoword statement photo", embargo_until="2030-06-01T18:00+02:00")
    assert held.embargo_until == dt.datetime(2030, 6, 1, 16, 0)  # stored in UTC
    db.session.expire_all()
    assert gallery.item_count == 1
    surfaces = public_surfaces(client, gallery, held, member_token)
    assert surfaces["gallery page"] and not surfaces["asset page"] and not surfaces["search"]
    assert not surfaces["download"] and not surfaces["thumb"]
    at(dt.datetime(2030, 6, 1, 16, 0))
    schedule.apply_due()
    db.session.expire_all()
    assert gallery.item_count == 2 and all(public_surfaces(client, gallery, held, member_token).values())


def test_rights_expiry_withdraws_and_the_log_says_who_downloaded(client, at, login_as, make_user,
                                                                 make_gallery, make_asset, member_token):
    gallery = make_gallery(title="Licensed photos", status="published")
    asset = make_asset(gallery, caption="embargoword licensed picture", rights_expire_on="2030-06-02")
    assert all(public_surfaces(client, gallery, asset, member_token).values())
    at(dt.datetime(2030, 6, 2, 0, 0))
    withdrawn = public_surfaces(client, gallery, asset, member_token)
    assert not withdrawn["asset page"] and not withdrawn["download"] and not withdrawn["thumb"]
    schedule.apply_due()
    db.session.expire_all()
    assert asset.withdrawn_at == dt.datetime(2030, 6, 2, 0, 0) and gallery.item_count == 0
    assert not any(v for k, v in public_surfaces(client, gallery, asset, member_token).items()
                   if k not in ("home", "galleries", "gallery page", "api gallery"))
    # Staff see why, and an admin lists who downloaded it.
    who = download_stats.downloaders(asset.id)
    assert len(who) == 2 and all(user is not None for user, _ in who)  # the API download and the zip
    admin = make_user("admin")
    login_as(admin)
    page = BeautifulSoup(client.get(f"/manage/assets/{asset.id}/edit").data, "html.parser")
    notice = page.select_one(".schedule-notice").get_text()
    assert "Usage rights ended on" in notice and "withdrawn" in notice
    listing = BeautifulSoup(client.get(f"/manage/assets/{asset.id}/downloads").data, "html.parser")
    assert len(listing.select("table.asset-downloads tbody tr")) == 2
    login_as(make_user("editor"))
    assert client.get(f"/manage/assets/{asset.id}/downloads").status_code == 403
    # New rights bring it back at once.
    login_as(admin)
    response = client.patch(f"/api/assets/{asset.id}", json={"rights_expire_on": "2031-01-01"})
    assert response.status_code == 200 and response.json["rights_expire_on"] == "2031-01-01"
    db.session.expire_all()
    assert asset.withdrawn_at is None and gallery.item_count == 1
    assert len(download_stats.downloaders(asset.id)) == 2  # the log stays


def test_forms_and_api_set_and_clear_schedules(client, login_as, make_user, make_gallery, make_asset):
    login_as(make_user("editor"))
    gallery = make_gallery(title="Forms")
    asset = make_asset(gallery)
    response = client.post(f"/manage/galleries/{gallery.id}/edit", data={
        "title": "Forms", "description": "", "category": str(gallery.category_id), "country": "KEN",
        "credit": "", "date": "", "embargo_until": "2030-07-01T09:30"})
    assert response.status_code == 302
    db.session.expire_all()
    assert gallery.embargo_until == dt.datetime(2030, 7, 1, 9, 30)
    page = BeautifulSoup(client.get(f"/manage/galleries/{gallery.id}").data, "html.parser")
    assert "Embargoed until 01 July 2030, 09:30 UTC" in page.select_one(".schedule-notice").get_text()
    bad = client.post(f"/manage/galleries/{gallery.id}/edit", data={
        "title": "Forms", "category": str(gallery.category_id), "embargo_until": "next tuesday"})
    assert bad.status_code == 400 and "Embargo until must be a date and time" in bad.get_data(as_text=True)
    api = client.patch(f"/api/assets/{asset.id}", json={"embargo_until": "2030-01-01T00:00:00Z",
                                                       "rights_expire_on": "2031-12-31"})
    assert api.status_code == 200, api.json
    assert api.json["embargo_until"].startswith("2030-01-01T00:00")
    cleared = client.patch(f"/api/assets/{asset.id}", json={"embargo_until": None})
    assert cleared.json["embargo_until"] is None
    for value in ("2030-13-01T00:00", 5, "x" * 100):
        refused = client.patch(f"/api/assets/{asset.id}", json={"embargo_until": value})
        assert refused.status_code == 400 and refused.json["error"]["field"] == "embargo_until"


def test_manifest_takes_schedules(runner, tmp_path):
    from tests.conftest import image_bytes

    (tmp_path / "a.jpg").write_bytes(image_bytes())
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"galleries": [{
        "title": "Scheduled", "category": "Health", "status": "published",
        "embargo_until": "2030-06-01T08:00Z",
        "assets": [{"file": "a.jpg", "caption": "x", "rights_expire_on": "2031-01-01"}]}]}))
    result = runner.invoke(args=["import", str(manifest), "--workers", "1"])
    assert result.exit_code == 0, result.output
    gallery = db.session.scalar(select(Gallery).where(Gallery.title == "Scheduled"))
    assert gallery.embargo_until == dt.datetime(2030, 6, 1, 8, 0)
    asset = db.session.scalar(select(Asset).where(Asset.gallery_id == gallery.id))
    assert asset.rights_expire_on == dt.date(2031, 1, 1)
    manifest.write_text(json.dumps({"galleries": [{
        "title": "Bad", "category": "Health", "embargo_until": "someday",
        "assets": [{"file": "a.jpg", "rights_expire_on": "never"}]}]}))
    refused = runner.invoke(args=["import", str(manifest)])
    assert refused.exit_code != 0
    assert "embargo_until" in refused.output and "rights_expire_on" in refused.output


def test_rights_and_usage_terms_travel_with_every_file(client, login_as, make_user, make_gallery, make_asset,
                                                       member_token):
    from PIL import Image, IptcImagePlugin

    gallery = make_gallery(title="Licensed", status="published", licence="cc-by-nc-4.0",
                           usage_terms="Editorial use only; not for commercial use")
    asset = make_asset(gallery, caption="A child at the clinic.", restrictions="Do not identify the child")
    other = make_asset(gallery, caption="Own licence.", licence="organisation")
    page = BeautifulSoup(client.get(f"/assets/{asset.id}").data, "html.parser")
    line = page.select_one(".rights-line")  # next to the credit
    assert line.select_one("a[rel=license]")["href"] == "https://creativecommons.org/licenses/by-nc/4.0/"
    assert "Editorial use only" in line.get_text() and "Do not identify the child" in line.get_text()
    own = BeautifulSoup(client.get(f"/assets/{other.id}").data, "html.parser").select_one(".rights-line a")
    assert own.get_text() == "The organisation's terms of use" and own["href"].endswith("/terms")
    rights = client.get(f"/api/assets/{asset.id}").get_json()["asset"]["rights"]
    assert rights == {"licence": "cc-by-nc-4.0", "licence_name": "CC BY-NC 4.0",
                      "licence_url": "https://creativecommons.org/licenses/by-nc/4.0/",
                      "usage_terms": "Editorial use only; not for commercial use",
                      "restrictions": "Do not identify the child"}
    for size in ("preview", "large"):
        with client.get(f"/api/assets/{asset.id}/download?size={size}", headers=bearer(member_token)) as r:
            assert r.status_code == 200
            data = r.data
        with Image.open(io.BytesIO(data)) as im:
            xmp = im.getxmp()["xmpmeta"]["RDF"]["Description"]
            terms = xmp["UsageTerms"]["Alt"]["li"]["text"]
            assert terms == ("CC BY-NC 4.0. Editorial use only; not for commercial use. "
                             "Restrictions: Do not identify the child.")
            assert xmp["WebStatement"] == "https://creativecommons.org/licenses/by-nc/4.0/"
            iptc = IptcImagePlugin.getiptcinfo(im)
            assert iptc[(1, 90)] == b"\x1b%G"
            assert b"CC BY-NC 4.0" in iptc[(2, 116)] and iptc[(2, 120)] == b"A child at the clinic."
    with client.get(f"/download/galleries/{gallery.id}.zip?size=preview", headers=bearer(member_token)) as r:
        archive = zipfile.ZipFile(io.BytesIO(r.data))
    rows = archive.read("captions.csv").decode("utf-8-sig").splitlines()
    assert "licence,usage terms,restrictions" in rows[0]
    assert any("Do not identify the child" in row and "by-nc/4.0" in row for row in rows[1:])
    # The editor sets and clears them through the form and the API; bad values are named.
    login_as(make_user("editor"))
    refused = client.patch(f"/api/galleries/{gallery.id}", json={"licence": "all-rights-mine"})
    assert refused.status_code == 400 and refused.json["error"]["field"] == "licence"
    form = BeautifulSoup(client.get(f"/manage/assets/{asset.id}/edit").data, "html.parser")
    assert form.select_one("#f-licence option[selected]") is None  # inherits the gallery's
    assert client.patch(f"/api/assets/{asset.id}", json={"restrictions": ""}).status_code == 200
    assert client.get(f"/api/assets/{asset.id}").get_json()["asset"]["rights"]["restrictions"] == ""
