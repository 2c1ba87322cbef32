"""Information reports (issue 18): the third form, graded, with a handling code that the one
access rule enforces for every reader (console, read API, and later the exports), and whose
subjects become mentions that resolution works on."""
import pytest
from sqlalchemy import select

from server.access import service as access
from server.extensions import db
from server.store.models import InformationReport, Mention, Record
from tests.conftest import enroll_device
from tests.test_console import Person

REPORT = {
    "date": "2026-11-18", "agency": "VN-HQ-QN", "reporting_officer": "Lê Văn Tám",
    "narrative": "Một người bán trên mạng rao bán vảy tê tê, hẹn giao hàng ở Móng Cái.",
    "place": {"name": "Móng Cái", "province": "VN-13", "country": "VN"},
    "source_type": "open_source", "source_grade": {"reliability": "C", "credibility": "3"},
    "people": [{"name": "王伟", "nationality": "CN", "phone": "+86 140 0000 1234"}],
    "accounts": [{"platform": "Zalo", "account": "demo_vay_te_te"}],
    "vehicles": [{"registration": "14C-000.02", "country": "VN"}],
    "species": [{"species": "Manis javanica", "goods": "vảy khô"}],
}


def _report(app, handling, agency="VN-HQ-QN"):
    phone = enroll_device(app, agency)
    rid = phone.seal({**REPORT, "agency": agency, "handling": handling}, form="information_report", version=1)
    [receipt] = phone.sync()
    assert receipt["status"] == "accepted", receipt
    return rid


def test_an_information_report_is_filed_with_its_grading_and_its_subjects_as_mentions(app):
    rid = _report(app, "national")
    with app.app_context():
        record = db.session.scalar(select(Record).filter_by(rid=rid))
        report = db.session.get(InformationReport, record.id)
        assert (report.source_type, report.source_reliability, report.source_credibility, report.handling) == (
            "open_source", "C", "3", "national")
        assert report.species == [{"species": "Manis javanica", "goods": "vảy khô"}] and record.handling == "national"
        roles = sorted(db.session.scalars(select(Mention.role).where(Mention.record_id == record.id)))
        assert roles == ["subject", "subject_account", "subject_vehicle"]


# handling code -> who of VN-HQ-QN's country reads a report of VN-HQ-QN
READERS = {"supervisor": ("supervisor", "VN-HQ-QN"), "analyst_same_agency": ("analyst", "VN-HQ-QN"),
           "analyst_same_country": ("analyst", "VN-C05"), "analyst_other_country": ("analyst", "CN-HG-DX"),
           "admin": ("admin", "CN-HG-DX")}
AUDIENCE = {
    "cross_border": {"supervisor", "analyst_same_agency", "analyst_same_country", "admin"},
    "national": {"supervisor", "analyst_same_agency", "analyst_same_country", "admin"},
    "agency": {"supervisor", "analyst_same_agency", "admin"},
    "originator": {"supervisor", "admin"},
}


@pytest.mark.parametrize("handling", sorted(AUDIENCE))
def test_the_handling_code_decides_who_receives_the_report_in_console_and_api(app, handling):
    rid = _report(app, handling)
    for name, (role, agency) in READERS.items():
        client = app.test_client()
        Person(app, name, role=role, agency=agency).sign_in(client)
        allowed = name in AUDIENCE[handling]
        assert client.get(f"/console/records/{rid}").status_code == (200 if allowed else 404), name
        with app.app_context():
            token = access.issue_token(access.user_by_name(name))[0]
            db.session.commit()
        for path in (f"/api/v1/records/{rid}", f"/api/v1/intel/entity?mention={rid}/0"):
            answer = app.test_client().get(path, headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == (200 if allowed else 404), (name, path)
