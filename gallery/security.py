"""Security headers, Secure session cookies over HTTPS, trusted proxies and the CSRF error page."""
from __future__ import annotations

from flask import Flask, Response, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError
from werkzeug.middleware.proxy_fix import ProxyFix

from gallery.errors import error_response

CSP = ("default-src 'self'; img-src 'self' data: blob:; media-src 'self'; style-src 'self'; "
       "script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors 'none'")

# Embed pages (views/embed.py) are made to sit in other sites' iframes; every other page is not.
FRAMEABLE_BLUEPRINTS = ("embed",)
CSP_FRAMEABLE = CSP.replace("frame-ancestors 'none'", "frame-ancestors *")

SMALL_FORM_BLUEPRINTS = ("auth", "admin_users")

CSRF_MESSAGE = ("This form has expired or did not come from this site. "
                "Go back, reload the page and try again.")


class SessionInterface(SecureCookieSessionInterface):
    """Signed cookie sessions whose cookie is Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when configured, or per request when this request is HTTPS."""
        if app.config["SESSION_COOKIE_SECURE"]:
            return True
        return has_request_context() and request.is_secure


def init_app(app: Flask) -> None:
    """Add security headers, the per-request Secure session cookie and the CSRF error page."""
    app.session_interface = SessionInterface()
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    def cap_small_forms() -> None:
        # Account and admin forms are small: a low cap (long passwords still fit) keeps big
        # bodies out. It runs first, before CSRFProtect reads the form.
        if request.blueprint in SMALL_FORM_BLUEPRINTS:
            request.max_content_length = app.config["AUTH_MAX_CONTENT_LENGTH"]

    app.before_request_funcs.setdefault(None, []).insert(0, cap_small_forms)

    @app.after_request
    def headers(response: Response) -> Response:
        frameable = has_request_context() and request.blueprint in FRAMEABLE_BLUEPRINTS
        response.headers.setdefault("Content-Security-Policy", CSP_FRAMEABLE if frameable else CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if not frameable:
            response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return error_response(400, CSRF_MESSAGE)
