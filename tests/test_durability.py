"""Durability is not for sale (issue 15): a receipt tells the phone it may delete its only
copy, so every commit intake answers for must survive a power cut. SQLite syncs its WAL at
every commit (synchronous=FULL); PostgreSQL waits for its WAL flush (synchronous_commit=on),
on every connection the app opens, a gunicorn worker's included."""
from sqlalchemy import text

from server.extensions import db


def test_every_connection_commits_durably(app):
    with app.app_context():
        for _ in range(2):  # the pool's connections, not only the first
            with db.engine.connect() as connection:
                if db.engine.dialect.name == "sqlite":
                    assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
                    assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
                else:
                    assert connection.execute(text("SHOW synchronous_commit")).scalar() == "on"
                    assert connection.execute(text("SHOW fsync")).scalar() == "on"
