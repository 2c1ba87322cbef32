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
from ..directory import crossings
from .current import current
from .publish import publish

AGENCIES_FILE = Path(__file__).with_name("agencies.json")


def load(path=AGENCIES_FILE):
    """Insert the agencies this store lacks, and update the names, notes and retirements of
    the others. Nothing is deleted: an agency the file no longer lists stays as it was.
    Returns (added, updated)."""
    rows = json.loads(Path(path).read_text(encoding="utf-8"))
    existing = {agency.code: agency for agency in db.session.scalars(select(Agency))}
    _check_functions(rows)
    _check_retirements(rows, existing)
    added = updated = 0
    for row in rows:
        agency = existing.get(row["code"])
        if agency is None:
            agency = existing[row["code"]] = Agency(code=row["code"])
            db.session.add(agency)
            added += 1
        else:
            updated += 1
        agency.country, agency.kind, agency.province, agency.source = (
            row["country"], row["kind"], row["province"], row["source"])
        agency.functions = row["functions"]
        agency.name_en, agency.name_vi = row["names"]["en"], row["names"]["vi"]
        agency.name_lo, agency.name_zh_hans = row["names"]["lo"], row["names"]["zh_Hans"]
    db.session.flush()
    for row in rows:
        agency, retired = existing[row["code"]], row.get("retired")
        parent = existing.get(row["parent"]) if row["parent"] else None
        agency.parent_id = parent.id if parent else None
        agency.retired_on = date.fromisoformat(retired["on"]) if retired else None
        successor = existing[retired["successor"]] if retired and retired["successor"] else None
        agency.successor_id = successor.id if successor else None
    # The crossings agencies work at come from the same release of reference data.
    crossings.load()
    db.session.commit()
    publish(["agencies", "crossings"])
    return added, updated


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
