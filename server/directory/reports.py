"""The officers' wrong-number reports as a work list for the directory's maintainers (issue 17):
those not yet dealt with first, each marked handled once, with a note, in the audit log.

Who sees which report is access.visible_directory_reports, the rule the read API uses."""
from sqlalchemy.exc import IntegrityError

from ..access import service as access
from ..audit import service as audit
from ..dbtypes import utcnow
from ..extensions import db
from ..store.models import Record
from .models import ReportHandling


class AlreadyHandled(ValueError):
    pass


def work_list(actor, handled=False, limit=200):
    """[(report, record, contact agency or None, handling or None)], newest first: the open
    reports, or (`handled`) those dealt with."""
    query = (access.visible_directory_reports(actor).add_columns(ReportHandling)
             .outerjoin(ReportHandling, ReportHandling.rid == Record.rid)
             .where(ReportHandling.rid.is_not(None) if handled else ReportHandling.rid.is_(None)))
    return db.session.execute(query.limit(limit)).all()


def handle(actor, rid, note):
    """Mark one report the actor may see handled. LookupError for one they may not see (or
    that does not exist); AlreadyHandled for one marked before. Commits."""
    found = db.session.execute(access.visible_directory_reports(actor).where(Record.rid == rid)).first()
    if found is None:
        raise LookupError(rid)
    report = found[0]
    if db.session.get(ReportHandling, rid) is not None:
        raise AlreadyHandled(rid)
    note = (note or "").strip()[:2000] or None
    db.session.add(ReportHandling(rid=rid, handled_at=utcnow(), handled_by=actor.username, note=note))
    try:
        audit.record("directory.report.handled", actor=actor.username, actor_kind="user", target=f"record:{rid}",
                     detail={"contact": report.contact_key, "note": note})
    except IntegrityError:  # another maintainer marked it the same moment
        db.session.rollback()
        raise AlreadyHandled(rid) from None
    return report
