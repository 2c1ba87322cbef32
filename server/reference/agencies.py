"""Enforcement agencies: real public bodies, each with names in four languages and a
source note (server/reference/agencies.json). Reference data, not demo data."""
import json
from pathlib import Path

from sqlalchemy import select

from ..access.models import Agency
from ..extensions import db
from .publish import publish

AGENCIES_FILE = Path(__file__).with_name("agencies.json")


def load(path=AGENCIES_FILE):
    """Insert the agencies this store lacks, and update names and notes of the others.
    Returns (added, updated)."""
    rows = json.loads(Path(path).read_text(encoding="utf-8"))
    existing = {agency.code: agency for agency in db.session.scalars(select(Agency))}
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
        agency.name_en, agency.name_vi = row["names"]["en"], row["names"]["vi"]
        agency.name_lo, agency.name_zh_hans = row["names"]["lo"], row["names"]["zh_Hans"]
    db.session.flush()
    for row in rows:
        parent = existing.get(row["parent"]) if row["parent"] else None
        existing[row["code"]].parent_id = parent.id if parent else None
    db.session.commit()
    publish(["agencies"])
    return added, updated
