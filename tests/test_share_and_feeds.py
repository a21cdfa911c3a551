"""Share cards (OpenGraph) and the Atom feed show only what the public may see."""
from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from bs4 import BeautifulSoup

from gallery import clock
from gallery.extensions import db

ATOM = "{http://www.w3.org/2005/Atom}"
MEDIA = "{http://search.yahoo.com/mrss/}"


def meta(client, url: str) -> dict[str, str]:
    page = BeautifulSoup(client.get(url).data, "html.parser")
    return {m.get("property") or m.get("name"): m["content"] for m in page.select("head meta[content]")}


@pytest.fixture
def shots(make_gallery, make_asset):
    gallery = make_gallery(title="Water in Turkana", status="published", description="Boreholes reopen.")
    plain = make_asset(gallery, caption="Women collect water at a borehole in Lodwar.", alt_text="Two women")
    hidden = make_asset(gallery, caption="A child in the queue.")
    hidden.sensitive = True  # as staff mark it on the edit page
    gallery.cover_asset_id = hidden.id
    db.session.commit()
    return gallery, plain, hidden


def test_asset_page_share_card(client, shots):
    gallery, plain, hidden = shots
    tags = meta(client, f"/assets/{plain.id}")
    assert tags["og:title"] == plain.display_title and tags["og:type"] == "article"
    assert tags["og:description"].startswith("Women collect water")
    assert tags["og:url"] == f"http://localhost/assets/{plain.id}"
    assert f"/media/{plain.id}/preview.jpg?v=" in tags["og:image"] and tags["og:image:alt"] == "Two women"
    assert tags["twitter:card"] == "summary_large_image"
    sensitive = meta(client, f"/assets/{hidden.id}")
    # A sensitive item gets no share card at all: a link preview shows no caption and no picture.
    assert not [k for k in sensitive if k.startswith(("og:", "twitter:"))]


def test_a_sensitive_cover_never_becomes_a_link_preview_even_for_staff(client, shots, make_user, login_as):
    gallery, plain, hidden = shots
    login_as(make_user("editor"))
    tags = meta(client, f"/galleries/{gallery.id}-{gallery.slug}")
    assert tags["og:title"] == "Water in Turkana" and "og:image" not in tags


def test_atom_feed_lists_public_galleries_only(client, monkeypatch, shots, make_gallery, make_asset):
    gallery, plain, hidden = shots
    make_gallery(title="Draft report", status="draft")
    make_gallery(title="Embargoed report", status="published", embargo_until="2099-01-01T00:00")
    with client.get("/feed") as r:
        assert r.status_code == 200 and r.mimetype == "application/atom+xml"
        assert r.headers["Cache-Control"] == "public, max-age=300"
        feed = ET.fromstring(r.data)
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == ["Water in Turkana"]
    entry = entries[0]
    assert entry.find(f"{ATOM}link").get("href") == f"http://localhost/galleries/{gallery.id}-{gallery.slug}"
    assert entry.find(f"{ATOM}summary").text == "Boreholes reopen."
    thumb = entry.find(f"{MEDIA}thumbnail").get("url")
    assert "/blurred.jpg" in thumb  # the sensitive cover as the public sees it
    assert dt.datetime.fromisoformat(entry.find(f"{ATOM}updated").text.replace("Z", "+00:00"))
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2099, 1, 1, 0, 1))
    titles = [e.find(f"{ATOM}title").text for e in ET.fromstring(client.get("/feed").data).findall(f"{ATOM}entry")]
    assert "Embargoed report" in titles
    page = BeautifulSoup(client.get("/").data, "html.parser")
    assert page.select_one('link[rel=alternate][type="application/atom+xml"]')["href"] == "/feed"
