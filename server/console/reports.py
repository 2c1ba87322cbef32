"""Filing an information report from the office (issue 18): what arrives outside the app (a
public report, a record passed on by another agency), typed into a plain server-rendered form
and filed under the person's desk identity (devices/desks.py), into the ledger like a phone's
record.

The form is rendered from the information report's declaration (forms/declarations.py), the one
the app renders, and checked by the same validator intake uses, so a field is refused here for
exactly the reasons a phone's record would be, and its problem is shown beside it. The reporting
agency and officer are the person's own and not asked. Repeated groups (people, companies,
vehicles, accounts, species) show a few rows; "Add a row" gives one more, without script."""
from flask import g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import select

from ..access import service as access
from ..devices import desks
from ..directory.models import Crossing
from ..errors import ApiError, message
from ..extensions import db
from ..forms.declarations import FORMS
from ..reference import catalog
from .routes import blp, signed_in

# Rows each repeated group shows at first.
ROWS = {"people": 2, "companies": 1, "vehicles": 1, "accounts": 1, "species": 2}
TEXTAREA_FROM = 2000  # characters: a text this long is typed in a box, not on a line


def _form():
    return FORMS[(desks.FORM, desks.VERSION)]


# -- from the posted form to the report's fields, and back -----------------------------------------

def _indexes(posted, path):
    """The row numbers of a group present in the posted form, in order."""
    found = set()
    for key in posted:
        if key.startswith(path + "."):
            number = key[len(path) + 1:].split(".", 1)[0]
            if number.isdigit():
                found.add(int(number))
    return sorted(found)


def read(fields, posted, prefix=""):
    """The report's fields from the posted form: empty values left out, empty objects and rows
    of groups too (the rows that remain are numbered again, from 0)."""
    out = {}
    for field in fields:
        path = prefix + field.name
        if prefix == "" and field.name in desks.FIXED:
            continue
        if field.type == "object":
            value = read(field.fields, posted, path + ".")
        elif field.type == "group":
            value = [row for row in (read(field.fields, posted, f"{path}.{number}.")
                                     for number in _indexes(posted, path)[:field.max_items or None]) if row]
        else:
            value = posted.get(path, "").replace("\r\n", "\n").strip()
        if value:
            out[field.name] = value
    return out


def _flat(value, prefix=""):
    """{"people.0.name": "…"}: the values of the fields as the form's inputs name them."""
    if isinstance(value, dict):
        return {k: v for name, item in value.items() for k, v in _flat(item, f"{prefix}{name}.").items()}
    if isinstance(value, list):
        return {k: v for number, item in enumerate(value) for k, v in _flat(item, f"{prefix}{number}.").items()}
    return {prefix.rstrip("."): value}


# -- problems in the reader's language ----------------------------------------------------------------

def _problem(text):
    """The validator's message (marshmallow's English) in the reader's language."""
    if text == "Missing data for required field.":
        return _("Required.")
    if text.startswith("Unknown "):
        return _("Not a value of the list.")
    if text.startswith("Longer than maximum length"):
        return _("Too long.")
    if text.startswith(("Must be greater", "Must be less")):
        return _("Out of range.")
    if text == "Not a valid date.":
        return _("Not a valid date (YYYY-MM-DD).")
    if text == "Not a valid number.":
        return _("Not a number.")
    if text == "Not a phone number.":
        return _("Not a phone number.")
    if text == "Control characters are not allowed.":
        return _("Control characters are not allowed.")
    return text


# -- the form as widgets ------------------------------------------------------------------------------

def _choices(field, locale, cache):
    """[(value, name)] a select offers for a field of a code-like type, names in `locale`."""
    key = field.codes if field.type == "code" else field.type
    if key not in cache:
        if field.type == "code":
            items = [item for item in catalog.code_lists()[field.codes]["items"] if not item.get("retired")]
        elif field.type == "place":
            items = catalog.collection_file("places")["items"]
        else:  # crossing
            items = [crossing.item() for crossing in db.session.scalars(select(Crossing).order_by(Crossing.key))]
        named = [(item["key"], item["names"].get(locale) or item["names"]["en"]) for item in items]
        if field.type == "code" and field.codes == "countries":
            named.sort(key=lambda pair: pair[1])
        cache[key] = named
    return cache[key]


def widgets(fields, values, errors, rows, locale, cache, prefix="", asked=True):
    """What the template draws, field by field: inputs, selects, and fieldsets for objects and
    for each row of a group, with their values and problems. `asked`: whether what encloses the
    fields must be given, so that the browser may require theirs too (a person's name is
    required only in a row one fills)."""
    out = []
    for field in fields:
        path = prefix + field.name
        if prefix == "" and field.name in desks.FIXED:
            continue
        label = _(field.label)
        common = {"name": path, "id": "f-" + path.replace(".", "-"), "label": label, "required": field.required,
                  "asked": asked and field.required, "errors": [_problem(text) for text in errors.get(path, [])]}
        if field.type == "object":
            out.append({**common, "kind": "fieldset", "children": widgets(
                field.fields, values, errors, rows, locale, cache, path + ".", asked and field.required)})
        elif field.type == "group":
            rows_here = [{"kind": "fieldset", "label": f"{label} {number + 1}", "required": False, "asked": False,
                          "errors": [_problem(text) for text in errors.get(f"{path}.{number}", [])],
                          "id": f"f-{path}-{number}", "name": f"{path}.{number}",
                          "children": widgets(field.fields, values, errors, rows, locale, cache,
                                              f"{path}.{number}.", False)}
                         for number in range(rows.get(field.name, 1))]
            out.append({**common, "kind": "group", "children": rows_here,
                        "add": field.name if rows.get(field.name, 1) < (field.max_items or 1) else None})
        elif field.type in ("code", "place", "crossing"):
            out.append({**common, "kind": "select", "value": values.get(path, ""),
                        "options": _choices(field, locale, cache)})
        else:
            kind = "textarea" if field.type == "text" and (field.max_length or 0) >= TEXTAREA_FROM else "input"
            out.append({**common, "kind": kind, "value": values.get(path, ""), "max_length": field.max_length,
                        "type": {"date": "date", "phone": "tel"}.get(field.type, "text"),
                        "decimal": field.type in ("decimal", "integer"), "species": field.type == "species"})
    return out


def _species(locale):
    return [(item["key"], item["names"].get(locale) or item["names"]["en"])
            for item in catalog.collection_file("species")["items"]]


def _page(document, errors, rows, problem=None, status=200):
    locale = str(get_locale())
    user = g.console_user
    drawn = widgets(_form().fields, _flat(document), errors, rows, locale, {})
    # A problem of a field the form does not show (a group's length, the whole report): on top.
    shown = {w["name"] for w in _walk(drawn)}
    other = [_problem(text) for path, texts in errors.items() if path not in shown for text in texts]
    return render_template("console/report_new.html", widgets=drawn, species=_species(locale), problem=problem,
                           refused=bool(errors), other=other, agency=user.agency, officer=user.display_name), status


def _walk(drawn):
    for widget in drawn:
        yield widget
        yield from _walk(widget.get("children", ()))


def _rows(document, add=None):
    """How many rows each group shows: its default, what was typed, and one more if asked."""
    return {name: max(default, len(document.get(name, []))) + (1 if name == add else 0)
            for name, default in ROWS.items()}


@blp.route("/intel/reports/new", methods=["GET", "POST"])
@signed_in(*desks.DESK_ROLES)
def intel_report_new():
    if request.method == "GET":
        return _page({}, {}, _rows({}))
    user = g.console_user
    document = read(_form().fields, request.form)
    add = request.form.get("add")
    if add in ROWS:  # "Add a row": the form again, one row longer; nothing is filed
        return _page(document, {}, _rows(document, add))
    rows = _rows(document)
    try:
        filed = desks.file_report(user, document, actor=user.username, actor_kind="user")
    except desks.DeskRefused as error:
        db.session.rollback()
        return _page(document, {}, rows, problem=str(error), status=403 if error.code != "desk_fields_fixed" else 422)
    except ValidationError as error:
        db.session.rollback()
        return _page(document, desks.field_errors(error.messages), rows, status=400)
    if not filed.accepted:
        return render_template("console/message.html", title=_("Held in quarantine"), message=_(
            "The report %(rid)s is in the ledger, but it could not be filed: %(reason)s", rid=filed.rid,
            reason=message(filed.receipt.code))), 422
    try:
        access.get_visible_record(user, filed.rid)
    except ApiError:
        # Its handling code keeps it from its own author ("originator": the agency's
        # supervisors only): filed all the same.
        return render_template("console/message.html", title=_("Filed"), message=_(
            "The report %(rid)s is filed. Its handling code does not let you read it in the console.",
            rid=filed.rid))
    return redirect(url_for("console.record", rid=filed.rid))
