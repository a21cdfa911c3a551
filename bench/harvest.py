"""OAI-PMH and sitemap speed at a large catalogue: a deep page costs what the first page costs.

Usage: python bench/harvest.py [--assets 100000] [--pages 5] [--sitemap-size 10000]

Builds a throw-away instance in a temp dir (SQLite) with --assets published photos in 100
galleries (rows only: records and sitemaps never open files), builds the OAI-PMH records as the
first harvest of an upgraded catalogue does (timed), then, in process through the Flask test
client, times ListRecords (oai_dc, OAI_PAGE_SIZE 100) and ListIdentifiers on the first page and
on a page deep in the harvest (reached by following resumption tokens), the sitemap index and a
full sitemap page (--sitemap-size URLs). The baseline, in the same run, is the same deep page's rows read
with OFFSET instead of the token's keyset. Target: a deep page within 1.5x the first page
(median of --pages runs each). Only the temp dir is written.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

OAI = "{http://www.openarchives.org/OAI/2.0/}"


def build(app, assets: int) -> None:
    """Galleries and asset rows inserted directly, in batches."""
    from sqlalchemy import insert

    from gallery.extensions import db
    from gallery.models import Asset
    from gallery.services import galleries

    per = assets // 100
    for n in range(100):
        g = galleries.create_gallery(dict(title=f"Bench gallery {n}", category="Health",
                                          country=("KEN", "YEM", "HND")[n % 3],
                                          status="published", licence="cc-by-4.0"),
                                     None, script=True)
        rows = [{"gallery_id": g.id, "position": i + 1, "media_type": "image",
                 "original_filename": f"b{n}-{i}.jpg", "mime_type": "image/jpeg", "bytes": 1000,
                 "sha256": hashlib.sha256(f"{n}-{i}".encode()).hexdigest(),
                 "storage_key": f"originals/b/{n}-{i}.jpg", "width": 3000, "height": 2000,
                 "caption": f"Bench photo {i} of gallery {n}, a well and a school.",
                 "creator": "Bench Photographer", "city": "Lodwar",
                 "keywords": ["water", "school"], "extra": {}, "status": "published"}
                for i in range(per)]
        db.session.execute(insert(Asset), rows)
        db.session.commit()


def timed(fn, runs: int) -> tuple[float, object]:
    """Median milliseconds of fn() over runs, and its last result."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument("--sitemap-size", type=int, default=10_000,
                        help="SITEMAP_PAGE_SIZE (the default setting; the protocol allows 50,000)")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="gallery-bench-harvest-")
    os.environ["GALLERY_JOB_THREAD"] = "false"
    from sqlalchemy import select

    from gallery import create_app, migrate, policy
    from gallery.extensions import db
    from gallery.models import Asset, Gallery, OaiRecord
    from gallery.services import oai_records, reference

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite", "SECRET_KEY": "bench",
                      "UPLOAD_DIR": f"{tmp}/uploads", "SEARCH_INDEX_DIR": f"{tmp}/index",
                      "JOB_THREAD": False, "OAI_PAGE_SIZE": 100, "SITEMAP_PAGE_SIZE": args.sitemap_size})
    app.instance_path = f"{tmp}/instance"
    try:
        with app.app_context():
            migrate.upgrade(app)
            reference.seed(db.session)
            build(app, args.assets)
            start = time.perf_counter()
            oai_records.rebuild(db.session)
            print(f"records built for {args.assets:,} assets (first harvest of an upgraded "
                  f"catalogue): {time.perf_counter() - start:.1f} s")
            client = app.test_client()

            def get(path: str) -> bytes:
                with client.get(path) as response:
                    assert response.status_code == 200, path
                    return response.data

            # Follow tokens to a page about 80 % of the way through the harvest.
            token, depth = None, int(args.assets * 0.8) // 100
            for _ in range(depth):
                body = get(f"/oai?verb=ListIdentifiers&{'resumptionToken=' + token if token else 'metadataPrefix=oai_dc'}")
                token = ET.fromstring(body).find(f".//{OAI}resumptionToken").text
            print(f"\n{'request':58} {'median ms':>10}")
            for verb in ("ListRecords", "ListIdentifiers"):
                start_path = f"/oai?verb={verb}&metadataPrefix=oai_dc"
                deep_path = f"/oai?verb={verb}&resumptionToken={token}"
                first, _ = timed(lambda p=start_path: get(p), args.pages)
                deep, _ = timed(lambda p=deep_path: get(p), args.pages)
                print(f"{verb + ', first page (100 records)':58} {first:10.1f}")
                print(f"{verb + f', page {depth + 1} by resumption token':58} {deep:10.1f}"
                      f"   ({deep / first:.2f}x the first page; target <= 1.5x)")

            def offset_page():
                shown = policy.harvestable_clause()
                return db.session.execute(
                    select(OaiRecord, Asset, shown).outerjoin(Asset, Asset.id == OaiRecord.asset_id)
                    .outerjoin(Gallery, Gallery.id == Asset.gallery_id)
                    .order_by(OaiRecord.datestamp, OaiRecord.asset_id)
                    .offset(depth * 100).limit(101)).all()

            base, _ = timed(offset_page, args.pages)
            print(f"{f'baseline: the rows of page {depth + 1} by OFFSET (query only)':58} {base:10.1f}")
            index, body = timed(lambda: get("/sitemap.xml"), args.pages)
            print(f"{'sitemap index':58} {index:10.1f}")
            page, body = timed(lambda: get("/sitemap-assets-2.xml"), max(1, args.pages // 2))
            urls = body.count(b"<url>")
            print(f"{f'sitemap page 2 ({urls:,} URLs with images, {len(body) / 1e6:.1f} MB)':58} "
                  f"{page:10.1f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
