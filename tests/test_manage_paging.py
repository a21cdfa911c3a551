"""Big galleries stay manageable: the manage page and caption grid are paged, bulk edits reach every item."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from gallery.extensions import db
from gallery.models import Asset


@pytest.fixture
def editor(make_user, login_as):
    return login_as(make_user("editor"))


@pytest.fixture
def big(app, make_gallery, make_asset):
    """A gallery of 7 items with pages of 3."""
    app.config["MANAGE_ASSETS_PER_PAGE"] = 3
    gallery = make_gallery(title="Seven items")
    ids = [make_asset(gallery, filename=f"item-{n}.jpg", caption=f"Caption {n}").id for n in range(1, 8)]
    return gallery, ids


def page(response) -> BeautifulSoup:
    assert response.status_code == 200
    return BeautifulSoup(response.data, "html.parser")


def listed(soup) -> list[int]:
    return [int(li["data-asset-id"]) for li in soup.select(".manage-assets > li")]


def test_manage_page_is_paged_with_counts_and_a_pager(client, editor, big):
    gallery, ids = big
    first = page(client.get(f"/manage/galleries/{gallery.id}"))
    assert listed(first) == ids[:3]
    assert "Items 1–3 of 7" in first.get_text()
    assert first.select_one('input[name="whole_gallery"]').find_parent("label").get_text(strip=True) == \
        "All 7 in this gallery"
    assert [a.get_text(strip=True) for a in first.select("nav.pagination li a")] == ["Page2", "Page3"]
    third = page(client.get(f"/manage/galleries/{gallery.id}?page=3"))
    assert listed(third) == ids[6:]
    assert third.select_one(".manage-assets")["start"] == "7"
    # Up and Down cross pages: only the very first and very last are disabled.
    second = page(client.get(f"/manage/galleries/{gallery.id}?page=2"))
    assert not any(b.has_attr("disabled") for b in second.select(".move-buttons button"))
    assert first.select(".move-buttons button")[0].has_attr("disabled")
    assert third.select(".move-buttons button")[-1].has_attr("disabled")


def test_bulk_edit_of_all_items_in_the_gallery_reaches_other_pages(client, editor, big):
    gallery, ids = big
    response = client.post(f"/manage/galleries/{gallery.id}/bulk",
                           data={"whole_gallery": "1", "apply_credit": "1", "credit": "Pool photo"})
    assert response.status_code == 302
    db.session.expire_all()
    assert set(db.session.scalars(select(Asset.credit).where(Asset.gallery_id == gallery.id))) == {"Pool photo"}


def test_ticked_items_only_without_the_whole_gallery_box(client, editor, big):
    gallery, ids = big
    client.post(f"/manage/galleries/{gallery.id}/bulk",
                data={"asset_ids": [str(ids[4])], "apply_credit": "1", "credit": "Only one"})
    db.session.expire_all()
    credits = dict(db.session.execute(select(Asset.id, Asset.credit).where(Asset.gallery_id == gallery.id)).all())
    assert [i for i, c in credits.items() if c == "Only one"] == [ids[4]]


def test_reordering_one_page_leaves_the_others(client, editor, big):
    gallery, ids = big
    response = client.post(f"/api/galleries/{gallery.id}/arrange",
                           json={"ids": [ids[5], ids[3], ids[4]], "order": "selection"})
    assert response.status_code == 200
    db.session.expire_all()
    order = list(db.session.scalars(select(Asset.id).where(Asset.gallery_id == gallery.id)
                                    .order_by(Asset.position, Asset.id)))
    assert order == ids[:3] + [ids[5], ids[3], ids[4]] + ids[6:]


def test_caption_grid_is_paged_and_saves_only_its_page(client, editor, big):
    gallery, ids = big
    url = f"/manage/galleries/{gallery.id}/captions?page=2"
    grid = page(client.get(url))
    shown = [int(t["name"].split("-")[0]) for t in grid.select("textarea[name$='-caption']")]
    assert shown == ids[3:6]
    assert "7 files" in grid.select_one(".lead").get_text()
    data = {f"{i}-caption": f"New caption {i}" for i in shown}
    assert client.post(url, data=data).status_code == 302
    db.session.expire_all()
    captions = dict(db.session.execute(select(Asset.id, Asset.caption).where(Asset.gallery_id == gallery.id)).all())
    assert [i for i in ids if captions[i].startswith("New")] == ids[3:6]


@pytest.mark.parametrize("bad", ["0", "-1", "x", "99999999999"])
def test_bad_page_numbers_are_page_one_not_errors(client, editor, big, bad):
    gallery, ids = big
    assert listed(page(client.get(f"/manage/galleries/{gallery.id}?page={bad}"))) == ids[:3]
