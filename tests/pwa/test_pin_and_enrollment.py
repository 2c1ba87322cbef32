"""The PIN and enrollment, as an officer meets them: 10 wrong PINs erase the drafts but
never a sealed record; a forgotten PIN is reset on the phone at the cost of the drafts;
an enrollment QR code whose key fingerprints do not match, or one already used, is refused
with a reason in the phone's language and nothing is kept."""
from urllib.parse import parse_qs, urlencode, urlsplit

from sqlalchemy import func, select

from server.audit.models import AuditEntry
from server.devices.models import Device
from server.extensions import db
from server.store.models import Record

from .harness import (
    catalog,
    choose_pin_and_enroll,
    enroll,
    field,
    fill_minimal_seizure,
    record_state,
    server_catalog,
    submit,
    unlock,
)

PIN, NEW_PIN = "246810", "135791"
ui, label = catalog("vi"), server_catalog("vi")


def save_draft(page, officer):
    page.get_by_role("button", name=ui("New: {form}", form=label("Seizure"))).click()
    field(page, label("Reporting officer")).fill(officer)
    page.get_by_role("button", name=ui("Save draft")).click()
    page.get_by_text(ui("Draft saved.")).wait_for()


def set_new_pin(page, pin):
    page.get_by_label(ui("New PIN"), exact=True).fill(pin)
    page.get_by_label(ui("New PIN again"), exact=True).fill(pin)
    page.get_by_role("button", name=ui("Set PIN")).click()
    page.get_by_role("heading", name=ui("My records")).wait_for()


def test_ten_wrong_pins_erase_the_drafts_but_sealed_records_still_sync(station, phone):
    page = phone.open()
    enroll(page, station.enrollment_url(), PIN, ui)
    station.stop()
    fill_minimal_seizure(page, ui, label, "Lý Văn Niêm")
    submit(page, ui)
    save_draft(page, "Hà Thị Nháp")
    page.get_by_role("button", name=ui("Lock")).click()

    page.get_by_label(ui("PIN"), exact=True).fill("12")
    page.get_by_role("button", name=ui("Unlock")).click()
    page.get_by_text(ui("The PIN must be 6 to 12 digits.")).wait_for()  # not counted as a wrong PIN
    wrong = "999999"
    for attempt in range(1, 10):
        page.get_by_label(ui("PIN"), exact=True).fill(wrong)
        page.get_by_role("button", name=ui("Unlock")).click()
        left = 10 - attempt
        page.get_by_text(ui("Wrong PIN. {n} attempt left before the drafts are erased.",
                            "Wrong PIN. {n} attempts left before the drafts are erased.", n=left)).wait_for()
    page.get_by_label(ui("PIN"), exact=True).fill(wrong)
    page.get_by_role("button", name=ui("Unlock")).click()
    page.get_by_text(ui("Too many wrong PINs: the drafts on this phone were erased. "
                        "Submitted records are safe and still sync.")).wait_for()
    assert phone.row_counts()["drafts"] == 0

    set_new_pin(page, NEW_PIN)
    assert page.get_by_text(ui("No drafts.")).is_visible()
    station.start()
    page.get_by_role("button", name=ui("Sync now")).click()
    record_state(page, ui, "Accepted").wait_for(timeout=30_000)
    with station.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Record)) == 1
    assert phone.errors == []


def test_a_forgotten_pin_is_reset_on_the_phone_at_the_cost_of_the_drafts(station, phone):
    page = phone.open()
    enroll(page, station.enrollment_url(), PIN, ui)
    station.stop()
    fill_minimal_seizure(page, ui, label, "Mai Văn Quên")
    submit(page, ui)
    save_draft(page, "Mai Thị Nháp")
    phone.close()

    page = phone.open(station.public_url)
    page.get_by_role("button", name=ui("Forgot your PIN?")).click()
    page.get_by_role("button", name=ui("Erase drafts and choose a new PIN")).click()
    set_new_pin(page, NEW_PIN)
    assert page.get_by_text(ui("No drafts.")).is_visible()
    assert record_state(page, ui, "Waiting").count() == 1
    page.get_by_role("button", name=ui("Lock")).click()
    unlock(page, NEW_PIN, ui)

    # Whoever reset the PIN may not be the officer: what is sealed after it is flagged at
    # the server, and the reset reported, until a supervisor confirms.
    fill_minimal_seizure(page, ui, label, "Sealed after the reset")
    submit(page, ui)
    station.start()
    page.get_by_role("button", name=ui("Sync now")).click()
    record_state(page, ui, "Accepted").nth(1).wait_for(timeout=30_000)
    assert _pin_reset_flags(station) == {"Mai Văn Quên": False, "Sealed after the reset": True}
    with station.app.app_context():
        [device] = db.session.scalars(select(Device)).all()
        assert (device.pin_resets, device.pin_resets_confirmed) == (1, 0)
        assert db.session.scalars(select(AuditEntry.action).filter_by(action="device.pin_reset")).all() == [
            "device.pin_reset"]
    assert station.app.test_cli_runner().invoke(args=["devices", "confirm", device.id]).exit_code == 0
    fill_minimal_seizure(page, ui, label, "Sealed after the confirmation")
    submit(page, ui)
    record_state(page, ui, "Accepted").nth(2).wait_for(timeout=30_000)
    assert _pin_reset_flags(station) == {"Mai Văn Quên": False, "Sealed after the reset": False,
                                         "Sealed after the confirmation": False}
    assert phone.errors == []


def _pin_reset_flags(station):
    with station.app.app_context():
        return {r.officer_name: "pin_reset" in r.flags for r in db.session.scalars(select(Record))}


def test_a_qr_code_with_other_key_fingerprints_is_refused_and_nothing_is_kept(station, phone):
    url = station.enrollment_url()
    parts = urlsplit(url)
    fragment = {key: values[0] for key, values in parse_qs(parts.fragment).items()}
    fragment["sk"] = fragment["ik"]  # an attacker's server would answer other keys than the QR names
    page = phone.open(parts._replace(fragment=urlencode(fragment)).geturl())
    choose_pin_and_enroll(page, PIN, ui)
    page.get_by_text(ui("The server's keys do not match the QR code. Do not enroll on this network; "
                        "tell your supervisor.")).wait_for()
    assert phone.row_counts()["meta"] == 0


def test_a_used_enrollment_code_is_refused_in_the_phones_language(station, phone, tmp_path):
    url = station.enrollment_url()
    page = phone.open()
    enroll(page, url, PIN, ui)

    second = phone.another(tmp_path / "second-profile")
    try:
        page = second.open(url)
        choose_pin_and_enroll(page, PIN, ui)
        page.get_by_text(label("This enrollment code has already been used.")).wait_for()
        assert second.row_counts()["meta"] == 0
    finally:
        second.quit()


def test_a_pin_shorter_than_six_digits_is_refused(station, phone):
    page = phone.open(station.enrollment_url())
    choose_pin_and_enroll(page, "1234", ui)
    page.get_by_text(ui("The PIN must be 6 to 12 digits.")).wait_for()
    assert phone.row_counts()["meta"] == 0
