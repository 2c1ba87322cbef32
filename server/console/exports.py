"""Exports in the console (issue 19): ask for one, watch it run on the task queue, download
it. An export holds what its requester may read and is theirs alone: another person's export
answers 404 like a page that does not exist. Asking and downloading are audited
(exports/service.py)."""
from datetime import date

from flask import abort, g, redirect, render_template, request, send_file, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import errors
from ..access.models import Agency
from ..exports import service
from ..exports.models import KINDS
from ..extensions import db
from .routes import blp, code_names, signed_in

# What each export is for and what opens it, in the order the form offers them.
KIND_TEXTS = {
    "itr": (_l("CITES annual illegal trade report"),
            _l("An Excel workbook (.xlsx) with one row per seized specimen line of a country for a year, in the "
               "columns of the CITES guidelines. It is due to the CITES Secretariat by 31 October for the year before.")),
    "ftm": (_l("FollowTheMoney for Aleph"),
            _l("The entities, records and links you may see, as FollowTheMoney JSON lines that Aleph imports.")),
    "anx": (_l("i2 Analyst's Notebook chart"),
            _l("The network you may see as an i2 chart (ANX): people, organisations, vehicles, phones, places and "
               "records, with their links.")),
    "geojson": (_l("GeoJSON map layers"),
                _l("Seizures and observations as points and routes as lines, for QGIS. Routes without coordinates "
                   "run through country centres and say so.")),
    "csv": (_l("Spreadsheets (CSV)"),
            _l("A ZIP of CSV files: records, their items, the people and things they name, and the entities. "
               "Excel opens Lao, Vietnamese and Chinese text in them as written.")),
}
assert tuple(KIND_TEXTS) == KINDS

# What an export's counts count (the writers' keys).
COUNT_LABELS = {
    "rows": _l("Specimen lines"), "seizures": _l("Seizures"), "records": _l("Records"), "events": _l("Records"),
    "items": _l("Items"), "mentions": _l("People and things named"), "entities": _l("Entities"),
    "links": _l("Links"), "dropped": _l("Links left out (an end not in the file)"), "points": _l("Points"),
    "routes": _l("Routes"), "skipped": _l("Records with neither a position nor a route"),
}


def _own(token):
    row = service.owned(g.console_user, token)
    if row is None:
        abort(404)
    return row


def _form_choices():
    countries = db.session.scalars(select(Agency.country).distinct().order_by(Agency.country)).all()
    return {"kinds": KIND_TEXTS, "countries": countries, "country_names": code_names("countries"),
            "own_country": g.console_user.agency.country, "last_year": date.today().year - 1,
            "this_year": date.today().year}


@blp.route("/exports", methods=["GET", "POST"])
@signed_in()
def exports():
    refused = None
    if request.method == "POST":
        form = request.form
        params = {"year": form.get("year"), "country": form.get("country")} if form.get("kind") == "itr" else {}
        try:
            row = service.request_export(g.console_user, form.get("kind"), params)
        except service.ExportRefused as error:
            db.session.rollback()
            refused = error.code
        else:
            return redirect(url_for("console.export", token=row.token))
    mine = service.of_user(g.console_user)
    return render_template("console/exports.html", exports=mine, refused=refused, problem=errors.message,
                           running=any(row.status in ("queued", "running") for row in mine),
                           **_form_choices()), 422 if refused else 200


@blp.get("/exports/<token>")
@signed_in()
def export(token):
    row = _own(token)
    return render_template("console/export.html", export=row, kinds=KIND_TEXTS, handling_names=code_names("handling_code"),
                           country_names=code_names("countries"), count_labels=COUNT_LABELS)


@blp.get("/exports/<token>/download")
@signed_in()
def export_download(token):
    row = _own(token)
    path = service.path_of(row)
    if row.status != "done" or not path.exists():
        abort(404)
    service.downloaded(g.console_user, row)
    return send_file(path, mimetype=service.MEDIA_TYPE[row.kind], as_attachment=True, download_name=row.file_name,
                     max_age=0)
