"""Analyzers of the asset index: lower case, accents folded, English stems, word pairs.

Each is one pass in plain Python over a regex split instead of a chain of Whoosh filters, and
remembers its last few inputs: an asset's gallery title, description, country and credit repeat
across every asset of the gallery, and caption text is analysed for three fields. They produce
exactly what the equivalent Whoosh chains produce (tests/test_search_analysis.py).
"""
from __future__ import annotations

import re
from collections import Counter, OrderedDict
from typing import Iterator

from whoosh.analysis import STOP_WORDS, Analyzer, Token
from whoosh.formats import Frequency
from whoosh.lang import stemmer_for_language
from whoosh.support.charset import accent_map
from whoosh.system import pack_uint

WORD = re.compile(r"\w+(?:\.?\w+)*", re.UNICODE)  # Whoosh's RegexTokenizer default
# accent_map maps a few combining marks (not word characters) to letters; folding a whole text
# with them would glue words together, and inside a word they never occur. So leave them out.
_FOLD = {k: v for k, v in accent_map.items()
         if all(bool(re.match(r"\w", c)) == bool(re.match(r"\w", chr(k))) for c in v)}
MEMO_SIZE = 256
_stem = stemmer_for_language("en")  # Porter2: vaccines/vaccinated, displaced/displacement
_stems: dict[str, str] = {}


def fold(text: str) -> str:
    """Lower case without accents, as the index stores words."""
    return text.lower().translate(_FOLD)


def stem(word: str) -> str:
    """The English stem of a folded word (cached: a catalogue's vocabulary is small)."""
    found = _stems.get(word)
    if found is None:
        if len(_stems) > 200_000:
            _stems.clear()
        found = _stems[word] = _stem(word)
    return found


class FoldingAnalyzer(Analyzer):
    """Words folded to lower case without accents; maybe without stop words, stemmed, paired."""

    def __init__(self, stems: bool = True, pairs: bool = False) -> None:
        self.stems = stems
        self.pairs = pairs
        self._memo: OrderedDict[str, list[str]] = OrderedDict()

    def __getstate__(self) -> dict:
        # The schema is pickled into the index's table of contents: never the memo.
        return {"stems": self.stems, "pairs": self.pairs}

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)

    def __eq__(self, other: object) -> bool:
        return (type(other) is type(self) and other.stems == self.stems
                and other.pairs == self.pairs)

    def __hash__(self) -> int:
        return hash((type(self), self.stems, self.pairs))

    def __repr__(self) -> str:
        return f"FoldingAnalyzer(stems={self.stems}, pairs={self.pairs})"

    def terms(self, text: str) -> list[str]:
        """The index terms of a text, in order."""
        found = self._memo.get(text)
        if found is not None:
            self._memo.move_to_end(text)
            return found
        words = WORD.findall(fold(text))
        if self.stems:
            words = [stem(w) for w in words if len(w) >= 2 and w not in STOP_WORDS]
        if self.pairs:
            words = [f"{a} {b}" for a, b in zip(words, words[1:])]
        self._memo[text] = words
        if len(self._memo) > MEMO_SIZE:
            self._memo.popitem(last=False)
        return words

    def __call__(self, value: str, positions: bool = False, chars: bool = False,
                 keeporiginal: bool = False, removestops: bool = True, start_pos: int = 0,
                 start_char: int = 0, tokenize: bool = True, mode: str = "",
                 **kwargs) -> Iterator[Token]:
        """Whoosh's analyzer protocol: one Token object, reused, per term."""
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        token.boost = 1.0
        token.stopped = False
        if not tokenize:
            word = fold(value)
            if self.stems and (len(word) < 2 or word in STOP_WORDS):
                return
            token.text = stem(word) if self.stems else word
            yield token
            return
        if not (positions or chars or keeporiginal):
            for text in self.terms(value):
                token.text = text
                yield token
            return
        yield from self._located(value, token, positions, chars, keeporiginal, start_pos,
                                 start_char)

    def _located(self, value: str, token: Token, positions: bool, chars: bool, keeporiginal: bool,
                 start_pos: int, start_char: int) -> Iterator[Token]:
        """The slow path with character offsets (highlighting) and positions."""
        pos = start_pos
        previous = None
        for m in WORD.finditer(value):
            word = fold(m.group())
            if self.stems:
                if len(word) < 2 or word in STOP_WORDS:
                    continue
                word = stem(word)
            if keeporiginal:
                token.original = m.group()
            if self.pairs:
                if previous is not None:
                    token.text = f"{previous[0]} {word}"
                    if chars:
                        token.startchar, token.endchar = previous[1], start_char + m.end()
                    if positions:
                        token.pos = pos
                        pos += 1
                    yield token
                previous = (word, start_char + m.start())
                continue
            token.text = word
            if chars:
                token.startchar, token.endchar = start_char + m.start(), start_char + m.end()
            if positions:
                token.pos = pos
                pos += 1
            yield token


class Counts(Frequency):
    """Whoosh's Frequency format, counting a FoldingAnalyzer's terms with a Counter in one go."""

    def word_values(self, value, analyzer, **kwargs):
        """(term, frequency, weight, encoded frequency) per distinct term, as Frequency gives."""
        if not isinstance(analyzer, FoldingAnalyzer) or kwargs.get("mode") not in (None, "index"):
            return super().word_values(value, analyzer, **kwargs)
        fb = self.field_boost
        return ((w, n, n * fb, pack_uint(n)) for w, n in Counter(analyzer.terms(value)).items())


STEM = FoldingAnalyzer(stems=True)
# Unstemmed, folded copy: prefixes ("vacc*", "Danl*") and "did you mean" work on real words.
PLAIN = FoldingAnalyzer(stems=False)
# Word pairs of the stemmed text: an exact phrase becomes a few term lookups, no positions.
SHINGLE = FoldingAnalyzer(stems=True, pairs=True)
