"""Forms declared once: schema and definition from one declaration, versions frozen."""
import dataclasses
import json

import pytest
from marshmallow import ValidationError

from server.forms import declarations, definition, schema
from server.forms.declarations import FORMS, SEIZURE_V1, Field, Form
from tests.helpers import SEIZURE, counts

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


SEIZURE_V2 = dataclasses.replace(SEIZURE_V1, version=2, min_app_version="0.2.0", fields=SEIZURE_V1.fields + (
    Field("permit_number", "text", "CITES permit number presented", required=True, max_length=60),
))


@pytest.fixture
def seizure_v2_published(monkeypatch, tmp_path):
    """Seizure v2 declared and published beside v1, as a release would do."""
    published = tmp_path / "published"
    published.mkdir()
    for path in definition.PUBLISHED.glob("*.json"):
        (published / path.name).write_bytes(path.read_bytes())
    monkeypatch.setattr(definition, "PUBLISHED", published)
    monkeypatch.setitem(declarations.FORMS, ("seizure", 2), SEIZURE_V2)
    schema.schema_for.cache_clear()
    assert definition.publish() == [published / "seizure.v2.json"]
    yield
    schema.schema_for.cache_clear()


def test_a_v1_record_sealed_offline_still_validates_after_v2_is_published(app, device, request):
    old = device.seal(SEIZURE, version=1)  # sealed offline, before the phone learned of v2
    request.getfixturevalue("seizure_v2_published")
    new = device.seal({**SEIZURE, "permit_number": "VN-2026-0042"}, version=2)
    v1_with_v2_field = device.seal({**SEIZURE, "permit_number": "VN-2026-0043"}, version=1)
    v2_without_its_field = device.seal(SEIZURE, version=2)
    receipts = {r["rid"]: r for r in device.sync()}
    assert receipts[old]["status"] == "accepted"
    assert receipts[new]["status"] == "accepted"
    assert receipts[v1_with_v2_field]["code"] == "invalid_fields"
    assert receipts[v2_without_its_field]["code"] == "invalid_fields"
    assert counts(app) == {"ledger": 4, "records": 2, "quarantine": 2}
    frozen = json.loads((definition.PUBLISHED / "seizure.v2.json").read_text(encoding="utf-8"))
    assert frozen["min_app_version"] == "0.2.0" and frozen["fields"][-1]["name"] == "permit_number"
