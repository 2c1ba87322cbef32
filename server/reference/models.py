"""Pull collections: what phones download to work offline, versioned by one counter.

Every change to any collection takes the next value of `reference_head.version` while
holding that row locked, so versions become visible in the order they were given: a phone
that saw version N has seen everything up to N. Timestamps cannot promise that, and
neither can a bare sequence (PostgreSQL commits out of order).
"""
import secrets

from sqlalchemy import JSON, BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

HEAD_ID = 1


def new_history():
    return secrets.token_hex(16)


class ReferenceHead(db.Model):
    """The counter, and the history it counts in. A store rebuilt from scratch (the
    disaster drill: new database, ledger replayed) or restored from a dump starts a new
    history, so a phone's checkpoint from the old one gets 410 instead of skipping items
    the new counter numbered below it."""

    __tablename__ = "reference_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
    history: Mapped[str] = mapped_column(String(32), default=new_history)


class ReferenceCollection(db.Model):
    """A collection's floor: tombstones at or below it were compacted away, so a phone
    whose checkpoint is older must start over (410)."""

    __tablename__ = "reference_collections"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    floor: Mapped[int] = mapped_column(BigInteger, default=0)


class ReferenceItem(db.Model):
    __tablename__ = "reference_items"
    __table_args__ = (Index("ix_reference_items_collection_version", "collection", "version"),
                      Index("ix_reference_items_device", "device_id", "collection", "version"))
    collection: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
    digest: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict | None] = mapped_column(JSON)  # None: a tombstone
    # Set for an item of a per-device collection (reviews): only that phone receives it.
    device_id: Mapped[str | None] = mapped_column(String(36))
