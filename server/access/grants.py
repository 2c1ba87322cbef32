"""Share grants (issue 18): need-to-know widened explicitly. A supervisor or analyst shares
records they may read (one record, the records naming an entity, or a chosen set) with another
agency, or with another country's analysts, for a purpose, under a handling code, until a
date. What a grant exposes is exactly the records it names, fixed when it is made; it is
listed, revocable and audited, and the recipients find it in their inbox (and by e-mail when
SMTP is set up).

A handling code narrows what may be shared: a record marked "agency" or "originator" leaves its
agency by no grant, and one marked "national" crosses no border; a record of a form that asks
for no handling code (a seizure, a market observation) is the sharer's to decide."""
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import JSON, ForeignKey, Index, String, Text, or_, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..audit import service as audit
from ..dbtypes import UTCDateTime, utcnow
from ..extensions import db
from .models import Agency, User

MAX_DAYS = 365


class ShareGrant(db.Model):
    __tablename__ = "share_grants"
    id: Mapped[int] = mapped_column(primary_key=True)
    granted_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    to_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    to_country: Mapped[str | None] = mapped_column(String(2), index=True)  # that country's analysts
    what: Mapped[str] = mapped_column(String(20))  # record | entity | records
    about: Mapped[str] = mapped_column(Text)  # the rid, mention key or name of the set, as chosen
    purpose: Mapped[str] = mapped_column(Text)
    handling: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[object] = mapped_column(UTCDateTime)
    revoked_at: Mapped[object | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    seen_by: Mapped[list] = mapped_column(JSON, default=list)  # user ids who opened it in their inbox
    granter: Mapped[User] = relationship(foreign_keys=[granted_by])
    to_agency: Mapped[Agency | None] = relationship()


class GrantRecord(db.Model):
    """One record a grant exposes, by rid (stable across a rebuild of the store)."""

    __tablename__ = "share_grant_records"
    __table_args__ = (Index("ix_share_grant_records_rid", "rid"),)
    grant_id: Mapped[int] = mapped_column(ForeignKey("share_grants.id"), primary_key=True)
    rid: Mapped[str] = mapped_column(String(36), primary_key=True)


class GrantRefused(ValueError):
    pass


def _active(now=None):
    return (ShareGrant.revoked_at.is_(None), ShareGrant.expires_at > (now or utcnow()))


def received_by(actor):
    """The grants `actor` receives: to their agency, or (analysts) to their country."""
    to_them = [ShareGrant.to_agency_id == actor.agency_id]
    if actor.role == "analyst":
        to_them.append(ShareGrant.to_country == actor.agency.country)
    return select(ShareGrant).where(or_(*to_them), *_active())


def granted_rids(actor):
    """The rids `actor` may read through grants in force (a subquery)."""
    grants = received_by(actor).with_only_columns(ShareGrant.id)
    return select(GrantRecord.rid).where(GrantRecord.grant_id.in_(grants))


def shareable(record, to_agency=None, to_country=None):
    """Whether a record's handling code lets it go to these recipients."""
    handling = record.handling or "cross_border"  # a form that asks none leaves it to the sharer
    crossing = (to_country or (to_agency.country if to_agency else None)) != record.country
    if handling in ("agency", "originator"):
        return False
    return handling == "cross_border" or not crossing


def grant(actor, records, *, what, about, purpose, handling, days, to_agency=None, to_country=None):
    """Share `records` (which `actor` may read) with an agency or a country's analysts. The
    caller tells the recipients (console/alerts.mail_grant)."""
    if bool(to_agency) == bool(to_country):
        raise GrantRefused(_("Share with one agency, or with one country's analysts."))
    if not (purpose or "").strip():
        raise GrantRefused(_("Say what the sharing is for."))
    if not 1 <= int(days) <= MAX_DAYS:
        raise GrantRefused(_("A share lasts from 1 to %(days)d days.", days=MAX_DAYS))
    if not records:
        raise GrantRefused(_("There is nothing you may share here."))
    refused = [record.rid for record in records if not shareable(record, to_agency, to_country)]
    if refused:
        raise GrantRefused(_("Their handling code keeps %(n)d of these records from those recipients.", n=len(refused)))
    row = ShareGrant(granted_by=actor.id, to_agency=to_agency, to_country=to_country, what=what, about=about,
                     purpose=purpose.strip()[:2000], handling=handling, expires_at=utcnow() + timedelta(days=int(days)),
                     seen_by=[])
    db.session.add(row)
    db.session.flush()
    db.session.add_all(GrantRecord(grant_id=row.id, rid=rid) for rid in sorted({r.rid for r in records}))
    audit.record("share.granted", actor=actor.username, actor_kind="user", target=f"grant:{row.id}",
                 detail={"what": what, "records": len(records), "to_agency": to_agency.code if to_agency else None,
                         "to_country": to_country, "days": int(days)}, commit=False)
    db.session.commit()
    return row


def revoke(actor, grant_id):
    row = db.session.get(ShareGrant, grant_id)
    if row is None or row.revoked_at is not None or (actor.role != "admin" and row.granted_by != actor.id):
        raise LookupError(grant_id)
    row.revoked_at, row.revoked_by = utcnow(), actor.id
    audit.record("share.revoked", actor=actor.username, actor_kind="user", target=f"grant:{row.id}", commit=False)
    db.session.commit()


def recipients(row):
    query = select(User).where(User.disabled_at.is_(None))
    if row.to_agency_id:
        return db.session.scalars(query.where(User.agency_id == row.to_agency_id)).all()
    return db.session.scalars(query.join(Agency, Agency.id == User.agency_id).where(
        User.role == "analyst", Agency.country == row.to_country)).all()


def rids_of(row):
    return db.session.scalars(select(GrantRecord.rid).where(GrantRecord.grant_id == row.id)).all()
