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
import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

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
    from gallery.services import accounts, counts, galleries, reference, sitetext

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
        accounts.create_user(email=EDITOR[0], password=EDITOR[1], role="editor", name="Bench editor")
        db.session.commit()
        db.engine.dispose()
    return big


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(port: int, path: str, cookie: str = "") -> tuple[int, int]:
    """One GET on a fresh connection (gunicorn's sync workers close after each response)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        body = response.read()
        return response.status, len(body)
    finally:
        conn.close()


def wait_ready(port: int, deadline: float) -> None:
    """Poll /healthz until gunicorn answers."""
    while time.monotonic() < deadline:
        try:
            if fetch(port, "/healthz")[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def log_in(port: int) -> str:
    """The session cookie of the bench editor, logged in through the login form (CSRF included)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/login")
    response = conn.getresponse()
    page = response.read().decode()
    cookie = response.getheader("Set-Cookie", "").split(";")[0]
    conn.close()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "email": EDITOR[0], "password": EDITOR[1]})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/login", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    response = conn.getresponse()
    response.read()
    session = response.getheader("Set-Cookie", "").split(";")[0]
    conn.close()
    if response.status != 302 or not session:
        raise SystemExit(f"could not log in the bench editor ({response.status})")
    return session


def load(port: int, path: str, requests: int, concurrency: int, seconds: float, cookie: str = "") -> dict:
    """Fire `requests` GETs from `concurrency` threads, stopping at the time cap."""
    size = 0
    for _ in range(10):  # warm up both workers' caches
        size = fetch(port, path, cookie)[1]
    latencies: list[float] = []
    errors = []
    lock = threading.Lock()
    counter = iter(range(requests))
    stop_at = time.monotonic() + seconds

    def worker():
        while time.monotonic() < stop_at:
            with lock:
                if next(counter, None) is None:
                    return
            t0 = time.perf_counter()
            status, _ = fetch(port, path, cookie)
            elapsed = time.perf_counter() - t0
            with lock:
                latencies.append(elapsed)
                if status != 200:
                    errors.append(status)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    latencies.sort()
    return {"path": path, "n": len(latencies), "rps": len(latencies) / wall,
            "p50": statistics.median(latencies) * 1000,
            "p95": latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))] * 1000,
            "errors": len(errors), "kb": size / 1024}


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
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
             "--log-level", "warning", "wsgi:app"],
            cwd=ROOT, env={**os.environ, **env})
        wait_ready(port, time.monotonic() + 30)
        routes = [("trivial /healthz", "/healthz"),
                  ("static gallery.css", "/static/css/gallery.css"),
                  ("home /", "/"),
                  (f"gallery of {BIG} (page 1)", big),
                  (f"gallery of {BIG} (page 20)", big + "?page=20"),
                  ("category /categories/health", "/categories/health"),
                  ("crossing /categories/health/yem", "/categories/health/yem"),
                  ("API /api/galleries", "/api/galleries")]
        cookie = log_in(port)
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
            server.terminate()
            server.wait(timeout=15)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
