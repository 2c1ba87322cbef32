"""Entities FollowTheMoney-shaped (issue 18): every mention and entity that filing a seizure, a
market observation and an information report makes is valid in FtM's model; what FtM cannot
accept for a property is left out of the mention while the record keeps what was typed;
phones stay exactly as filed; `proxy_of` gives valid EntityProxies with documented ids."""
import pytest
from followthemoney import model
from followthemoney.exc import InvalidData
from followthemoney.proxy import EntityProxy
from followthemoney.types import registry
from sqlalchemy import select

from server.extensions import db
from server.intel import ftm
from server.reference import catalog
from server.store.models import Entity, Mention, Record
from server.store.service import Filing
from tests.conftest import enroll_device
from tests.helpers import MARKET, SEIZURE

SEIZURE_FTM = {
    **SEIZURE,
    "suspects": [{"name": "Nguyễn Thị Hồng Nhung", "name_latin": "Nguyen Thi Hong Nhung", "nationality": "VN",
                  "id_type": "national_id", "id_number": "DEMO001", "phone": "0399 000 123"},
                 {"name": "ສົມສັກ ວົງສະຫວັນ", "name_latin": "Somsak Vongsavan", "nationality": "LA",
                  "phone": "020 5555 1234"},
                 {"name": "王建国", "name_latin": "Wang Jianguo", "nationality": "CN", "phone": "+86 199 0000 0123"}],
    "vehicles": [{"kind": "road", "registration": "14C-000.01", "country": "VN", "description": "Xe tải đông lạnh"}],
    "companies": [{"name": "Công ty TNHH Thương mại Demo Biên giới", "country": "VN",
                   "registration_number": "0100000001", "address": "Số 1 đường Demo, Móng Cái, Quảng Ninh",
                   "phone": "0912 345 678"}],
}
MARKET_FTM = {**MARKET, "platform": "Facebook",
              "vendor": {**MARKET["vendor"], "account": "sengdao.shop", "nationality": "LA", "phone": "020 5555 9876"}}
REPORT = {
    "date": "2026-11-22", "agency": "VN-HQ-QN", "reporting_officer": "Lê Văn Tám", "handling": "national",
    "narrative": "Người bán hẹn giao vảy tê tê ở Móng Cái.",
    "place": {"name": "Móng Cái", "province": "VN-13", "country": "VN"},
    "source_type": "informant", "source_grade": {"reliability": "B", "credibility": "2"},
    "people": [{"name": "Nguyen Thi Hong Nhung", "nationality": "VN", "phone": "+84 399 000 123"},  # the suspect
               {"name": "王伟", "nationality": "CN", "id_type": "passport", "id_number": "E00000001"},
               {"name": "Trần Văn Demo", "nationality": "VN", "phone": "+1 (999) 12"}],  # no phone FtM reads
    "companies": [{"name": "Demo Trading Co., Ltd.", "country": "CN", "registration_number": "91450000DEMO",
                   "phone": "+86 138 0013 8000"}],
    "vehicles": [{"kind": "truck", "registration": "14C-000.02", "country": "VN"}],
    "accounts": [{"platform": "Zalo", "account": "demo_vay_te_te"}],
    "species": [{"species": "Manis javanica", "goods": "vảy khô"}],
}


def _file(app, fields, agency="VN-HQ-QN", **form):
    phone = enroll_device(app, agency)
    rid = phone.seal({**fields, "agency": agency}, **form)
    [receipt] = phone.sync()
    assert receipt["status"] == "accepted", receipt
    return rid


def _file_all(app):
    _file(app, SEIZURE_FTM)
    _file(app, MARKET_FTM, agency="LA-DOFI", form="market_observation")
    _file(app, REPORT, form="information_report", version=1)


def _valid_ftm(schema_name, properties):
    """That `properties` is FtM-valid for `schema_name`: every property the schema's and
    writable, every value valid for its type, the schema validates the dict, and FtM's own
    cleaning (get_proxy with cleaned=False) accepts it and changes nothing."""
    schema = model.get(schema_name)
    assert schema is not None, schema_name
    for name, values in properties.items():
        prop = schema.get(name)
        assert prop is not None and not prop.stub, (schema_name, name)
        assert values, (schema_name, name)
        for value in values:
            assert isinstance(value, str) and prop.type.validate(value), (schema_name, name, value)
    data = {"id": "wl-test", "schema": schema_name, "properties": properties}
    assert schema.validate(data) is None
    assert model.get_proxy(data, cleaned=False).properties == properties


def test_every_mention_and_entity_filed_is_valid_followthemoney(app):
    _file_all(app)
    with app.app_context():
        mentions = db.session.scalars(select(Mention).order_by(Mention.id)).all()
        entities = db.session.scalars(select(Entity).order_by(Entity.id)).all()
        assert sorted({m.schema for m in mentions}) == ["Company", "Person", "UserAccount", "Vehicle"]
        assert len(mentions) == 5 + 2 + 6  # seizure, market observation, information report
        for row in (*mentions, *entities):
            _valid_ftm(row.schema, row.properties)
            if getattr(row, "merged_into_id", None) is not None:
                continue
            proxy = ftm.proxy_of(row)
            assert isinstance(proxy, EntityProxy) and proxy.schema.name == row.schema
            assert proxy.properties == row.properties  # all of it valid, so all of it in the proxy
            assert proxy.id == (f"wl-entity-{row.id}" if isinstance(row, Entity)
                                else "wl-mention-" + row.key.replace("/", "."))
            assert registry.entity.validate(proxy.id)
            assert model.get_proxy(proxy.to_dict(), cleaned=False).to_dict() == proxy.to_dict()

        by_caption = {m.caption: m.properties for m in mentions}
        # Names as typed, in their scripts; countries lower-case ISO; phones E.164.
        assert by_caption["Nguyễn Thị Hồng Nhung"] == {
            "name": ["Nguyễn Thị Hồng Nhung"], "alias": ["Nguyen Thi Hong Nhung"], "nationality": ["vn"],
            "idNumber": ["DEMO001"], "phone": ["+84399000123"]}
        assert by_caption["ສົມສັກ ວົງສະຫວັນ"]["phone"] == ["+8562055551234"]
        assert by_caption["王建国"]["name"] == ["王建国"] and by_caption["王建国"]["nationality"] == ["cn"]
        assert by_caption["Công ty TNHH Thương mại Demo Biên giới"] == {
            "name": ["Công ty TNHH Thương mại Demo Biên giới"], "jurisdiction": ["vn"],
            "registrationNumber": ["0100000001"], "address": ["Số 1 đường Demo, Móng Cái, Quảng Ninh"],
            "phone": ["+84912345678"]}
        assert by_caption["14C-000.01"] == {"registrationNumber": ["14C-000.01"], "country": ["vn"], "type": ["road"],
                                            "description": ["Xe tải đông lạnh"]}
        assert by_caption["sengdao.shop"] == {"username": ["sengdao.shop"], "service": ["Facebook"]}
        assert by_caption["ນາງ ແສງດາວ"] == {"name": ["ນາງ ແສງດາວ"], "nationality": ["la"], "phone": ["+8562055559876"]}
        assert by_caption["Trần Văn Demo"] == {"name": ["Trần Văn Demo"], "nationality": ["vn"]}
        assert by_caption["demo_vay_te_te"] == {"username": ["demo_vay_te_te"], "service": ["Zalo"]}
        # Resolution merged the suspect and the report's subject on the phone: the entity row
        # is both mentions' properties, still valid FtM.
        nhung = {m.entity_id for m in mentions if m.caption in ("Nguyễn Thị Hồng Nhung", "Nguyen Thi Hong Nhung")}
        assert len(nhung) == 1
        merged = db.session.get(Entity, nhung.pop())
        assert merged.properties["name"] == ["Nguyễn Thị Hồng Nhung", "Nguyen Thi Hong Nhung"]
        assert ftm.proxy_of(merged).get("phone") == ["+84399000123"]


def test_what_followthemoney_rejects_leaves_the_mention_and_stays_in_the_record(app, monkeypatch):
    # A country code the reference list has and FtM does not know (a code list can run ahead
    # of FtM's): the form accepts it, the mention cannot hold it.
    known = catalog.code_keys
    monkeypatch.setattr(catalog, "code_keys",
                        lambda list_id: known(list_id) | ({"ZZ-INVALID"} if list_id == "countries" else set()))
    long_address = "Số 1 đường Demo, " * 18  # 306 characters: the form takes 500, FtM's address type 250
    assert len(long_address) > registry.address.max_length
    fields = {**SEIZURE_FTM,
              "suspects": [{"name": "Trần Văn Demo", "nationality": "ZZ-INVALID", "phone": "+1 (999) 12"}],
              "vehicles": [{"registration": "29A-000.01", "country": "ZZ-INVALID"}],
              "companies": [{"name": "Demo Logistics", "country": "VN", "address": long_address}]}
    rid = _file(app, fields)
    with app.app_context():
        record = db.session.scalar(select(Record).filter_by(rid=rid))
        mentions = {m.schema: m.properties for m in record.mentions}
        assert mentions == {"Person": {"name": ["Trần Văn Demo"]}, "Vehicle": {"registrationNumber": ["29A-000.01"]},
                            "Company": {"name": ["Demo Logistics"], "jurisdiction": ["vn"]}}
        for schema, properties in mentions.items():
            _valid_ftm(schema, properties)
        assert record.content["suspects"][0]["nationality"] == "ZZ-INVALID"
        assert record.content["suspects"][0]["phone"] == "+1 (999) 12"
        assert record.content["vehicles"][0]["country"] == "ZZ-INVALID"
        assert record.content["companies"][0]["address"] == long_address


def test_a_filing_drops_a_nationality_followthemoney_rejects():
    filing = Filing(record={"agency_id": 1, "country": "VN"})
    filing.entity("Person", "Demo", {"name": ["Demo"], "nationality": ["zz-invalid"], "alias": [None],
                                     "phone": ["+84912345678"]}, "suspect")
    [(row, role)] = filing.entities
    assert role == "suspect" and row["properties"] == {"name": ["Demo"], "phone": ["+84912345678"]}


def test_a_phone_followthemoney_calls_invalid_stays_in_the_mention_exactly_but_not_in_the_proxy(app):
    # libphonenumber finds these possible but not valid (a range its tables lack); resolution
    # keys on them, so the mention keeps them as filed.
    report = {**REPORT, "people": [{"name": "王伟", "nationality": "CN", "phone": "+86 140 0000 1234"},
                                   {"name": "Nguyễn Văn Hùng", "nationality": "VN", "phone": "+84699000123"}],
              "companies": [], "vehicles": [], "accounts": []}
    rid = _file(app, report, form="information_report", version=1)
    with app.app_context():
        record = db.session.scalar(select(Record).filter_by(rid=rid))
        people = sorted(record.mentions, key=lambda m: m.key)
        assert [m.properties["phone"] for m in people] == [["+8614000001234"], ["+84699000123"]]
        for mention in people:
            assert not registry.phone.validate(mention.properties["phone"][0])
            proxy = ftm.proxy_of(mention)
            assert proxy.get("phone") == [] and proxy.get("name") == mention.properties["name"]
            _valid_ftm(proxy.schema.name, proxy.properties)


def test_unknown_schemata_and_properties_are_programming_errors():
    with pytest.raises(InvalidData):
        ftm.clean("Person", {"name": ["Demo"], "plate": ["29A-000.01"]})
    with pytest.raises(InvalidData):
        ftm.clean("Vehicle", {"nationality": [None]})  # even without a value
    with pytest.raises(InvalidData):
        ftm.clean("Car", {})
    with pytest.raises(InvalidData):
        Filing(record={"agency_id": 1, "country": "VN"}).entity("Person", "Demo", {"nickname": ["Demo"]}, "suspect")


def test_ids_are_documented_and_read_back():
    key = "0b1c2d3e-0000-4000-8000-000000000000/12"
    assert ftm.mention_id(key) == "wl-mention-0b1c2d3e-0000-4000-8000-000000000000.12"
    assert ftm.mention_key(ftm.mention_id(key)) == key
    assert ftm.mention_key("wl-entity-12") is None and ftm.mention_key("wl-mention-abc") is None
    assert ftm.entity_id(12) == "wl-entity-12"
    proxy = ftm.proxy_of(Mention(key=key, schema="UserAccount", properties={"username": ["demo"]}))
    assert proxy.to_dict() == {"id": "wl-mention-0b1c2d3e-0000-4000-8000-000000000000.12", "schema": "UserAccount",
                               "properties": {"username": ["demo"]}}
    with pytest.raises(ValueError):
        ftm.proxy_of(Entity(id=2, schema="Person", properties={"name": ["Demo"]}, merged_into_id=1))
    with pytest.raises(TypeError):
        ftm.proxy_of({"schema": "Person"})
