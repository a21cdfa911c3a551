"""The daily e-mail of saved searches: what is new since the last look, sent through the job engine.

A saved search with the e-mail on is due a day (on gallery/clock.py's clock) after its last look.
The workers' periodic sweep sends what is due (jobs.sweep); with no worker, the first request
after a due time hands it to a thread of the app process (init_app); `gallery digests` sends it
from cron. Each search is claimed with a conditional update first, so two processes never mail
the same one twice; an asset counts as told about only after its mail went out.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, render_template, url_for
from flask_babel import force_locale, ngettext
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import or_, select, update

from gallery import clock, policy
from gallery.extensions import db
from gallery.i18n import locale
from gallery.models import Asset, SavedSearch, User
from gallery.services import accounts, mail, saved_searches

log = logging.getLogger(__name__)
DAY = dt.timedelta(days=1)
MAX_LISTED = 50  # items a mail lists; the rest are behind its link to the search
DIGEST_READ = 200  # new ids read to pick the newest MAX_LISTED (search order is relevance)
CHECK_EVERY = 60.0  # seconds between two looks from requests of one process (embedded mode)
SALT = "saved-search-unsubscribe"


def _due_clause(at: dt.datetime):
    return (SavedSearch.email_daily.is_(True),
            or_(SavedSearch.checked_at.is_(None), SavedSearch.checked_at <= at - DAY))


def anything_due() -> bool:
    """Whether a saved search's daily e-mail is due (cheap)."""
    return db.session.scalar(select(SavedSearch.id).where(*_due_clause(clock.now())).limit(1)) is not None


def send_due(limit: int = 500) -> int:
    """Send every due digest that has news; returns the number of mails sent."""
    at = clock.now()
    ids = list(db.session.scalars(select(SavedSearch.id).join(User).where(
        *_due_clause(at), User.active.is_(True)).order_by(SavedSearch.id).limit(limit)))
    sent = 0
    for saved_id in ids:
        try:
            sent += send_one(saved_id, at)
        except Exception:  # one broken search (or mail server) must not stop the others
            log.exception("digest of saved search %s failed", saved_id)
            db.session.rollback()
    return sent


def send_one(saved_id: int, at: dt.datetime) -> bool:
    """Claim one due saved search and mail its owner what is new; False when nothing is."""
    saved = db.session.get(SavedSearch, saved_id)
    if saved is None:
        return False
    claimed = db.session.execute(update(SavedSearch).where(
        SavedSearch.id == saved_id, *_due_clause(at)).values(checked_at=at)).rowcount
    db.session.commit()
    if not claimed:
        return False  # another process has it, or it is not due any more
    user = saved.user
    # A digest leaves the server: it lists what the public may see, whoever its owner is (staff
    # would otherwise be mailed drafts, embargoed and withheld items), and never sensitive ones.
    new_ids = saved_searches.unseen(saved, saved_searches.matching_ids(saved, None))
    if not new_ids:
        return False
    read = new_ids[:DIGEST_READ]
    shown = [a for a in db.session.scalars(select(Asset).where(Asset.id.in_(read)))
             if policy.can_view_asset(None, a) and not a.sensitive]
    if not shown:
        return False
    shown.sort(key=lambda a: (a.created_at, a.id), reverse=True)
    total = len(shown) + len(new_ids) - len(read)
    token = unsubscribe_token(saved)
    # In the owner's language (English when they never chose one): words, dates, country names,
    # the captions' translations and the links' /fr/ prefix.
    lang = accounts.mail_language(user)
    with public_links(lang), force_locale(lang):
        body = render_template("saved/digest.txt", saved=saved, assets=shown[:MAX_LISTED],
                               total=total, unsubscribe=token)
        one_click = url_for("saved.unsubscribe", token=token, _external=True, _scheme="https")
        subject = ngettext("%(num)s new for “%(name)s” · %(site)s", "%(num)s new for “%(name)s” · %(site)s",
                           total, name=saved.name, site=current_app.config["SITE_NAME"])
    # RFC 2369 and RFC 8058: mail clients offer "Unsubscribe", which POSTs to the link at once.
    headers = {"List-Unsubscribe": f"<{one_click}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    mail.send_mail(current_app.config, user.email, subject, body, headers)
    # Only now: a mail that failed leaves its items for the next one. Sensitive items stay unseen
    # (never listed); the ones beyond what was read count as told ("…and N more").
    listed = {a.id for a in shown}
    saved_searches.mark_seen(saved, [i for i in read if i in listed] + new_ids[len(read):])
    saved.mailed_at = at
    db.session.commit()
    return True


@contextlib.contextmanager
def public_links(lang: str = locale.DEFAULT) -> Iterator[None]:
    """A request context in lang whose url_for(_external=True) gives the site's public address (PUBLIC_URL)."""
    base = (current_app.config.get("PUBLIC_URL") or "http://localhost").rstrip("/")
    # As the /fr prefix middleware leaves a request: the prefix in the script root, noted in the environ.
    prefix = "" if lang == locale.DEFAULT else f"/{lang}"
    environ = {locale.PREFIX_KEY: lang, locale.BASE_KEY: urlsplit(base).path}
    with current_app.test_request_context("/", base_url=base + prefix, environ_overrides=environ):
        yield


def unsubscribe_token(saved: SavedSearch) -> str:
    """A signed token that turns this search's e-mail off without logging in."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT).dumps(saved.id)


def unsubscribe_target(token: str) -> SavedSearch | None:
    """The saved search a token names, or None for a forged or unknown one."""
    try:
        saved_id = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT).loads(token)
    except BadSignature:
        return None
    return db.session.get(SavedSearch, saved_id) if isinstance(saved_id, int) else None


def unsubscribe(saved: SavedSearch) -> None:
    """Turn the daily e-mail of a saved search off (its owner followed the mail's link)."""
    saved.email_daily = False
    db.session.commit()


def init_app(app: Flask) -> None:
    """Embedded mode (no REDIS_URL): the first request after a digest falls due sends it in a thread."""
    state: dict[str, Any] = {"checked": 0.0, "thread": None}
    app.extensions["gallery.digests"] = state

    @app.before_request
    def send_due_digests() -> None:
        if time.monotonic() - state["checked"] < CHECK_EVERY:
            return
        # Read per request (not at start-up) like the job thread: the workers send them otherwise.
        if app.config.get("REDIS_URL") or not app.config.get("JOB_THREAD", True):
            return
        state["checked"] = time.monotonic()
        running = state["thread"]
        if (running is not None and running.is_alive()) or not anything_due():
            return
        state["thread"] = threading.Thread(target=_run_in, args=(app,), name="gallery-digests", daemon=True)
        state["thread"].start()


def _run_in(app: Flask) -> None:
    with app.app_context():  # its teardown closes the thread's session
        try:
            send_due()
        except Exception:  # a database gone away: the next look (or a worker) tries again
            log.exception("saved-search digests failed")
