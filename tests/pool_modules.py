"""A task for the preparation pool's workers in the tests: which modules a worker has loaded.

Run as a script it stands for the `gallery` console script: it imports the web app at the top,
starts a pool and prints what a worker loaded (multiprocessing would re-run such a script in
every worker).
"""
from __future__ import annotations

import json
import sys

if __name__ == "__main__":
    import gallery.app  # noqa: F401  (what the `gallery` script imports before anything runs)


def loaded() -> list[str]:
    """Names of the modules loaded in this process."""
    return sorted(sys.modules)


if __name__ == "__main__":
    import pool_modules  # this file by its module name: a worker cannot look in a __main__ it skips

    from gallery.services import preparation

    pool = preparation.Pool(2, {})
    try:
        print(json.dumps(pool.executor.submit(pool_modules.loaded).result(timeout=60)))
    finally:
        pool.close(abort=False)
