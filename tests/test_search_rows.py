"""A result page's rows, read without the ORM, say what the models say and follow the same rules."""
from __future__ import annotations

import datetime as dt
import io

from gallery import policy
from gallery.extensions import db
from gallery.models import Asset, Category, Country, Gallery
from gallery.services import ingest, jobs
from gallery.services.search import rows
from gallery.services.search.engine import _load_assets
from tests.media_files import video_bytes


def columns(obj, model) -> dict:
    return {c.key: getattr(obj, c.key) for c in model.__table__.columns}


def test_rows_hold_every_column_of_the_asset_its_gallery_category_and_countries(
        app, make_gallery, make_asset):
    kenya = make_gallery(title="Water in Turkana", country="KEN", description="Boreholes.",
                         credit="Relief Org")
    nowhere = make_gallery(title="Unplaced", category="Shelter", country=None)
    placed = make_asset(kenya, caption="Clean water in Lodwar.", credit="Photo: A. Yusuf",
                        keywords=["water", "borehole"], date_taken=dt.date(2019, 6, 3), country="HND")
    bare = make_asset(nowhere, title="", caption="")
    # JSON columns come as text and are parsed when read: with values and empty.
    placed.translations = {"fr": {"caption": "Eau potable à Lodwar."}}
    placed.extra = {"iptc": {"city": "Lodwar"}}
    kenya.translations = {"es": {"title": "Agua en Turkana"}}
    db.session.commit()
    with app.test_request_context():
        found = rows.load(db.session, [bare.id, 10_000_000, placed.id])
        assert set(found) == {placed.id, bare.id}  # an id the index still holds but the rows don't: left out
        for model in (db.session.get(Asset, placed.id), db.session.get(Asset, bare.id)):
            row = found[model.id]
            assert columns(row, Asset) == columns(model, Asset)
            assert columns(row.gallery, Gallery) == columns(model.gallery, Gallery)
            assert columns(row.gallery.category, Category) == columns(model.gallery.category, Category)
            for mine, theirs in ((row.country, model.country), (row.gallery.country, model.gallery.country)):
                assert (columns(mine, Country) if mine else None) == (columns(theirs, Country) if theirs else None)
            assert row.display_title == model.display_title
            assert row.gallery.item_count == model.gallery.item_count
            assert sorted((r.size, r.width, r.height, r.storage_key) for r in row.renditions) == \
                sorted((r.size, r.width, r.height, r.storage_key) for r in model.renditions)
            assert row.rendition("thumb").width == model.rendition("thumb").width
        assert found[placed.id].country.slug == "hnd" and found[placed.id].gallery.country.alpha3 == "KEN"
        assert found[bare.id].country is None and found[bare.id].gallery.country is None
        assert found[bare.id].display_title == "Photo 1 of Unplaced"  # never the file name
        assert rows.load(db.session, []) == {}


def test_a_video_row_is_public_only_once_its_proxy_is_ready(app, make_gallery):
    gallery = make_gallery()
    result = ingest.ingest(gallery, io.BytesIO(video_bytes(seconds=1.0)), "clip.mp4",
                           {"caption": "Wells at dawn"}, user=None)
    assert result.status == "accepted", result.reason
    video_id = result.asset.id
    db.session.commit()
    with app.test_request_context():
        row = rows.load(db.session, [video_id])[video_id]
        assert {w.piece: w.state for w in row.work} == {"served": "pending", "proxy": "pending"}
        assert not policy.can_view_asset(None, row) and _load_assets([video_id], None) == []
    assert jobs.wait_idle()
    db.session.commit()
    with app.test_request_context():
        assert policy.can_view_asset(None, rows.load(db.session, [video_id])[video_id])
        assert [a.id for a in _load_assets([video_id], None)] == [video_id]


def test_a_search_page_shows_what_its_rows_hold(app, client, make_gallery, make_asset):
    kenya = make_gallery(title="Water in Turkana", country="KEN")
    asset = make_asset(kenya, caption="Women collect clean water at a borehole.",
                       credit="Photo: A. Yusuf", date_taken=dt.date(2019, 6, 3), country="HND")
    untitled = make_asset(kenya, caption="", title="", keywords=["water"])
    hit = {r["id"]: r for r in client.get("/api/search?q=water").get_json()["results"]}
    assert set(hit) == {asset.id, untitled.id}
    mine = hit[asset.id]
    assert (mine["credit"], mine["country"], mine["category"]) == ("Photo: A. Yusuf", "HND", "health")
    assert mine["gallery"] == {"id": kenya.id, "title": "Water in Turkana"}
    assert mine["date_taken"] == "2019-06-03" and "<mark>water</mark>" in mine["highlight"]
    assert mine["thumbnail_url"].startswith(f"http://localhost/media/{asset.id}/thumb")
    assert hit[untitled.id]["title"] == "Photo 2 of Water in Turkana"
    page = client.get("/search?q=water&view=list").get_data(as_text=True)
    assert "Honduras" in page and "Photo: A. Yusuf" in page and "Photo 2 of Water in Turkana" in page
