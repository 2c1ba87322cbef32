"""The information report (issue 18) in the officer app: a third form, declared once on the
server, rendered and sealed by the app with no screen code of its own, graded and with a
handling code, and filed with its subject as a mention."""
from sqlalchemy import select

from server.extensions import db
from server.store.models import InformationReport, Mention, Record

from .harness import Phone, catalog, enroll, field, record_state, submit

PIN = "515253"
ui = catalog("en")


def label(text):
    """The server's labels, in English: the source strings themselves."""
    return text


def test_an_officer_files_a_graded_information_report_from_the_phone(station, tmp_path):
    phone = Phone(tmp_path / "profile", locale="en-GB")
    try:
        page = phone.open()
        enroll(page, station.enrollment_url(agency="VN-HQ-QN", officer="Lê Văn Tám"), PIN, ui)
        page.get_by_role("button", name=ui("New: {form}", form=label("Information report"))).click()
        field(page, label("Date the information refers to")).fill("2026-11-18")
        field(page, label("What was learned")).fill("A trader offers pangolin scales on a chat group (demo).")
        field(page, label("Source of the information")).select_option("open_source")
        grade = page.get_by_role("group", name=label("Source grading"))
        field(grade, label("Reliability of the source")).select_option("C")
        field(grade, label("Credibility of the information")).select_option("3")
        field(page, label("Who may receive it")).select_option("agency")
        page.get_by_role("button", name=ui("Add: {label}", label=label("People"))).click()
        person = page.get_by_role("group", name=f"{label('People')} 1")
        field(person, label("Name (native script)")).fill("Vương Vĩ")
        submit(page, ui)
        page.get_by_role("button", name=ui("Sync now")).click()
        record_state(page, ui, "Accepted").first.wait_for(timeout=30_000)
        with station.app.app_context():
            record = db.session.scalar(select(Record).filter_by(form="information_report"))
            report = db.session.get(InformationReport, record.id)
            assert (record.handling, report.source_type, report.source_reliability, report.source_credibility) == (
                "agency", "open_source", "C", "3")
            assert db.session.scalar(select(Mention.caption).where(Mention.record_id == record.id)) == "Vương Vĩ"
        assert phone.errors == []
    finally:
        phone.quit()
