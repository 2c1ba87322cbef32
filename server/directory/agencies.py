"""Agencies maintained by hand (`flask directory agency …`): the same checks as the
reference file (reference/agencies.py), every change in the audit log, and from the first one
on, `flask agencies load` leaves the agency as the maintainer left it.

A code is never changed or deleted: a dissolved or merged agency is retired, with the day and
its successor, and intake still accepts records naming it."""
from sqlalchemy import select

from ..access.models import Agency
from ..audit import service as audit
from ..dbtypes import utcnow
from ..extensions import db
from ..reference import agencies as reference
from ..reference.publish import publish
from .models import Crossing

LANGUAGES = ("en", "vi", "lo", "zh_Hans")


def as_row(agency, codes):
    """An agency shaped like a row of agencies.json."""
    successor = codes.get(agency.successor_id)
    return {"code": agency.code, "country": agency.country, "parent": codes.get(agency.parent_id),
            "kind": agency.kind, "functions": list(agency.functions or ()), "province": agency.province,
            "level": agency.level, "provinces": list(agency.provinces or ()), "crossings": list(agency.crossings or ()),
            "names": {language: agency.name(language) for language in LANGUAGES}, "source": agency.source,
            "retired": ({"on": agency.retired_on.isoformat(), "successor": successor}
                        if agency.retired_on else None)}


def save(code, changes, *, create=False):
    """Creates an agency (every field given) or changes some fields of one; commits and
    publishes. Raises ValueError with what is wrong, having changed nothing. Returns the
    names of the fields that changed."""
    by_code = {agency.code: agency for agency in db.session.scalars(select(Agency))}
    codes = {agency.id: agency.code for agency in by_code.values()}
    agency = by_code.get(code)
    if create and agency is not None:
        raise ValueError(f"agency {code} exists: codes are never reused")
    if not create and agency is None:
        raise ValueError(f"no agency {code}")
    before = as_row(agency, codes) if agency else {"code": code, "names": {}, "retired": None}
    row = {**before, **changes, "names": {**before["names"], **changes.get("names", {})}}
    missing = [name for name in ("country", "kind", "level", "source") if not row.get(name)]
    missing += [f"name {language}" for language in LANGUAGES if not row["names"].get(language)]
    if missing:
        raise ValueError(f"agency {code} needs {', '.join(missing)}")
    row = {"parent": None, "province": None, "functions": [], "provinces": [], "crossings": [], **row}
    if row["parent"] and row["parent"] not in by_code:
        raise ValueError(f"agency {code}: no parent agency {row['parent']}")
    reference.check_rows([row], by_code, {key for key, in db.session.execute(select(Crossing.key))})
    changed = sorted(name for name in row if row[name] != before.get(name))
    if not changed:
        return []
    if agency is None:
        agency = by_code[code] = Agency(code=code)
        db.session.add(agency)
    reference.set_fields(agency, row)
    db.session.flush()
    reference.set_links(agency, row, by_code)
    agency.maintained_at = utcnow()
    audit.record("directory.agency.created" if create else "directory.agency.updated", target=f"agency:{code}",
                 detail={name: row[name] for name in changed}, commit=False)
    db.session.commit()
    publish(["agencies"])
    return changed
