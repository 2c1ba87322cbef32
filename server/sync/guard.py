"""The database refuses to change history (PROTOCOL.md §9, deploy/README.md "Database roles").

The append-only tables take INSERT and SELECT only. On PostgreSQL, two defences:
- privileges: the runtime role keeps INSERT and SELECT; UPDATE, DELETE and TRUNCATE are
  revoked from every role but the owner (the owner runs migrations; the server does not
  log in as it);
- triggers: BEFORE UPDATE OR DELETE (each row) and BEFORE TRUNCATE refuse, whoever asks,
  the owner included, until the owner disables them on purpose — an act of its own.
On SQLite, where anyone holding the file is its owner, the same triggers (UPDATE, DELETE;
SQLite has no TRUNCATE).

Migrations call install() for each append-only table they create. `bypassed()` is for
tests that play the insider with full database access (and for emptying test databases).
"""
import contextlib

from sqlalchemy import text

APPEND_ONLY = ("ledger", "ledger_nodes", "ledger_epochs", "audit_log")

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION wildledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'wildledger: % is append-only; % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$"""

# Every grantee but the owner loses the right to rewrite; PUBLIC too.
_PG_REVOKE = """
DO $$
DECLARE grantee_name text;
BEGIN
  REVOKE UPDATE, DELETE, TRUNCATE ON TABLE {table} FROM PUBLIC;
  FOR grantee_name IN
    SELECT DISTINCT grantee FROM information_schema.role_table_grants
     WHERE table_schema = current_schema() AND table_name = '{table}'
       AND grantee NOT IN ('PUBLIC', current_user)
  LOOP
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON TABLE {table} FROM %I', grantee_name);
  END LOOP;
END $$"""


def _statements(dialect, table):
    if dialect == "postgresql":
        return [
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION wildledger_append_only()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION wildledger_append_only()",
        ]
    return [f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'wildledger: {table} is append-only; {op} refused'); END"
            for op in ("UPDATE", "DELETE")]


def install(connection, tables=APPEND_ONLY):
    dialect = connection.dialect.name
    tables = list(tables)
    if dialect == "postgresql":
        connection.execute(text(_PG_FUNCTION))
    for table in tables:
        for statement in _statements(dialect, table):
            connection.execute(text(statement))
    revoke_rewrites(connection, tables)


def revoke_rewrites(connection, tables=APPEND_ONLY):
    """PostgreSQL: UPDATE, DELETE and TRUNCATE on the append-only tables for nobody but the
    owner (the runtime role's default privileges granted them when a migration created the
    table). Idempotent; deploy/postgres/setup.sh does the same for installations it upgrades."""
    if connection.dialect.name == "postgresql":
        for table in tables:
            connection.execute(text(_PG_REVOKE.format(table=table)))


def uninstall(connection, tables=APPEND_ONLY):
    for table in tables:
        if connection.dialect.name == "postgresql":
            for suffix in ("append_only", "no_truncate"):
                connection.execute(text(f"DROP TRIGGER IF EXISTS {table}_{suffix} ON {table}"))
        else:
            for op in ("update", "delete"):
                connection.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{op}"))


@contextlib.contextmanager
def bypassed(connection, tables=APPEND_ONLY):
    """What an insider with full database access can do: switch the guard off, rewrite,
    switch it back on, in one transaction (`connection` must be in one)."""
    if connection.dialect.name == "postgresql":
        for table in tables:
            connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        yield
        for table in tables:
            connection.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
    else:
        uninstall(connection, tables)
        yield
        for table in tables:
            for statement in _statements("sqlite", table):
                connection.execute(text(statement))
