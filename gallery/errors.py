"""Error pages: HTML for people, JSON under /api/."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from gallery.exceptions import GalleryError
from gallery.extensions import db

MESSAGES = {
    400: "The request could not be understood.",
    401: "Please log in to continue.",
    403: "You do not have permission to see this.",
    404: "There is nothing here. It may have been moved or unpublished.",
    405: "That method is not allowed here.",
    413: "The upload is too large.",
    415: "That type of file is not accepted.",
    429: "Too many attempts. Please wait a moment and try again.",
    500: "Something went wrong on our side. The problem has been logged.",
}


def wants_json() -> bool:
    """API paths answer JSON."""
    return request.path.startswith("/api/")


def error_response(status: int, message: str | None = None, field: str | None = None):
    """An error as JSON under /api/, as an HTML page elsewhere."""
    message = message or MESSAGES.get(status, "Error")
    if wants_json():
        body = {"error": {"status": status, "message": message}}
        if field:
            body["error"]["field"] = field
        return jsonify(body), status
    return render_template("errors/error.html", status=status, message=message), status


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
