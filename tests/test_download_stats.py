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


def test_date_filter_limits_page_and_csv(client, login_as, make_user, logged):
    login_as(make_user("admin"))
    page = BeautifulSoup(client.get("/admin/downloads?by=gallery&from=2024-01-01&to=2024-01-15").data,
                         "html.parser")
    assert page.select_one(".total-downloads").get_text() == "1"
    assert page.select_one("#period-from")["value"] == "2024-01-01"
    rows = [[td.get_text() for td in tr.select("td")] for tr in page.select("table.stats tbody tr")]
    assert [r[1:3] for r in rows] == [["Lodwar", "1"]]
    # Tabs and the CSV link keep the period.
    tabs = {a.get_text(): a["href"] for a in page.select("nav.tabs a")}
    assert "from=2024-01-01" in tabs["Per month"] and "to=2024-01-15" in tabs["Per month"]
    href = page.select_one("a.csv-export")["href"]
    with client.get(href) as r:
        assert r.headers["Content-Disposition"] == (
            'attachment; filename="downloads-by-gallery-2024-01-01-to-2024-01-15.csv"')
        lines = list(csv.reader(io.StringIO(r.get_data(as_text=True))))
    assert [row[1:3] for row in lines[1:]] == [["Lodwar", "1"]]


@pytest.mark.parametrize("by", ["asset", "gallery", "user", "month"])
def test_open_ended_periods_per_grouping(client, login_as, make_user, logged, by):
    login_as(make_user("admin"))
    since = BeautifulSoup(client.get(f"/admin/downloads?by={by}&from=2024-01-16").data, "html.parser")
    assert since.select_one(".total-downloads").get_text() == "4"
    until = BeautifulSoup(client.get(f"/admin/downloads?by={by}&to=2024-01-15").data, "html.parser")
    assert until.select_one(".total-downloads").get_text() == "1"
    with client.get(f"/admin/downloads?by={by}&to=2024-01-14&format=csv") as r:
        assert r.status_code == 200 and len(r.get_data(as_text=True).splitlines()) == 1
    empty = BeautifulSoup(client.get(f"/admin/downloads?by={by}&to=2023-12-31").data, "html.parser")
    assert "No downloads in this period" in empty.select_one("table.stats .empty").get_text()


@pytest.mark.parametrize("query,field,text", [
    ("from=yesterday", "from", "date like"),
    ("to=2024-02-30", "to", "date like"),
    ("from=2024-03-01&to=2024-02-01", "to", "on or before"),
    ("from=2024-03-01&to=2024-02-01&format=csv", "to", "on or before"),
])
def test_bad_dates_get_a_clear_message(client, login_as, make_user, logged, query, field, text):
    login_as(make_user("admin"))
    with client.get(f"/admin/downloads?by=user&{query}") as r:
        assert r.status_code == 400 and r.mimetype == "text/html"
        page = BeautifulSoup(r.data, "html.parser")
    assert text in page.select_one("#period-error").get_text()
    assert page.select_one(f"#period-{field}")["aria-invalid"] == "true"
    assert page.select_one("table.stats") is None


def test_last_day_of_the_year_9999_is_no_500(client, login_as, make_user, logged):
    login_as(make_user("admin"))
    page = BeautifulSoup(client.get("/admin/downloads?to=9999-12-31").data, "html.parser")
    assert page.select_one(".total-downloads").get_text() == "5"
