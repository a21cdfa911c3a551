"""Whoosh only: schema, outbox drain, query. (Built out in the search issue.)"""
from __future__ import annotations


def after_commit() -> None:
    """Drain the search outbox after a commit; the search issue fills this in."""
