"""OAI-PMH pages and sitemaps run a bounded number of SQL queries, whatever the size of the catalogue."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from gallery.extensions import db
from gallery.services import oai_records
from tests.test_queries import bulk_assets

MAX_QUERIES = 12
OAI = "{http://www.openarchives.org/OAI/2.0/}"


@pytest.fixture
def app_settings():
    return {"OAI_PAGE_SIZE": 100, "SITEMAP_PAGE_SIZE": 1000}


def _count(client, count_queries, path: str) -> tuple[int, bytes]:
    db.session.expunge_all()  # nothing cached from setting up: count what a fresh request runs
    with count_queries() as counter:
        with client.get(path) as response:
            assert response.status_code == 200, path
            body = response.data
    return counter.count, body


def _grow(make_gallery, count: int) -> None:
    gallery = make_gallery(title=f"Bulk {count}")
    ids = bulk_assets(gallery, count)
    oai_records.refresh(db.session, ids)  # bulk rows skip the use cases that note them
    db.session.commit()


def test_oai_pages_are_bounded(client, count_queries, make_gallery):
    _grow(make_gallery, 5)
    client.get("/oai?verb=Identify")  # the first request builds the records of an upgraded catalogue
    small = {verb: _count(client, count_queries, f"/oai?verb={verb}&metadataPrefix=oai_dc")[0]
             for verb in ("ListRecords", "ListIdentifiers")}
    _grow(make_gallery, 400)
    for verb in ("ListRecords", "ListIdentifiers"):
        big, body = _count(client, count_queries, f"/oai?verb={verb}&metadataPrefix=iptc_core")
        root = ET.fromstring(body)
        assert len(root.findall(f".//{OAI}header")) == 100
        token = root.find(f".//{OAI}resumptionToken")
        assert token.get("completeListSize") == "405"
        assert big == small[verb] <= MAX_QUERIES
        # A later page costs the same: a keyset, not an offset.
        later, _ = _count(client, count_queries, f"/oai?verb={verb}&resumptionToken={token.text}")
        assert later <= big


def test_sitemap_pages_are_bounded(client, count_queries, make_gallery):
    _grow(make_gallery, 5)
    small, _ = _count(client, count_queries, "/sitemap-assets-1.xml")
    _grow(make_gallery, 900)
    big, body = _count(client, count_queries, "/sitemap-assets-1.xml")
    assert body.count(b"<url>") == 905
    assert big == small <= MAX_QUERIES
    index, body = _count(client, count_queries, "/sitemap.xml")
    assert index <= MAX_QUERIES and body.count(b"<sitemap>") == 2  # galleries, assets
