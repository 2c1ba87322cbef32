from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime, utcnow
from ..extensions import db

INTAKE, SIGNING = "intake", "signing"


class ServerKey(db.Model):
    """A server key pair. The private half is only ever stored wrapped under the KEK."""

    __tablename__ = "server_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(16), unique=True)
    purpose: Mapped[str] = mapped_column(String(10), index=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    wrapped_private_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    # Intake keys only: 1, 2, 3… in order of creation. Phones never go back to a lower
    # epoch than the newest they have pinned, whatever an answer says (PROTOCOL.md §2, §10).
    epoch: Mapped[int | None] = mapped_column(Integer)
