"""A supervisor's review of a record (issue 17), as ODK Central users know it: received, has
issues or approved, with a comment. The officer reads it on the record in "My records":
it reaches the phone that sealed the record, and that phone alone, as an item of the
per-device `reviews` pull collection (PROTOCOL.md §10), signed like every pull answer.

A record nobody has reviewed is "received"; the phone hears of it only once someone does."""
from flask_babel import lazy_gettext as _l

from ..audit import service as audit
from ..dbtypes import utcnow
from ..extensions import db
from ..reference import publish
from .models import REVIEW_STATES, RecordReview

COLLECTION = "reviews"
COMMENT_MAX = 2000
STATE_NAMES = {"received": _l("Received"), "has_issues": _l("Has issues"), "approved": _l("Approved")}


class InvalidReview(ValueError):
    pass


def of(rid):
    return db.session.get(RecordReview, rid)


def states_of(rids):
    """{rid: state} for the reviewed ones among `rids`."""
    if not rids:
        return {}
    return dict(db.session.execute(
        db.select(RecordReview.rid, RecordReview.state).where(RecordReview.rid.in_(list(rids)))).all())


def set_review(record, state, comment, user):
    """Review `record` as `user`, audited, and send it to the phone that sealed it."""
    if state not in REVIEW_STATES:
        raise InvalidReview("state")
    comment = (comment or "").strip() or None
    if comment and len(comment) > COMMENT_MAX:
        raise InvalidReview("comment")
    row = of(record.rid)
    if row is None:
        row = RecordReview(rid=record.rid)
        db.session.add(row)
    row.state, row.comment, row.reviewer_id, row.reviewed_at = state, comment, user.id, utcnow()
    publish.put_for_device(COLLECTION, record.rid, record.device_id, {
        "rid": record.rid, "state": state, "comment": comment, "by": user.display_name,
        "at": row.reviewed_at.isoformat().replace("+00:00", "Z")})
    audit.record("record.reviewed", actor=user.username, actor_kind="user", target=f"record:{record.rid}",
                 detail={"state": state, "comment": bool(comment)}, commit=False)
    db.session.commit()
    return row
