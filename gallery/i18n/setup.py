"""Installing the interface's languages in the app: Flask-Babel, the URL prefix, names and formats."""
from __future__ import annotations

import flask_babel
from flask import Flask, Response, request
from flask_babel import Babel

from gallery.i18n import formatting, jsstrings, locale, names, service_messages, terms

babel = Babel()


def init_app(app: Flask) -> None:
    """Install the catalogues, the /fr and /es prefixes, the switcher and the per-language filters."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", locale.DEFAULT)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    babel.init_app(app, locale_selector=locale.select)
    app.wsgi_app = locale.LanguagePrefix(app.wsgi_app)
    locale.unprefix_file_urls(app)
    app.add_url_rule("/language/<code>", "set_language", locale.set_language)
    env = app.jinja_env
    env.filters["filesize"] = formatting.filesize
    env.filters["date"] = formatting.format_date
    env.filters["datetime"] = formatting.format_datetime
    env.filters["number"] = formatting.number
    env.filters["datetime_short"] = formatting.datetime_short
    env.filters["country_name"] = names.country_name
    env.filters["category_name"] = names.category_name
    env.filters["by_name"] = names.sorted_by_name
    env.filters["country_options"] = names.country_options
    env.filters["term"] = terms.term
    env.filters["lightbox_name"] = terms.lightbox_name
    env.filters["message"] = service_messages.translate
    env.globals["js_strings"] = jsstrings.catalogue

    @app.before_request
    def fresh_locale() -> None:
        # Flask-Babel keeps the locale on g, which an app context can hold across requests.
        flask_babel.refresh()

    @app.context_processor
    def language() -> dict:
        return {"lang": locale.current(), "language_links": locale.links(),
                "language_names": locale.LANGUAGES,
                "canonical_url": locale.canonical_url()}

    @app.after_request
    def vary(response: Response) -> Response:
        # An unprefixed page speaks the cookie's or the browser's language: caches must keep them apart.
        if locale.PREFIX_KEY not in request.environ and response.mimetype == "text/html":
            response.vary.add("Accept-Language")
            response.vary.add("Cookie")
        return response
