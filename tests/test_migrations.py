"""The migrations build the store on SQLite and PostgreSQL, and match the models."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from server.extensions import db


def test_migrations_build_every_table_and_match_the_models(app):
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        assert {m.name for m in db.metadata.sorted_tables} <= tables
        assert "alembic_version" in tables
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert differences == []
