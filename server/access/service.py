"""Who may see what. The read API and (later) the console both ask this module.

Visibility: an analyst sees their country; everyone else sees their own agency;
admins see everything. Share grants will widen this later, explicitly and audited.
"""
from flask_babel import gettext as _
from sqlalchemy import select

from .. import crypto, ratelimit
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


def create_user(username, display_name, role, agency_code, phone=None):
    if role not in ROLES:
        raise ValueError(_("The role must be one of: %(roles)s.", roles=", ".join(ROLES)))
    user = User(username=username, display_name=display_name, role=role,
                agency=agency_by_code(agency_code), phone=phone)
    db.session.add(user)
    db.session.commit()
    return user


def user_by_name(username):
    user = db.session.scalar(select(User).filter_by(username=username))
    if user is None:
        raise LookupError(_("Unknown user %(user)s.", user=username))
    return user


def issue_token(user):
    """The token is shown once; only its hash is stored."""
    token = "wlu_" + crypto.random_token(32)
    db.session.add(ApiToken(user=user, token_hash=crypto.hash_secret(token)))
    db.session.commit()
    return token


def authenticate_token(authorization):
    ratelimit.check()
    scheme, _, token = (authorization or "").partition(" ")
    row = None
    if scheme.lower() == "bearer" and token:
        row = db.session.scalar(select(ApiToken).filter_by(token_hash=crypto.hash_secret(token.strip())))
    if row is None or row.revoked_at is not None:
        ratelimit.refuse("api_token_invalid")
    row.last_used_at = utcnow()
    db.session.commit()
    return row.user


def visible_records(actor):
    query = select(Record)
    if actor.role == "admin":
        return query
    if actor.role == "analyst":
        return query.where(Record.country == actor.agency.country)
    return query.where(Record.agency_id == actor.agency_id)


def get_visible_record(actor, rid):
    record = db.session.scalar(visible_records(actor).where(Record.rid == rid))
    if record is None:
        # The same answer as for a record that does not exist: no existence leak.
        raise ApiError("not_found")
    return record
