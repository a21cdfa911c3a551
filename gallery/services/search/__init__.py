"""Whoosh only: schema, analyzers, the change log and its follower, query, facets, rebuild (the search seam)."""
from __future__ import annotations

from gallery.services.search.engine import (
    SORTS,
    Filters,
    Hit,
    Results,
    matching_ids,
    newest_added,
    run,
    warm_up,
)
from gallery.services.search.health import CheckReport, Readiness, check, readiness
from gallery.services.search.indexing import queue_assets, queue_category, queue_gallery
from gallery.services.search.query import parse
from gallery.services.search.sync import (
    DrainResult,
    after_commit,
    drain,
    follow,
    pending,
    rebuild,
    rebuild_if_outdated,
)

__all__ = ["CheckReport", "DrainResult", "Readiness", "after_commit", "check", "drain", "follow",
           "pending", "queue_assets", "queue_category", "queue_gallery", "readiness", "rebuild",
           "rebuild_if_outdated", "SORTS", "Filters", "Hit", "Results", "matching_ids", "newest_added", "run", "parse",
           "warm_up"]
