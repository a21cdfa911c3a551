"""Two app servers behind nginx under load; one is killed with kill -9 and comes back.

Through nginx: uploads (captions read from the files' EXIF), caption edits, searches, page views
and downloads for GALLERY_CLUSTER_SECONDS (60 in CI). Then: no failed request but those in flight
at the kill; every asset found by its caption on both servers (asked directly) within 5 s; rows
and stored files agree (`gallery check`, and a listing of storage); a gallery zip has the same
bytes from either server; the download log has one row per file sent.
"""
from __future__ import annotations

import os
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import create_engine

from tests.cluster import checks, nginx
from tests.cluster.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, SEARCH_SYNC, Cluster
from tests.cluster.load import Load, Record, word_of, zip_files
from tests.cluster.processes import wait_until

pytestmark = pytest.mark.cluster

SECONDS = float(os.environ.get("GALLERY_CLUSTER_SECONDS", "60"))
KILL_AT = 0.4  # share of the load after which server "a" is killed
FRESH = 5.0  # seconds within which a change must be found on every server
ALONE = 20  # requests nginx must answer from the other server before the killed one restarts


@dataclass
class Kill:
    """When server "a" was signalled, found dead, and ready again (monotonic and wall clock)."""

    signalled: float = 0.0
    dead: float = 0.0
    back: float = 0.0
    back_wall: float = 0.0

    def in_flight(self, r: Record) -> bool:
        """Started before the server was dead and ended after it was signalled."""
        return r.t0 < self.dead and r.t1 > self.signalled


def test_cluster_survives_a_killed_server_and_stays_consistent(cluster: Cluster):
    engine = create_engine(cluster.database_url)
    try:
        run(cluster, engine)
    finally:
        engine.dispose()


def run(cluster: Cluster, engine) -> None:
    bearer = {"Authorization": f"Bearer {cluster.token}"}
    lb = cluster.lb(headers=bearer)
    galleries = [create_gallery(lb, n) for n in range(3)]
    sessions_work_on_every_server(cluster)

    load = Load(lb, galleries)
    kill = Kill()
    load.start()
    try:
        threading.Event().wait(SECONDS * KILL_AT)  # the load runs meanwhile
        kill_and_restart(cluster, engine, load, kill)
        threading.Event().wait(max(0.0, load.started + SECONDS - time.monotonic()))
    finally:
        load.finish()  # also when a step above failed: no client thread outlives the test
    ended = time.monotonic()

    records = load.records
    failed = [r for r in records if not r.ok]
    in_flight = [r for r in records if kill.in_flight(r)]
    print(f"\nload: {len(records)} requests in {ended - load.started:.1f} s through nginx; "
          f"{dict(Counter(r.step for r in records))}")
    print(f"kill -9 of server a: {len(in_flight)} request(s) in flight, {len(failed)} failed "
          f"({[(r.step, r.status, r.error[:60]) for r in failed]}); back after "
          f"{kill.back - kill.dead:.1f} s")
    # Nothing failed but requests in flight at the kill: no 5xx, no refused or wrong answer.
    assert [r for r in failed if not kill.in_flight(r)] == []

    # Every asset, uploaded before, during or after the kill, is found on both servers.
    # Both servers asked at once: the 5 s are the same for each.
    with ThreadPoolExecutor(len(cluster.servers)) as pool:
        found_after = dict(zip(cluster.servers, pool.map(
            lambda s: all_found(s.client(headers=bearer), engine, None,
                                f"every caption on server {s.name}") - ended,
            cluster.servers.values())))
    print("search: every caption found on each server " + ", ".join(
        f"{name} {t:.1f} s" for name, t in found_after.items()) + " after the load")
    # Every acknowledged upload is there, with the caption of its last acknowledged edit.
    words = checks.captions(engine)
    for asset in load.assets.values():
        assert asset.id in words
        if not asset.unsure:
            assert words[asset.id] == word_of(asset.caption), asset

    try:
        wait_until(lambda: work_done(engine), 90, "the worker to finish the background work")
    except AssertionError:
        raise AssertionError(f"background work left: {checks.work_left(engine)}\n"
                             f"{cluster.worker.log_tail()}") from None
    print(f"background work done {time.monotonic() - ended:.1f} s after the load")

    # Files of uploads killed in flight may be stored without their row: nothing else may.
    killed = {r.upload_sha256 for r in in_flight if r.step == "upload" and r.asset_id is None}
    for name in cluster.servers:
        done = cluster.gallery("check", server=name, check=False)
        drift, listed = checks.check_drift(done.stdout)
        if done.returncode:
            assert set(drift) == {"Orphan files (no row)"}, done.stdout
            assert all(any(sha in key for sha in killed) for key in listed), done.stdout
        else:
            assert "in step" in done.stdout and not drift, done.stdout
    rows = checks.stored_by_rows(engine)
    stored = {k for k in cluster.stored_keys() if not k.endswith(".part")}  # writes under way
    assert rows - stored == set(), "rows whose file is not in storage"
    assert all(any(sha in key for sha in killed) for key in stored - rows), stored - rows

    # A gallery zip is the same bytes from either server (Large: made by the worker).
    zipped = Counter()
    per_gallery = checks.gallery_assets(engine)
    for g in galleries:
        path = f"/download/galleries/{g['id']}.zip?size=large&use=Press"
        bodies = []
        for server in cluster.servers.values():
            answer = server.client(headers=bearer).get(path)
            assert answer.status == 200, answer.body[:300]
            bodies.append(answer.body)
        assert bodies[0] == bodies[1], f"gallery {g['id']}: the zips differ"
        files = zip_files(bodies[0])
        assert {a for a, _ in files} == per_gallery.get(g["id"], set())
        zipped.update(files + files)

    # One download log row per file sent; a download in flight at the kill may have logged its
    # rows (a zip logs all of its files before its first byte) without its client getting them.
    logged = checks.download_log(engine)
    sent = load.downloaded + zipped
    assert sent - logged == Counter(), "files sent without a row in the download log"
    maybe = Counter()
    for r in in_flight:
        if r.download:
            maybe[r.download] += 1
        elif r.gallery_id:
            maybe.update((a, "preview") for a in per_gallery.get(r.gallery_id, ()))
    assert (logged - sent) - maybe == Counter(), "download log rows for files never sent"
    print(f"downloads: {sum(sent.values())} files sent, {sum(logged.values())} rows logged; "
          f"checks done {time.monotonic() - ended:.1f} s after the load")


def create_gallery(lb, n: int) -> dict:
    """A published gallery made through the editor API, as a script would."""
    answer = lb.post_json("/api/galleries", {
        "title": f"Field office {n + 1}", "category": "Health", "country": "KEN",
        "credit": "Example Relief Agency", "status": "published"})
    assert answer.status == 201, answer.body[:300]
    return answer.json()


def sessions_work_on_every_server(cluster: Cluster) -> None:
    """Log in through nginx; the session cookie then works on each server asked directly."""
    lb = cluster.lb()
    form = lb.get("/login")
    assert form.status == 200
    token = BeautifulSoup(form.body, "html.parser").find("input", {"name": "csrf_token"})["value"]
    cookies = dict(form.cookies)
    answer = lb.post_form("/login", {"csrf_token": token, "email": ADMIN_EMAIL,
                                     "password": ADMIN_PASSWORD}, headers=_cookie(cookies))
    assert answer.status == 302, answer.body[:300]
    cookies.update(answer.cookies)
    for server in cluster.servers.values():
        assert server.client(headers=_cookie(cookies)).get("/manage/").status == 200


def kill_and_restart(cluster: Cluster, engine, load: Load, kill: Kill) -> None:
    """kill -9 server a; nginx answers from b alone; a restarts, catches up and gets traffic again."""
    a = cluster.servers["a"]
    kill.signalled = time.monotonic()
    a.kill()
    kill.dead = time.monotonic()
    wait_until(lambda: sum(r.t0 > kill.dead and r.ok for r in load.snapshot()) >= ALONE, 60,
               f"{ALONE} requests answered by server b alone")
    a.start()
    a.wait_ready()
    kill.back, kill.back_wall = time.monotonic(), time.time()
    # Uploads made while it was down are found in its search (its index caught up).
    bearer = {"Authorization": f"Bearer {cluster.token}"}
    made_meanwhile = {r.asset_id for r in load.snapshot()
                      if r.step == "upload" and r.asset_id and kill.dead < r.t0 and r.t1 < kill.back}
    assert made_meanwhile, "no upload went through while server a was down"
    all_found(a.client(headers=bearer), engine, made_meanwhile,
              "the uploads made while it was down on server a")
    # nginx sends it requests again (it was marked failed for fail_timeout).
    upstream = f"127.0.0.1:{a.port}"
    wait_until(lambda: any(row["time"] > kill.back_wall and row["upstream"] == upstream
                           and row["status"] in ("200", "201")
                           for row in nginx.access_log(cluster.nginx_prefix)), 30,
               "nginx to send requests to the restarted server")


def all_found(client, engine, ids: set[int] | None, what: str) -> float:
    """Poll until the server's search finds each asset (of ids, or all) by its caption, for FRESH s;
    returns when it did."""
    def missing() -> set[int]:
        words = checks.captions(engine)
        return checks.unfound(client, {i: w for i, w in words.items() if ids is None or i in ids})

    try:
        wait_until(lambda: not missing(), FRESH, what, every=0.2)
        return time.monotonic()
    except AssertionError:
        lost = missing()
        raise AssertionError(f"{what}: not found {sorted(lost)}; "
                             f"{checks.search_state(engine, lost, SEARCH_SYNC)}") from None


def work_done(engine) -> bool:
    """Whether no background work is left; a piece that failed fails the test at once."""
    left = checks.work_left(engine)
    assert "failed" not in left, left
    return not left


def _cookie(cookies: dict[str, str]) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
