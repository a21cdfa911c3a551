"""Page latency under uploads: gunicorn -w 4 and one `gallery worker` on Redis, page p50/p95 unloaded and loaded.

Run from the project root: python bench/load.py [--baseline 20] [--load 60] [--rate 12] [--nice 10]
    [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/NAME] [--photos 80]

Makes a throw-away instance in a temp dir (SQLite unless --database-url names an empty database)
holding the demo galleries (`gallery demo`'s content, its jobs done), starts redis-server on a free
port, gunicorn -w 4 and one `gallery worker` (JOB_WORKER_NICE=--nice: it lowers its own priority, 0 to compare) with REDIS_URL
pointing at it. Page views (home, a gallery, a photo's page, a search, in turn) arrive at a fixed
rate from an open-loop client, so a slow answer delays no later request and its wait is counted
from when it was due. First --baseline seconds of page views alone, then --load seconds while a
second client uploads a 1080p video and then camera-size JPEGs (12 MP, one after another) through
the editor API of the same gunicorn. Prints p50/p95 both ways, their ratio (target: p95 ≤ 2×),
uploads done, the job queue's length over time, the CPU each process group used, and `uptime`.
Only 127.0.0.1 is contacted.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))

PHOTO_SIZE = (4000, 3000)  # 12 MP, a phone or compact camera
VIDEO = {"size": (1920, 1080), "seconds": 10, "fps": 30}
EDITOR = "editor@example.org"  # the demo's editor account


# --- Preparation (run in a child process: the client keeps no app, PyAV or threads of its own) --

def prepare(workdir: str, photos: int) -> dict:
    """Demo content with its jobs done, an editor token, and the files to upload; returns the pages."""
    from ingest import distinct_copies, make_photo  # bench/ingest.py
    from sqlalchemy import select

    from gallery import create_app, demo, migrate
    from gallery.extensions import db
    from gallery.models import Asset, Gallery
    from gallery.services import apitokens, galleries, jobs, reference, sitetext

    app = create_app({"JOB_THREAD": False})  # the demo's jobs run here, before the servers start
    with app.app_context():
        migrate.upgrade(app)
        reference.seed(db.session)
        sitetext.seed_defaults(db.session)
        db.session.commit()
        demo.run()
        if not jobs.wait_idle(timeout=600):
            raise SystemExit("the demo's background work did not finish")
        token = apitokens.create_token_for_email(EDITOR, "bench load")[1]
        target = galleries.create_gallery({"title": "Uploads under load", "category": "Health",
                                           "country": "KEN", "status": "draft"}, None, script=True)
        published = db.session.scalars(select(Gallery).where(Gallery.status == "published")).all()
        biggest = max(published, key=lambda g: g.image_count)
        photo = db.session.scalars(select(Asset).where(
            Asset.media_type == "image", Asset.status == "published",
            Asset.gallery_id == biggest.id)).first()
        pages = {"home": "/", "gallery": f"/galleries/{biggest.id}-{biggest.slug}",
                 "asset": f"/assets/{photo.id}", "search": "/search?q=water"}
        target_id = target.id
        db.session.commit()
        db.engine.dispose()
    base = os.path.join(workdir, "photo.jpg")
    make_photo(base, PHOTO_SIZE)
    files = distinct_copies(base, os.path.join(workdir, "photos"), photos)
    video = os.path.join(workdir, "clip.mp4")
    make_video(video)
    return {"pages": pages, "token": token, "gallery_id": target_id, "photos": files, "video": video}


def make_video(path: str) -> None:
    """A 1080p30 H.264 clip with moving grain and a tone, as a phone would send."""
    from transcode import make_source  # bench/transcode.py

    make_source(path, *VIDEO["size"], "libx264", "yuv420p", VIDEO["seconds"])


# --- Servers -----------------------------------------------------------------------------------

def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port: int, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None, timeout: float = 120) -> tuple[int, bytes]:
    """One request on a fresh connection (gunicorn's sync workers close after each response)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wait_for(check, what: str, seconds: float = 60) -> None:
    """Poll check() until it is true, or give up naming what never came."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{what} did not start")


def redis_command(port: int, *words: str) -> bytes:
    """One RESP command to the bench's redis-server, its reply line back."""
    payload = f"*{len(words)}\r\n" + "".join(f"${len(w)}\r\n{w}\r\n" for w in words)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(payload.encode())
        return s.recv(4096)


def queue_length(port: int) -> int:
    """Messages waiting in the gallery's RQ queues (default and low)."""
    total = 0
    for name in ("default", "low"):
        reply = redis_command(port, "LLEN", f"rq:queue:{name}")
        total += int(reply[1:].split(b"\r\n")[0])
    return total


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its descendants, living and reaped (/proc stat fields 14-17)."""
    ticks = os.sysconf("SC_CLK_TCK")
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry)] = (int(fields[1]), sum(int(x) for x in fields[11:15]))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        if p in stats:
            total += stats[p][1]
        todo += [c for c, (parent, _) in stats.items() if parent == p]
    return total / ticks


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


# --- Clients ------------------------------------------------------------------------------------

def page_views(port: int, pages: dict[str, str], rate: float, seconds: float, clients: int = 8) -> list[dict]:
    """Open loop: request n is due at n / rate; its latency runs from when it was due."""
    kinds = list(pages)
    results: list[dict] = []
    lock = threading.Lock()
    total = int(rate * seconds)
    start = time.monotonic() + 0.1

    def client(k: int) -> None:
        for n in range(k, total, clients):
            due = start + n / rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            kind = kinds[n % len(kinds)]
            status, _ = request(port, "GET", pages[kind], timeout=60)
            done = time.monotonic()
            with lock:
                results.append({"kind": kind, "latency": done - due, "status": status, "at": due - start})

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def multipart(path: str, fields: dict[str, str]) -> tuple[bytes, str]:
    """A multipart/form-data body with one file field named 'file'."""
    boundary = uuid.uuid4().hex
    parts = [f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n".encode()
             for k, v in fields.items()]
    with open(path, "rb") as f:
        data = f.read()
    parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                 f"filename=\"{os.path.basename(path)}\"\r\nContent-Type: application/octet-stream\r\n\r\n".encode()
                 + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def uploads(port: int, prep: dict, stop: threading.Event, done: list[dict]) -> None:
    """The video first, then photo after photo, until stopped; each answer recorded."""
    headers = {"Authorization": f"Bearer {prep['token']}"}
    for path in [prep["video"], *prep["photos"]]:
        if stop.is_set():
            return
        body, ctype = multipart(path, {"caption": f"Uploaded under load: {os.path.basename(path)}"})
        t0 = time.monotonic()
        status, reply = request(port, "POST", f"/api/galleries/{prep['gallery_id']}/assets", body,
                                {**headers, "Content-Type": ctype})
        done.append({"file": os.path.basename(path), "status": status, "seconds": time.monotonic() - t0,
                     "error": None if status == 201 else reply[:200]})


def summary(results: list[dict]) -> dict:
    lat = sorted(r["latency"] for r in results)
    p95 = lat[min(len(lat) - 1, int(len(lat) * 0.95))]
    return {"n": len(lat), "p50": statistics.median(lat) * 1000, "p95": p95 * 1000,
            "errors": sum(r["status"] != 200 for r in results)}


def print_table(label: str, results: list[dict], kinds: list[str]) -> dict:
    rows = {"all": summary(results)} | {k: summary([r for r in results if r["kind"] == k]) for k in kinds}
    print(f"\n{label}")
    print(f"  {'page':8} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'errors':>6}")
    for name, s in rows.items():
        print(f"  {name:8} {s['n']:>5} {s['p50']:>8.1f} {s['p95']:>8.1f} {s['errors']:>6}")
    return rows


# --- Main ------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=float, default=20.0, help="seconds of page views alone")
    parser.add_argument("--load", type=float, default=60.0, help="seconds of page views with uploads")
    parser.add_argument("--rate", type=float, default=12.0, help="page views per second")
    parser.add_argument("--nice", type=int, default=10, help="JOB_WORKER_NICE of `gallery worker` (0: none)")
    parser.add_argument("--photos", type=int, default=80, help="distinct JPEGs ready to upload")
    parser.add_argument("--database-url", help="an empty database (default: SQLite in the temp dir)")
    parser.add_argument("--prepare", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        print(json.dumps(prepare(args.prepare, args.photos)))
        return

    tmp = tempfile.mkdtemp(prefix="gallery-bench-load-")
    env = dict(os.environ,
               GALLERY_INSTANCE_PATH=os.path.join(tmp, "instance"),
               GALLERY_DATABASE_URL=args.database_url or f"sqlite:///{os.path.join(tmp, 'gallery.sqlite')}",
               GALLERY_UPLOAD_DIR=os.path.join(tmp, "uploads"),
               GALLERY_SEARCH_INDEX_DIR=os.path.join(tmp, "search_index"))
    env.pop("GALLERY_REDIS_URL", None)
    procs: list[subprocess.Popen] = []
    try:
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, __file__, "--prepare", tmp, "--photos", str(args.photos)],
                             env=env, cwd=ROOT, capture_output=True, text=True, timeout=1800)
        if out.returncode:
            raise SystemExit(f"preparing failed: {out.stderr[-3000:]}")
        prep = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"prepared the demo content, {len(prep['photos'])} JPEGs of {PHOTO_SIZE[0]}x{PHOTO_SIZE[1]} "
              f"and a {VIDEO['seconds']} s 1080p30 clip in {time.perf_counter() - t0:.0f} s "
              f"({'SQLite' if not args.database_url else args.database_url.split('://')[0]})")

        redis_port, web_port = free_port(), free_port()
        procs.append(subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                                       "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL))
        wait_for(lambda: redis_command(redis_port, "PING").startswith(b"+PONG"), "redis-server")
        env["GALLERY_REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
        gunicorn = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "4", "-b", f"127.0.0.1:{web_port}",
                                     "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
        procs.append(gunicorn)
        gallery_cmd = [os.path.join(os.path.dirname(sys.executable), "gallery"), "worker"]
        worker = subprocess.Popen(gallery_cmd, cwd=tmp, env={**env, "GALLERY_JOB_WORKER_NICE": str(args.nice)},
                                  stdout=subprocess.DEVNULL)
        procs.append(worker)
        wait_for(lambda: request(web_port, "GET", "/healthz")[0] == 200, "gunicorn")
        pages = prep["pages"]
        for _ in range(3):  # every worker's caches warm, every page answers
            for kind, path in pages.items():
                status, _ = request(web_port, "GET", path)
                if status != 200:
                    raise SystemExit(f"{kind} page {path} answered {status}")
        print(f"gunicorn -w 4 on :{web_port}, redis-server on :{redis_port}, one `gallery worker`"
              f"{f' at nice {args.nice} (JOB_WORKER_NICE)' if args.nice else ' at nice 0'}; {args.rate:g} page views/s "
              f"({', '.join(pages)} in turn), {os.cpu_count()} CPUs")
        print(f"before: {uptime()}")

        cpu0 = {"web": tree_cpu(gunicorn.pid), "worker": tree_cpu(worker.pid)}
        quiet = page_views(web_port, pages, args.rate, args.baseline)
        cpu1 = {"web": tree_cpu(gunicorn.pid), "worker": tree_cpu(worker.pid)}
        print(f"after the unloaded run: {uptime()}")

        stop, done, samples = threading.Event(), [], []
        uploader = threading.Thread(target=uploads, args=(web_port, prep, stop, done))
        started = time.monotonic()

        def sample() -> None:
            while not stop.wait(5):
                samples.append((time.monotonic() - started, queue_length(redis_port), os.getloadavg()[0]))

        sampler = threading.Thread(target=sample)
        uploader.start()
        sampler.start()
        loaded = page_views(web_port, pages, args.rate, args.load)
        stop.set()
        uploader.join()
        sampler.join()
        cpu2 = {"web": tree_cpu(gunicorn.pid), "worker": tree_cpu(worker.pid)}
        print(f"after the loaded run: {uptime()}")
        drained_at = None
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if queue_length(redis_port) == 0:
                drained_at = time.monotonic() - started
                break
            time.sleep(1)

        kinds = list(pages)
        before = print_table(f"unloaded, {args.baseline:.0f} s", quiet, kinds)
        after = print_table(f"loaded, {args.load:.0f} s (uploads running)", loaded, kinds)
        ratio = after["all"]["p95"] / before["all"]["p95"]
        print(f"\np95 loaded / unloaded: {ratio:.2f} (target ≤ 2.00); "
              f"p50 {after['all']['p50'] / before['all']['p50']:.2f}")
        ok = [u for u in done if u["status"] == 201]
        photos = [u for u in ok if u["file"].endswith(".jpg")]
        print(f"uploads answered 201: {len(ok)} of {len(done)} ({len(photos)} JPEGs, "
              f"{len(ok) - len(photos)} video); request time median "
              f"{statistics.median(u['seconds'] for u in photos) if photos else 0:.2f} s per JPEG"
              + "".join(f"; video {u['seconds']:.2f} s" for u in ok if u["file"].endswith(".mp4")))
        for u in done:
            if u["status"] != 201:
                print(f"  {u['file']}: {u['status']} {u['error']!r}")
        print("queue length (messages waiting) and 1-minute load average, every 5 s:")
        print("  " + ", ".join(f"{t:.0f}s: {q} ({load:.2f})" for t, q, load in samples))
        print(f"queue empty {drained_at:.0f} s after the uploads started" if drained_at is not None
              else "queue not empty 10 minutes after the load")
        for label, a, b, secs in (("unloaded", cpu0, cpu1, args.baseline), ("loaded", cpu1, cpu2, args.load)):
            print(f"CPU while {label}: web {b['web'] - a['web']:.1f} s, worker {b['worker'] - a['worker']:.1f} s "
                  f"over {secs:.0f} s ({(b['web'] - a['web'] + b['worker'] - a['worker']) / secs:.2f} cores)")
    finally:
        for proc in reversed(procs):  # the worker and gunicorn first: they talk to redis as they stop
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
