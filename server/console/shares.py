"""Share grants in the console (issue 18), plain pages: share a record, the records naming
an entity, or a saved set of records (sets.py), with another agency or another country's analysts; the inbox of what was shared
with me; what I shared, with the way to revoke it."""
from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..access import grants
from ..access import service as access
from ..access import sets
from ..access.models import Agency
from ..extensions import db
from ..intel import service as intel
from ..store.models import Record
from . import alerts
from .routes import blp, signed_in

COUNTRIES = ("VN", "LA", "CN")
DEFAULT_DAYS = 30


def share_choices():
    """Recipients a share form offers: every agency but one's own, and each country's analysts."""
    agencies = db.session.scalars(select(Agency).where(Agency.retired_on.is_(None)).order_by(Agency.code)).all()
    return {"agencies": [a for a in agencies if a.id != g.console_user.agency_id], "countries": COUNTRIES,
            "days": DEFAULT_DAYS}


def _records_for(what, about):
    user = g.console_user
    if what == "record":
        return db.session.scalars(access.visible_records(user).where(Record.rid == about)).all()
    if what == "entity":
        seen = intel.seen_entity(user, about)
        if seen is None:
            return []
        rids = {mention.key.split("/")[0] for mention in seen["mentions"]}
        return db.session.scalars(access.visible_records(user).where(Record.rid.in_(rids))).all()
    if what == "records" and about.isdigit():
        try:
            return sets.records_of(user, sets.of(user, int(about)))
        except LookupError:
            return []
    return []


@blp.post("/shares/new")
@signed_in("supervisor", "analyst", "admin")
def share_new():
    form = request.form
    what, about = form.get("what"), form.get("about", "")
    records = _records_for(what, about)
    if not records:
        abort(404)
    recipient = form.get("to", "")
    to_agency = to_country = None
    if recipient.startswith("agency:"):
        to_agency = db.session.scalar(select(Agency).filter_by(code=recipient[7:]))
    elif recipient.startswith("country:") and recipient[8:] in COUNTRIES:
        to_country = recipient[8:]
    try:
        row = grants.grant(g.console_user, records, what=what, about=about, purpose=form.get("purpose", ""),
                     handling=max((r.handling or "cross_border" for r in records), key=HANDLING_ORDER.index),
                     days=form.get("days", type=int) or DEFAULT_DAYS, to_agency=to_agency, to_country=to_country)
    except grants.GrantRefused as error:
        db.session.rollback()
        return render_template("console/message.html", title=_("Not shared"), message=str(error)), 422
    alerts.mail_grant(row)
    return redirect(url_for("console.shares"))


# The strictest handling code of what a grant carries is the grant's.
HANDLING_ORDER = ["cross_border", "national", "agency", "originator"]


@blp.get("/shares")
@signed_in("supervisor", "analyst", "admin")
def shares():
    user = g.console_user
    received = db.session.scalars(grants.received_by(user).order_by(grants.ShareGrant.created_at.desc())).all()
    for row in received:
        if user.id not in (row.seen_by or []):
            row.seen_by = [*(row.seen_by or []), user.id]
    db.session.commit()
    given = db.session.scalars(select(grants.ShareGrant).where(grants.ShareGrant.granted_by == user.id)
                               .order_by(grants.ShareGrant.created_at.desc()).limit(200)).all()
    return render_template("console/shares.html", received=received, given=given, rids_of=grants.rids_of,
                           now=grants.utcnow())


@blp.post("/shares/<int:grant_id>/revoke")
@signed_in("supervisor", "analyst", "admin")
def share_revoke(grant_id):
    try:
        grants.revoke(g.console_user, grant_id)
    except LookupError:
        abort(404)
    return redirect(url_for("console.shares"))
