from decimal import Decimal

import pytest

from sqlalchemy import select

from server.extensions import db
from server.store.models import Record
from tests.helpers import MARKET, SEIZURE, counts


def test_sealed_record_is_opened_and_stored_field_by_field(app, device):
    rid = device.seal(SEIZURE)
    [receipt] = device.sync()
    assert receipt["status"] == "accepted" and receipt["rid"] == rid and receipt["log_index"] == 1

    with app.app_context():
        record = db.session.scalar(select(Record).filter_by(rid=rid))
        assert record.content == SEIZURE
        assert record.officer_name == "Lê Văn Tám"
        assert (record.form, record.form_version, record.country) == ("seizure", 1, "VN")
        assert record.agency.code == "VN-HQ-QN"
        seizure = record.seizure
        place = SEIZURE["place"]
        assert (seizure.place, seizure.location_type, seizure.province, seizure.place_country) == (
            place["name"], "land_border", "VN-13", "VN")
        assert (seizure.latitude, seizure.longitude, seizure.accuracy_m) == (
            Decimal("21.525612"), Decimal("107.966021"), Decimal("12.5"))
        assert (seizure.seizure_point, seizure.detection_method, seizure.transport_mode, seizure.concealment) == (
            "import", "xray", "road", "mixed_with_legal_goods")
        assert seizure.route == SEIZURE["route"]
        assert (seizure.value_amount, seizure.value_currency) == (Decimal("2500000000"), "VND")
        assert (seizure.legal_follow_up, seizure.source_reliability, seizure.source_credibility) == (
            "criminal_investigation", "B", "2")
        assert seizure.narrative == SEIZURE["narrative"] and str(seizure.seized_on) == "2026-11-20"
        assert [(i.species, i.term, i.quantity, i.unit, i.count, i.weight_kg, i.state, i.description)
                for i in seizure.items] == [
            ("Manis javanica", "SCA", Decimal("12.5"), "kg", None, Decimal("12.5"), "dead", "Vảy khô trong bao tải"),
            ("Elephas maximus", "TUS", Decimal("3"), "NAR", 3, Decimal("41.2"), None, None)]
        entities = [(m.role, m.entity.schema, m.entity.caption, m.entity.properties) for m in record.mentions]
        assert entities == [
            ("suspect", "Person", "Nguyễn Thị Hồng Nhung",
             {"name": ["Nguyễn Thị Hồng Nhung"], "alias": ["Nguyen Thi Hong Nhung"], "nationality": ["vn"],
              "idNumber": ["DEMO001"], "phone": ["+84399000123"]}),
            ("suspect", "Person", "ສົມສັກ ວົງສະຫວັນ",
             {"name": ["ສົມສັກ ວົງສະຫວັນ"], "alias": ["Somsak Vongsavan"], "nationality": ["la"]}),
            ("suspect", "Person", "王建国", {"name": ["王建国"], "alias": ["Wang Jianguo"], "nationality": ["cn"],
                                             "phone": ["+8619900000123"]}),
            ("vehicle", "Vehicle", "14C-000.01",
             {"registrationNumber": ["14C-000.01"], "country": ["vn"], "type": ["road"]}),
            ("company", "Company", "Công ty TNHH Thương mại Demo Biên giới",
             {"name": ["Công ty TNHH Thương mại Demo Biên giới"], "jurisdiction": ["vn"]}),
        ]
        assert record.flags == []
    assert counts(app) == {"ledger": 1, "records": 1, "quarantine": 0}


def test_market_observation_is_stored_field_by_field(app, device):
    rid = device.seal(MARKET, form="market_observation")
    [receipt] = device.sync()
    assert receipt["status"] == "accepted", receipt
    with app.app_context():
        record = db.session.scalar(select(Record).filter_by(rid=rid))
        assert record.content == MARKET and record.officer_name == "ສຸກສະຫວັນ ແກ້ວມະນີ"
        seen = record.market_observation
        assert (seen.market_kind, seen.place, seen.province, seen.platform, seen.url, seen.observation_mode) == (
            "physical", "ຕະຫຼາດເຊົ້າ ບໍ່ເຕນ", "LA-LM", None, None, "covert")
        assert [(i.species, i.term, i.quantity, i.unit, i.price, i.currency, i.claimed_origin)
                for i in seen.items] == [
            ("Ursus thibetanus", "GAL", Decimal("2"), "NAR", Decimal("12000000"), "LAK", "LA"),
            ("Manis javanica", "SCA", Decimal("0.5"), "kg", Decimal("3500"), "CNY", "MM")]
        assert [(m.role, m.entity.schema, m.entity.caption) for m in record.mentions] == [
            ("vendor", "Person", "ນາງ ແສງດາວ")]


@pytest.mark.parametrize("change", [
    {"market_kind": "online"},  # an online market needs its platform and address
    {"market_kind": "physical", "place": None},
    {"items": [{**MARKET["items"][0], "currency": None}]},  # a price needs its currency
    {"url": "javascript:alert(1)", "market_kind": "online", "platform": "x"},
])
def test_market_observation_rules(app, device, change):
    fields = {key: value for key, value in {**MARKET, **change}.items() if value is not None}
    fields["items"] = [{k: v for k, v in item.items() if v is not None} for item in fields["items"]]
    device.seal(fields, form="market_observation")
    [receipt] = device.sync()
    assert receipt["code"] == "invalid_fields"


def test_push_answers_are_signed_by_the_pinned_server_key(app, device):
    device.seal(SEIZURE)
    device.sync()  # the simulator verifies Wl-Server-Signature on every answer
    device.signing_key = device.signing_key[:-1] + bytes([device.signing_key[-1] ^ 1])
    device.seal(SEIZURE)
    try:
        device.sync()
    except Exception as error:  # noqa: BLE001 - any refusal to trust the answer is right
        assert "signature" in type(error).__name__.lower() or getattr(error, "code", "").startswith("bad")
    else:
        raise AssertionError("an answer under an unpinned key was trusted")


def test_a_correction_supersedes_and_the_time_zone_is_kept(app, device):
    original = device.seal(SEIZURE, tz="Asia/Vientiane")
    corrected = device.seal({**SEIZURE, "narrative": "Corrected weight"}, supersedes=original, tz="Asia/Shanghai")
    assert [r["status"] for r in device.sync()] == ["accepted", "accepted"]
    with app.app_context():
        first = db.session.scalar(select(Record).filter_by(rid=original))
        second = db.session.scalar(select(Record).filter_by(rid=corrected))
        assert (first.time_zone, first.supersedes) == ("Asia/Vientiane", None)
        assert (second.time_zone, second.supersedes) == ("Asia/Shanghai", original)


def test_a_time_zone_that_is_not_an_iana_name_is_quarantined(app, device):
    device.seal(SEIZURE, tz="UTC+7; DROP TABLE")
    [receipt] = device.sync()
    assert (receipt["status"], receipt["code"]) == ("quarantined", "malformed_envelope")
    assert counts(app) == {"ledger": 1, "records": 0, "quarantine": 1}


def test_each_push_keeps_what_the_phone_says_about_itself(app, device):
    from server.devices.models import Device

    device.seal(SEIZURE)
    state = {"version": "0.2.0", "storage_persistent": False, "storage_usage": 3_200_000, "storage_quota": 40_000_000}
    [receipt] = device.push(app=state)["receipts"]
    assert receipt["status"] == "accepted"
    with app.app_context():
        phone = db.session.get(Device, device.device_id)
        assert phone.app_state == state and phone.app_state_at is not None
