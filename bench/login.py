"""Log-in timing: a wrong password for a known email against an unknown email, in the same run.

Run from the project root: python bench/login.py [--runs 30]
In-process (Flask test client on a temporary SQLite database): nothing leaves the machine.
The two medians should be close, so response time does not tell which emails have accounts;
the figure is also the cost of one scrypt check, the floor of a log-in.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def main() -> None:
    """Time the log-in paths and print medians in milliseconds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    runs = max(3, min(args.runs, 500))

    from gallery import create_app, migrate
    from gallery.extensions import db
    from gallery.services import accounts

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                          "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite",
                          "UPLOAD_DIR": f"{tmp}/u", "SEARCH_INDEX_DIR": f"{tmp}/s",
                          # No lock-out during the run: we time the password check, not the limiter.
                          "LOGIN_SLOWDOWN_AFTER": 10**6,
                          "LOGIN_MAX_FAILURES_PER_ADDRESS": 10**6})
        with app.app_context():
            migrate.upgrade(app)
            accounts.create_user(email="known@example.org", password="the right password")
            client = app.test_client()
            cases = {
                "known email, wrong password": ("known@example.org", "a wrong password"),
                "unknown email": ("nobody@example.org", "a wrong password"),
                "known email, right password": ("known@example.org", "the right password"),
                "known email, 10,000-char password": ("known@example.org", "x" * 10_000),
            }
            client.post("/login", data={"email": "warm@example.org", "password": "warm up"})
            # Interleaved: each round times every case once, so load swings hit them all alike.
            samples: dict[str, list[float]] = {"GET /login (baseline, no hash)": []}
            samples.update({name: [] for name in cases})
            for _ in range(runs):
                start = time.perf_counter()
                client.get("/login").close()
                samples["GET /login (baseline, no hash)"].append((time.perf_counter() - start) * 1000)
                for name, (email, password) in cases.items():
                    start = time.perf_counter()
                    response = client.post("/login", data={"email": email, "password": password})
                    samples[name].append((time.perf_counter() - start) * 1000)
                    response.close()
                    if response.status_code == 302:
                        client.post("/logout").close()
            results = {name: statistics.median(times) for name, times in samples.items()}
            db.engine.dispose()
    for name, ms in results.items():
        print(f"{name:36s} {ms:7.1f} ms median of {runs}")
    known, unknown = results["known email, wrong password"], results["unknown email"]
    print(f"unknown / known-wrong ratio: {unknown / known:.2f}")


if __name__ == "__main__":
    main()
