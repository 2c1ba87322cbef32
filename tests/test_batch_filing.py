"""A push is filed as a batch: one multi-row INSERT per table, and when the batch fails,
record by record, so the record at fault is quarantined alone (issue 15)."""
import pytest
from sqlalchemy import event, select

from server.extensions import db
from server.store.models import Entity, Mention, Record, SeizureItem
from server.sync import intake
from server.sync.models import Quarantine
from tests.helpers import SEIZURE



def _sync_seeing_statements(app, device):
    """The phone's sync, and the start of every SQL statement the server ran for it."""
    seen = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement.split("(")[0].strip())

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", before)
        try:
            return device.sync(), seen
        finally:
            event.remove(db.engine, "before_cursor_execute", before)


def test_a_batch_goes_in_with_one_insert_per_table(app, device):
    for n in range(25):
        device.seal({**SEIZURE, "narrative": f"batch {n}",
                     "suspects": [*SEIZURE["suspects"], {"name": f"Demo {n}", "nationality": "VN"}]})
    receipts, seen = _sync_seeing_statements(app, device)
    assert [r["status"] for r in receipts] == ["accepted"] * 25
    inserts = {table: seen.count(f"INSERT INTO {table}") for table in
               ("records", "seizures", "seizure_items", "entities", "mentions")}
    assert inserts == dict.fromkeys(inserts, 1), inserts
    with app.app_context():
        records = db.session.scalars(select(Record).order_by(Record.seq)).all()
        assert [r.seizure.narrative for r in records] == [f"batch {n}" for n in range(25)]
        # Each record's rows are its own: ids handed back in the order the rows were given.
        for n, record in enumerate(records):
            assert [item.species for item in record.seizure.items] == [i["species"] for i in SEIZURE["items"]]
            assert [(m.role, m.entity.caption) for m in record.mentions] == [
                *(("suspect", s["name"]) for s in SEIZURE["suspects"]), ("suspect", f"Demo {n}"),
                ("vehicle", SEIZURE["vehicles"][0]["registration"]), ("company", SEIZURE["companies"][0]["name"])]
        assert db.session.query(Entity).count() == db.session.query(Mention).count() == 25 * 6
        assert db.session.query(SeizureItem).count() == 25 * len(SEIZURE["items"])


def test_when_the_batch_fails_each_record_is_filed_alone(app, device, monkeypatch):
    """A failure no check foresaw, caused by one record: that record waits in quarantine as
    intake_error; the rest of its push is stored, exactly once."""
    insert_all, attempts = intake.insert_all, []

    def failing_for_the_bad_one(filings):
        attempts.append(len(filings))
        if any(filing.detail["narrative"] == "bad" for filing in filings):
            raise RuntimeError("a filing bug")
        return insert_all(filings)

    monkeypatch.setattr(intake, "insert_all", failing_for_the_bad_one)
    rids = [device.seal({**SEIZURE, "narrative": narrative}) for narrative in ("good 1", "bad", "good 2")]
    receipts = device.sync()
    assert attempts == [3, 1, 1, 1]  # together, then one at a time
    assert [(r["rid"], r["status"], r["code"]) for r in receipts] == [
        (rids[0], "accepted", None), (rids[1], "quarantined", "intake_error"), (rids[2], "accepted", None)]
    with app.app_context():
        assert sorted(db.session.scalars(select(Record.rid))) == sorted([rids[0], rids[2]])
        [held] = db.session.scalars(select(Quarantine)).all()
        assert (held.rid, held.code, held.status) == (rids[1], "intake_error", "held")
        assert db.session.query(SeizureItem).count() == 2 * len(SEIZURE["items"])
    monkeypatch.setattr(intake, "insert_all", insert_all)
    assert [r["status"] for r in device.sync()] == []  # nothing left on the phone to send
    with app.app_context():
        receipt = intake.release(held.id)
        db.session.commit()
        assert receipt.status == "accepted"
        assert db.session.scalar(select(Quarantine.status)) == "released"


@pytest.mark.parametrize("refused", ["invalid_fields", "value_out_of_range"])
def test_a_record_refused_by_its_checks_leaves_its_batch_in_one_insert(app, device, refused):
    bad = ({**SEIZURE, "date": "not a date"} if refused == "invalid_fields"
           else {**SEIZURE, "estimated_value": {"amount": "12.345", "currency": "VND"}})
    device.seal(SEIZURE)
    device.seal(bad)
    device.seal(SEIZURE)
    receipts, seen = _sync_seeing_statements(app, device)
    assert [(r["status"], r["code"]) for r in receipts] == [
        ("accepted", None), ("quarantined", refused), ("accepted", None)]
    assert seen.count("INSERT INTO records") == 1
