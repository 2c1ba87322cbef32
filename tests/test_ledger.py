"""Tamper evidence: raw-SQL edits, deletions and reordering are found, and the store
is rebuilt from the ledger."""
import pytest
from sqlalchemy import delete, select, text

from server.extensions import db
from server.store.models import Entity, Mention, Record, Seizure, SeizureItem
from tests.helpers import SEIZURE


@pytest.fixture
def filled(app, device):
    for n in range(5):
        device.seal({**SEIZURE, "narrative": f"Crossing {n}"})
    device.sync()
    return app


def _sql(app, statement, **params):
    with app.app_context():
        db.session.execute(text(statement), params)
        db.session.commit()


def _verify(app):
    return app.test_cli_runner().invoke(args=["ledger", "verify"])


def test_intact_ledger_verifies(filled):
    result = _verify(filled)
    assert result.exit_code == 0 and "Ledger ok: 5 rows" in result.output


@pytest.mark.parametrize("statement, first_bad", [
    ("UPDATE ledger SET ct = :junk WHERE idx = 3", 3),
    ("UPDATE ledger SET received_at = received_at + INTERVAL '1 second' WHERE idx = 2", 2),
    ("UPDATE ledger SET rid = '00000000-0000-4000-8000-000000000000' WHERE idx = 4", 4),
    ("DELETE FROM ledger WHERE idx = 2", 3),
    ("DELETE FROM ledger WHERE idx = 5", 5),
    ("SWAP 2 4", 2),
])
def test_tampering_is_detected_at_the_first_bad_row(filled, statement, first_bad):
    with filled.app_context():
        dialect = db.engine.dialect.name
        db.session.execute(delete(Mention))
        db.session.execute(delete(Entity))
        db.session.execute(delete(SeizureItem))
        db.session.execute(delete(Seizure))
        db.session.execute(delete(Record))
        db.session.commit()
    if statement.startswith("SWAP"):
        # Reorder: exchange the contents of two rows, keeping their positions.
        a, b = statement.split()[1:]
        _sql(filled, f"UPDATE ledger SET idx = -1 WHERE idx = {a}")
        _sql(filled, f"UPDATE ledger SET idx = {a} WHERE idx = {b}")
        _sql(filled, f"UPDATE ledger SET idx = {b} WHERE idx = -1")
    else:
        if dialect == "sqlite":
            statement = statement.replace("received_at + INTERVAL '1 second'", "datetime(received_at, '+1 second')")
        _sql(filled, statement, junk=b"tampered")
    result = _verify(filled)
    assert result.exit_code != 0
    assert f"Ledger row {first_bad} is bad" in result.output


def test_replay_rebuilds_store_rows_deleted_by_raw_sql(filled):
    with filled.app_context():
        before = {r.rid: (r.content, [i.species for i in r.seizure.items]) for r in db.session.scalars(select(Record))}
    _sql(filled, "DELETE FROM mentions")
    _sql(filled, "DELETE FROM seizure_items WHERE record_id IN (SELECT id FROM records WHERE ledger_idx IN (2, 4))")
    _sql(filled, "DELETE FROM seizures WHERE record_id IN (SELECT id FROM records WHERE ledger_idx IN (2, 4))")
    _sql(filled, "DELETE FROM records WHERE ledger_idx IN (2, 4)")
    result = filled.test_cli_runner().invoke(args=["intake", "replay"])
    assert result.exit_code == 0 and "Replayed 2 ledger rows: 2 filed" in result.output
    with filled.app_context():
        after = {r.rid: (r.content, [i.species for i in r.seizure.items]) for r in db.session.scalars(select(Record))}
    assert after == before
    again = filled.test_cli_runner().invoke(args=["intake", "replay"])
    assert "Replayed 0 ledger rows" in again.output


def test_a_bug_after_the_ledger_commit_loses_nothing(app, device, monkeypatch):
    """A crash in filing leaves the envelope in the ledger and a quarantine row; once
    the bug is fixed, replay files it."""
    from server.store import service
    from server.sync.models import Quarantine

    def broken_filer(*args, **kwargs):
        raise RuntimeError("a bug in filing")

    monkeypatch.setitem(service.FILERS, "seizure", broken_filer)
    rid = device.seal(SEIZURE)
    [receipt] = device.sync()
    assert (receipt["status"], receipt["code"], receipt["log_index"]) == ("quarantined", "intake_error", 1)
    with app.app_context():
        held = db.session.scalars(select(Quarantine)).one()
        assert (held.rid, held.ledger_idx, held.status) == (rid, 1, "held")
        assert db.session.scalar(select(Record.id)) is None

    monkeypatch.undo()
    result = app.test_cli_runner().invoke(args=["intake", "replay"])
    assert "Replayed 1 ledger rows: 1 filed" in result.output
    with app.app_context():
        assert db.session.scalars(select(Record)).one().content == SEIZURE
        assert db.session.scalars(select(Quarantine)).one().status == "released"
