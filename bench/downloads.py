"""Gallery zip speed and server memory against plain reads of the same files, in one run.

Builds (once, cached in a temp dir) a gallery of camera-size JPEGs (6-24 MP, every third one with
EXIF GPS, as phones write it) ingested for real, serves the app with gunicorn (one sync worker) on 127.0.0.1, downloads the gallery zip of
originals and of Large renditions through the real streaming route, and reports MB/s and the
worker's peak memory beside reading the same files from disk.

    python bench/downloads.py [--count 300] [--rounds 5] [--max-minutes 20] [--cache DIR]
                              [--s3 N] [--s3-only] [--ingest-photos N]

--s3 N adds the S3 row: the first N served originals are put in a bucket of moto's standalone
server (started here on 127.0.0.1), and the app (STORAGE_URL = s3://...) streams their zip from
it, against a bare WSGI app reading the same objects back to back with boto3 on the same
gunicorn settings. --ingest-photos N times the ingest of N 24 MP photos into a local store and
into the S3 endpoint: the extra cost of S3 per photo.
"""
from __future__ import annotations

import argparse
import http.client
import io
import os
import random
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

SIZES = [(3000, 2000), (4000, 3000), (4928, 3264), (6000, 4000)]  # 6, 12, 16 and 24 MP


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--max-minutes", type=float, default=20.0,
                        help="stop building the gallery after this long (the run says so)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="interleaved pairs of HTTP plain stream and zip of originals "
                             "(medians reported)")
    parser.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "gallery-bench-downloads"))
    parser.add_argument("--s3", type=int, default=0, metavar="N",
                        help="also zip the first N originals from an S3 endpoint (moto)")
    parser.add_argument("--s3-only", action="store_true", help="only the S3 rows")
    parser.add_argument("--ingest-photos", type=int, default=0, metavar="N",
                        help="time the ingest of N 24 MP photos, local store against S3")
    args = parser.parse_args()
    deadline = time.monotonic() + args.max_minutes * 60
    env = build(args.cache, args.count, deadline)
    if args.s3 or args.ingest_photos:
        with MotoServer() as moto:
            if args.s3:
                s3_rows(env, moto, args.s3, args.rounds)
            if args.ingest_photos:
                ingest_cost(moto, args.ingest_photos)
    if args.s3_only:
        return
    paths = served_paths(env)
    total = sum(os.path.getsize(p) for p in paths)
    print(f"load average before the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"gallery: {len(paths)} JPEGs, {total / 1e6:.0f} MB of served originals "
          f"({min(os.path.getsize(p) for p in paths) / 1e6:.1f}-{max(os.path.getsize(p) for p in paths) / 1e6:.1f} MB each)")

    read_once(paths)  # warm the page cache so both sides read from memory alike
    # In-process, best of five interleaved rounds: what the zip costs over the reads it needs.
    plain = yielded = zipped = 0.0
    for _ in range(5):
        plain = max(plain, total / 1e6 / read_once(paths))
        yielded = max(yielded, total / 1e6 / yield_once(paths))
        got, seconds = zip_in_process(env)
        zipped = max(zipped, got / 1e6 / seconds)
    print(f"in process: plain read {plain:8.1f} MB/s, the same reads yielded by a generator "
          f"{yielded:8.1f} MB/s, zip of originals {zipped:8.1f} MB/s ({100 * zipped / plain:.0f} % "
          f"of plain read, {100 * zipped / yielded:.0f} % of the generator)")

    # Over HTTP: the same files streamed back to back by a bare WSGI app on the same gunicorn
    # settings, so the server, loopback and client costs are in the baseline too. One transfer
    # lasts a third of a second, so one pair swings by 20 % or more on a shared machine: the
    # pairs are interleaved and the median reported (round 1 is the app worker's first zip).
    plain_rates, rows = [], []
    with Server(env, app="downloads:plain_app", chdir=os.path.join(ROOT, "bench"),
                paths=paths) as plain_server, Server(env) as server:
        for n in range(1, args.rounds + 1):
            got, seconds, peak, base = plain_server.fetch("/")
            plain_rates.append(got / 1e6 / seconds)
            print(f"round {n}: HTTP plain stream {got / 1e6:4.0f} MB in {seconds:4.2f} s = "
                  f"{plain_rates[-1]:7.1f} MB/s (first byte after "
                  f"{1000 * plain_server.first_byte:.0f} ms, worker {base / 1e6:.0f} -> "
                  f"{peak / 1e6:.0f} MB)")
            got, seconds, peak, base = server.fetch_zip("original")
            first = server.first_byte
            # Planning the zip (policy for every item, 300 download rows in one statement) comes
            # before the first byte; the streaming rate after it is the zip writer's own speed.
            rate, streaming = got / 1e6 / seconds, got / 1e6 / (seconds - first)
            rows.append((rate / plain_rates[-1], first, rate, streaming / plain_rates[-1]))
            print(f"round {n}: zip of originals  {got / 1e6:4.0f} MB in {seconds:4.2f} s = "
                  f"{rate:7.1f} MB/s ({100 * rows[-1][0]:.0f} %); first byte after "
                  f"{1000 * first:.0f} ms, then {streaming:.1f} MB/s ({100 * rows[-1][3]:.0f} %); "
                  f"worker {base / 1e6:.0f} -> {peak / 1e6:.0f} MB")
    ratio, first, rate, after = (statistics.median(c) for c in zip(*rows))
    print(f"median of {args.rounds}: HTTP plain stream {statistics.median(plain_rates):.1f} MB/s; "
          f"zip of originals {rate:.1f} MB/s = {100 * ratio:.0f} % of the plain stream of its "
          f"round, "
          f"{100 * after:.0f} % after the first byte; first byte after {1000 * first:.0f} ms")

    with Server(env) as server:
        got, seconds, peak, base = server.fetch_zip("large")
    print(f"zip of large   : {got / 1e6:7.0f} MB in {seconds:5.2f} s = "
          f"{got / 1e6 / seconds:8.1f} MB/s; worker memory {base / 1e6:.0f} MB before, "
          f"peak {peak / 1e6:.0f} MB")

    with Server(env) as server:
        first = server.first_ids(30)
        got, seconds, peak, base = server.fetch_zip("original", first)
    print(f"zip of 30 originals  : {got / 1e6:7.0f} MB; worker memory {base / 1e6:.0f} MB before, "
          f"peak {peak / 1e6:.0f} MB (same peak as the whole gallery = flat)")
    print(f"load average after the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


class MotoServer:
    """moto's standalone S3 server in a subprocess on a free 127.0.0.1 port."""

    def __enter__(self) -> "MotoServer":
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                    "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
        os.environ.update(self.env)
        self.proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                                      "-p", str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(400):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        return self

    def client(self):
        import boto3
        from botocore.config import Config

        return boto3.session.Session().client("s3", endpoint_url=self.url, region_name="us-east-1",
                                               config=Config(s3={"addressing_style": "path"}))

    def settings(self, bucket: str) -> dict[str, str]:
        """The app's environment for a store in this bucket."""
        return {**self.env, "GALLERY_STORAGE_URL": f"s3://{bucket}/media",
                "GALLERY_S3_ENDPOINT_URL": self.url, "GALLERY_S3_REGION": "us-east-1"}

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def s3_rows(env: dict[str, str], moto: MotoServer, count: int, rounds: int) -> None:
    """The zip of the first `count` originals from S3 against plain reads of the same objects."""
    keys, ids = served_keys(env, count)
    local = Local(env)
    client = moto.client()
    client.create_bucket(Bucket="bench")
    total = 0
    for key in keys:
        path = local.path(key)
        client.upload_file(path, "bench", f"media/{key}")
        total += os.path.getsize(path)
    print(f"S3 (moto on 127.0.0.1): {len(keys)} served originals, {total / 1e6:.0f} MB in the bucket")
    s3_env = {**env, **moto.settings("bench")}
    plain_env = {**s3_env, "BENCH_S3_URL": moto.url}
    rows, plain_rates = [], []
    with Server(plain_env, app="downloads:plain_s3_app", chdir=os.path.join(ROOT, "bench"),
                paths=[f"media/{k}" for k in keys]) as plain_server, Server(s3_env) as server:
        for n in range(1, rounds + 1):
            got, seconds, peak_plain, _ = plain_server.fetch("/")
            plain_rates.append(got / 1e6 / seconds)
            got, seconds, peak, base = server.fetch_zip("original", ids)
            rate = got / 1e6 / seconds
            rows.append((rate / plain_rates[-1], server.first_byte, rate, peak - base, peak))
            print(f"S3 round {n}: plain read of the objects {plain_rates[-1]:6.1f} MB/s; zip of "
                  f"originals {got / 1e6:4.0f} MB in {seconds:4.2f} s = {rate:6.1f} MB/s "
                  f"({100 * rows[-1][0]:.0f} %); first byte after {1000 * server.first_byte:.0f} ms; "
                  f"worker {base / 1e6:.0f} -> {peak / 1e6:.0f} MB")
        few = ids[: max(1, len(ids) // 5)]
        _, _, peak_few, base_few = server.fetch_zip("original", few)
    ratio, first, rate, _grow, peak = (statistics.median(c) for c in zip(*rows))
    print(f"S3 median of {rounds}: plain read {statistics.median(plain_rates):.1f} MB/s; zip of "
          f"originals {rate:.1f} MB/s = {100 * ratio:.0f} % of the plain read of its round; first "
          f"byte after {1000 * first:.0f} ms; worker peak {peak / 1e6:.0f} MB for {len(ids)} files, "
          f"{peak_few / 1e6:.0f} MB for {len(few)} (before: {base_few / 1e6:.0f} MB)")


_S3_CLIENT: list = []


def plain_s3_app(environ, start_response):
    """WSGI baseline for S3: the objects listed in BENCH_PLAIN_PATHS, back to back, 1 MB reads."""
    import boto3
    from botocore.config import Config

    with open(os.environ["BENCH_PLAIN_PATHS"]) as fh:
        keys = fh.read().split("\n")
    if not _S3_CLIENT:  # made once per worker, as the app's store is
        _S3_CLIENT.append(boto3.session.Session().client(
            "s3", endpoint_url=os.environ["BENCH_S3_URL"], region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"})))
    client = _S3_CLIENT[0]
    start_response("200 OK", [("Content-Type", "application/octet-stream")])

    def body():
        for key in keys:
            stream = client.get_object(Bucket="bench", Key=key)["Body"]
            while chunk := stream.read(1 << 20):
                yield chunk
            stream.close()
    return body()


def ingest_cost(moto: MotoServer, n: int) -> None:
    """Seconds per 24 MP photo ingested into a local store and into S3, in process, interleaved."""
    from PIL import Image, ImageFilter

    client = moto.client()
    client.create_bucket(Bucket="ingest")
    frame = _frames(Image, ImageFilter, sizes=[SIZES[-1]])[0]
    work = tempfile.mkdtemp(prefix="gallery-bench-ingest-")
    photos = []
    for i in range(n):
        buf = io.BytesIO()
        frame.point(lambda v, i=i: min(255, v + i)).save(buf, "JPEG", quality=92)
        photos.append(buf.getvalue())
    local_app = _ingest_app(os.path.join(work, "local"), {})
    s3_app = _ingest_app(os.path.join(work, "s3"), {"STORAGE_URL": "s3://ingest/media",
                                                    "S3_ENDPOINT_URL": moto.url, "S3_REGION": "us-east-1"})
    times: dict[str, list[float]] = {"local": [], "s3": []}
    for i, data in enumerate(photos):
        for name, (app, gallery_id) in (("local", local_app), ("s3", s3_app)):
            times[name].append(_ingest_one(app, gallery_id, data, i))
    local, s3 = statistics.median(times["local"]), statistics.median(times["s3"])
    print(f"ingest of a 24 MP photo ({len(photos[0]) / 1e6:.1f} MB), median of {n}: local store "
          f"{1000 * local:.0f} ms, S3 {1000 * s3:.0f} ms: {1000 * (s3 - local):+.0f} ms per photo "
          f"({100 * (s3 - local) / local:+.0f} %)")
    shutil.rmtree(work, ignore_errors=True)


def _ingest_app(folder: str, settings: dict):
    from gallery import create_app, migrate
    from gallery.extensions import db
    from gallery.services import galleries, reference, search

    os.makedirs(folder)
    app = create_app({"DATABASE_URL": f"sqlite:///{folder}/g.sqlite", "UPLOAD_DIR": f"{folder}/uploads",
                      "SEARCH_INDEX_DIR": f"{folder}/index", "SECRET_KEY": "bench", "JOB_THREAD": False,
                      **settings})
    with app.app_context():
        migrate.upgrade(app)
        reference.seed(db.session)
        search.after_commit = lambda *a, **k: None  # indexing is the same on both sides
        gallery = galleries.create_gallery({"title": "Ingest", "category": "Health", "country": "KEN",
                                            "status": "published"}, None, script=True)
        return app, gallery.id


def _ingest_one(app, gallery_id: int, data: bytes, i: int) -> float:
    from gallery.extensions import db
    from gallery.models import Gallery
    from gallery.services import ingest

    with app.app_context():
        gallery = db.session.get(Gallery, gallery_id)
        start = time.perf_counter()
        result = ingest.ingest(gallery, io.BytesIO(data), f"IMG_{i}.jpg")
        seconds = time.perf_counter() - start
        if result.status != "accepted":
            raise SystemExit(f"ingest failed: {result.reason}")
        return seconds


def read_once(paths: list[str]) -> float:
    """Read every file in 1 MB chunks; seconds taken."""
    start = time.perf_counter()
    for p in paths:
        with open(p, "rb") as fh:
            while fh.read(1 << 20):
                pass
    return time.perf_counter() - start


def yield_once(paths: list[str]) -> float:
    """The same reads handed out by a generator, as any WSGI body is; seconds taken.

    The consumer still holds the last chunk while the next is read, so two 1 MB buffers are
    alive at once and glibc gives memory back and faults it in again between them: about half
    the speed of a bare read loop, before any zip work.
    """
    def chunks():
        for p in paths:
            with open(p, "rb", buffering=0) as fh:
                while chunk := fh.read(1 << 20):
                    yield chunk

    start = time.perf_counter()
    for _chunk in chunks():
        pass
    return time.perf_counter() - start


def zip_in_process(env: dict[str, str]) -> tuple[int, float]:
    """(bytes, seconds) of the gallery zip of originals built by the app's own streamer, in process."""
    os.environ.update(env)
    from sqlalchemy import select

    from gallery import create_app
    from gallery.extensions import db
    from gallery.models import Asset
    from gallery.services import downloads, zips

    app = create_app()
    with app.app_context():
        assets = list(db.session.scalars(select(Asset).order_by(Asset.id)))
        files = [downloads.source(a, "original", "Bench") for a in assets]
        db.engine.dispose()
    start = time.perf_counter()
    got = sum(len(chunk) for chunk in zips.stream_zip(files, b"file name\r\n"))
    return got, time.perf_counter() - start


def plain_app(environ, start_response):
    """WSGI baseline: the files listed in BENCH_PLAIN_PATHS, back to back, read in 1 MB chunks."""
    with open(os.environ["BENCH_PLAIN_PATHS"]) as fh:
        paths = fh.read().split("\n")
    start_response("200 OK", [("Content-Type", "application/octet-stream")])

    def body():
        for p in paths:
            with open(p, "rb", buffering=0) as f:
                while chunk := f.read(1 << 20):
                    yield chunk
    return body()


def build(cache: str, count: int, deadline: float) -> dict[str, str]:
    """A cached instance (SQLite database and uploads) with one gallery of `count` photos."""
    env = {"GALLERY_INSTANCE_PATH": os.path.join(cache, "instance"),
           "GALLERY_DATABASE_URL": f"sqlite:///{os.path.join(cache, 'instance', 'gallery.sqlite')}",
           "GALLERY_UPLOAD_DIR": os.path.join(cache, "uploads"),
           "GALLERY_SEARCH_INDEX_DIR": os.path.join(cache, "search_index"),
           "GALLERY_SECRET_KEY": "bench-secret",
           "GALLERY_MAX_ZIP_DOWNLOAD_FILES": str(max(500, count))}
    marker = os.path.join(cache, f"built-v2-{count}")  # v2: served originals (migration 0002)
    if os.path.exists(marker):
        return env
    shutil.rmtree(cache, ignore_errors=True)
    os.makedirs(env["GALLERY_INSTANCE_PATH"])
    os.environ.update(env)
    from PIL import Image, ImageFilter

    from gallery import create_app, migrate
    from gallery.extensions import db
    from gallery.services import accounts, galleries, ingest, reference, search, terms

    app = create_app()
    rng = random.Random(42)
    with app.app_context():
        migrate.upgrade(app)
        reference.seed(db.session)
        user = accounts.create_user(email="bench@example.org", password="bench password 123")
        terms.accept(user)
        gallery = galleries.create_gallery({"title": "Bench gallery", "category": "Health",
                                            "country": "KEN", "status": "published"}, None, script=True)
        search_after_commit = search.after_commit
        search.after_commit = lambda *a, **k: None  # indexing is not what this measures
        photos = _photos(Image, ImageFilter, rng)
        started = time.monotonic()
        for i in range(count):
            if time.monotonic() > deadline:
                print(f"stopped building after {i} photos (time bound)")
                break
            buf = io.BytesIO(next(photos))
            result = ingest.ingest(gallery, buf, f"IMG_{i:04d}.jpg", {"caption": f"Photo {i}",
                                                                         "creator": "Bench Peña"})
            if result.status != "accepted":
                raise SystemExit(f"ingest failed: {result.reason}")
            if i % 25 == 24:
                print(f"  built {i + 1}/{count} photos in {time.monotonic() - started:.0f} s", flush=True)
        search.after_commit = search_after_commit
        db.engine.dispose()
    open(marker, "w").close()
    return env


def _photos(Image, ImageFilter, rng: random.Random):
    """Camera-size JPEGs without end: each size encoded twice (two tone curves), then every photo
    made unique by a comment segment, and every third given an EXIF GPS block. Encoding a 24 MP
    JPEG costs about as much as ingesting it; doing it eight times instead of 300 halves the build.
    """
    encoded = []
    for frame in _frames(Image, ImageFilter):
        for lift, gain in ((rng.randrange(40), rng.uniform(0.6, 1.0)) for _ in range(2)):
            buf = io.BytesIO()
            frame.point(lambda v, lift=lift, gain=gain: min(255, int(lift + v * gain))).save(buf, "JPEG", quality=92)
            encoded.append(buf.getvalue())
    gps = Image.Exif()
    gps[0x010F] = "BenchCam"
    gps.get_ifd(0x8825).update({1: "N", 2: (14.0, 0.0, 59.88), 3: "W", 4: (86.0, 34.0, 59.88)})
    exif = b"Exif\x00\x00" + gps.tobytes()
    i = 0
    while True:
        base = encoded[i % len(encoded)]
        comment = f"bench photo {i}".encode()
        extra = b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
        if i % 3 == 0:
            extra = b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif + extra
        yield base[:2] + extra + base[2:]
        i += 1


def _frames(Image, ImageFilter, sizes=SIZES) -> list:
    """One detailed frame per camera size: blurred shapes plus sensor-like grain."""
    base = Image.effect_noise((480, 320), 60).convert("RGB").filter(ImageFilter.GaussianBlur(1))
    tile = Image.effect_noise((1024, 1024), 25).convert("RGB")
    frames = []
    for w, h in sizes:
        grain = Image.new("RGB", (w, h))
        for x in range(0, w, 1024):
            for y in range(0, h, 1024):
                grain.paste(tile, (x, y))
        frames.append(Image.blend(base.resize((w, h), Image.Resampling.BICUBIC), grain, 0.12))
    return frames


class Local:
    """Paths of keys in the bench's local store (the bench reads the files it compares against)."""

    def __init__(self, env: dict[str, str]) -> None:
        from gallery.services.storage_local import LocalStore

        self.store = LocalStore(env["GALLERY_UPLOAD_DIR"])

    def path(self, key: str) -> str:
        return self.store.path(key)


def served_keys(env: dict[str, str], count: int) -> tuple[list[str], list[int]]:
    """Keys of the first `count` served originals and their assets' ids."""
    os.environ.update(env)
    from sqlalchemy import select

    from gallery import create_app
    from gallery.extensions import db
    from gallery.models import Asset

    app = create_app()
    with app.app_context():
        rows = db.session.execute(select(Asset.served_key, Asset.id).order_by(Asset.id).limit(count)).all()
        db.engine.dispose()
    return [r[0] for r in rows], [r[1] for r in rows]


def served_paths(env: dict[str, str]) -> list[str]:
    """Paths of the files a zip of originals sends: each asset's served original."""
    os.environ.update(env)
    from sqlalchemy import select

    from gallery import create_app
    from gallery.extensions import db
    from gallery.models import Asset
    from gallery.services import storage

    app = create_app()
    with app.app_context():
        keys = list(db.session.scalars(select(Asset.served_key).order_by(Asset.id)))
        paths = [storage.path(k) for k in keys]
        db.engine.dispose()
    return paths


class Server:
    """gunicorn with one sync worker on a free 127.0.0.1 port, its worker's memory sampled."""

    def __init__(self, env: dict[str, str], app: str = "gallery:create_app()", chdir: str = ROOT,
                 paths: list[str] | None = None) -> None:
        self.env = {**os.environ, **env}
        self.app, self.chdir, self.paths = app, chdir, paths

    def __enter__(self) -> "Server":
        if self.paths is not None:
            listing = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)
            listing.write("\n".join(self.paths))
            listing.close()
            self.env["BENCH_PLAIN_PATHS"] = listing.name
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
        self.proc = subprocess.Popen(
            [gunicorn, "-w", "1", "-k", "sync", "-t", "600", "-b", f"127.0.0.1:{self.port}",
             "--chdir", self.chdir, self.app], env=self.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        self.cookie = self._session_cookie() if self.paths is None else ""
        if self.paths is None:
            self._get("/")  # load the app in the worker before measuring its memory
        return self

    def __exit__(self, *exc) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        if "BENCH_PLAIN_PATHS" in self.env:
            os.unlink(self.env.pop("BENCH_PLAIN_PATHS"))

    def _session_cookie(self) -> str:
        os.environ.update({k: v for k, v in self.env.items() if k.startswith("GALLERY_")})
        from sqlalchemy import select

        from gallery import create_app
        from gallery.extensions import db
        from gallery.models import User

        app = create_app()
        with app.app_context():
            user = db.session.scalar(select(User).where(User.email == "bench@example.org"))
            value = app.session_interface.get_signing_serializer(app).dumps(
                {"_user_id": user.get_id(), "_fresh": True})
            db.engine.dispose()
        return f"session={value}"

    def first_ids(self, n: int) -> list[int]:
        from sqlalchemy import select

        from gallery import create_app
        from gallery.extensions import db
        from gallery.models import Asset

        app = create_app()
        with app.app_context():
            ids = list(db.session.scalars(select(Asset.id).order_by(Asset.id).limit(n)))
            db.engine.dispose()
        return ids

    def _worker_pid(self) -> int:
        for _ in range(200):  # the master listens before its worker has booted
            with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as fh:
                found = fh.read().split()
            if found:
                return int(found[0])
            time.sleep(0.05)
        raise SystemExit("gunicorn started no worker")

    def _get(self, path: str) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        start = time.perf_counter()
        conn.request("GET", path, headers={"Cookie": self.cookie})
        resp = conn.getresponse()
        if resp.status != 200:
            raise SystemExit(f"GET {path}: HTTP {resp.status}")
        got = 0
        self.first_byte = None
        while chunk := resp.read1(1 << 20):
            if self.first_byte is None:
                self.first_byte = time.perf_counter() - start
            got += len(chunk)
        conn.close()
        return got

    def fetch_zip(self, size: str, ids: list[int] | None = None) -> tuple[int, float, int, int]:
        """(bytes received, seconds, worker peak RSS, worker RSS before) for one gallery zip."""
        query = f"size={size}" + "".join(f"&asset={i}" for i in ids or [])
        return self.fetch(f"/download/galleries/1.zip?{query}")

    def fetch(self, path: str) -> tuple[int, float, int, int]:
        """(bytes received, seconds, worker peak RSS, worker RSS before) for one GET."""
        pid = self._worker_pid()
        base = _rss(pid)
        peak = [base]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], _rss(pid))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        start = time.perf_counter()
        got = self._get(path)
        seconds = time.perf_counter() - start
        done.set()
        sampler.join()
        return got, seconds, peak[0], base


def _rss(pid: int) -> int:
    return _status(pid, "VmRSS")


def _status(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0


if __name__ == "__main__":
    main()
