"""The entity layer in the console (issue 18), plain pages: candidates to judge, with why they
were proposed; an entity as the reader may see it, with the merges that made it and the way to
undo them. Everything is computed over the mentions the reader may see (intel/service.py)."""
from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..intel import service
from ..intel.models import Judgement
from .routes import blp, signed_in

VERDICT_NAMES = {"same": _l("The same"), "not_same": _l("Not the same"), "unsure": _l("Unsure")}
IDENTIFIER_NAMES = {"phone": _l("same phone number"), "doc": _l("same identity document"),
                    "plate": _l("same number plate"), "reg": _l("same company registration"),
                    "account": _l("same online account")}
CONFLICT_NAMES = {"another_document": _l("another identity document"),
                  "another_nationality": _l("another nationality"),
                  "another_jurisdiction": _l("another country of registration"),
                  "another_country": _l("another country")}


def explain(features):
    """Why two mentions were proposed or merged, in the reader's language."""
    reasons = [str(IDENTIFIER_NAMES.get(kind, kind)) for kind in features.get("identifiers", [])]
    if features.get("shared_phone"):
        reasons.append(_("a phone several people use"))
    if features.get("name_compatible"):
        reasons.append(_("the names agree"))
    elif "name_similarity" in features:
        reasons.append(_("names %(percent)d%% alike", percent=round(100 * features["name_similarity"])))
    reasons += [_("but %(what)s", what=CONFLICT_NAMES.get(c, c)) for c in features.get("conflicts", [])]
    return ", ".join(reasons)


@blp.get("/intel/candidates")
@signed_in("analyst", "supervisor", "admin")
def intel_candidates():
    rows = service.open_candidates(g.console_user, limit=50)
    return render_template("console/intel_candidates.html", rows=rows, explain=explain, verdicts=VERDICT_NAMES)


@blp.post("/intel/judge")
@signed_in("analyst", "supervisor", "admin")
def intel_judge():
    form = request.form
    try:
        service.judge(form.get("left", type=int), form.get("right", type=int), form.get("verdict"),
                      g.console_user, form.get("note"))
    except LookupError:
        db.session.rollback()
        abort(404)
    except service.JudgementRefused as error:
        db.session.rollback()
        return render_template("console/message.html", title=_("Not recorded"), message=str(error)), 409
    return redirect(request.form.get("next") or url_for("console.intel_candidates"))


@blp.get("/intel/mentions/<path:key>")
@signed_in("analyst", "supervisor", "admin")
def intel_entity(key):
    seen = service.seen_entity(g.console_user, key)
    if seen is None:
        abort(404)
    from .shares import share_choices

    return render_template("console/intel_entity.html", seen=seen, start=key, explain=explain,
                           verdicts=VERDICT_NAMES, share=share_choices())


@blp.post("/intel/judgements/<int:judgement_id>/undo")
@signed_in("analyst", "supervisor", "admin")
def intel_undo(judgement_id):
    judgement = db.session.get(Judgement, judgement_id)
    try:
        service.undo(judgement_id, g.console_user)
    except LookupError:
        abort(404)
    return redirect(url_for("console.intel_entity", key=judgement.left_key))
