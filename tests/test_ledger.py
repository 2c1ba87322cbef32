"""The ledger as a transparency log, on the server: every column of a row is covered, the
database refuses to rewrite it, and an insider who rewrites it anyway is caught by
`flask ledger verify` or, if thorough, by any head held outside (`flask ledger prove`)."""
import json

import pytest
from sqlalchemy import create_engine, delete, select, text
from sqlalchemy.exc import DBAPIError

from server import crypto
from server.extensions import db
from server.store.models import Entity, Mention, Record, Seizure, SeizureItem
from server.sync import guard, ledger, merkle
from server.sync.models import LedgerEntry, LedgerNode
from tests import insider
from tests.conftest import enroll_device
from tests.helpers import SEIZURE


@pytest.fixture
def filled(app, device):
    for n in range(5):
        device.seal({**SEIZURE, "narrative": f"Crossing {n}"})
    device.sync()
    return app


def _verify(app):
    return app.test_cli_runner().invoke(args=["ledger", "verify"])


def _head(app):
    result = app.test_cli_runner().invoke(args=["ledger", "head"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _prove(app, head):
    return app.test_cli_runner().invoke(args=["ledger", "prove", "-"], input=json.dumps(head))


def _forget_store(app):
    with app.app_context():
        for model in (Mention, Entity, SeizureItem, Seizure, Record):
            db.session.execute(delete(model))
        db.session.commit()


def test_intact_ledger_verifies(filled):
    result = _verify(filled)
    assert result.exit_code == 0 and "Ledger ok: 5 rows" in result.output


def test_the_tree_is_rfc_9162_over_leaves_that_cover_every_column(filled):
    with filled.app_context():
        rows = db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.idx)).all()
        leaves = [merkle.leaf_hash(crypto.leaf_input(
            r.idx, r.rid, r.device_id, r.seq, r.env_sha256, ledger.received_at_us(r.received_at), r.clock_offset_ms,
            r.status)) for r in rows]
        snap = ledger.snapshot()
        assert (snap.size, snap.root) == (5, merkle.root_of(leaves))
        assert db.session.scalar(select(LedgerNode.hash).filter_by(level=0, idx=3)) == leaves[3]
        paths, consistency = ledger.proofs(snap, [0, 4], held_size=3)
        assert merkle.verify_inclusion(4, 5, leaves[4], paths[4], snap.root)
        assert merkle.verify_consistency(3, 5, merkle.root_of(leaves[:3]), snap.root, consistency)


@pytest.mark.parametrize("statement, first_bad", [
    ("UPDATE ledger SET ct = :junk WHERE idx = 3", 3),
    ("UPDATE ledger SET sig = :junk WHERE idx = 1", 1),
    ("UPDATE ledger SET header = :junk WHERE idx = 2", 2),
    ("UPDATE ledger SET env_sha256 = :digest WHERE idx = 4", 4),
    ("UPDATE ledger SET received_at = :moment WHERE idx = 2", 2),
    ("UPDATE ledger SET rid = '00000000-0000-4000-8000-000000000000' WHERE idx = 4", 4),
    ("UPDATE ledger SET seq = 9 WHERE idx = 3", 3),
    ("UPDATE ledger SET device_id = :other WHERE idx = 5", 5),
    ("UPDATE ledger SET clock_offset_ms = 3600000 WHERE idx = 2", 2),
    ("UPDATE ledger SET status = 'conflict' WHERE idx = 3", 3),
    ("UPDATE ledger SET status = 'nonsense' WHERE idx = 3", 3),
    ("DELETE FROM ledger WHERE idx = 2", 2),
    ("DELETE FROM ledger WHERE idx = 5", 5),
    ("SWAP 2 4", 2),
    ("UPDATE ledger_nodes SET hash = :digest WHERE level = 1 AND idx = 1", 4),
    ("UPDATE ledger_head SET size = 4", 6),
])
def test_tampering_without_rebuilding_the_tree_is_named_at_the_first_bad_row(filled, statement, first_bad):
    _forget_store(filled)
    other = enroll_device(filled, "LA-DOFI-BKX").device_id
    params = {"junk": b"tampered", "digest": bytes(32), "moment": "2026-01-01 00:00:00", "other": other}
    if statement.startswith("SWAP"):
        a, b = statement.split()[1:]
        insider.sql(filled, f"UPDATE ledger SET idx = -1 WHERE idx = {a}", f"UPDATE ledger SET idx = {a} WHERE idx = {b}",
                    f"UPDATE ledger SET idx = {b} WHERE idx = -1")
    else:
        insider.sql(filled, statement, **params)
    result = _verify(filled)
    assert result.exit_code != 0
    assert f"Ledger row {first_bad} is bad" in result.output, result.output
    assert "Traceback" not in result.output


def test_a_blob_rewritten_as_text_is_named_without_a_traceback(filled, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's bytea refuses text outright")
    _forget_store(filled)
    insider.sql(filled, "UPDATE ledger SET ct = 'now some text' WHERE idx = 2")
    result = _verify(filled)
    assert result.exit_code != 0 and "Ledger row 2 is bad" in result.output and "malformed" in result.output
    assert "Traceback" not in result.output


def test_a_thorough_rewrite_passes_verify_but_not_a_head_held_before(filled):
    """An insider who also recomputes the tree leaves the server agreeing with itself; the
    head a phone or an auditor kept from before does not."""
    held = _head(filled)
    assert _prove(filled, held).exit_code == 0
    insider.sql(filled, "UPDATE ledger SET clock_offset_ms = 3600000 WHERE idx = 2")
    insider.rebuild_log(filled)
    assert _verify(filled).exit_code == 0
    result = _prove(filled, held)
    assert result.exit_code != 0 and "history was rewritten" in result.output


def test_a_row_deleted_and_the_rest_rechained_is_caught_by_a_held_head(filled):
    held = _head(filled)
    insider.delete_and_rechain(filled, 3)
    assert _verify(filled).exit_code == 0  # the server now agrees with itself
    result = _prove(filled, held)
    assert result.exit_code != 0 and "history was rewritten" in result.output


def test_the_tail_cut_and_the_head_rewound_is_caught_by_a_held_head(filled):
    held = _head(filled)
    insider.cut_tail(filled, 3)
    assert _verify(filled).exit_code == 0
    result = _prove(filled, held)
    assert result.exit_code != 0 and "history was rewritten" in result.output


def _flipped(b64u):
    """The same signature with one bit of its first byte changed: never equal to it (cutting
    its end to "AA" was, one time in 256, the signature itself)."""
    raw = bytearray(crypto.b64d(b64u))
    raw[0] ^= 1
    return crypto.b64e(bytes(raw))


def test_prove_refuses_what_is_not_a_signed_head(filled):
    head = _head(filled)
    for forged in ({**head, "size": head["size"] - 1}, {**head, "root": crypto.b64e(bytes(32))},
                   {**head, "signature": _flipped(head["signature"])}, {"size": 1}):
        result = _prove(filled, forged)
        assert result.exit_code != 0 and "Traceback" not in result.output
    assert _prove(filled, head).exit_code == 0


def test_replay_refuses_to_file_a_row_that_does_not_match_the_log(filled):
    """Seen: a clock offset changed by raw SQL was filed into the store by `intake replay`."""
    _forget_store(filled)
    insider.sql(filled, "UPDATE ledger SET clock_offset_ms = 3600000 WHERE idx = 2")
    result = filled.test_cli_runner().invoke(args=["intake", "replay"])
    assert result.exit_code != 0 and "row 2" in result.output
    with filled.app_context():
        assert db.session.scalar(select(Record.id).filter_by(ledger_idx=2)) is None
        assert sorted(db.session.scalars(select(Record.ledger_idx))) == [1, 3, 4, 5]


def test_replay_rebuilds_store_rows_deleted_by_raw_sql(filled):
    with filled.app_context():
        before = {r.rid: (r.content, [i.species for i in r.seizure.items]) for r in db.session.scalars(select(Record))}
    insider.sql(filled, "DELETE FROM mentions",
                "DELETE FROM seizure_items WHERE record_id IN (SELECT id FROM records WHERE ledger_idx IN (2, 4))",
                "DELETE FROM seizures WHERE record_id IN (SELECT id FROM records WHERE ledger_idx IN (2, 4))",
                "DELETE FROM records WHERE ledger_idx IN (2, 4)")
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


@pytest.mark.parametrize("statement", ["UPDATE ledger SET seq = seq WHERE idx = 1", "DELETE FROM ledger WHERE idx = 1",
                                       "UPDATE ledger_nodes SET hash = hash", "DELETE FROM ledger_nodes",
                                       "UPDATE ledger_epochs SET size = 0", "DELETE FROM ledger_epochs"])
def test_the_database_refuses_to_rewrite_history_even_to_its_owner(filled, statement):
    with filled.app_context():
        ledger.declare_restored(1_800_000_000_000)  # a row in every append-only table
    with filled.app_context(), pytest.raises(DBAPIError) as refused:
        db.session.execute(text(statement))
    assert "append-only" in str(refused.value)


def test_the_runtime_role_may_only_insert_and_select_on_postgresql(filled, database_url):
    """As deploy/postgres/setup.sh sets it up: the owner runs migrations and owns the tables;
    the server logs in as a runtime role granted what default privileges give it."""
    if not database_url.startswith("postgresql"):
        pytest.skip("roles are PostgreSQL's; SQLite has the triggers (the test above)")
    role = "wl_runtime_test"
    with filled.app_context():
        with db.engine.begin() as connection:
            connection.execute(text(f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') "
                                    f"THEN CREATE ROLE {role} LOGIN; END IF; END $$"))
            connection.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public "
                                    f"TO {role}"))
            guard.revoke_rewrites(connection)
        url = db.engine.url.set(username=role, password=None)
    runtime = create_engine(url)
    try:
        with runtime.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM ledger")).scalar() == 5
            for statement in ("UPDATE ledger SET seq = seq WHERE idx = 1", "DELETE FROM ledger WHERE idx = 1",
                              "TRUNCATE ledger CASCADE", "UPDATE ledger_nodes SET hash = hash",
                              "DELETE FROM ledger_epochs", "TRUNCATE ledger_nodes",
                              "UPDATE audit_log SET actor = actor", "DELETE FROM audit_log", "TRUNCATE audit_log"):
                with pytest.raises(DBAPIError) as refused:
                    connection.execute(text(statement))
                assert "permission denied" in str(refused.value)
                connection.rollback()
            connection.execute(text("UPDATE ledger_head SET epoch = epoch"))  # the head moves, as appends need
            connection.execute(text("UPDATE audit_head SET seq = seq"))
            connection.rollback()
    finally:
        runtime.dispose()
        with filled.app_context(), db.engine.begin() as connection:
            connection.execute(text(f"DROP OWNED BY {role}"))
            connection.execute(text(f"DROP ROLE {role}"))
