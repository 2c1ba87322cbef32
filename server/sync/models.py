from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime, utcnow
from ..extensions import db


class LedgerEntry(db.Model):
    """One sealed envelope, exactly as the phone sent it. Append-only; a hash chain
    (chain_hash = H(previous chain_hash, idx, rid, env_sha256, received_at)) makes
    edits, deletions and reordering detectable by `flask ledger verify`."""

    __tablename__ = "ledger"
    __table_args__ = (Index("ix_ledger_device_seq", "device_id", "seq"),)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    rid: Mapped[str] = mapped_column(String(36), unique=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"))
    seq: Mapped[int] = mapped_column(BigInteger)
    header: Mapped[bytes] = mapped_column(LargeBinary)
    ct: Mapped[bytes] = mapped_column(LargeBinary)
    sig: Mapped[bytes] = mapped_column(LargeBinary)
    env_sha256: Mapped[bytes] = mapped_column(LargeBinary(32))
    received_at: Mapped[object] = mapped_column(UTCDateTime)
    clock_offset_ms: Mapped[int | None] = mapped_column(BigInteger)
    chain_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LedgerHead(db.Model):
    """A single row: the chain's tip. Appends lock it (FOR UPDATE on PostgreSQL) so
    two workers can never both extend the chain from the same parent."""

    __tablename__ = "ledger_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    idx: Mapped[int] = mapped_column(BigInteger)
    chain_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


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
    status: Mapped[str] = mapped_column(String(10), default="held")  # held | released
    released_at: Mapped[object | None] = mapped_column(UTCDateTime)
    released_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
