"""Hostile input stopped at the edge: ids no table can hold, NUL bytes, lone surrogates, deep JSON.

PostgreSQL's `integer` ends at 2**31 - 1 and its text cannot hold a NUL byte; a lone UTF-16
surrogate (legal in JSON as "\\ud800") has no UTF-8 form on either database. Each of these used to
reach a query and fail there with a 500. Here a URL id out of range matches no route (404), and
one request hook refuses such characters anywhere the views read input (400, or 404 in the path).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter, Map

from gallery.exceptions import ValidationError
from gallery.i18n.service_messages import N_, term
from gallery.services.fields import MAX_INT, MIN_INT

# A NUL byte, or half of a surrogate pair on its own.
UNSAFE = re.compile("[\x00\ud800-\udfff]")
# Headers the app reads as input (the bearer token, the CSRF token of fetch requests).
INPUT_HEADERS = ("Authorization", "X-CSRFToken")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")
BAD_CHARACTER = N_("(a NUL byte or an unpaired surrogate)")


class IdConverter(IntegerConverter):
    """`<int:...>` URL parts: ASCII digits within the database's integer range, else a 404."""

    regex = r"[0-9]+"

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = MAX_INT, signed: bool = False) -> None:
        if signed and min is None:
            min = MIN_INT
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app: Flask) -> None:
    """Bound `<int:...>` URL parts (before any blueprint adds a rule) and check every request's input."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_unsafe_input)


def refuse_unsafe_input() -> None:
    """Refuse a request whose path, query, headers, form or JSON body holds an unsafe character."""
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and UNSAFE.search(value):
            abort(404)  # no slug, code or key can hold one: nothing is there
    _check_pairs(request.args.items(multi=True), N_("query argument"))
    for name in INPUT_HEADERS:
        if UNSAFE.search(request.headers.get(name, "")):
            raise ValidationError(N_("The %(name)s header contains a character that is not allowed %(what)s.",
                                     name=name, what=term(BAD_CHARACTER)), field=name)
    if request.method not in BODY_METHODS:
        return
    if request.mimetype in FORM_TYPES:
        _check_pairs(request.form.items(multi=True), N_("form field"))
        for name, upload in request.files.items(multi=True):
            _check_pairs([(name, upload.filename or "")], N_("file name of"))
    elif request.is_json:
        if not request.path.startswith("/api/"):
            # Pages take the forms they render; only the API reads JSON (Flask-WTF would pass
            # numbers and lists to fields that expect text).
            abort(415, "This address takes form posts, not JSON. Programs use the JSON API "
                       "under /api/.")
        _check_json(_json_body())


def _json_body() -> Any:
    """The parsed JSON body; None when it is not JSON (the view answers that), 400 when too deep."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        raise ValidationError("The JSON body is nested too deeply.", field="body") from None


def _check_pairs(pairs: Iterable[tuple[str, str]], kind: str) -> None:
    """400 naming the first key whose name or value holds an unsafe character."""
    for key, value in pairs:
        if UNSAFE.search(key) or UNSAFE.search(value):
            name = _shown(key)
            raise ValidationError(N_("The %(kind)s “%(name)s” contains a character that is not allowed %(what)s.",
                                     kind=term(kind), name=name, what=term(BAD_CHARACTER)), field=name)


def _check_json(body: Any) -> None:
    """400 naming the first field of a JSON body whose key or text holds an unsafe character."""
    stack: list[tuple[str, Any]] = [("body", body)]
    while stack:  # iterative: a body may nest as deep as the parser allows
        field, value = stack.pop()
        if isinstance(value, str) and UNSAFE.search(value):
            raise ValidationError(N_("The field “%(name)s” contains a character that is not allowed %(what)s.",
                                     name=field, what=term(BAD_CHARACTER)), field=field)
        if isinstance(value, dict):
            for key, item in value.items():
                if UNSAFE.search(key):
                    raise ValidationError(N_("A field name contains a character that is not allowed %(what)s.",
                                             what=term(BAD_CHARACTER)), field="body")
                stack.append((key if field == "body" else field, item))
        elif isinstance(value, list):
            stack.extend((field, item) for item in value)


def _shown(name: str) -> str:
    """A name fit to echo in an error message (the unsafe characters replaced)."""
    return UNSAFE.sub("\N{REPLACEMENT CHARACTER}", name)[:100]
