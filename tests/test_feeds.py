"""Atom feeds per category, per country and of any search, read by a real feed reader (feedparser)."""
from __future__ import annotations

import feedparser
import pytest
from bs4 import BeautifulSoup


def read(client, url: str):
    r = client.get(url)
    assert r.status_code == 200, r.data[:300]
    assert r.mimetype == "application/atom+xml"
    feed = feedparser.parse(r.data)
    assert not feed.bozo, feed.bozo_exception
    return feed


def alternate(client, url: str) -> str:
    page = BeautifulSoup(client.get(url).data, "html.parser")
    links = page.select('head link[rel=alternate][type="application/atom+xml"]')
    return links[-1]["href"]  # the page's own feed follows the site-wide one


@pytest.fixture
def library(make_gallery, make_asset, make_user):
    from gallery.services import assets

    editor = make_user("editor")
    kenya = make_gallery(title="Water in Turkana", category="Health", country="KEN")
    yemen = make_gallery(title="Clinics in Aden", category="Health", country="YEM")
    shelter = make_gallery(title="Tents in Marib", category="Shelter", country="YEM")
    make_gallery(title="Draft clinics", category="Health", country="YEM", status="draft")
    make_gallery(title="Embargoed clinics", category="Health", country="YEM", embargo_until="2099-01-01T00:00")
    shown = make_asset(kenya, caption="A borehole pump in Lodwar.", creator="Amina Yusuf")
    withheld = make_asset(kenya, caption="A borehole pump kept back.")
    assets.update_asset(withheld.id, {"consent": "withheld"}, editor)
    draft = make_asset(kenya, caption="A borehole pump in draft.")
    assets.update_asset(draft.id, {"status": "draft"}, editor)
    embargoed = make_asset(kenya, caption="A borehole pump under embargo.")
    assets.update_asset(embargoed.id, {"embargo_until": "2099-01-01T00:00"}, editor)
    make_asset(yemen, caption="A borehole beside the clinic in Aden.")
    return kenya, yemen, shelter, shown


def test_category_and_country_feeds_list_their_public_galleries(client, library):
    kenya, yemen, shelter, _shown = library
    health = read(client, "/categories/health/feed")
    assert {e.title for e in health.entries} == {"Water in Turkana", "Clinics in Aden"}
    assert health.feed.title.endswith("Health")
    assert health.feed.link == "http://localhost/categories/health"
    assert alternate(client, "/categories/health") == "/categories/health/feed"

    yem = read(client, "/countries/yem/feed")
    assert {e.title for e in yem.entries} == {"Clinics in Aden", "Tents in Marib"}
    assert alternate(client, "/countries/yem") == "/countries/yem/feed"
    entry = next(e for e in yem.entries if e.title == "Tents in Marib")
    assert entry.link == f"http://localhost/galleries/{shelter.id}-{shelter.slug}"

    both = read(client, "/categories/health/yem/feed")
    assert [e.title for e in both.entries] == ["Clinics in Aden"]
    assert alternate(client, "/categories/health/yem") == "/categories/health/yem/feed"
    assert client.get("/categories/nothing/feed").status_code == 404
    assert client.get("/countries/zzz/feed").status_code == 404


def test_search_feed_has_the_same_filters_and_only_public_items(client, library, make_user, login_as):
    kenya, _yemen, _shelter, shown = library
    feed = read(client, "/search/feed?q=borehole&country=KEN")
    assert [e.title for e in feed.entries] == [shown.display_title]
    entry = feed.entries[0]
    assert entry.link == f"http://localhost/assets/{shown.id}"
    assert entry.summary == "A borehole pump in Lodwar."
    assert entry.author == "Amina Yusuf"
    assert feed.feed.link == "http://localhost/search?q=borehole&country=KEN"
    assert len(read(client, "/search/feed?q=borehole").entries) == 2

    # A feed URL is shared: staff who open it get the public's feed, never the draft.
    login_as(make_user("editor"))
    assert [e.title for e in read(client, "/search/feed?q=borehole&country=KEN").entries] == [shown.display_title]
    href = alternate(client, "/search?q=borehole&country=KEN&page=1&view=list")
    assert href == "/search/feed?q=borehole&country=KEN"


@pytest.mark.parametrize("query", ["q=%22unclosed", "q=<script>&date_from=nonsense&gallery=%C2%B2",
                                   "q=" + "x" * 3000, "type=spaceship&year=never"])
def test_hostile_search_feeds_are_still_feeds(client, library, query):
    feed = read(client, f"/search/feed?{query}")
    assert isinstance(feed.entries, list)


def test_search_feed_puts_the_latest_added_first_whatever_the_date_taken(client, make_gallery, make_asset):
    import datetime as dt

    from gallery.extensions import db

    g = make_gallery(title="Archive")
    recent_photo = make_asset(g, caption="Borehole drilled in 2024.", date_taken="2024-05-01")
    archive_scan = make_asset(g, caption="Borehole drilled in 1975.", date_taken="1975-05-01")
    # The scan was added to the library after the recent photo.
    recent_photo.created_at = dt.datetime(2030, 1, 1)
    archive_scan.created_at = dt.datetime(2030, 1, 2)
    db.session.commit()
    feed = read(client, "/search/feed?q=borehole")
    assert [e.link for e in feed.entries] == [f"http://localhost/assets/{archive_scan.id}",
                                              f"http://localhost/assets/{recent_photo.id}"]
