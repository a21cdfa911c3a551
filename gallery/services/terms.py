"""Acceptance of the terms of use before downloading."""
from __future__ import annotations

from gallery import policy
from gallery.exceptions import ValidationError
from gallery.models import User
from gallery.services import accounts


def accept(user: User, version: int | None = None) -> None:
    """Record that the user accepted the terms version in force (refused if they read an older one)."""
    current = policy.current_terms_version()
    if version is not None and version != current:
        raise ValidationError("The terms changed while you were reading them; please read them again.",
                              field="version")
    accounts.accept_terms(user, current)

