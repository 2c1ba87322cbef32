"""Exports in the console (issue 19): asked for on the page, run on the task queue, shown with
their progress, downloaded by their requester alone, each step in the audit log."""
import csv
import io
import re
import zipfile

from openpyxl import load_workbook
from sqlalchemy import select

from server.audit.models import AuditEntry
from server.exports.models import Export
from server.extensions import db
from tests.conftest import enroll_device
from tests.helpers import SEIZURE
from tests.test_console import Person

EXPORT_LINK = re.compile(r'href="/console/exports/([\w-]+)"')


def _signed_in(app, username, role="analyst", agency="VN-HQ-QN"):
    person = Person(app, username, role=role, agency=agency)
    person.sign_in(person.client)
    return person


def _ask(person, **form):
    return person.post("/console/exports", **form)


def _download(person, token):
    """The download answer, closed (its file is sent from disk), with its bytes read first."""
    answer = person.get(f"/console/exports/{token}/download")
    answer.get_data()
    answer.close()
    return answer


def _records_csv(download):
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        name = next(name for name in archive.namelist() if name.startswith("records"))
        return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))


def test_an_analyst_asks_for_an_export_watches_it_and_downloads_it(app):
    phone = enroll_device(app, "VN-HQ-QN")
    rid = phone.seal({**SEIZURE, "agency": "VN-HQ-QN"})
    phone.sync()
    anh = _signed_in(app, "anh")
    assert "/console/exports" in anh.get("/console/records").text  # in the menu
    asked = _ask(anh, kind="csv", country="VN", year="2026")
    assert asked.status_code == 302
    token = asked.headers["Location"].rsplit("/", 1)[1]
    page = anh.get(f"/console/exports/{token}").text
    assert 'data-status="done"' in page and 'http-equiv="refresh"' not in page
    assert 'data-handling=""' in page  # a seizure carries no handling code: the usual need-to-know
    download = _download(anh, token)
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert "attachment" in download.headers["Content-Disposition"]
    assert [row["rid"] for row in _records_csv(download)] == [rid]
    listed = anh.get("/console/exports").text
    assert f'data-export="{token}"' in listed and f"/console/exports/{token}/download" in listed
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.target == f"export:{token}")
                                     .order_by(AuditEntry.seq)).all()
    assert actions == ["export.requested", "export.finished", "export.downloaded"]


def test_the_illegal_trade_report_is_asked_for_a_country_and_a_year(app):
    phone = enroll_device(app, "VN-HQ-QN")
    phone.seal({**SEIZURE, "agency": "VN-HQ-QN", "date": "2026-03-04"})
    phone.sync()
    anh = _signed_in(app, "anh")
    form = anh.get("/console/exports").text
    assert 'name="country"' in form and '<option value="VN" selected>' in form
    token = _ask(anh, kind="itr", country="VN", year="2026").headers["Location"].rsplit("/", 1)[1]
    download = _download(anh, token)
    assert download.headers["Content-Disposition"].startswith("attachment; filename=cites-itr-VN-2026-")
    book = load_workbook(io.BytesIO(download.data), read_only=True)
    assert len(list(book["Illegal trade report"].iter_rows(values_only=True))) == 1 + len(SEIZURE["items"])

    refused = _ask(anh, kind="itr", country="VN", year="")
    assert refused.status_code == 422 and 'data-code="export_itr_needs_year"' in refused.text
    unknown = _ask(anh, kind="pdf")
    assert unknown.status_code == 422 and 'data-code="export_kind_unknown"' in unknown.text
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Export)) == 1


def test_an_export_is_its_requesters_alone(app):
    anh = _signed_in(app, "anh")
    token = _ask(anh, kind="geojson").headers["Location"].rsplit("/", 1)[1]
    for other in (_signed_in(app, "binh"), _signed_in(app, "root", role="admin")):
        assert other.get(f"/console/exports/{token}").status_code == 404
        assert other.get(f"/console/exports/{token}/download").status_code == 404
        assert token not in other.get("/console/exports").text
    with app.app_context():
        downloads = db.session.scalar(select(db.func.count()).select_from(AuditEntry)
                                      .where(AuditEntry.action == "export.downloaded"))
    assert downloads == 0


def test_a_running_export_shows_how_far_it_has_got_and_a_failed_one_why(app):
    anh = _signed_in(app, "anh")
    token = _ask(anh, kind="ftm").headers["Location"].rsplit("/", 1)[1]
    with app.app_context():
        row = db.session.scalar(select(Export).where(Export.token == token))
        row.status, row.done, row.total = "running", 3000, 10000
        db.session.commit()
    page = anh.get(f"/console/exports/{token}").text
    assert '<progress max="10000" value="3000">' in page and 'http-equiv="refresh"' in page
    assert f"/console/exports/{token}/download" not in page
    assert anh.get(f"/console/exports/{token}/download").status_code == 404  # not whole yet
    assert 'http-equiv="refresh"' in anh.get("/console/exports").text

    with app.app_context():
        row = db.session.scalar(select(Export).where(Export.token == token))
        row.status, row.error = "failed", "OperationalError: the database went away"
        db.session.commit()
    page = anh.get(f"/console/exports/{token}").text
    assert "the database went away" in page and 'http-equiv="refresh"' not in page
    assert anh.get(f"/console/exports/{token}/download").status_code == 404
