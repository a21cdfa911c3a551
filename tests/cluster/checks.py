"""What the cluster test reads back: database rows, search answers per server, `gallery check`."""
from __future__ import annotations

import re
from collections import Counter

from sqlalchemy import Engine, text

from tests.cluster.client import Client
from tests.cluster.load import word_of

SEARCH_BATCH = 30  # words per query (joined with OR): the query parser reads at most 32 items


def captions(engine: Engine) -> dict[int, str]:
    """The caption word of every asset, as the database has it now."""
    with engine.connect() as conn:
        return {i: word_of(c) for i, c in conn.execute(text("SELECT id, caption FROM assets"))}


def unfound(client: Client, words: dict[int, str]) -> set[int]:
    """Assets the server's search does not find by their caption word.

    Each word belongs to one caption of one asset, so a hit for an asset in a query of words
    means its current caption is in that server's index (an old caption has another word).
    """
    missing = set(words)
    items = sorted(words.items())
    for i in range(0, len(items), SEARCH_BATCH):
        chunk = items[i:i + SEARCH_BATCH]
        answer = client.get("/api/search", q=" OR ".join(w for _, w in chunk), per_page=200)
        assert answer.status == 200, answer.body[:300]
        missing -= {hit["id"] for hit in answer.json()["results"]}
    return missing


def search_state(engine: Engine, asset_ids: set[int], sync: bool) -> str:
    """For a failure message: the search log entries of these assets, and each server's cursor."""
    ids = ", ".join(str(i) for i in sorted(asset_ids)) or "NULL"
    columns = "txid, id, asset_id, queued_at" if sync else "id, asset_id, queued_at"
    with engine.connect() as conn:
        entries = [tuple(r) for r in conn.execute(text(
            f"SELECT {columns} FROM search_outbox WHERE asset_id IN ({ids}) ORDER BY id"))]
        servers = ([tuple(r) for r in conn.execute(text(
            "SELECT name, cursor_txid, cursor_id, last_seen FROM search_servers ORDER BY name"))]
            if sync else [])
    return f"log entries {entries}; servers {servers}"


def work_left(engine: Engine) -> dict[str, int]:
    """Background work per state that is not ready yet."""
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT state, count(*) FROM asset_work "
                                      "WHERE state <> 'ready' GROUP BY state")).all())


def stored_by_rows(engine: Engine) -> set[str]:
    """Every storage key a row points at: originals, served copies, renditions."""
    with engine.connect() as conn:
        keys = set(conn.scalars(text("SELECT storage_key FROM assets")))
        keys |= set(conn.scalars(text("SELECT served_key FROM assets WHERE served_key IS NOT NULL")))
        keys |= set(conn.scalars(text("SELECT storage_key FROM renditions")))
    return keys


def download_log(engine: Engine) -> Counter:
    """(asset id, size) -> rows in the download log."""
    with engine.connect() as conn:
        return Counter({(a, s): n for a, s, n in conn.execute(text(
            "SELECT asset_id, size, count(*) FROM download_events GROUP BY asset_id, size"))})


def gallery_assets(engine: Engine) -> dict[int, set[int]]:
    """Asset ids per gallery."""
    found: dict[int, set[int]] = {}
    with engine.connect() as conn:
        for asset_id, gallery_id in conn.execute(text("SELECT id, gallery_id FROM assets")):
            found.setdefault(gallery_id, set()).add(asset_id)
    return found


def check_drift(output: str) -> tuple[dict[str, int], list[str]]:
    """From `gallery check`'s output: the kinds it counts that are not zero, and the keys listed."""
    counts = {kind: int(n) for kind, n in re.findall(r"^(\w[^:\n]*): (\d+)$", output, re.M)}
    listed = re.findall(r"^  (\S+)$", output, re.M)
    return {k: n for k, n in counts.items() if n}, listed
