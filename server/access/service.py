"""Who may see what. The read API and (later) the console both ask this module.

Visibility: an analyst sees their country; everyone else sees their own agency;
admins see everything. Share grants will widen this later, explicitly and audited.

Directory reports ("this number did not work") go to those who maintain the contact:
the supervisors of the contact's agency's country, whichever agency or country the
reporting officer belongs to (a Lao officer's report about a Vietnamese desk goes to
Viet Nam's supervisors), and admins. Officers and analysts do not receive them; a report
about a contact the directory does not know goes to admins only.
"""
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select, true
from sqlalchemy.orm import aliased

from .. import crypto, ratelimit
from ..audit import service as audit
from ..dbtypes import utcnow
from ..errors import ApiError
from ..extensions import db
from ..store.models import Record
from .models import ROLES, Agency, ApiToken, User


def agency_by_code(code):
    agency = db.session.scalar(select(Agency).filter_by(code=code))
    if agency is None:
        raise LookupError(_("Unknown agency %(code)s.", code=code))
    return agency


def create_user(username, display_name, role, agency_code, phone=None, email=None, **actor):
    if role not in ROLES:
        raise ValueError(_("The role must be one of: %(roles)s.", roles=", ".join(ROLES)))
    user = User(username=username, display_name=display_name, role=role,
                agency=agency_by_code(agency_code), phone=phone, email=email)
    db.session.add(user)
    db.session.flush()
    audit.record("user.created", target=f"user:{username}", detail={"role": role, "agency": agency_code}, **actor)
    return user


def user_by_name(username):
    user = db.session.scalar(select(User).filter_by(username=username))
    if user is None:
        raise LookupError(_("Unknown user %(user)s.", user=username))
    return user


def issue_token(user, days=None, **actor):
    """A read-API token, shown once; only its hash is stored. It expires after `days`
    (TOKEN_DAYS by default). Returns (token, row)."""
    token = "wlu_" + crypto.random_token(32)
    row = ApiToken(user=user, token_hash=crypto.hash_secret(token),
                   expires_at=utcnow() + timedelta(days=days or current_app.config["TOKEN_DAYS"]))
    db.session.add(row)
    db.session.flush()
    audit.record("token.issued", target=f"token:{row.id}", detail={"user": user.username,
                                                                   "expires_at": row.expires_at.isoformat()}, **actor)
    return token, row


def token_by_id(token_id):
    row = db.session.get(ApiToken, token_id)
    if row is None:
        raise LookupError(_("Unknown token %(id)s.", id=token_id))
    return row


def revoke_token(token_id, **actor):
    row = token_by_id(token_id)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record("token.revoked", target=f"token:{row.id}", detail={"user": row.user.username}, **actor)
    return row


def rotate_token(token_id):
    """A new token for the same user and lifetime; the old one stops working at once."""
    old = revoke_token(token_id)
    lifetime = (old.expires_at - old.created_at).days if old.expires_at else None
    return issue_token(old.user, days=lifetime)


def tokens_of(user):
    return db.session.scalars(select(ApiToken).filter_by(user_id=user.id).order_by(ApiToken.created_at)).all()


def users():
    return db.session.scalars(select(User).order_by(User.username)).all()


def disable_user(username, **actor):
    user = user_by_name(username)
    if user.disabled_at is None:
        from ..devices import desks

        user.disabled_at = utcnow()
        desks.revoke(user, "user_disabled", **actor)  # nothing more is filed in their name
        audit.record("user.disabled", target=f"user:{user.username}", **actor)
    return user


def authenticate_token(authorization):
    """The user a bearer token belongs to, if it is live: not revoked, not expired, its
    user not disabled. Failures are counted per address and per token (ratelimit)."""
    scheme, _sep, token = (authorization or "").partition(" ")
    row = None
    if scheme.lower() == "bearer" and token:
        row = db.session.scalar(select(ApiToken).filter_by(token_hash=crypto.hash_secret(token.strip())))
    if row is None:
        ratelimit.refuse("api_token_invalid")
    now = utcnow()
    if row.revoked_at is not None or (row.expires_at and row.expires_at <= now) or not row.user.active:
        ratelimit.refuse("api_token_invalid", f"token:{row.id}")
    row.last_used_at = now
    db.session.commit()
    return row.user


# Handling codes (codes/handling_code, issue 18) narrow who receives a record; they never widen
# it (only a share grant does). A record without one is handled as "national".
AGENCY_ONLY = ("agency", "originator")


def readable(actor):
    """The one access rule, as a condition on Record's columns: a supervisor reads their
    agency's records, an analyst their country's, an admin all, each narrowed by the record's
    handling code ("agency" keeps it to the originating agency, "originator" to its
    supervisors and admins), and widened by the share grants they receive. A condition, so
    that queries joining records (the network's, intel/network.py) apply it inside themselves."""
    from . import grants

    if actor.role == "admin":
        return true()
    # Widened only by a share grant in force, record by record (grants.py).
    return or_(readable_unshared(actor), Record.rid.in_(grants.granted_rids(actor)))


def readable_unshared(actor, source=Record):
    """The rule without share grants, on any table carrying a record's country, agency_id and
    handling: Record, or Mention, which copies them so that the network can tell from an
    index alone that every mention of an entity is the reader's (intel/network.py). What it
    allows, readable allows; what it refuses, a grant may still allow."""
    if actor.role == "admin":
        return true()
    if actor.role == "analyst":
        return and_(source.country == actor.agency.country, or_(
            source.handling.is_(None), source.handling.not_in(AGENCY_ONLY),
            and_(source.handling == "agency", source.agency_id == actor.agency_id)))
    return source.agency_id == actor.agency_id


def visible_records(actor):
    """The records `actor` may read (readable)."""
    return select(Record).where(readable(actor))


def of_own_devices(query, actor, device_id_column):
    """`query` narrowed to rows of phones `actor` supervises: their agency's (an admin: all)."""
    from ..devices.models import Device

    if actor.role == "admin":
        return query
    return query.join(Device, Device.id == device_id_column).where(Device.agency_id == actor.agency_id)


def get_visible_record(actor, rid):
    record = db.session.scalar(visible_records(actor).where(Record.rid == rid))
    if record is None:
        # The same answer as for a record that does not exist: no existence leak.
        raise ApiError("not_found")
    return record


DIRECTORY_MAINTAINERS = ("supervisor", "admin")


def maintains_contacts_of(actor, agency):
    """Who keeps a directory contact (the console, issue 17): the same people who receive
    reports about it, the supervisors of its agency's country, and admins. Agencies,
    crossings and counterpart links span countries: admins only (maintains_whole_directory)."""
    return actor.role == "admin" or (actor.role == "supervisor" and agency.country == actor.agency.country)


def maintains_whole_directory(actor):
    return actor.role == "admin"


def maintained_contacts(actor):
    """The contacts (removed ones too) the actor keeps, by key."""
    from ..directory.models import Contact

    if actor.role not in DIRECTORY_MAINTAINERS:
        raise ApiError("forbidden")
    query = select(Contact).join(Agency, Agency.id == Contact.agency_id).order_by(Contact.key)
    if actor.role != "admin":
        query = query.where(Agency.country == actor.agency.country)
    return query


def visible_directory_reports(actor):
    """(report, record, contact agency) rows the actor may read, newest first."""
    from ..directory.models import Contact, Report

    if actor.role not in DIRECTORY_MAINTAINERS:
        raise ApiError("forbidden")
    contact_agency = aliased(Agency)
    query = (select(Report, Record, contact_agency).join(Record, Record.id == Report.record_id)
             .outerjoin(Contact, Contact.key == Report.contact_key)
             .outerjoin(contact_agency, contact_agency.id == Contact.agency_id)
             .order_by(Record.received_at.desc(), Record.rid.desc()))
    if actor.role != "admin":
        query = query.where(contact_agency.country == actor.agency.country)
    return query
