"""An insider with full database access, for tests that attack the ledger: the owner (on
PostgreSQL the superuser the tests connect as; on SQLite whoever holds the file) switches
the append-only guard and the foreign keys off, rewrites, and, if thorough, recomputes the
tree so that everything the server holds agrees again. Only heads held elsewhere — by
phones, printed on evidence — can then tell."""
import contextlib

from sqlalchemy import select, text

from server.extensions import db
from server.sync import guard, ledger, merkle
from server.sync.models import LedgerEntry


@contextlib.contextmanager
def owner(app):
    """A connection in a transaction with the guard and the foreign keys off."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "postgresql":
            with engine.begin() as connection:
                connection.execute(text("SET LOCAL session_replication_role = replica"))
                yield connection
            return
        with engine.connect() as connection:
            # Outside a transaction, or the pragma does nothing.
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
            try:
                with connection.begin(), guard.bypassed(connection):
                    yield connection
            finally:
                connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")


def sql(app, *statements, **params):
    with owner(app) as connection:
        for statement in statements:
            connection.execute(text(statement), params)


def rebuild_log(app):
    """Recompute every leaf, node and the head from the rows as they now are."""
    with owner(app) as connection:
        rows = connection.execute(select(LedgerEntry).order_by(LedgerEntry.idx)).all()
        connection.execute(text("DELETE FROM ledger_nodes"))
        frontier, nodes = merkle.Frontier(), []
        for row in rows:
            nodes += [{"level": level, "idx": index, "hash": value}
                      for level, index, value in frontier.append(merkle.leaf_hash(ledger.leaf_input(row)))]
        if nodes:
            connection.execute(text("INSERT INTO ledger_nodes (level, idx, hash) VALUES (:level, :idx, :hash)"), nodes)
        connection.execute(text("UPDATE ledger_head SET size = :size, root = :root, frontier = :frontier"),
                           {"size": frontier.size, "root": frontier.root(), "frontier": frontier.to_bytes()})


def delete_and_rechain(app, idx):
    """Delete ledger row `idx` and what was filed from it, move the later rows down one
    place (and what refers to them), then recompute the tree: a log one row shorter that
    agrees with itself."""
    with owner(app) as connection:
        for statement in [
            "DELETE FROM mentions WHERE record_id IN (SELECT id FROM records WHERE ledger_idx = :idx)",
            "DELETE FROM seizure_items WHERE record_id IN (SELECT id FROM records WHERE ledger_idx = :idx)",
            "DELETE FROM seizures WHERE record_id IN (SELECT id FROM records WHERE ledger_idx = :idx)",
            "DELETE FROM market_items WHERE record_id IN (SELECT id FROM records WHERE ledger_idx = :idx)",
            "DELETE FROM market_observations WHERE record_id IN (SELECT id FROM records WHERE ledger_idx = :idx)",
            "DELETE FROM records WHERE ledger_idx = :idx",
            "DELETE FROM quarantine WHERE ledger_idx = :idx",
            "DELETE FROM ledger WHERE idx = :idx",
        ]:
            connection.execute(text(statement), {"idx": idx})
        later = connection.execute(text("SELECT idx FROM ledger WHERE idx > :idx ORDER BY idx"), {"idx": idx}).scalars()
        for old in list(later):
            for statement in ["UPDATE ledger SET idx = :new WHERE idx = :old",
                              "UPDATE records SET ledger_idx = :new WHERE ledger_idx = :old",
                              "UPDATE quarantine SET ledger_idx = :new WHERE ledger_idx = :old"]:
                connection.execute(text(statement), {"old": old, "new": old - 1})
    rebuild_log(app)


def cut_tail(app, keep):
    """Delete every row after the first `keep` (and what was filed from them), and rewind
    the head to match."""
    with owner(app) as connection:
        for table in ("mentions", "seizure_items", "seizures", "market_items", "market_observations"):
            connection.execute(text(f"DELETE FROM {table} WHERE record_id IN "
                                    "(SELECT id FROM records WHERE ledger_idx > :keep)"), {"keep": keep})
        for statement in ["DELETE FROM records WHERE ledger_idx > :keep", "DELETE FROM quarantine WHERE ledger_idx > :keep",
                          "DELETE FROM ledger WHERE idx > :keep"]:
            connection.execute(text(statement), {"keep": keep})
    rebuild_log(app)


def rehash_audit(app):
    """Recompute every audit entry's hash, and the head, from the entries as they now are."""
    from server.audit import service as audit
    from server.audit.models import AuditEntry

    with owner(app) as connection:
        previous = audit.GENESIS
        for entry in connection.execute(select(AuditEntry).order_by(AuditEntry.seq)).all():
            previous = audit.entry_hash(previous, entry)
            connection.execute(text("UPDATE audit_log SET hash = :hash WHERE seq = :seq"),
                               {"hash": previous, "seq": entry.seq})
        connection.execute(text("UPDATE audit_head SET hash = :hash"), {"hash": previous})
