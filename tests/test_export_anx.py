"""The ANX writer (exports/anx.py): a chart whose every link ends on an item in the file, whose
types, attribute classes and strengths are all declared in it, dates in ANX's form, and text
in any script surviving the trip; links to ends not given are dropped and counted."""
import io
import re
import xml.etree.ElementTree as ET
from datetime import date

import pytest

from server.exports import anx

ENTITIES = [
    {"id": "m:R1/0", "schema": "Person", "caption": "ບັນທຶກ ສົມສັກ ວົງສະຫວັນ",
     "properties": {"nationality": ["la"], "phone": ["+8562055551234"], "alias": ["Somsak Vongsavan"]}},
    {"id": "m:R1/1", "schema": "Person", "caption": "王伟", "properties": {"idNumber": ["E00000001"]}},
    {"id": "m:R2/0", "schema": "Person", "caption": "Nguyễn Thị Hồng Nhung",
     "properties": {"birthDate": ["1980-02-03"], "gender": ["female"]}},
    {"id": "m:R1/2", "schema": "Company", "caption": "Công ty TNHH \"Demo\" <Biên giới> & Co",
     "properties": {"registrationNumber": ["0100000001"], "jurisdiction": ["vn"]}},
    {"id": "m:R1/3", "schema": "Vehicle", "caption": "14C-000.01", "properties": {"registrationNumber": ["14C-000.01"]}},
    {"id": "m:R2/1", "schema": "UserAccount", "caption": "sengdao.shop", "properties": {"username": ["sengdao.shop"]}},
    {"id": "m:phone/+8562055551234", "schema": "Phone", "caption": "+8562055551234", "properties": {}},
]
EVENTS = [
    {"id": "r:R1", "kind": "seizure", "caption": "seizure 2026-03-14 VN-HQ-QN", "date": date(2026, 3, 14),
     "place": "Móng Cái", "country": "VN", "rid": "R1"},
    {"id": "r:R2", "kind": "market_observation", "caption": "market observation", "date": None,
     "place": None, "country": "LA", "rid": "R2"},
    {"id": "r:R3", "kind": "information_report", "caption": "information report 0987-01-02", "date": date(987, 1, 2),
     "place": "Lào Cai", "country": "VN", "rid": "R3"},
]
LINKS = [
    {"source": "m:R1/0", "target": "r:R1", "role": "suspect"},
    {"source": "m:R1/1", "target": "r:R1", "role": "suspect"},
    {"source": "m:R1/2", "target": "r:R1", "role": "company"},
    {"source": "m:R1/3", "target": "r:R1", "role": "driver"},
    {"source": "m:R2/0", "target": "r:R2", "role": "vendor"},
    {"source": "m:R2/1", "target": "r:R2", "role": "vendor_account"},
    {"source": "m:R1/0", "target": "m:phone/+8562055551234", "role": "phone"},
    {"source": "m:R2/0", "target": "r:R3", "role": "subject"},
]
MISSING = [{"source": "m:R1/0", "target": "r:NOT-EXPORTED", "role": "suspect"},
           {"source": "m:gone/0", "target": "r:R1", "role": "driver"},
           {"source": "r:R1", "target": "r:R1", "role": "self"}]
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")


def export(entities=ENTITIES, events=EVENTS, links=LINKS, title="Network as seen by desk 7", handling="national"):
    out = io.BytesIO()
    counts = anx.write_anx(out, iter(entities), iter(events), iter(links), title=title, handling=handling)
    return out.getvalue(), counts


def chart(data):
    return ET.fromstring(data)


def items(root):
    """Entity ChartItems by their Entity element, and link ChartItems."""
    entities = [(ci, ci.find("End/Entity")) for ci in root.iter("ChartItem") if ci.find("End/Entity") is not None]
    links = [ci for ci in root.iter("ChartItem") if ci.find("Link") is not None]
    return entities, links


def test_utf8_with_declaration_and_chart_root():
    data, _ = export()
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = chart(data)
    assert root.tag == "Chart" and root.get("IdReferenceLinking") == "false"


def test_counts_equal_the_input_and_links_end_on_items_in_the_file():
    data, counts = export()
    entities, links = items(chart(data))
    assert counts == {"entities": len(ENTITIES), "events": len(EVENTS), "links": len(LINKS), "dropped": 0}
    assert len(entities) == len(ENTITIES) + len(EVENTS)
    assert len(links) == len(LINKS)
    entity_ids = [entity.get("EntityId") for _, entity in entities]
    assert len(set(entity_ids)) == len(entity_ids)
    assert {entity.get("Identity") for _, entity in entities} == {node["id"] for node in ENTITIES + EVENTS}
    for link in links:
        assert link.find("Link").get("End1Id") in entity_ids
        assert link.find("Link").get("End2Id") in entity_ids


def test_links_join_the_items_the_input_names():
    data, _ = export()
    entities, links = items(chart(data))
    identity = {entity.get("EntityId"): entity.get("Identity") for _, entity in entities}
    written = [(identity[ci.find("Link").get("End1Id")], identity[ci.find("Link").get("End2Id")], ci.get("Label"))
               for ci in links]
    assert written == [(link["source"], link["target"], link["role"]) for link in LINKS]


def test_every_type_class_and_strength_used_is_declared():
    root = chart(export()[0])
    declared_types = {t.get("Name"): t for t in root.findall("EntityTypeCollection/EntityType")}
    link_types = {t.get("Name"): t.get("Id") for t in root.findall("LinkTypeCollection/LinkType")}
    classes = {c.get("Name"): c.get("Id") for c in root.findall("AttributeClassCollection/AttributeClass")}
    strengths = {s.get("Name") for s in root.findall("StrengthCollection/Strength")}
    standard = {*anx.ENTITY_TYPES.values(), anx.EVENT_TYPE}
    assert {(name, t.get("IconFile")) for name, t in declared_types.items()} == standard
    entities, links = items(root)
    for _, entity in entities:
        style = entity.find("Icon/IconStyle")
        assert style.get("EntityTypeReference") == declared_types[style.get("Type")].get("Id")
    for link in links:
        style = link.find("Link/LinkStyle")
        assert link_types[style.get("Type")] == style.get("LinkTypeReference")
        assert style.get("Strength") in strengths
    for attribute in root.iter("Attribute"):
        assert classes[attribute.get("AttributeClass")] == attribute.get("AttributeClassReference")
    assert all(c.get("Type") == "AttText" for c in root.findall("AttributeClassCollection/AttributeClass"))


def test_each_schema_gets_its_standard_type_and_icon():
    root = chart(export()[0])
    icons = {t.get("Name"): t.get("IconFile") for t in root.findall("EntityTypeCollection/EntityType")}
    by_identity = {entity.get("Identity"): entity.find("Icon/IconStyle").get("Type") for _, entity in items(root)[0]}
    for node in ENTITIES:
        assert (by_identity[node["id"]], icons[by_identity[node["id"]]]) == anx.ENTITY_TYPES[node["schema"]]
    for node in EVENTS:
        assert (by_identity[node["id"]], icons[by_identity[node["id"]]]) == anx.EVENT_TYPE


def test_dates_in_anx_form_and_only_where_known():
    root = chart(export()[0])
    stamps = [element.get(name) for element in root.iter() for name in ("DateTime", "CreatedDate") if element.get(name)]
    assert stamps and all(DATE.match(stamp) for stamp in stamps)
    by_identity = {entity.get("Identity"): ci for ci, entity in items(root)[0]}
    for event in EVENTS:
        ci = by_identity[event["id"]]
        if event["date"]:
            assert (ci.get("DateSet"), ci.get("TimeSet")) == ("true", "false")
            assert ci.get("DateTime") == f"{event['date'].year:04d}-{event['date']:%m-%d}T00:00:00"
        else:
            assert ci.get("DateSet") is None and ci.get("DateTime") is None
    for entity in ENTITIES:
        assert by_identity[entity["id"]].get("DateTime") is None


def test_text_in_every_script_survives():
    root = chart(export()[0])
    labels = {entity.get("Identity"): ci.get("Label") for ci, entity in items(root)[0]}
    for node in ENTITIES + EVENTS:
        assert labels[node["id"]] == node["caption"]
    values = {(a.get("AttributeClass"), a.get("Value")) for a in root.iter("Attribute")}
    assert ("place", "Móng Cái") in values and ("alias", "Somsak Vongsavan") in values


def test_properties_become_attributes_and_the_rest_the_description():
    root = chart(export()[0])
    by_identity = {entity.get("Identity"): ci for ci, entity in items(root)[0]}
    for node in ENTITIES:
        ci = by_identity[node["id"]]
        attributes = {a.get("AttributeClass"): a.get("Value") for a in ci.iter("Attribute")}
        for name, values in node["properties"].items():
            if name in anx.ATTRIBUTES:
                assert attributes[name] == "; ".join(values)
            else:
                assert f"{name}: {'; '.join(values)}" in ci.get("Description").split("\n")
    for event in EVENTS:
        attributes = {a.get("AttributeClass"): a.get("Value") for a in by_identity[event["id"]].iter("Attribute")}
        assert attributes == {name: event[name] for name in ("kind", "rid", "place", "country") if event[name]}


def test_links_to_missing_ends_are_dropped_and_counted():
    data, counts = export(links=LINKS[:2] + MISSING + LINKS[2:])
    assert counts["links"] == len(LINKS) and counts["dropped"] == len(MISSING)
    entities, links = items(chart(data))
    assert len(links) == len(LINKS)
    entity_ids = {entity.get("EntityId") for _, entity in entities}
    assert all({ci.find("Link").get("End1Id"), ci.find("Link").get("End2Id")} <= entity_ids for ci in links)


def test_handling_code_and_title_in_the_chart_summary():
    for handling in ("national", "cross_border", "originator"):
        title = f"Chart «{handling}» 网络"
        root = chart(export(title=title, handling=handling)[0])
        fields = {f.get("Type"): f.get("Field") for f in root.findall("Summary/FieldCollection/Field")}
        assert fields["SummaryFieldTitle"] == title
        assert fields["SummaryFieldCategory"] == handling and handling in fields["SummaryFieldComments"]
        properties = {p.get("Name"): p.get("Value") for p in root.findall("Summary/CustomPropertyCollection/CustomProperty")}
        assert properties["Handling"] == handling


def test_characters_illegal_in_xml_are_stripped_and_markup_stays_text():
    hostile = {"id": "m:X/0", "schema": "Person", "caption": 'Ali\x00ce\x1b"/><Link End1Id="1"/>\ud800 王\nwei',
               "properties": {"phone": ["+84\x0c399000123"]}}
    root = chart(export(entities=[hostile], events=[], links=[])[0])
    (ci, entity), = items(root)[0]
    assert ci.get("Label") == 'Alice"/><Link End1Id="1"/> 王\nwei'
    assert [a.get("Value") for a in ci.iter("Attribute")] == ["+84399000123"]
    assert not items(root)[1]


def test_entities_are_written_before_the_links_are_read():
    out = io.BytesIO()

    def links():
        # Streaming: by the time links are asked for, every entity and record is already out.
        assert out.getvalue().count(b"<Entity ") == len(ENTITIES) + len(EVENTS)
        yield from LINKS

    counts = anx.write_anx(out, (e for e in ENTITIES), (e for e in EVENTS), links(), title="t", handling="national")
    assert counts["links"] == len(LINKS)
    chart(out.getvalue())


def test_unknown_schema_kind_or_duplicate_id_is_an_error():
    with pytest.raises(KeyError):
        export(entities=[{**ENTITIES[0], "schema": "Vessel"}])
    with pytest.raises(ValueError):
        export(events=[{**EVENTS[0], "kind": "rumour"}])
    with pytest.raises(ValueError):
        export(entities=[ENTITIES[0], ENTITIES[0]])
