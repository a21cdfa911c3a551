"""OAI-PMH 2.0 at /oai: metadata harvesting by archives, museums and aggregators (services/oai.py)."""
from __future__ import annotations

from flask import Blueprint, request, url_for

from gallery.extensions import csrf
from gallery.services import oai

bp = Blueprint("oai", __name__)


@bp.route("/oai", methods=["GET", "POST"])
@csrf.exempt  # the protocol's POST form carries no session and changes nothing
def endpoint():
    """Answer one OAI-PMH request (GET query or POST form); protocol errors are XML with status 200."""
    pairs = list((request.form if request.method == "POST" else request.args).items(multi=True))
    body = oai.respond(pairs, url_for("oai.endpoint", _external=True), request.host)
    return body, 200, {"Content-Type": "text/xml; charset=utf-8"}
