"""Stands for the `gallery` console script: imports the web app, starts a pool, prints what a worker loaded.

multiprocessing would run such a script again in every worker, web app and all.
"""
from __future__ import annotations

import json

import pool_modules  # by its module name: a worker cannot look in a __main__ it skips

import gallery.app  # noqa: F401  (what the `gallery` script imports before anything runs)
from gallery.services import preparation

if __name__ == "__main__":
    pool = preparation.Pool(2, {})
    try:
        print(json.dumps(pool.executor.submit(pool_modules.loaded).result(timeout=60)))
    finally:
        pool.close(abort=False)
