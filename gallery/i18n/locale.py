"""Which language a request speaks: the URL prefix, then the switcher's cookie, then Accept-Language."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from flask import Flask, has_request_context, redirect, request
from flask_babel import get_locale

LANGUAGES = {"en": "English", "fr": "Français", "es": "Español"}
DEFAULT = "en"
COOKIE = "lang"
PREFIX_KEY = "gallery.language"
BASE_KEY = "gallery.script_root"  # SCRIPT_NAME before the language prefix was moved into it
# Files are the same bytes in every language, and the APIs, IIIF and the feed speak English:
# their URLs stay unprefixed (one cached copy, one id per IIIF resource).
UNPREFIXED_ENDPOINTS = ("static", "media.", "iiif.", "api.", "api_", "feeds.")


class LanguagePrefix:
    """WSGI middleware: /fr/… and /es/… (and /en/…) reach the same routes with the language noted.

    The prefix moves from PATH_INFO to SCRIPT_NAME, so every blueprint stays unchanged and
    url_for builds links that keep the prefix.
    """

    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        path = environ.get("PATH_INFO", "")
        for code in LANGUAGES:
            prefix = f"/{code}"
            if path == prefix or path.startswith(prefix + "/"):
                script = environ.get("SCRIPT_NAME", "")
                environ[BASE_KEY] = script
                environ[PREFIX_KEY] = code
                environ["SCRIPT_NAME"] = script + prefix
                environ["PATH_INFO"] = path[len(prefix):] or "/"
                break
        return self.app(environ, start_response)


def select() -> str:
    """The language of this request (Flask-Babel's locale selector)."""
    if not has_request_context():
        return DEFAULT
    code = request.environ.get(PREFIX_KEY)
    if code:
        return code
    if request.path.startswith("/api/"):  # the JSON API speaks English whatever the browser says
        return DEFAULT
    cookie = request.cookies.get(COOKIE)
    if cookie in LANGUAGES:
        return cookie
    return request.accept_languages.best_match(list(LANGUAGES), default=DEFAULT)


def current() -> str:
    """The language code of the request ('en' outside one)."""
    return str(get_locale() or DEFAULT) if has_request_context() else DEFAULT


def _base_root() -> str:
    """This site's root path without any language prefix (the script name)."""
    # Root-relative, like every other link of the page (a test holds pages to local URLs); the
    # browser and crawlers resolve it against the page's own address.
    return request.environ.get(BASE_KEY, request.script_root)


def url_in(code: str, path: str | None = None) -> str:
    """The URL (root-relative) of a path (default: this page) in a language; English has no prefix."""
    if path is None:
        path = request.full_path.rstrip("?")
    return _base_root() + ("" if code == DEFAULT else f"/{code}") + path


@dataclass
class LanguageLink:
    """One language of the current page, for hreflang alternates and the switcher."""

    code: str
    label: str
    url: str
    switch_url: str
    current: bool


def links() -> list[LanguageLink]:
    """This page in every language (empty outside a request)."""
    if not has_request_context():
        return []
    here = current()
    path = request.full_path.rstrip("?")
    base = request.environ.get(BASE_KEY, request.script_root)
    return [LanguageLink(code, label, url_in(code, path),
                         f"{base}/language/{code}?next={_quote(path)}", code == here)
            for code, label in LANGUAGES.items()]


def external_url_in(code: str, endpoint: str, **values: Any) -> str:
    """The absolute URL of endpoint in language code, whatever this page's language (links in mail)."""
    from flask import url_for

    url = url_for(endpoint, _external=True, **values)
    here = request.url_root  # scheme, host and script root: with this page's language prefix
    if url.startswith(here):
        root = request.host_url.rstrip("/") + _base_root()
        url = root + ("" if code == DEFAULT else f"/{code}") + "/" + url[len(here):]
    return url


def canonical_url() -> str:
    """The one URL of this page in its language (English unprefixed)."""
    return url_in(current()) if has_request_context() else ""


def set_language(code: str, target: str | None = None):
    """The header's switcher: remember the language in a cookie and show the page (or target) in it."""
    from gallery.views.access import safe_next

    if code not in LANGUAGES:
        from gallery.errors import error_response

        return error_response(404)
    target = target or safe_next(request.args.get("next")) or "/"
    base = request.environ.get(BASE_KEY, request.script_root)
    response = redirect(base + ("" if code == DEFAULT else f"/{code}") + target)
    response.set_cookie(COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax",
                        secure=request.is_secure, httponly=True)
    return response


def unprefix_file_urls(app: Flask) -> None:
    """Make url_for leave the language prefix out of static and media file URLs."""
    build = app.url_for

    def url_for(endpoint: str, *args: Any, **values: Any) -> str:
        url = build(endpoint, *args, **values)
        if has_request_context() and PREFIX_KEY in request.environ and (
                endpoint == "static" or endpoint.startswith(UNPREFIXED_ENDPOINTS[1:])):
            prefixed, base = request.script_root + "/", request.environ[BASE_KEY] + "/"
            start = url.find("/", url.find("://") + 3) if "://" in url else 0  # after the host
            if url.startswith(prefixed, start):
                url = url[:start] + base + url[start + len(prefixed):]
        return url

    app.url_for = url_for  # flask.url_for calls current_app.url_for
    app.jinja_env.globals["url_for"] = url_for  # templates got the method before it was wrapped


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")
