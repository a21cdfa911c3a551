"""Browse pages as a visitor sees them: home, lists, category, country, crossing, gallery, asset, terms."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from gallery.extensions import db
from gallery.models import Asset, SiteText
from gallery.services import counts, trash


def soup(client, path: str, status: int = 200) -> BeautifulSoup:
    """GET a page, check its status, parse it."""
    with client.get(path) as response:
        assert response.status_code == status, (path, response.status_code)
        return BeautifulSoup(response.data, "html.parser")


def texts(page: BeautifulSoup, selector: str) -> list[str]:
    """Stripped text of every element matching a selector."""
    return [el.get_text(" ", strip=True) for el in page.select(selector)]


def card_titles(page: BeautifulSoup, scope: str = "") -> list[str]:
    return texts(page, f"{scope} .gallery-cards .card .card-title".strip())


def facet_counts(page: BeautifulSoup, scope: str) -> dict[str, str]:
    """{label: count} of a facet list."""
    return {a.select_one("span").get_text(): a.select_one(".count").get_text()
            for a in page.select(f"{scope} li a")}


def _draft_asset(asset: Asset) -> None:
    """Unpublish one asset the way the editing helper will (status + recount)."""
    asset.status = "draft"
    counts.refresh_counts([asset.gallery_id])
    db.session.commit()


# --- home -----------------------------------------------------------------------------------------

def test_home_shows_search_picks_latest_and_categories(client, make_gallery, make_asset):
    second = make_gallery(title="Shelter in Hatay", category="Shelter", country="TUR",
                          editors_pick=True, pick_position=2)
    first = make_gallery(title="Clinics in Marib", category="Health", country="YEM",
                         editors_pick=True, pick_position=1)
    make_gallery(title="Floods in Danlí", category="Crisis Response", country="HND")
    make_gallery(title="Secret draft", category="Health", status="draft")
    for g in (first, second):
        make_asset(g, caption="A photo.")
    page = soup(client, "/")
    form = page.select_one("form.home-search")
    assert form["action"] == "/search" and form.select_one("input[name=q]") is not None
    assert card_titles(page, ".home-picks") == ["Clinics in Marib", "Shelter in Hatay"]
    assert card_titles(page, ".home-latest") == ["Floods in Danlí", "Clinics in Marib", "Shelter in Hatay"]
    categories = dict(
        (li.select_one(".term-name").get_text(), li.select_one(".count").get_text())
        for li in page.select(".home-categories .category-list li"))
    assert categories["Health"] == "1 gallery"  # the draft is not counted
    assert categories["Shelter"] == "1 gallery"
    assert categories["Labour"] == "0 galleries"
    assert "Secret draft" not in page.get_text()
    # Cards show the first asset's thumbnail, and a gallery without assets gets a placeholder.
    assert page.select_one(".home-picks .card-media img")["loading"] == "lazy"
    assert page.select(".home-latest .card-media .tile-placeholder")


def test_home_tabs_filter_by_media_type(client, make_gallery, make_asset):
    photos = make_gallery(title="With photos")
    make_asset(photos)
    make_gallery(title="Empty so far")
    page = soup(client, "/")
    tabs = {a.get_text(): a for a in page.select("nav.tabs a")}
    assert list(tabs) == ["All", "Images", "Videos", "Audio"]
    assert tabs["All"].get("aria-current") == "page"
    assert sorted(card_titles(page, ".home-latest")) == ["Empty so far", "With photos"]
    images = soup(client, tabs["Images"]["href"])
    assert images.select_one("nav.tabs a[aria-current=page]").get_text() == "Images"
    assert card_titles(images, ".home-latest") == ["With photos"]
    videos = soup(client, "/?type=video")
    assert card_titles(videos, ".home-latest") == []
    assert texts(videos, ".home-latest .empty") == ["No galleries yet."]


def test_home_ignores_a_bad_type(client, make_gallery):
    make_gallery(title="Anything")
    page = soup(client, "/?type=<script>")
    assert "The type must be image, video or audio." in texts(page, ".filter-notice")[0]
    assert card_titles(page, ".home-latest") == ["Anything"]


def test_cover_asset_is_the_card_image(client, make_gallery, make_asset):
    g = make_gallery(title="Covered")
    make_asset(g)
    cover = make_asset(g)
    g.cover_asset_id = cover.id
    db.session.commit()
    img = soup(client, "/").select_one(".home-latest .card-media img")
    assert img["src"] == f"/media/{cover.id}/thumb.jpg?v={cover.sha256[:12]}"


def test_unpublished_cover_falls_back_to_first_published_asset(client, make_gallery, make_asset):
    g = make_gallery(title="Covered")
    first = make_asset(g)
    cover = make_asset(g)
    g.cover_asset_id = cover.id
    _draft_asset(cover)
    img = soup(client, "/").select_one(".home-latest .card-media img")
    assert img["src"] == f"/media/{first.id}/thumb.jpg?v={first.sha256[:12]}"


# --- gallery lists --------------------------------------------------------------------------------

@pytest.fixture
def spread(make_gallery, make_asset):
    """Galleries across categories and countries, with one draft."""
    made = {
        "aden": make_gallery(title="Cholera in Aden", category="Health", country="YEM"),
        "marib": make_gallery(title="Clinics in Marib", category="Health", country="YEM"),
        "kenya": make_gallery(title="Clinics in Turkana", category="Health", country="KEN"),
        "sanaa": make_gallery(title="Shelter in Sanaa", category="Shelter", country="YEM"),
        "draft": make_gallery(title="Draft in Yemen", category="Health", country="YEM",
                              status="draft"),
    }
    make_asset(made["aden"])
    return made


def test_galleries_filters(client, spread):
    assert sorted(card_titles(soup(client, "/galleries"))) == [
        "Cholera in Aden", "Clinics in Marib", "Clinics in Turkana", "Shelter in Sanaa"]
    page = soup(client, "/galleries?category=health&country=yem")
    assert sorted(card_titles(page)) == ["Cholera in Aden", "Clinics in Marib"]
    assert texts(page, ".result-count") == ["2 galleries"]
    assert soup(client, "/galleries?country=YEM&category=shelter").select_one("h1").get_text() == \
        "Galleries · Shelter · Yemen"
    assert card_titles(soup(client, "/galleries?type=image")) == ["Cholera in Aden"]
    assert card_titles(soup(client, "/galleries?type=audio")) == []


@pytest.mark.parametrize("query, notice", [
    ("category=nope", "There is no category “nope”."),
    ("country=zz", "There is no country with the code “ZZ”"),
    ("country=%27%3B--", "There is no country with the code"),
    ("type=pdf", "The type must be image, video or audio."),
])
def test_galleries_bad_filters_are_ignored_with_a_message(client, spread, query, notice):
    page = soup(client, f"/galleries?{query}")
    assert notice in " ".join(texts(page, ".filter-notice"))
    assert len(card_titles(page)) == 4


@pytest.mark.parametrize("value", ["abc", "0", "-3", "1e9", "99999999999999999999", ""])
def test_bad_page_numbers_show_the_first_page(client, spread, value):
    assert len(card_titles(soup(client, f"/galleries?page={value}"))) == 4


def test_galleries_pagination(app, client, make_gallery):
    app.config["GALLERIES_PER_PAGE"] = 2
    for n in range(5):
        make_gallery(title=f"Gallery {n}")
    first = soup(client, "/galleries")
    assert card_titles(first) == ["Gallery 4", "Gallery 3"]
    assert texts(first, ".pagination li") == ["Page 1", "Page 2", "Page 3"]
    assert texts(first, ".pagination [aria-current=page]") == ["Page 1"]
    assert first.select_one(".pagination a[rel=prev]") is None
    second = soup(client, first.select_one(".pagination a[rel=next]")["href"])
    assert card_titles(second) == ["Gallery 2", "Gallery 1"]
    last = soup(client, second.select_one(".pagination a[rel=next]")["href"])
    assert card_titles(last) == ["Gallery 0"] and last.select_one(".pagination a[rel=next]") is None
    past = soup(client, "/galleries?page=9")
    assert card_titles(past) == [] and past.select_one(".past-end a")["href"] == "/galleries"


def test_staff_see_drafts_marked_as_drafts(client, spread, make_user, login_as):
    login_as(make_user("editor"))
    page = soup(client, "/galleries?country=yem&category=health")
    drafts = [card for card in page.select(".gallery-cards .card") if card.select_one(".badge-draft")]
    assert [d.select_one(".card-title").get_text() for d in drafts] == ["Draft in Yemen"]
    assert drafts[0].select_one(".badge-draft").get_text() == "Draft"


def test_members_do_not_see_drafts(client, spread, make_user, login_as):
    login_as(make_user("member"))
    assert "Draft in Yemen" not in card_titles(soup(client, "/galleries"))


# --- category, country, crossing ------------------------------------------------------------------

def test_category_page_with_country_counts(client, spread):
    page = soup(client, "/categories/health")
    assert page.select_one("h1").get_text() == "Health"
    assert sorted(card_titles(page)) == ["Cholera in Aden", "Clinics in Marib", "Clinics in Turkana"]
    counts = facet_counts(page, ".facet-countries")
    assert counts == {"Kenya": "1", "Yemen": "2"}  # the draft is not counted
    link = page.select_one(".facet-countries a[href='/categories/health/yem']")
    assert link is not None


def test_country_page_with_category_counts(client, spread):
    page = soup(client, "/countries/yem")
    assert page.select_one("h1").get_text() == "Yemen"
    assert sorted(card_titles(page)) == ["Cholera in Aden", "Clinics in Marib", "Shelter in Sanaa"]
    counts = facet_counts(page, ".facet-categories")
    assert counts == {"Health": "2", "Shelter": "1"}


def test_countries_index(client, spread):
    page = soup(client, "/countries")
    assert texts(page, ".country-list .term-name") == ["Kenya", "Yemen"]


def test_crossing_page_counts_both_ways(client, spread):
    page = soup(client, "/categories/health/yem")
    assert page.select_one("h1").get_text() == "Health in Yemen"
    assert sorted(card_titles(page)) == ["Cholera in Aden", "Clinics in Marib"]
    countries = facet_counts(page, ".facet-countries")
    assert countries == {"Kenya": "1", "Yemen": "2"}
    categories = facet_counts(page, ".facet-categories")
    assert categories == {"Health": "2", "Shelter": "1"}
    assert page.select_one(".facet-countries a[aria-current=page] span").get_text() == "Yemen"


def test_canonical_redirects(client, spread):
    for path, target in (("/countries/YEM", "/countries/yem"), ("/categories/HEALTH", "/categories/health"),
                         ("/categories/Health/YEM?page=2", "/categories/health/yem?page=2")):
        with client.get(path) as response:
            assert response.status_code == 301 and response.location == target


@pytest.mark.parametrize("path", ["/categories/nope", "/countries/zzz", "/countries/ye", "/countries/1234",
                                  "/categories/health/zzz", "/categories/nope/yem"])
def test_unknown_category_or_country_is_404(client, path):
    page = soup(client, path, 404)
    assert page.select_one(".error-page .error-code").get_text() == "404"


def test_clashing_query_arguments_do_not_break_links(client, spread):
    page = soup(client, "/categories/health?slug=x&_external=1&code=y")
    assert page.select_one("nav.tabs a")["href"].startswith("/categories/health")


# --- gallery page ---------------------------------------------------------------------------------

def test_gallery_page_shows_details_and_grid(client, make_gallery, make_asset):
    import datetime as dt

    g = make_gallery(title="Floods in Danlí", category="Crisis Response", country="HND",
                     credit="© Agency / José Martínez", description="Heavy rains flooded Danlí.",
                     date=dt.date(2024, 11, 22))
    a = make_asset(g, caption="Clearing mud.", alt_text="Residents clear mud", size=(1600, 1000))
    make_asset(g, caption="Portrait.", size=(600, 900))
    page = soup(client, f"/galleries/{g.id}-{g.slug}")
    assert page.select_one("h1").get_text(strip=True) == "Floods in Danlí"
    assert page.select_one(".gallery-count").get_text() == "2 items"
    assert page.select_one(".gallery-credit").get_text() == "© Agency / José Martínez"
    assert page.select_one(".gallery-description").get_text(strip=True) == "Heavy rains flooded Danlí."
    assert page.select_one(".gallery-category a")["href"] == "/categories/crisis-response"
    assert page.select_one(".gallery-country a").get_text() == "Honduras"
    assert page.select_one(".gallery-date time")["datetime"] == "2024-11-22"
    tiles = page.select(".asset-grid .tile")
    assert len(tiles) == 2
    img = tiles[0].select_one("img")
    assert tiles[0].select_one("a.tile-link")["href"] == f"/assets/{a.id}"
    assert img["alt"] == "Residents clear mud"
    assert img["loading"] == "lazy" and (img["width"], img["height"]) == ("400", "250")
    v = a.sha256[:12]  # rendition URLs carry a version: public ones are cached as immutable
    assert img["srcset"] == f"/media/{a.id}/thumb.jpg?v={v} 400w, /media/{a.id}/preview.jpg?v={v} 1280w"
    portrait = tiles[1].select_one("img")
    assert (portrait["width"], portrait["height"]) == ("267", "400")


def test_gallery_redirects_to_canonical_slug(client, make_gallery):
    g = make_gallery(title="Clean water in Lodwar")
    for path in (f"/galleries/{g.id}", f"/galleries/{g.id}-old-title", f"/galleries/{g.id}-x?page=2"):
        with client.get(path) as response:
            assert response.status_code == 301
            assert response.location.startswith(f"/galleries/{g.id}-clean-water-in-lodwar")
    with client.get(f"/galleries/{g.id}-x?page=2") as response:
        assert response.location.endswith("?page=2")


@pytest.mark.parametrize("ref", ["abc", "-1", "99999", "1e3-x", "999999999999999999999"])
def test_gallery_bad_reference_is_404(client, ref):
    soup(client, f"/galleries/{ref}", 404)


def test_gallery_pagination_and_hidden_drafts(app, client, make_gallery, make_asset):
    app.config["ASSETS_PER_PAGE"] = 2
    g = make_gallery(title="Many")
    assets = [make_asset(g, caption=f"Photo {n}") for n in range(5)]
    _draft_asset(assets[1])
    first = soup(client, f"/galleries/{g.id}-{g.slug}")
    assert [a["href"] for a in first.select(".asset-grid .tile-link")] == [
        f"/assets/{assets[0].id}", f"/assets/{assets[2].id}"]
    assert first.select_one(".gallery-count").get_text() == "4 items"
    assert texts(first, ".pagination [aria-current=page]") == ["Page 1"]
    second = soup(client, first.select_one(".pagination a[rel=next]")["href"])
    assert [a["href"] for a in second.select(".asset-grid .tile-link")] == [
        f"/assets/{assets[3].id}", f"/assets/{assets[4].id}"]


def test_staff_see_draft_gallery_and_assets(client, make_gallery, make_asset, make_user, login_as):
    g = make_gallery(title="Work in progress", status="draft")
    make_asset(g)
    hidden = make_asset(g)
    _draft_asset(hidden)
    soup(client, f"/galleries/{g.id}-{g.slug}", 404)
    soup(client, f"/assets/{hidden.id}", 404)
    login_as(make_user("editor"))
    page = soup(client, f"/galleries/{g.id}-{g.slug}")
    assert page.select_one("h1 .badge-draft").get_text() == "Draft"
    assert page.select_one(".gallery-count").get_text() == "2 items"
    assert texts(page, ".asset-grid .tile-status") == ["Draft"]
    soup(client, f"/assets/{hidden.id}")


def test_deleted_gallery_is_gone(client, make_gallery, make_asset):
    from gallery.models import utcnow

    g = make_gallery(title="Trashed")
    a = make_asset(g)
    g.deleted_at = utcnow()
    db.session.commit()
    soup(client, f"/galleries/{g.id}-{g.slug}", 404)
    soup(client, f"/assets/{a.id}", 404)
    assert card_titles(soup(client, "/galleries")) == []


# --- asset page -----------------------------------------------------------------------------------

def test_asset_page(client, make_gallery, make_asset):
    import datetime as dt

    g = make_gallery(title="Earthquake shelters in Hatay", category="Shelter", country="TUR")
    first = make_asset(g, caption="First.")
    a = make_asset(g, title="Container settlement", caption="Rows of containers in Antakya, Türkiye.",
                   credit="© Agency / Ayşe Yılmaz", creator="Ayşe Yılmaz", city="Antakya",
                   keywords="shelter, earthquake", date_taken=dt.date(2023, 3, 14), size=(800, 600))
    last = make_asset(g, caption="Last.")
    page = soup(client, f"/assets/{a.id}")
    assert page.select_one("h1").get_text(strip=True) == "Container settlement"
    preview = page.select_one(".asset-media img.preview")
    assert preview["src"] == f"/media/{a.id}/preview.jpg?v={a.sha256[:12]}" and preview["width"] == "800"
    with client.get(preview["src"]) as response:
        assert response.status_code == 200
    assert page.select_one(".caption").get_text() == "Rows of containers in Antakya, Türkiye."
    button = page.select_one(".credit-line button[data-copy]")
    assert page.select_one(f"#{button['data-copy']}").get_text() == "© Agency / Ayşe Yılmaz"
    cells = {tr.select_one("th").get_text(): tr.select_one("td") for tr in page.select("table.meta-table tr")}
    rows = {name: " ".join(td.get_text().split()) for name, td in cells.items()}  # as it reads
    assert rows["Dimensions"] == "800 × 600 px"
    assert rows["Place"] == "Antakya, Türkiye"
    assert rows["Creator"] == "Ayşe Yılmaz"
    assert rows["Keywords"] == "shelter, earthquake"
    assert rows["Date"] == "14 March 2023"
    assert page.select_one(".asset-prev")["href"] == f"/assets/{first.id}"
    assert page.select_one(".asset-next")["href"] == f"/assets/{last.id}"
    assert page.select_one(".asset-position").get_text(" ", strip=True).startswith("2 of 3")
    assert cells["Gallery"].select_one("a")["href"] == f"/galleries/{g.id}-{g.slug}"
    assert cells["Category"].select_one("a")["href"] == "/categories/shelter"
    assert cells["Gallery country"].select_one("a")["href"] == "/countries/tur"
    assert page.select_one("a[rel=up]")["href"] == f"/galleries/{g.id}-{g.slug}"
    first_page = soup(client, f"/assets/{first.id}")
    assert first_page.select_one(".asset-prev") is None
    assert first_page.select_one(".asset-next")["href"] == f"/assets/{a.id}"


def test_asset_neighbours_skip_drafts_for_the_public(client, make_gallery, make_asset):
    g = make_gallery()
    a, b, c = make_asset(g), make_asset(g), make_asset(g)
    _draft_asset(b)
    page = soup(client, f"/assets/{a.id}")
    assert page.select_one(".asset-next")["href"] == f"/assets/{c.id}"


def test_asset_back_link_points_at_its_gallery_page(app, client, make_gallery, make_asset):
    app.config["ASSETS_PER_PAGE"] = 2
    g = make_gallery(title="Paged")
    assets = [make_asset(g) for _ in range(3)]
    page = soup(client, f"/assets/{assets[2].id}")
    assert page.select_one(".back-to-gallery")["href"] == f"/galleries/{g.id}-{g.slug}?page=2"


def test_unknown_asset_is_404(client):
    soup(client, "/assets/424242", 404)


# --- terms and error pages ------------------------------------------------------------------------

def test_terms_default_text(client):
    page = soup(client, "/terms")
    assert page.select_one("h1").get_text() == "Terms of use"
    assert "What you may do" in texts(page, ".site-text-body h2")


def test_terms_from_site_texts_rendered_safely(client, app):
    db.session.add(SiteText(key="terms", title="Conditions", version=3, body=(
        "## Use\n\nCredit **always**.\n\n<script>alert(1)</script>\n\n"
        "[bad](javascript:alert(1)) [good](https://example.org)\n\n<img src=x onerror=alert(1)>")))
    db.session.commit()
    page = soup(client, "/terms")
    body = page.select_one(".site-text-body")
    assert page.select_one("h1").get_text() == "Conditions"
    assert body.select_one("h2").get_text() == "Use"
    assert body.select_one("strong").get_text() == "always"
    assert body.select("script") == [] and body.select("img") == []
    hrefs = [a.get("href") for a in body.select("a")]
    assert hrefs == [None, "https://example.org"]
    assert texts(page, ".site-text-version") == ["Version 3"]


def test_error_pages(app, client, monkeypatch):
    from werkzeug.exceptions import Forbidden

    def boom():
        raise RuntimeError("kaput")

    def forbidden():
        raise Forbidden()

    def upload():
        from flask import request

        return str(len(request.form))

    app.add_url_rule("/_test/boom", "boom", boom)
    app.add_url_rule("/_test/forbidden", "forbidden", forbidden)
    app.add_url_rule("/_test/upload", "upload", upload, methods=["POST"])
    app.config["MAX_CONTENT_LENGTH"] = 10
    app.config["PROPAGATE_EXCEPTIONS"] = False
    # The app logger is one per process: silence it for this test only (the 500 is on purpose).
    monkeypatch.setattr(app.logger, "disabled", True)
    for path, status in (("/_test/boom", 500), ("/_test/forbidden", 403), ("/nowhere", 404)):
        page = soup(client, path, status)
        assert page.select_one(".error-page .error-code").get_text() == str(status)
        assert page.select_one(".error-page .lead").get_text()
        assert page.select_one("header .brand") is not None  # the site chrome is there
    with client.post("/_test/upload", data={"f": "x" * 100}) as response:
        assert response.status_code == 413
        page = BeautifulSoup(response.data, "html.parser")
        assert page.select_one(".error-page .lead").get_text() == "The upload is too large."


def test_healthz(client):
    with client.get("/healthz") as response:
        assert response.status_code == 200 and response.json == {"status": "ok"}


@pytest.mark.parametrize("role", [None, "editor", "admin"])
def test_trashed_gallery_is_404_on_public_pages_for_everyone(client, make_user, login_as, make_gallery,
                                                             make_asset, role):

    admin = make_user("admin")
    gallery = make_gallery(title="Binned gallery")
    asset = make_asset(gallery)
    trash.trash_gallery(gallery.id, admin)
    if role:
        login_as(make_user(role))
    for path in (f"/galleries/{gallery.id}-{gallery.slug}", f"/galleries/{gallery.id}",
                 f"/assets/{asset.id}", f"/api/galleries/{gallery.id}", f"/api/assets/{asset.id}"):
        assert client.get(path).status_code == 404, (role, path)
    if role:
        # Staff still find it on the manage trash page, and its thumbnail still loads there.
        page = soup(client, "/manage/trash")
        item = page.select_one(f".trash-galleries li[data-gallery-id='{gallery.id}'] .title")
        assert item.get_text() == "Binned gallery"
        with client.get(f"/media/{asset.id}/thumb.jpg") as thumb:
            assert thumb.status_code == 200
    trash.restore_gallery(gallery.id, admin)
    assert client.get(f"/galleries/{gallery.id}-{gallery.slug}").status_code == 200


@pytest.mark.parametrize("fields", [{}, {"title": "Water point"}])
def test_asset_heading_does_not_repeat_the_caption(client, make_gallery, make_asset, fields):
    caption = ("Women queue at the new borehole in Lodwar, Turkana County, where the water committee "
               "keeps the pump running through the dry season.")
    g = make_gallery(title="Water in Turkana")
    make_asset(g, caption="First.")
    a = make_asset(g, caption=caption, **fields)
    page = soup(client, f"/assets/{a.id}")
    expected = fields.get("title", "Photo 2 of Water in Turkana")
    assert page.select_one("h1").get_text(strip=True) == expected
    assert page.select(".breadcrumbs li")[-1].get_text(strip=True) == expected
    shown = page.select_one(".viewer-info")
    for hidden in shown.select("[hidden]"):  # the copy button's caption line is not shown
        hidden.decompose()
    assert shown.get_text(" ", strip=True).count(caption[:60]) == 1  # the caption once, in full
    assert page.select_one(".caption").get_text() == caption


def test_the_pager_shows_what_the_loop_over_every_page_showed():
    """page_window gives the entries the template's old loop over range(1, pages + 1) drew."""
    from gallery.templating import page_window

    def every_page(page: int, pages: int) -> list[int | None]:
        out: list[int | None] = []
        for n in range(1, pages + 1):
            if n == 1 or n == pages or abs(n - page) <= 2:
                out.append(n)
            elif abs(n - page) == 3:
                out.append(None)
        return out

    for pages in range(1, 25):
        for page in range(1, pages + 4):
            assert page_window(page, pages) == every_page(page, pages), (page, pages)
    assert page_window(900, 1667) == [1, None, 898, 899, 900, 901, 902, None, 1667]
