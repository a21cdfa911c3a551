"""Web proxy transcode: our PyAV pipeline against the ffmpeg command line, same settings, one core each.

Run from the project root: python bench/transcode.py [--runs 1] [--keep DIR] [--hevc-seconds 5] [--pair]
Sources are made here with PyAV: 60 s of 1080p30 H.264 (testsrc2 with moving grain, so the encoder
has real work) with a stereo AAC track, and a 4K30 10-bit HEVC clip (--hevc-seconds, 5 by default)
with sound. Each timed run is a fresh process pinned to one CPU; ours runs video_proxy with
threads=1, ffmpeg runs with -threads 1 on input and output. The two take turns, round by round.
--pair measures the 720p and 1080p proxies together instead: ours from one decode
(video_proxies), ours as two passes (video_proxy twice, as before), and one ffmpeg command with a
split filter and two outputs.
"""
from __future__ import annotations

import argparse
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

SOURCES = {
    "1080p30 H.264, 60 s": {"name": "h264-1080p.mp4", "size": (1920, 1080), "codec": "libx264",
                            "pix_fmt": "yuv420p", "seconds": 60},
    "4K30 HEVC 10-bit": {"name": "hevc-4k.mov", "size": (3840, 2160), "codec": "libx265",
                         "pix_fmt": "yuv420p10le", "seconds": None},
}


def make_source(path: str, width: int, height: int, codec: str, pix_fmt: str, seconds: float) -> None:
    """A synthetic camera clip: testsrc2 plus temporal grain, and a stereo tone; made on every core."""
    import av
    import av.filter
    import numpy as np

    rate = 30
    graph = av.filter.Graph()
    chain = [graph.add("testsrc2", f"size={width}x{height}:rate={rate}:duration={seconds}"),
             graph.add("noise", "alls=6:allf=t"), graph.add("format", pix_fmt), graph.add("buffersink")]
    for a, b in zip(chain, chain[1:]):
        a.link_to(b)
    graph.configure()
    # Fast presets: the source only has to exist; the proxy encode is what is measured.
    options = ({"preset": "veryfast", "crf": "18"} if codec == "libx264"
               else {"preset": "ultrafast", "crf": "26", "x265-params": "log-level=error"})
    with av.open(path, "w") as out:
        out.metadata["location"] = "+48.8566+002.3522/"
        v = out.add_stream(codec, rate=rate, options=options)
        v.width, v.height, v.pix_fmt = width, height, pix_fmt
        v.codec_context.thread_type = "AUTO"
        a = out.add_stream("aac", rate=48000)
        a.layout = "stereo"
        a.bit_rate = 192_000
        n = 0
        while True:
            try:
                frame = graph.pull()
            except (av.EOFError, BlockingIOError):
                break
            frame.pts, n = n, n + 1
            out.mux(v.encode(frame))
        out.mux(v.encode(None))
        size, total = 1024, int(48000 * n / rate)
        t = np.arange(total) / 48000
        tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        for start in range(0, total, size):
            chunk = tone[start:start + size]
            chunk = np.pad(chunk, (0, size - len(chunk)))
            frame = av.AudioFrame.from_ndarray(np.stack([chunk, chunk]), format="fltp", layout="stereo")
            frame.sample_rate, frame.pts = 48000, start
            out.mux(a.encode(frame))
        out.mux(a.encode(None))


def ffmpeg_command(src: str, dest: str, height: int = 720) -> list[str]:
    """The command line with our settings: libx264 High, CRF 23, medium, AAC 128k stereo, faststart."""
    return ["ffmpeg", "-nostdin", "-v", "error", "-y", "-threads", "1", "-i", src,
            "-map", "0:v:0", "-map", "0:a:0?", "-map_metadata", "-1",
            "-vf", f"scale=-2:{height}:flags=bicubic", "-c:v", "libx264", "-profile:v", "high",
            "-preset", "medium", "-crf", "23", "-pix_fmt", "yuv420p", "-fps_mode", "cfr",
            "-c:a", "aac", "-b:a", "128k", "-ac", "2", "-threads", "1",
            "-movflags", "+faststart", dest]


def ffmpeg_pair_command(src: str, dest720: str, dest1080: str) -> list[str]:
    """Both proxies from one ffmpeg decode: a split filter, one encoder pair per output."""
    enc = ["-c:v", "libx264", "-profile:v", "high", "-preset", "medium", "-crf", "23",
           "-pix_fmt", "yuv420p", "-fps_mode", "cfr", "-c:a", "aac", "-b:a", "128k", "-ac", "2",
           "-threads", "1", "-map_metadata", "-1", "-movflags", "+faststart"]
    return ["ffmpeg", "-nostdin", "-v", "error", "-y", "-threads", "1", "-i", src,
            "-filter_complex", "[0:v:0]split=2[a][b];[a]scale=-2:720:flags=bicubic[v720];"
                               "[b]scale=-2:1080:flags=bicubic[v1080]",
            "-map", "[v720]", "-map", "0:a:0?", *enc, dest720,
            "-map", "[v1080]", "-map", "0:a:0?", *enc, dest1080]


def run_child(variant: str, src: str, dest: str) -> dict:
    """One timed transcode in this fresh process, pinned to one CPU."""
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    if variant in ("ours-pair", "ours-two"):
        from gallery.formats.transcode import video_proxies, video_proxy

        hd = dest + ".hd.mp4"
        before = resource.getrusage(resource.RUSAGE_SELF)
        start = time.perf_counter()
        if variant == "ours-pair":
            made = video_proxies(src, {720: dest, 1080: hd}, threads=1)
        else:
            made = {720: video_proxy(src, dest, height=720, threads=1),
                    1080: video_proxy(src, hd, height=1080, threads=1)}
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        os.unlink(hd)
        return {"wall": wall, "cpu": cpu, "rss_mib": peak_rss_mib(),
                "bytes": made[720].bytes + made[1080].bytes, "size": [made[1080].width, made[1080].height]}
    if variant == "ours":
        from gallery.formats.transcode import video_proxy

        before = resource.getrusage(resource.RUSAGE_SELF)
        start = time.perf_counter()
        facts = video_proxy(src, dest, threads=1)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return {"wall": wall, "cpu": cpu, "rss_mib": peak_rss_mib(), "bytes": facts.bytes,
                "size": [facts.width, facts.height]}
    # ffmpeg inherits the pinning; wait4 gives its own CPU time and peak RSS (this launcher holds
    # no media library, so its few MiB before exec stay below ffmpeg's peak).
    start = time.perf_counter()
    pair = variant == "ffmpeg-pair"
    proc = subprocess.Popen(ffmpeg_pair_command(src, dest, dest + ".hd.mp4") if pair else ffmpeg_command(src, dest))
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"ffmpeg failed with {proc.returncode}")
    size = os.path.getsize(dest)
    if pair:
        size += os.path.getsize(dest + ".hd.mp4")
        os.unlink(dest + ".hd.mp4")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mib": usage.ru_maxrss / 1024,
            "bytes": size, "size": None}


def peak_rss_mib() -> float:
    """Peak resident memory of this process image (VmHWM, which exec resets; ru_maxrss does not)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def warm_cache(path: str) -> None:
    with open(path, "rb") as f:
        while f.read(8 << 20):
            pass


def duration_of(path: str) -> float:
    out = subprocess.run([sys.executable, "-c", "import av,sys; c=av.open(sys.argv[1]); "
                          "print(c.duration / 1e6)", path], capture_output=True, text=True, check=True)
    return float(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--keep", help="directory for the generated sources (reused when present)")
    parser.add_argument("--hevc-seconds", type=float, default=5.0)
    parser.add_argument("--only", help="run only the source whose label starts with this")
    parser.add_argument("--pair", action="store_true", help="720p and 1080p together (see above)")
    parser.add_argument("--child", nargs=3, metavar=("VARIANT", "SRC", "DEST"), help=argparse.SUPPRESS)
    parser.add_argument("--make", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make:
        path, w, h, codec, pix_fmt, seconds = args.make
        make_source(path, int(w), int(h), codec, pix_fmt, float(seconds))
        return
    if args.child:
        print(json.dumps(run_child(*args.child)))
        return
    workdir = args.keep or tempfile.mkdtemp(prefix="bench-transcode-")
    os.makedirs(workdir, exist_ok=True)
    have_ffmpeg = shutil.which("ffmpeg") is not None
    print(f"Web proxy ({'720p + 1080p' if args.pair else '720p'}) transcode, one core, {args.runs} run(s) per variant, fresh process each;"
          f" load before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    if not have_ffmpeg:
        print("(ffmpeg not on PATH: the ffmpeg rows are skipped; apt-get install -y ffmpeg)")
    else:
        version = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout.split("\n")[0]
        print(f"baseline: {version}")
    variants = ((["ours-pair", "ours-two"] + (["ffmpeg-pair"] if have_ffmpeg else [])) if args.pair
                else ["ours"] + (["ffmpeg"] if have_ffmpeg else []))
    for label, spec in SOURCES.items():
        if args.only and not label.startswith(args.only):
            continue
        seconds = spec["seconds"] or args.hevc_seconds
        src = os.path.join(workdir, spec["name"])
        if not os.path.exists(src):
            start = time.perf_counter()
            subprocess.run([sys.executable, __file__, "--make", src, *map(str, spec["size"]), spec["codec"],
                            spec["pix_fmt"], str(seconds)], check=True, timeout=1800)
            print(f"\n(made {spec['name']} in {time.perf_counter() - start:.0f} s)")
        length = duration_of(src)
        print(f"\n{label} ({spec['size'][0]}x{spec['size'][1]}, {length:.1f} s, "
              f"{os.path.getsize(src) / 1e6:.1f} MB)")
        print(f"  {'variant':11} {'wall':>8} {'CPU':>8} {'peak RSS':>10} {'× real time':>12} {'proxy':>9}")
        results: dict[str, list[dict]] = {v: [] for v in variants}
        for round_ in range(args.runs):
            # Alternate who goes first, and read the source into the page cache before each
            # run: otherwise the first variant of a round pays for the disk and the second not.
            for variant in variants if round_ % 2 == 0 else variants[::-1]:
                warm_cache(src)
                dest = os.path.join(workdir, f"proxy-{variant}.mp4")
                proc = subprocess.run([sys.executable, __file__, "--child", variant, src, dest],
                                      capture_output=True, text=True, timeout=3600, cwd=ROOT)
                if proc.returncode:
                    raise SystemExit(f"{variant} failed: {proc.stderr.strip()[-2000:]}")
                results[variant].append(json.loads(proc.stdout))
                os.unlink(dest)
        summary = {}
        for variant in variants:
            runs = results[variant]
            s = summary[variant] = {"wall": statistics.median(r["wall"] for r in runs),
                                    "cpu": statistics.median(r["cpu"] for r in runs),
                                    "rss": max(r["rss_mib"] for r in runs),
                                    "bytes": runs[0]["bytes"]}
            print(f"  {variant:11} {s['wall']:6.1f} s {s['cpu']:6.1f} s {s['rss']:6.1f} MiB"
                  f" {length / s['wall']:10.2f}× {s['bytes'] / 1e6:6.1f} MB")
        if "ffmpeg-pair" in summary:
            ours, two, ff = summary["ours-pair"], summary["ours-two"], summary["ffmpeg-pair"]
            print(f"  ours-pair / ffmpeg-pair: wall {ours['wall'] / ff['wall']:.2f}, CPU {ours['cpu'] / ff['cpu']:.2f};"
                  f" ours-pair / ours-two: wall {ours['wall'] / two['wall']:.2f}, CPU {ours['cpu'] / two['cpu']:.2f}")
        if "ffmpeg" in summary:
            ours, ff = summary["ours"], summary["ffmpeg"]
            print(f"  ours / ffmpeg: wall {ours['wall'] / ff['wall']:.2f}, CPU {ours['cpu'] / ff['cpu']:.2f},"
                  f" peak RSS {ours['rss'] / ff['rss']:.2f} (target: wall ≤ 1.10)")
    print(f"\nload after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if not args.keep:
        shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
