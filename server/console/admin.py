"""The review queue and the audit log in the console (issue 17).

Quarantine: what arrived and could not be filed, with its reason in the reader's language
and what can be done about it. A supervisor sees their agency's phones' rows; an admin every
row, including those from no known phone (a bad signature names nobody). Nothing is ever
deleted; a released row cannot be released again.

Audit: admins read the log, filter it, export it as CSV, and run the same check as
`flask audit verify`."""
import csv
import io

from flask import Response, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from .. import errors
from ..audit import service as audit
from ..audit.models import AuditEntry
from ..extensions import db
from ..sync import intake
from ..sync.models import Quarantine
from .alerts import sections as alert_sections
from .alerts import visible_quarantine
from .routes import blp, signed_in

# Why a held record can be released (its cause fixed) or must be kept as it is.
RELEASABLE_WITHOUT_LEDGER = ("device_revoked",)
NEVER_RELEASED = ("rid_conflict",)


def _visible_quarantine():
    return visible_quarantine(g.console_user)


def releasable(row):
    return row.status == "held" and row.code not in NEVER_RELEASED and (
        row.ledger_idx is not None or row.code in RELEASABLE_WITHOUT_LEDGER)


@blp.get("/quarantine")
@signed_in("supervisor", "admin")
def quarantine():
    show_all = request.args.get("all") == "1"
    query = _visible_quarantine()
    if not show_all:
        query = query.where(Quarantine.status == "held")
    rows = db.session.scalars(query.order_by(Quarantine.received_at.desc()).limit(500)).all()
    return render_template("console/quarantine.html", rows=rows, show_all=show_all, releasable=releasable,
                           reason=lambda row: errors.message(row.code) if row.code in errors.PROBLEMS else row.code)


@blp.post("/quarantine/<int:row_id>/release")
@signed_in("supervisor", "admin")
def release(row_id):
    row = db.session.scalar(_visible_quarantine().where(Quarantine.id == row_id))
    if row is None:
        abort(404)
    if not releasable(row):
        return render_template("console/message.html", title=_("Not released"), message=_(
            "This record was released already, or its reason cannot be fixed by releasing it: it stays as it is.")
            ), 409
    intake.release(row.id, released_by=g.console_user.id, actor=g.console_user.username, actor_kind="user")
    return redirect(url_for("console.quarantine"))


@blp.post("/quarantine/<int:row_id>/keep")
@signed_in("supervisor", "admin")
def keep(row_id):
    row = db.session.scalar(_visible_quarantine().where(Quarantine.id == row_id))
    if row is None:
        abort(404)
    try:
        intake.keep(row.id, request.form.get("note"), noted_by=g.console_user.id, actor=g.console_user.username,
                    actor_kind="user")
    except LookupError:
        return render_template("console/message.html", title=_("Not changed"), message=_(
            "This record was released or kept already.")), 409
    except ValueError:
        return render_template("console/message.html", title=_("Not changed"), message=_(
            "Say why the record is kept as it is.")), 400
    return redirect(url_for("console.quarantine"))


# -- audit ---------------------------------------------------------------------------------------

AUDIT_PAGE = 100


def _audit_query():
    query = select(AuditEntry)
    for name, column in (("action", AuditEntry.action), ("actor", AuditEntry.actor), ("target", AuditEntry.target)):
        if request.args.get(name):
            query = query.where(column.startswith(request.args[name]))
    return query


@blp.get("/audit")
@signed_in("admin")
def audit_log():
    query = _audit_query()
    before = request.args.get("before", type=int)
    if before:
        query = query.where(AuditEntry.seq < before)
    rows = db.session.scalars(query.order_by(AuditEntry.seq.desc()).limit(AUDIT_PAGE + 1)).all()
    filters = {name: request.args.get(name, "") for name in ("action", "actor", "target")}
    older = url_for("console.audit_log", **filters, before=rows[AUDIT_PAGE - 1].seq) if len(rows) > AUDIT_PAGE else None
    return render_template("console/audit.html", rows=rows[:AUDIT_PAGE], filters=filters, older=older, verdict=None)


@blp.post("/audit/verify")
@signed_in("admin")
def audit_verify():
    verdict = audit.verify()
    audit.record("audit.verified", actor=g.console_user.username, actor_kind="user",
                 detail={"checked": verdict.checked, "first_bad": verdict.first_bad})
    rows = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(AUDIT_PAGE)).all()
    return render_template("console/audit.html", rows=rows, filters={}, older=None, verdict=verdict)


@blp.get("/audit.csv")
@signed_in("admin")
def audit_csv():
    """The entries the filters select, oldest first, as CSV (UTF-8 with a BOM, for Excel)."""
    out = io.StringIO()
    out.write("\ufeff")
    table = csv.writer(out)
    table.writerow(["seq", "at", "actor_kind", "actor", "action", "target", "address", "detail", "hash"])
    for entry in db.session.scalars(_audit_query().order_by(AuditEntry.seq)):
        table.writerow([entry.seq, entry.at.isoformat(), entry.actor_kind, entry.actor, entry.action, entry.target or "",
                        entry.address or "", "" if entry.detail is None else str(entry.detail), bytes(entry.hash).hex()])
    audit.record("audit.exported", actor=g.console_user.username, actor_kind="user",
                 detail={name: request.args[name] for name in ("action", "actor", "target") if request.args.get(name)})
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=wildledger-audit.csv"})


# -- alerts ----------------------------------------------------------------------------------------

@blp.get("/alerts")
@signed_in("supervisor", "admin")
def alerts():
    """What needs a supervisor now (alerts.sections), each with the way to deal with it."""
    from .routes import auth

    return render_template("console/alerts.html", **alert_sections(g.console_user, auth.now()))
