"""Permission checks of the editorial use cases: who may change the catalogue."""
from __future__ import annotations

from typing import Any

from gallery import policy
from gallery.exceptions import Forbidden


def require_staff(user: Any) -> None:
    """Editors and admins only."""
    if not policy.is_staff(user):
        raise Forbidden("Only editors and admins may do this.")


def require_admin(user: Any) -> None:
    """Admins only."""
    if not policy.is_staff(user) or not user.is_admin:
        raise Forbidden("Only admins may do this.")
