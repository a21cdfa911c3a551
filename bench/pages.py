"""Benchmark the browse and staff pages under gunicorn (2 workers, 127.0.0.1) beside a trivial route.

Usage: python bench/pages.py [--requests 300] [--concurrency 4] [--seconds 20] [--galleries 5000]

Builds a throw-away instance in a temp dir (SQLite) with 24 galleries, one holding 2,000 assets
(rows and rendition rows only: pages never open the files), plus --galleries small draft
galleries for the staff dashboard; serves it with gunicorn and fires a fixed number of requests
per route (stopping early at the time cap), then prints requests/s, p50, p95 and the page's
weight. Staff pages (a logged-in editor) are the 2,000-item gallery's manage page and caption
grid and the dashboard; their target is p95 <= 2x the public gallery page and <= 250 KB of HTML.
Only 127.0.0.1 is contacted.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _http import load, log_in, serve, stop  # noqa: E402

BIG = 2000
EDITOR = ("bench-editor@example.org", "bench editor password 1")
CATEGORIES = ("Health", "Shelter", "Crisis Response", "Training and Education")
COUNTRIES = ("YEM", "TUR", "HND", "BGD", "SOM", "NIC")


def prepare(env: dict[str, str], extra_galleries: int) -> tuple[str, int]:
    """Migrate and fill the temp database; return the 2,000-asset gallery's path and id."""
    os.environ.update(env)
    from sqlalchemy import insert, select

    from gallery import create_app, migrate
    from gallery.extensions import db
    from gallery.models import Asset, Category, Gallery, Rendition
    from gallery.services import accounts, counts, galleries, reference, sitetext, tallies

    app = create_app()
    with app.app_context():
        migrate.upgrade(app)
        reference.seed(db.session)
        sitetext.seed_defaults(db.session)
        big = None
        for n in range(24):
            g = galleries.create_gallery(dict(
                title=f"Bench gallery {n}", category=CATEGORIES[n % len(CATEGORIES)],
                country=COUNTRIES[n % len(COUNTRIES)], status="published",
                editors_pick=n < 4, pick_position=n if n < 4 else None), None, script=True)
            count = BIG if n == 0 else 12
            rows = [{
                "gallery_id": g.id, "position": i + 1, "media_type": "image",
                "original_filename": f"b{i}.jpg", "mime_type": "image/jpeg", "bytes": 2_000_000,
                "sha256": hashlib.sha256(f"{g.id}-{i}".encode()).hexdigest(),
                "storage_key": f"originals/bench/{g.id}-{i}.jpg", "width": 4000, "height": 2667,
                "caption": f"Caption of photo {i} in {g.title}, with enough words to look real.",
                "credit": "© Example Relief Agency", "keywords": ["bench"], "extra": {},
                "status": "published",
            } for i in range(count)]
            ids = list(db.session.scalars(insert(Asset).returning(Asset.id), rows))
            db.session.execute(insert(Rendition), [
                {"asset_id": i, "size": size, "width": w, "height": h, "bytes": 50_000,
                 "storage_key": f"renditions/bench/{i}-{size}.jpg"}
                for i in ids for size, w, h in (("thumb", 400, 267), ("preview", 1280, 853))])
            counts.refresh_counts([g.id])
            db.session.commit()
            big = big or (f"/galleries/{g.id}-{g.slug}", g.id)
        category = db.session.scalar(select(Category.id).limit(1))
        db.session.execute(insert(Gallery), [
            {"title": f"Field report {n}", "slug": f"field-report-{n}", "description": "", "credit": "",
             "category_id": category, "country_code": COUNTRIES[n % len(COUNTRIES)], "status": "draft",
             "editors_pick": False} for n in range(extra_galleries)])
        tallies.rebuild(db.session)  # the drafts were inserted in bulk, past the commit hook
        accounts.create_user(email=EDITOR[0], password=EDITOR[1], role="editor", name="Bench editor")
        db.session.commit()
        db.engine.dispose()
    return big


def main() -> None:
    """Prepare, serve, load, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--galleries", type=int, default=5000, help="draft galleries for the dashboard")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="gallery-bench-")
    env = {"GALLERY_INSTANCE_PATH": os.path.join(tmp, "instance"),
           "GALLERY_DATABASE_URL": f"sqlite:///{os.path.join(tmp, 'gallery.sqlite')}",
           "GALLERY_UPLOAD_DIR": os.path.join(tmp, "uploads"),
           "GALLERY_SEARCH_INDEX_DIR": os.path.join(tmp, "search_index")}
    server = None
    try:
        t0 = time.perf_counter()
        big, big_id = prepare(env, args.galleries)
        print(f"prepared {24 + args.galleries} galleries, one of {BIG} assets, in "
              f"{time.perf_counter() - t0:.1f} s")
        server, port = serve(env, 2)
        routes = [("trivial /healthz", "/healthz"),
                  ("static gallery.css", "/static/css/gallery.css"),
                  ("home /", "/"),
                  (f"gallery of {BIG} (page 1)", big),
                  (f"gallery of {BIG} (page 20)", big + "?page=20"),
                  ("category /categories/health", "/categories/health"),
                  ("crossing /categories/health/yem", "/categories/health/yem"),
                  ("API /api/galleries", "/api/galleries")]
        cookie = log_in(port, *EDITOR)
        staff = [(f"manage gallery of {BIG} (page 1)", f"/manage/galleries/{big_id}"),
                 (f"manage gallery of {BIG} (page 20)", f"/manage/galleries/{big_id}?page=20"),
                 (f"caption grid of {BIG} (page 1)", f"/manage/galleries/{big_id}/captions"),
                 (f"dashboard, {24 + args.galleries} galleries", "/manage/"),
                 ("dashboard, search 'report 42'", "/manage/?q=report+42")]
        print(f"gunicorn -w 2 on 127.0.0.1:{port}; {args.requests} requests per route, "
              f"{args.concurrency} concurrent clients, cap {args.seconds:.0f} s per route; "
              f"load {os.getloadavg()[0]:.2f}")
        print(f"{'route':38} {'n':>5} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'KB':>7} {'errors':>6}")
        public_p95 = None
        for label, path, who in [(lbl, p, "") for lbl, p in routes] + [(lbl, p, cookie) for lbl, p in staff]:
            r = load(port, path, args.requests, args.concurrency, args.seconds, who)
            public_p95 = r["p95"] if path == big else public_p95
            ratio = f"  {r['p95'] / public_p95:.2f}x the public gallery page" if who and public_p95 else ""
            print(f"{label:38} {r['n']:>5} {r['rps']:>8.1f} {r['p50']:>8.1f} {r['p95']:>8.1f} "
                  f"{r['kb']:>7.1f} {r['errors']:>6}{ratio}")
    finally:
        if server is not None:
            stop(server, 15)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
