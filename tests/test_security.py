"""Security: CSRF, cookies, session renewal, headers, login rate limits (database and Redis)."""
from __future__ import annotations

import logging
import re
import time
import uuid

import pytest
from bs4 import BeautifulSoup

from gallery import create_app
from gallery.ratelimit import NOTHING, Count, DatabaseBackend, Limiter, RedisBackend
from tests.conftest import PASSWORD

REDIS_URL = "redis://127.0.0.1:6379/0"


def soup(response) -> BeautifulSoup:
    """Parse a response body."""
    return BeautifulSoup(response.data, "html.parser")


def session_cookie(response) -> str | None:
    """The full Set-Cookie header of the session cookie, if the response sets one."""
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith("session="):
            return header
    return None


@pytest.fixture
def make_app(app):
    """Another app on the same database and folders, with some settings changed."""

    def make(**changes):
        config = {key: app.config[key] for key in ("DATABASE_URL", "UPLOAD_DIR", "SEARCH_INDEX_DIR")}
        config.update(TESTING=True, SECRET_KEY="test-secret", WTF_CSRF_ENABLED=False)
        config.update(changes)
        other = create_app(config)
        return other

    yield make


@pytest.fixture
def csrf_client(make_app):
    """A client of an app with CSRF protection on, as in production."""
    other = make_app(WTF_CSRF_ENABLED=True)
    yield other.test_client()
    other.extensions["db_engine"].dispose()


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token from the form of a page."""
    return soup(client.get(path)).select_one("input[name=csrf_token]")["value"]


# --- CSRF ----------------------------------------------------------------------------------

def test_post_without_csrf_token_is_refused_with_a_clear_page(csrf_client, make_user):
    user = make_user()
    response = csrf_client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    page = soup(response)
    assert "did not come from this site" in page.select_one(".lead").get_text()
    assert "Log out" not in page.get_text()


def test_post_with_csrf_token_works(csrf_client, make_user):
    user = make_user()
    token = csrf_token(csrf_client)
    response = csrf_client.post("/login", data={"email": user.email, "password": PASSWORD,
                                                "csrf_token": token})
    assert response.status_code == 302


@pytest.mark.parametrize("path", ["/logout", "/register", "/password/forgot", "/account",
                                  "/admin/users/1/role", "/admin/users/1/active"])
def test_every_account_form_needs_the_token(csrf_client, make_user, path):
    admin = make_user("admin")
    token = csrf_token(csrf_client)
    csrf_client.post("/login", data={"email": admin.email, "password": PASSWORD, "csrf_token": token})
    response = csrf_client.post(path, data={"role": "editor", "active": "0", "email": "x@example.org"})
    assert response.status_code == 400
    assert "did not come from this site" in soup(response).select_one(".lead").get_text()


def test_every_form_on_the_account_pages_carries_a_token(csrf_client, make_user):
    admin = make_user("admin")
    make_user()
    pages = ["/login", "/register", "/password/forgot"]
    for path in pages:
        forms = soup(csrf_client.get(path)).select("main form[method=post]")
        assert forms and all(f.select_one("input[name=csrf_token]") for f in forms), path
    csrf_client.post("/login", data={"email": admin.email, "password": PASSWORD,
                                     "csrf_token": csrf_token(csrf_client)})
    for path in ["/account", "/admin/users/"]:
        forms = soup(csrf_client.get(path)).select("form[method=post]")
        assert len(forms) >= 2 and all(f.select_one("input[name$=csrf_token]")["value"]
                                       for f in forms), path


# --- Cookies and the session ----------------------------------------------------------------

def test_session_cookie_is_secure_over_https(app, make_user):
    user = make_user()
    client = app.test_client()
    response = client.post("/login", base_url="https://localhost",
                           data={"email": user.email, "password": PASSWORD})
    cookie = session_cookie(response)
    assert "; Secure" in cookie and "; HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_session_cookie_is_not_secure_over_http(app, make_user):
    user = make_user()
    response = app.test_client().post("/login", data={"email": user.email, "password": PASSWORD})
    cookie = session_cookie(response)
    assert "Secure" not in cookie
    assert "; HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert app.config["SESSION_COOKIE_SECURE"] is False  # the request did not change the config


def test_forced_secure_setting(make_app, make_user):
    user = make_user()
    other = make_app(SESSION_COOKIE_SECURE=True)
    response = other.test_client().post("/login", data={"email": user.email, "password": PASSWORD})
    assert "; Secure" in session_cookie(response)
    other.extensions["db_engine"].dispose()


def test_trusted_proxy_says_https_and_client_address(make_app, make_user):
    user = make_user()
    behind = make_app(TRUSTED_PROXIES=1, LOGIN_MAX_FAILURES_PER_ADDRESS=2)
    client = behind.test_client()
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    response = client.post("/login", headers=headers, data={"email": user.email, "password": PASSWORD})
    assert "; Secure" in session_cookie(response)
    for _ in range(2):
        client.post("/login", headers=headers, data={"email": "x@example.org", "password": "wrong pw"})
    assert client.post("/login", headers=headers,
                       data={"email": "y@example.org", "password": "wrong pw"}).status_code == 429
    other_address = {"X-Forwarded-For": "203.0.113.10"}
    assert client.post("/login", headers=other_address,
                       data={"email": "y@example.org", "password": "wrong pw"}).status_code == 401
    behind.extensions["db_engine"].dispose()


def test_untrusted_forwarded_headers_are_ignored(app, make_user):
    user = make_user()
    response = app.test_client().post("/login", headers={"X-Forwarded-Proto": "https"},
                                      data={"email": user.email, "password": PASSWORD})
    assert "Secure" not in session_cookie(response)


def test_session_is_renewed_at_login(csrf_client, make_user):
    user = make_user()
    page = csrf_client.get("/login")
    before = session_cookie(page)
    assert before is not None
    token = soup(page).select_one("input[name=csrf_token]")["value"]
    response = csrf_client.post("/login", data={"email": user.email, "password": PASSWORD,
                                                "csrf_token": token})
    after = session_cookie(response)
    value = lambda header: header.split(";")[0].split("=", 1)[1]  # noqa: E731
    assert value(before) != value(after)
    # The pre-login CSRF token was dropped with the old session: a form from before fails.
    assert csrf_client.post("/logout", data={"csrf_token": token}).status_code == 400
    fresh = soup(csrf_client.get("/account")).select_one("input[name=csrf_token]")["value"]
    assert fresh != token


def test_pre_login_session_data_does_not_survive_login(app, make_user):
    user = make_user()
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["_user_id"] == f"{user.id}:{user.session_token}"


# --- Headers --------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/login", "/register", "/does-not-exist"])
def test_security_headers(client, path):
    response = client.get(path)
    csp = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert csp["frame-ancestors"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_account_pages_have_no_inline_script(client, make_user, login):
    login(make_user("admin"))
    for path in ["/account", "/admin/users/", "/login", "/register", "/password/forgot"]:
        for script in soup(client.get(path)).select("script"):
            assert script.get("src") and not script.get_text(strip=True), path


# --- Rate limits ----------------------------------------------------------------------------

def test_failed_logins_per_account_slow_down(app, client, make_user, login):
    user = make_user()
    app.extensions["ratelimit"].clock = lambda: 1_000_000.0  # time stands still
    for _ in range(5):
        assert login(user, "wrong password").status_code == 401
    blocked = login(user)  # even the right password waits now
    assert blocked.status_code == 429
    assert blocked.headers["Retry-After"] == "1"
    message = soup(blocked).select_one(".lead").get_text()
    assert message == "Too many failed log-in attempts. Try again in 1 second."
    assert client.get("/account").status_code == 302
    other = make_user()
    assert login(other).status_code == 302


def test_unknown_email_is_limited_the_same_way(app, client, login):
    app.extensions["ratelimit"].clock = lambda: 1_000_000.0
    for _ in range(5):
        assert login("ghost@example.org", "wrong password").status_code == 401
    assert login("ghost@example.org", "wrong password").status_code == 429


def test_success_resets_the_account_counter(client, make_user, login):
    user = make_user()
    for _ in range(4):
        login(user, "wrong password")
    assert login(user).status_code == 302
    client.post("/logout")
    for _ in range(4):
        assert login(user, "wrong password").status_code == 401
    assert login(user).status_code == 302


def test_failed_logins_per_address_are_limited(app, client, login):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 3
    for n in range(3):
        assert login(f"user{n}@example.org", "wrong password").status_code == 401
    response = login("user9@example.org", "wrong password")
    assert response.status_code == 429
    assert "Try again in 15 minutes" in soup(response).select_one(".lead").get_text()


def test_password_reset_requests_are_limited(app, client):
    app.config["PASSWORD_RESET_MAX_PER_ADDRESS"] = 2
    for _ in range(2):
        assert client.post("/password/forgot", data={"email": "a@example.org"}).status_code == 200
    assert client.post("/password/forgot", data={"email": "a@example.org"}).status_code == 429


def test_database_backend_window_ends(app):
    now = [1000.0]
    backend = DatabaseBackend(lambda: app.extensions["db_engine"])
    limiter = Limiter(backend, clock=lambda: now[0])
    for _ in range(3):
        limiter.fail("k", window=60)
    assert backend.peek(limiter.prefix + "k", now[0]) == Count(3, 1060.0, 1000.0)
    now[0] += 45
    assert backend.peek(limiter.prefix + "k", now[0]).count == 3
    now[0] += 16
    assert backend.peek(limiter.prefix + "k", now[0]) == NOTHING
    assert limiter.fail("k", window=60) == 1


def redis_or_skip() -> RedisBackend:
    """A Redis backend on the local server, or skip when none runs."""
    import redis

    backend = RedisBackend(REDIS_URL)
    try:
        backend.client.ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    return backend


@pytest.fixture
def redis_prefix():
    """A unique key prefix, and the keys deleted afterwards."""
    backend = redis_or_skip()
    prefix = f"gallery-test:{uuid.uuid4().hex}:"
    yield prefix
    keys = list(backend.client.scan_iter(match=prefix + "*"))
    if keys:
        backend.client.delete(*keys)
    backend.client.close()


def test_redis_backend_counts_and_expires(redis_prefix):
    backend = RedisBackend(REDIS_URL)
    limiter = Limiter(backend, redis_prefix)
    assert backend.peek(redis_prefix + "a", time.time()) == NOTHING
    assert limiter.fail("a", window=60) == 1
    assert limiter.fail("a", window=60) == 2
    assert 59 <= backend.peek(redis_prefix + "a", time.time()).ends - time.time() <= 60
    assert 55 <= backend.client.ttl(redis_prefix + "a") <= 61
    limiter.reset("a")
    assert backend.peek(redis_prefix + "a", time.time()) == NOTHING
    backend.client.close()


def test_login_limits_live_in_redis_when_configured(make_app, make_user, redis_prefix):
    user = make_user()
    first = make_app(RATELIMIT_REDIS_URL=REDIS_URL, RATELIMIT_KEY_PREFIX=redis_prefix)
    second = make_app(RATELIMIT_REDIS_URL=REDIS_URL, RATELIMIT_KEY_PREFIX=redis_prefix)
    for _ in range(5):
        assert first.test_client().post("/login", data={"email": user.email,
                                                       "password": "wrong pw"}).status_code == 401
    # Another worker (another app, same Redis) sees the same counters.
    response = second.test_client().post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    backend = first.extensions["ratelimit"].backend
    key = f"{redis_prefix}login:pair:127.0.0.1:{user.email}"
    assert int(backend.client.hget(key, "count")) == 5
    for other in (first, second):
        other.extensions["ratelimit"].backend.client.close()
        other.extensions["db_engine"].dispose()


def test_redis_down_does_not_lock_everyone_out(make_app, make_user, caplog):
    user = make_user()
    other = make_app(RATELIMIT_REDIS_URL="redis://127.0.0.1:1/0")
    with caplog.at_level(logging.ERROR, logger="gallery.ratelimit"):
        response = other.test_client().post("/login", data={"email": user.email,
                                                            "password": PASSWORD})
    assert response.status_code == 302
    assert re.search(r"Redis unavailable", caplog.text)
    other.extensions["ratelimit"].backend.client.close()
    other.extensions["db_engine"].dispose()
