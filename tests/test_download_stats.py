"""Admin download statistics (per asset, gallery, user, month; CSV) and a member's own history."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from bs4 import BeautifulSoup

from gallery.extensions import db
from gallery.models import DownloadEvent
from gallery.services import downloads


@pytest.fixture
def logged(make_gallery, make_asset, make_user):
    """Two members, two galleries, five downloads over two months."""
    g1, g2 = make_gallery(title="Lodwar"), make_gallery(title="Danlí")
    a1, a2, a3 = make_asset(g1, title="Borehole"), make_asset(g1, title="Queue"), make_asset(g2, title="Roof")
    ana = make_user("member", email="ana@example.org", name="Ana", organisation="=HYPERLINK(1)")
    ben = make_user("member", email="ben@example.org", name="Ben")
    downloads.log(ana, [a1, a2], "large", "zip", "Press")
    downloads.log(ana, [a1], "original", "file")
    downloads.log(ben, [a3], "preview", "api", "Web")
    downloads.log(ben, [a1], "preview", "file")
    first = db.session.get(DownloadEvent, 1)
    first.created_at = dt.datetime(2024, 1, 15, 9, 30)
    db.session.commit()
    return {"galleries": (g1, g2), "assets": (a1, a2, a3), "users": (ana, ben)}


def table(client, by):
    page = BeautifulSoup(client.get(f"/admin/downloads?by={by}").data, "html.parser")
    return page, [[td.get_text() for td in tr.select("td")] for tr in page.select("table.stats tbody tr")]


def test_per_asset_gallery_user_month(client, login_as, make_user, logged):
    login_as(make_user("admin"))
    a1, a2, a3 = logged["assets"]
    page, rows = table(client, "asset")
    assert page.select_one(".total-downloads").get_text() == "5"
    assert rows[0][:5] == [str(a1.id), "Borehole", "Lodwar", "3", "2"]
    assert sorted(r[1] for r in rows[1:]) == ["Queue", "Roof"]
    _, rows = table(client, "gallery")
    assert [r[1:5] for r in rows] == [["Lodwar", "4", "2", "2"], ["Danlí", "1", "1", "1"]]
    _, rows = table(client, "user")
    assert [r[1:5] for r in rows] == [["ana@example.org", "Ana", "=HYPERLINK(1)", "3"],
                                      ["ben@example.org", "Ben", "", "2"]]
    _, rows = table(client, "month")
    this_month = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m")
    assert rows == [[this_month, "4", "3", "2"], ["2024-01", "1", "1", "1"]]


@pytest.mark.parametrize("by", ["asset", "gallery", "user", "month"])
def test_csv_export(client, login_as, make_user, logged, by):
    login_as(make_user("admin"))
    page = BeautifulSoup(client.get(f"/admin/downloads?by={by}").data, "html.parser")
    href = page.select_one("a.csv-export")["href"]
    with client.get(href) as r:
        assert r.status_code == 200 and r.mimetype == "text/csv"
        assert r.headers["Content-Disposition"] == f'attachment; filename="downloads-by-{by}.csv"'
        rows = list(csv.reader(io.StringIO(r.get_data(as_text=True))))
    _, html_rows = table(client, by)
    assert len(rows) == len(html_rows) + 1
    assert sum(int(row[rows[0].index("downloads")]) for row in rows[1:]) == 5
    if by == "user":
        assert rows[1][3] == "'=HYPERLINK(1)"  # no formula injection into spreadsheets


@pytest.mark.parametrize("role,status", [(None, 302), ("member", 403), ("editor", 403)])
def test_stats_are_for_admins(client, login_as, make_user, role, status):
    if role:
        login_as(make_user(role))
    with client.get("/admin/downloads") as r:
        assert r.status_code == status
    with client.get("/admin/downloads?by=user&format=csv") as r:
        assert r.status_code == status


def test_unknown_grouping_is_404(client, login_as, make_user):
    login_as(make_user("admin"))
    with client.get("/admin/downloads?by=planet") as r:
        assert r.status_code == 404


def test_member_history_on_account_page(client, login_as, logged):
    ana, _ = logged["users"]
    login_as(ana)
    page = BeautifulSoup(client.get("/account").data, "html.parser")
    rows = page.select(".download-history table.history tbody tr")
    assert len(rows) == 3
    sizes = sorted(r.select_one(".size").get_text() for r in rows)
    assert sizes == ["Large", "Large", "Original"]
    assert page.select_one(".download-history a[href='/account/downloads']") is not None
