"""Acceptance of the terms of use before downloading."""
from __future__ import annotations

from dataclasses import dataclass

import markdown
import nh3
from markupsafe import Markup

from gallery import policy
from gallery.extensions import db
from gallery.models import SiteText, User
from gallery.services import accounts
from gallery.services.errors import ValidationError


def accept(user: User, version: int | None = None) -> None:
    """Record that the user accepted the terms version in force (refused if they read an older one)."""
    current = policy.current_terms_version()
    if version is not None and version != current:
        raise ValidationError("The terms changed while you were reading them; please read them again.",
                              field="version")
    accounts.accept_terms(user, current)


@dataclass
class TermsText:
    """The terms in force, ready for a page."""

    title: str
    html: Markup
    version: int


def current_text() -> TermsText:
    """The stored terms of use rendered to safe HTML (a pointer to /terms when none is stored)."""
    row = db.session.get(SiteText, "terms")
    if row is None:
        return TermsText("Terms of use", Markup('<p>Read the <a href="/terms">terms of use</a> '
                                                 "of this library.</p>"), 1)
    html = markdown.markdown(row.body or "", extensions=["sane_lists"])
    return TermsText(row.title, Markup(nh3.clean(html, url_schemes={"http", "https", "mailto"})),
                     row.version)
