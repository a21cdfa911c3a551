"""Manage pages for editors and admins: galleries, assets, trash, jobs, categories, site texts."""
from __future__ import annotations

# Each module adds its routes to the one blueprint, which lives in a module of its own.
from gallery.views.manage import admin, assets, galleries, jobs  # noqa: F401
from gallery.views.manage.blueprint import bp

__all__ = ["bp"]
