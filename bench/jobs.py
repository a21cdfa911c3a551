"""First Large download: made in the request (before background jobs) against made by the job, in one run.

Ingests camera-size JPEGs for real (embedded mode, the thread off so the job runs when asked),
then times what a first Large download costs its request in both cases: the rendition made on
demand (services/renditions.ensure_rendition, the fallback), and the rendition already made by
the background job (the lookup only). Also reports the job's own time per piece.

    python bench/jobs.py [--count 12]
"""
from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

SIZES = [(3000, 2000), (4000, 3000), (6000, 4000)]  # 6, 12 and 24 MP


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=12)
    args = parser.parse_args()
    from PIL import Image

    from gallery import create_app, migrate
    from gallery.extensions import db
    from gallery.services import galleries, ingest, jobs, reference, renditions, work

    tmp = tempfile.mkdtemp(prefix="gallery-bench-jobs-")
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "JOB_THREAD": False,
                      "DATABASE_URL": f"sqlite:///{tmp}/g.sqlite", "UPLOAD_DIR": f"{tmp}/u",
                      "SEARCH_INDEX_DIR": f"{tmp}/s"})
    with app.app_context():
        migrate.upgrade(app)
        reference.seed(db.session)
        db.session.commit()
        gallery = galleries.create_gallery({"title": "Bench", "category": "Health",
                                            "status": "published"}, None, script=True)
        made = []
        for n in range(2 * args.count):
            w, h = SIZES[n % len(SIZES)]
            buf = io.BytesIO()
            Image.effect_noise((w // 8, h // 8), 60).convert("RGB").resize((w, h)).save(buf, "JPEG", quality=90)
            result = ingest.ingest(gallery, io.BytesIO(buf.getvalue()), f"p{n}.jpg")
            made.append(result.asset)
        jobs.embedded(app).queue.clear()  # half are made on demand, half by the job
        on_demand, by_job = made[::2], made[1::2]
        print(f"load average before the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        before = []
        for asset in on_demand:
            t = time.perf_counter()
            renditions.ensure_rendition(asset, "large")
            before.append(time.perf_counter() - t)
        jobs.embedded(app).queue.extend(a.id for a in by_job)
        t = time.perf_counter()
        jobs.wait_idle()
        job_total = time.perf_counter() - t
        after = []
        for asset in by_job:
            db.session.refresh(asset)
            t = time.perf_counter()
            renditions.ensure_rendition(asset, "large")
            after.append(time.perf_counter() - t)
        timings = work.overview().timings.get("large", {})
        print(f"{args.count} + {args.count} JPEGs of 6-24 MP")
        print(f"first Large download, made in the request: median {1000 * statistics.median(before):7.1f} ms, "
              f"max {1000 * max(before):7.1f} ms")
        print(f"first Large download, made by the job:      median {1000 * statistics.median(after):7.1f} ms, "
              f"max {1000 * max(after):7.1f} ms")
        print(f"the job itself: {job_total / len(by_job):.2f} s per asset in the background "
              f"(asset_work median {timings.get('median', 0):.2f} s, p95 {timings.get('p95', 0):.2f} s)")
        print(f"load average after the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
