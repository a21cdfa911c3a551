"""List and gallery pages run a bounded number of SQL queries, whatever the size of the catalogue."""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
import zlib

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, insert, select, update

from gallery.extensions import db
from gallery.models import Asset, DownloadApproval, DownloadEvent, Gallery, Rendition
from gallery.services import counts, storage, terms

MAX_QUERIES = 12  # user + gallery + counts + page of rows + renditions + covers, with room to spare


def bulk_assets(gallery: Gallery, count: int) -> list[int]:
    """Insert published image assets with thumb and preview rows directly (no files: pages never read them)."""
    rows = [{
        "gallery_id": gallery.id, "position": n + 1, "media_type": "image",
        "original_filename": f"bulk-{n}.jpg", "mime_type": "image/jpeg", "bytes": 1000 + n,
        "sha256": hashlib.sha256(f"{gallery.id}-{n}".encode()).hexdigest(),
        "storage_key": f"originals/bulk/{gallery.id}-{n}.jpg", "width": 3000, "height": 2000,
        "caption": f"Bulk photo {n} of the gallery {gallery.title}.", "keywords": [], "extra": {},
        "status": "published",
    } for n in range(count)]
    ids = list(db.session.scalars(insert(Asset).returning(Asset.id), rows))
    db.session.execute(insert(Rendition), [
        {"asset_id": i, "size": size, "width": w, "height": h, "bytes": 100,
         "storage_key": f"renditions/bulk/{i}-{size}.jpg"}
        for i in ids for size, w, h in (("thumb", 400, 267), ("preview", 1280, 853))])
    counts.refresh_counts([gallery.id])
    db.session.commit()
    return ids


@pytest.fixture
def catalogue_of(make_gallery):
    """Factory: catalogue_of(galleries, assets_each) -> the first gallery (all in Health / Yemen)."""

    def make(galleries: int, assets_each: int) -> Gallery:
        made = []
        for n in range(galleries):
            g = make_gallery(title=f"Gallery {n}", category="Health", country="YEM",
                             editors_pick=n % 3 == 0, pick_position=n)
            bulk_assets(g, assets_each)
            made.append(g)
        # Give one gallery a cover, so both the cover and the first-asset paths are taken.
        first_asset = db.session.scalar(Asset.__table__.select().with_only_columns(Asset.id)
                                        .where(Asset.gallery_id == made[-1].id).limit(1))
        db.session.execute(update(Gallery).where(Gallery.id == made[-1].id)
                           .values(cover_asset_id=first_asset))
        db.session.commit()
        return made[0]

    return make


def _count(client, count_queries, path: str) -> tuple[int, BeautifulSoup]:
    db.session.expunge_all()  # nothing cached from setting up: count what a fresh request runs
    with count_queries() as counter:
        with client.get(path) as response:
            assert response.status_code == 200, path
            page = BeautifulSoup(response.data, "html.parser")
    return counter.count, page


def test_big_gallery_page_is_bounded(client, count_queries, make_gallery):
    small = make_gallery(title="Small")
    bulk_assets(small, 5)
    big = make_gallery(title="Big")
    bulk_assets(big, 2000)
    small_count, _ = _count(client, count_queries, f"/galleries/{small.id}-{small.slug}")
    big_count, page = _count(client, count_queries, f"/galleries/{big.id}-{big.slug}")
    assert len(page.select(".asset-grid .tile img")) == 60
    assert page.select_one(".gallery-count").get_text() == "2000 items"
    assert big_count == small_count <= MAX_QUERIES
    last_count, last = _count(client, count_queries, f"/galleries/{big.id}-{big.slug}?page=34")
    assert len(last.select(".asset-grid .tile img")) == 20 and last_count == big_count


def test_asset_page_in_a_big_gallery_is_bounded(client, count_queries, make_gallery):
    big = make_gallery(title="Big")
    ids = bulk_assets(big, 2000)
    n, page = _count(client, count_queries, f"/assets/{ids[1000]}")
    assert page.select_one(".asset-prev")["href"] == f"/assets/{ids[999]}"
    assert n <= MAX_QUERIES


@pytest.mark.parametrize("path", ["/", "/galleries", "/categories/health", "/countries/yem",
                                  "/categories/health/yem", "/?type=image", "/api/galleries",
                                  "/api/categories", "/api/countries"])
def test_list_pages_do_not_query_per_card(client, count_queries, catalogue_of, path):
    catalogue_of(2, 3)
    few, _ = _count(client, count_queries, path)
    catalogue_of(14, 8)
    many, page = _count(client, count_queries, path)
    assert many == few <= MAX_QUERIES, (path, few, many)
    if not path.startswith("/api/"):
        assert page.select(".gallery-cards .card") or page.select(".term-list li")


def test_query_counter_counts(client, count_queries):
    """The fixture really counts: a page that reads the database runs at least one query."""
    n, _ = _count(client, count_queries, "/categories/health")
    assert n >= 2


def zippable_assets(gallery: Gallery, count: int, member) -> list[int]:
    """bulk_assets with served originals recorded and two sensitive items, one approved."""
    # All the served originals are one small stored file: the zip streams without making any.
    data = b"served original bytes " * 50
    storage.save_bytes(data, "served/bulk/shared-cbulk.jpg")
    ids = bulk_assets(gallery, count)
    db.session.execute(update(Asset).where(Asset.id.in_(ids)).values(
        served_key="served/bulk/shared-cbulk.jpg", served_bytes=len(data), served_crc32=zlib.crc32(data)))
    db.session.execute(update(Asset).where(Asset.id.in_(ids[:2])).values(sensitive=True))
    db.session.execute(insert(DownloadApproval).values(user_id=member.id, asset_id=ids[0],
                                                        status="approved"))
    db.session.commit()
    return ids


def test_gallery_zip_queries_do_not_grow_with_the_gallery(client, count_queries, make_gallery,
                                                         make_user, login_as):
    member = login_as(make_user("member"))
    terms.accept(member)
    counts = {}
    for count in (5, 200):
        gallery = make_gallery(title=f"Zip of {count}")
        zippable_assets(gallery, count, member)
        db.session.expunge_all()  # nothing cached from setting up: count what a fresh request runs
        url = f"/download/galleries/{gallery.id}.zip?size=original"
        with count_queries() as counter, client.get(url) as response:
            assert response.status_code == 200
            data = response.data
        counts[count] = counter.count
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            # The sensitive item without an approval is left out; every other one is in it.
            assert zf.testzip() is None and len(zf.namelist()) == count - 1 + 1  # + captions.csv
        logged = db.session.scalar(select(func.count()).select_from(DownloadEvent)
                                   .where(DownloadEvent.gallery_id == gallery.id))
        assert logged == count - 1
    # user, gallery, terms version, assets, approvals, the download rows: the whole streamed
    # request, whatever the number of items.
    assert counts[5] == counts[200] <= 6, counts


@pytest.mark.parametrize("path", ["/search?q=bulk", "/api/search?q=bulk", "/search?q=bulk&view=list"])
def test_search_pages_do_not_query_per_hit(client, count_queries, catalogue_of, path):
    from gallery.services import search

    catalogue_of(1, 3)
    search.rebuild()
    few, _ = _count(client, count_queries, path)
    catalogue_of(3, 10)
    search.rebuild()
    many, page = _count(client, count_queries, path)
    assert page.get_text().count("Bulk photo") >= 24  # a full page of hits, each with its thumb
    # Never more with more hits; fewer once the facet's country names have been read (they are
    # kept per process: reference rows that never change).
    assert many <= few <= MAX_QUERIES, (path, few, many)


def test_json_search_reads_its_hits_and_their_renditions_and_nothing_else(client, count_queries,
                                                                         catalogue_of):
    """The JSON API shows facet values, not their names: no category names read per request."""
    from gallery.services import search

    catalogue_of(3, 10)
    search.rebuild()
    _count(client, count_queries, "/api/search?q=bulk")  # the facet's country names, once a process
    db.session.expunge_all()
    with count_queries() as counter:
        response = client.get("/api/search?q=bulk")
    assert response.status_code == 200 and response.json["total"] == 30
    assert response.json["facets"]["category"] == [{"value": "health", "count": 30}]
    assert len(counter.statements) == 2, counter.statements  # the hits' rows, their renditions


def test_dashboard_queries_do_not_grow_with_the_galleries(client, count_queries, catalogue_of,
                                                          make_user, login_as):
    login_as(make_user("editor"))
    catalogue_of(2, 3)
    few, _ = _count(client, count_queries, "/manage/")
    catalogue_of(30, 2)
    many, page = _count(client, count_queries, "/manage/")
    second, later = _count(client, count_queries, "/manage/?page=2")
    assert many == few == second <= MAX_QUERIES + 4, (few, many, second)
    # Each gallery once, with its own item count (worked out for the page's rows only).
    shown = [td.get_text(strip=True) for p in (page, later) for td in p.select('td[data-label="Items"]')]
    assert sorted(shown) == ["2"] * 30 + ["3"] * 2
    names = [a.get_text(strip=True) for p in (page, later) for a in p.select("td a[href*='/manage/galleries/']")]
    assert len(set(names)) >= 30


@pytest.mark.parametrize("path, rows", [("/manage/galleries/{id}", ".manage-assets > li"),
                                        ("/manage/galleries/{id}/captions", ".caption-grid > li")])
def test_manage_page_and_caption_grid_do_not_query_per_item(client, count_queries, make_gallery,
                                                            make_user, login_as, path, rows):
    login_as(make_user("editor"))
    small = make_gallery(title="Small")
    bulk_assets(small, 5)
    big = make_gallery(title="Big")
    bulk_assets(big, 2000)
    few, _ = _count(client, count_queries, path.format(id=small.id))
    many, first = _count(client, count_queries, path.format(id=big.id))
    later, twentieth = _count(client, count_queries, path.format(id=big.id) + "?page=20")
    assert len(first.select(rows)) == len(twentieth.select(rows)) == 100
    assert len(first.select(f"{rows} img")) == 100
    assert many == few == later <= MAX_QUERIES, (path, few, many, later)


def _statements(client, count_queries, path: str) -> tuple[int, list[str]]:
    db.session.expunge_all()
    with count_queries() as counter:
        with client.get(path) as response:
            assert response.status_code == 200, path
    return counter.count, counter.statements


@pytest.mark.parametrize("path", ["/", "/galleries", "/categories/health", "/countries", "/countries/yem",
                                  "/categories/health/yem", "/galleries?category=health&type=image",
                                  "/api/categories", "/api/countries"])
def test_counts_come_from_the_tallies_not_a_count_of_galleries(client, count_queries, catalogue_of, path):
    """Issue 19: the pages' counts and the lists' totals read gallery_tallies, never COUNT over galleries."""
    catalogue_of(3, 2)
    _n, statements = _statements(client, count_queries, path)
    counting = [s for s in statements if "count(" in s.lower() and "galleries" in s.lower()
                and "gallery_tallies" not in s.lower()]
    assert counting == [], counting
    assert any("gallery_tallies" in s for s in statements)


def test_the_last_page_of_galleries_costs_what_the_first_does(app, client, count_queries, catalogue_of):
    app.config["GALLERIES_PER_PAGE"] = 3
    catalogue_of(4, 1)
    first_few, _ = _count(client, count_queries, "/galleries")
    last_few, page = _count(client, count_queries, "/galleries?page=2")
    assert len(page.select(".gallery-cards .card")) == 1
    catalogue_of(16, 1)
    first_many, _ = _count(client, count_queries, "/galleries")
    last_many, page = _count(client, count_queries, "/galleries?page=7")
    assert len(page.select(".gallery-cards .card")) == 2
    assert first_few == last_few == first_many == last_many <= MAX_QUERIES


@pytest.mark.parametrize("path", ["/manage/", "/manage/?status=published", "/manage/?status=draft&country=YEM",
                                  "/manage/?sort=size",
                                  "/manage/?q=gallery"])
def test_dashboard_filters_cost_the_same_whatever_the_catalogue(client, count_queries, catalogue_of,
                                                                make_user, login_as, path):
    login_as(make_user("editor"))
    catalogue_of(2, 1)
    few, _ = _count(client, count_queries, path)
    catalogue_of(12, 1)
    many, page = _count(client, count_queries, path)
    assert many == few <= MAX_QUERIES + 4, (path, few, many)
    total = page.select_one(".result-count").get_text()
    assert total.startswith("0 galleries" if "draft" in path else "14 galleries"), total


def test_search_hits_of_video_and_audio_read_their_work_in_one_query(client, count_queries, make_gallery):
    """A video or audio hit is public once its proxy is ready: that is read for all hits at once."""
    from gallery.models import AssetWork
    from gallery.services import search

    counted = {}
    for n in (2, 12):
        # Two countries: the second search reads its facet's country name too, as the first did.
        gallery = make_gallery(title=f"Clips {n}", category="Health", country="YEM" if n == 2 else "OMN")
        ids = bulk_assets(gallery, n)
        db.session.execute(update(Asset).where(Asset.id.in_(ids)).values(media_type="video"))
        db.session.add_all(AssetWork(asset_id=i, piece="proxy", state="ready") for i in ids)
        db.session.commit()
        search.rebuild()
        counted[n], page = _count(client, count_queries, f"/api/search?q=clips&gallery={gallery.id}")
        assert json.loads(page.get_text())["total"] == n  # every clip is public: its proxy is ready
    assert counted[2] == counted[12], counted
