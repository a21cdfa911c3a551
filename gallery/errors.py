"""Error pages: HTML for people, JSON under /api/."""
from __future__ import annotations

from typing import Any

from flask import Flask, Response, g, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException

from gallery.exceptions import GalleryError
from gallery.extensions import db
from gallery.i18n.names import N_
from gallery.i18n.service_messages import translate

# Marked for the catalogues (N_): pages show them in the visitor's language, JSON in English.
MESSAGES = {
    400: N_("The request could not be understood."),
    401: N_("Please log in to continue."),
    403: N_("You do not have permission to see this."),
    404: N_("There is nothing here. It may have been moved or unpublished."),
    405: N_("That method is not allowed here."),
    413: N_("The upload is too large."),
    415: N_("That type of file is not accepted."),
    429: N_("Too many attempts. Please wait a moment and try again."),
    500: N_("Something went wrong on our side. The problem has been logged."),
}


JSON_PATHS = ("/api/", "/iiif/", "/oembed")  # what scripts and other sites' servers read: never an HTML page


def wants_json() -> bool:
    """API, IIIF and oEmbed paths answer JSON (scripts and viewers read it), and so does any route called with an API token."""
    return request.path.startswith(JSON_PATHS) or "api_token_id" in g


def error_response(status: int, message: str | None = None, field: str | None = None, *,
                   as_json: bool | None = None, **details: Any):
    """An error as JSON under /api/ (or when as_json), as an HTML page elsewhere.

    The JSON body is always {"error": {"status", "message", "field"?, **details}}.
    """
    message = message or MESSAGES.get(status, "Error")
    if wants_json() if as_json is None else as_json:
        body: dict[str, Any] = {"status": status, "message": message}
        if field:
            body["field"] = field
        return jsonify({"error": {**body, **details}}), status
    # A page speaks the visitor's language: messages in the catalogues are translated, others
    # (built from values) stay as the service wrote them.
    return render_template("errors/error.html", status=status, message=translate(message)), status


def bearer_challenge(message: str, error: str | None = None) -> Response:
    """A 401 that asks for a bearer token (error names what was wrong with the one sent)."""
    response = make_response(error_response(401, message))
    response.headers["WWW-Authenticate"] = ('Bearer realm="gallery"'
                                            + (f', error="{error}"' if error else ""))
    return response


def init_app(app: Flask) -> None:
    """Register handlers for HTTP errors, domain errors and unexpected exceptions."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        message = MESSAGES.get(exc.code or 500) if exc.description == type(exc).description else exc.description
        return error_response(exc.code or 500, message)

    @app.errorhandler(GalleryError)
    def domain_error(exc: GalleryError):
        db.session.rollback()
        return error_response(exc.status, exc.message, exc.field)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        app.logger.exception("Unhandled error", exc_info=exc)
        db.session.rollback()
        return error_response(500)
