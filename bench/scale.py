"""A million assets: search through gunicorn, opening a searcher, reindex and drains, against baselines.

    python bench/scale.py                                  # 1,000,000 assets in 40,000 galleries
    python bench/scale.py -n 20000 --galleries 800         # a quick run
    python bench/scale.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/scale

The catalogue is built once into a cache directory (--cache, default ~/.cache/gallery-bench) and
reused by later runs: database rows inserted in bulk (assets with two rendition rows each, tiny
shared file keys: pages and search never open files; gallery 1 holds 2,000 assets), then the search
index with the `gallery reindex` code on --procs processes. Then, in one run:
  - opening a searcher in a fresh process (what a new web worker pays as it starts, wsgi.py), and
    after a drain;
  - the 204-query mix with facets in process (the engine's own figure: the baseline) and through
    HTTP, `/api/search` under `gunicorn -w 4` with 4 concurrent clients, once every worker has
    started; the first request of each client is reported apart, with each worker's peak RSS
    split into its own memory and the memory-mapped index it shares with the others, and the
    workers' CPU a request; the mix once more on the same workers (the target's figure is the
    first pass, on new workers; the second is what workers up for a while do); then through
    /search, the results page with its matching galleries, on new workers; then again with
    one worker and one client a core, for comparison;
  - an incremental drain of 1,000 changed assets;
  - SQLite FTS5 on a sample of the mix (one query per kind), the other baseline.
Only 127.0.0.1 is contacted.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _http import fetch, load, log_in, serve, stop  # noqa: E402
from search import bench_fts5, pct, query_mix  # noqa: E402
from search_corpus import assets, make_galleries  # noqa: E402

BIG = 2000  # assets of gallery 1
# Draft galleries added to bench/pages.py's 24 for the page comparison: 50 in all, so the small
# catalogue's dashboard shows a full page of 50 rows (DASHBOARD_PER_PAGE) like the big one's; with
# one, it drew 25 rows and the ratio measured the rows drawn, not the catalogue's size.
SMALL_DRAFTS = 26
BATCH = 5000


def environment(cache: str, database_url: str | None) -> dict[str, str]:
    """The GALLERY_* settings of the cached instance."""
    return {"GALLERY_INSTANCE_PATH": os.path.join(cache, "instance"),
            "GALLERY_DATABASE_URL": database_url or f"sqlite:///{os.path.join(cache, 'gallery.sqlite')}",
            "GALLERY_UPLOAD_DIR": os.path.join(cache, "uploads"),
            "GALLERY_SEARCH_INDEX_DIR": os.path.join(cache, "search_index"),
            "GALLERY_SEARCH_WRITER": "sync"}


def corpus(n: int, ngal: int):
    """The galleries and a generator of the assets (deterministic)."""
    rng = random.Random(42)
    gals = make_galleries(rng, ngal)
    return gals, assets(rng, gals, n, lambda i, r: 0 if i <= BIG else r.randrange(1, ngal))


def build_catalogue(app, n: int, ngal: int) -> float:
    """Insert galleries, assets and rendition rows in bulk; seconds taken."""
    from search_corpus import CATEGORIES
    from sqlalchemy import bindparam, insert, select, update

    from gallery import migrate
    from gallery.extensions import db
    from gallery.models import Asset, Category, Gallery, Rendition
    from gallery.services import reference, sitetext, tallies

    start = time.perf_counter()
    with app.app_context():
        migrate.upgrade(app)
        reference.seed(db.session)
        sitetext.seed_defaults(db.session)
        have = set(db.session.scalars(select(Category.slug)))
        db.session.add_all(Category(name=name, slug=slug, position=50) for name, slug in CATEGORIES
                           if slug not in have)
        db.session.commit()
        cats = dict(db.session.execute(select(Category.slug, Category.id)).all())
        gals, stream = corpus(n, ngal)
        for i in range(0, len(gals), BATCH):
            db.session.execute(insert(Gallery), [{
                "id": g.id, "title": g.title, "slug": f"gallery-{g.id}", "description": g.description,
                "category_id": cats[g.category.slug], "country_code": g.country.alpha3, "date": g.date,
                "status": "published"} for g in gals[i:i + BATCH]])
        counts: dict[tuple[int, str], int] = {}
        positions: dict[int, int] = {}
        rows = []

        def flush() -> None:
            db.session.execute(insert(Asset), rows)
            db.session.execute(insert(Rendition), [
                {"asset_id": r["id"], "size": size, "width": w, "height": h, "bytes": 50_000,
                 "storage_key": f"renditions/bench/shared-{size}.jpg"}
                for r in rows for size, w, h in (("thumb", 400, 267), ("preview", 1280, 853))])
            db.session.commit()
            rows.clear()

        for a in stream:
            gid = a.gallery.id
            positions[gid] = positions.get(gid, 0) + 1
            counts[(gid, a.media_type)] = counts.get((gid, a.media_type), 0) + 1
            rows.append({
                "id": a.id, "gallery_id": gid, "position": positions[gid], "media_type": a.media_type,
                "original_filename": f"b{a.id}.jpg", "mime_type": "image/jpeg", "bytes": 2_000_000,
                "sha256": hashlib.sha256(str(a.id).encode()).hexdigest(),
                "storage_key": "originals/bench/shared.jpg", "width": 4000, "height": 2667,
                "title": a.title, "caption": a.caption, "credit": a.credit, "creator": a.creator,
                "keywords": a.keywords, "city": a.city, "date_taken": a.date_taken,
                "status": "published", "consent": "obtained", "extra": {}})
            if len(rows) >= BATCH:
                flush()
        if rows:
            flush()
        # Each gallery's public counts, as counts.refresh_counts keeps them.
        table = Gallery.__table__
        db.session.execute(update(table).where(table.c.id == bindparam("gid")).values(
            image_count=bindparam("i"), video_count=bindparam("v"), audio_count=bindparam("a"),
            asset_count=bindparam("n")),
            [{"gid": g.id, "i": counts.get((g.id, "image"), 0), "v": counts.get((g.id, "video"), 0),
              "a": counts.get((g.id, "audio"), 0),
              "n": sum(counts.get((g.id, m), 0) for m in ("image", "video", "audio"))} for g in gals])
        tallies.rebuild(db.session)  # the galleries were inserted in bulk, past the commit hook
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does after a bulk load, here at once: without it the planner has
            # no statistics and index-only scans read the table for every row.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        db.engine.dispose()
    return time.perf_counter() - start


def build_index(app, procs: int) -> dict:
    """`gallery reindex` (search.rebuild) into a fresh index: seconds, CPU-seconds, segments."""
    from gallery.services import search
    from gallery.services.search import store

    with app.app_context():
        start, before = time.perf_counter(), os.times()
        count = search.rebuild(procs=procs)
        wall, after = time.perf_counter() - start, os.times()
        root = app.config["SEARCH_INDEX_DIR"]
        with store.searcher_cache(root).lease() as s:
            segments = [r.doc_count_all() for r, _ in s.reader().leaf_readers()]
        store.close_all()
    return {"docs": count, "wall": wall, "cpu": sum(after[:4]) - sum(before[:4]),
            "segments": len(segments), "largest": max(segments)}


OPEN_SCRIPT = """
import json, sys, time
sys.path.insert(0, {root!r})
from gallery import create_app
from gallery.services.search import store
app = create_app()
with app.app_context():
    t = time.perf_counter()
    with store.searcher_cache(app.config["SEARCH_INDEX_DIR"]).lease(create=False) as s:
        opened = time.perf_counter() - t
        n = s.doc_count()
hwm = [line for line in open("/proc/self/status") if line.startswith("VmHWM")][0]
print(json.dumps({{"open_s": opened, "docs": n, "rss_mib": int(hwm.split()[1]) / 1024}}))
"""


def open_in_fresh_process(env: dict[str, str]) -> dict:
    """Seconds a new process takes to open the searcher (its first lease)."""
    out = subprocess.run([sys.executable, "-c", OPEN_SCRIPT.format(root=ROOT)], cwd=ROOT,
                         env={**os.environ, **env}, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def in_process(app, mix) -> dict[str, list[float]]:
    """The mix through search.run (engine, facets, the page's rows) in this process: ms per kind."""
    from gallery.services import search

    times: dict[str, list[float]] = {}
    with app.test_request_context():
        search.run("water", user=None)  # the searcher opens (measured apart)
        for kind, q, f in mix:
            t = time.perf_counter()
            search.run(q, user=None, filters=f)
            times.setdefault(kind, []).append((time.perf_counter() - t) * 1000)
    return times


def drain_changes(app, count: int) -> dict:
    """Log `count` spread-out assets as changed, drain them, then reopen the cached searcher."""
    from sqlalchemy import func, select

    from gallery.extensions import db
    from gallery.models import Asset
    from gallery.services import search
    from gallery.services.search import store

    with app.test_request_context():
        root = app.config["SEARCH_INDEX_DIR"]
        cache = store.searcher_cache(root)
        with cache.lease():
            pass
        top = db.session.scalar(select(func.max(Asset.id)))
        search.queue_assets(range(7, top, max(1, top // count))[:count])
        db.session.commit()
        t = time.perf_counter()
        result = search.drain(timeout=30)
        drained = time.perf_counter() - t
        t = time.perf_counter()
        with cache.lease():
            reopened = time.perf_counter() - t
        store.close_all()
    return {"indexed": result.indexed, "drain_s": drained, "reopen_s": reopened}


def api_path(q: str, f, page: str = "/api/search") -> str:
    """/api/search (or the results page) with the query and the filters of the mix."""
    params = {"q": q, "category": f.category, "year": f.year}
    return f"{page}?" + urllib.parse.urlencode({k: v for k, v in params.items() if v})


def page_path(q: str, f) -> str:
    """/search, the results page (with its matching galleries), for a query of the mix."""
    return api_path(q, f, "/search")


def children(pid: int) -> list[int]:
    """Process ids whose parent is pid (gunicorn's workers)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    return found


def memory(pid: int) -> dict[str, float]:
    """Peak RSS, and the current RSS split into anonymous and file-backed (mapped index) pages, MiB."""
    out = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "RssAnon", "RssFile"):
                out[key] = int(value.split()[0]) / 1024
    return out


def over_http(env: dict[str, str], mix, workers: int, clients: int, again: bool = False,
              path=api_path) -> dict:
    """The mix through /api/search (or path's page) under gunicorn: latencies (cold apart),
    per-worker memory.

    again: then the mix once more on the same workers ("again": times and CPU), each having
    served a quarter of it: what workers that have been up a while do.
    """
    server, port = serve(env, workers, timeout=300, ready_within=120)
    try:
        started_workers = wait_started(server.pid, workers)
        out = _mix_over_http(server.pid, port, mix, clients, path)
        if again:
            out["again"] = _mix_over_http(server.pid, port, mix, clients, path)
        out["memory"] = [memory(pid) for pid in children(server.pid)]
    finally:
        stop(server)
    return {**out, "started_s": started_workers}


def _mix_over_http(server_pid: int, port: int, mix, clients: int, path=api_path) -> dict:
    """One pass of the mix by `clients` concurrent clients: latencies by kind, each client's first
    apart, errors, requests a second and the workers' CPU a request."""
    cpu_before = {pid: cpu_seconds(pid) for pid in children(server_pid)}
    todo = list(enumerate(mix))
    lock = threading.Lock()
    cold: list[float] = []
    times: dict[str, list[float]] = {}
    errors: list[int] = []

    def client() -> None:
        first = True
        while True:
            with lock:
                if not todo:
                    return
                _i, (kind, q, f) = todo.pop(0)
            t = time.perf_counter()
            status = fetch(port, path(q, f), timeout=120)[0]
            ms = (time.perf_counter() - t) * 1000
            with lock:
                (cold if first else times.setdefault(kind, [])).append(ms)
                if status != 200:
                    errors.append(status)
            first = False

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    cpu = sum(cpu_seconds(pid) - cpu_before.get(pid, 0.0) for pid in children(server_pid))
    return {"times": times, "cold": cold, "errors": errors, "rps": len(mix) / wall,
            "cpu_ms": cpu / len(mix) * 1000}


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def refaulted_mib() -> float:
    """MiB of file pages read again since boot after the kernel had dropped them (0 where not reported)."""
    try:
        with open("/proc/vmstat", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("workingset_refault_file "):
                    return int(line.split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        pass
    return 0.0


def wait_started(pid: int, workers: int, deadline: float = 120) -> float:
    """Wait until gunicorn's workers have all started (each opens the search index as it starts,
    wsgi.py) and gone idle, so the first timed requests do not queue behind a starting worker;
    seconds waited after the first one answered."""
    start = time.monotonic()
    before: dict[int, float] = {}
    while time.monotonic() - start < deadline:
        pids = children(pid)
        now = {p: cpu_seconds(p) for p in pids}
        if len(pids) == workers and now == before:
            return time.monotonic() - start
        before = now
        time.sleep(0.25)
    raise SystemExit("gunicorn's workers did not settle")


def fts_sample(cache: str, n: int, ngal: int, mix) -> dict:
    """FTS5 over the same corpus, on one query of each kind (its build is timed, not kept)."""
    sample, seen = [], set()
    for item in mix:
        if item[0] not in seen:
            seen.add(item[0])
            sample.append(item)
    import search as search_bench

    workdir = os.path.join(cache, "fts")
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    real = search_bench.records
    try:  # the same captions as the catalogue
        search_bench.records = lambda count, languages=0.0: corpus(count, ngal)[1]
        return bench_fts5(n, sample, workdir)
    finally:
        search_bench.records = real
        shutil.rmtree(workdir, ignore_errors=True)


def page_routes(big: str, asset_id: int, last_page: int, country: str) -> list[tuple[str, str, bool]]:
    """(label, path, as the editor) of the pages the issue names."""
    return [("home /", "/", False), ("/galleries", "/galleries", False),
            ("/galleries, last page", f"/galleries?page={last_page}", False),
            ("a category", "/categories/health", False),
            ("a country", f"/countries/{country}", False),
            ("a crossing", f"/categories/health/{country}", False),
            (f"gallery of {BIG}", big, False), ("an asset page", f"/assets/{asset_id}", False),
            ("manage dashboard", "/manage/", True)]


def ensure_editor(app) -> tuple[str, int, int]:
    """The bench editor in the catalogue; the 2,000-item gallery's path, an asset in it, galleries."""
    import pages
    from sqlalchemy import func, select

    from gallery import migrate
    from gallery.extensions import db
    from gallery.models import Asset, Gallery, User
    from gallery.services import accounts

    with app.app_context():
        migrate.upgrade(app)  # a catalogue cached by an older version gets the new indexes
        if db.session.scalar(select(User.id).where(User.email == pages.EDITOR[0])) is None:
            accounts.create_user(email=pages.EDITOR[0], password=pages.EDITOR[1], role="editor",
                                 name="Bench editor")
            db.session.commit()
        g = db.session.get(Gallery, 1)
        asset = db.session.scalar(select(Asset.id).where(Asset.gallery_id == 1)
                                  .order_by(Asset.position).offset(BIG // 2).limit(1))
        total = db.session.scalar(select(func.count(Gallery.id)))
        db.engine.dispose()
    return f"/galleries/{g.id}-{g.slug}", asset, total


def small_database(big_url: str, tmp: str) -> str:
    """The small catalogue's database, on the big one's engine: a fresh `<name>_small` on PostgreSQL."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    url = make_url(big_url)
    if url.get_backend_name() != "postgresql":
        return f"sqlite:///{os.path.join(tmp, 'gallery.sqlite')}"
    small = url.set(database=f"{url.database}_small")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{small.database}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{small.database}"')
    admin.dispose()
    return small.render_as_string(hide_password=False)


def compare_pages(env: dict[str, str], app, requests: int) -> None:
    """The pages on the big catalogue and on bench/pages.py's 24 galleries, route by route in turn."""
    import tempfile

    import pages

    big_path, asset_id, ngal = ensure_editor(app)
    tmp = tempfile.mkdtemp(prefix="gallery-bench-")
    small_env = {"GALLERY_INSTANCE_PATH": os.path.join(tmp, "instance"),
                 "GALLERY_DATABASE_URL": small_database(env["GALLERY_DATABASE_URL"], tmp),
                 "GALLERY_UPLOAD_DIR": os.path.join(tmp, "uploads"),
                 "GALLERY_SEARCH_INDEX_DIR": os.path.join(tmp, "search_index")}
    servers = []
    try:
        code = subprocess.run(
            [sys.executable, "-c", "import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]; "
             f"import pages, json; print(json.dumps(pages.prepare({{}}, {SMALL_DRAFTS})))",
             ROOT, os.path.dirname(os.path.abspath(__file__))],
            cwd=ROOT, env={**os.environ, **small_env}, capture_output=True, text=True, check=True)
        small_path, small_id = json.loads(code.stdout.strip().splitlines()[-1])
        assert small_id == 1  # its first gallery: assets 1 to 2,000
        servers = [serve(env, 2, timeout=300, ready_within=120),
                   serve(small_env, 2, timeout=300, ready_within=120)]
        (_b, big_port), (_s, small_port) = servers
        cookies = log_in(big_port, *pages.EDITOR), log_in(small_port, *pages.EDITOR)
        big_routes = page_routes(big_path, asset_id, -(-ngal // 24), "ken")
        small_routes = page_routes(small_path, 1000, 1, "yem")
        print(f"\npages, gunicorn -w 2 each, 4 clients, {requests} requests a route, the two "
              f"catalogues in turn; p50 / p95 ms; load {os.getloadavg()}")
        print(f"{'page':24} | {'24 galleries':>15} | {f'{ngal:,} galleries':>17} | p95 ratio | errors")
        for (name, bpath, staff), (_n, spath, _st) in zip(big_routes, small_routes):
            s_ = load(small_port, spath, requests, 4, 60, cookies[1] if staff else "")
            b = load(big_port, bpath, requests, 4, 60, cookies[0] if staff else "")
            print(f"{name:24} | {s_['p50']:6.1f} / {s_['p95']:6.1f} | {b['p50']:7.1f} / "
                  f"{b['p95']:7.1f} | {b['p95'] / s_['p95']:8.2f}x | {b['errors'] + s_['errors']}")
    finally:
        for server, _port in servers:
            stop(server)
        shutil.rmtree(tmp, ignore_errors=True)


def _pp(values: list[float]) -> str:
    return f"{statistics.median(values):7.1f} /{pct(values, 95):7.1f}" if values else "      -"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=1_000_000, help="assets")
    parser.add_argument("--galleries", type=int, default=40_000)
    parser.add_argument("--cache", default=os.path.expanduser("~/.cache/gallery-bench"))
    parser.add_argument("--database-url", default=None, help="default: SQLite in the cache")
    parser.add_argument("--procs", type=int, default=2, help="indexing processes of the reindex")
    parser.add_argument("--reindex", action="store_true", help="rebuild the index even if cached")
    parser.add_argument("--queries", type=int, default=204)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--no-fts", action="store_true", help="skip the FTS5 baseline")
    parser.add_argument("--pages", type=int, default=0, metavar="REQUESTS",
                        help="also time the browse pages against the 24-gallery catalogue")
    parser.add_argument("--only-pages", action="store_true", help="skip the search figures")
    args = parser.parse_args()

    flavour = "pg" if args.database_url else "sqlite"
    cache = os.path.join(args.cache, f"scale-{args.n}-{args.galleries}-{flavour}")
    os.makedirs(cache, exist_ok=True)
    env = environment(cache, args.database_url)
    os.environ.update(env)
    from gallery import create_app

    app = create_app()
    mix = query_mix(args.queries)
    print(f"{args.n:,} assets in {args.galleries:,} galleries ({flavour}); cache {cache}; "
          f"load {os.getloadavg()}")
    done = os.path.join(cache, "CATALOGUE")
    if not os.path.exists(done):  # a PostgreSQL database given must be empty
        shutil.rmtree(env["GALLERY_SEARCH_INDEX_DIR"], ignore_errors=True)
        if not args.database_url and os.path.exists(os.path.join(cache, "gallery.sqlite")):
            os.unlink(os.path.join(cache, "gallery.sqlite"))  # a build that did not finish
        took = build_catalogue(app, args.n, args.galleries)
        with open(done, "w", encoding="ascii") as fh:
            fh.write(f"{took:.1f}\n")
        print(f"catalogue built in bulk: {took:.0f} s")
    else:
        print(f"catalogue from the cache (built in {open(done, encoding='ascii').read().strip()} s)")
    if args.only_pages:  # the pages never read the search index
        compare_pages(env, app, args.pages or 100)
        return
    if args.reindex or not os.path.exists(os.path.join(env["GALLERY_SEARCH_INDEX_DIR"], "CURRENT")):
        built = build_index(app, args.procs)
        print(f"reindex (`gallery reindex --procs {args.procs}`): {built['docs']:,} documents in "
              f"{built['wall']:.0f} s wall ({built['docs'] / built['wall']:,.0f} docs/s, "
              f"{built['cpu']:.0f} CPU-s), {built['segments']} segments (largest "
              f"{built['largest']:,}); load {os.getloadavg()}")
    opened = open_in_fresh_process(env)
    print(f"opening a searcher in a new process: {opened['open_s'] * 1000:.0f} ms "
          f"({opened['docs']:,} documents; peak RSS {opened['rss_mib']:.0f} MiB)")

    reread = [refaulted_mib()]
    local = in_process(app, mix)
    reread.append(refaulted_mib())
    http = over_http(env, mix, args.workers, args.clients, again=True)
    reread.append(refaulted_mib())
    html = over_http(env, mix, args.workers, args.clients, path=page_path)
    reread.append(refaulted_mib())
    # The same mix with one worker and one client a core: what the target's four on this machine's
    # cores cost in waiting and in switching between workers.
    cores = os.cpu_count() or 1
    per_core = over_http(env, mix, cores, cores) if cores != args.workers else None
    reread.append(refaulted_mib())
    print(f"\nlatency in ms, p50 / p95, {len(mix)} queries with facets; load {os.getloadavg()}")
    print(f"{'kind':9} {'n':>4} | {'in process':>15} | {'HTTP -w ' + str(args.workers):>15}"
          + (f" | {'HTTP -w ' + str(cores):>15}" if per_core else ""))
    every_local, every_http, every_core = [], [], []
    for kind in local:
        every_local += local[kind]
        every_http += http["times"].get(kind, [])
        every_core += per_core["times"].get(kind, []) if per_core else []
        print(f"{kind:9} {len(local[kind]):4d} | {_pp(local[kind])} | {_pp(http['times'].get(kind, []))}"
              + (f" | {_pp(per_core['times'].get(kind, []))}" if per_core else ""))
    print(f"{'all warm':9} {len(every_local):4d} | {_pp(every_local)} | {_pp(every_http)}"
          + (f" | {_pp(every_core)}" if per_core else ""))
    print(f"{'first':9} {len(http['cold']):4d} | {'':15} | {_pp(http['cold'])}  (each client's first; "
          f"the workers opened the index as they started: settled {http['started_s']:.1f} s after "
          f"the first answered)")
    print(f"HTTP -w {args.workers}: {http['rps']:.1f} req/s, errors {len(http['errors'])}, workers' CPU "
          f"{http['cpu_ms']:.1f} ms a request")
    again = http["again"]
    every_again = [ms for kind in local for ms in again["times"].get(kind, [])]
    print(f"HTTP -w {args.workers}, the same workers again (each has served a quarter of the mix): "
          f"all {_pp(every_again)}, phrase {_pp(again['times'].get('phrase', []))}; "
          f"{again['rps']:.1f} req/s, errors {len(again['errors'])}, workers' CPU {again['cpu_ms']:.1f} "
          "ms a request")
    every_html = [ms for kind in local for ms in html["times"].get(kind, [])]
    print(f"/search (the results page, with its matching galleries), new workers -w {args.workers}: "
          f"all {_pp(every_html)}, phrase {_pp(html['times'].get('phrase', []))}; {html['rps']:.1f} "
          f"req/s, errors {len(html['errors'])}, workers' CPU {html['cpu_ms']:.1f} ms a request")
    if per_core:
        print(f"HTTP -w {cores} ({cores} clients): {per_core['rps']:.1f} req/s, errors "
              f"{len(per_core['errors'])}, workers' CPU {per_core['cpu_ms']:.1f} ms a request")
    print(f"file pages read again after the kernel dropped them from its cache (index and database "
          f"read from disk): in process {reread[1] - reread[0]:.0f} MiB, HTTP -w {args.workers} "
          f"{reread[2] - reread[1]:.0f} MiB, /search {reread[3] - reread[2]:.0f} MiB"
          + (f", -w {cores} {reread[4] - reread[3]:.0f} MiB" if per_core else ""))
    for i, m in enumerate(http["memory"]):
        print(f"worker {i + 1}: peak RSS {m.get('VmHWM', 0):.0f} MiB; now {m.get('RssAnon', 0):.0f} "
              f"MiB its own + {m.get('RssFile', 0):.0f} MiB mapped files (shared)")

    drained = drain_changes(app, 1000)
    print(f"\ndrain of 1,000 changed assets: {drained['drain_s']:.2f} s ({drained['indexed']} "
          f"indexed); reopening the searcher after it: {drained['reopen_s'] * 1000:.0f} ms")
    if not args.no_fts:
        f = fts_sample(cache, args.n, args.galleries, mix)
        print(f"SQLite FTS5, one query per kind with facets (built in {f['build_s']:.0f} s): " +
              ", ".join(f"{k} {v[0]:.0f} ms" for k, v in f["times"].items()))
    if args.pages:
        compare_pages(env, app, args.pages)
    print(f"load at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
