"""Demo data: real public agencies, invented people, a few clearly marked records."""
import json
import random

from sqlalchemy import func, select

from ..access import service as access
from ..access.models import Agency, User
from ..devices import service as devices
from ..extensions import db
from . import content
from .simulator import FlaskTransport, SimulatedDevice

DEMO_RECORDS_PER_COUNTRY = 3


def load_agencies():
    rows = json.loads((content.HERE / "agencies.json").read_text(encoding="utf-8"))
    by_code = {}
    for row in rows:
        agency = Agency(code=row["code"], country=row["country"], kind=row["kind"], province=row["province"],
                        name_en=row["names"]["en"], name_vi=row["names"]["vi"], name_lo=row["names"]["lo"],
                        name_zh_hans=row["names"]["zh_Hans"], source=row["source"])
        db.session.add(agency)
        by_code[row["code"]] = (agency, row["parent"])
    db.session.flush()
    for agency, parent in by_code.values():
        agency.parent_id = by_code[parent][0].id if parent else None
    db.session.commit()
    return len(rows)


def load(app):
    """Load once; a store that already has agencies is left alone. Returns a summary."""
    if db.session.scalar(select(func.count()).select_from(Agency)):
        return None
    agencies = load_agencies()
    people = content.people()
    for person in people["supervisors"] + people["analysts"]:
        access.create_user(person["username"], person["display_name"], person["role"], person["agency"],
                           person["phone"])
    rng = random.Random(2026)
    records = 0
    for supervisor in people["supervisors"]:
        agency = access.agency_by_code(supervisor["agency"])
        token, _row = devices.create_enrollment(agency, officer_name="Demo officer")
        device = SimulatedDevice(FlaskTransport(app.test_client()))
        device.enroll(token)
        for _ in range(DEMO_RECORDS_PER_COUNTRY):
            device.seal(content.seizure(rng, agency.code, people["suspects"]), officer="Demo officer")
        records += sum(r["status"] == "accepted" for r in device.sync())
    users = db.session.scalar(select(func.count()).select_from(User))
    return {"agencies": agencies, "users": users, "records": records}
