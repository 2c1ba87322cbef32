"""Saved sets of records in the console (issue 18): save the records a filtered list shows,
add one record from its page, come back to the set, share it whole with one grant."""
from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..access import service as access
from ..access import sets
from ..extensions import db
from ..store.models import Record
from .records import filtered
from .routes import blp, signed_in
from .shares import share_choices

KEEPERS = ("supervisor", "analyst", "admin")  # those who may share: a set is for sharing or a case


def _refused(error):
    db.session.rollback()
    return render_template("console/message.html", title=_("Not saved"), message=str(error)), 422


def _own(set_id):
    try:
        return sets.of(g.console_user, set_id)
    except LookupError:
        abort(404)


@blp.post("/sets")
@signed_in(*KEEPERS)
def set_save():
    """A new set: the records the list's filters keep (every page of them), or one record."""
    form = request.form
    if form.get("rid"):
        records = db.session.scalars(access.visible_records(g.console_user).where(Record.rid == form["rid"])).all()
        if not records:
            abort(404)
    else:
        records = db.session.scalars(filtered(form).limit(sets.MAX_RECORDS + 1)).all()
    try:
        row = sets.create(g.console_user, form.get("name"), records)
    except sets.SetRefused as error:
        return _refused(error)
    return redirect(url_for("console.record_set", set_id=row.id))


@blp.get("/sets")
@signed_in(*KEEPERS)
def record_sets():
    return render_template("console/sets.html", sets=sets.mine(g.console_user))


@blp.get("/sets/<int:set_id>")
@signed_in(*KEEPERS)
def record_set(set_id):
    row = _own(set_id)
    return render_template("console/set.html", set=row, rows=sets.records_of(g.console_user, row),
                           share=share_choices())


@blp.post("/sets/add")
@signed_in(*KEEPERS)
def set_add():
    """One record, from its page, into one of one's sets."""
    row = _own(request.form.get("set", type=int))
    record = db.session.scalar(access.visible_records(g.console_user).where(Record.rid == request.form.get("rid", "")))
    if record is None:
        abort(404)
    try:
        sets.add(g.console_user, row, record)
    except sets.SetRefused as error:
        return _refused(error)
    return redirect(url_for("console.record_set", set_id=row.id))


@blp.post("/sets/<int:set_id>/remove")
@signed_in(*KEEPERS)
def set_remove(set_id):
    sets.remove(g.console_user, _own(set_id), request.form.get("rid", ""))
    return redirect(url_for("console.record_set", set_id=set_id))


@blp.post("/sets/<int:set_id>/delete")
@signed_in(*KEEPERS)
def set_delete(set_id):
    sets.drop(g.console_user, _own(set_id))
    return redirect(url_for("console.record_sets"))
