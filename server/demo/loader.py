"""Demo data: invented people, a few clearly marked records and demo directory contacts
(numbers from unassigned ranges, checked as such on import), over the real agencies."""
import random
from pathlib import Path

from sqlalchemy import func, select

from ..access import service as access
from ..access.models import User
from ..devices import service as devices
from ..directory import service as directory
from ..extensions import db
from ..reference import agencies as agencies_reference
from . import content
from .simulator import FlaskTransport, SimulatedDevice

DEMO_RECORDS_PER_COUNTRY = 3
DEMO_DIRECTORY = Path(__file__).with_name("directory.csv")


def load(app):
    """Load once; a store that already has users is left alone (returns None). Returns a summary."""
    if db.session.scalar(select(func.count()).select_from(User)):
        return None
    agencies = sum(agencies_reference.load())
    report = directory.import_file(DEMO_DIRECTORY)
    if not report.ok:
        raise ValueError("; ".join(map(str, report.problems)))
    people = content.people()
    for person in people["supervisors"] + people["analysts"]:
        access.create_user(person["username"], person["display_name"], person["role"], person["agency"],
                           person["phone"])
    rng = random.Random(2026)
    records = 0
    for supervisor in people["supervisors"]:
        agency_code = supervisor["agency"]
        token, _row = devices.create_enrollment(access.agency_by_code(agency_code), officer_name="Demo officer")
        db.session.close()  # the in-process requests below write; hold no SQLite lock meanwhile
        device = SimulatedDevice(FlaskTransport(app.test_client()))
        device.enroll(token)
        for _ in range(DEMO_RECORDS_PER_COUNTRY):
            device.seal(content.seizure(rng, agency_code, people["suspects"]))
        device.seal(content.market_observation(rng, agency_code), form="market_observation")
        records += sum(r["status"] == "accepted" for r in device.sync())
    users = db.session.scalar(select(func.count()).select_from(User))
    return {"agencies": agencies, "users": users, "records": records, "contacts": len(report.created)}
