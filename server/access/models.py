from datetime import date

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import UTCDateTime, utcnow
from ..extensions import db

ROLES = ("officer", "supervisor", "analyst", "admin")


class Agency(db.Model):
    __tablename__ = "agencies"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    country: Mapped[str] = mapped_column(String(2), index=True)  # ISO 3166-1 alpha-2
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    kind: Mapped[str] = mapped_column(String(40))
    # What it does, from codes/agency_function: how a counterpart across a border is found.
    functions: Mapped[list] = mapped_column(JSON, default=list)
    province: Mapped[str | None] = mapped_column(String(80))
    level: Mapped[str | None] = mapped_column(String(20))  # codes/agency_level
    provinces: Mapped[list] = mapped_column(JSON, default=list)  # ISO 3166-2 codes it covers
    crossings: Mapped[list] = mapped_column(JSON, default=list)  # crossing keys it works at
    name_en: Mapped[str] = mapped_column(Text)
    name_vi: Mapped[str] = mapped_column(Text)
    name_lo: Mapped[str] = mapped_column(Text)
    name_zh_hans: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    # An agency is never deleted or renamed, since records name it for good. One that was
    # dissolved or merged is retired: kept, with the day it ceased and the agency that took
    # over its work (server/reference/agencies.py).
    retired_on: Mapped[date | None] = mapped_column(Date)
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    # Set when a maintainer changes the agency with `flask directory agency …`: from then on
    # `flask agencies load` leaves it as the maintainer left it.
    maintained_at: Mapped[object | None] = mapped_column(UTCDateTime)

    def name(self, locale):
        return {"vi": self.name_vi, "lo": self.name_lo, "zh_Hans": self.name_zh_hans}.get(
            str(locale), self.name_en)


class User(db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(20))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    email: Mapped[str | None] = mapped_column(Text)  # where alerts are mailed, if SMTP is set up
    language: Mapped[str | None] = mapped_column(String(8))  # the console language they chose
    alerts_mailed: Mapped[list] = mapped_column(JSON, default=list)  # keys of the alerts last mailed
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    disabled_at: Mapped[object | None] = mapped_column(UTCDateTime)  # no token of theirs works after
    # Signing in to the console (server/console/auth.py): an Argon2id hash; a TOTP secret
    # wrapped under the key-encryption key, so a copy of the database alone gives no second
    # factor; the last time step used (a code works once); hashes of unused recovery codes.
    password_hash: Mapped[str | None] = mapped_column(Text)
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    recovery_codes: Mapped[list] = mapped_column(JSON, default=list)
    # A one-time set-up link (`flask users create`, `flask users setup-link`): its hash and expiry.
    setup_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    setup_expires_at: Mapped[object | None] = mapped_column(UTCDateTime)
    agency: Mapped[Agency] = relationship()

    @property
    def active(self):
        return self.disabled_at is None


class ApiToken(db.Model):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[object | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[object | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[object | None] = mapped_column(UTCDateTime)
    user: Mapped[User] = relationship()


class ConsoleSession(db.Model):
    """A console sign-in, kept on the server so that it can be ended ("sign out everywhere",
    an admin ending a user's sessions). The cookie holds a random token; only its hash is
    stored. `verified_at` is set once the second factor is given: before that the row only
    carries the password step, for a few minutes."""

    __tablename__ = "console_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    verified_at: Mapped[object | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[object | None] = mapped_column(UTCDateTime)
    address: Mapped[str | None] = mapped_column(String(64))
    user: Mapped[User] = relationship()
