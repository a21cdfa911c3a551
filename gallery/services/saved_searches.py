"""Saved searches: a user's searches kept by name, run again, with an optional daily e-mail."""
from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select

from gallery import clock, policy
from gallery.exceptions import NotFound, ValidationError
from gallery.extensions import db
from gallery.i18n.service_messages import N_
from gallery.models import SavedSearch, SavedSearchSeen
from gallery.services import fields, search
from gallery.services.search.args import parse_filters, search_args

MAX_PER_USER = 50
MAX_NAME = 120
# Most results a digest compares with what it already sent (the newest by date: new items are in).
DIGEST_WINDOW = 5000


def list_for(user: Any) -> list[SavedSearch]:
    """The user's saved searches, newest first."""
    return list(db.session.scalars(select(SavedSearch).where(SavedSearch.user_id == user.id)
                                   .order_by(SavedSearch.created_at.desc(), SavedSearch.id.desc())))


def get(user: Any, saved_id: int) -> SavedSearch:
    """One of the user's saved searches; another user's is not found."""
    saved = db.session.get(SavedSearch, saved_id)
    if saved is None or saved.user_id != user.id:
        raise NotFound("That saved search does not exist.")
    return saved


def save(user: Any, name: str, args: dict[str, str], email_daily: bool = False) -> SavedSearch:
    """Keep a search (its query and filters) under a name; with e-mail, today's results count as seen."""
    if not policy.is_authenticated(user):
        raise ValidationError("Log in to save a search.")
    name = _name(name)
    kept = search_args(args)
    if not kept:
        raise ValidationError("Search for something (or choose a filter) before saving.", "q")
    count = db.session.scalar(select(func.count()).select_from(SavedSearch).where(SavedSearch.user_id == user.id))
    if count >= MAX_PER_USER:
        raise ValidationError(N_("You can keep up to %(limit)s saved searches: delete one first.", limit=MAX_PER_USER))
    saved = SavedSearch(user_id=user.id, name=name, args=kept, email_daily=False)
    db.session.add(saved)
    db.session.flush()
    if email_daily:
        set_email(user, saved, True)
    db.session.commit()
    return saved


def set_email(user: Any, saved: SavedSearch, on: bool) -> None:
    """Turn the daily e-mail on (what matches now is not news: the first mail comes a day later) or off."""
    if saved.email_daily == on:
        return
    saved.email_daily = on
    if on:
        db.session.execute(delete(SavedSearchSeen).where(SavedSearchSeen.saved_search_id == saved.id))
        mark_seen(saved, matching_ids(saved, user))
        saved.checked_at = clock.now()


def remove(user: Any, saved_id: int) -> None:
    """Delete one of the user's saved searches."""
    saved = get(user, saved_id)
    db.session.execute(delete(SavedSearchSeen).where(SavedSearchSeen.saved_search_id == saved.id))
    db.session.delete(saved)
    db.session.commit()


def update_email(user: Any, saved_id: int, on: bool) -> SavedSearch:
    """Turn a saved search's daily e-mail on or off from the account page."""
    saved = get(user, saved_id)
    set_email(user, saved, on)
    db.session.commit()
    return saved


def matching_ids(saved: SavedSearch, user: Any) -> list[int]:
    """Ids of what the saved search finds for this user now (the DIGEST_WINDOW newest by date)."""
    args = saved.args or {}
    _total, ids = search.matching_ids(args.get("q", ""), user, parse_filters(args), DIGEST_WINDOW,
                                      sort="newest")
    return ids


def mark_seen(saved: SavedSearch, ids: list[int]) -> None:
    """Remember these assets as already told about."""
    if ids:
        db.session.execute(SavedSearchSeen.__table__.insert(),
                           [{"saved_search_id": saved.id, "asset_id": i} for i in dict.fromkeys(ids)])


def unseen(saved: SavedSearch, ids: list[int]) -> list[int]:
    """The ids the owner was not told about yet, in the order given."""
    seen = set(db.session.scalars(select(SavedSearchSeen.asset_id).where(
        SavedSearchSeen.saved_search_id == saved.id)))
    return [i for i in ids if i not in seen]


def _name(name: str) -> str:
    return fields.text(name, "name", MAX_NAME, required=True, label="The name")
