"""Directory maintenance in the console (issue 17): contacts edited on the web and checked by
the import's own code, sheets imported with their report shown before anything is written,
agencies and counterpart links kept by admins, and the officers' wrong-number reports as a
work list; who keeps what, and the audit log naming the console user."""
import io
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from server.access.models import Agency
from server.audit.models import AuditEntry
from server.directory import agencies, service
from server.directory.models import Contact, Counterpart
from server.extensions import db
from tests.conftest import enroll_device
from tests.test_console import TOKEN, Person
from tests.test_directory import DESK, FOCAL, _csv

APPLY_TOKEN = re.compile(r'name="upload" value="([^"]+)"')
LAO_DESK = {**DESK, "audience_countries": "LA", "audience_agencies": ""}


@pytest.fixture(autouse=True)
def _uploads(app, tmp_path):
    """Checked sheets wait in the test's own folder, not the instance's."""
    app.config["CONSOLE_UPLOAD_DIR"] = str(tmp_path / "uploads")


def _import(app, tmp_path, *rows):
    result = app.test_cli_runner().invoke(args=["directory", "import", str(_csv(tmp_path / "seed.csv", *rows))])
    assert result.exit_code == 0, result.output


def _contact(app, key):
    with app.app_context():
        contact = db.session.scalar(select(Contact).filter_by(key=key))
        db.session.expunge_all()
        return contact


def _form(app, key, **changes):
    """The contact's form as a browser sends it: its sheet row, the boxes ticked or not."""
    with app.app_context():
        row = service.sheet_row(db.session.scalar(select(Contact).filter_by(key=key)))
    row.update(changes)
    form = {name: value for name, value in row.items() if name not in ("key", "remove", "supervisors_only", "demo")}
    form["crossings"] = [part.strip() for part in row["crossings"].split(";") if part.strip()]
    form.update({flag: "yes" for flag in ("supervisors_only", "demo") if row[flag] == "yes"})
    return form


def _audit(app, action):
    with app.app_context():
        return db.session.scalars(select(AuditEntry).filter_by(action=action).order_by(AuditEntry.seq)).all()


def _signed_in(app, username, role="supervisor", agency="VN-HQ-QN"):
    person = Person(app, username, role=role, agency=agency)
    assert person.sign_in(person.client).status_code == 302
    return person


def _post(person, path, **form):
    """A POST to a path with no form of its own (POST only, or a 404), the CSRF token taken
    from a page one may see."""
    token = TOKEN.search(person.get("/console/records").text)[1]
    return person.post(path, token=False, csrf_token=token, **form)


def _upload(person, kind, name, content):
    return person.post("/console/directory/import", action="check", kind=kind, file=(io.BytesIO(content), name))


# -- contacts ------------------------------------------------------------------------------------

def test_a_supervisor_edits_a_contact_of_their_country_and_phones_receive_it(app, tmp_path):
    _import(app, tmp_path, DESK, FOCAL)
    ana = _signed_in(app, "ana")  # VN-HQ-QN: Viet Nam's contacts, not China's
    listed = ana.get("/console/directory")
    assert listed.status_code == 200
    assert f'data-contact="{DESK["key"]}"' in listed.text and f'data-contact="{FOCAL["key"]}"' not in listed.text
    path = f"/console/directory/contacts/{DESK['key']}"
    assert ana.get(path).status_code == 200

    saved = ana.post(path, **_form(app, DESK["key"], phones="0699 000 009 hotline", verified_now="yes"))
    assert saved.status_code == 302, saved.text
    contact = _contact(app, DESK["key"])
    assert contact.phones == [{"number": "+84699000009", "type": "hotline"}]
    assert (contact.verified_on, contact.verified_by) == (datetime.now(UTC).date(), "ana (test)")
    assert "Saved." in ana.get(saved.location).text

    # Published at once: a phone of an agency in the contact's audience gets the new number.
    phone = enroll_device(app, "VN-HQ-QN")
    phone.pull("directory")
    assert phone.collections["directory"]["items"][DESK["key"]]["phones"][0]["number"] == "+84699000009"
    history = app.test_cli_runner().invoke(args=["directory", "history", DESK["key"]]).output.splitlines()
    assert history[-1].endswith("user:ana directory.contact.updated phones, verified_by, verified_on"), history

    # Removed from the console: kept, marked, and gone from phones.
    assert ana.post(path, action="remove").status_code == 302
    assert _contact(app, DESK["key"]).removed_at is not None
    phone.pull("directory")
    assert DESK["key"] not in phone.collections["directory"]["items"]
    assert [e.actor for e in _audit(app, "directory.contact.removed")] == ["ana"]


def test_a_bad_edit_is_shown_beside_its_field_and_changes_nothing(app, tmp_path):
    _import(app, tmp_path, DESK)
    ana = _signed_in(app, "ana")
    path = f"/console/directory/contacts/{DESK['key']}"
    refused = ana.post(path, **_form(app, DESK["key"], phones="12", time_zone="Asia/Nowhere"))
    assert refused.status_code == 400
    assert re.search(r'id="phones-error">[^<]*12 is not a phone number', refused.text)
    assert re.search(r'id="time_zone-error">[^<]*Asia/Nowhere is not an IANA time zone', refused.text)
    assert 'aria-describedby="phones-hint phones-error" aria-invalid="true"' in refused.text
    assert 'value="12"' in refused.text  # what was typed stays in the form
    assert _contact(app, DESK["key"]).phones[0]["number"] == "+84699000001"
    assert _audit(app, "directory.contact.updated") == []


def test_a_new_contact_is_added_with_the_form(app, tmp_path):
    ana = _signed_in(app, "ana")
    _import(app, tmp_path, DESK)
    form = {**_form(app, DESK["key"], role_en="Night desk (demo)"), "key": "VN-HQ-MONGCAI/night"}
    taken = ana.post("/console/directory/contacts/new", **{**form, "key": DESK["key"]})
    assert taken.status_code == 400 and "A contact has this key already" in taken.text
    added = ana.post("/console/directory/contacts/new", **form)
    assert added.status_code == 302 and added.location.endswith("/console/directory/contacts/VN-HQ-MONGCAI/night?saved=1")
    assert _contact(app, "VN-HQ-MONGCAI/night").role["en"] == "Night desk (demo)"
    assert [e.actor_kind for e in _audit(app, "directory.contact.created")] == ["cli", "user"]  # the seed, then ana
    assert _audit(app, "directory.contact.created")[-1].actor == "ana"


def test_another_countrys_supervisor_and_an_analyst_cannot_see_or_edit_a_contact(app, tmp_path):
    _import(app, tmp_path, DESK)
    chen = _signed_in(app, "chen", agency="CN-HG-DX")
    path = f"/console/directory/contacts/{DESK['key']}"
    assert f'data-contact="{DESK["key"]}"' not in chen.get("/console/directory").text
    assert chen.get(path).status_code == 404
    form = _form(app, DESK["key"], phones="0699 000 009 hotline")
    assert _post(chen, path, **form).status_code == 404
    # Nor by adding it under Viet Nam's agency, or by a sheet.
    new = chen.post("/console/directory/contacts/new", **{**form, "key": "VN-HQ-MONGCAI/other"})
    assert new.status_code == 400 and "You do not maintain this agency" in new.text
    sheet = _upload(chen, "contacts", "c.csv", _csv(tmp_path / "c.csv", {**DESK, "phones": "0699 000 009"}).read_bytes())
    assert sheet.status_code == 422 and 'data-problem="outside_scope"' in sheet.text
    assert 'name="upload"' not in sheet.text
    assert _contact(app, DESK["key"]).phones[0]["number"] == "+84699000001"
    # Agencies, links and other kinds of sheet are for admins.
    for page in ("/console/directory/agencies", "/console/directory/agencies/VN-HQ-MONGCAI", "/console/directory/links"):
        assert chen.get(page).status_code == 404, page
    assert 'value="agencies"' not in chen.get("/console/directory/import").text
    agencies_sheet = _upload(chen, "agencies", "a.csv", b"code\n")
    assert agencies_sheet.status_code == 400
    analyst = _signed_in(app, "anh", role="analyst")
    for page in ("/console/directory", path, "/console/directory/import", "/console/directory/reports"):
        assert analyst.get(page).status_code == 404, page


# -- import --------------------------------------------------------------------------------------

def test_an_import_with_a_problem_shows_its_report_and_writes_nothing_then_a_good_one_is_applied(app, tmp_path):
    ana = _signed_in(app, "ana")
    night = {**DESK, "key": "VN-HQ-MONGCAI/night", "phones": "12345"}
    bad = _upload(ana, "contacts", "contacts.csv", _csv(tmp_path / "bad.csv", DESK, night).read_bytes())
    assert bad.status_code == 422
    assert "1 problem: nothing was written." in bad.text
    assert re.search(r'<tr data-problem="bad_phone"><td>3</td><td class="mono">phones</td>', bad.text)
    assert 'name="upload"' not in bad.text
    assert _contact(app, DESK["key"]) is None

    good = _upload(ana, "contacts", "contacts.xlsx", _xlsx(tmp_path / "good.xlsx", DESK, {**night, "phones": "0699 000 003"}))
    assert good.status_code == 200 and "nothing was written yet" in good.text and "Created: 2" in good.text
    assert _contact(app, DESK["key"]) is None  # a dry run
    token = APPLY_TOKEN.search(good.text)[1]
    # Only the one who checked it may apply it.
    other = _signed_in(app, "bao")
    assert _post(other, "/console/directory/import", action="apply", upload=token).status_code == 404

    applied = ana.post("/console/directory/import", action="apply", upload=token)
    assert applied.status_code == 200 and "Applied." in applied.text
    assert _contact(app, "VN-HQ-MONGCAI/night").phones == [{"number": "+84699000003", "type": "office"}]
    assert [e.actor for e in _audit(app, "directory.contact.created")] == ["ana", "ana"]
    assert [(e.actor, e.detail["kind"], e.detail["problems"]) for e in _audit(app, "directory.import.checked")] == [
        ("ana", "contacts", 1), ("ana", "contacts", 0)]
    assert _audit(app, "directory.import.applied")[0].detail["created"] == 2
    assert ana.post("/console/directory/import", action="apply", upload=token).status_code == 404  # used


def test_applying_checks_the_sheet_again(app, tmp_path):
    """A sheet that was good when checked but no longer fits when applied writes nothing."""
    admin = _signed_in(app, "root", role="admin")
    checked = _upload(admin, "contacts", "c.csv", _csv(tmp_path / "c.csv", DESK).read_bytes())
    token = APPLY_TOKEN.search(checked.text)[1]
    admin.post("/console/directory/agencies/VN-HQ-MONGCAI", **_agency_form(app, "VN-HQ-MONGCAI",
                                                                             retired_on="2026-11-01", successor="VN-HQ-QN"))
    refused = admin.post("/console/directory/import", action="apply", upload=token)
    assert refused.status_code == 409 and 'data-problem="retired_agency"' in refused.text
    assert _contact(app, DESK["key"]) is None
    assert len(_audit(app, "directory.import.refused")) == 1


def test_an_admin_imports_an_agency_sheet(app, tmp_path):
    admin = _signed_in(app, "root", role="admin")
    with app.app_context():
        rows = agencies.export_rows()
    path = tmp_path / "agencies.csv"
    from server.directory import sheets

    sheets.write(path, [{**row, "name_en": "Mong Cai Customs (sheet)"} if row["code"] == "VN-HQ-MONGCAI" else row
                        for row in rows], agencies.COLUMNS, agencies.SHEET)
    checked = _upload(admin, "agencies", "agencies.csv", path.read_bytes())
    assert checked.status_code == 200 and "Updated: 1" in checked.text, checked.text
    applied = admin.post("/console/directory/import", action="apply", upload=APPLY_TOKEN.search(checked.text)[1])
    assert applied.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(Agency).filter_by(code="VN-HQ-MONGCAI")).name_en == "Mong Cai Customs (sheet)"
    assert [e.actor for e in _audit(app, "directory.agency.updated")] == ["root"]


# -- agencies and links (admins) -------------------------------------------------------------------

def _agency_form(app, code, **changes):
    with app.app_context():
        row = next(row for row in agencies.export_rows() if row["code"] == code)
    row.update(changes)
    form = {name: value for name, value in row.items() if name not in ("code", "functions", "crossings")}
    form.update({name: [part.strip() for part in row[name].split(";") if part.strip()]
                 for name in ("functions", "crossings")})
    return form


def test_an_admin_edits_an_agency_retires_one_and_adds_one(app):
    admin = _signed_in(app, "root", role="admin")
    assert 'data-agency="VN-HQ-MONGCAI"' in admin.get("/console/directory/agencies").text
    path = "/console/directory/agencies/VN-HQ-MONGCAI"
    assert admin.get(path).status_code == 200
    saved = admin.post(path, **_agency_form(app, "VN-HQ-MONGCAI", name_vi="Chi cục Hải quan Móng Cái (sửa)"))
    assert saved.status_code == 302, saved.text
    bad = admin.post(path, **_agency_form(app, "VN-HQ-MONGCAI", level="nowhere"))
    assert bad.status_code == 400 and "The agency was not saved" in bad.text and "level" in bad.text
    retired = admin.post(path, **_agency_form(app, "VN-HQ-MONGCAI", retired_on="2026-11-01", successor="VN-HQ-QN"))
    assert retired.status_code == 302
    with app.app_context():
        agency = db.session.scalar(select(Agency).filter_by(code="VN-HQ-MONGCAI"))
        assert agency.name_vi == "Chi cục Hải quan Móng Cái (sửa)" and agency.retired_on.isoformat() == "2026-11-01"
        assert [(e.actor, e.action) for e in service.history("agency:VN-HQ-MONGCAI")] == [
            ("root", "directory.agency.updated"), ("root", "directory.agency.updated")]
    new = {**_agency_form(app, "VN-HQ-MONGCAI", retired_on="", successor="", name_en="Test customs unit"),
           "code": "VN-HQ-TEST"}
    added = admin.post("/console/directory/agencies/new", **new)
    assert added.status_code == 302 and added.location.endswith("/console/directory/agencies/VN-HQ-TEST?saved=1")
    assert admin.post("/console/directory/agencies/new", **new).status_code == 400  # codes are never reused
    assert admin.get("/console/directory/agencies/VN-NOWHERE").status_code == 404


def test_an_admin_sets_and_removes_a_counterpart_link(app):
    admin = _signed_in(app, "root", role="admin")
    phone = enroll_device(app, "LA-CUSTOMS-NAMPHAO")
    link = {"key": "VN-LA:test-link", "none_known": "no", "agency_a": "VN-HQ-CAUTREO", "agency_b": "CN-GACC",
            "functions": ["customs"], "basis": "facing_posts", "crossings": ["VN-LA:cau-treo--nam-phao"],
            "note": "a test"}
    wrong = admin.post("/console/directory/links/new", **link)
    assert wrong.status_code == 400 and "not of the two countries" in wrong.text
    good = admin.post("/console/directory/links/new", **{**link, "agency_b": "LA-CUSTOMS-NAMPHAO"})
    assert good.status_code == 302 and "Saved VN-LA:test-link" in admin.get(good.location).text
    phone.pull("counterparts")
    assert phone.collections["counterparts"]["items"]["VN-LA:test-link"]["agencies"] == [
        "VN-HQ-CAUTREO", "LA-CUSTOMS-NAMPHAO"]
    path = "/console/directory/links/VN-LA:test-link"
    edit = admin.get(path)
    assert edit.status_code == 200 and 'value="LA-CUSTOMS-NAMPHAO" selected' in edit.text
    assert admin.post(path, action="remove").status_code == 302
    phone.pull("counterparts")
    assert "VN-LA:test-link" not in phone.collections["counterparts"]["items"]
    assert admin.get(path).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(Counterpart).filter_by(key="VN-LA:test-link")).removed_at is not None
        assert [(e.actor, e.action) for e in service.history("counterpart:VN-LA:test-link")] == [
            ("root", "directory.counterpart.created"), ("root", "directory.counterpart.removed")]


# -- wrong-number reports -------------------------------------------------------------------------

def test_a_wrong_number_report_is_on_the_work_list_of_the_contacts_country_until_handled(app, tmp_path):
    """A Lao officer reports a Vietnamese desk's number: Viet Nam's supervisors see it open,
    one marks it handled with a note (audited, once); a Lao supervisor sees nothing of it."""
    _import(app, tmp_path, LAO_DESK)
    phone = enroll_device(app, "LA-CUSTOMS-BOTEN")
    rid = phone.seal({"contact": DESK["key"], "number": "+84699000001", "problem": "no_connection",
                      "note": "Tried three times at 09:00", "reporting_officer": "Demo officer"},
                     form="directory_feedback", version=1)
    assert [r["status"] for r in phone.sync()] == ["accepted"]
    vn = _signed_in(app, "vn-border", agency="VN-BCHBP-QN")
    la = _signed_in(app, "la-customs", agency="LA-CUSTOMS")

    work = vn.get("/console/directory/reports")
    assert work.status_code == 200
    row = re.search(rf'<tr data-report="{rid}">(.*?)</tr>', work.text, re.S)[1]
    assert "The number did not connect" in row and "Tried three times at 09:00" in row and "Demo officer" in row
    assert 'name="note"' in row  # open: it can be marked handled
    assert "1 wrong-number report is open." in vn.get("/console/directory").text
    assert f'data-report="{rid}"' not in la.get("/console/directory/reports").text
    assert _post(la, f"/console/directory/reports/{rid}/handle", note="mine?").status_code == 404

    handled = _post(vn, f"/console/directory/reports/{rid}/handle", note="Number corrected to 0699 000 009")
    assert handled.status_code == 302
    page = vn.get("/console/directory/reports").text
    assert "Nothing is waiting." in page
    assert re.search(rf'<tr data-report="{rid}">.*?vn-border.*?Number corrected to 0699 000 009', page, re.S)
    assert _post(vn, f"/console/directory/reports/{rid}/handle", note="again").status_code == 409
    [entry] = _audit(app, "directory.report.handled")
    assert (entry.actor, entry.target, entry.detail) == ("vn-border", f"record:{rid}", {
        "contact": DESK["key"], "note": "Number corrected to 0699 000 009"})
    assert [e.actor for e in _audit(app, "directory.reports.list")][:1] == ["vn-border"]


def _xlsx(path, *rows):
    from server.directory import sheets

    sheets.write(path, rows)
    return path.read_bytes()
