"""An export a person asked for: what, for whom, how far it has got, and where its file is.
Kept in the database, not in the worker's memory, so that an export survives a restart of
the server or the worker (tasks.resume queues again what is unfinished)."""
from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime, utcnow
from ..extensions import db

KINDS = ("itr", "ftm", "anx", "geojson", "csv")
STATES = ("queued", "running", "done", "failed")


class Export(db.Model):
    __tablename__ = "exports"
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)  # what the console's URLs name
    kind: Mapped[str] = mapped_column(String(10))  # KINDS
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    requested_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    params: Mapped[dict] = mapped_column(JSON, default=dict)  # {"year", "country"} for an ITR
    status: Mapped[str] = mapped_column(String(10), default="queued")  # STATES
    done: Mapped[int] = mapped_column(Integer, default=0)  # rows written so far
    total: Mapped[int | None] = mapped_column(Integer)  # rows to write, once counted
    handling: Mapped[str | None] = mapped_column(String(20))  # the most guarded code among what it holds
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    file_name: Mapped[str | None] = mapped_column(Text)
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[object | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[object | None] = mapped_column(UTCDateTime)
