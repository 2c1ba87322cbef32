from decimal import Decimal

from sqlalchemy import select

from server.extensions import db
from server.store.models import Record
from tests.helpers import SEIZURE, counts


def test_sealed_record_is_opened_and_stored_field_by_field(app, device):
    rid = device.seal(SEIZURE, officer="Lê Văn Tám")
    [receipt] = device.sync()
    assert receipt["status"] == "accepted" and receipt["rid"] == rid and receipt["log_index"] == 1

    with app.app_context():
        record = db.session.scalar(select(Record).filter_by(rid=rid))
        assert record.content == SEIZURE
        assert record.officer_name == "Lê Văn Tám"
        assert (record.form, record.form_version, record.country) == ("seizure", 1, "VN")
        assert record.agency.code == "VN-HQ-QN"
        seizure = record.seizure
        assert seizure.place == SEIZURE["place"] and seizure.narrative == SEIZURE["narrative"]
        assert str(seizure.seized_on) == "2026-11-20"
        assert [(i.species, i.quantity, i.unit) for i in seizure.items] == [
            ("Manis javanica", Decimal("12.5"), "kg"), ("Elephas maximus", Decimal("3"), "NAR")]
        people = [(m.role, m.entity.schema, m.entity.caption, m.entity.properties) for m in record.mentions]
        assert people == [
            ("suspect", "Person", "Nguyễn Thị Hồng Nhung",
             {"name": ["Nguyễn Thị Hồng Nhung"], "alias": ["Nguyen Thi Hong Nhung"], "nationality": ["vn"]}),
            ("suspect", "Person", "ສົມສັກ ວົງສະຫວັນ",
             {"name": ["ສົມສັກ ວົງສະຫວັນ"], "alias": ["Somsak Vongsavan"], "nationality": ["la"]}),
            ("suspect", "Person", "王建国", {"name": ["王建国"], "alias": ["Wang Jianguo"], "nationality": ["cn"]}),
        ]
        assert record.flags == []
    assert counts(app) == {"ledger": 1, "records": 1, "quarantine": 0}


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
