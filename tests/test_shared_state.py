"""What app servers must share lives in the database or Redis: sessions, rate limits, job state.

Two app instances here are two servers: same database, same SECRET_KEY and storage, each its
own search index directory; nothing either keeps in memory or on its own disk is needed by the
other.
"""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from gallery import create_app
from gallery.extensions import db
from gallery.models import AssetWork
from gallery.ratelimit import RedisBackend
from gallery.services import work
from tests.conftest import PASSWORD
from tests.test_sessions import NEW_PASSWORD, is_anonymous, logged_in, replay

REDIS_URL = "redis://127.0.0.1:6379/0"


def _server(app, tmp_path, name: str, **extra):
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False,
                       "DATABASE_URL": app.config["DATABASE_URL"],
                       "UPLOAD_DIR": app.config["UPLOAD_DIR"], "JOB_THREAD": False,
                       "SEARCH_WRITER": "sync", "SEARCH_SERVER_NAME": f"server-{name}",
                       "SEARCH_INDEX_DIR": str(tmp_path / f"index-{name}"), **extra})


@pytest.fixture
def two(app, tmp_path):
    """Servers A and B."""
    built = [_server(app, tmp_path, name) for name in ("a", "b")]
    yield built
    for server in built:
        server.extensions["db_engine"].dispose()


def test_a_session_from_one_server_works_on_the_other_and_ends_on_both(two, make_user):
    """The cookie is signed with the shared key; the session version (users.session_token) is a row."""
    a, b = two
    user = make_user()
    on_a, cookie = logged_in(a, user)
    assert not is_anonymous(replay(b, cookie))  # the load balancer may send the next request to B
    response = on_a.post("/account", data={
        "action": "password", "password-current_password": PASSWORD,
        "password-new_password": NEW_PASSWORD, "password-confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert is_anonymous(replay(b, cookie)) and is_anonymous(replay(a, cookie))
    assert not is_anonymous(on_a)  # the session that changed the password carries on


@pytest.mark.parametrize("backend", ["database", "redis"])
def test_login_limits_count_on_every_server(app, tmp_path, backend):
    """RATELIMIT_REDIS_URL (or, without it, the database) holds the counters, not a process."""
    prefix = f"gallery-test:{uuid.uuid4().hex}:"
    extra = {"LOGIN_MAX_FAILURES_PER_ADDRESS": 4, "RATELIMIT_KEY_PREFIX": prefix}
    if backend == "redis":
        probe = RedisBackend(REDIS_URL)
        try:
            probe.client.ping()
        except probe.errors:
            pytest.skip("no Redis at 127.0.0.1:6379")
        finally:
            probe.client.close()
        extra["RATELIMIT_REDIS_URL"] = REDIS_URL
    servers = [_server(app, tmp_path, name, **extra) for name in ("a", "b")]
    try:
        clients = [s.test_client() for s in servers]
        for n in range(4):
            answer = clients[n % 2].post("/login", data={"email": f"nobody{n}@example.org",
                                                         "password": "wrong"},
                                         environ_base={"REMOTE_ADDR": "203.0.113.9"})
            assert answer.status_code == 401
        for client in clients:
            refused = client.post("/login", data={"email": "x@example.org", "password": "wrong"},
                                  environ_base={"REMOTE_ADDR": "203.0.113.9"})
            assert refused.status_code == 429
    finally:
        for server in servers:
            limiter = server.extensions["ratelimit"].backend
            if isinstance(limiter, RedisBackend):
                keys = list(limiter.client.scan_iter(match=prefix + "*"))
                if keys:
                    limiter.client.delete(*keys)
                limiter.client.close()
            server.extensions["db_engine"].dispose()


def test_job_state_is_in_the_database_for_every_server(two, make_gallery, make_asset):
    """Work queued by an upload on A is seen, and can be done, by a worker of any server."""
    a, b = two
    asset = make_asset(make_gallery())  # pieces pending in asset_work; the message is a nudge
    with b.app_context():
        pending = db.session.scalars(select(AssetWork.piece).where(
            AssetWork.asset_id == asset.id, AssetWork.state == "pending")).all()
        assert "large" in pending
        work.look_at(asset.id)  # what a worker process on B does with the message
    with a.app_context():
        states = dict(db.session.execute(select(AssetWork.piece, AssetWork.state)
                                         .where(AssetWork.asset_id == asset.id)).all())
        assert states["large"] == "ready"
