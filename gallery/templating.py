"""Jinja setup: filters and values every template can use."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from flask import Flask, current_app, has_request_context, request, url_for
from flask_login import current_user
from markupsafe import Markup
from werkzeug.datastructures import iter_multi_items

from gallery import clock, policy
from gallery.formats.imaging import BLUR_VERSION
from gallery.i18n import locale
from gallery.i18n.formatting import filesize, format_date  # noqa: F401 (re-exported; Babel-aware)
from gallery.services import rights, translations

# A number no real id has: url_for builds a URL around it once, ids are put in its place after.
_MARK = 918273645


def init_app(app: Flask) -> None:
    """Register filters and the global template context."""
    app.jinja_env.filters["filesize"] = filesize
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["atom_time"] = atom_time
    app.jinja_env.globals["url_with"] = url_with
    app.jinja_env.globals["page_window"] = page_window
    app.jinja_env.globals["asset_url"] = asset_url
    app.jinja_env.globals["rendition_url"] = rendition_url
    app.jinja_env.globals["asset_link"] = asset_link
    app.jinja_env.globals["is_public_file"] = policy.is_public_file  # share cards: the public's view
    app.jinja_env.globals["thumb_size"] = thumb_size
    app.jinja_env.globals["reveals"] = reveals
    app.jinja_env.globals["gallery_url"] = gallery_url
    app.jinja_env.globals["today"] = clock.today  # the schedules' clock (rights expiry notices)
    app.jinja_env.globals["rights_of"] = rights.of
    # Content in the visitor's language where translated (services/translations.py): a text
    # with .lang; `lang_attr` marks an element whose text is in another language than the page.
    app.jinja_env.globals["localized"] = lambda obj, field: translations.localized(
        obj, field, locale.current())
    app.jinja_env.globals["title_of"] = lambda asset: translations.display_title(
        asset, locale.current())
    app.jinja_env.globals["alt_of"] = lambda asset: translations.image_alt(asset, locale.current())
    app.jinja_env.filters["lang_attr"] = lang_attr
    app.jinja_env.globals["content_languages"] = locale.LANGUAGES
    app.jinja_env.globals["language_of"] = translations.language_of
    app.jinja_env.globals["translation_of"] = translations.translation
    app.jinja_env.globals["translated_names"] = lambda names: [
        f"{name}_{code}" for name in names for code in locale.LANGUAGES]

    @app.context_processor
    def site() -> dict:
        return {"site_name": app.config["SITE_NAME"], "organisation": app.config["ORGANISATION"]}


def lang_attr(text, xml: bool = False) -> Markup:
    """ lang="fr" (xml:lang in feeds) when a localized text is in another language than the page."""
    if getattr(text, "foreign", False):
        return Markup(' xml:lang="%s"' if xml else ' lang="%s"') % text.lang
    return Markup("")


def gallery_url(gallery, **kwargs) -> str:
    """Canonical URL of a gallery page: /galleries/<id>-<slug>."""
    return url_for("browse.gallery", gallery_ref=f"{gallery.id}-{gallery.slug}", **kwargs)


def asset_url(asset, **kwargs) -> str:
    """URL of an asset page (kwargs: url_for's; _external alone keeps the per-request shortcut)."""
    if kwargs.keys() - {"_external"}:
        return url_for("browse.asset", asset_id=asset.id, **kwargs)
    head, tail = _url_around_id("browse.asset", **kwargs)
    return f"{head}{asset.id}{tail}"


def asset_link(endpoint: str, asset) -> str:
    """URL of any page that takes just an asset_id (manage pages list a hundred items, three links each)."""
    head, tail = _url_around_id(endpoint)
    return f"{head}{asset.id}{tail}"


def rendition_url(asset, size: str, **kwargs) -> str:
    """URL of a rendition file (served through the policy check), carrying its version."""
    if kwargs.keys() - {"_external"}:
        return url_for("media.rendition", asset_id=asset.id, size=size, v=rendition_version(asset, size),
                       **kwargs)
    head, tail = _url_around_id("media.rendition", size=size, **kwargs)  # _external=True: the API
    return f"{head}{asset.id}{tail}?v={rendition_version(asset, size)}"


def rendition_version(asset, size: str) -> str:
    """What changes when a rendition's bytes can: the original's hash (and the blur recipe)."""
    # Renditions are made from the original, so the same hash means the same bytes: with the
    # version in the URL, public renditions may be cached for a year as immutable. (A video's
    # thumb and preview are replaced once, by its first proxy pass, before it can be public.)
    version = asset.sha256[:12]
    return f"{version}.{BLUR_VERSION}" if size == policy.BLURRED else version


def reveals(asset) -> bool:
    """Whether the current user sees this asset for real rather than its blurred thumb."""
    return policy.reveals(current_user, asset)


def thumb_size(asset) -> str:
    """The thumb the current user gets of this asset in grids and covers: thumb or blurred."""
    return policy.thumb_size_for(current_user, asset)


def _url_around_id(endpoint: str, **values) -> tuple[str, str]:
    """url_for once per request and endpoint: a gallery page links 2,000 tiles four times each."""
    # On the request, not on g: an app context (CLI, tests) can outlive several requests.
    cache = request.__dict__.setdefault("_url_around_id", {}) if has_request_context() else {}
    key = (endpoint, *values.items())
    found = cache.get(key)
    if found is None:
        head, _mark, tail = url_for(endpoint, asset_id=_MARK, **values).partition(str(_MARK))
        found = cache[key] = (head, tail)
    return found


def url_with(**changes) -> str:
    """The current URL with some query arguments changed (None removes one)."""
    view_args = request.view_args or {}
    # Drop keys that would clash with the route's own arguments or url_for's _keywords.
    args = {k: v for k, v in request.args.items() if k not in view_args and not k.startswith("_")}
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = value
    path = _path_of_request()
    if path is None:
        return url_for(request.endpoint, **view_args, **args)
    # What url_for appends (Werkzeug's encoding), without building the route again for each of
    # a results page's 60 links (facet values, sorts, pages): 0.1 ms each.
    return f"{path}?{urlencode(list(iter_multi_items(args)), safe=_QUERY_SAFE)}" if args else path


_QUERY_SAFE = "!$'()*,/:;?@"  # Werkzeug's safe characters in a query string (url_for's)


def _path_of_request() -> str | None:
    """url_for of this request's endpoint and route arguments, once per request; None when the
    endpoint has several routes or defaults (query arguments could pick another route)."""
    if "_url_with_path" not in request.__dict__:
        rules = list(current_app.url_map.iter_rules(request.endpoint)) if request.endpoint else []
        plain = len(rules) == 1 and not rules[0].defaults
        request.__dict__["_url_with_path"] = (url_for(request.endpoint, **(request.view_args or {}))
                                              if plain else None)
    return request.__dict__["_url_with_path"]


def duration(seconds: float | None) -> str:
    """m:ss or h:mm:ss."""
    if seconds is None:
        return ""
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def atom_time(when: dt.datetime | None) -> str:
    """An RFC 3339 time in UTC for feeds (stored times are naive UTC); now when there is none."""
    when = when or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    return when.replace(microsecond=0).isoformat() + "Z"


def page_window(page: int, pages: int) -> list[int | None]:
    """The pager's entries: first, last and two either side of this page; None marks a gap."""
    # Only these few numbers: looping over every page in the template cost 1,667 iterations
    # a request at 40,000 galleries.
    candidates = sorted({1, pages, *range(max(1, page - 3), min(pages, page + 3) + 1)})
    out: list[int | None] = []
    for n in candidates:
        if n == 1 or n == pages or abs(n - page) <= 2:
            out.append(n)
        elif abs(n - page) == 3:
            out.append(None)
    return out
