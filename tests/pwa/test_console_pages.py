"""Every console page in Chromium (issue 17): no serious or critical axe-core violation and
nothing the Content-Security-Policy refuses, in English; and in Vietnamese, Lao and Chinese,
no English source string of the server's catalog left on screen.

The tour, for one admin (who sees every page): the set-up link, the recovery codes, sign-in,
the second factor, phones, enrollment (a code on screen, then a printed sheet), revoking a
phone, records, one record, the review queue, alerts, the audit log, people, the directory (a
sheet imported, contacts, wrong-number reports, agencies, links), an information report filed
from the office (the form, a problem shown beside its field, the record), and an expired form."""
import csv
import io
import json
import time
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select

from server.devices import service as devices
from server.extensions import db

from .harness import Phone, Station
from .test_accessibility import AXE, AXE_RUN
from .test_screen_languages import VISIBLE_TEXTS, English

PASSWORD = "a long console password"
DEMO_DIRECTORY = Path(__file__).resolve().parents[2] / "server" / "demo" / "directory.csv"


@pytest.fixture(scope="module")
def station(tmp_path_factory):
    """A server with a phone, its record, and a record held after a mistaken revocation."""
    from tests.helpers import SEIZURE
    from server.demo.simulator import HttpTransport, SimulatedDevice

    station = Station(tmp_path_factory.mktemp("server"))
    station.env["WILDLEDGER_TASK_QUEUE"] = "immediate"  # a carried-in file is taken as it is uploaded
    station.start()
    # The demo directory, and an officer's report that one of its numbers did not work.
    seeded = station.app.test_cli_runner().invoke(args=["directory", "import", str(DEMO_DIRECTORY)])
    assert seeded.exit_code == 0, seeded.output
    reporter = SimulatedDevice(HttpTransport(station.url))
    reporter.enroll(station.enrollment_url())
    reporter.seal({"contact": "demo/VN-HQ-MONGCAI/duty", "number": "+84699100101", "problem": "no_connection",
                   "note": "Gọi ba lần lúc 09:00", "reporting_officer": "Lê Văn Tám"}, form="directory_feedback",
                  version=1)
    reporter.sync()
    phone = SimulatedDevice(HttpTransport(station.url))
    phone.enroll(station.enrollment_url())
    phone.seal(SEIZURE)
    phone.sync()
    with station.app.app_context():
        devices.revoke(phone.device_id)
        db.session.commit()
    phone.seal(SEIZURE)
    try:
        phone.sync()
    except Exception:  # noqa: BLE001 - told it is revoked; the record is held
        pass
    station.device_id = phone.device_id
    # A phone that never reached the server, its outbox exported to a file to carry in.
    carried = SimulatedDevice(HttpTransport(station.url))
    carried.enroll(station.enrollment_url())
    carried.seal(SEIZURE)
    station.outbox_file = tmp_path_factory.mktemp("carried") / "outbox.wlout"
    station.outbox_file.write_bytes(carried.export_outbox())
    # An analyst's desk identity, which the phones page lists apart from the phones.
    for args in (["users", "create", "desk-analyst", "--name", "Lê Thị Phân Tích", "--role", "analyst", "--agency",
                  "VN-HQ-QN"], ["desks", "create", "desk-analyst"]):
        made = station.app.test_cli_runner().invoke(args=args)
        assert made.exit_code == 0, made.output
    yield station
    station.close()


def tour(page, station, username):
    """Each console page in turn, signed in as a new admin: yields its name once it is up."""
    created = station.app.test_cli_runner().invoke(args=[
        "users", "create", username, "--name", "Admin", "--role", "admin", "--agency", "VN-HQ-QN"])
    page.goto(created.output.strip().splitlines()[-1])
    yield "set-up"
    secret = page.locator('input[name="secret"]').input_value()
    page.locator("#password").fill(PASSWORD)
    page.locator("#password2").fill(PASSWORD)
    page.locator("#code").fill(pyotp.TOTP(secret).now())
    page.locator("form.stack button[type=submit]").click()
    page.locator("ol.codes").wait_for()
    yield "recovery codes"
    page.goto(f"{station.public_url}/console/login")
    yield "sign-in"
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("form.stack button[type=submit]").click()
    page.locator("#code").wait_for()
    yield "second factor"
    page.locator("#code").fill(pyotp.TOTP(secret).at(time.time() + 30))  # set-up spent the current step
    page.locator("form.stack button[type=submit]").click()
    page.locator("table.fleet").wait_for()
    yield "phones"
    for path, name, ready in (
            ("/console/enroll", "enroll", "form.stack"),
            (f"/console/devices/{station.device_id}/revoke", "revoke", "main p"),
            ("/console/records", "records", "table.records"),
            ("/console/quarantine", "review queue", "tr[data-quarantine]"),
            ("/console/alerts", "alerts", "section.alert"),
            ("/console/audit", "audit log", "tr[data-seq]"),
            ("/console/people", "people", "tr[data-user]"),
            ("/console/people/new", "add a person", "form.stack"),
            (f"/console/people/{username}", "a person", "dl.facts")):
        page.goto(station.public_url + path)
        page.locator(ready).first.wait_for()
        yield name
    yield from directory_tour(page, station, username)
    page.goto(station.public_url + "/console/carried")
    page.locator("form.upload").wait_for()
    yield "carried in"
    page.locator("#file").set_input_files(str(station.outbox_file))
    page.locator("form.upload button[type=submit]").click()
    page.locator('.progress-line[data-status="done"]').wait_for()
    yield "a carried-in file"
    page.goto(station.public_url + "/console/carried")
    page.locator("#file").set_input_files({"name": "cut.wlout", "mimeType": "text/plain",
                                           "buffer": station.outbox_file.read_bytes()[:-30]})
    page.locator("form.upload button[type=submit]").click()
    page.locator("[data-code=carried_file_invalid]").wait_for()
    yield "a carried-in file refused"
    page.goto(station.public_url + "/console/intel/candidates")
    page.locator("main p").first.wait_for()
    yield "possible matches"
    with station.app.app_context():
        from server.store.models import Mention

        key = db.session.scalar(select(Mention.key).where(Mention.schema == "Person").order_by(Mention.id))
    page.goto(f"{station.public_url}/console/intel/mentions/{key}")
    page.locator("ul.judgements li").first.wait_for()  # joined to the carried-in record's suspect
    yield "an entity"
    page.goto(station.public_url + "/console/shares")
    page.locator("main p").first.wait_for()
    yield "shared with me"
    page.goto(station.public_url + "/console/records")
    page.locator("tr[data-rid] a").first.click()
    page.locator("table.fields").wait_for()
    yield "record"
    page.locator("main a[href$='/evidence']").click()
    page.locator(".evidence-item").first.wait_for()
    yield "evidence sheet"
    page.go_back()
    page.locator("details:has(#set-new) > summary").click()
    page.locator("#set-new").fill("Móng Cái case (demo)")
    page.locator("form:has(#set-new) button[type=submit]").click()
    page.locator("tr[data-rid]").first.wait_for()
    yield "a saved set"
    page.goto(station.public_url + "/console/sets")
    page.locator("li[data-set]").first.wait_for()
    yield "saved sets"
    page.goto(station.public_url + "/console/exports")
    page.locator("form.export-form").wait_for()
    yield "exports"
    page.locator("#kind-itr").check()
    page.locator("form.export-form button[type=submit]").click()
    page.locator('.export-state[data-status="done"]').wait_for()
    yield "an export"
    yield from report_tour(page, station)
    page.goto(station.public_url + "/console/enroll")
    page.locator("#officer").fill("Lê Văn Tám")
    page.locator("form.stack button[type=submit]").first.click()
    page.locator("figure.qr").wait_for()
    yield "enrollment code"
    page.locator("#officers").fill("Officer One\nOfficer Two")
    page.locator("form.stack button[type=submit]").nth(1).click()
    page.locator(".sheet-entry").first.wait_for()
    yield "enrollment sheet"
    page.evaluate("() => { document.querySelector('input[name=csrf_token]').value = 'forged'; }")
    page.locator("form.language button").click()
    page.locator("main p").first.wait_for()
    yield "expired form"


def report_tour(page, station):
    """Filing an information report from the office: the form, the form with a problem beside
    its field (a person's nationality without their name), and the record it filed."""
    page.goto(station.public_url + "/console/intel/reports/new")
    page.locator("form.report-form").wait_for()
    yield "file an information report"
    page.locator("#f-date").fill("2026-11-18")
    page.locator("#f-narrative").fill("Báo cáo công khai: một tài khoản rao bán vảy tê tê ở Móng Cái.")
    for field, value in (("#f-source_type", "public_report"), ("#f-source_grade-reliability", "C"),
                         ("#f-source_grade-credibility", "3"), ("#f-handling", "national"),
                         ("#f-people-0-nationality", "CN")):
        page.locator(field).select_option(value)
    page.locator("form.report-form > button[type=submit]:not(.implicit-submit)").click()
    page.locator("#f-people-0-name-error").wait_for()
    yield "an information report with a problem"
    page.locator("#f-people-0-name").fill("王伟")
    page.locator("#f-people-0-name").press("Enter")  # Enter in a field files; it adds no row
    page.locator("table.fields").wait_for()
    yield "a filed information report"


def directory_tour(page, station, username):
    """The directory's pages: a sheet checked with a problem, checked good and applied (a new
    contact each tour), the contacts, one with a problem beside its field, the reports, the
    agencies and the links."""
    with DEMO_DIRECTORY.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        columns, first = reader.fieldnames, next(reader)

    def sheet(**changes):
        out = io.StringIO()
        writer = csv.DictWriter(out, columns)
        writer.writeheader()
        writer.writerow({**first, "key": f"demo/{username}/desk", **changes})
        return {"name": "contacts.csv", "mimeType": "text/csv", "buffer": out.getvalue().encode()}

    page.goto(station.public_url + "/console/directory/import")
    page.locator("form.import-form").wait_for()
    yield "directory import"
    page.locator("#file").set_input_files(sheet(phones="12"))
    page.locator("form.import-form button[type=submit]").click()
    page.locator("table.problems").wait_for()
    yield "directory import problems"
    page.locator("#file").set_input_files(sheet())
    page.locator("form.import-form button[type=submit]").click()
    page.locator("input[name=upload]").wait_for(state="attached")
    yield "directory import check"
    page.locator("form:has(input[name=upload]) button[type=submit]").click()
    page.locator("p.notice").wait_for()
    yield "directory import applied"
    for path, name, ready in (
            ("/console/directory", "directory", "tr[data-contact]"),
            (f"/console/directory/contacts/demo/{username}/desk", "a contact", "form.contact-form"),
            ("/console/directory/contacts/new", "add a contact", "form.contact-form"),
            ("/console/directory/reports", "wrong-number reports", "tr[data-report]"),
            ("/console/directory/agencies", "agencies", "tr[data-agency]"),
            ("/console/directory/agencies/VN-HQ-MONGCAI", "an agency", "form.agency-form"),
            ("/console/directory/agencies/new", "add an agency", "form.agency-form"),
            ("/console/directory/links", "counterpart links", "tr[data-link]"),
            ("/console/directory/links/VN-CN:cites", "a link", "form.link-form"),
            ("/console/directory/links/new", "add a link", "form.link-form")):
        page.goto(station.public_url + path)
        page.locator(ready).first.wait_for()
        yield name
        if name == "a contact":
            page.locator("#phones").fill("12")
            page.locator("form.contact-form button[type=submit]").click()
            page.locator("#phones-error").wait_for()
            yield "a contact with a problem"


DIRECTORY_PAGES = ["directory import", "directory import problems", "directory import check",
                   "directory import applied", "directory", "a contact", "a contact with a problem", "add a contact",
                   "wrong-number reports", "agencies", "an agency", "add an agency", "counterpart links", "a link",
                   "add a link"]
PAGES = ["set-up", "recovery codes", "sign-in", "second factor", "phones", "enroll", "revoke", "records",
         "review queue", "alerts", "audit log", "people", "add a person", "a person", *DIRECTORY_PAGES, "carried in",
         "a carried-in file", "a carried-in file refused", "possible matches", "an entity", "shared with me", "record", "evidence sheet", "a saved set", "saved sets", "exports", "an export", "file an information report", "an information report with a problem",
         "a filed information report", "enrollment code", "enrollment sheet", "expired form"]


def test_every_console_page_passes_axe_and_the_content_security_policy(station, tmp_path):
    phone = Phone(tmp_path / "profile", locale="en-GB")
    try:
        page = phone.open()
        seen, found = [], {}
        for name in tour(page, station, "admin-en"):
            seen.append(name)
            assert page.evaluate("window.cspViolations") == [], name
            page.evaluate(AXE.read_text() + "\n;true")
            violations = page.evaluate(AXE_RUN)
            if violations:
                found[name] = violations
        assert seen == PAGES
        assert found == {}, "axe-core:\n" + json.dumps(found, ensure_ascii=False, indent=1)
        assert phone.errors == []
    finally:
        phone.quit()


@pytest.mark.parametrize("code", ["vi", "lo", "zh_Hans"])
def test_every_console_page_speaks_the_chosen_language(station, tmp_path, code):
    english = English(code, [])
    phone = Phone(tmp_path / "profile", locale="en-GB")
    try:
        page = phone.open()
        phone.context.add_cookies([{"name": "wl_lang", "value": code, "url": station.public_url}])
        left = {}
        for name in tour(page, station, f"admin-{code}"):
            assert page.evaluate("document.documentElement.lang") == code.replace("_", "-"), name
            seen = english.seen(page.evaluate(VISIBLE_TEXTS))
            if seen:
                left[name] = seen
        assert left == {}, "English on screen:\n" + json.dumps(left, ensure_ascii=False, indent=1)
    finally:
        phone.quit()
