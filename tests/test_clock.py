"""Phone clocks are often wrong: records are never refused for their own time."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from server.extensions import db
from server.store.models import Record
from tests.conftest import enroll_device
from tests.helpers import SEIZURE

HOUR_MS = 3600 * 1000


@pytest.mark.parametrize("error_ms, flag", [(3 * HOUR_MS, "future"), (-3 * HOUR_MS, "before_enrollment"),
                                            (400 * 24 * HOUR_MS, "future"),
                                            (-400 * 24 * HOUR_MS, "before_enrollment")])
def test_wrong_clock_still_syncs_after_one_clock_skew_round_trip(app, error_ms, flag):
    device = enroll_device(app, clock_error_ms=error_ms)
    rids = [device.seal(SEIZURE) for _ in range(3)]
    receipts = device.sync()
    assert [r["status"] for r in receipts] == ["accepted"] * 3
    assert abs(device.offset_ms + error_ms) < 60_000  # learned from the server's answer
    with app.app_context():
        records = db.session.scalars(select(Record).where(Record.rid.in_(rids))).all()
        assert len(records) == 3
        for record in records:
            # Stored as the phone said, with the measured offset beside it, and flagged.
            skew = record.device_time - record.received_at
            assert abs(skew - timedelta(milliseconds=error_ms)) < timedelta(minutes=1)
            assert abs(record.clock_offset_ms + error_ms) < 60_000
            assert record.flags == [flag]


def test_clock_skew_answer_carries_server_time_and_stores_nothing(app):
    device = enroll_device(app, clock_error_ms=10 * 60 * 1000)
    device.seal(SEIZURE)
    body = b'{"records":[]}'
    answer = device.transport.request("POST", device.PUSH, body, device.signed_headers(device.PUSH, body))
    assert answer.status == 401
    problem = answer.json()
    assert problem["code"] == "clock_skew" and isinstance(problem["server_time"], int)
    with app.app_context():
        assert db.session.query(Record).count() == 0


def test_correct_clock_is_not_flagged(app, device):
    device.seal(SEIZURE)
    device.sync()
    assert device.offset_ms == 0
    with app.app_context():
        record = db.session.scalars(select(Record)).one()
        assert record.flags == [] and abs(record.clock_offset_ms) < 60_000
