"""The migrations build the store on SQLite and PostgreSQL, and match the models."""
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DBAPIError

from server import crypto
from server.demo.serving import scratch_database
from server.extensions import db
from server.sync import ledger, merkle
from tests.conftest import make_app


def _on_a_new_database(database_url, tmp_path, scenario):
    """scenario(url) on a new, empty database of the backend under test."""
    if database_url.startswith("sqlite"):
        scenario(f"sqlite:///{tmp_path / 'new.sqlite'}")
    else:
        with scratch_database(database_url.replace("postgresql+psycopg", "postgresql").rsplit("/", 1)[0] + "/postgres",
                              "wildledger_migration") as url:
            scenario(url)


def test_migrations_build_every_table_and_match_the_models(app):
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        assert {m.name for m in db.metadata.sorted_tables} <= tables
        assert "alembic_version" in tables
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert differences == []


def test_the_transparency_log_migration_builds_the_tree_over_existing_rows(database_url, tmp_path):
    """A store from before the log (a hash chain over four columns): its rows become leaves,
    in order, the tree and head are built, what refers to the rows still does, and only then
    does the database refuse to rewrite them."""
    def scenario(url):
        app = make_app(url, tmp_path)
        key, intake = crypto.generate_key(), crypto.generate_key()
        device_id = str(uuid.uuid4())
        with app.app_context():
            upgrade(revision="5b7e2c9d4f11")  # the release before the log
            with db.engine.begin() as connection:
                connection.execute(text(
                    "INSERT INTO agencies (id, code, country, kind, name_en, name_vi, name_lo, name_zh_hans, source) "
                    "VALUES (1, 'VN-TEST', 'VN', 'customs', 'Test', 'Thử', 'ທົດ', '测试', 'test')"))
                connection.execute(text("INSERT INTO devices (id, agency_id, public_key, enrolled_at) "
                                        "VALUES (:id, 1, :key, :at)"),
                                   {"id": device_id, "key": crypto.public_raw(key), "at": datetime(2026, 11, 1)})
                for idx in (1, 2, 3):
                    header = json.dumps({"v": 1, "rid": str(uuid.uuid4()), "dev": device_id, "seq": idx, "ts": 0,
                                          "kid": "k", "prev": None}, separators=(",", ":")).encode()
                    ct, sig = crypto.seal_record(key, crypto.public_raw(intake), header, b'{"form":"x"}')
                    connection.execute(text(
                        "INSERT INTO ledger (idx, rid, device_id, seq, header, ct, sig, env_sha256, received_at, "
                        "clock_offset_ms, chain_hash) VALUES (:idx, :rid, :dev, :seq, :h, :ct, :sig, :env, :at, :off, :chain)"),
                        {"idx": idx, "rid": json.loads(header)["rid"], "dev": device_id, "seq": idx, "h": header,
                         "ct": ct, "sig": sig, "env": crypto.envelope_digest(header, ct, sig),
                         "at": datetime(2026, 11, 2) + timedelta(microseconds=idx * 1001), "off": -idx, "chain": bytes(32)})
                connection.execute(text("INSERT INTO quarantine (received_at, device_id, rid, seq, ledger_idx, code, "
                                        "envelope, status) VALUES (:at, :dev, 'r', 3, 3, 'invalid_fields', '{}', 'held')"),
                                   {"at": datetime(2026, 11, 2), "dev": device_id})
                connection.execute(text("UPDATE ledger_head SET idx = 3"))
            upgrade()
            rows = db.session.scalars(select(ledger.LedgerEntry).order_by(ledger.LedgerEntry.idx)).all()
            assert [r.status for r in rows] == ["received"] * 3
            assert rows[1].received_at == datetime(2026, 11, 2, tzinfo=UTC) + timedelta(microseconds=2002)
            snap = ledger.snapshot()
            assert (snap.epoch, snap.size, snap.root) == (0, 3, merkle.root_of(
                [merkle.leaf_hash(ledger.leaf_input(r)) for r in rows]))
            assert app.test_cli_runner().invoke(args=["ledger", "verify"]).exit_code == 0
            assert db.session.execute(text("SELECT ledger_idx FROM quarantine")).scalar() == 3
            db.session.remove()
            with pytest.raises(DBAPIError):
                with db.engine.begin() as connection:
                    connection.execute(text("UPDATE ledger SET seq = 9 WHERE idx = 1"))
            db.engine.dispose()

    _on_a_new_database(database_url, tmp_path, scenario)


def test_the_directory_migrations_give_agencies_their_functions_and_fill_the_crossings(database_url, tmp_path):
    """A store from before the directory: its agencies get their functions from the
    release's agencies.json (one the file does not list gets none), and the crossings
    table starts with every crossing records may already name."""
    from server.directory.models import Crossing
    from server.reference import catalog

    def scenario(url):
        app = make_app(url, tmp_path)
        with app.app_context():
            upgrade(revision="3b8f0d6a2c11")  # the release before the directory
            with db.engine.begin() as connection:
                for code in ("CN-GACC", "XX-LOCAL"):
                    connection.execute(text(
                        "INSERT INTO agencies (code, country, kind, name_en, name_vi, name_lo, name_zh_hans, source) "
                        "VALUES (:code, 'CN', 'customs', 'Test', 'Thử', 'ທົດ', '测试', 'test')"), {"code": code})
            upgrade()
            functions = dict(db.session.execute(text("SELECT code, functions FROM agencies")).all())
            assert {code: json.loads(value) if isinstance(value, str) else value
                    for code, value in functions.items()} == {"CN-GACC": ["customs", "quarantine"], "XX-LOCAL": []}
            crossings = {c.key: c.item() for c in db.session.scalars(select(Crossing))}
            assert crossings == {item["key"]: item for item in catalog.collection_file("crossings")["items"]}
            db.session.remove()
            db.engine.dispose()

    _on_a_new_database(database_url, tmp_path, scenario)
