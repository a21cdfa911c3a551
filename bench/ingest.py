"""Ingest: our renditions against naive Pillow and libvips, and `gallery import-folder` end to end.

Run from the project root: python bench/ingest.py [--runs 5] [--keep DIR] [--e2e 200] [--e2e-only]
Every timed renditions run is a fresh subprocess pinned to one CPU, so its peak RSS (VmHWM) is its
own; the variants take turns, round by round. The end-to-end row runs the real `gallery init` and
`gallery import-folder --workers 1`, then `--workers 2`, each on a fresh instance (SQLite, uploads,
index in a temp dir), over N distinct camera-size JPEGs, and compares the CPU of the whole import
(the command and its pool, every descendant reaped here) with N x the renditions-only time
measured in the same run.
"""
from __future__ import annotations

import argparse
import ctypes
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

SIZES_ALL = {"thumb": 400, "preview": 1280, "large": 2560}
PHOTOS = {"24MP": (6000, 4000), "61MP": (9568, 6376)}
CONFIG = {"MAX_IMAGE_PIXELS": 120_000_000, "MAX_IMAGE_BYTES": 200 << 20, "MAX_VIDEO_BYTES": 2 << 30,
          "RENDITION_SIZES": SIZES_ALL}


def ingest_sizes() -> dict[str, int]:
    """The sizes made while ingesting (the rest are made on first use)."""
    from gallery import config

    return {k: v for k, v in SIZES_ALL.items() if k in config.RENDITIONS_AT_INGEST}


def import_sizes() -> dict[str, int]:
    """The sizes `gallery import-folder` makes in its pool (RENDITIONS_AT_IMPORT)."""
    from gallery import config

    return {k: v for k, v in SIZES_ALL.items() if k in config.RENDITIONS_AT_IMPORT}


def make_photo(path: str, size: tuple[int, int]) -> None:
    """A camera-like JPEG: gradients plus sensor-like noise, EXIF orientation 6, quality 92."""
    from PIL import Image, ImageChops

    w, h = size
    small = (w // 8, h // 8)
    grad = Image.linear_gradient("L").resize(small)
    radial = Image.radial_gradient("L").resize(small)
    noise = Image.effect_noise(small, 64)
    r = ImageChops.add(grad, noise, scale=1.6)
    g = ImageChops.add(radial, noise.transpose(Image.Transpose.FLIP_LEFT_RIGHT), scale=1.6)
    b = ImageChops.add(grad.transpose(Image.Transpose.ROTATE_180), radial, scale=2.0)
    base = Image.merge("RGB", (r, g, b)).resize(size, Image.Resampling.BICUBIC)
    del r, g, b
    # Fine grain at full resolution, as a real sensor gives: JPEG cannot compress it away.
    grain = Image.effect_noise(size, 18).convert("RGB")
    photo = ImageChops.add(base, grain, scale=1.0, offset=-60)
    del base, grain
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "Bench"
    exif[0x0110] = "Camera"
    photo.save(path, "JPEG", quality=92, exif=exif.tobytes())


def run_variant(variant: str, path: str, runs: int) -> dict:
    """Time one variant in this process; called in a fresh child per variant."""
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    fn = VARIANTS[variant]()
    # One untimed pass over a small photo loads what each pipeline imports on first use
    # (codecs, colour management), as in a worker that has already handled a file.
    fn(os.path.join(os.path.dirname(path), "warm-up.jpg"))
    times, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        outputs = fn(path)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    rss = peak_rss_mib()
    return {"median": statistics.median(times), "min": min(times), "rss_mib": rss,
            "cpu_median": statistics.median(cpu), "outputs": outputs}


def peak_rss_mib() -> float:
    """Peak resident memory of this process image (VmHWM, which exec resets; ru_maxrss does not)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _ours_ingest(sizes_fn):
    def factory():
        from gallery.formats import probe
        from gallery.formats.renditions import make_renditions

        sizes = sizes_fn()
        config = dict(CONFIG, RENDITIONS_AT_INGEST=tuple(sizes))

        def go(path):
            probed = probe.probe(path, "bench.jpg", config)
            return [(r.size, r.width, r.height) for r in make_renditions(path, probed, sizes, 85)]
        return go
    return factory


def _ours_renditions(sizes_fn):
    def factory():
        from gallery.formats import imaging

        sizes = sizes_fn()

        def go(path):
            return [(r.size, r.width, r.height) for r in imaging.make_renditions(path, sizes, 85)]
        return go
    return factory


def _naive():
    from PIL import Image, ImageOps

    def go(path):
        out = []
        for name, edge in SIZES_ALL.items():
            with Image.open(path) as im:
                im = ImageOps.exif_transpose(im)
                w, h = im.size
                scale = min(1.0, edge / max(w, h))
                small = im.resize((round(w * scale), round(h * scale)), Image.Resampling.LANCZOS)
                buf = io.BytesIO()
                small.save(buf, "JPEG", quality=85, progressive=True)
                out.append((name, *small.size))
        return out
    return go


def _vips(sizes_fn):
    def factory():
        os.environ.setdefault("VIPS_CONCURRENCY", "1")
        import pyvips

        pyvips.cache_set_max(0)
        sizes = sizes_fn()

        def go(path):
            out = []
            for name, edge in sorted(sizes.items(), key=lambda kv: -kv[1]):
                im = pyvips.Image.thumbnail(path, edge, height=edge, size="down",
                                            export_profile="srgb")
                im.jpegsave_buffer(Q=85, interlace=True, strip=True)
                out.append((name, im.width, im.height))
            return out
        return go
    return factory


VARIANTS = {
    "pillow-ours: probe + renditions at ingest": _ours_ingest(ingest_sizes),
    "pillow-ours: renditions at ingest": _ours_renditions(ingest_sizes),
    "pillow-ours: renditions at import": _ours_renditions(import_sizes),
    "pillow-ours: probe + all three sizes": _ours_ingest(lambda: SIZES_ALL),
    "pillow-ours: all three sizes": _ours_renditions(lambda: SIZES_ALL),
    "pillow-naive: all three sizes": _naive,
    "libvips thumbnail: renditions at ingest": _vips(ingest_sizes),
    "libvips thumbnail: all three sizes": _vips(lambda: SIZES_ALL),
}


def vips_available() -> bool:
    """pyvips imports only when libvips itself is installed (it raises OSError, not ImportError)."""
    try:
        import pyvips  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def distinct_copies(src: str, folder: str, count: int) -> list[str]:
    """count JPEGs with the pixels of src, each made distinct by a numbered EXIF Make.

    Same decode and rendition cost as src, different SHA-256 (so none is a duplicate), and made in
    a second instead of the minutes that count fresh camera-size photos would take. The number
    replaces "Bench" (make_photo's Make) in place, same length, so the EXIF block stays valid; a
    comment segment would not do: the served copy drops comments, so every photo would get one.
    """
    os.makedirs(folder, exist_ok=True)
    with open(src, "rb") as fh:
        data = fh.read()
    at = data.find(b"Bench\x00", 0, 65536)
    if at < 0:
        raise SystemExit(f"{src} has no EXIF Make 'Bench' to number")
    paths = []
    for n in range(count):
        path = os.path.join(folder, f"photo-{n:04}.jpg")
        if not os.path.exists(path):
            with open(path + ".part", "wb") as out:
                out.write(data[:at] + f"B{n:04}".encode() + data[at + 5:])
            os.replace(path + ".part", path)
        paths.append(path)
    return paths


def reap_descendants() -> None:
    """Wait for every orphaned descendant (the pool's fork server) so its CPU counts as ours."""
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def import_folder(folder: str, workers: int, count: int) -> dict:
    """Wall and CPU time of `gallery import-folder --workers N` on a fresh instance (init not counted)."""
    gallery = os.path.join(os.path.dirname(sys.executable), "gallery")
    work = tempfile.mkdtemp(prefix="bench-e2e-")
    env = dict(os.environ, GALLERY_INSTANCE_PATH=os.path.join(work, "instance"),
               GALLERY_UPLOAD_DIR=os.path.join(work, "uploads"),
               GALLERY_SEARCH_INDEX_DIR=os.path.join(work, "search_index"))
    try:
        subprocess.run([gallery, "init"], env=env, check=True, capture_output=True, timeout=600, cwd=work)
        reap_descendants()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run([gallery, "import-folder", folder, "--gallery", "Bench", "--category",
                               "Health", "--workers", str(workers)], env=env, capture_output=True,
                              text=True, timeout=3600, cwd=work)
        wall = time.perf_counter() - start
        reap_descendants()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    if proc.returncode or summary != f"Imported {count}, duplicates 0, rejected 0.":
        raise SystemExit(f"import-folder --workers {workers} failed: {summary or proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu}


def end_to_end(workdir: str, base: str, label: str, count: int, rounds: int) -> None:
    """The end-to-end row: import-folder with 1 and 2 workers against N x the renditions floor."""
    # Orphaned descendants (the pool's fork server) are re-parented to this process, so the
    # CPU they used is counted in RUSAGE_CHILDREN once reaped (prctl PR_SET_CHILD_SUBREAPER).
    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)
    folder = os.path.join(workdir, f"e2e-{label}-{count}-make")
    distinct_copies(base, folder, count)
    # The floor is the renditions the import makes (RENDITIONS_AT_IMPORT), from one decode.
    variant = "pillow-ours: renditions at import"
    floors, runs = [], {1: [], 2: []}
    print(f"\nEnd to end: gallery import-folder of {count} distinct {label} JPEGs "
          f"({os.path.getsize(base) / 1e6:.1f} MB each), fresh SQLite instance per run, "
          f"{rounds} round(s); load before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")
    for _ in range(rounds):
        proc = subprocess.run([sys.executable, __file__, "--runs", "3", "--child", variant, base],
                              capture_output=True, text=True, timeout=600, cwd=ROOT)
        if proc.returncode:
            raise SystemExit(f"{variant} failed: {proc.stderr.strip().splitlines()[-1]}")
        # CPU time, not wall time: on a busy machine the pinned child waits for its CPU, and
        # the import's figure is CPU time too.
        floors.append(json.loads(proc.stdout)["cpu_median"])
        for workers in (1, 2):
            runs[workers].append(import_folder(folder, workers, count))
    floor = statistics.median(floors)
    print(f"  renditions floor ({', '.join(import_sizes())}, CPU time, one core): {floor * 1000:.0f} ms per photo, "
          f"x {count} = {floor * count:.1f} s")
    print(f"  {'import-folder':16} {'wall':>8} {'CPU':>8} {'CPU/photo':>10} {'/ floor':>8} {'photos/s':>9}")
    best = {}
    for workers, results in runs.items():
        wall = statistics.median(r["wall"] for r in results)
        cpu = statistics.median(r["cpu"] for r in results)
        best[workers] = count / wall
        print(f"  --workers {workers:<6} {wall:7.1f} s {cpu:7.1f} s {cpu / count * 1000:7.0f} ms "
              f"{cpu / count / floor:8.2f} {count / wall:9.2f}")
    print(f"  throughput 2 workers / 1 worker: {best[2] / best[1]:.2f}; "
          f"load after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")
    print("  " + subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", help="directory for the generated photos (reused when present)")
    parser.add_argument("--e2e", type=int, default=200, metavar="N",
                        help="photos for the end-to-end import row (0: skip it)")
    parser.add_argument("--e2e-size", choices=sorted(PHOTOS), default="24MP")
    parser.add_argument("--e2e-rounds", type=int, default=1)
    parser.add_argument("--e2e-only", action="store_true", help="only the end-to-end row")
    parser.add_argument("--child", nargs=2, metavar=("VARIANT", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--make", nargs=3, metavar=("PATH", "W", "H"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make:
        make_photo(args.make[0], (int(args.make[1]), int(args.make[2])))
        return
    if args.child:
        print(json.dumps(run_variant(args.child[0], args.child[1], args.runs)))
        return
    workdir = args.keep or tempfile.mkdtemp(prefix="bench-ingest-")
    os.makedirs(workdir, exist_ok=True)
    have_vips = vips_available()
    print(f"Ingest renditions, one core, median of {args.runs} runs per variant, fresh process each;"
          f" sizes made at ingest: {', '.join(ingest_sizes())}")
    if not have_vips:
        print("(pyvips/libvips not importable: libvips rows skipped)")
    warm = os.path.join(workdir, "warm-up.jpg")
    if not os.path.exists(warm):
        subprocess.run([sys.executable, __file__, "--make", warm, "1200", "800"], check=True, timeout=600)
    for label, size in PHOTOS.items():
        path = os.path.join(workdir, f"photo-{label}.jpg")
        if not os.path.exists(path):
            # In a child, so this process stays small (children inherit nothing, but keep it lean).
            subprocess.run([sys.executable, __file__, "--make", path, *map(str, size)], check=True, timeout=600)
        if args.e2e_only:
            continue
        print(f"\n{label} ({size[0]}x{size[1]}, {os.path.getsize(path) / 1e6:.1f} MB, EXIF orientation 6)")
        print(f"  {'variant':44} {'median':>8} {'min':>8} {'peak RSS':>9}")
        variants = [v for v in VARIANTS if have_vips or not v.startswith("libvips")]
        times: dict[str, list[float]] = {v: [] for v in variants}
        rss: dict[str, float] = {v: 0.0 for v in variants}
        # Round-robin, one fresh process per variant per round: load from other processes on the
        # machine then falls on every variant alike instead of on whichever ran during a spike.
        for _ in range(args.runs):
            for variant in variants:
                proc = subprocess.run([sys.executable, __file__, "--runs", "1", "--child", variant, path],
                                      capture_output=True, text=True, timeout=600, cwd=ROOT)
                if proc.returncode:
                    raise SystemExit(f"{variant} failed: {proc.stderr.strip().splitlines()[-1]}")
                r = json.loads(proc.stdout)
                times[variant].append(r["median"])
                rss[variant] = max(rss[variant], r["rss_mib"])
        results = {}
        for variant in variants:
            r = results[variant] = {"median": statistics.median(times[variant]), "min": min(times[variant])}
            print(f"  {variant:44} {r['median'] * 1000:6.0f} ms {r['min'] * 1000:5.0f} ms {rss[variant]:6.1f} MiB")
        ours = results.get("pillow-ours: renditions at ingest")
        probed = results.get("pillow-ours: probe + renditions at ingest")
        vips = results.get("libvips thumbnail: renditions at ingest")
        if ours and vips:
            print(f"  ours / libvips (renditions at ingest): {ours['median'] / vips['median']:.2f};"
                  f" with our probe included: {probed['median'] / vips['median']:.2f}")
        naive = results.get("pillow-naive: all three sizes")
        if ours and naive:
            print(f"  ours at ingest / naive all three: {ours['median'] / naive['median']:.2f}")
    if args.e2e:
        end_to_end(workdir, os.path.join(workdir, f"photo-{args.e2e_size}.jpg"), args.e2e_size,
                   args.e2e, args.e2e_rounds)
    if not args.keep:
        shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
