"""Log-in limits: shared by every worker, a slow-down per account and address, never a lock-out."""
from __future__ import annotations

import threading
import uuid

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from gallery import create_app
from gallery.extensions import db
from gallery.models import RateLimit
from gallery.ratelimit import DatabaseBackend, Limiter, RedisBackend
from tests.conftest import PASSWORD

REDIS_URL = "redis://127.0.0.1:6379/0"
ATTACKER = "203.0.113.66"
VICTIM = "198.51.100.7"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(app):
    """The app's limiter on a clock that only moves when the test says so."""
    moved = Clock()
    app.extensions["ratelimit"].clock = moved
    return moved


def attempt(client, email: str, password: str = "wrong password", address: str = ATTACKER):
    """Post the log-in form from a client address."""
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


@pytest.fixture
def workers(app, clock, request):
    """Two more apps on the same database and clock, as two gunicorn workers (Redis optional)."""
    config = {key: app.config[key] for key in ("DATABASE_URL", "UPLOAD_DIR", "SEARCH_INDEX_DIR")}
    config.update(TESTING=True, SECRET_KEY="test-secret", WTF_CSRF_ENABLED=False,
                  LOGIN_MAX_FAILURES_PER_ADDRESS=5)
    prefix = f"gallery-test:{uuid.uuid4().hex}:"
    if getattr(request, "param", "database") == "redis":
        probe = RedisBackend(REDIS_URL)
        try:
            probe.client.ping()
        except probe.errors:
            pytest.skip("no Redis at 127.0.0.1:6379")
        config.update(RATELIMIT_REDIS_URL=REDIS_URL, RATELIMIT_KEY_PREFIX=prefix)
    apps = [create_app(config) for _ in range(2)]
    for other in apps:
        other.extensions["ratelimit"].clock = clock
    yield apps
    for other in apps:
        backend = other.extensions["ratelimit"].backend
        if isinstance(backend, RedisBackend):
            keys = list(backend.client.scan_iter(match=prefix + "*"))
            if keys:
                backend.client.delete(*keys)
            backend.client.close()
        other.extensions["db_engine"].dispose()


@pytest.mark.parametrize("workers", ["database", "redis"], indirect=True)
def test_the_address_limit_is_shared_by_every_worker(workers, make_user):
    """Under `gunicorn -w 4` each worker used to allow 5: now 5 is 5, whichever worker answers."""
    first, second = (w.test_client() for w in workers)
    for n in range(5):
        worker = first if n % 2 else second
        assert attempt(worker, f"user{n}@example.org").status_code == 401
    for worker in (first, second):
        refused = attempt(worker, "user9@example.org")
        assert refused.status_code == 429
        assert 890 <= int(refused.headers["Retry-After"]) <= 900
    # Even the right password of a real account waits: the address is out of attempts.
    user = make_user()
    assert attempt(first, user.email, PASSWORD).status_code == 429
    # Other addresses are not affected.
    assert attempt(second, user.email, PASSWORD, address=VICTIM).status_code == 302


@pytest.mark.parametrize("workers", ["database", "redis"], indirect=True)
def test_the_account_slow_down_is_shared_by_every_worker(workers, make_user, clock):
    user = make_user()
    first, second = (w.test_client() for w in workers)
    for n in range(4):
        assert attempt(first if n % 2 else second, user.email).status_code == 401
    assert attempt(first, user.email).status_code == 401  # the fifth failure, on another worker
    assert attempt(second, user.email).status_code == 429


def test_an_attacker_cannot_lock_the_owner_out(app, client, make_user, clock):
    """Failures on the victim's account from elsewhere slow the attacker, not the victim."""
    victim = make_user()
    for _ in range(5):
        assert attempt(client, victim.email).status_code == 401
    for _ in range(20):
        assert attempt(client, victim.email).status_code == 429
        assert attempt(client, victim.email, PASSWORD).status_code == 429
    owner = app.test_client()
    assert attempt(owner, victim.email, PASSWORD, address=VICTIM).status_code == 302
    assert owner.get("/account").status_code == 200


def test_the_delay_doubles_and_says_when_to_retry(app, client, make_user, clock):
    app.config["LOGIN_SLOWDOWN_AFTER"] = 3
    app.config["LOGIN_SLOWDOWN_LONGEST"] = 60
    user = make_user()
    for _ in range(3):
        assert attempt(client, user.email).status_code == 401
    waits = []
    for _ in range(8):
        refused = attempt(client, user.email)
        assert refused.status_code == 429
        wait = int(refused.headers["Retry-After"])
        waits.append(wait)
        text = BeautifulSoup(refused.data, "html.parser").select_one(".lead").get_text()
        unit = "second" if wait == 1 else "seconds" if wait < 60 else "minute"
        assert f"Try again in {wait if wait < 60 else 1} {unit}." in text
        clock.now += wait - 0.5
        assert attempt(client, user.email).status_code == 429  # not yet
        clock.now += 0.5
        assert attempt(client, user.email).status_code == 401  # its turn; a failure again
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60]
    clock.now += 60
    assert attempt(client, user.email, PASSWORD).status_code == 302
    client.post("/logout")
    # A success starts the count again.
    assert attempt(client, user.email).status_code == 401


def test_the_address_limit_ends_with_its_window(app, client, clock):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 3
    for n in range(3):
        assert attempt(client, f"user{n}@example.org").status_code == 401
    assert attempt(client, "user9@example.org").status_code == 429
    clock.now += app.config["LOGIN_FAILURE_WINDOW"]
    assert attempt(client, "user9@example.org").status_code == 401


def test_right_passwords_do_not_use_up_the_address(app, client, make_user, clock):
    """An office behind one address logs in all day; only failures count."""
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 3
    user = make_user()
    for _ in range(10):
        assert attempt(client, user.email, PASSWORD).status_code == 302
        client.post("/logout")
    assert attempt(client, "user1@example.org").status_code == 401


def test_simultaneous_attempts_get_exactly_the_limit(app):
    """Counted in one atomic step before the password check: 40 at once, exactly 5 go ahead."""
    engine = app.extensions["db_engine"]
    limiters = [Limiter(DatabaseBackend(lambda: engine)) for _ in range(8)]
    start, allowed, lock = threading.Barrier(40), [], threading.Lock()

    def run(limiter: Limiter) -> None:
        start.wait()
        wait = limiter.take("login:address:203.0.113.1", limit=5, window=900)
        with lock:
            allowed.append(wait == 0)

    threads = [threading.Thread(target=run, args=(limiters[n % 8],)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 5


def test_the_counter_table_holds_no_emails_or_addresses(app, client, make_user, clock):
    user = make_user()
    attempt(client, user.email)
    keys = db.session.scalars(select(RateLimit.key)).all()
    assert len(keys) == 2
    assert all(len(key) == 64 and user.email not in key and ATTACKER not in key for key in keys)
    clock.now += 2 * app.config["LOGIN_FAILURE_WINDOW"]
    attempt(client, "someone@example.org")
    # Ended windows are cleared as new failures come.
    assert len(db.session.scalars(select(RateLimit.key)).all()) == 2
