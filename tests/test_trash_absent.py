"""Trashed means absent everywhere but /manage/trash, staff included (issue 11, item 11)."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
from bs4 import BeautifulSoup

from gallery.services import approvals, assets, terms, trash


def fetch(client, path: str, status: int = 200) -> bytes:
    """GET something and check its status."""
    with client.get(path) as response:
        assert response.status_code == status, (path, response.status_code)
        return response.data


def zip_names(client, path: str) -> list[str]:
    """The entries of a zip download."""
    return zipfile.ZipFile(io.BytesIO(fetch(client, path))).namelist()


@pytest.fixture
def binned(make_gallery, make_asset, make_user):
    """A gallery of three photos, the middle one in the trash."""
    admin = make_user("admin")
    gallery = make_gallery(title="Water in Turkana")
    kept = make_asset(gallery, caption="Borehole at dawn.")
    gone = make_asset(gallery, caption="Washing clothes by the pump.")
    make_asset(gallery, caption="Queue at the borehole.")
    trash.trash_asset(gone.id, admin)
    return {"gallery": gallery, "kept": kept, "gone": gone}


@pytest.mark.parametrize("role", ["editor", "admin"])
def test_trashed_asset_is_not_in_a_staff_zip(client, binned, make_user, login_as, role):
    gallery, gone = binned["gallery"], binned["gone"]
    login_as(make_user(role))
    names = zip_names(client, f"/download/galleries/{gallery.id}.zip?size=preview")
    assert len(names) == 3  # the two kept photos and captions.csv
    assert not [n for n in names if f"-{gone.id}-" in n]
    with client.get(f"/download/galleries/{gallery.id}.zip?size=preview&asset={gone.id}") as r:
        assert r.status_code == 302  # back to the gallery with a message, nothing served
    fetch(client, f"/download/assets/{gone.id}/large", 404)


def test_trashed_asset_is_absent_for_staff_in_search_api_and_pages(client, binned, make_user,
                                                                   login_as):
    gallery, gone = binned["gallery"], binned["gone"]
    login_as(make_user("editor"))
    found = json.loads(fetch(client, "/api/search?q=washing"))
    assert (found["total"], found["results"]) == (0, [])
    page = BeautifulSoup(fetch(client, "/search?q=washing"), "html.parser")
    assert not page.select("main [data-asset-id]")
    fetch(client, f"/assets/{gone.id}", 404)
    fetch(client, f"/api/assets/{gone.id}", 404)
    body = json.loads(fetch(client, f"/api/galleries/{gallery.id}"))
    assert gone.id not in [a["id"] for a in body["assets"]]
    grid = BeautifulSoup(fetch(client, f"/galleries/{gallery.id}-{gallery.slug}"), "html.parser")
    assert grid.select_one(".gallery-count").get_text() == "2 items"
    listing = BeautifulSoup(fetch(client, "/manage/trash"), "html.parser")
    assert listing.select_one(f".trash-assets li[data-asset-id='{gone.id}']")


@pytest.mark.parametrize("role", ["editor", "admin"])
def test_trashed_gallery_zip_is_404_for_staff(client, make_gallery, make_asset, make_user, login_as,
                                              role):
    admin = make_user("admin")
    gallery = make_gallery(title="Binned gallery")
    make_asset(gallery)
    trash.trash_gallery(gallery.id, admin)
    login_as(make_user(role))
    fetch(client, f"/download/galleries/{gallery.id}.zip?size=preview", 404)
    fetch(client, f"/download/galleries/{gallery.id}.zip?size=original", 404)
    found = json.loads(fetch(client, "/api/search?q=binned"))
    assert found["total"] == 0


def test_trashed_asset_leaves_the_approvals_list(client, make_gallery, make_asset, make_user, login_as):
    editor = make_user("editor")
    gallery = make_gallery(title="Clinic in Marsabit")
    asset = make_asset(gallery, caption="Child on the scales.")
    assets.update_asset(asset.id, {"sensitive": "1"}, editor)
    member = make_user("member")
    terms.accept(member)
    approvals.request_approval(member, asset, "For our annual report.")
    login_as(editor)
    page = BeautifulSoup(fetch(client, "/manage/approvals"), "html.parser")
    assert [a["href"] for a in page.select("table a[href^='/assets/']")] == [f"/assets/{asset.id}"]
    trash.trash_asset(asset.id, make_user("admin"))
    page = BeautifulSoup(fetch(client, "/manage/approvals"), "html.parser")
    assert page.select("table a[href^='/assets/']") == []
