from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, LargeBinary, SmallInteger, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime, utcnow
from ..extensions import db


class LedgerEntry(db.Model):
    """One sealed envelope whose outer signature verified, exactly as the phone sent it,
    and a leaf of the transparency log (PROTOCOL.md §9): its leaf covers every column.
    Append-only: the database refuses UPDATE, DELETE and TRUNCATE (sync/guard.py).

    status: `received` (from an active device), `revoked` (from a revoked device: held in
    quarantine), `conflict` (another envelope under a rid the log already holds), `anchor`
    (the audit log's head, signed by the server: no device; seq is the audit entry)."""

    __tablename__ = "ledger"
    __table_args__ = (
        Index("ix_ledger_device_seq", "device_id", "seq"),
        UniqueConstraint("rid", "env_sha256"),
        # One envelope per rid is the record; conflicts sit beside it.
        Index("uq_ledger_rid_primary", "rid", unique=True, sqlite_where=text("status <> 'conflict'"),
              postgresql_where=text("status <> 'conflict'")),
    )
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    rid: Mapped[str] = mapped_column(String(36))
    device_id: Mapped[str | None] = mapped_column(ForeignKey("devices.id"))  # None: an audit anchor
    seq: Mapped[int] = mapped_column(BigInteger)
    header: Mapped[bytes] = mapped_column(LargeBinary)
    ct: Mapped[bytes] = mapped_column(LargeBinary)
    sig: Mapped[bytes] = mapped_column(LargeBinary)
    env_sha256: Mapped[bytes] = mapped_column(LargeBinary(32))
    received_at: Mapped[object] = mapped_column(UTCDateTime)
    clock_offset_ms: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10), default="received", server_default="received")


class LedgerNode(db.Model):
    """A perfect subtree of the log: level 0 is the leaf hash of row idx + 1; a node at
    (level, idx) covers leaves idx·2^level … (idx+1)·2^level − 1. A root or a proof reads
    O(log n) of them (merkle.py). Append-only, like the ledger."""

    __tablename__ = "ledger_nodes"
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LedgerHead(db.Model):
    """A single row: the log's size, root and frontier (the perfect subtrees of its right
    edge, so an append reads nothing else), and its epoch. Appends lock it (FOR UPDATE on
    PostgreSQL), so two workers never both extend the log from the same size."""

    __tablename__ = "ledger_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    frontier: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    epoch: Mapped[int] = mapped_column(BigInteger, default=0)


class LedgerEpoch(db.Model):
    """A signed declaration that the log was restored from a dump: from `epoch` on, the
    log continues from `size` leaves whose root is `root` (PROTOCOL.md §9, restores).
    Append-only."""

    __tablename__ = "ledger_epochs"
    epoch: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    previous: Mapped[int] = mapped_column(BigInteger)
    size: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    time_ms: Mapped[int] = mapped_column(BigInteger)
    kid: Mapped[str] = mapped_column(String(16))
    signature: Mapped[bytes] = mapped_column(LargeBinary)


class Quarantine(db.Model):
    """A record that arrived but could not be filed. Kept with its reason, never dropped."""

    __tablename__ = "quarantine"
    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, index=True)
    device_id: Mapped[str | None] = mapped_column(ForeignKey("devices.id"), index=True)
    rid: Mapped[str | None] = mapped_column(String(64), index=True)
    seq: Mapped[int | None] = mapped_column(BigInteger)
    ledger_idx: Mapped[int | None] = mapped_column(ForeignKey("ledger.idx"), unique=True)
    code: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(Text)
    envelope: Mapped[str] = mapped_column(Text)  # the envelope JSON as received
    # held | released | kept (a supervisor decided it stays as it is, and said why in `note`)
    status: Mapped[str] = mapped_column(String(10), default="held")
    released_at: Mapped[object | None] = mapped_column(UTCDateTime)
    released_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
    noted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    noted_at: Mapped[object | None] = mapped_column(UTCDateTime)


class CarriedUpload(db.Model):
    """An outbox file a supervisor carried in from a phone that cannot reach the server
    (PROTOCOL.md §14), kept whole until the task queue has taken every envelope in it, with
    a receipt per envelope as it goes. Taking it again is harmless: intake is exactly once."""

    __tablename__ = "carried_uploads"
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)  # what the console's URLs name
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), index=True)
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    file_name: Mapped[str | None] = mapped_column(Text)
    file_sha256: Mapped[str] = mapped_column(String(64))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(10), default="queued")  # queued | running | done
    total: Mapped[int] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer, default=0)
    receipts: Mapped[list] = mapped_column(JSON, default=list)  # {i, rid, seq, status, code, log_index}
    started_at: Mapped[object | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[object | None] = mapped_column(UTCDateTime)
