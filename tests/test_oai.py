"""OAI-PMH at /oai: the six verbs, every error code, hostile arguments, records and deleted records."""
from __future__ import annotations

import base64
import datetime as dt
import json
import os
import xml.etree.ElementTree as ET

import pytest
from lxml import etree
from sqlalchemy import select

from gallery.extensions import db
from gallery.models import OaiRecord
from gallery.services import assets, galleries, schedule, trash

NS = {"o": "http://www.openarchives.org/OAI/2.0/", "dc": "http://purl.org/dc/elements/1.1/",
      "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
      "i": "urn:uuid:3ea0afc8-7e13-4bca-9b6b-e74aa51b1a72"}
START = dt.datetime(2031, 3, 1, 9, 0, 0)


@pytest.fixture
def at(set_clock):
    """Set the one clock (datestamps and responseDate follow it): at(datetime)."""
    set_clock(START)
    return set_clock


def oai(client, method: str = "get", **args) -> ET.Element:
    """One request; the answer parsed (it must be well-formed XML with status 200)."""
    args = {k.rstrip("_"): v for k, v in args.items()}
    response = client.get("/oai", query_string=args) if method == "get" else client.post(
        "/oai", data=args)
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "text/xml"
    return ET.fromstring(response.data)


def error_code(root: ET.Element) -> str | None:
    found = root.find("o:error", NS)
    return None if found is None else found.get("code")


def headers(root: ET.Element) -> dict[int, ET.Element]:
    """Record headers of a list answer by asset id."""
    out = {}
    for head in root.iter(f"{{{NS['o']}}}header"):
        out[int(head.find("o:identifier", NS).text.rsplit("/", 1)[1])] = head
    return out


@pytest.fixture
def catalogue(at, make_gallery, make_asset):
    """Two public galleries (Health/Kenya with two photos, Shelter/Yemen with one) and a draft one."""
    kenya = make_gallery(title="Water in Turkana", category="Health", country="KEN",
                         credit="Agency photo desk", licence="cc-by-4.0", date="2023-05-02")
    yemen = make_gallery(title="Shelter in Aden", category="Shelter", country="YEM")
    draft = make_gallery(title="Not yet", status="draft")
    well = make_asset(kenya, caption="A hand pump at the new well in Lodwar.", creator="Amina Diallo",
                      title="The new well", city="Lodwar", keywords="water, wells",
                      date_taken="2023-05-01")
    school = make_asset(kenya, caption="Pupils fetch water after school.", creator="Amina Diallo")
    tent = make_asset(yemen, caption="Tents at a site in Aden.")
    hidden = make_asset(draft, caption="Draft photo.")
    return {"kenya": kenya, "yemen": yemen, "draft": draft, "well": well, "school": school,
            "tent": tent, "hidden": hidden}


def test_identify(client, catalogue, at):
    root = oai(client, verb="Identify")
    ident = root.find("o:Identify", NS)
    assert ident.find("o:baseURL", NS).text == "http://localhost/oai"
    assert ident.find("o:protocolVersion", NS).text == "2.0"
    assert ident.find("o:deletedRecord", NS).text == "persistent"
    assert ident.find("o:granularity", NS).text == "YYYY-MM-DDThh:mm:ssZ"
    assert ident.find("o:earliestDatestamp", NS).text.endswith("Z")
    assert ident.find("o:adminEmail", NS).text
    assert root.find("o:responseDate", NS).text == "2031-03-01T09:00:00Z"
    assert root.find("o:request", NS).get("verb") == "Identify"


def test_list_metadata_formats(client, catalogue):
    root = oai(client, verb="ListMetadataFormats")
    prefixes = [e.text for e in root.iterfind(".//o:metadataPrefix", NS)]
    assert prefixes == ["oai_dc", "iptc_core"]
    schema = root.findall(".//o:schema", NS)[1].text
    assert schema.endswith("/static/oai/iptc-core-1.0.xsd")
    with client.get(schema.replace("http://localhost", "")) as response:
        assert response.status_code == 200 and b"xs:schema" in response.data
    well = catalogue["well"].id
    one = oai(client, verb="ListMetadataFormats", identifier=f"oai:gallery.invalid:asset/{well}")
    assert error_code(one) is None
    hidden = catalogue["hidden"].id
    assert error_code(oai(client, verb="ListMetadataFormats",
                          identifier=f"oai:gallery.invalid:asset/{hidden}")) == "idDoesNotExist"


def test_oai_dc_record_carries_the_public_record(client, catalogue):
    well = catalogue["well"]
    root = oai(client, verb="GetRecord", metadataPrefix="oai_dc",
               identifier=f"oai:gallery.invalid:asset/{well.id}")
    record = root.find("o:GetRecord/o:record", NS)
    specs = {e.text for e in record.iterfind("o:header/o:setSpec", NS)}
    assert specs == {"category:health", "country:ken", f"gallery:{catalogue['kenya'].id}"}
    dc = record.find("o:metadata/oai_dc:dc", NS)

    def values(name):
        return [e.text for e in dc.iterfind(f"dc:{name}", NS)]

    assert values("title") == ["The new well"]
    assert values("description") == ["A hand pump at the new well in Lodwar."]
    assert values("creator") == ["Amina Diallo"]
    assert set(values("subject")) == {"water", "wells", "Health"}
    assert values("date") == ["2023-05-01"]
    assert values("coverage") == ["Lodwar", "Kenya", "KEN"]
    assert values("type") == ["StillImage"]
    assert values("format") == ["image/jpeg"]
    assert values("identifier") == [f"http://localhost/assets/{well.id}"]
    rights = values("rights")
    assert "CC BY 4.0." in rights and "https://creativecommons.org/licenses/by/4.0/" in rights
    assert values("contributor") == ["Agency photo desk"]
    # The uploaded file name (names, places) never leaves the server.
    assert b"photo-" not in ET.tostring(record)


def test_iptc_core_record_validates_against_its_schema(client, catalogue, app):
    root = oai(client, verb="ListRecords", metadataPrefix="iptc_core")
    schema_path = os.path.join(app.root_path, "static", "oai", "iptc-core-1.0.xsd")
    schema = etree.XMLSchema(etree.parse(schema_path))
    records = root.findall(".//i:record", NS)
    assert len(records) == 3
    for record in records:
        doc = etree.fromstring(ET.tostring(record))
        assert schema.validate(doc), schema.error_log
    well = next(r for r in records if r.find("i:title", NS) is not None
                and r.find("i:title", NS).text == "The new well")
    assert [k.text for k in well.iterfind("i:keywords/i:keyword", NS)] == ["water", "wells"]
    assert well.find("i:countryCode", NS).text == "KEN"
    assert well.find("i:creditLine", NS).text == "Agency photo desk"
    assert well.find("i:webStatementOfRights", NS).text.startswith("https://creativecommons.org/")
    assert well.find("i:previewUrl", NS).text.endswith("/preview.jpg")


def test_only_harvestable_assets_have_records(client, catalogue):
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    found = headers(root)
    assert set(found) == {catalogue[k].id for k in ("well", "school", "tent")}
    assert not any(h.get("status") for h in found.values())
    hidden = catalogue["hidden"].id
    assert error_code(oai(client, verb="GetRecord", metadataPrefix="oai_dc",
                          identifier=f"oai:gallery.invalid:asset/{hidden}")) == "idDoesNotExist"


def _status(client, asset_id: int) -> tuple[str | None, str]:
    root = oai(client, verb="GetRecord", metadataPrefix="oai_dc",
               identifier=f"oai:gallery.invalid:asset/{asset_id}")
    head = root.find("o:GetRecord/o:record/o:header", NS)
    has_metadata = root.find("o:GetRecord/o:record/o:metadata", NS) is not None
    assert has_metadata == (head.get("status") is None)
    return head.get("status"), head.find("o:datestamp", NS).text


@pytest.mark.parametrize("change", ["consent", "sensitive", "draft", "embargo", "trash", "purge",
                                    "unpublish", "rights"])
def test_withdrawn_items_are_reported_deleted_with_the_datestamp_of_the_change(
        client, catalogue, editor, admin, at, change):
    well, kenya = catalogue["well"], catalogue["kenya"]
    oai(client, verb="Identify")  # records built at START
    assert _status(client, well.id) == (None, "2031-03-01T09:00:00Z")
    at(START + dt.timedelta(minutes=5))
    if change == "consent":
        assets.update_asset(well.id, {"consent": "withheld"}, editor)
    elif change == "sensitive":
        assets.update_asset(well.id, {"sensitive": "true"}, editor)
    elif change == "draft":
        assets.update_asset(well.id, {"status": "draft"}, editor)
    elif change == "embargo":
        assets.update_asset(well.id, {"embargo_until": "2031-04-01T00:00"}, editor)
    elif change == "trash":
        trash.trash_asset(well.id, editor)
    elif change == "purge":
        trash.trash_asset(well.id, editor)
        trash.purge_asset(well.id, admin)
    elif change == "unpublish":
        galleries.unpublish(kenya.id, editor)
    elif change == "rights":
        assets.update_asset(well.id, {"rights_expire_on": "2031-03-02"}, editor)
        at(START + dt.timedelta(days=2))
        # Before the schedule runs the record is already withheld (the policy asks the clock)...
        assert _status(client, well.id)[0] == "deleted"
        schedule.apply_due()  # ...and its datestamp moves when the schedule applies it
    status, stamp = _status(client, well.id)
    assert status == "deleted"
    assert stamp == ("2031-03-03T09:00:00Z" if change == "rights" else "2031-03-01T09:05:00Z")
    if change == "unpublish":
        assert _status(client, catalogue["school"].id)[0] == "deleted"
    # A deleted record stays in the sets it was harvested from, and in from-harvests.
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="category:health",
               from_="2031-03-01T09:05:00Z")
    assert headers(root)[well.id].get("status") == "deleted"


def test_datestamp_moves_only_when_the_public_record_changes(client, catalogue, editor, at):
    well, tent = catalogue["well"], catalogue["tent"]
    oai(client, verb="Identify")
    at(START + dt.timedelta(seconds=30))
    assets.update_asset(well.id, {"caption": "A hand pump at the new well in Lodwar, Kenya."}, editor)
    assets.update_asset(tent.id, {"alt_text": ""}, editor)  # no change at all
    at(START + dt.timedelta(seconds=40))
    galleries.update_gallery(catalogue["yemen"].id, {"editors_pick": "true"}, editor)  # not in records
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc",
               from_="2031-03-01T09:00:01Z")
    assert set(headers(root)) == {well.id}
    assert _status(client, well.id) == (None, "2031-03-01T09:00:30Z")
    assert _status(client, tent.id) == (None, "2031-03-01T09:00:00Z")
    # Back to public: the record is live again with a new datestamp.
    at(START + dt.timedelta(minutes=2))
    assets.update_asset(tent.id, {"status": "draft"}, editor)
    at(START + dt.timedelta(minutes=3))
    assets.update_asset(tent.id, {"status": "published"}, editor)
    assert _status(client, tent.id) == (None, "2031-03-01T09:03:00Z")


def test_from_until_at_second_and_day_granularity(client, catalogue, editor, at):
    oai(client, verb="Identify")
    at(dt.datetime(2031, 3, 2, 23, 59, 59))
    assets.update_asset(catalogue["school"].id, {"caption": "Changed late."}, editor)
    at(dt.datetime(2031, 3, 3, 0, 0, 0))
    assets.update_asset(catalogue["tent"].id, {"caption": "Changed at midnight."}, editor)

    def ids(**args):
        root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", **args)
        return set(headers(root)) if error_code(root) is None else error_code(root)

    school, tent, well = catalogue["school"].id, catalogue["tent"].id, catalogue["well"].id
    assert ids(from_="2031-03-02T23:59:59Z") == {school, tent}
    assert ids(from_="2031-03-03T00:00:00Z") == {tent}
    assert ids(until="2031-03-02T23:59:58Z") == {well}
    assert ids(until="2031-03-02") == {well, school}
    assert ids(from_="2031-03-02", until="2031-03-02") == {school}
    assert ids(from_="2031-03-03T00:00:01Z") == "noRecordsMatch"
    assert ids(from_="0001-01-01", until="9999-12-31") == {well, school, tent}  # the calendar's ends


def test_sets(client, catalogue):
    root = oai(client, verb="ListSets")
    sets = {e.find("o:setSpec", NS).text: e.find("o:setName", NS).text
            for e in root.iterfind(".//o:set", NS)}
    assert sets["category:health"] == "Health" and sets["country:ken"] == "Kenya"
    assert sets[f"gallery:{catalogue['kenya'].id}"] == "Water in Turkana"
    assert f"gallery:{catalogue['draft'].id}" not in sets  # a draft's title stays private
    assert {"category", "country", "gallery"} <= set(sets)

    def ids(spec):
        root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set=spec)
        return set(headers(root)) if error_code(root) is None else error_code(root)

    kenya = {catalogue["well"].id, catalogue["school"].id}
    assert ids("category:health") == kenya
    assert ids("country:yem") == {catalogue["tent"].id}
    assert ids(f"gallery:{catalogue['kenya'].id}") == kenya
    assert ids("category") == kenya | {catalogue["tent"].id}
    for unknown in ("category:nothing", "planet:mars", "gallery:x", "gallery:99999999999",
                    "country:ken:x", f"gallery:{catalogue['draft'].id}"):
        assert ids(unknown) == "noRecordsMatch"


def test_resumption_tokens_page_by_keyset_and_survive_new_records(
        client, app, make_gallery, make_asset, editor, at):
    app.config["OAI_PAGE_SIZE"] = 2
    gallery = make_gallery(title="Paged")
    made = [make_asset(gallery, caption=f"Photo {n}") for n in range(5)]
    root = oai(client, verb="ListRecords", metadataPrefix="oai_dc")
    seen = list(headers(root))
    token = root.find(".//o:resumptionToken", NS)
    assert token.get("completeListSize") == "5" and token.get("cursor") == "0"
    # Between pages: one record changes (it moves to the end) and a new one arrives.
    at(START + dt.timedelta(minutes=1))
    assets.update_asset(made[0].id, {"caption": "Photo 0, recaptioned"}, editor)
    late = make_asset(gallery, caption="Arrived during the harvest")
    cursors = []
    while token is not None and token.text:
        root = oai(client, verb="ListRecords", resumptionToken=token.text)
        assert error_code(root) is None
        seen += list(headers(root))
        token = root.find(".//o:resumptionToken", NS)
        cursors.append(token.get("cursor"))
    assert set(seen) == {a.id for a in made} | {late.id}
    assert cursors[0] == "2"
    assert token is not None and token.text is None  # the last page: an empty token
    # One page, no token at all.
    app.config["OAI_PAGE_SIZE"] = 100
    assert oai(client, verb="ListRecords", metadataPrefix="oai_dc").find(
        ".//o:resumptionToken", NS) is None


def _token(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


GOOD = {"m": "oai_dc", "s": None, "f": None, "u": None, "d": "2031-03-01T09:00:00Z", "i": 1,
        "c": 2, "n": 5}


@pytest.mark.parametrize("args,code", [
    ({}, "badVerb"),
    ({"verb": "Harvest"}, "badVerb"),
    ({"verb": ["Identify", "Identify"]}, "badVerb"),
    ({"verb": "Identify", "metadataPrefix": "oai_dc"}, "badArgument"),
    ({"verb": "ListRecords"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": ["oai_dc", "oai_dc"]}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "yesterday"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2031-02-30"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "0000-01-01"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2031-03-01T09:00:00"},
     "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2031-03-01T09:00:00+01:00"},
     "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2031-03-02",
      "until": "2031-03-01"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2031-03-01",
      "until": "2031-03-02T00:00:00Z"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "resumptionToken": _token(GOOD)},
     "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
    ({"verb": "GetRecord", "metadataPrefix": "marc21", "identifier": "oai:gallery.invalid:asset/1"},
     "cannotDisseminateFormat"),
    ({"verb": "GetRecord", "metadataPrefix": "oai_dc"}, "badArgument"),
    ({"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "oai:other.org:asset/1"},
     "idDoesNotExist"),
    ({"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "oai:gallery.invalid:asset/-1"},
     "idDoesNotExist"),
    ({"verb": "GetRecord", "metadataPrefix": "oai_dc",
      "identifier": "oai:gallery.invalid:asset/99999999999999999999"}, "idDoesNotExist"),
    ({"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "oai:gallery.invalid:asset/٣"},
     "idDoesNotExist"),
    ({"verb": "ListMetadataFormats", "identifier": "nonsense"}, "idDoesNotExist"),
    ({"verb": "ListRecords", "resumptionToken": "garbage!!"}, "badResumptionToken"),
    ({"verb": "ListRecords", "resumptionToken": _token({**GOOD, "i": "1"})}, "badResumptionToken"),
    ({"verb": "ListRecords", "resumptionToken": _token({**GOOD, "m": "marc21"})},
     "badResumptionToken"),
    ({"verb": "ListRecords", "resumptionToken": _token({**GOOD, "i": 2**40})},
     "badResumptionToken"),
    ({"verb": "ListRecords", "resumptionToken": _token({**GOOD, "d": "later"})},
     "badResumptionToken"),
    ({"verb": "ListRecords", "resumptionToken": _token([1, 2])}, "badResumptionToken"),
    ({"verb": "ListRecords", "resumptionToken": _token({**GOOD, "d": "2099-01-01T00:00:00Z"})},
     "badResumptionToken"),
    ({"verb": "ListIdentifiers", "resumptionToken": base64.b64encode(b"\xff\xfe").decode()},
     "badResumptionToken"),
    ({"verb": "ListSets", "resumptionToken": "x"}, "badResumptionToken"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "x" * 600}, "badArgument"),
])
def test_every_error_code(client, catalogue, args, code):
    root = oai(client, **args)
    assert error_code(root) == code
    assert root.find("o:error", NS).text
    if code in ("badVerb", "badArgument"):
        assert root.find("o:request", NS).attrib == {}  # the request is not echoed back


def test_no_records_match_on_an_empty_repository(client):
    assert error_code(oai(client, verb="ListRecords", metadataPrefix="oai_dc")) == "noRecordsMatch"
    assert error_code(oai(client, verb="ListIdentifiers", metadataPrefix="iptc_core")) == \
        "noRecordsMatch"


def test_post_is_answered_like_get(client, catalogue):
    root = oai(client, "post", verb="ListIdentifiers", metadataPrefix="oai_dc", set="country:yem")
    assert set(headers(root)) == {catalogue["tent"].id}


@pytest.mark.parametrize("query", ["verb=Identify%00", "verb=ListRecords&metadataPrefix=%ED%A0%80",
                                   "verb=ListRecords&metadataPrefix=oai_dc&from=%00",
                                   "verb=GetRecord&metadataPrefix=oai_dc&identifier=%FF%FE"])
def test_hostile_bytes_never_reach_a_500(client, catalogue, query):
    response = client.get(f"/oai?{query}")
    assert response.status_code in (200, 400)


def test_control_characters_in_captions_keep_the_xml_well_formed(client, catalogue, editor):
    well = catalogue["well"]
    db.session.get(type(well), well.id).caption = "Bell\x07 and \x1bescape"
    db.session.commit()
    root = oai(client, verb="GetRecord", metadataPrefix="oai_dc",
               identifier=f"oai:gallery.invalid:asset/{well.id}")
    assert root.find(".//dc:description", NS).text == "Bell and escape"


def test_an_upgraded_catalogue_is_built_on_the_first_harvest(client, catalogue, at):
    """A catalogue from before OAI (no record rows) gets every record on the first request."""
    from gallery.models import OaiState

    db.session.execute(OaiRecord.__table__.delete())
    db.session.execute(OaiState.__table__.delete())  # as before migration 0012 made it
    db.session.commit()
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    assert set(headers(root)) == {catalogue[k].id for k in ("well", "school", "tent")}
    assert db.session.scalar(select(OaiRecord.datestamp).limit(1)) == START


def test_oai_rebuild_command_applies_a_changed_consent_setting(client, catalogue, runner, app, at,
                                                               editor):
    """PUBLISH_UNKNOWN_CONSENT changes no row: `gallery oai-rebuild` marks what it hides deleted."""
    assets.update_asset(catalogue["well"].id, {"consent": "obtained"}, editor)
    oai(client, verb="Identify")
    app.config["PUBLISH_UNKNOWN_CONSENT"] = False
    at(START + dt.timedelta(hours=1))
    result = runner.invoke(args=["oai-rebuild"])
    assert result.exit_code == 0, result.output
    assert "2 written, restamped or marked deleted" in result.output
    assert _status(client, catalogue["school"].id) == ("deleted", "2031-03-01T10:00:00Z")
    assert _status(client, catalogue["well"].id) == (None, "2031-03-01T09:00:00Z")


def test_a_video_gets_its_record_when_its_web_proxy_is_ready(client, make_gallery, at):
    """The worker that makes a video public writes its record in the same commit."""
    import io

    from gallery.services import ingest, jobs
    from tests.media_files import video_bytes

    gallery = make_gallery()
    result = ingest.ingest(gallery, io.BytesIO(video_bytes(seconds=1.0)), "clip.mp4",
                           {"caption": "Wells at dawn"}, user=None)
    video = result.asset
    assert error_code(oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")) == \
        "noRecordsMatch"
    at(START + dt.timedelta(minutes=1))
    assert jobs.wait_idle()
    db.session.commit()
    root = oai(client, verb="GetRecord", metadataPrefix="oai_dc",
               identifier=f"oai:gallery.invalid:asset/{video.id}")
    assert root.find(".//o:datestamp", NS).text == "2031-03-01T09:01:00Z"
    assert root.find(".//dc:type", NS).text == "MovingImage"
    assert root.find(".//dc:description", NS).text == "Wells at dawn"
