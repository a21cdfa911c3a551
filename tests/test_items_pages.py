"""Items across galleries: all videos, all audio, new this week, as the public or staff see them."""
from __future__ import annotations

import datetime as dt

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import update

from gallery.extensions import db
from gallery.models import Asset


def ids(client, url: str) -> list[int]:
    response = client.get(url)
    assert response.status_code == 200
    page = BeautifulSoup(response.data, "html.parser")
    return [int(a["href"].rsplit("/", 1)[1]) for a in page.select(".asset-grid a[href^='/assets/']")]


@pytest.fixture
def items(make_gallery, make_asset):
    one = make_gallery(title="Turkana", status="published")
    two = make_gallery(title="Danlí", status="published")
    draft = make_gallery(title="Draft", status="draft")
    made = {"old photo": make_asset(one, caption="Old."), "new photo": make_asset(two, caption="New."),
            "draft photo": make_asset(draft, caption="Draft.")}
    db.session.execute(update(Asset).where(Asset.id == made["old photo"].id)
                       .values(created_at=dt.datetime(2020, 1, 1)))
    db.session.commit()
    return made


def test_all_photos_across_galleries_newest_first_public_only(client, items):
    assert ids(client, "/items?type=image") == [items["new photo"].id, items["old photo"].id]
    assert ids(client, "/items?type=video") == []
    assert ids(client, "/items?since=week") == [items["new photo"].id]


def test_staff_see_drafts_too(client, items, make_user, login_as):
    login_as(make_user("editor"))
    assert set(ids(client, "/items")) == {a.id for a in items.values()}


@pytest.mark.parametrize("query", ["?type=sql", "?since=forever", "?page=-1", "?type=%C2%B2"])
def test_odd_arguments_show_everything_public(client, items, query):
    assert set(ids(client, "/items" + query)) <= {items["new photo"].id, items["old photo"].id}


def test_home_links_to_the_items_pages(client, items):
    page = BeautifulSoup(client.get("/").data, "html.parser")
    links = [a["href"] for a in page.select(".item-links a")]
    assert "/items?type=video" in links and "/items?since=week" in links


def test_a_gallery_page_shows_related_galleries_same_country_first(client, make_gallery, make_asset):
    here = make_gallery(title="Cholera in Aden", category="Health", country="YEM", status="published")
    near = make_gallery(title="Clinics in Taiz", category="Health", country="YEM", status="published",
                        date="2020-01-01")
    far = make_gallery(title="Vaccines in Lodwar", category="Health", country="KEN", status="published",
                       date="2024-01-01")
    make_gallery(title="Shelter in Sana'a", category="Shelter", country="YEM", status="published")
    make_gallery(title="Draft clinics", category="Health", country="YEM", status="draft")
    for g in (here, near, far):
        make_asset(g)
    page = BeautifulSoup(client.get(f"/galleries/{here.id}-{here.slug}").data, "html.parser")
    titles = [h.get_text(strip=True) for h in page.select(".related-galleries .card-title")]
    assert titles == ["Clinics in Taiz", "Vaccines in Lodwar"], titles
