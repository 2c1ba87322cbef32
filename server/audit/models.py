from sqlalchemy import JSON, BigInteger, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime
from ..extensions import db


class AuditEntry(db.Model):
    """Who did what, when, from where: every read of a record, every credential issued or
    revoked, every enrollment and revocation, every key operation. Append-only like the
    ledger (sync/guard.py); each entry's hash chains to the previous one, and the chain's
    head is anchored in the ledger's transparency log (server/audit/service.py)."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[object] = mapped_column(UTCDateTime, index=True)
    actor_kind: Mapped[str] = mapped_column(String(10))  # user | device | cli | system
    actor: Mapped[str] = mapped_column(String(120), index=True)
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str | None] = mapped_column(String(120), index=True)
    address: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict | None] = mapped_column(JSON)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditHead(db.Model):
    """A single row: the chain's tip, and what was last anchored in the ledger."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    anchored_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    anchored_at: Mapped[object | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)
