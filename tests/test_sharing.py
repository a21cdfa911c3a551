"""Share cards, schema.org JSON-LD, oEmbed and embed pages: only for what the public may see."""
from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup

from gallery.services import assets, galleries


def soup(client, url: str) -> BeautifulSoup:
    r = client.get(url)
    assert r.status_code == 200, r.data[:300]
    return BeautifulSoup(r.data, "html.parser")


def card(page: BeautifulSoup) -> dict[str, str]:
    return {k: m["content"] for m in page.select("head meta[content]")
            if (k := m.get("property") or m.get("name") or "").startswith(("og:", "twitter:"))}


def ld(page: BeautifulSoup) -> list[dict]:
    return [json.loads(s.string) for s in page.select('script[type="application/ld+json"]')]


def gallery_path(g) -> str:
    return f"/galleries/{g.id}-{g.slug}"


@pytest.fixture
def lib(make_gallery, make_asset, make_user):
    editor = make_user("editor")
    g = make_gallery(title="Water in Turkana", description="Boreholes reopen.", credit="IOM / Amina Yusuf",
                     licence="cc-by-4.0")
    plain = make_asset(g, caption="Women at a borehole in Lodwar.", creator="Amina Yusuf", city="Lodwar",
                       copyright="© IOM 2024", keywords=["water", "borehole"])
    cases = {}
    for name, change in (("sensitive", {"sensitive": "1"}), ("withheld", {"consent": "withheld"}),
                         ("draft", {"status": "draft"}), ("embargoed", {"embargo_until": "2099-01-01T00:00"})):
        a = make_asset(g, caption=f"A {name} picture.")
        assets.update_asset(a.id, change, editor)
        cases[name] = a
    return g, plain, cases, editor


def test_home_page_has_a_share_card_with_a_public_picture(client, lib):
    g, plain, cases, editor = lib
    galleries.update_gallery(g.id, {"cover_asset_id": cases["sensitive"].id}, editor)
    tags = card(soup(client, "/"))
    assert tags["og:type"] == "website" and tags["og:url"] == "http://localhost/"
    assert tags["og:title"] == "Media Gallery"
    assert "og:image" not in tags  # the only cover is sensitive
    galleries.update_gallery(g.id, {"cover_asset_id": plain.id}, editor)
    tags = card(soup(client, "/"))
    assert f"/media/{plain.id}/preview.jpg" in tags["og:image"] and tags["twitter:card"] == "summary_large_image"


@pytest.mark.parametrize("case", ["sensitive", "withheld", "draft", "embargoed"])
def test_no_share_card_or_oembed_for_hidden_items_even_for_staff(client, lib, login_as, case):
    g, plain, cases, editor = lib
    login_as(editor)
    page = soup(client, f"/assets/{cases[case].id}")
    assert card(page) == {}
    assert page.select('link[type="application/json+oembed"]') == []
    assert page.select(".embed-snippet") == []
    data = ld(page)
    if case == "sensitive":  # public, but its picture is not: described without any file
        assert "contentUrl" not in data[0] and "thumbnailUrl" not in data[0]
    else:
        assert data == []
    url = f"http://localhost/assets/{cases[case].id}"
    assert client.get("/oembed", query_string={"url": url}).status_code == 404
    assert client.get(f"/embed/assets/{cases[case].id}").status_code == 404


@pytest.mark.parametrize("change", [{"status": "draft"}, {"embargo_until": "2099-01-01T00:00"}])
def test_no_share_card_for_a_draft_or_embargoed_gallery(client, lib, login_as, change):
    g, plain, cases, editor = lib
    galleries.update_gallery(g.id, change, editor)
    login_as(editor)
    page = soup(client, gallery_path(g))
    assert card(page) == {} and ld(page) == [] and page.select(".embed-snippet") == []
    assert client.get("/oembed", query_string={"url": f"http://localhost{gallery_path(g)}"}).status_code == 404
    assert client.get(f"/embed/galleries/{g.id}").status_code == 404


def test_asset_json_ld_carries_credit_licence_and_files(client, lib):
    g, plain, cases, editor = lib
    page = soup(client, f"/assets/{plain.id}")
    [data] = ld(page)
    assert data["@context"] == "https://schema.org" and data["@type"] == "ImageObject"
    assert data["caption"] == "Women at a borehole in Lodwar."
    assert data["creator"] == {"@type": "Person", "name": "Amina Yusuf"}
    assert data["creditText"].startswith("©") and "Amina Yusuf" in data["creditText"]
    assert data["copyrightNotice"] == "© IOM 2024"
    assert data["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert data["acquireLicensePage"] == "http://localhost/terms"
    assert f"/media/{plain.id}/preview.jpg" in data["contentUrl"] and data["width"] > 0
    assert data["contentLocation"]["name"] == "Lodwar, Kenya"
    assert data["url"] == f"http://localhost/assets/{plain.id}"


def test_a_caption_cannot_break_out_of_the_json_ld(client, lib):
    g, plain, cases, editor = lib
    evil = 'Lodwar </script><script>alert("x")</script> <!-- & \u2028 end'
    assets.update_asset(plain.id, {"caption": evil}, editor)
    r = client.get(f"/assets/{plain.id}")
    assert b"</script><script>alert" not in r.data
    page = BeautifulSoup(r.data, "html.parser")
    assert [s for s in page.select("script") if "alert" in (s.string or "") and not s.get("type")] == []
    assert ld(page)[0]["caption"] == evil


def test_gallery_json_ld_lists_public_items_only(client, lib, login_as):
    g, plain, cases, editor = lib
    login_as(editor)  # staff see the draft on the page; search engines are never told of it
    [data] = ld(soup(client, gallery_path(g)))
    assert data["@type"] == "ImageGallery" and data["name"] == "Water in Turkana"
    assert data["description"] == "Boreholes reopen." and data["license"].endswith("/by/4.0/")
    parts = {p["url"]: p for p in data["hasPart"]}
    assert set(parts) == {f"http://localhost/assets/{plain.id}", f"http://localhost/assets/{cases['sensitive'].id}"}
    assert "thumbnailUrl" in parts[f"http://localhost/assets/{plain.id}"]
    assert "thumbnailUrl" not in parts[f"http://localhost/assets/{cases['sensitive'].id}"]


def test_oembed_photo_and_rich_gallery(client, lib):
    g, plain, cases, editor = lib
    page = soup(client, f"/assets/{plain.id}")
    link = page.select_one('head link[rel=alternate][type="application/json+oembed"]')["href"]
    r = client.get(link)
    assert r.status_code == 200 and r.mimetype == "application/json"
    photo = r.get_json()
    assert photo["version"] == "1.0" and photo["type"] == "photo"
    assert f"/media/{plain.id}/preview.jpg" in photo["url"] and (photo["width"], photo["height"]) == (640, 480)
    assert photo["author_name"] == "Amina Yusuf" and photo["provider_name"] == "Media Gallery"
    small = client.get("/oembed", query_string={"url": f"http://localhost/assets/{plain.id}", "maxwidth": "200"}).get_json()
    assert small["width"] <= 200 and f"/media/{plain.id}/thumb.jpg" in small["url"]

    rich = client.get("/oembed", query_string={"url": f"http://localhost{gallery_path(g)}", "format": "json",
                                               "maxwidth": "320", "maxheight": "9999"}).get_json()
    assert rich["type"] == "rich" and rich["width"] <= 320
    frame = BeautifulSoup(rich["html"], "html.parser").select_one("iframe")
    assert frame["src"] == f"http://localhost/embed/galleries/{g.id}" and frame["title"] == "Water in Turkana"
    assert soup(client, gallery_path(g)).select_one('link[type="application/json+oembed"]')


@pytest.mark.parametrize("args, status", [
    ({"url": "http://localhost/assets/1", "format": "xml"}, 400),
    ({"url": "https://evil.example/assets/1"}, 404),
    ({"url": "http://localhost/assets/99999999999"}, 404),
    ({"url": "http://localhost/terms"}, 404),
    ({"url": "javascript:alert(1)"}, 404),
    ({"url": "http://localhost/galleries/%C2%B2-x"}, 404),
    ({"url": "http://localhost/" + "a" * 5000}, 404),
    ({}, 404),
])
def test_oembed_refuses_what_it_cannot_show_with_json(client, lib, args, status):
    r = client.get("/oembed", query_string={**args, "maxwidth": "-5"})
    assert r.status_code == status and r.get_json()["error"]["message"]


def test_embed_pages_may_be_framed_and_carry_the_credit(client, lib):
    g, plain, cases, editor = lib
    r = client.get(f"/embed/assets/{plain.id}")
    assert r.status_code == 200
    assert "X-Frame-Options" not in r.headers and "frame-ancestors *" in r.headers["Content-Security-Policy"]
    page = BeautifulSoup(r.data, "html.parser")
    assert "Amina Yusuf" in page.select_one(".embed-credit").text
    assert page.select_one("img")["src"].startswith(f"/media/{plain.id}/preview.jpg")
    gallery_page = BeautifulSoup(client.get(f"/embed/galleries/{g.id}").data, "html.parser")
    shown = [a["href"] for a in gallery_page.select(".embed-grid a")]
    assert f"http://localhost/assets/{plain.id}" in shown
    assert f"http://localhost/assets/{cases['draft'].id}" not in shown
    assert "blurred.jpg" in str(gallery_page.select(".embed-grid")) # the sensitive one, blurred
    # Every other page still refuses to be framed.
    other = client.get(f"/assets/{plain.id}")
    assert other.headers["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in other.headers["Content-Security-Policy"]


def test_embed_snippet_with_a_copy_button(client, lib):
    g, plain, cases, editor = lib
    page = soup(client, f"/assets/{plain.id}")
    snippet = page.select_one(".embed-snippet")
    code = snippet.select_one("#embed-code").text
    frame = BeautifulSoup(code, "html.parser").select_one("iframe")
    assert frame["src"] == f"http://localhost/embed/assets/{plain.id}"
    assert snippet.select_one("button[data-copy=embed-code]")
    assert soup(client, gallery_path(g)).select_one(".embed-snippet #embed-code")


def test_a_public_video_is_a_video_object_and_embeds_as_an_iframe(client, make_gallery):
    import io

    from gallery.extensions import db
    from gallery.services import ingest, jobs
    from tests.media_files import video_bytes

    g = make_gallery(title="Testimonies")
    asset = ingest.ingest(g, io.BytesIO(video_bytes(seconds=1)), "walk.mp4", {"caption": "A walk to the well."}).asset
    assert jobs.wait_idle()  # public once its web proxy is made
    db.session.expire_all()
    [data] = ld(soup(client, f"/assets/{asset.id}"))
    assert data["@type"] == "VideoObject" and data["description"] == "A walk to the well."
    assert data["contentUrl"] == f"http://localhost/media/{asset.id}/play/web"
    assert data["embedUrl"] == f"http://localhost/embed/assets/{asset.id}" and data["duration"].startswith("PT")
    rich = client.get("/oembed", query_string={"url": f"http://localhost/assets/{asset.id}"}).get_json()
    assert rich["type"] == "rich" and f'src="http://localhost/embed/assets/{asset.id}"' in rich["html"]
    page = soup(client, f"/embed/assets/{asset.id}")
    assert page.select_one("video source")["src"] == f"/media/{asset.id}/play/web"
