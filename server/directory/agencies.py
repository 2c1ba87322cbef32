"""Agencies maintained by hand (`flask directory agency …`, or a sheet a ministry clerk
edits): the same checks as the reference file (reference/agencies.py), every change in the
audit log, and from the first one on, `flask agencies load` leaves the agency as the
maintainer left it.

A code is never changed or deleted: a dissolved or merged agency is retired, with the day and
its successor, and intake still accepts records naming it."""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from ..access.models import Agency
from ..audit import service as audit
from ..dbtypes import utcnow
from ..extensions import db
from ..reference import agencies as reference
from ..reference.publish import publish
from .models import Crossing
from .service import Problem, Report, unique_rows

LANGUAGES = ("en", "vi", "lo", "zh_Hans")
LISTS = ("functions", "provinces", "crossings")
# One row per agency, as `directory agency export` writes it and `import` reads it.
COLUMNS = ("code", "country", "parent", "kind", "level", "functions", "province", "provinces", "crossings",
           "name_en", "name_vi", "name_lo", "name_zh_Hans", "source", "retired_on", "successor")
SHEET = "agencies"


def as_row(agency, codes):
    """An agency shaped like a row of agencies.json."""
    successor = codes.get(agency.successor_id)
    return {"code": agency.code, "country": agency.country, "parent": codes.get(agency.parent_id),
            "kind": agency.kind, "functions": list(agency.functions or ()), "province": agency.province,
            "level": agency.level, "provinces": list(agency.provinces or ()), "crossings": list(agency.crossings or ()),
            "names": {language: agency.name(language) for language in LANGUAGES}, "source": agency.source,
            "retired": ({"on": agency.retired_on.isoformat(), "successor": successor}
                        if agency.retired_on else None)}


@dataclass
class _Plan:
    code: str
    row: dict
    changed: list
    create: bool


class _Store:
    """The agencies and crossing keys a batch of changes is checked against."""

    def __init__(self):
        self.by_code = {agency.code: agency for agency in db.session.scalars(select(Agency))}
        self.codes = {agency.id: agency.code for agency in self.by_code.values()}
        self.crossings = {key for key, in db.session.execute(select(Crossing.key))}


def _plan(store, code, changes, *, create, also_known=()):
    """The agency as it would be after `changes`, checked; ValueError says what is wrong.
    `also_known`: codes created in the same batch, which a parent or successor may name."""
    agency = store.by_code.get(code)
    if create and agency is not None:
        raise ValueError(f"agency {code} exists: codes are never reused")
    if not create and agency is None:
        raise ValueError(f"no agency {code}")
    before = as_row(agency, store.codes) if agency else {"code": code, "names": {}, "retired": None}
    row = {**before, **changes, "names": {**before["names"], **changes.get("names", {})}}
    missing = [name for name in ("country", "kind", "level", "source") if not row.get(name)]
    missing += [f"name {language}" for language in LANGUAGES if not row["names"].get(language)]
    if missing:
        raise ValueError(f"agency {code} needs {', '.join(missing)}")
    row = {"parent": None, "province": None, "functions": [], "provinces": [], "crossings": [], **row}
    if row["parent"] and row["parent"] not in store.by_code and row["parent"] not in also_known:
        raise ValueError(f"agency {code}: no parent agency {row['parent']}")
    known = {**store.by_code, **{other: None for other in also_known}}
    reference.check_rows([row], known, store.crossings)
    if row["retired"]:
        date.fromisoformat(row["retired"]["on"])  # a ValueError names the bad date
    return _Plan(code, row, sorted(name for name in row if row[name] != before.get(name)), create)


def _apply(store, plans, actor):
    """Writes checked plans, each change audited; the caller commits and publishes."""
    plans = [plan for plan in plans if plan.changed]
    for plan in plans:
        if plan.create:
            store.by_code[plan.code] = Agency(code=plan.code)
            db.session.add(store.by_code[plan.code])
        reference.set_fields(store.by_code[plan.code], plan.row)
    db.session.flush()  # parents and successors created in the same batch get their ids
    for plan in plans:
        agency = store.by_code[plan.code]
        reference.set_links(agency, plan.row, store.by_code)
        agency.maintained_at = utcnow()
        audit.record("directory.agency.created" if plan.create else "directory.agency.updated",
                     target=f"agency:{plan.code}", detail={name: plan.row[name] for name in plan.changed}, commit=False,
                     **actor)


def save(code, changes, *, create=False, **actor):
    """Creates an agency (every field given) or changes some fields of one; commits and
    publishes. Raises ValueError with what is wrong, having changed nothing. Returns the
    names of the fields that changed. `actor` is who the audit log names (the command's
    user by default)."""
    store = _Store()
    plan = _plan(store, code, changes, create=create)
    if plan.changed:
        _apply(store, [plan], actor)
        db.session.commit()
        publish(["agencies"])
    return plan.changed


# -- as a sheet --------------------------------------------------------------------------------

def export_rows():
    """Every agency as a sheet row, so that an export imported again changes nothing."""
    store = _Store()
    rows = []
    for code in sorted(store.by_code):
        row = as_row(store.by_code[code], store.codes)
        retired = row.pop("retired") or {}
        names = row.pop("names")
        rows.append({**{name: value or "" for name, value in row.items()},
                     **{name: "; ".join(row[name]) for name in LISTS},
                     **{f"name_{language}": names[language] for language in LANGUAGES},
                     "retired_on": retired.get("on", ""), "successor": retired.get("successor") or ""})
    return rows


def row_changes(row):
    """A sheet row (or the console's agency form) as the changes `_plan` takes: every column
    the row has, empty ones cleared."""
    changes = {name: row[name] or None for name in ("country", "parent", "kind", "level", "province", "source")
               if name in row}
    changes.update({name: [part.strip() for part in row[name].split(";") if part.strip()] for name in LISTS
                    if name in row})
    names = {language: row[f"name_{language}"] for language in LANGUAGES if f"name_{language}" in row}
    if names:
        changes["names"] = names
    if "retired_on" in row:
        changes["retired"] = ({"on": row["retired_on"], "successor": row.get("successor") or None}
                              if row["retired_on"] else None)
    return changes


def import_file(path, dry_run=False, **actor):
    """Every row checked first; unless there is a problem (or `dry_run`), all applied in one
    transaction, each change in the audit log. A row whose code the store lacks creates the
    agency. Returns the Report (service.Report), as for contacts."""
    report = Report()
    rows = unique_rows(report, path, COLUMNS, "code", SHEET)
    store = _Store()
    new_codes = {row["code"] for _line, row in rows if row["code"] and row["code"] not in store.by_code}
    plans = []
    for line, row in rows:
        code = row["code"]
        try:
            plan = _plan(store, code, row_changes(row), create=code in new_codes, also_known=new_codes)
        except ValueError as error:
            report.problems.append(Problem(line, "", "bad_value", str(error)))
            continue
        plans.append(plan)
        if plan.create:
            report.created.append(code)
        elif plan.changed:
            report.updated.append(code)
        else:
            report.unchanged += 1
    if report.problems or dry_run:
        return report
    _apply(store, plans, actor)
    db.session.commit()
    publish(["agencies"])
    return report
