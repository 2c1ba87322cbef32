"""Saved sets of records (issue 18): a supervisor's or analyst's own named working set (the
records of a filtered list, or records added one by one from their pages), kept to come back to
and to share whole with one grant (grants.py, what="records"). A set is its owner's alone;
it holds rids, and shows its owner only those they may still read."""
from flask_babel import gettext as _
from sqlalchemy import ForeignKey, Index, String, Text, delete, func, select
from sqlalchemy.orm import Mapped, mapped_column

from ..audit import service as audit
from ..dbtypes import UTCDateTime, utcnow
from ..extensions import db
from ..store.models import Record
from . import service as access

MAX_RECORDS = 1000  # a set is for a case, not for the whole store


class RecordSet(db.Model):
    __tablename__ = "record_sets"
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(Text)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class RecordSetMember(db.Model):
    __tablename__ = "record_set_members"
    __table_args__ = (Index("ix_record_set_members_rid", "rid"),)
    set_id: Mapped[int] = mapped_column(ForeignKey("record_sets.id", ondelete="CASCADE"), primary_key=True)
    rid: Mapped[str] = mapped_column(String(36), primary_key=True)
    added_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class SetRefused(ValueError):
    pass


def _audit(owner, action, row, **detail):
    audit.record(action, actor=owner.username, actor_kind="user", target=f"set:{row.id}", detail=detail, commit=False)


def create(owner, name, records):
    """A new set of `records` (which `owner` may read) under `name`."""
    name = (name or "").strip()[:200]
    if not name:
        raise SetRefused(_("Give the set a name."))
    rids = sorted({record.rid for record in records})
    if len(rids) > MAX_RECORDS:
        raise SetRefused(_("A set holds at most %(n)d records: narrow the filters.", n=MAX_RECORDS))
    row = RecordSet(owner_id=owner.id, name=name)
    db.session.add(row)
    db.session.flush()
    db.session.add_all(RecordSetMember(set_id=row.id, rid=rid) for rid in rids)
    _audit(owner, "set.created", row, records=len(rids))
    db.session.commit()
    return row


def of(owner, set_id):
    """One of `owner`'s sets; LookupError for anyone else's, as for one that does not exist."""
    row = db.session.get(RecordSet, set_id) if isinstance(set_id, int) else None
    if row is None or row.owner_id != owner.id:
        raise LookupError(set_id)
    return row


def mine(owner):
    """[(set, how many records)] of `owner`'s sets, newest first."""
    counts = (select(RecordSetMember.set_id, func.count().label("n")).group_by(RecordSetMember.set_id).subquery())
    return db.session.execute(select(RecordSet, func.coalesce(counts.c.n, 0))
                              .outerjoin(counts, counts.c.set_id == RecordSet.id)
                              .where(RecordSet.owner_id == owner.id).order_by(RecordSet.created_at.desc(),
                                                                              RecordSet.id.desc())).all()


def records_of(owner, row):
    """The records of a set that its owner may still read, newest first."""
    rids = select(RecordSetMember.rid).where(RecordSetMember.set_id == row.id)
    return db.session.scalars(access.visible_records(owner).where(Record.rid.in_(rids))
                              .order_by(Record.received_at.desc(), Record.rid.desc())).all()


def add(owner, row, record):
    held = db.session.scalar(select(func.count()).where(RecordSetMember.set_id == row.id))
    if db.session.get(RecordSetMember, (row.id, record.rid)) is None:
        if held >= MAX_RECORDS:
            raise SetRefused(_("A set holds at most %(n)d records: narrow the filters.", n=MAX_RECORDS))
        db.session.add(RecordSetMember(set_id=row.id, rid=record.rid))
        _audit(owner, "set.record_added", row, rid=record.rid)
    db.session.commit()


def remove(owner, row, rid):
    db.session.execute(delete(RecordSetMember).where(RecordSetMember.set_id == row.id, RecordSetMember.rid == rid))
    _audit(owner, "set.record_removed", row, rid=rid)
    db.session.commit()


def drop(owner, row):
    """Delete a set. A grant made of it keeps the records it named: it was fixed when made."""
    db.session.execute(delete(RecordSetMember).where(RecordSetMember.set_id == row.id))
    _audit(owner, "set.deleted", row, name=row.name)
    db.session.delete(row)
    db.session.commit()
