"""Fixtures: every test that touches the store runs on SQLite and on PostgreSQL.

Each backend's database is built once per session by running the migrations (not
create_all), then emptied between tests. PostgreSQL comes from TEST_DATABASE_URL
(.ci/run creates a fresh database) or, failing that, a temporary database on the
local server; it is never skipped.
"""
import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from server import create_app
from server.demo.serving import gunicorn, scratch_database
from server.demo.simulator import FlaskTransport, SimulatedDevice
from server.devices import service as devices
from server.extensions import db
from server.keys import service as keys
from server.reference import agencies
from server.reference.models import new_history
from server.sync import guard
from server.sync.ledger import EMPTY_ROOT, HEAD_ID

ROOT = Path(__file__).resolve().parent.parent
os.environ["WILDLEDGER_LANG"] = "en"  # command output is asserted in English, whatever the shell's LANG
# An instance folder (enrollment QR images and the like) of each test process's own, not the
# checkout's: pytest-xdist workers would sweep each other's files. Set in every process, since a
# worker inherits the controller's environment.
os.environ["WILDLEDGER_INSTANCE_PATH"] = _instance = tempfile.mkdtemp(prefix="wildledger-test-instance-")
atexit.register(shutil.rmtree, _instance, ignore_errors=True)
LOCAL_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def pytest_configure(config):
    """Tests read the catalogs as they are in the tree, never stale .mo files. Compiled once,
    before any test: with pytest-xdist, by the controller, not by every worker at once."""
    if not hasattr(config, "workerinput"):
        subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", "compile", "-d",
                        str(ROOT / "translations")], check=True)


@pytest.fixture(scope="session")
def postgres_url():
    given = os.environ.get("TEST_DATABASE_URL")
    # Each pytest-xdist worker empties its database between tests: one database each.
    if given and not os.environ.get("PYTEST_XDIST_WORKER"):
        yield given
        return
    with scratch_database(given or LOCAL_PG, "wildledger_test") as url:
        yield url


_migrated = set()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.getbasetemp() / 'wildledger-test.sqlite'}"
    return request.getfixturevalue("postgres_url")


def _empty(engine):
    tables = [t.name for t in db.metadata.sorted_tables]
    with engine.begin() as connection, guard.bypassed(connection):
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                connection.execute(text(f"DELETE FROM {table}"))
        connection.execute(text("INSERT INTO ledger_head (id, size, root, frontier, epoch) "
                                "VALUES (:id, 0, :root, :empty, 0)"), {"id": HEAD_ID, "root": EMPTY_ROOT, "empty": b""})
        connection.execute(text("INSERT INTO reference_head (id, version, history) VALUES (1, 0, :history)"),
                           {"history": new_history()})
        connection.execute(text("INSERT INTO audit_head (id, seq, hash, anchored_seq) VALUES (1, 0, :genesis, 0)"),
                           {"genesis": bytes(32)})


_apps = []


@pytest.fixture(autouse=True)
def _dispose_engines():
    """Every app a test made gives its database connections back."""
    yield
    while _apps:
        with _apps.pop().app_context():
            db.engine.dispose()


def make_app(database_url, tmp_path, **config):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                      "KEK_FILE": str(tmp_path / "keys" / "kek"), "PUBLIC_URL": "https://wildledger.test",
                      "EXPORT_DIR": str(tmp_path / "exports"),
                      "AUTH_FAILURES_PER_MINUTE": 1000, "TASK_QUEUE": "immediate", **config})
    _apps.append(app)
    return app


def prepare(app):
    """Migrated once per database, emptied, with server keys and the agencies."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        if url not in _migrated:
            upgrade()
            _migrated.add(url)
        _empty(db.engine)
        keys.init_keys()
        agencies.load()
    return app


@pytest.fixture
def app(database_url, tmp_path):
    return prepare(make_app(database_url, tmp_path))


def running_server(app, tmp_path, workers=4, env=None, log=None):
    """The production server (gunicorn) on this app's database and keys."""
    return gunicorn(app, tmp_path / "instance", workers=workers, env=env, log=log)


@pytest.fixture
def pg_server(postgres_url, tmp_path):
    app = prepare(make_app(postgres_url, tmp_path))
    with running_server(app, tmp_path) as url:
        yield app, url


@pytest.fixture
def client(app):
    return app.test_client()


def enrollment_token(app, agency_code="VN-HQ-QN"):
    """A fresh one-time enrollment token (and its row id) for that agency."""
    from server.access import service as access

    with app.app_context():
        token, row = devices.create_enrollment(access.agency_by_code(agency_code), officer_name="Test officer")
        return token, row.id


def enroll_device(app, agency_code="VN-HQ-QN", transport=None, **device_options):
    """A simulated phone of that agency, enrolled through the HTTP API (in-process
    unless a transport is given)."""
    device = SimulatedDevice(transport or FlaskTransport(app.test_client()), **device_options)
    device.enroll(enrollment_token(app, agency_code)[0])
    return device


@pytest.fixture
def device(app):
    return enroll_device(app)


@pytest.fixture
def clock(monkeypatch):
    """The console's clock (alerts, sessions, silent phones), moved by the test."""
    from datetime import timedelta

    from server.console import auth

    class Clock:
        offset = timedelta()

        def advance(self, **delta):
            self.offset += timedelta(**delta)

    moved = Clock()
    real = auth.now
    monkeypatch.setattr(auth, "now", lambda: real() + moved.offset)
    return moved
