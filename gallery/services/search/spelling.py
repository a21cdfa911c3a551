""""Did you mean": the index's word nearest to a word no text holds.

Whoosh's corrector walks every segment's terms with a Levenshtein automaton: about 90 ms a
field at a million assets, and a typo was the slowest search there is. So a word one edit away
(a letter dropped, added, changed or two swapped: most typos) is looked up as a few hundred
candidate terms in the saved tables (tables.py), a vectorised lookup per segment; only when none
is found does Whoosh look two edits away, among words sharing the typed word's first letter
(as Lucene's DirectSpellChecker does by default), which takes it about 5 ms.
"""
from __future__ import annotations

import functools
import string
from typing import Any

import numpy as np

import gallery.services.search.execute as execute
import gallery.services.search.tables as tables

LETTERS = string.ascii_lowercase + string.digits


def edits1(word: str) -> list[str]:
    """Every string one deletion, transposition, replacement or insertion away from word."""
    letters = "".join(dict.fromkeys(LETTERS + word))
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    found = dict.fromkeys(
        [a + b[1:] for a, b in splits if b]
        + [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
        + [a + c + b[1:] for a, b in splits if b for c in letters]
        + [a + c + b for a, b in splits for c in letters])
    found.pop(word, None)
    return list(found)


def nearest(searcher: Any, fieldname: str, word: str) -> str | None:
    """The field's most frequent word one edit from word, else two edits away with its first
    letter (ties: the first in order); None when there is none."""
    candidates, keys = _candidates(word)
    freqs = execute.View(searcher).frequencies(fieldname, candidates, keys)
    if freqs is not None:
        found = [(-f, c) for c, f in zip(candidates, freqs.tolist()) if f > 0]
        if found:
            return min(found)[1]
    found = searcher.corrector(fieldname).suggest(word, limit=1, maxdist=2, prefix=1)
    return found[0] if found else None


@functools.lru_cache(maxsize=64)
def _candidates(word: str) -> tuple[list[str], np.ndarray]:
    # A word is looked up in each language's field in turn: its candidates are made and hashed once.
    candidates = edits1(word)
    return candidates, tables.term_keys(candidates)
