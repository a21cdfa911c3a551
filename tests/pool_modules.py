"""A task for the preparation pool's workers in the tests: which modules a worker has loaded."""
from __future__ import annotations

import sys


def loaded() -> list[str]:
    """Names of the modules loaded in this process."""
    return sorted(sys.modules)
