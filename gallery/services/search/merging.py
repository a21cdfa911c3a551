"""Which segments a commit merges: size tiers, so their number stays bounded and so does a merge's cost.

Every drain commits a new small segment. Whoosh's own policy (MERGE_SMALL) compares running totals
with a Fibonacci number, and over an index of many 50,000-document segments that sum catches up
after a few dozen of them: one edit would then merge hundreds of thousands of documents, in
Python, inside a web request. Here segments are grouped by size (1-9 documents, 10-99, 100-999,
...), a tier is merged into one segment when it holds FACTOR of them, and segments from
`max_docs` up are never merged by a commit (a rebuild makes those). So a commit merges fewer
than FACTOR x max_docs documents, and there are at most FACTOR segments in each tier below
max_docs (a commit merges the existing ones, then adds its own).
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from whoosh.reading import SegmentReader

FACTOR = 10
# A request's inline writer merges only segments under this size (at most ~10,000 documents).
INLINE_MAX_DOCS = 1_000
# `gallery search-sync` and `gallery reindex --pending` also merge the next tier.
BACKGROUND_MAX_DOCS = 10_000


def tier(size: int) -> int:
    """The size tier of a segment: with FACTOR 10, 0 for 0-9 documents, 1 for 10-99, and so on."""
    level, bound = 0, FACTOR
    while size >= bound:
        level, bound = level + 1, bound * FACTOR
    return level


def to_merge(sizes: Sequence[int], max_docs: int) -> list[int]:
    """Positions of the segments to merge now: the smallest full tier below max_docs, or none."""
    tiers: dict[int, list[int]] = {}
    for pos, size in enumerate(sizes):
        if size < max_docs:
            tiers.setdefault(tier(size), []).append(pos)
    for level in sorted(tiers):
        if len(tiers[level]) >= FACTOR:
            return tiers[level]
    return []


def policy(max_docs: int) -> Callable[[Any, list], list]:
    """A Whoosh merge type (writer.commit(mergetype=...)) merging by size tier below max_docs."""

    def merge_tiers(writer: Any, segments: list) -> list:
        # A segment whose every document was deleted (an edited asset's earlier copy) holds
        # nothing, but every search would still look each term up in it: dropped, whatever its size.
        segments = [seg for seg in segments if seg.doc_count()]
        chosen = set(to_merge([seg.doc_count_all() for seg in segments], max_docs))
        for pos in sorted(chosen):
            reader = SegmentReader(writer.storage, writer.schema, segments[pos])
            try:
                writer.add_reader(reader)
            finally:
                reader.close()
        return [seg for pos, seg in enumerate(segments) if pos not in chosen]

    return merge_tiers
