"""The category and country counts (gallery_tallies) equal a fresh count after every kind of change."""
from __future__ import annotations

import datetime as dt
import random
import re

import pytest
from bs4 import BeautifulSoup
from flask_login import AnonymousUserMixin
from sqlalchemy import delete, func, select

from gallery import clock
from gallery.extensions import db
from gallery.models import MEDIA_TYPES, Asset, Category, Country, Gallery, GalleryTally
from gallery.services import (
    assets,
    browsing,
    categories,
    galleries,
    integrity,
    schedule,
    tallies,
    trash,
)
from tests.test_queries import bulk_assets

START = dt.datetime(2030, 6, 1, 12, 0)
CATEGORY_NAMES = ("Health", "Shelter", "Labour")
COUNTRIES = ("KEN", "YEM", "HND", None)
ANONYMOUS = AnonymousUserMixin()


@pytest.fixture
def at(monkeypatch):
    """The schedules' clock, moved by the test: at.move(hours)."""
    class Clock:
        now = START

        def move(self, hours: float) -> None:
            self.now += dt.timedelta(hours=hours)

    moved = Clock()
    monkeypatch.setattr(clock, "now", lambda: moved.now)
    return moved


def live_totals(user) -> dict:
    """Every count the pages show, counted from the galleries themselves (the old queries)."""
    out = {}
    cats = list(db.session.scalars(select(Category).where(Category.name.in_(CATEGORY_NAMES))))
    codes = [c for c in COUNTRIES if c]
    for cat in [None, *cats]:
        for code in [None, *codes]:
            for media in (None, *MEDIA_TYPES):
                filters = browsing.Filters(category=cat, country=db.session.get(Country, code) if code else None,
                                           media_type=media)
                query = browsing._filtered(browsing.visible_galleries(user), filters)
                out[(cat and cat.id, code, media)] = db.session.scalar(
                    select(func.count()).select_from(query.order_by(None).subquery()))
    return out


def shown_totals(user) -> dict:
    """The same counts as list_galleries reports them (from the tallies where it can)."""
    out = {}
    for cat, code, media in live_totals(user):
        filters = browsing.Filters(category=db.session.get(Category, cat) if cat else None,
                                   country=db.session.get(Country, code) if code else None,
                                   media_type=media)
        out[(cat, code, media)] = browsing.list_galleries(user, filters, 1, 5).total
    return out


def assert_counts_true(editor) -> None:
    """Stored tallies, the pages' lists of counts and the lists' totals all equal a fresh count."""
    db.session.expire_all()
    assert tallies.drift(db.session) == []
    public = browsing.policy.public_gallery_clause()
    by_category = dict(db.session.execute(select(Gallery.category_id, func.count())
                                          .where(public).group_by(Gallery.category_id)).all())
    assert {c.id: n for c, n in browsing.category_counts()} == {
        c.id: by_category.get(c.id, 0) for c in db.session.scalars(select(Category))}
    by_country = dict(db.session.execute(select(Gallery.country_code, func.count())
                                         .where(public, Gallery.country_code.is_not(None))
                                         .group_by(Gallery.country_code)).all())
    assert {c.alpha3: n for c, n in browsing.country_counts()} == by_country
    for code in COUNTRIES[:-1]:
        in_country = dict(db.session.execute(select(Gallery.category_id, func.count())
                                             .where(public, Gallery.country_code == code)
                                             .group_by(Gallery.category_id)).all())
        assert {c.id: n for c, n in browsing.categories_in_country(db.session.get(Country, code))} == in_country
    assert shown_totals(ANONYMOUS) == live_totals(ANONYMOUS)
    assert shown_totals(editor) == live_totals(editor)


def test_every_visibility_change_keeps_the_counts_equal_to_a_fresh_count(app, at, make_user, make_gallery):
    """A random walk over the changes that move a gallery in or out of a count (property style)."""
    editor, admin = make_user("editor"), make_user("admin")
    for name in CATEGORY_NAMES[1:]:
        if db.session.scalar(select(Category).where(Category.name == name)) is None:
            categories.add_category(name, admin)
    rng = random.Random(19)
    made: list[int] = []
    names = list(CATEGORY_NAMES)  # the merge removes one

    def some_gallery(trashed: bool | None = False) -> Gallery | None:
        query = select(Gallery).where(Gallery.id.in_(made))
        if trashed is not None:
            query = query.where(Gallery.deleted_at.is_not(None) if trashed else Gallery.deleted_at.is_(None))
        found = list(db.session.scalars(query.order_by(Gallery.id)))
        return rng.choice(found) if found else None

    def some_asset() -> Asset | None:
        found = list(db.session.scalars(select(Asset).join(Gallery, Gallery.id == Asset.gallery_id).where(
            Gallery.id.in_(made), Gallery.deleted_at.is_(None), Asset.deleted_at.is_(None)).order_by(Asset.id)))
        return rng.choice(found) if found else None

    def embargo(hours: float) -> str:
        return (at.now + dt.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")

    def create():
        g = make_gallery(title=f"Gallery {len(made)}", category=rng.choice(names),
                         country=rng.choice(COUNTRIES), status=rng.choice(("draft", "published")),
                         **({"embargo_until": embargo(rng.choice((1, 2)))} if rng.random() < 0.3 else {}))
        made.append(g.id)
        if rng.random() < 0.7:
            bulk_assets(g, rng.randint(1, 3))

    def edit():
        g = some_gallery()
        if g is None:
            return
        change = rng.choice(("status", "category", "country", "embargo", "clear embargo"))
        values = {"status": {"status": rng.choice(("draft", "published"))},
                  "category": {"category": rng.choice(names)},
                  "country": {"country": rng.choice(COUNTRIES) or ""},
                  "embargo": {"embargo_until": embargo(rng.choice((0.5, 1.5)))},
                  "clear embargo": {"embargo_until": ""}}[change]
        galleries.update_gallery(g.id, values, editor)

    def trash_or_restore():
        g = some_gallery(trashed=None)
        if g is None:
            return
        if g.deleted_at is None:
            trash.trash_gallery(g.id, editor)
        else:
            trash.restore_gallery(g.id, admin)

    def purge():
        g = some_gallery(trashed=True)
        if g is not None:
            trash.purge_gallery(g.id, admin)

    def asset_change():
        a = some_asset()
        if a is None:
            return
        change = rng.choice(("consent", "status", "trash", "move"))
        if change == "consent":
            assets.update_asset(a.id, {"consent": rng.choice(("withheld", "obtained"))}, editor)
        elif change == "status":
            assets.update_asset(a.id, {"status": rng.choice(("draft", "published"))}, editor)
        elif change == "trash":
            trash.trash_asset(a.id, editor)
        else:
            target = some_gallery()
            if target is not None and target.id != a.gallery_id:
                assets.move_asset(a.id, target.id, editor)

    def time_passes():
        at.move(rng.choice((0.5, 1.0)))  # an embargo may fall due: pages count live until...

    def schedule_runs():
        schedule.apply_due()  # ...the schedule lifts it

    def merge():
        source, target = (db.session.scalar(select(Category.id).where(Category.name == n))
                          for n in CATEGORY_NAMES[1:])
        categories.merge_categories(source, target, admin)
        names.remove(CATEGORY_NAMES[1])

    operations = [create] * 4 + [edit] * 5 + [trash_or_restore] * 2 + [purge, time_passes, schedule_runs] \
        + [asset_change] * 3
    for step in range(60):
        operation = merge if step == 45 else rng.choice(operations)
        operation()
        try:
            assert_counts_true(editor)
        except AssertionError as exc:
            raise AssertionError(f"after step {step}: {operation.__name__}") from exc
    # The walk went through the interesting states.
    assert db.session.scalar(select(func.count()).select_from(Gallery)) >= 8
    assert db.session.scalar(select(func.count()).select_from(GalleryTally)) >= 3


def test_a_due_embargo_is_counted_live_until_the_schedule_lifts_it(app, at, make_gallery, client):
    gallery = make_gallery(title="Floods", category="Health", country="YEM", status="published",
                           embargo_until=(START + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    health = browsing.get_category("health")
    assert dict((c.alpha3, n) for c, n in browsing.country_counts(health)).get("YEM") is None
    at.move(2)
    # No row changed, yet the count says what the public sees: the tally's next_change fell due.
    assert dict((c.alpha3, n) for c, n in browsing.country_counts(health))["YEM"] == 1
    assert browsing.list_galleries(ANONYMOUS, browsing.Filters(category=health), 1, 5).total == 1
    assert tallies.drift(db.session) == []  # stale, not drifted: nothing for check to repair
    schedule.apply_due()
    db.session.expire_all()
    row = db.session.get(GalleryTally, (health.id, "YEM"))
    assert (row.galleries, row.next_change) == (1, None)
    assert db.session.get(Gallery, gallery.id).embargo_until is None


def test_check_reports_drift_and_repair_recounts(app, make_gallery, runner):
    make_gallery(title="Water", category="Health", country="KEN", status="published")
    make_gallery(title="Draft", category="Health", country=None, status="draft")
    db.session.execute(delete(GalleryTally))  # what a bulk import past the commit hook leaves
    db.session.commit()
    report = integrity.check()
    assert not report.clean
    assert {(d.country_code, d.counted[0], d.counted[5]) for d in report.tallies} == {("KEN", 1, 0), ("", 0, 1)}
    out = runner.invoke(args=["check"])
    assert out.exit_code == 1 and "Category and country counts out of step (stored, then counted): 2" in out.output
    out = runner.invoke(args=["check", "--repair"])
    assert "Category and country counts recounted: 2 rows." in out.output
    assert integrity.check().tallies == []
    assert {c.slug: n for c, n in browsing.category_counts()}["health"] == 1


def test_the_last_pages_of_galleries_read_from_the_oldest_end(app, client, make_gallery):
    made = [make_gallery(title=f"Report {n:02d}", category="Health", country="KEN") for n in range(11)]
    newest_first = [g.title for g in sorted(made, key=lambda g: (g.created_at, g.id), reverse=True)]
    app.config["GALLERIES_PER_PAGE"] = 3
    seen = []
    for page in range(1, 6):
        html = BeautifulSoup(client.get(f"/galleries?page={page}").data, "html.parser")
        cards = " ".join(c.get_text(" ") for c in html.select(".gallery-cards .card"))
        seen.append(list(dict.fromkeys(re.findall(r"Report \d\d", cards))))
    # Pages 1-2 read from the newest end, 3-4 from the oldest (the last holds 2): the same order.
    assert [len(chunk) for chunk in seen] == [3, 3, 3, 2, 0]
    assert [t for chunk in seen for t in chunk] == newest_first
