"""A real harvester (oaipmh-scythe) against a live server: the harvested set is the public catalogue,
after a full harvest and after incremental harvests that follow edits, withdrawals and purges."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from oaipmh_scythe import Scythe
from oaipmh_scythe.config import HTTPConfig
from oaipmh_scythe.exceptions import NoRecordsMatch
from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler, make_server

from gallery import policy
from gallery.extensions import db
from gallery.models import Asset, Gallery
from gallery.services import assets, galleries, trash

START = dt.datetime(2031, 5, 4, 10, 0, 0)


class _Quiet(WSGIRequestHandler):
    def log(self, *args, **kwargs) -> None:  # noqa: D102
        pass


@pytest.fixture
def at(set_clock):
    """Set the one clock, which the server thread reads too: at(datetime)."""
    set_clock(START)
    return set_clock


@pytest.fixture
def base_url(app):
    """The test app served on 127.0.0.1 at a free port (werkzeug in a thread); its /oai URL."""
    app.config["OAI_PAGE_SIZE"] = 3  # the harvester follows resumption tokens
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, name="oai-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/oai"
    server.shutdown()
    server.server_close()
    thread.join(10)


def public_catalogue() -> set[int]:
    """The ids the public may harvest, asked of the policy directly."""
    db.session.expire_all()
    return set(db.session.scalars(select(Asset.id).join(Gallery, Asset.gallery_id == Gallery.id)
                                  .where(policy.harvestable_clause())))


class Harvester:
    """A harvester's store: records by asset id, kept up to date from (incremental) harvests."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.records: dict[int, dict] = {}
        self.last: str | None = None

    def harvest(self, prefix: str = "oai_dc") -> dict[int, bool]:
        """Harvest everything since the last harvest's responseDate; {asset id: deleted} seen."""
        seen: dict[int, bool] = {}
        with Scythe(self.base_url, http_config=HTTPConfig(timeout=30)) as scythe:
            started = scythe.harvest({"verb": "Identify"}).xml
            response_date = started.find("{http://www.openarchives.org/OAI/2.0/}responseDate").text
            try:
                for record in scythe.list_records(metadata_prefix=prefix, from_=self.last,
                                                  ignore_deleted=False):
                    asset_id = int(record.header.identifier.rsplit("/", 1)[1])
                    seen[asset_id] = record.deleted
                    if record.deleted:
                        self.records.pop(asset_id, None)
                    else:
                        self.records[asset_id] = record.metadata
            except NoRecordsMatch:
                pass
        self.last = response_date
        return seen


@pytest.fixture
def catalogue(at, make_gallery, make_asset, editor):
    """Public galleries in two categories and countries, a draft, and items never public."""
    kenya = make_gallery(title="Water in Turkana", category="Health", country="KEN")
    yemen = make_gallery(title="Shelter in Aden", category="Shelter", country="YEM")
    draft = make_gallery(title="Draft gallery", status="draft")
    made = {f"kenya{n}": make_asset(kenya, caption=f"Kenya photo {n}") for n in range(4)}
    made.update({f"yemen{n}": make_asset(yemen, caption=f"Yemen photo {n}") for n in range(3)})
    made["draft"] = make_asset(draft, caption="In a draft gallery")
    made["sensitive"] = make_asset(kenya, caption="Sensitive")
    made["withheld"] = make_asset(yemen, caption="Consent withheld")
    assets.update_asset(made["sensitive"].id, {"sensitive": "true"}, editor)
    assets.update_asset(made["withheld"].id, {"consent": "withheld"}, editor)
    made.update(kenya=kenya, yemen=yemen, draft_gallery=draft)
    return made


def test_harvests_equal_the_public_catalogue_through_edits_and_deletions(
        base_url, catalogue, editor, admin, at, make_asset):
    harvester = Harvester(base_url)
    at(START + dt.timedelta(seconds=10))
    first = harvester.harvest()
    assert set(harvester.records) == public_catalogue() == {
        catalogue[k].id for k in catalogue if k.startswith(("kenya", "yemen"))
        and isinstance(catalogue[k], Asset)}
    # Public for a moment when they came in, then withdrawn: reported deleted, not left out.
    assert {i for i, deleted in first.items() if deleted} == {
        catalogue["sensitive"].id, catalogue["withheld"].id}
    kenya0 = catalogue["kenya0"].id
    assert harvester.records[kenya0]["description"] == ["Kenya photo 0"]

    # Edits and deletions of every kind, a minute later.
    at(START + dt.timedelta(minutes=1))
    assets.update_asset(kenya0, {"caption": "Kenya photo 0, corrected"}, editor)
    trash.trash_asset(catalogue["kenya1"].id, editor)
    trash.trash_asset(catalogue["kenya2"].id, editor)
    trash.purge_asset(catalogue["kenya2"].id, admin)
    assets.update_asset(catalogue["kenya3"].id, {"consent": "withheld"}, editor)
    galleries.unpublish(catalogue["yemen"].id, editor)
    assets.update_asset(catalogue["withheld"].id, {"consent": "obtained"}, editor)  # in a draft now
    assets.update_asset(catalogue["sensitive"].id, {"sensitive": "false"}, editor)  # now public
    galleries.publish(catalogue["draft_gallery"].id, editor)
    added = make_asset(catalogue["kenya"], caption="Added later")

    at(START + dt.timedelta(minutes=2))
    second = harvester.harvest()
    assert set(harvester.records) == public_catalogue()
    assert harvester.records[kenya0]["description"] == ["Kenya photo 0, corrected"]
    yemen = {catalogue[f"yemen{n}"].id for n in range(3)}
    gone = {catalogue[k].id for k in ("kenya1", "kenya2", "kenya3")} | yemen
    new = {catalogue["sensitive"].id, catalogue["draft"].id, added.id}
    # The incremental harvest holds exactly what changed: nothing disappeared silently.
    assert second == {kenya0: False, **{i: True for i in gone}, **{i: False for i in new}}

    # Nothing changed since: the next harvest is empty; then the Yemen gallery comes back.
    at(START + dt.timedelta(minutes=3))
    assert harvester.harvest() == {}
    galleries.publish(catalogue["yemen"].id, editor)
    at(START + dt.timedelta(minutes=4))
    # With it, the item whose consent was obtained while the gallery was a draft.
    assert harvester.harvest() == {i: False for i in yemen | {catalogue["withheld"].id}}
    assert set(harvester.records) == public_catalogue()


def test_iptc_core_harvest_and_sets(base_url, catalogue, at):
    at(START + dt.timedelta(seconds=10))
    # This harvester sends its requests as POST forms, which the protocol allows too.
    with Scythe(base_url, http_config=HTTPConfig(http_method="POST", timeout=30)) as scythe:
        records = list(scythe.list_records(metadata_prefix="iptc_core", set_="country:yem",
                                            ignore_deleted=True))
        specs = {s.setSpec for s in scythe.list_sets()}
        identify = scythe.identify()
    assert {int(r.header.identifier.rsplit("/", 1)[1]) for r in records} == {
        catalogue[f"yemen{n}"].id for n in range(3)}
    assert all(r.metadata["countryCode"] == ["YEM"] for r in records)
    assert {"category:health", "country:ken", "country:yem"} <= specs
    assert identify.deletedRecord == "persistent"
    assert identify.granularity == "YYYY-MM-DDThh:mm:ssZ"
