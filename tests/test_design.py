"""The design system: CSP-safe templates, shared macros, error pages that say what to do next."""
from __future__ import annotations

import os
import re

import pytest
from bs4 import BeautifulSoup
from flask import render_template_string

from gallery import config

TEMPLATES = os.path.join(config.ROOT, "templates")
STATIC = os.path.join(config.ROOT, "gallery", "static")


def _template_files():
    for folder, _dirs, files in os.walk(TEMPLATES):
        for name in files:
            if name.endswith(".html"):
                yield os.path.join(folder, name)


@pytest.mark.parametrize("path", sorted(_template_files()), ids=lambda p: os.path.relpath(p, TEMPLATES))
def test_templates_obey_the_csp(path):
    """No inline styles, inline scripts or event-handler attributes: the CSP would block them."""
    with open(path, encoding="utf-8") as fh:
        soup = BeautifulSoup(fh.read(), "html.parser")
    for tag in soup.find_all(True):
        assert "style" not in tag.attrs, f"style= on <{tag.name}>"
        assert not [a for a in tag.attrs if a.lower().startswith("on")], f"event handler on <{tag.name}>"
    for script in soup.find_all("script"):
        if script.get("type") == "application/ld+json":
            continue  # a data block (schema.org JSON-LD): never run, so the CSP has no say in it
        assert script.get("src"), "inline <script> block"
        assert not script.get_text(strip=True)
    assert not soup.find_all("style"), "<style> block"


def test_pages_load_only_local_assets(client):
    page = BeautifulSoup(client.get("/").data, "html.parser")
    urls = [t.get("src") or t.get("href") for t in page.select("script[src], link[href]")]
    assert urls and all(u.startswith("/") and not u.startswith("//") for u in urls)
    for url in urls:
        with client.get(url) as response:
            assert response.status_code == 200, url
    with open(os.path.join(STATIC, "css", "gallery.css"), encoding="utf-8") as fh:
        css = fh.read()
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", css)


def test_header_search_and_footer_on_every_page(client):
    for path in ("/", "/no-such-page"):
        page = BeautifulSoup(client.get(path).data, "html.parser")
        field = page.select_one("header form[role=search] input[name=q]")
        assert page.select_one(f"label[for={field['id']}]").get_text(strip=True)
        assert page.select_one("a.skip-link")["href"] == "#main" and page.select_one("main#main")
        assert page.select_one("footer a[href='/terms']").get_text() == "Terms of use"


def test_not_found_page_offers_next_steps(client):
    response = client.get("/assets/999999")
    assert response.status_code == 404
    page = BeautifulSoup(response.data, "html.parser")
    assert page.select_one("h1").get_text() == "Page not found"
    form = page.select_one(".error-page form[action='/search']")
    assert page.select_one(f"label[for={form.select_one('input')['id']}]")
    links = {a["href"] for a in page.select(".error-page a")}
    assert {"/", "/galleries"} <= links


def test_asset_tile_keeps_the_photo_shape(app, make_gallery, make_asset):
    gallery = make_gallery()
    wide = make_asset(gallery, caption="A wide photo", size=(900, 300))
    tall = make_asset(gallery, caption="A tall photo", alt_text="Girl at a tap", size=(300, 600))
    with app.test_request_context("/"):
        html = render_template_string(
            '{% from "macros.html" import asset_grid %}{{ asset_grid(assets, selectable=true) }}',
            assets=[wide, tall])
    tiles = BeautifulSoup(html, "html.parser").select("ul.asset-grid > li")
    assert "ar-30" in tiles[0]["class"] and "ar-5" in tiles[1]["class"]
    assert tiles[0].img["alt"] == "A wide photo" and tiles[1].img["alt"] == "Girl at a tap"
    assert tiles[0].img["loading"] == "lazy" and "400w" in tiles[0].img["srcset"]
    box = tiles[1].select_one(".tile-select input[type=checkbox]")
    assert box["value"] == str(tall.id) and box.find_parent("label").get_text(strip=True)


def test_pagination_macro(app):
    with app.test_request_context("/?q=water&page=5"):
        html = render_template_string(
            '{% from "macros.html" import pagination %}{{ pagination(5, 10) }}')
    nav = BeautifulSoup(html, "html.parser").select_one("nav.pagination")
    assert nav.select_one("[aria-current=page]").get_text() == "Page 5"
    assert "page=4" in nav.select_one("a[rel=prev]")["href"] and "q=water" in nav.select_one("a[rel=next]")["href"]
    pages = [a.get_text() for a in nav.select("li a")]
    assert pages == ["Page 1", "Page 3", "Page 4", "Page 6", "Page 7", "Page 10"]


def test_tile_urls_built_once_per_request_equal_url_for(app, make_gallery, make_asset):
    from flask import url_for

    from gallery.templating import asset_url, rendition_url

    asset = make_asset(make_gallery())
    for root in ("", "/photos"):  # also behind a reverse proxy that mounts the app on a path
        with app.test_request_context("/", base_url=f"http://localhost{root}/"):
            for _ in range(2):  # the second call comes from the per-request cache
                assert asset_url(asset) == url_for("browse.asset", asset_id=asset.id)
                assert asset_url(asset).startswith(f"{root}/assets/")
                for size in ("thumb", "preview"):
                    assert rendition_url(asset, size) == url_for(
                        "media.rendition", asset_id=asset.id, size=size, v=asset.sha256[:12])
            assert asset_url(asset, _external=True) == url_for("browse.asset", asset_id=asset.id,
                                                               _external=True)


def _template_texts():
    for path in sorted(_template_files()):
        with open(path, encoding="utf-8") as fh:
            yield os.path.relpath(path, TEMPLATES), fh.read()


def test_templates_link_by_endpoint_to_endpoints_that_exist(app):
    """Every url_for names a live endpoint and no link is a hand-written site path: a renamed
    endpoint fails here, not silently in a page."""
    for name, text in _template_texts():
        for endpoint in re.findall(r"url_for\(\s*['\"]([\w.]+)['\"]", text):
            assert endpoint in app.view_functions, f"{name}: no endpoint {endpoint}"
        assert not re.search(r"""(?:href|action|src)=["']/(?!/)""", text), f"{name}: use url_for"
        assert "ignore missing" not in text, f"{name}: include what exists"


def test_templates_live_in_one_folder_per_blueprint(app):
    """Each folder under templates/ belongs to a blueprint (errors/ to the app's error pages),
    and every template a template includes or imports exists."""
    folders = {entry.name for entry in os.scandir(TEMPLATES) if entry.is_dir()}
    assert folders - {"errors"} <= set(app.blueprints)
    for name, text in _template_texts():
        for other in re.findall(r"{%-?\s*(?:include|import|from|extends)\s+['\"]([^'\"]+)['\"]", text):
            assert os.path.isfile(os.path.join(TEMPLATES, other)), f"{name}: {other} is missing"
