"""The directory maintained from files (issue 16): import and export of CSV and .xlsx,
every row checked first, a file with any problem writing nothing, every change audited."""
import csv

import phonenumbers
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from server.directory import service, sheets
from server.directory.models import Contact
from server.extensions import db

# Demo numbers: possible numbers of their country, in ranges no operator has been given.
DESK = {
    "key": "VN-HQ-MONGCAI/duty", "agency": "VN-HQ-MONGCAI", "kind": "duty_desk",
    "role_en": "Duty desk (demo)", "role_vi": "Trực ban (demo)", "role_lo": "ໂຕະເວນ (ສາທິດ)", "role_zh_Hans": "值班台（演示）",
    "phones": "0699 000 001 hotline; 0699 000 002", "messaging": "zalo:0699 000 001",
    "languages": "vi; zh", "hours": "24h", "time_zone": "Asia/Ho_Chi_Minh",
    "closed": "2027-02-05..2027-02-11 Tết", "crossings": "VN-CN:mong-cai--dongxing",
    "audience_countries": "CN", "audience_agencies": "VN-HQ-QN", "supervisors_only": "no",
    "verified_on": "2026-11-20", "verified_by": "Demo maintainer", "demo": "yes",
}
FOCAL = {
    "key": "CN-HG-DX/focal-1", "agency": "CN-HG-DX", "kind": "focal_point",
    "role_en": "Anti-smuggling liaison (demo)", "role_vi": "Đầu mối chống buôn lậu (demo)",
    "role_lo": "ຜູ້ປະສານງານຕ້ານການລັກລອບ (ສາທິດ)", "role_zh_Hans": "缉私联络员（演示）",
    "name": "李演示", "name_latin": "Li Yanshi", "phones": "+86 140 0000 0000 mobile",
    "messaging": "wechat:demo_li_yanshi", "languages": "zh; vi",
    "hours": "mon-fri 08:00-12:00 14:30-17:30; sat 09:00-12:00", "time_zone": "Asia/Shanghai",
    "audience_countries": "VN", "supervisors_only": "no", "verified_on": "2026-10-01",
    "verified_by": "Demo maintainer", "demo": "yes",
}


def _csv(path, *rows):
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        out = csv.DictWriter(handle, sheets.COLUMNS)
        out.writeheader()
        out.writerows(rows)
    return path


def _contacts(app):
    with app.app_context():
        return {c.key: c for c in db.session.scalars(select(Contact))}


def _flask(app, *args):
    return app.test_cli_runner().invoke(args=list(args), catch_exceptions=False)


def test_a_good_csv_is_imported_and_exported_back_unchanged(app, tmp_path):
    path = _csv(tmp_path / "contacts.csv", DESK, FOCAL)
    result = _flask(app, "directory", "import", str(path))
    assert result.exit_code == 0 and "Created 2, updated 0, removed 0, unchanged 0." in result.output
    contacts = _contacts(app)
    desk, focal = contacts[DESK["key"]], contacts[FOCAL["key"]]
    assert desk.phones == [{"number": "+84699000001", "type": "hotline"}, {"number": "+84699000002", "type": "office"}]
    assert desk.messaging == [{"platform": "zalo", "handle": "+84699000001"}]
    assert desk.hours == {"always": True} and desk.closed == [{"from": "2027-02-05", "to": "2027-02-11", "note": "Tết"}]
    assert focal.hours == {"weekly": [{"days": ["mon", "fri"], "from": "08:00", "to": "12:00"},
                                      {"days": ["mon", "fri"], "from": "14:30", "to": "17:30"},
                                      {"days": ["sat", "sat"], "from": "09:00", "to": "12:00"}]}
    assert (focal.person_name, focal.person_name_latin, focal.role["lo"]) == ("李演示", "Li Yanshi", FOCAL["role_lo"])

    exported = tmp_path / "export.csv"
    assert _flask(app, "directory", "export", str(exported)).exit_code == 0
    assert exported.read_bytes().startswith("\ufeff".encode())  # Excel reads Lao and Chinese as UTF-8
    result = _flask(app, "directory", "import", str(exported))
    assert "Created 0, updated 0, removed 0, unchanged 2." in result.output


def test_a_good_xlsx_is_imported_and_an_edit_is_audited(app, tmp_path):
    book = tmp_path / "contacts.xlsx"
    sheets.write(book, [DESK])
    assert _flask(app, "directory", "import", str(book)).exit_code == 0
    sheet = load_workbook(book).active
    [row] = [dict(zip(sheets.COLUMNS, values, strict=True)) for values in sheet.iter_rows(min_row=2, values_only=True)]
    assert row["role_lo"] == DESK["role_lo"]

    sheets.write(book, [{**DESK, "phones": "0699 000 003 hotline", "verified_on": "2026-11-29"}])
    assert "updated 1" in _flask(app, "directory", "import", str(book)).output
    assert _contacts(app)[DESK["key"]].phones == [{"number": "+84699000003", "type": "hotline"}]
    sheets.write(book, [{"key": DESK["key"], "remove": "yes"}])
    assert "removed 1" in _flask(app, "directory", "import", str(book)).output
    assert _contacts(app)[DESK["key"]].removed_at is not None  # kept, so that phones are told

    history = _flask(app, "directory", "history", DESK["key"]).output.splitlines()
    assert [line.split()[3] for line in history] == [
        "directory.contact.created", "directory.contact.updated", "directory.contact.removed"]
    assert history[1].endswith("phones, verified_on")


def test_a_file_with_any_problem_writes_nothing_and_says_where(app, tmp_path):
    real = phonenumbers.format_number(phonenumbers.example_number("VN"), phonenumbers.PhoneNumberFormat.E164)
    path = _csv(tmp_path / "bad.csv",
                FOCAL,  # good, and still not written
                {**DESK, "phones": "call the office"},
                {**DESK, "key": "VN-HQ-MONGCAI/real", "phones": real},  # in use: not for a demo contact
                {**DESK, "key": "VN-HQ-MONGCAI/unassigned", "demo": "no"},  # a real contact's number must be valid
                {**DESK, "key": "XX/desk", "agency": "NO-SUCH-AGENCY"},
                FOCAL,  # the same key again
                {**FOCAL, "key": "CN-HG-DX/focal-2", "role_lo": ""},  # no Lao role
                {**DESK, "key": "VN-HQ-MONGCAI/zone", "time_zone": "Asia/Hanoi", "crossings": "nowhere",
                 "hours": "mon-fri 17:00-08:00", "audience_countries": "", "audience_agencies": ""})
    result = app.test_cli_runner().invoke(args=["directory", "import", str(path)])
    assert result.exit_code != 0 and "nothing was written" in result.output
    with app.app_context():
        found = {(problem.line, problem.column, problem.code)
                 for problem in service.import_file(path, dry_run=True).problems}
    assert found == {
        (3, "phones", "bad_phone"), (4, "phones", "bad_phone"), (5, "phones", "bad_phone"),
        (5, "messaging", "bad_phone"), (6, "agency", "unknown_agency"), (7, "key", "duplicate_key"),
        (8, "role_lo", "missing_translation"),
        (9, "time_zone", "bad_time_zone"), (9, "crossings", "unknown_crossing"), (9, "hours", "bad_hours"),
        (9, "audience_countries", "no_audience")}
    assert _contacts(app) == {}


def test_a_missing_translation_is_reported(app, tmp_path):
    with app.app_context():
        report = service.import_file(_csv(tmp_path / "c.csv", {**FOCAL, "role_lo": ""}), dry_run=True)
    assert [(p.line, p.column, p.code) for p in report.problems] == [(2, "role_lo", "missing_translation")]


def test_a_dry_run_reports_and_writes_nothing(app, tmp_path):
    result = _flask(app, "directory", "import", "--dry-run", str(_csv(tmp_path / "c.csv", DESK)))
    assert "Would change: created 1" in result.output
    assert _contacts(app) == {}


@pytest.mark.parametrize("content", [b"", b"\xff\xfe not utf-8", b"key,colour\nx,red\n"])
def test_an_unreadable_file_is_a_report_not_a_crash(app, tmp_path, content):
    path = tmp_path / "odd.csv"
    path.write_bytes(content)
    with app.app_context():
        [problem] = service.import_file(path).problems
    assert problem.code == "unreadable_file"


# -- reaching phones -----------------------------------------------------------------------

SUPERVISORS = {**DESK, "key": "VN-HQ-MONGCAI/supervisors", "supervisors_only": "yes"}
LAO_ONLY = {**DESK, "key": "VN-HQ-MONGCAI/for-lao", "audience_countries": "LA", "audience_agencies": ""}


def test_a_phone_receives_only_the_contacts_whose_audience_includes_its_agency(app, tmp_path):
    from tests.conftest import enroll_device

    path = _csv(tmp_path / "c.csv", DESK, FOCAL, SUPERVISORS, LAO_ONLY)
    assert _flask(app, "directory", "import", str(path)).exit_code == 0
    customs_qn, customs_dx = enroll_device(app, "VN-HQ-QN"), enroll_device(app, "CN-HG-DX")
    customs_qn.pull("directory")
    customs_dx.pull("directory")
    # DESK: for China and for VN-HQ-QN; FOCAL: for Viet Nam; never the supervisors' own.
    assert set(customs_qn.collections["directory"]["items"]) == {DESK["key"], FOCAL["key"], "_about"}
    assert set(customs_dx.collections["directory"]["items"]) == {DESK["key"], "_about"}
    desk = customs_qn.collections["directory"]["items"][DESK["key"]]
    assert "audience" not in desk and desk["phones"][0] == {"number": "+84699000001", "type": "hotline"}

    # An edit arrives; a contact whose audience no longer includes the phone, and a
    # removed one, disappear from it.
    _csv(path, {**DESK, "phones": "0699 000 009 hotline"}, {**FOCAL, "audience_countries": "LA"},
         {"key": LAO_ONLY["key"], "remove": "yes"})
    assert _flask(app, "directory", "import", str(path)).exit_code == 0
    customs_qn.pull("directory")
    assert set(customs_qn.collections["directory"]["items"]) == {DESK["key"], "_about"}
    assert customs_qn.collections["directory"]["items"][DESK["key"]]["phones"][0]["number"] == "+84699000009"


def test_chinese_names_are_published_with_pinyin_search_keys(app, tmp_path):
    from server.reference.publish import SOURCES

    assert _flask(app, "directory", "import", str(_csv(tmp_path / "c.csv", FOCAL))).exit_code == 0
    with app.app_context():
        crossings, agencies, contacts = SOURCES["crossings"](), SOURCES["agencies"](), SOURCES["directory"]()
    assert crossings["VN-CN:mong-cai--dongxing"]["pinyin"] == ["mang jie dong xing", "mang jie guo ji kou an",
                                                                "dong xing kou an"]
    assert "mo han" in " ".join(crossings["LA-CN:boten--mohan"]["pinyin"])
    assert agencies["CN-MPS-FDCIB"]["pinyin"][0].startswith("gong an bu")
    assert agencies["VN-HQ"]["pinyin"] == ["yue nan cai zheng bu hai guan ju"]
    assert contacts[FOCAL["key"]]["pinyin"] == ["ji si lian luo yuan yan shi", "li yan shi"]


def test_crossings_are_one_table_loaded_with_the_agencies_and_never_deleted(app, tmp_path, device):
    """A crossing added to the reference file reaches the table with `agencies load`, is
    published, and intake accepts records naming it; one the file drops stays."""
    import json

    from server.reference import agencies, catalog
    from server.reference.publish import SOURCES
    from tests.helpers import SEIZURE

    body = json.loads((catalog.DATA / "crossings.json").read_text(encoding="utf-8"))
    new = {**body["items"][0], "key": "VN-CN:demo-new--crossing", "note": "added in a test"}
    dropped = body["items"][1]["key"]
    body["items"] = [new, body["items"][0], *body["items"][2:]]
    changed = tmp_path / "crossings.json"
    changed.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    from server.directory import crossings

    with app.app_context():
        assert crossings.load(changed) == (1, 0)
        db.session.commit()
        agencies.publish(["crossings"])
        published = SOURCES["crossings"]()
    assert published[new["key"]]["note"] == "added in a test" and dropped in published
    device.seal({**SEIZURE, "place": {**SEIZURE["place"], "crossing": new["key"]}})
    assert [r["status"] for r in device.sync()] == ["accepted"]


# -- "this number did not work" --------------------------------------------------------------

def _token(app, username, role, agency):
    from server.access import service as access

    with app.app_context():
        return access.issue_token(access.create_user(username, username.title(), role, agency))[0]


def test_a_wrong_number_report_reaches_the_maintainers_of_the_contacts_country(app, tmp_path):
    """A Lao officer reports a Vietnamese desk's number: Viet Nam's supervisors see it,
    whichever agency they belong to; Lao supervisors (the reporter's own) and officers do not."""
    from server.directory.models import Report
    from tests.conftest import enroll_device

    lao_desk = {**DESK, "audience_countries": "LA", "audience_agencies": ""}
    assert _flask(app, "directory", "import", str(_csv(tmp_path / "c.csv", lao_desk))).exit_code == 0
    phone = enroll_device(app, "LA-CUSTOMS-BOTEN")
    rid = phone.seal({"contact": DESK["key"], "number": "+84699000001", "problem": "no_connection",
                      "note": "Tried three times at 09:00", "reporting_officer": "Demo officer"},
                     form="directory_feedback", version=1)
    assert [r["status"] for r in phone.sync()] == ["accepted"]
    with app.app_context():
        [report] = db.session.scalars(select(Report)).all()
        assert (report.record.rid, report.contact_key, report.problem) == (rid, DESK["key"], "no_connection")

    tokens = {name: _token(app, name, role, agency) for name, role, agency in (
        ("vn-border", "supervisor", "VN-BCHBP-QN"), ("la-customs", "supervisor", "LA-CUSTOMS"),
        ("vn-officer", "officer", "VN-HQ-MONGCAI"), ("admin", "admin", "LA-CUSTOMS"))}
    client = app.test_client()

    def reports(name):
        return client.get("/api/v1/directory/reports", headers={"Authorization": f"Bearer {tokens[name]}"})

    [seen] = reports("vn-border").get_json()["reports"]
    assert seen == {"rid": rid, "received_at": seen["received_at"], "contact": DESK["key"],
                    "contact_agency": "VN-HQ-MONGCAI", "number": "+84699000001", "problem": "no_connection",
                    "note": "Tried three times at 09:00", "reporter_agency": "LA-CUSTOMS-BOTEN",
                    "reporting_officer": "Demo officer"}
    assert reports("la-customs").get_json()["reports"] == []
    assert reports("admin").get_json()["reports"][0]["rid"] == rid
    refused = reports("vn-officer")
    assert (refused.status_code, refused.get_json()["code"]) == (403, "forbidden")
    assert client.get("/api/v1/directory/reports").status_code == 401
