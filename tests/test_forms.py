"""Forms declared once: schema and definition from one declaration, versions frozen."""
import dataclasses
import json

import pytest
from marshmallow import ValidationError
from sqlalchemy import select

from server.extensions import db
from server.forms import declarations, definition, schema
from server.forms.declarations import FORMS, SEIZURE_V1, Field, Form
from server.store.models import MarketItem, Record
from tests.helpers import MARKET, SEIZURE, counts

TOY = Form("toy", 1, "Toy", (Field("date", "date", "Date", required=True),))


def test_a_field_added_to_a_declaration_appears_in_schema_and_definition():
    grown = dataclasses.replace(TOY, fields=TOY.fields + (
        Field("pangolins", "integer", "Pangolins", required=True, minimum=0),
        Field("term", "code", "Product", codes="cites_term"),
    ))
    before, after = schema.build_schema(TOY), schema.build_schema(grown)
    assert "pangolins" not in before.fields and "pangolins" in after.fields
    described = {f["name"]: f for f in definition.definition(grown)["fields"]}
    assert described["pangolins"] == {"name": "pangolins", "type": "integer", "label": "Pangolins",
                                      "required": True, "minimum": 0}
    assert described["term"]["codes"] == "cites_term"
    assert after.load({"date": "2026-11-28", "pangolins": 4, "term": "SCA"})["pangolins"] == 4
    with pytest.raises(ValidationError) as refused:
        after.load({"date": "2026-11-28", "term": "SCA"})
    assert "pangolins" in refused.value.messages
    with pytest.raises(ValidationError):
        after.load({"date": "2026-11-28", "pangolins": 4, "term": "NOT-A-TERM"})


@pytest.mark.parametrize("field", [
    lambda: Field("x", "colour", "X"), lambda: Field("x", "code", "X"), lambda: Field("x", "text", "X", codes="countries"),
    lambda: Field("x", "group", "X"),
])
def test_a_malformed_declaration_is_refused_at_import(field):
    with pytest.raises(ValueError):
        field()


def test_every_declared_version_is_published_exactly_as_declared():
    published = definition.published_definitions()
    assert set(published) == {f"{form_id}.v{version}" for form_id, version in FORMS}
    for form in FORMS.values():
        frozen = definition.published_path(form).read_text(encoding="utf-8")
        assert frozen == definition.serialize(form), (
            f"{form.id} v{form.version} changed after publication: declare version {form.version + 1}")


def test_publishing_a_changed_version_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(definition, "PUBLISHED", tmp_path)
    assert definition.publish({("seizure", 1): SEIZURE_V1}) == [tmp_path / "seizure.v1.json"]
    relabelled = dataclasses.replace(SEIZURE_V1, title="Seizure report")
    with pytest.raises(ValueError, match="declare the next version"):
        definition.publish({("seizure", 1): relabelled})
    assert definition.publish({("seizure", 2): dataclasses.replace(relabelled, version=2)}) == [
        tmp_path / "seizure.v2.json"]


def test_definitions_carry_what_a_phone_needs():
    described = definition.definition(SEIZURE_V1)
    assert described["min_app_version"] == "0.1.0" and described["title"] == "Seizure"
    names = [f["name"] for f in described["fields"]]
    for expected in ("date", "agency", "reporting_officer", "place", "seizure_point", "detection_method",
                     "transport_mode", "concealment", "route", "items", "suspects", "vehicles", "companies",
                     "estimated_value", "legal_follow_up", "narrative", "source_grade"):
        assert expected in names
    items = next(f for f in described["fields"] if f["name"] == "items")
    assert {f["name"]: f.get("codes") for f in items["fields"]}["unit"] == "cites_unit"
    online = next(f for f in definition.definition(FORMS["market_observation", 1])["fields"] if f["name"] == "url")
    assert online["required_when"] == {"field": "market_kind", "equals": "online"}


def test_every_code_list_a_form_names_exists():
    from server.reference import catalog

    def walk(fields):
        for declared in fields:
            yield declared
            yield from walk(declared.fields)

    named = {f.codes for form in FORMS.values() for f in walk(form.fields) if f.codes}
    assert named <= set(catalog.code_lists())


SEIZURE_NEXT = dataclasses.replace(declarations.SEIZURE_V3, version=4, min_app_version="0.9.0",
                                   fields=declarations.SEIZURE_V3.fields + (
    Field("permit_number", "text", "CITES permit number presented", required=True, max_length=60),
))
SEIZURE_V2_FIELDS = {**SEIZURE, "vehicles": [{"kind": "truck", "registration": "14C-000.01", "country": "VN"}],
                     "companies": [{"name": "Công ty TNHH Demo", "registration_number": "DEMO-0100"}]}


@pytest.fixture
def seizure_next_published(monkeypatch, tmp_path):
    """A next seizure version declared and published beside the others, as a release would do."""
    published = tmp_path / "published"
    published.mkdir()
    for path in definition.PUBLISHED.glob("*.json"):
        (published / path.name).write_bytes(path.read_bytes())
    monkeypatch.setattr(definition, "PUBLISHED", published)
    monkeypatch.setitem(declarations.FORMS, ("seizure", 4), SEIZURE_NEXT)
    schema.schema_for.cache_clear()
    schema.validator_for.cache_clear()
    assert definition.publish() == [published / "seizure.v4.json"]
    yield
    schema.schema_for.cache_clear()
    schema.validator_for.cache_clear()


def test_an_older_record_sealed_offline_still_validates_after_the_next_version_is_published(app, device, request):
    old = device.seal(SEIZURE_V2_FIELDS, version=2)  # sealed offline, before the phone learned of v4
    request.getfixturevalue("seizure_next_published")
    new = device.seal({**SEIZURE_V2_FIELDS, "permit_number": "VN-2026-0042"}, version=4)
    old_with_new_field = device.seal({**SEIZURE_V2_FIELDS, "permit_number": "VN-2026-0043"}, version=2)
    new_without_its_field = device.seal(SEIZURE_V2_FIELDS, version=4)
    receipts = {r["rid"]: r for r in device.sync()}
    assert receipts[old]["status"] == "accepted"
    assert receipts[new]["status"] == "accepted"
    assert receipts[old_with_new_field]["code"] == "invalid_fields"
    assert receipts[new_without_its_field]["code"] == "invalid_fields"
    assert counts(app) == {"ledger": 4, "records": 2, "quarantine": 2}
    frozen = json.loads((definition.PUBLISHED / "seizure.v4.json").read_text(encoding="utf-8"))
    assert frozen["min_app_version"] == "0.9.0" and frozen["fields"][-1]["name"] == "permit_number"


# The forms' v2 (issue 14, part 5): the field test's and the language review's findings.
MARKET_V2_FIELDS = {**MARKET, "items": [{**MARKET["items"][0], "price_basis": "total"},
                                        {**MARKET["items"][1], "price_basis": "per_unit"}]}


def test_v2_gives_vehicles_their_own_kinds_and_separates_plates_from_company_numbers():
    fields = {f["name"]: f for f in definition.definition(declarations.SEIZURE_V2)["fields"]}
    vehicle = {f["name"]: f for f in fields["vehicles"]["fields"]}
    company = {f["name"]: f for f in fields["companies"]["fields"]}
    item = {f["name"]: f for f in fields["items"]["fields"]}
    assert vehicle["kind"]["codes"] == "vehicle_kind"
    assert (vehicle["registration"]["label"], company["registration_number"]["label"]) == (
        "Number plate", "Company registration number")
    assert item["term"]["label"] == "Specimen type (CITES term)"
    assert "when the unit is not kg" in item["weight_kg"]["label"]  # asked once: the quantity is a weight in kg
    market = {f["name"]: f for f in definition.definition(declarations.MARKET_OBSERVATION_V2)["fields"]}
    basis = {f["name"]: f for f in market["items"]["fields"]}["price_basis"]
    assert basis["codes"] == "price_basis" and basis["required_when"] == {"field": "price", "equals": None}
    names = [f["name"] for f in market["items"]["fields"]]
    assert names.index("price_basis") == names.index("currency") + 1
    assert {declarations.SEIZURE_V2.min_app_version, declarations.MARKET_OBSERVATION_V2.min_app_version} == {"0.3.0"}
    # Everything else is v1's, word for word.
    assert [f["name"] for f in fields.values()] == [f.name for f in SEIZURE_V1.fields]


def test_v1_and_v2_records_are_both_accepted_each_under_its_own_rules(app, device):
    v1 = device.seal(SEIZURE, version=1)  # vehicle kind "road": v1's transport list
    v2 = device.seal(SEIZURE_V2_FIELDS, version=2)
    v2_with_a_route_for_a_vehicle = device.seal(SEIZURE, version=2)
    market_v1 = device.seal(MARKET, form="market_observation", version=1)
    market_v2 = device.seal(MARKET_V2_FIELDS, form="market_observation", version=2)
    price_without_basis = device.seal(MARKET, form="market_observation", version=2)
    receipts = {r["rid"]: r for r in device.sync()}
    for rid in (v1, v2, market_v1, market_v2):
        assert receipts[rid]["status"] == "accepted", receipts[rid]
    for rid in (v2_with_a_route_for_a_vehicle, price_without_basis):
        assert receipts[rid]["code"] == "invalid_fields"
    with app.app_context():
        by_rid = {r.rid: r for r in db.session.scalars(select(Record))}
        assert (by_rid[v1].form_version, by_rid[v2].form_version) == (1, 2)
        bases = {(i.record_id, i.position): i.price_basis for i in db.session.scalars(select(MarketItem))}
        assert bases == {(by_rid[market_v1].id, 0): None, (by_rid[market_v1].id, 1): None,
                         (by_rid[market_v2].id, 0): "total", (by_rid[market_v2].id, 1): "per_unit"}


def test_v3_asks_what_became_of_each_line_of_specimens(app, device):
    v2 = {f["name"]: f for f in definition.definition(declarations.SEIZURE_V2)["fields"]}
    v3 = {f["name"]: f for f in definition.definition(declarations.SEIZURE_V3)["fields"]}
    items = [f["name"] for f in v3["items"]["fields"]]
    assert items == [f["name"] for f in v2["items"]["fields"]] + ["disposal"]
    assert {f["name"]: f for f in v3["items"]["fields"]}["disposal"] == {
        "name": "disposal", "type": "code", "label": "What became of the specimens", "codes": "disposal",
        "required": False}
    assert {name: field for name, field in v3.items() if name != "items"} == {
        name: field for name, field in v2.items() if name != "items"}
    assert declarations.SEIZURE_V3.min_app_version == "0.6.0"
    said = device.seal({**SEIZURE_V2_FIELDS, "items": [{**SEIZURE["items"][0], "disposal": "rescue_centre"},
                                                       SEIZURE["items"][1]]}, version=3)
    unknown = device.seal({**SEIZURE_V2_FIELDS, "items": [{**SEIZURE["items"][0], "disposal": "thrown_away"}]}, version=3)
    not_asked_in_v2 = device.seal({**SEIZURE_V2_FIELDS, "items": [{**SEIZURE["items"][0], "disposal": "destroyed"}]},
                                  version=2)
    receipts = {r["rid"]: r for r in device.sync()}
    assert receipts[said]["status"] == "accepted", receipts[said]
    assert receipts[unknown]["code"] == receipts[not_asked_in_v2]["code"] == "invalid_fields"
    with app.app_context():
        record = db.session.scalar(select(Record).filter_by(rid=said))
        assert [item.disposal for item in record.seizure.items] == ["rescue_centre", None]
