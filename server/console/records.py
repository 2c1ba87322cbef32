"""Records in the console (issue 17): the list a supervisor (their agency), an analyst (their
country) or an admin may read, the one access rule of access.visible_records; and one record
with every field labelled in the reader's language, where it came from, its place in the
ledger with the inclusion proof checked, and its correction chain both ways.

A record outside one's scope is answered exactly like one that does not exist."""
from datetime import UTC, datetime, time

from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select

from .. import crypto
from ..access import service as access
from ..access import sets as record_sets
from ..access.models import Agency, User
from ..audit import service as audit
from ..devices.models import Device
from ..directory.models import Crossing
from ..errors import ApiError
from ..extensions import db
from ..forms.definition import published_definitions
from ..reference import catalog
from ..store import reviews
from ..store.models import MarketItem, MarketObservation, Record, RecordReview, Seizure, SeizureItem
from ..sync import evidence, intake, merkle
from ..sync.ledger import leaf_input
from ..sync.models import LedgerEntry
from . import auth
from .routes import blp, signed_in
from .shares import share_choices

PAGE = 50


def _day(text, end=False):
    try:
        day = datetime.fromisoformat(text).date()
    except (TypeError, ValueError):
        return None
    return datetime.combine(day, time.max if end else time.min, tzinfo=UTC)


def _cursor(record):
    return f"{record.received_at.isoformat()}|{record.rid}"


FILTERS = ("form", "officer", "device", "species", "place", "from", "to", "review")


def filtered(args):
    """The records the console user may read that the list's filters (`args`) keep."""
    query = access.visible_records(g.console_user)
    if args.get("form"):
        query = query.where(Record.form == args["form"])
    if args.get("officer"):
        query = query.where(Record.officer_name.ilike(f"%{args['officer']}%"))
    if args.get("device"):
        query = query.where(Record.device_id.startswith(args["device"].lower()))
    if start := _day(args.get("from")):
        query = query.where(Record.received_at >= start)
    if end := _day(args.get("to"), end=True):
        query = query.where(Record.received_at <= end)
    if args.get("species"):
        pattern = f"%{args['species'].strip()}%"
        query = query.where(or_(
            select(SeizureItem.id).where(SeizureItem.record_id == Record.id, SeizureItem.species.ilike(pattern)).exists(),
            select(MarketItem.id).where(MarketItem.record_id == Record.id, MarketItem.species.ilike(pattern)).exists()))
    if args.get("place"):
        text = args["place"].strip()
        pattern = f"%{text}%"
        query = query.where(or_(
            select(Seizure.record_id).where(Seizure.record_id == Record.id, or_(
                Seizure.place.ilike(pattern), Seizure.crossing.ilike(pattern), Seizure.province == text.upper())).exists(),
            select(MarketObservation.record_id).where(MarketObservation.record_id == Record.id, or_(
                MarketObservation.place.ilike(pattern), MarketObservation.province == text.upper())).exists()))
    if args.get("review") == "none":
        query = query.where(~select(RecordReview.rid).where(RecordReview.rid == Record.rid).exists())
    elif args.get("review") in reviews.STATE_NAMES:
        query = query.where(select(RecordReview.rid).where(RecordReview.rid == Record.rid,
                                                           RecordReview.state == args["review"]).exists())
    return query


@blp.get("/records")
@signed_in()
def records():
    """Newest first, 50 a page, by (received_at, rid) keyset: page 500 costs what page 1 does."""
    args = request.args
    query = filtered(args)
    if args.get("after") and "|" in args["after"]:
        at, rid = args["after"].split("|", 1)
        try:
            moment = datetime.fromisoformat(at)
        except ValueError:
            abort(400)
        query = query.where(or_(Record.received_at < moment, and_(Record.received_at == moment, Record.rid < rid)))
    rows = db.session.scalars(query.order_by(Record.received_at.desc(), Record.rid.desc()).limit(PAGE + 1)).all()
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    filters = {name: args.get(name, "") for name in FILTERS}
    next_url = url_for("console.records", **filters, after=_cursor(rows[-1])) if more else None
    forms = sorted({definition["form"]: definition["title"] for definition in published_definitions().values()}.items())
    return render_template("console/records.html", rows=rows, filters=filters, next_url=next_url, forms=forms,
                           reviewed=reviews.states_of(row.rid for row in rows), review_names=reviews.STATE_NAMES,
                           may_keep_sets=g.console_user.role in ("supervisor", "analyst", "admin"),
                           max_set=record_sets.MAX_RECORDS)


# -- one record ----------------------------------------------------------------------------------

def _names(items, key, locale):
    for item in items:
        if item["key"] == key:
            return item["names"].get(locale) or item["names"]["en"]
    return key


def _value(field, value, locale):
    """A field's value as a reader sees it: code lists and reference names in their language."""
    if value is None or value == "":
        return None
    kind = field["type"]
    if kind == "code":
        return _names(catalog.code_lists()[field["codes"]]["items"], value, locale)
    if kind == "agency":
        agency = db.session.scalar(select(Agency).filter_by(code=value))
        return agency.name(locale) if agency else value
    if kind == "crossing":
        crossing = db.session.scalar(select(Crossing).filter_by(key=value))
        return (crossing.names.get(locale) or crossing.names["en"]) if crossing else value
    if kind == "place":
        return _names(catalog.collection_file("places")["items"], value, locale)
    if kind == "species":
        return value  # the scientific name, as written everywhere
    return str(value)


def _rows(fields, content, locale, depth=0):
    """[(depth, label, value)] in the form's order; groups give one block per entry."""
    out = []
    for field in fields:
        value = content.get(field["name"]) if isinstance(content, dict) else None
        if field["type"] == "object":
            if value:
                out.append((depth, _(field["label"]), None))
                out += _rows(field["fields"], value, locale, depth + 1)
        elif field["type"] == "group":
            for number, entry in enumerate(value or [], start=1):
                out.append((depth, f"{_(field['label'])} {number}", None))
                out += _rows(field["fields"], entry, locale, depth + 1)
        else:
            shown = _value(field, value, locale)
            if shown is not None:
                out.append((depth, _(field["label"]), shown))
    return out


def _proof(record):
    """Whether the record's ledger row is in the log the server signs: its inclusion proof
    against a freshly signed tree head, checked here as a phone or verify_evidence.py would."""
    bundle = evidence.build(record.rid, intake.server_time_ms())
    head = bundle["head"]
    item = next(item for item in bundle["records"] if item["rid"] == record.rid)
    entry = db.session.get(LedgerEntry, record.ledger_idx)
    try:
        crypto.verify(crypto.b64d(bundle["server"]["public_key"]),
                      crypto.tree_head_message(head["epoch"], head["size"], crypto.b64d(head["root"]), head["time"]),
                      crypto.b64d(head["signature"]))
    except crypto.CryptoError:
        return {"included": False, "size": head["size"], "root": head["root"], "index": entry.idx}
    included = merkle.verify_inclusion(entry.idx - 1, head["size"], merkle.leaf_hash(leaf_input(entry)),
                                       [crypto.b64d(step) for step in item["inclusion"]], crypto.b64d(head["root"]))
    return {"included": included, "size": head["size"], "root": head["root"], "index": entry.idx}


@blp.get("/records/<rid>")
@signed_in()
def record(rid):
    user = g.console_user
    try:
        found = access.get_visible_record(user, rid)
    except ApiError:
        abort(404)
    locale = str(get_locale())
    definition = published_definitions().get(f"{found.form}.v{found.form_version}")
    fields = _rows(definition["fields"], found.content, locale) if definition else []
    visible = access.visible_records(user)
    earlier = db.session.scalar(visible.where(Record.rid == found.supersedes)) if found.supersedes else None
    later = db.session.scalars(visible.where(Record.supersedes == found.rid)).all()
    audit.record("record.viewed", actor=user.username, actor_kind="user", target=f"record:{found.rid}")
    review = reviews.of(found.rid)
    return render_template("console/record.html", record=found, title=_(definition["title"]) if definition else found.form,
                           fields=fields, device=db.session.get(Device, found.device_id), proof=_proof(found),
                           earlier=earlier, later=later, hidden_earlier=bool(found.supersedes and not earlier),
                           review=review, reviewer=db.session.get(User, review.reviewer_id) if review else None,
                           review_names=reviews.STATE_NAMES, may_review=_may_review(user, found),
                           share=share_choices() if user.role in ("supervisor", "analyst", "admin") else None,
                           my_sets=[row for row, _count in record_sets.mine(user)]
                           if user.role in ("supervisor", "analyst", "admin") else None)


def _may_review(user, record):
    """The supervisors of the record's agency, and admins; analysts read."""
    return user.role == "admin" or (user.role == "supervisor" and user.agency_id == record.agency_id)


@blp.post("/records/<rid>/review")
@signed_in("supervisor", "admin")
def review(rid):
    user = g.console_user
    try:
        found = access.get_visible_record(user, rid)
    except ApiError:
        abort(404)
    if not _may_review(user, found):
        abort(404)
    try:
        reviews.set_review(found, request.form.get("state"), request.form.get("comment"), user)
    except reviews.InvalidReview:
        return render_template("console/message.html", title=_("Not saved"), message=_(
            "Choose received, has issues or approved, and keep the comment under %(n)d characters.",
            n=reviews.COMMENT_MAX)), 400
    return redirect(url_for("console.record", rid=found.rid))


@blp.get("/records/<rid>/evidence")
@signed_in()
def evidence_sheet(rid):
    """A printable evidence sheet (what `flask ledger evidence` writes, for people): the
    record's fields, its correction chain, and for each record of the chain its envelope's
    digest and inclusion proof, against one signed tree head and the server's key."""
    user = g.console_user
    try:
        found = access.get_visible_record(user, rid)
    except ApiError:
        abort(404)
    bundle = evidence.build(found.rid, intake.server_time_ms())
    proof = _proof(found)
    locale = str(get_locale())
    definition = published_definitions().get(f"{found.form}.v{found.form_version}")
    audit.record("ledger.evidence", actor=user.username, actor_kind="user", target=found.rid,
                 detail={"records": [item["rid"] for item in bundle["records"]], "printed": True})
    return render_template("console/evidence.html", record=found, bundle=bundle, proof=proof, now=auth.now(),
                           title=_(definition["title"]) if definition else found.form,
                           fields=_rows(definition["fields"], found.content, locale) if definition else [],
                           digest=lambda item: crypto.b64e(crypto.envelope_digest(
                               *(crypto.b64d(item["envelope"][part]) for part in ("h", "ct", "sig")))))
