"""The unit of work: every use case ends in one commit, then its after-commit steps."""
from __future__ import annotations

import functools
from typing import Callable, Iterable, ParamSpec, TypeVar

from gallery.extensions import db
from gallery.services import jobs, search

P = ParamSpec("P")
R = TypeVar("R")


def commit(after: Callable[[], None] | None = None, *, drain: bool = True,
           look_at: Iterable[int] = (), queue: str = "default") -> None:
    """Commit once (roll back if that fails), apply the search change log, queue work, then run after (file clean-up).

    Change log entries and gallery counts are written before this, in the same transaction, so they
    can never disagree with the change; files and the index cannot roll back, so they come after.
    drain=False is for changes no search document holds (accounts, tokens, download logs): they
    skip the index lock (with SEARCH_WRITER = "sync" no commit applies the log: each server's
    search-sync does). look_at: assets whose pending pieces (marked by services/work.py in this
    transaction) are queued for the workers on `queue`; never before the commit, so a worker
    never looks before the rows are there.
    """
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    if drain:
        search.after_commit()
    jobs.look_at(look_at, queue)
    if after is not None:
        after()


def use_case(work: Callable[P, R]) -> Callable[P, R]:
    """Decorate a use case: if it raises (a domain error included), its changes are rolled back.

    So a view that catches the error only has to show the message: nothing half-done stays in
    the session, to be shown on the page or written by a later commit.
    """
    @functools.wraps(work)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return work(*args, **kwargs)
        except BaseException:
            db.session.rollback()
            raise
    return run
