from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..access.models import Agency, User
from ..dbtypes import UTCDateTime, utcnow
from ..extensions import db


PHONE, DESK = "phone", "desk"


class Device(db.Model):
    """An identity that seals records: a phone (its key never leaves it), or a desk identity
    (issue 18): the signing identity a console user files information reports under from the
    office, its key generated and held by the server, wrapped under the key-encryption key
    (devices/desks.py, PROTOCOL.md §3)."""

    __tablename__ = "devices"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), default=PHONE, server_default=PHONE)
    # A desk identity's person, and its private key wrapped under the KEK (label "desk:<id>").
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    officer_name: Mapped[str | None] = mapped_column(Text)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    enrolled_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[object | None] = mapped_column(UTCDateTime)
    # The highest seq the ledger held from this phone when it was revoked: what it pushes
    # later is quarantined up to this plus a margin, and refused above it (PROTOCOL.md §8).
    revoked_seq: Mapped[int | None] = mapped_column(BigInteger)
    last_seen_at: Mapped[object | None] = mapped_column(UTCDateTime)
    clock_offset_ms: Mapped[int | None] = mapped_column(BigInteger)
    # What the phone last said about itself with a push (app version, persistent storage,
    # storage estimate): the supervisor sees a phone about to run out of space or out of date.
    app_state: Mapped[dict | None] = mapped_column(JSON)
    app_state_at: Mapped[object | None] = mapped_column(UTCDateTime)
    # PIN resets the phone has reported (a counter it sends with every push), and how many a
    # supervisor has confirmed: records sealed above the confirmed count stay flagged.
    pin_resets: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pin_resets_confirmed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    agency: Mapped[Agency] = relationship()
    user: Mapped[User | None] = relationship()

    @property
    def active(self):
        return self.revoked_at is None

    @property
    def is_desk(self):
        return self.kind == DESK


class EnrollmentToken(db.Model):
    __tablename__ = "enrollment_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    officer_name: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[object] = mapped_column(UTCDateTime)
    used_at: Mapped[object | None] = mapped_column(UTCDateTime)
    device_id: Mapped[str | None] = mapped_column(ForeignKey("devices.id"))
    agency: Mapped[Agency] = relationship()


class RequestNonce(db.Model):
    """Seen request nonces, in the database so every worker shares the replay cache."""

    __tablename__ = "request_nonces"
    __table_args__ = (UniqueConstraint("device_id", "nonce"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"))
    nonce: Mapped[str] = mapped_column(String(64))
    seen_at: Mapped[object] = mapped_column(UTCDateTime, index=True)
