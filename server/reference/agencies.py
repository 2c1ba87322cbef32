"""Enforcement agencies: real public bodies, each with names in four languages and a
source note (server/reference/agencies.json). Reference data, not demo data.

Agencies are dissolved, merged and renamed (Viet Nam's provincial Border Guard Commands on
28 June 2025), but records name them for good, and a phone may seal a record naming the old
body long after. So an agency is never deleted, and its code never changes: it is retired,
with the same shape as a retired code-list item (catalog.py):

    "retired": {"on": "2025-06-28", "successor": "VN-BCHBP-QN"}

and the successor is a separate agency with its own code.
"""
import json
from datetime import date
from pathlib import Path

from sqlalchemy import select

from ..access.models import Agency
from ..extensions import db
from . import catalog
from ..directory import counterparts, crossings
from ..directory.models import Crossing
from .current import current
from .publish import publish

AGENCIES_FILE = Path(__file__).with_name("agencies.json")


def load(path=AGENCIES_FILE):
    """Insert the agencies this store lacks, and update the others, except those a
    maintainer has changed (`flask directory agency …`): from that change on, the store holds
    the agency as they left it. Nothing is deleted: an agency the file no longer lists stays
    as it was. The crossings and counterparts of the same release come with them. Checked
    first: any error and nothing changes. Returns (added, updated)."""
    rows = json.loads(Path(path).read_text(encoding="utf-8"))
    try:
        added, updated = _load(rows)
    except ValueError:
        db.session.rollback()
        raise
    db.session.commit()
    publish(["agencies", "crossings", "counterparts"])
    return added, updated


def _load(rows):
    existing = {agency.code: agency for agency in db.session.scalars(select(Agency))}
    crossings.load()
    check_rows(rows, existing, {key for key, in db.session.execute(select(Crossing.key))})
    rows = [row for row in rows if row["code"] not in existing or existing[row["code"]].maintained_at is None]
    added = updated = 0
    for row in rows:
        agency = existing.get(row["code"])
        if agency is None:
            agency = existing[row["code"]] = Agency(code=row["code"])
            db.session.add(agency)
            added += 1
        else:
            updated += 1
        set_fields(agency, row)
    db.session.flush()
    for row in rows:
        set_links(existing[row["code"]], row, existing)
    counterparts.load()
    return added, updated


def set_fields(agency, row):
    """An agency's own values from a row shaped like agencies.json."""
    agency.country, agency.kind, agency.province, agency.source = (
        row["country"], row["kind"], row["province"], row["source"])
    agency.functions, agency.level = row["functions"], row["level"]
    agency.provinces, agency.crossings = row["provinces"], row["crossings"]
    agency.name_en, agency.name_vi = row["names"]["en"], row["names"]["vi"]
    agency.name_lo, agency.name_zh_hans = row["names"]["lo"], row["names"]["zh_Hans"]


def set_links(agency, row, by_code):
    """Parent and retirement, once every agency the row names has an id."""
    retired = row.get("retired")
    parent = by_code.get(row["parent"]) if row["parent"] else None
    agency.parent_id = parent.id if parent else None
    agency.retired_on = date.fromisoformat(retired["on"]) if retired else None
    successor = by_code[retired["successor"]] if retired and retired["successor"] else None
    agency.successor_id = successor.id if successor else None


def _check_places(rows, crossing_keys):
    """Levels from codes/agency_level; provinces as ISO 3166-2 codes of the agency's country;
    crossings the store knows."""
    levels = catalog.code_keys("agency_level")
    for row in rows:
        if row.get("level") not in levels:
            raise ValueError(f"agency {row['code']} needs a level from codes/agency_level, not {row.get('level')!r}")
        wrong = [code for code in row.get("provinces", ()) if not code.startswith(row["country"] + "-")]
        unknown = sorted(set(row.get("crossings", ())) - crossing_keys)
        if wrong or unknown or "provinces" not in row or "crossings" not in row:
            raise ValueError(f"agency {row['code']} needs provinces of {row['country']} and known crossings, "
                             f"not {wrong or unknown or 'none'}")


def check_rows(rows, existing, crossing_keys):
    """Raises ValueError, before anything changes, for a row the store cannot take."""
    _check_functions(rows)
    _check_retirements(rows, existing)
    _check_places(rows, crossing_keys)


def _check_functions(rows):
    """Every agency does something a counterpart can be found by (codes/agency_function)."""
    functions = catalog.code_keys("agency_function")
    for row in rows:
        unknown = set(row.get("functions") or ()) - functions
        if not row.get("functions") or unknown:
            raise ValueError(f"agency {row['code']} needs functions from codes/agency_function, "
                             f"not {sorted(unknown) or 'none'}")


def _check_retirements(rows, existing):
    """Refused before anything changes: a successor no one can look up, or successors that
    run in a circle, would leave records filed under no agency in use."""
    known = existing.keys() | {row["code"] for row in rows}
    successors = {row["code"]: row["retired"]["successor"] for row in rows if row.get("retired")}
    for code, successor in successors.items():
        if successor is not None and successor not in known:
            raise ValueError(f"agency {code} is retired in favour of unknown agency {successor}")
        catalog.latest(code, successors.get)


def current_code(code):
    """The code of the agency doing the work of `code` now: itself unless retired, else the
    end of its chain of successors."""
    return catalog.latest(code, _successors().get)


def _successors():
    return current().agency_successors
