"""Whoosh only: schema, analyzers, outbox drain, query, facets, rebuild (the search seam)."""
from __future__ import annotations

from gallery.services.search.engine import SORTS, Filters, Hit, Results, run
from gallery.services.search.indexing import (
    CheckReport,
    DrainResult,
    after_commit,
    check,
    drain,
    queue_assets,
    queue_category,
    queue_gallery,
    rebuild,
    rebuild_if_outdated,
)
from gallery.services.search.query import parse

__all__ = ["CheckReport", "DrainResult", "after_commit", "check", "drain", "queue_assets",
           "queue_category", "queue_gallery", "rebuild", "rebuild_if_outdated", "SORTS", "Filters",
           "Hit", "Results", "run", "parse"]
