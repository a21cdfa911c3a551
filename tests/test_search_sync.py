"""Several app servers: each follows the search change log into its own index (SEARCH_WRITER = "sync")."""
from __future__ import annotations

import contextlib
import datetime as dt
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import select, text

from gallery import create_app
from gallery.extensions import db
from gallery.models import Asset, SearchOutbox, SearchServer
from gallery.services import apitokens, search
from gallery.services.search import changelog, health, store, sync
from gallery.services.search.changelog import Cursor, Entry
from tests import search_workers
from tests.conftest import bearer


@pytest.fixture
def servers(app, tmp_path):
    """Two app servers on the test's database, each with its own index directory and name."""
    app.config["SEARCH_WRITER"] = "sync"  # the fixtures' own commits only write the log
    built = {}
    for name in ("a", "b"):
        built[name] = create_app(_config(app, tmp_path, name))
    yield built
    for other in built.values():
        other.extensions["db_engine"].dispose()


def _config(app, tmp_path, name: str) -> dict:
    return {"TESTING": True, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False,
            "DATABASE_URL": app.config["DATABASE_URL"], "UPLOAD_DIR": app.config["UPLOAD_DIR"],
            "SEARCH_INDEX_DIR": str(tmp_path / f"index-{name}"), "SEARCH_WRITER": "sync",
            "SEARCH_SERVER_NAME": f"server-{name}", "JOB_THREAD": False}


def sync_once(server) -> str:
    """`gallery search-sync --once` on one server; its output."""
    with on(server):  # a command runs in the app context it finds
        result = server.test_cli_runner().invoke(args=["search-sync", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


def found(server, q: str, building: bool = False) -> set[int]:
    """Asset ids the server's /api/search answers for q; building: no index yet answers nothing."""
    response = server.test_client().get(f"/api/search?q={q}&per_page=100")
    if building and response.status_code == 503:
        return set()
    assert response.status_code == 200, response.data
    return {r["id"] for r in response.json["results"]}


@contextlib.contextmanager
def on(server):
    """Run service code as that server."""
    with server.app_context():
        yield


@pytest.fixture
def token(editor):
    return apitokens.create_token(editor, "tests", editor)[1]


def edit(server, asset_id: int, caption: str, token: str) -> None:
    """Change a caption through one server's editor API."""
    response = server.test_client().patch(f"/api/assets/{asset_id}", json={"caption": caption},
                                          headers=bearer(token))
    assert response.status_code == 200, response.data


def test_an_edit_on_one_server_is_searchable_on_the_other_after_its_sync(
        app, servers, make_gallery, make_asset, token):
    a, b = servers["a"], servers["b"]
    asset = make_asset(make_gallery(), caption="Women collect water at the pump")
    for server in (a, b):
        # No index yet: readers never make one; the server is not ready and search says so.
        assert server.test_client().get("/readyz").status_code == 503
        assert server.test_client().get("/api/search?q=water").status_code == 503
        assert "Rebuilt the index: 1 assets" in sync_once(server)
        assert found(server, "pump") == {asset.id}
    edit(a, asset.id, "Solar panels on the clinic roof in Lodwar", token)
    # Web processes only read: A's own commit did not touch A's index either.
    assert found(a, "solar") == set() and found(b, "solar") == set()
    assert "1 indexed" in sync_once(b)
    assert found(b, "solar") == {asset.id} and found(b, "pump") == set()
    assert found(a, "solar") == set()
    sync_once(a)
    assert found(a, "solar") == {asset.id}
    rows = {r.name: (r.cursor_txid, r.cursor_id) for r in db.session.scalars(select(SearchServer))}
    head = tuple(db.session.execute(select(SearchOutbox.txid, SearchOutbox.id)
                                    .order_by(SearchOutbox.txid.desc(), SearchOutbox.id.desc())).first())
    assert set(rows) == {"server-a", "server-b"}
    for name, server in (("server-a", a), ("server-b", b)):
        with on(server):
            cursor = sync.local_cursor()
        # Each server reports its index's cursor, which has applied the head. On PostgreSQL the
        # position itself stays below the head while any older transaction of the cluster runs
        # (another test process's, in its own database): applied past it, not passed.
        assert rows[name] == cursor.position
        assert cursor.position == head or head in cursor.applied


def test_the_cursor_survives_a_restart(app, servers, make_gallery, make_asset, tmp_path):
    b = servers["b"]
    gallery = make_gallery()
    make_asset(gallery, caption="Before the restart")
    sync_once(b)
    with on(b):
        before = sync.local_cursor()
    assert before.position != changelog.START
    b.extensions["db_engine"].dispose()
    restarted = create_app(_config(app, tmp_path, "b"))
    try:
        with on(restarted):
            assert sync.local_cursor() == before
        later = make_asset(gallery, caption="After the restart")
        output = sync_once(restarted)
        assert "Rebuilt" not in output and "1 indexed" in output  # only what is new
        assert found(restarted, "restart") == {later.id} | {a.id for a in db.session.scalars(
            select(Asset).where(Asset.caption == "Before the restart"))}
    finally:
        restarted.extensions["db_engine"].dispose()


def test_readyz_follows_the_lag(app, servers, make_gallery, make_asset, token):
    b = servers["b"]
    client = b.test_client()
    missing = client.get("/readyz")
    assert missing.status_code == 503 and missing.json["ready"] is False
    assert "no search index" in missing.json["reason"] and missing.json["server"] == "server-b"
    assert client.get("/healthz").status_code == 200  # liveness is not readiness
    asset = make_asset(make_gallery(), caption="Ready or not")
    sync_once(b)
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json == {
        "ready": True, "reason": "ok", "server": "server-b", "lag_entries": 0, "lag_seconds": 0.0}
    edit(servers["a"], asset.id, "A caption B has not seen", token)
    assert client.get("/readyz").json["lag_entries"] == 1
    assert client.get("/readyz").status_code == 200  # behind, but by less than SEARCH_READY_LAG
    # The entry's clock moved 60 s back: B is now further behind than the 30 s allowed.
    age_log(60)
    late = client.get("/readyz")
    assert late.status_code == 503 and "behind the change log" in late.json["reason"]
    assert late.json["lag_entries"] == 1 and late.json["lag_seconds"] >= 60
    sync_once(b)
    assert client.get("/readyz").status_code == 200


def test_pruning_keeps_what_a_server_still_needs_and_a_server_behind_rebuilds(
        app, servers, make_gallery, make_asset, token, monkeypatch):
    a, b = servers["a"], servers["b"]
    gallery = make_gallery()
    first = make_asset(gallery, caption="First caption")
    sync_once(a)
    sync_once(b)
    edit(a, first.id, "Edited while B was down", token)
    second = make_asset(gallery, caption="Second caption")
    sync_once(a)
    # A deregistered server (not seen within the retention) never holds pruning back.
    db.session.add(SearchServer(name="server-gone", cursor_txid=0, cursor_id=0,
                                last_seen=dt.datetime(2020, 1, 1)))
    db.session.commit()
    with on(a):
        pruned = changelog.prune(db.session, sync.utcnow(), 7 * 86400)
    assert pruned.deregistered == ["server-gone"]
    # Only what both A and B passed is gone: B's two entries are still there.
    with on(b):
        assert search.pending().entries == 2
        assert health.readiness().ready
    # A week later B is still down: it is deregistered, and the log is pruned past it.
    later = sync.utcnow() + dt.timedelta(days=8)
    monkeypatch.setattr(sync, "utcnow", lambda: later)
    monkeypatch.setattr(health, "utcnow", lambda: later)
    a.config["SEARCH_LOG_PRUNE_SECONDS"] = 0
    sync_once(a)
    db.session.expire_all()
    assert db.session.scalar(select(SearchOutbox.id)) is None
    assert [r.name for r in db.session.scalars(select(SearchServer))] == ["server-a"]
    not_ready = b.test_client().get("/readyz")
    assert not_ready.status_code == 503 and "pruned" in not_ready.json["reason"]
    with on(b):
        assert search.drain().behind  # applying alone cannot help: entries are gone
    output = sync_once(b)
    assert "Rebuilt the index: 2 assets" in output
    assert found(b, "edited") == {first.id} and found(b, "second") == {second.id}
    assert b.test_client().get("/readyz").status_code == 200
    # After the rebuild B follows the log from the head it took before reading.
    edit(a, second.id, "Third version", token)
    sync_once(b)
    assert found(b, "third") == {second.id}


def test_check_lists_every_servers_lag(app, servers, make_gallery, make_asset, token):
    a, b = servers["a"], servers["b"]
    asset = make_asset(make_gallery(), caption="Checked caption")
    sync_once(a)
    sync_once(b)
    edit(a, asset.id, "Only A has this", token)
    sync_once(a)
    age_log(120)
    with on(a):
        result = a.test_cli_runner().invoke(args=["check"])
    assert "Search servers: 2 registered, 1 behind" in result.output, result.output
    lines = {line.split(":")[0].strip(): line for line in result.output.splitlines()
             if line.startswith("  server-")}
    assert "lag 0 entries" in lines["server-a"] and "BEHIND" not in lines["server-a"]
    # Aged 120 s before the check ran: a second of the real clock may pass in between.
    lag = re.search(r"lag 1 entries, (\d+) s", lines["server-b"])
    assert lag and 120 <= int(lag.group(1)) <= 180, lines["server-b"]
    assert "BEHIND" in lines["server-b"]
    assert result.exit_code == 1
    sync_once(b)
    with on(a):
        final = a.test_cli_runner().invoke(args=["check"])
    assert final.exit_code == 0 and "2 registered, 0 behind" in final.output, final.output


def test_a_crash_between_index_commit_and_cursor_write_loses_and_doubles_nothing(
        app, servers, make_gallery, make_asset, tmp_path):
    b = servers["b"]
    gallery = make_gallery()
    keep = make_asset(gallery, caption="Kept photo")
    sync_once(b)
    gone = make_asset(gallery, caption="Deleted photo")
    added = make_asset(gallery, caption="Added photo")
    db.session.delete(db.session.get(Asset, gone.id))
    search.queue_assets([gone.id], "delete")
    db.session.commit()
    with on(b):
        before = sync.local_cursor()
    proc = multiprocessing.get_context("spawn").Process(
        target=search_workers.drain_and_die, args=(_config(app, tmp_path, "b"),))
    proc.start()
    proc.join(timeout=120)
    assert proc.exitcode == -9  # killed after the Whoosh commit, before the cursor was written
    with on(b):
        assert sync.local_cursor() == before
        assert search.pending().entries == 3
    assert found(b, "photo") == {keep.id, added.id}  # the index has it; the cursor does not know
    assert "1 indexed, 1 removed" in sync_once(b)  # applied again: same documents, no doubles
    with on(b):
        with store.searcher_cache(b.config["SEARCH_INDEX_DIR"]).lease() as searcher:
            ids = [int(f["id"]) for f in searcher.reader().all_stored_fields()]
        assert sorted(ids) == sorted([keep.id, added.id])
        assert search.pending().entries == 0
        assert search.check().clean


def test_search_sync_runs_as_a_process_and_stops_on_sigterm(app, servers, make_gallery, make_asset,
                                                            tmp_path, token):
    asset = make_asset(make_gallery(), caption="Followed by a real process")
    config = _config(app, tmp_path, "b")
    env = {**os.environ, "GALLERY_INSTANCE_PATH": str(tmp_path / "instance-b")}
    env.update({f"GALLERY_{k}": str(config[k]) for k in (
        "DATABASE_URL", "UPLOAD_DIR", "SEARCH_INDEX_DIR", "SEARCH_WRITER", "SEARCH_SERVER_NAME",
        "SECRET_KEY")})
    gallery_cmd = os.path.join(os.path.dirname(sys.executable), "gallery")
    proc = subprocess.Popen([gallery_cmd, "search-sync", "--interval", "0.2"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        b = servers["b"]
        _until(lambda: found(b, "followed", building=True) == {asset.id})
        edit(servers["a"], asset.id, "Changed and followed within seconds", token)
        started = time.monotonic()
        _until(lambda: found(b, "changed") == {asset.id})
        assert time.monotonic() - started < 5  # the freshness goal
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert "Rebuilt the index: 1 assets" in output and "1 indexed" in output


def age_log(seconds: int) -> None:
    """Move the log's clock: every entry was written `seconds` earlier."""
    for entry in db.session.scalars(select(SearchOutbox)):
        entry.queued_at -= dt.timedelta(seconds=seconds)
    db.session.commit()


def _until(condition, deadline: float = 30.0) -> None:
    """Poll what a user would wait for, up to a deadline."""
    end = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < end, "condition not met before the deadline"
        time.sleep(0.05)


def test_an_entry_past_a_running_transaction_is_applied_and_passed_later():
    """The cursor stops before entries a running transaction could still precede (PostgreSQL)."""
    cursor = Cursor((5, 10))
    entries = [Entry((5, 11), 1, True), Entry((7, 12), 2, False), Entry((8, 9), 3, False)]
    moved = changelog.advance(cursor, entries)
    assert moved == Cursor((5, 11), frozenset({(7, 12), (8, 9)}))
    # The transaction ended: the same entries are final now, and already applied.
    again = changelog.advance(moved, [Entry((7, 12), 2, True), Entry((8, 9), 3, True)])
    assert again == Cursor((8, 9))
    # Read after a later point than the cursor: final or not, nothing moves it over the gap.
    later = changelog.advance(moved, [Entry((9, 13), 4, True)], contiguous=False)
    assert later == Cursor((5, 11), frozenset({(7, 12), (8, 9), (9, 13)}))
    assert Cursor.loads(moved.dumps()) == moved


def test_sqlite_never_gives_a_pruned_id_again(app, make_gallery, make_asset):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL sequences never go back")
    make_asset(make_gallery())
    last = db.session.scalar(select(SearchOutbox.id).order_by(SearchOutbox.id.desc()))
    db.session.execute(text("DELETE FROM search_outbox"))
    db.session.commit()
    search.queue_assets([1])
    db.session.commit()
    assert db.session.scalar(select(SearchOutbox.id)) > last


def _write_entry(conn, asset_id: int, caption: str) -> int:
    """Change a caption and log it on a raw connection, as one use case's transaction would."""
    conn.execute(text("UPDATE assets SET caption = :c WHERE id = :id"), {"c": caption, "id": asset_id})
    return conn.execute(text("INSERT INTO search_outbox (asset_id, operation, queued_at) "
                             "VALUES (:id, 'upsert', :now) RETURNING id"),
                        {"id": asset_id, "now": sync.utcnow()}).scalar_one()


@pytest.mark.parametrize("xid_first", [False, True])
def test_an_entry_committed_late_with_a_lower_id_is_never_skipped(app, make_gallery, make_asset,
                                                                  xid_first):
    """PostgreSQL: ids come from a sequence when rows are written, not when they commit."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time: its ids are in commit order")
    app.config["SEARCH_WRITER"] = "sync"
    gallery = make_gallery()
    early, late = make_asset(gallery), make_asset(gallery)
    assert search.drain(rebuild_if_needed=True).rebuilt == 2
    slow, quick = db.engine.connect(), db.engine.connect()
    try:
        slow_tx = slow.begin()
        if xid_first:
            # The slow transaction has the lower transaction id but will take the higher entry id.
            slow.execute(text("SELECT pg_current_xact_id()"))
        else:
            slow_id = _write_entry(slow, early.id, "Xylophone lessons")  # the lower entry id
        with quick.begin():
            quick_id = _write_entry(quick, late.id, "Yodelling contest")
        if xid_first:
            slow_id = _write_entry(slow, early.id, "Xylophone lessons")
        assert (slow_id < quick_id) is not xid_first
        first = search.drain()
        # The committed entry is applied at once, but the cursor stays before it: the slow
        # transaction could still commit an entry before it in the log's order.
        assert first.indexed == 1 and search.run("yodelling", None).total == 1
        cursor = sync.local_cursor()
        assert cursor.applied and all(p[1] != slow_id for p in cursor.applied)
        assert search.pending().entries == 0  # the quick one is applied; the slow one unseen
        slow_tx.commit()
    finally:
        slow.close()
        quick.close()
    assert search.pending().entries == 1  # only the slow one: the quick one is not counted again
    second = search.drain()
    assert second.indexed == 1  # the slow entry; the quick one is not applied twice
    assert search.run("xylophone", None).total == 1 and search.run("yodelling", None).total == 1
    assert search.pending().entries == 0
    # The cursor passes both once no older write transaction runs in this database; until then
    # they are `applied`.
    done = sync.local_cursor()
    positions = [tuple(p) for p in db.session.execute(select(SearchOutbox.txid, SearchOutbox.id))]
    assert all(p <= done.position or p in done.applied for p in positions)


def test_an_entry_committed_between_two_batches_of_a_pass_is_not_skipped(app, make_gallery,
                                                                         make_asset, monkeypatch):
    """PostgreSQL: a pass reads its second batch after its first; an older entry committed
    meanwhile lies behind that read, so the second batch must not move the cursor past it."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time: its ids are in commit order")
    app.config["SEARCH_WRITER"] = "sync"
    gallery = make_gallery()
    slow_asset, middle, last = make_asset(gallery), make_asset(gallery), make_asset(gallery)
    assert search.drain(rebuild_if_needed=True).rebuilt == 3
    slow, quick = db.engine.connect(), db.engine.connect()
    try:
        slow_tx = slow.begin()
        slow.execute(text("SELECT pg_current_xact_id()"))  # the oldest transaction id
        with quick.begin():
            _write_entry(quick, middle.id, "Marimba workshop")
        with quick.begin():
            _write_entry(quick, last.id, "Lute repair")
        _write_entry(slow, slow_asset.id, "Kazoo parade")
        # The slow transaction commits while the pass writes its first batch (one entry) to the
        # index: its entry is then behind where the second batch is read from.
        monkeypatch.setattr(sync, "_after_index_commit", lambda: slow_tx.is_active and slow_tx.commit())
        first = search.drain(batch=1)
    finally:
        slow.close()
        quick.close()
    assert first.indexed == 2 and search.run("marimba", None).total == 1
    monkeypatch.setattr(sync, "_after_index_commit", None)
    assert search.pending().entries == 1  # the slow one: seen by nobody yet, and counted
    search.drain()
    assert search.run("kazoo", None).total == 1 and search.run("lute", None).total == 1
    assert search.pending().entries == 0


def test_a_transaction_in_another_database_does_not_hold_the_cursor_back(app, make_gallery,
                                                                         make_asset):
    """PostgreSQL's transaction ids are the cluster's; only this database's can write the log."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no other databases' transactions")
    from sqlalchemy import create_engine

    app.config["SEARCH_WRITER"] = "sync"
    gallery = make_gallery()
    search.drain(rebuild_if_needed=True)
    elsewhere = create_engine(db.engine.url.set(database="postgres"))
    try:
        with elsewhere.connect() as other:
            other.begin()
            other.execute(text("SELECT pg_current_xact_id()"))  # older than every entry below
            asset = make_asset(gallery, caption="Written while a report runs elsewhere")
            assert search.drain().indexed == 1
            cursor = sync.local_cursor()
            head = db.session.execute(select(SearchOutbox.txid, SearchOutbox.id)
                                      .order_by(SearchOutbox.txid.desc(), SearchOutbox.id.desc())
                                      .limit(1)).one()
            assert cursor == Cursor(tuple(head))  # passed, not only applied
            other.rollback()
    finally:
        elsewhere.dispose()
    assert [h.asset.id for h in search.run("report", None).hits] == [asset.id]


def test_check_does_not_count_as_lag_what_servers_applied_past_a_running_transaction(
        app, servers, make_gallery, make_asset, token):
    """A long write transaction keeps every cursor's position back; applied entries are not lag."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time: every entry is final once visible")
    a, b = servers["a"], servers["b"]
    gallery = make_gallery()
    asset, other = make_asset(gallery, caption="Before"), make_asset(gallery, caption="Other")
    sync_once(a)
    sync_once(b)
    slow = db.engine.connect()
    try:
        slow_tx = slow.begin()
        slow.execute(text("SELECT pg_current_xact_id()"))  # older than the edit below
        edit(a, asset.id, "Edited while a long transaction runs", token)
        sync_once(a)
        sync_once(b)
        age_log(120)  # the edit is older than SEARCH_READY_LAG: lag, were it counted
        with on(a):
            result = a.test_cli_runner().invoke(args=["check"])
        assert result.exit_code == 0 and "2 registered, 0 behind" in result.output, result.output
        assert result.output.count("lag 0 entries") == 2, result.output
        rows = {r.name: r for r in db.session.scalars(select(SearchServer))}
        held = [(r.cursor_txid, r.cursor_id) for r in rows.values()]
        last = db.session.execute(select(SearchOutbox.txid, SearchOutbox.id)
                                  .order_by(SearchOutbox.txid.desc(), SearchOutbox.id.desc())
                                  .limit(1)).one()
        assert all(position < tuple(last) for position in held)  # positions held back
        _write_entry(slow, other.id, "Accordion caption")
        slow_tx.commit()
    finally:
        slow.close()
    sync_once(a)
    sync_once(b)
    assert found(a, "accordion") == found(b, "accordion") == {other.id}
    db.session.expire_all()
    for row in db.session.scalars(select(SearchServer)):
        assert row.cursor_applied == "[]"  # the transaction ended: every position passed


def test_an_index_from_before_the_log_applies_what_its_outbox_held(app, make_gallery, make_asset):
    from sqlalchemy import delete

    gallery = make_gallery()
    make_asset(gallery, caption="Indexed before the upgrade")
    root = app.config["SEARCH_INDEX_DIR"]
    with store.writer_lock(root, timeout=1):
        queued = make_asset(gallery, caption="Queued before the upgrade")
    # The old release deleted what it drained, and its index has no cursor file.
    db.session.execute(delete(SearchOutbox).where(SearchOutbox.asset_id != queued.id))
    db.session.commit()
    os.remove(os.path.join(root, store.current_name(root), store.CURSOR_FILE))
    assert sync.local_cursor() == Cursor() and search.pending().entries == 1
    assert search.drain().indexed == 1
    assert search.run("queued upgrade", None).total == 1 and search.check().clean


def test_the_jobs_page_shows_each_servers_search_lag(app, servers, make_gallery, make_asset, token, editor):
    from bs4 import BeautifulSoup

    a, b = servers["a"], servers["b"]
    asset = make_asset(make_gallery(), caption="Lag on the jobs page")
    sync_once(a)
    sync_once(b)
    edit(a, asset.id, "Only A applied this", token)
    sync_once(a)
    age_log(120)
    client = b.test_client()
    with client.session_transaction() as sess:  # staff's session on server B
        sess["_user_id"] = editor.get_id()
        sess["_fresh"] = True
    page = BeautifulSoup(client.get("/manage/jobs").data, "html.parser")
    rows = {r["data-server"]: [c.get_text(strip=True) for c in r.select("td")]
            for r in page.select(".search-servers tr[data-server]")}
    assert rows["server-a"][0] == "0" and rows["server-a"][-1] == "in step"
    # The log was aged 120 s; a slow machine may take a second or two to render the page.
    assert rows["server-b"][0] == "1" and 120 <= int(rows["server-b"][1].split()[0]) <= 180
    assert rows["server-b"][-1] == "behind"
    readiness = page.select_one(".search-readiness").get_text(" ", strip=True)
    assert "server-b" in readiness and "s behind the change log" in readiness
