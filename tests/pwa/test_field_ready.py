"""Say what really happened, and get dates and zones right (issue 14, parts 3 and 4), as an
officer on a Vietnamese phone sees it:

- Seen: "Last sync" moved although nothing was contacted, there was no connection state, and
  "Sync now" offline said nothing. Now the last sync is the last answer from the server, the
  connection is shown, and "Sync now" says what it did.
- Seen: records and drafts listed only by form and time. Now by species, quantity and place
  (encrypted under the PIN, kept after the readable copy), and searchable.
- Seen: "Forgot PIN" erased drafts without saying which.
- Seen: the date field showed 11/30/2026 in every language; Asia/Ho_Chi_Minh was stored as
  Asia/Saigon.
- Seen: a damaged or expired enrollment link said "the request has missing or invalid values"."""
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from server.access import service as access
from server.devices import service as devices
from server.extensions import db
from server.store.models import Record

from .harness import Phone, catalog, choose_pin_and_enroll, enroll, field, fill_minimal_seizure, record_state, server_catalog, submit

PIN = "613024"
vi, label_vi = catalog("vi"), server_catalog("vi")


def test_the_connection_and_the_last_sync_say_what_really_happened(station, tmp_path):
    phone = Phone(tmp_path / "profile", timezone="Asia/Ho_Chi_Minh")
    try:
        page = phone.open()
        enroll(page, station.enrollment_url(), PIN, vi)
        status = page.locator("section.sync-status").first
        status.get_by_text(vi("In touch with the server.")).wait_for()
        synced = phone.meta("sync")["last_success"]

        station.stop()
        page.get_by_role("button", name=vi("Sync now")).first.click()
        status.get_by_text(vi("The server could not be reached. Nothing was sent; the records wait on the phone.")).wait_for()
        status.get_by_text(vi("The server cannot be reached. Records wait on the phone.")).wait_for()
        assert phone.meta("sync")["last_success"] == synced  # an attempt is not a sync

        phone.context.set_offline(True)
        status.get_by_text(vi("Offline. Records wait on the phone and are sent when the network is back.")).wait_for()
        phone.context.set_offline(False)

        # Sealed offline; listed by what it is, and found by a search without accents.
        fill_minimal_seizure(page, vi, label_vi, "Trần Văn Múi")
        submit(page, vi)
        summary = page.locator("li.record .summary").first.inner_text()
        assert "4 kg" in summary and summary.endswith("— Trạm kiểm soát Km 12"), summary
        station.start()
        page.get_by_role("button", name=vi("Sync now")).first.click()
        status.get_by_text(vi("Sent {n} record.", "Sent {n} records.", n=1)).wait_for()
        assert phone.meta("sync")["last_success"] > synced

        page.get_by_role("button", name=vi("My records")).last.click()
        search = page.get_by_label(vi("Search: species, place, date or state"))
        search.fill("tram kiem soat")  # no accents
        page.locator("li.record").first.wait_for()
        search.fill("Móng Cái")
        page.get_by_text(vi("No record matches.")).wait_for()
        with station.app.app_context():
            [record] = db.session.scalars(select(Record)).all()
            assert record.time_zone == "Asia/Ho_Chi_Minh"  # Chromium reports Asia/Saigon
        assert phone.errors == []
    finally:
        phone.quit()


def test_dates_are_shown_in_the_officer_s_order_and_stored_as_one_iso_date(station, phone):
    page = phone.open()
    enroll(page, station.enrollment_url(), PIN, vi)
    page.get_by_role("button", name=vi("New: {form}", form=label_vi("Seizure"))).click()
    # Reference data: a dissolved agency is not offered for a new record (its successor is),
    # and vehicles are chosen from vehicles, not from routes ("Air", "On foot").
    values = "(select) => [...select.options].map((o) => o.value)"
    agencies = field(page, label_vi("Seizing agency")).evaluate(values)
    assert "VN-BCHBP-QN" in agencies and "VN-BDBP-QN" not in agencies
    page.get_by_role("button", name=vi("Add: {label}", label=label_vi("Vehicles"))).click()
    vehicle = page.get_by_role("group", name=f"{label_vi('Vehicles')} 1")
    assert field(vehicle, label_vi("Kind of vehicle")).evaluate(values) == [
        "", "truck", "car", "van", "motorbike", "bus", "boat", "aircraft", "other"]
    assert field(vehicle, label_vi("Number plate")).count() == 1
    date = field(page, label_vi("Date of seizure"))
    date.fill("3/11/2026")
    date.blur()
    assert date.input_value() == "03/11/2026"  # day first in Vietnamese
    for code, shown in (("lo", "03/11/2026"), ("zh_Hans", "2026年11月03日"), ("vi", "03/11/2026")):
        page.locator("#language").select_option(code)
        date = field(page, server_catalog(code)("Date of seizure"))
        assert date.input_value() == shown, code
    date.fill("31/11/2026")
    page.get_by_role("button", name=vi("Review"), exact=True).click()
    page.get_by_text(vi("Enter a date such as {example}.", example=date.get_attribute("placeholder"))).wait_for()

    page.get_by_role("button", name=vi("Discard"), exact=True).click()
    page.get_by_role("alertdialog").get_by_role("button", name=vi("Discard"), exact=True).click()
    fill_minimal_seizure(page, vi, label_vi, "Lò Thị Ngày")
    field(page, label_vi("Date of seizure")).fill("03112026")
    submit(page, vi)
    record_state(page, vi, "Accepted").wait_for()  # the sync after every submit
    with station.app.app_context():
        [record] = db.session.scalars(select(Record)).all()
        assert record.content["date"] == "2026-11-03"
    assert phone.errors == []


def test_forgot_pin_says_which_drafts_will_be_erased(station, phone):
    page = phone.open()
    enroll(page, station.enrollment_url(), PIN, vi)
    page.get_by_role("button", name=vi("New: {form}", form=label_vi("Market observation"))).click()
    field(page, label_vi("Reporting officer")).fill("Phạm Thị Quên")
    page.get_by_role("button", name=vi("Save draft")).click()
    page.get_by_text(vi("Draft saved.")).wait_for()
    page.get_by_role("button", name=vi("Lock")).first.click()
    page.get_by_role("button", name=vi("Forgot your PIN?")).click()
    risk = page.locator(".at-risk")
    risk.get_by_text(vi("This draft will be erased:", "These {n} drafts will be erased:", n=1)).wait_for()
    assert label_vi("Market observation") in risk.inner_text()
    assert phone.errors == []


def test_a_damaged_or_expired_enrollment_link_says_so_in_the_officers_language(station, tmp_path):
    """Seen: an expired link answered "the request has missing or invalid values", in English."""
    lo = catalog("lo")
    unusable = lo("This QR code is incomplete or has expired; ask your supervisor for a new one.")
    phone = Phone(tmp_path / "profile", locale="lo-LA")
    try:
        page = phone.open()
        whole = station.enrollment_url()
        page.goto(whole[:whole.rindex("sk=") + 10])  # the QR code scanned half-way
        page.get_by_role("alert").get_by_text(unusable).wait_for()
        assert page.get_by_label(lo("New PIN"), exact=True).count() == 0  # no PIN chosen for nothing

        with station.app.app_context():
            token, row = devices.create_enrollment(access.agency_by_code("VN-HQ-QN"), officer_name="Demo officer")
            row.expires_at = datetime.now(UTC) - timedelta(minutes=1)
            db.session.commit()
            expired = devices.enrollment_url(token)
        page.goto("about:blank")
        page.goto(expired)
        choose_pin_and_enroll(page, PIN, lo)
        page.get_by_role("alert").get_by_text(unusable).wait_for()
    finally:
        phone.quit()


def test_lao_is_drawn_with_the_font_the_app_ships_even_offline(station, tmp_path):
    """Seen: without a Lao font on the machine, tone marks collided with the vowels above
    (ລີ່ນ read like ລີນ). The app ships a Lao subset of Noto Sans, precached by its worker."""
    lo = catalog("lo")
    phone = Phone(tmp_path / "profile", locale="lo-LA")
    try:
        page = phone.open()
        enroll(page, station.enrollment_url(), PIN, lo)
        phone.wait_controlled()
        station.stop()
        phone.context.set_offline(True)
        page.reload()
        page.get_by_label(lo("PIN"), exact=True).wait_for()
        faces = page.evaluate("""async () => (await document.fonts.load('16px "Wildledger Lao"', 'ລີ່ນ'))
            .map((face) => [face.family, face.status])""")
        assert faces and all(status == "loaded" for _family, status in faces), faces
        assert page.evaluate("""document.fonts.check('16px "Wildledger Lao"', 'ລີ່ນ')""")
        precached = page.evaluate("""async () => {
          const names = [];
          for (const key of await caches.keys()) for (const r of await (await caches.open(key)).keys()) names.push(new URL(r.url).pathname);
          return names.filter((path) => path.endsWith('.woff2'));
        }""")
        assert [re.sub(r"-[\w-]{8}\.woff2$", ".woff2", path) for path in sorted(precached)] == [
            "/assets/NotoSansLao-Bold-subset.woff2", "/assets/NotoSansLao-Regular-subset.woff2"], precached
        assert phone.errors == []
    finally:
        phone.quit()
