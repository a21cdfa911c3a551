"""Analyzers of the asset index, one set per language: lower case, accents folded, stems, pairs.

English words are folded, then stop words dropped and Porter2 stems taken ("sante" finds
"santé"). French and Spanish words are stemmed first and folded after: their Snowball stemmers
need the accents ("déplacées" and "déplacés" share the stem "deplac" only with them; folded
first they do not, nor "vacunación" and "vacunaciones"), and a French article elided before a
word (l'eau, d'urgence, qu'il, jusqu'à) is not a word of its own. Stop words are the language's
Snowball list (with its folded spellings).

Each analyzer is one pass in plain Python over a regex split instead of a chain of Whoosh
filters, and remembers its last few inputs: an asset's gallery title, description, country and
credit repeat across every asset of the gallery; word pairs are made from the stemmed analyzer's
remembered terms (a caption's stemmed field and its pairs are one analysis), and each word's
term (or its absence: a stop word) is one dictionary lookup.
They produce exactly what the equivalent Whoosh chains produce (tests/test_search_analysis.py).
"""
from __future__ import annotations

import re
from collections import Counter, OrderedDict
from typing import Callable, Iterator

from whoosh.analysis import STOP_WORDS, Analyzer, Token
from whoosh.formats import Frequency
from whoosh.lang import stemmer_for_language, stopwords_for_language
from whoosh.support.charset import accent_map
from whoosh.system import pack_uint

# The languages texts are analysed in (the interface's); anything else is read as English.
LANGUAGES = ("en", "fr", "es")
WORD = re.compile(r"\w+(?:\.?\w+)*", re.UNICODE)  # Whoosh's RegexTokenizer default
# French elision: an article or conjunction glued to the next word by an apostrophe is skipped.
ELISION = r"(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu|quoiqu)['\u2019](?=\w)"
ELIDING_WORD = re.compile(rf"(?<!\w)(?!{ELISION})\w+(?:\.?\w+)*", re.UNICODE | re.IGNORECASE)
# accent_map maps a few combining marks (not word characters) to letters; folding a whole text
# with them would glue words together, and inside a word they never occur. So leave them out.
_FOLD = {k: v for k, v in accent_map.items()
         if all(bool(re.match(r"\w", c)) == bool(re.match(r"\w", chr(k))) for c in v)}
MEMO_SIZE = 256
CACHE_WORDS = 200_000


def fold(text: str) -> str:
    """Lower case without accents, as the index stores words."""
    return text.lower().translate(_FOLD)


# Whoosh's French Snowball list lacks the plural article.
EXTRA_STOP_WORDS = {"fr": {"les"}}


def _stoplist(lang: str) -> frozenset[str]:
    if lang == "en":
        return frozenset(STOP_WORDS)
    words = stopwords_for_language(lang) | EXTRA_STOP_WORDS.get(lang, set())
    return frozenset(words) | {fold(w) for w in words}


class Language:
    """One language's rules: its tokenizer, stop words, and the term of a word (cached)."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.stop = _stoplist(code)
        self.word = ELIDING_WORD if code == "fr" else WORD
        self.folds_first = code == "en"  # Porter2 ignores accents; Snowball fr/es needs them
        self._stem: Callable[[str], str] = stemmer_for_language(code)
        self._terms: dict[str, str] = {}
        self._table: dict[str, str] = {}  # word as split: its term, or "" when not indexed

    def term(self, word: str) -> str:
        """The stemmed, folded term of a word (lower case; folded already for English)."""
        found = self._terms.get(word)
        if found is None:
            if len(self._terms) > CACHE_WORDS:
                self._terms.clear()
            found = self._terms[word] = (self._stem(word) if self.folds_first
                                         else fold(self._stem(word)))
        return found

    def index_term(self, word: str) -> str | None:
        """The stemmed term of a word as written, or None when it is not indexed (a stop word)."""
        word = fold(word) if self.folds_first else word.lower()
        return self.term(word) if self.kept(word) else None

    def kept(self, word: str) -> bool:
        """Whether a (lower case) word is indexed when stemming: not a stop word, two letters."""
        return len(word) >= 2 and word not in self.stop

    def stemmed(self, words: list[str]) -> list[str]:
        """The terms of the kept words among `words` (as term() and kept() give them), in order."""
        table = self._table
        try:
            found = [table[w] for w in words]
        except KeyError:  # a word not seen yet: one lookup per word is the common case
            if len(table) > CACHE_WORDS:
                table.clear()
            for w in words:
                if w not in table:
                    table[w] = self.term(w) if self.kept(w) else ""
            found = [table[w] for w in words]
        return [t for t in found if t]


RULES = {code: Language(code) for code in LANGUAGES}


def rules(lang: str | None) -> Language:
    """A language's rules; an unknown language is read as English."""
    return RULES.get(lang or "en", RULES["en"])


def stem(word: str, lang: str = "en") -> str:
    """The stem of a word in a language, folded (cached: a catalogue's vocabulary is small)."""
    r = rules(lang)
    return r.term(fold(word) if r.folds_first else word.lower())


_last_split: tuple = (None, None, [])


def _folded_words(pattern: re.Pattern, text: str) -> list[str]:
    """The words of a folded text, remembered for the last text: English stemmed and unstemmed
    fields (caption and plain) split the same caption one after the other."""
    global _last_split
    last = _last_split  # one tuple, replaced whole: safe to read from other threads
    if last[0] is pattern and last[1] is text:
        return last[2]
    words = pattern.findall(fold(text))
    _last_split = (pattern, text, words)
    return words


class FoldingAnalyzer(Analyzer):
    """Words of one language folded to lower case without accents; maybe stemmed, paired."""

    def __init__(self, stems: bool = True, pairs: bool = False, lang: str = "en") -> None:
        self.stems = stems
        self.pairs = pairs
        self.lang = lang if lang in RULES else "en"
        self.rules = RULES[self.lang]
        self._memo: OrderedDict[str, list[str]] = OrderedDict()

    def __getstate__(self) -> dict:
        # The schema is pickled into the index's table of contents: never the memo.
        return {"stems": self.stems, "pairs": self.pairs, "lang": self.lang}

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)  # an index from before languages has no "lang": English

    def __eq__(self, other: object) -> bool:
        return (type(other) is type(self) and other.stems == self.stems
                and other.pairs == self.pairs and other.lang == self.lang)

    def __hash__(self) -> int:
        return hash((type(self), self.stems, self.pairs, self.lang))

    def __repr__(self) -> str:
        return f"FoldingAnalyzer(stems={self.stems}, pairs={self.pairs}, lang={self.lang!r})"

    def _word(self, word: str) -> str | None:
        """The term of one token as written, or None when it is not indexed."""
        return self.rules.index_term(word) if self.stems else fold(word)

    def terms(self, text: str) -> list[str]:
        """The index terms of a text, in order."""
        found = self._memo.get(text)
        if found is not None:
            self._memo.move_to_end(text)
            return found
        r = self.rules
        if self.pairs:
            # The stemmed words' pairs: the caption's analysis is shared with its stemmed field.
            words = STEMS[self.lang].terms(text) if self.stems else PLAINS[self.lang].terms(text)
            words = [f"{a} {b}" for a, b in zip(words, words[1:])]
        elif not self.stems:
            words = _folded_words(r.word, text)
        else:
            words = r.stemmed(_folded_words(r.word, text) if r.folds_first
                              else r.word.findall(text.lower()))
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
            word = self._word(value)
            if word is None:
                return
            token.text = word
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
        for m in self.rules.word.finditer(value):
            word = self._word(m.group())
            if word is None:
                continue
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


# Per language: stemmed words of every text field; an unstemmed, folded copy of caption and
# title, so prefixes ("vacc*", "Danl*") and "did you mean" work on real words; and word pairs of
# the stemmed caption and title, so an exact phrase is a few term lookups, no positions.
STEMS = {lang: FoldingAnalyzer(stems=True, lang=lang) for lang in LANGUAGES}
PLAINS = {lang: FoldingAnalyzer(stems=False, lang=lang) for lang in LANGUAGES}
SHINGLES = {lang: FoldingAnalyzer(stems=True, pairs=True, lang=lang) for lang in LANGUAGES}
STEM, PLAIN, SHINGLE = STEMS["en"], PLAINS["en"], SHINGLES["en"]
