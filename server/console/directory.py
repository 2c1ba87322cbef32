"""Directory maintenance in the console (issue 17): contacts, agencies and counterpart links
edited on the web, sheets imported with their validation report shown before anything is
written, and the officers' wrong-number reports as a work list.

What `flask directory …` does, through the same service functions: a contact is saved as a
sheet of one row (service.import_rows), so the form is checked by the import's own code and
its problems are shown beside the fields they name. Who keeps what is access.service's rule:
supervisors the contacts of their own country (whose reports they receive), admins everything;
agencies, crossings and links span countries and are for admins. Every change is in the audit
log under the console user's name."""
import json
import re
import time
from pathlib import Path

from flask import abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..access import service as access
from ..access.models import Agency
from ..audit import service as audit
from ..crypto import random_token
from ..dbtypes import utcnow
from ..directory import agencies as agency_sheet
from ..directory import counterparts, crossings, reports, service, sheets
from ..directory.models import KINDS, Contact, Counterpart, Crossing
from ..extensions import db
from ..reference.publish import publish
from .routes import _actor, blp, code_names, signed_in

MAINTAINERS = access.DIRECTORY_MAINTAINERS
KIND_NAMES = {"duty_desk": _l("Duty desk"), "focal_point": _l("Focal point")}
FLAGS = ("supervisors_only", "demo")
# The contact form: the sheet's columns but its key and `remove` (buttons of their own).
CONTACT_FIELDS = tuple(column for column in sheets.COLUMNS if column not in ("key", "remove"))
BORDERS = ("CN-VN", "LA-VN", "CN-LA")


def _split(text):
    return [part.strip() for part in text.split(";") if part.strip()]


def _crossings():
    return db.session.scalars(select(Crossing).order_by(Crossing.key)).all()


def _may_write():
    user = g.console_user
    return lambda agency: access.maintains_contacts_of(user, agency)


def _problems_by_field(problems, fields):
    """({field: [message]}, [problems naming no field of the form])."""
    by_field, other = {}, []
    for problem in problems:
        if problem.column in fields:
            by_field.setdefault(problem.column, []).append(problem.message)
        else:
            other.append(problem)
    return by_field, other


# -- contacts ------------------------------------------------------------------------------------

def _stale(contact):
    days = current_app.config["DIRECTORY_STALE_AFTER_DAYS"]
    return contact.verified_on is None or (utcnow().date() - contact.verified_on).days > days


@blp.get("/directory")
@signed_in(*MAINTAINERS)
def directory():
    """The contacts the viewer keeps, filtered by agency and crossing."""
    user = g.console_user
    contacts = db.session.scalars(access.maintained_contacts(user)).all()
    filters = {name: request.args.get(name, "") for name in ("agency", "crossing")}
    removed = request.args.get("removed") == "1"
    rows = [contact for contact in contacts if (removed or contact.removed_at is None)
            and (not filters["agency"] or contact.agency.code == filters["agency"])
            and (not filters["crossing"] or filters["crossing"] in contact.crossings)]
    agencies = sorted({contact.agency.code: contact.agency for contact in contacts}.items())
    crossing_names = {crossing.key: crossing for crossing in _crossings()}
    used = sorted({key for contact in contacts for key in contact.crossings if key in crossing_names})
    return render_template("console/directory.html", rows=rows, filters=filters, removed=removed, agencies=agencies,
                           crossings=[crossing_names[key] for key in used], stale=_stale, kind_names=KIND_NAMES,
                           open_reports=len(reports.work_list(user)))


def _contact_agencies(current=None):
    """The agencies a contact of the viewer's may belong to (and its present one)."""
    may_write = _may_write()
    return [agency for agency in db.session.scalars(select(Agency).order_by(Agency.code))
            if may_write(agency) and (agency.retired_on is None or agency == current)]


def _contact_form_row(key):
    """The form as a sheet row: checkboxes yes or no, the chosen crossings listed."""
    form = request.form
    row = {column: form.get(column, "").strip() for column in CONTACT_FIELDS if column not in FLAGS}
    row.update({flag: "yes" if form.get(flag) == "yes" else "no" for flag in FLAGS})
    row["crossings"] = "; ".join(form.getlist("crossings"))
    if form.get("verified_now") == "yes":
        row["verified_on"] = utcnow().date().isoformat()
        row["verified_by"] = g.console_user.display_name
    row["key"] = key
    return row


def _contact_page(contact, row, problems=(), status=200, **context):
    errors, other = _problems_by_field(problems, CONTACT_FIELDS + ("key",))
    page = render_template("console/directory_contact.html", contact=contact, row=row, errors=errors, other=other,
                           agencies=_contact_agencies(contact.agency if contact else None), kinds=KINDS,
                           kind_names=KIND_NAMES, crossings=_crossings(),
                           chosen=set(_split(row.get("crossings", ""))),
                           history=service.history(f"contact:{contact.key}") if contact else [], **context)
    return page, status


def _maintained_contact(key):
    contact = db.session.scalar(access.maintained_contacts(g.console_user).where(Contact.key == key))
    if contact is None:
        abort(404)  # another country's contact does not exist here
    return contact


@blp.route("/directory/contacts/new", methods=["GET", "POST"])
@signed_in(*MAINTAINERS)
def directory_contact_new():
    if request.method == "GET":
        return _contact_page(None, {"kind": "duty_desk", "supervisors_only": "no", "demo": "no"})
    key = request.form.get("key", "").strip()
    row = _contact_form_row(key)
    if db.session.scalar(select(Contact.id).filter_by(key=key)) is not None:
        problem = service.Problem(1, "key", "duplicate_key", _("A contact has this key already: choose another."))
        return _contact_page(None, row, [problem], 400)
    report = service.import_rows([(1, row)], may_write=_may_write(), **_actor())
    if report.problems:
        return _contact_page(None, row, report.problems, 400)
    return redirect(url_for("console.directory_contact", key=key, saved=1))


@blp.route("/directory/contacts/<path:key>", methods=["GET", "POST"])
@signed_in(*MAINTAINERS)
def directory_contact(key):
    """One contact, edited as its row of the sheet, checked by the import's own code."""
    contact = _maintained_contact(key)
    if request.method == "GET":
        return _contact_page(contact, service.sheet_row(contact), saved=request.args.get("saved") == "1")
    removing = request.form.get("action") == "remove"
    row = {"key": key, "remove": "yes"} if removing else _contact_form_row(key)
    report = service.import_rows([(1, row)], may_write=_may_write(), **_actor())
    if report.problems:
        return _contact_page(contact, service.sheet_row(contact) if removing else row, report.problems, 400)
    return redirect(url_for("console.directory_contact", key=key, saved=1))


# -- agencies (admins) ---------------------------------------------------------------------------

AGENCY_LISTS = ("functions", "crossings")


@blp.get("/directory/agencies")
@signed_in("admin")
def directory_agencies():
    country = request.args.get("country", "")
    query = select(Agency).order_by(Agency.country, Agency.code)
    if country:
        query = query.where(Agency.country == country)
    countries = db.session.scalars(select(Agency.country).distinct().order_by(Agency.country)).all()
    return render_template("console/directory_agencies.html", rows=db.session.scalars(query).all(),
                           countries=countries, country=country, levels=code_names("agency_level"),
                           functions=code_names("agency_function"))


def _agency_form_row(code):
    form = request.form
    row = {column: form.get(column, "").strip() for column in agency_sheet.COLUMNS if column not in AGENCY_LISTS}
    row.update({column: "; ".join(form.getlist(column)) for column in AGENCY_LISTS})
    row["code"] = code
    return row


def _agency_page(row, create, error=None, status=200, **context):
    others = db.session.scalars(select(Agency).where(Agency.code != row.get("code", "")).order_by(Agency.code)).all()
    page = render_template("console/directory_agency.html", row=row, create=create, error=error, others=others,
                           levels=code_names("agency_level"), functions=code_names("agency_function"),
                           crossings=_crossings(),
                           chosen={column: set(_split(row.get(column, ""))) for column in AGENCY_LISTS},
                           history=service.history(f"agency:{row['code']}") if not create else [], **context)
    return page, status


def _save_agency(code, create):
    row = _agency_form_row(code)
    try:
        agency_sheet.save(code, agency_sheet.row_changes(row), create=create, **_actor())
    except ValueError as error:
        db.session.rollback()
        # The reference checks explain themselves in English, as on the command line.
        return _agency_page(row, create, _("The agency was not saved: %(reason)s", reason=str(error)), 400)
    return redirect(url_for("console.directory_agency", code=code, saved=1))


@blp.route("/directory/agencies/new", methods=["GET", "POST"])
@signed_in("admin")
def directory_agency_new():
    if request.method == "GET":
        return _agency_page({"code": ""}, create=True)
    code = request.form.get("code", "").strip()
    if not re.fullmatch(r"[A-Z]{2}(-[A-Z0-9]+)+", code):
        return _agency_page(_agency_form_row(code), True, _(
            "A code is the country and capital letters or digits joined by -, such as VN-HQ-QN."), 400)
    return _save_agency(code, create=True)


@blp.route("/directory/agencies/<code>", methods=["GET", "POST"])
@signed_in("admin")
def directory_agency(code):
    """Names in the four languages, functions, level, provinces, crossings; retired with the
    day and its successor (a code is never deleted)."""
    if db.session.scalar(select(Agency.id).filter_by(code=code)) is None:
        abort(404)
    if request.method == "POST":
        return _save_agency(code, create=False)
    row = next(row for row in agency_sheet.export_rows() if row["code"] == code)
    return _agency_page(row, create=False, saved=request.args.get("saved") == "1")


# -- counterpart links (admins) ------------------------------------------------------------------

@blp.get("/directory/links")
@signed_in("admin")
def directory_links():
    """Every link in force, and every crossing and function with neither a link nor a note."""
    crossing = request.args.get("crossing", "")
    links = [link for link in counterparts.current_links() if not crossing or crossing in link.crossings]
    gaps = [gap for gap in counterparts.gaps() if not crossing or gap[0] == crossing]
    return render_template("console/directory_links.html", links=links, gaps=gaps, crossing=crossing,
                           crossings=_crossings(), functions=code_names("agency_function"),
                           bases=code_names("counterpart_basis"), saved=request.args.get("saved"),
                           removed=request.args.get("removed"))


def _link_entry(key):
    form = request.form
    none_known = form.get("none_known") == "yes"
    return {"key": key, "agencies": [] if none_known else [code for code in (form.get("agency_a", ""),
                                                                             form.get("agency_b", "")) if code],
            "none_known": none_known, "functions": form.getlist("functions"), "basis": form.get("basis") or None,
            "crossings": form.getlist("crossings"), "borders": form.getlist("borders"),
            "note": form.get("note", "").strip() or None}


def _link_page(entry, create, error=None, status=200):
    page = render_template("console/directory_link.html", entry=entry, create=create, error=error,
                           agencies=db.session.scalars(select(Agency).where(Agency.retired_on.is_(None))
                                                       .order_by(Agency.code)).all(),
                           functions=code_names("agency_function"), bases=code_names("counterpart_basis"),
                           crossings=_crossings(), borders=BORDERS,
                           history=service.history(f"counterpart:{entry['key']}") if not create else [])
    return page, status


def _save_link(key, create):
    entry = _link_entry(key)
    try:
        counterparts.save({name: value for name, value in entry.items() if name != "none_known"}, **_actor())
    except ValueError as error:
        db.session.rollback()
        return _link_page(entry, create, _("The link was not saved: %(reason)s", reason=str(error)), 400)
    db.session.commit()
    publish(["counterparts"])
    return redirect(url_for("console.directory_links", saved=key))


@blp.route("/directory/links/new", methods=["GET", "POST"])
@signed_in("admin")
def directory_link_new():
    if request.method == "GET":
        return _link_page({"key": "", "agencies": [], "functions": [], "crossings": [], "borders": []}, create=True)
    key = request.form.get("key", "").strip()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,119}", key) or key == "new":
        return _link_page(_link_entry(key), True, _("A key is letters, digits and . _ : / -, such as VN-CN:customs."),
                          400)
    if db.session.scalar(select(Counterpart.id).filter_by(key=key).where(Counterpart.removed_at.is_(None))):
        return _link_page(_link_entry(key), True, _("A link has this key already: choose another."), 400)
    return _save_link(key, create=True)


@blp.route("/directory/links/<path:key>", methods=["GET", "POST"])
@signed_in("admin")
def directory_link(key):
    link = db.session.scalar(select(Counterpart).filter_by(key=key).where(Counterpart.removed_at.is_(None)))
    if link is None:
        abort(404)
    if request.method == "GET":
        return _link_page({**link.item(), "none_known": not link.agencies, "borders": []}, create=False)
    if request.form.get("action") == "remove":
        counterparts.save({"key": key}, remove=True, **_actor())
        db.session.commit()
        publish(["counterparts"])
        return redirect(url_for("console.directory_links", removed=key))
    return _save_link(key, create=False)


# -- import --------------------------------------------------------------------------------------

IMPORTS = {"contacts": service, "agencies": agency_sheet, "links": counterparts, "crossings": crossings}
IMPORT_NAMES = {"contacts": _l("Contacts"), "agencies": _l("Agencies"), "links": _l("Counterpart links"),
                "crossings": _l("Border crossings")}
SUFFIXES = (".csv", ".xlsx")
UPLOAD_HOURS = 24  # a checked file not applied within this is forgotten
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}\Z")


def _import_kinds():
    return tuple(IMPORTS) if access.maintains_whole_directory(g.console_user) else ("contacts",)


def _upload_dir():
    """Where checked files wait to be applied: CONSOLE_UPLOAD_DIR, else the instance folder."""
    folder = Path(current_app.config.get("CONSOLE_UPLOAD_DIR") or Path(current_app.instance_path) / "directory-uploads")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _keep(upload, kind, suffix):
    """The uploaded file, kept under a random token with who sent it; older ones forgotten."""
    folder = _upload_dir()
    for old in folder.iterdir():
        try:
            if time.time() - old.stat().st_mtime > UPLOAD_HOURS * 3600:
                old.unlink()
        except FileNotFoundError:
            pass  # another request forgot it first
    token = random_token(24)
    path = folder / f"{token}{suffix}"
    upload.save(path)
    (folder / f"{token}.json").write_text(json.dumps({"user": g.console_user.id, "kind": kind, "suffix": suffix,
                                                      "name": Path(upload.filename).name}), encoding="utf-8")
    return token, path


def _kept(token):
    """(about, path) of a file this person uploaded and has not applied; 404 otherwise."""
    if not _TOKEN.match(token or ""):
        abort(404)
    about_path = _upload_dir() / f"{token}.json"
    try:
        about = json.loads(about_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        abort(404)
    path = about_path.with_name(f"{token}{about['suffix']}")
    if about["user"] != g.console_user.id or about["kind"] not in _import_kinds() or not path.exists():
        abort(404)
    return about, path


def _run_import(kind, path, dry_run):
    if kind == "contacts":
        return service.import_file(path, dry_run=dry_run, may_write=_may_write(), **_actor())
    return IMPORTS[kind].import_file(path, dry_run=dry_run, **_actor())


def _counts(report):
    return {"created": len(report.created), "updated": len(report.updated), "removed": len(report.removed),
            "unchanged": report.unchanged, "problems": len(report.problems)}


def _import_page(status=200, **context):
    kinds = _import_kinds()
    return render_template("console/directory_import.html", kinds=kinds, kind_names=IMPORT_NAMES, **context), status


@blp.route("/directory/import", methods=["GET", "POST"])
@signed_in(*MAINTAINERS)
def directory_import():
    """A sheet checked first (a dry run: the report, nothing written), kept under a token;
    then applied with the Apply button, checked again as it is applied."""
    if request.method == "GET":
        return _import_page()
    if request.form.get("action") == "apply":
        about, path = _kept(request.form.get("upload"))
        report = _run_import(about["kind"], path, dry_run=False)
        if report.ok:
            path.unlink(missing_ok=True)
            path.with_suffix(".json").unlink(missing_ok=True)
        else:
            db.session.rollback()
        audit.record("directory.import.applied" if report.ok else "directory.import.refused",
                     target=f"file:{about['name']}", detail={"kind": about["kind"], **_counts(report)}, **_actor())
        gaps = counterparts.gaps() if about["kind"] == "links" and report.ok else []
        return _import_page(200 if report.ok else 409, report=report, kind=about["kind"], name=about["name"],
                            applied=report.ok, gaps=gaps)
    kind = request.form.get("kind", "contacts")
    upload = request.files.get("file")
    suffix = Path(upload.filename).suffix.lower() if upload and upload.filename else ""
    if kind not in _import_kinds() or suffix not in SUFFIXES:
        return _import_page(400, error=_("Choose what the sheet holds and a .csv or .xlsx file."), kind=kind)
    token, path = _keep(upload, kind, suffix)
    report = _run_import(kind, path, dry_run=True)
    db.session.rollback()  # a dry run writes nothing; make sure of it
    name = Path(upload.filename).name
    audit.record("directory.import.checked", target=f"file:{name}", detail={"kind": kind, **_counts(report)},
                 **_actor())
    changes = report.created or report.updated or report.removed
    return _import_page(200 if report.ok else 422, report=report, kind=kind, name=name, applied=False,
                        token=token if report.ok and changes else None)


# -- wrong-number reports ------------------------------------------------------------------------

@blp.get("/directory/reports")
@signed_in(*MAINTAINERS)
def directory_reports():
    """The officers' "this number did not work" reports about the contacts one keeps, those
    still open first, each marked handled with a note."""
    user = g.console_user
    open_rows, handled = reports.work_list(user), reports.work_list(user, handled=True, limit=50)
    audit.record("directory.reports.list", detail={"count": len(open_rows) + len(handled), "rids": [
        record.rid for _report, record, _agency, _handling in open_rows + handled]}, **_actor())
    return render_template("console/directory_reports.html", open_rows=open_rows, handled=handled,
                           problems=code_names("directory_problem"))


@blp.post("/directory/reports/<rid>/handle")
@signed_in(*MAINTAINERS)
def directory_report_handle(rid):
    try:
        reports.handle(g.console_user, rid, request.form.get("note"))
    except reports.AlreadyHandled:
        return render_template("console/message.html", title=_("Handled already"), message=_(
            "Someone marked this report handled already.")), 409
    except LookupError:
        abort(404)
    return redirect(url_for("console.directory_reports"))
