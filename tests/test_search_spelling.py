""""Did you mean": one edit away from the saved tables first, two edits away from Whoosh's corrector."""
from __future__ import annotations

import pytest

from gallery.services import search
from gallery.services.search import execute, spelling, store, tables


@pytest.fixture
def corpus(app, make_gallery, make_asset):
    gallery = make_gallery(title="Field visit", category="Health", country="KEN")
    # "water" four times, "wafer" once: both one letter from "water"'s typos.
    for caption in ("Clean water at a borehole.", "Water trucks and water tanks.", "Water points.",
                    "A wafer of dried fruit.", "Nurses give cholera vaccinations in Lodwar."):
        make_asset(gallery, caption=caption)
    search.rebuild()


def suggestion(q: str) -> str | None:
    res = search.run(q, None)
    assert res.total == 0, q
    return res.suggestion


def test_edits1_holds_every_single_edit_and_not_the_word():
    found = set(spelling.edits1("wtaer"))
    assert {"taer", "water", "wtaers", "wtter"} <= found  # dropped, swapped, added, changed
    assert "wtaer" not in found and "water" in spelling.edits1("ater")
    assert len(found) == len(spelling.edits1("wtaer"))  # no duplicates


def test_one_edit_away_most_frequent_first(corpus):
    assert suggestion("wamer") == "water"  # one letter from "water" (4) and from "wafer" (1)
    assert suggestion("wafxr") == "wafer"  # one edit away beats "water", two away and more frequent
    assert suggestion("bater") == "water"  # a wrong first letter is found at one edit
    assert suggestion("vacinations") == "vaccinations"


def test_two_edits_away_keep_the_first_letter(corpus):
    assert suggestion("vacinatons") == "vaccinations"  # two letters missing: Whoosh's corrector
    assert suggestion("xyzzyq") is None


def test_without_saved_tables_whooshs_corrector_answers(corpus, app, monkeypatch):
    monkeypatch.setattr(tables, "saved", lambda seg, fieldname: None)
    with store.searcher_cache(app.config["SEARCH_INDEX_DIR"]).lease() as searcher:
        assert execute.View(searcher).frequencies("plain", ["water"]) is None
        assert spelling.nearest(searcher, "plain", "wamer") == "water"  # the more frequent
        assert spelling.nearest(searcher, "plain", "bater") is None  # the first letter is kept


def test_frequencies_are_whooshs(corpus, app):
    with store.searcher_cache(app.config["SEARCH_INDEX_DIR"]).lease() as searcher:
        got = execute.View(searcher).frequencies("plain", ["water", "wafer", "nosuchword"])
        reader = searcher.reader()
        assert got.tolist() == [reader.frequency("plain", "water"), reader.frequency("plain", "wafer"), 0]
        assert got[0] == 4
