"""Search pages and API: results, facets and chips, sorting, pages, advanced form, JSON shape."""
from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from bs4 import BeautifulSoup


@pytest.fixture
def library(app, make_gallery, make_asset):
    kenya = make_gallery(title="Water in Turkana", category="Health", country="KEN",
                         description="Boreholes in northern Kenya.")
    honduras = make_gallery(title="Caravans", category="UN Network on Migration", country="HND")
    draft = make_gallery(title="Draft water", status="draft")
    out = {
        "borehole": make_asset(kenya, caption="Women collect <b>clean</b> water at a borehole.",
                               credit="Photo: A. Yusuf", date_taken=dt.date(2019, 6, 3)),
        "tank": make_asset(kenya, title="Water tank", caption="A new water tank in Lodwar.",
                           credit="Photo: A. Yusuf", date_taken=dt.date(2020, 1, 5)),
        "danli": make_asset(honduras, caption="Migrants drink water in Danlí.",
                            credit="Photo: J. Hernández", date_taken=dt.date(2021, 3, 14)),
        "draft": make_asset(draft, caption="Unseen water photo."),
    }
    return out


def soup(client, url, **params):
    with client.get(url, query_string=params or None) as r:
        assert r.status_code == 200
        return BeautifulSoup(r.data, "html.parser")


def result_ids(page) -> list[int]:
    return [int(li["data-asset-id"]) for li in page.select(".search-results > li")]


def test_results_grid_and_list(client, library):
    grid = soup(client, "/search", q="water")
    assert set(result_ids(grid)) == {library[k].id for k in ("borehole", "tank", "danli")}
    assert grid.select_one(".result-count").get_text() == "3 results"
    assert grid.select_one("#site-search")["value"] == "water"
    listed = soup(client, "/search", q="water", view="list")
    item = listed.select_one(f'.asset-list li[data-asset-id="{library["borehole"].id}"]')
    snippet = item.select_one(".snippet")
    assert [m.get_text() for m in snippet.select("mark")] == ["water"]
    assert snippet.select("b") == [] and "<b>clean</b>" in snippet.get_text()  # escaped, not markup
    assert item.select_one(".credit").get_text() == "Photo: A. Yusuf"
    assert item.select_one(".country").get_text() == "Kenya"
    assert item.select_one(".date").get_text() == "3 June 2019"
    assert "/thumb.jpg?v=" in item.select_one("img")["src"]


def test_country_facet_is_named_in_each_page_language(client, make_gallery, make_asset):
    germany = make_gallery(title="Arrivals", country="DEU")
    make_asset(germany, caption="Arrivals at the station.")
    names = {}
    for prefix in ("", "/fr", "/es", ""):  # the names are kept per language after the first
        page = soup(client, f"{prefix}/search", q="arrivals")
        names.setdefault(prefix, []).append(
            [a.select_one("span").get_text() for a in page.select("#facet-country ~ ul a")])
    assert names == {"": [["Germany"], ["Germany"]], "/fr": [["Allemagne"]], "/es": [["Alemania"]]}


def test_facet_click_narrows_and_chip_removes(client, library):
    page = soup(client, "/search", q="water")
    links = {a.select_one("span").get_text(): a for a in page.select("#facet-country ~ ul a")}
    assert {k: a.select_one(".count").get_text() for k, a in links.items()} == {"Kenya": "2", "Honduras": "1"}
    narrowed_url = links["Honduras"]["href"]
    narrowed = soup(client, narrowed_url)
    assert result_ids(narrowed) == [library["danli"].id]
    chip = narrowed.select_one(".chips a.chip")
    assert "Honduras" in chip.get_text()
    back = parse_qs(urlsplit(chip["href"]).query)
    assert back == {"q": ["water"]}
    cat = soup(client, "/search", q="water", category="health")
    assert "Health" in cat.select_one(".chips a.chip").get_text()


def test_sort_links_and_pagination(client, app, library):
    app.config["SEARCH_PER_PAGE"] = 2
    page = soup(client, "/search", q="water", sort="newest")
    assert result_ids(page) == [library["danli"].id, library["tank"].id]
    nxt = page.select_one(".pagination a[rel=next]")["href"]
    assert result_ids(soup(client, nxt)) == [library["borehole"].id]
    oldest = [a for a in page.select(".sort a") if a.get_text() == "Oldest"][0]["href"]
    assert result_ids(soup(client, oldest))[0] == library["borehole"].id


def test_empty_state_and_suggestion(client, library):
    page = soup(client, "/search", q="watre")
    assert page.select_one(".empty h2").get_text() == "Nothing found"
    link = page.select_one(".suggestion a")
    assert link.get_text() == "water"
    assert len(result_ids(soup(client, link["href"]))) == 3


def test_gallery_matches_shown_above(client, library):
    page = soup(client, "/search", q="turkana")
    assert [a.get_text() for a in page.select(".gallery-matches a")] == ["Water in Turkana"]


def test_drafts_hidden_from_anonymous_but_not_editors(client, library, make_user, login_as):
    assert library["draft"].id not in result_ids(soup(client, "/search", q="unseen"))
    login_as(make_user("editor"))
    assert result_ids(soup(client, "/search", q="unseen")) == [library["draft"].id]


def test_advanced_form_builds_query(client, library):
    page = soup(client, "/search/advanced")
    assert page.select_one("select[name=country] option[value=KEN]").get_text() == "Kenya"
    with client.get("/search/advanced", query_string={
            "submitted": "1", "all": "water", "phrase": "clean water", "any": "borehole tank",
            "none": "danli", "field": "caption", "credit": "yusuf", "country": "KEN",
            "date_from": "2019-01-01", "type": ""}) as r:
        assert r.status_code == 302
        args = parse_qs(urlsplit(r.headers["Location"]).query)
    assert args["q"] == ['caption:water caption:"clean water" caption:borehole OR caption:tank '
                         '-caption:danli byline:yusuf']
    assert args["country"] == ["KEN"] and args["date_from"] == ["2019-01-01"] and "type" not in args
    with client.get(r.headers["Location"]) as res:
        page = BeautifulSoup(res.data, "html.parser")
    assert result_ids(page) == [library["borehole"].id]


def test_credit_or_photographer_box_searches_both(client, library, make_gallery, make_asset):
    shot = make_asset(make_gallery(title="Peña's work", status="published"), caption="Harvest in the hills.",
                      credit="Example Relief Agency", creator="José Peña")
    for url in ("/search/advanced?submitted=1&credit=Pe%C3%B1a", "/search/advanced?submitted=1&credit=yusuf"):
        with client.get(url) as r:
            found = result_ids(soup(client, r.headers["Location"]))
        assert found == ([shot.id] if "Pe" in url else [library["tank"].id, library["borehole"].id][:len(found)])
        assert found
    assert result_ids(soup(client, "/search", q="byline:pena")) == [shot.id]
    assert result_ids(soup(client, "/search", q="photographer:pena")) == [shot.id]
    assert result_ids(soup(client, "/search", q="credit:pena")) == []


def test_api_shape(client, library):
    with client.get("/api/search", query_string={"q": "water", "country": "KEN", "sort": "oldest",
                                                 "per_page": 1, "page": 2}) as r:
        body = r.get_json()
    assert set(body) == {"total", "page", "per_page", "results", "facets", "suggestion"}
    assert (body["total"], body["page"], body["per_page"]) == (2, 2, 1)
    [hit] = body["results"]
    assert set(hit) == {"id", "title", "caption", "highlight", "credit", "gallery", "country",
                        "category", "media_type", "date_taken", "url", "thumbnail_url"}
    assert hit["id"] == library["tank"].id and hit["title"] == "Water tank"
    assert hit["gallery"] == {"id": library["tank"].gallery_id, "title": "Water in Turkana"}
    assert hit["country"] == "KEN" and hit["category"] == "health" and hit["media_type"] == "image"
    assert hit["date_taken"] == "2020-01-05" and "<mark>water</mark>" in hit["highlight"]
    assert hit["thumbnail_url"].endswith(f"/media/{hit['id']}/thumb.jpg?v={library['tank'].sha256[:12]}")
    assert set(body["facets"]) == {"category", "country", "media_type", "year", "credit"}
    assert body["facets"]["year"] == [{"value": "2020", "count": 1}, {"value": "2019", "count": 1}]
    assert body["suggestion"] is None
    with client.get("/api/search", query_string={"q": "draft unseen"}) as r:
        assert r.get_json()["total"] == 0


def test_staff_change_ticked_results_or_every_result_of_a_search(app, client, library, make_user, login_as):
    from gallery.extensions import db
    from gallery.models import Asset

    anonymous = soup(client, "/search", q="water")
    assert anonymous.select("form#search-bulk") == [] and anonymous.select('input[name="asset_ids"]') == []
    login_as(make_user("editor"))
    page = soup(client, "/search", q="water", country="KEN")
    form = page.select_one("form#search-bulk")
    assert form.select_one('input[name="country"]')["value"] == "KEN"
    assert "All 3 results of this search" in form.get_text()  # staff find the draft too
    boxes = page.select('input[name="asset_ids"][form="search-bulk"]')
    assert len(boxes) == 3
    # Ticked: only that one, in whichever gallery it is.
    ticked = library["danli"].id
    response = client.post("/search/bulk", data={"q": "water", "asset_ids": [str(ticked)], "apply_credit": "1",
                                                 "credit": "Pool photo", "next": "/search?q=water"})
    assert response.status_code == 302 and response.headers["Location"] == "/search?q=water"
    db.session.expire_all()
    assert db.session.get(Asset, ticked).credit == "Pool photo"
    assert db.session.get(Asset, library["tank"].id).credit == "Photo: A. Yusuf"
    # The whole result of a filtered search, beyond the page: the Kenyan photos, not Danlí's.
    response = client.post("/search/bulk", data={"q": "water", "country": "KEN", "whole_result": "1",
                                                 "apply_keywords": "1", "keywords": "drought",
                                                 "keywords_mode": "add"})
    assert response.status_code == 302
    db.session.expire_all()
    tagged = {a.id for a in db.session.query(Asset) if "drought" in (a.keywords or [])}
    assert tagged == {library["borehole"].id, library["tank"].id, library["draft"].id}
    # Nothing chosen, or a hostile id: a message, never a 500.
    for data in ({"q": "water", "apply_credit": "1", "credit": "x"}, {"q": "water", "asset_ids": ["²"], "apply_credit": "1"}):
        response = client.post("/search/bulk", data=data)
        assert response.status_code == 302
    app.config["WTF_CSRF_ENABLED"] = False
    login_as(make_user("member"))
    assert client.post("/search/bulk", data={"q": "water", "whole_result": "1", "apply_credit": "1",
                                            "credit": "mine"}).status_code == 403


def test_photographer_city_and_keywords_on_the_asset_page_lead_to_search(client, make_gallery, make_asset):
    gallery = make_gallery(title="Harvest", status="published")
    shot = make_asset(gallery, caption="Coffee pickers at dawn.", creator="José Peña", city="Danlí",
                      keywords=["coffee", "harvest season"])
    page = soup(client, f"/assets/{shot.id}")
    links = {a.get_text(): a["href"] for a in page.select(".meta-table a")}
    for text in ("José Peña", "Danlí", "coffee", "harvest season"):
        found = soup(client, links[text])
        assert shot.id in result_ids(found), text


def test_the_results_page_links_are_the_urls_url_for_builds(app, client, library):
    from flask import request, url_for

    from gallery.templating import url_with

    q = "water AND (Lodwar OR \"Danlí\") -flood / 50% +é&x=1"
    query = urlencode({"q": q, "year": 2019, "country": "KEN", "page": 2, "view": "list"})
    with app.test_request_context(f"/search?{query}"):
        app.preprocess_request()
        for changes in ({"page": None}, {"sort": "newest", "page": None}, {"view": None},
                        {"credit": "Photo: A. Yusuf / Relief Org."}, {"page": 3}, {"q": None}):
            args = dict(request.args.items())
            for key, value in changes.items():
                if value is None:
                    args.pop(key, None)
                else:
                    args[key] = value
            assert url_with(**changes) == url_for("search.results", **args)
    # As a reader follows them, in English and under a language's prefix: the facet and sort
    # links stay on the page and keep the query.
    for path in ("/search", "/fr/search"):
        page = BeautifulSoup(client.get(f"{path}?q=water&view=list").data, "html.parser")
        links = [a["href"] for a in page.select(".facets a, .sort a")]
        assert links and all(urlsplit(h).path == path and parse_qs(urlsplit(h).query)["q"] == ["water"]
                             for h in links)
