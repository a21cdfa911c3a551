"""Acceptance of the terms of use before downloading."""
from __future__ import annotations

from gallery import policy
from gallery.extensions import db
from gallery.models import User, utcnow
from gallery.services.errors import ValidationError


def accept(user: User, version: int | None = None) -> None:
    """Record that the user accepted the terms version in force (or the one shown to them)."""
    current = policy.current_terms_version()
    if version is not None and version != current:
        raise ValidationError("The terms changed while you were reading them; please read them again.",
                              field="version")
    user.terms_version = current
    user.terms_accepted_at = utcnow()
    db.session.commit()
