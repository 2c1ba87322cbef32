"""Issue 4, browser tests 4 and 6, and revocation: a record tampered with in the outbox is
quarantined and the phone says why in its own language; a phone whose clock is 400 days
ahead still syncs; a revoked phone wipes itself and says so."""
import time

from sqlalchemy import select

from server.devices import service as devices
from server.devices.models import Device
from server.extensions import db
from server.store.models import Record
from server.sync.models import Quarantine
from tests.helpers import count, counts

from .harness import catalog, enroll, fill_minimal_seizure, record_state, server_catalog, submit, unlock

PIN = "314159"
DAY_MS = 24 * 3600 * 1000
ui, label = catalog("vi"), server_catalog("vi")


def test_4_a_record_tampered_with_in_the_outbox_is_quarantined_with_a_translated_reason(station, phone):
    page = phone.open()
    enroll(page, station.enrollment_url(), PIN, ui)
    station.stop()
    fill_minimal_seizure(page, ui, label, "Phạm Văn Kiểm")
    submit(page, ui)
    record_state(page, ui, "Waiting").wait_for()

    # The adversary, not a user step: someone with the unlocked phone flips one byte of
    # the sealed record in IndexedDB. The device still signs the request that carries it.
    page.evaluate("""() => new Promise((done, fail) => {
      const open = indexedDB.open("wildledger");
      open.onsuccess = () => {
        const store = open.result.transaction("outbox", "readwrite").objectStore("outbox");
        const cursor = store.openCursor();
        cursor.onsuccess = () => {
          const entry = cursor.result.value;
          const ct = entry.envelope.ct;
          const flipped = ct[40] === "A" ? "B" : "A";
          entry.envelope.ct = ct.slice(0, 40) + flipped + ct.slice(41);
          cursor.result.update(entry).onsuccess = () => done();
        };
        cursor.onerror = fail;
      };
    })""")

    station.start()
    page.get_by_role("button", name=ui("Sync now")).click()
    quarantined = record_state(page, ui, "Quarantined")
    quarantined.wait_for(timeout=30_000)
    reason = label("The record signature does not match its contents.")
    assert reason != "The record signature does not match its contents."  # really translated
    assert quarantined.get_by_text(reason).is_visible()
    with station.app.app_context():
        assert count(Quarantine, code="bad_signature") == 1
    stored = counts(station.app)
    assert stored["ledger"] == 0 and stored["records"] == 0
    assert phone.errors == []


def test_6_a_phone_whose_clock_is_400_days_ahead_still_syncs(station, phone):
    page = phone.open()
    enroll(page, station.enrollment_url(), PIN, ui)
    phone.close()

    ahead_ms = int(time.time() * 1000) + 400 * DAY_MS
    page = phone.open(station.public_url, clock_ms=ahead_ms)
    assert page.evaluate("Date.now()") > ahead_ms - 60_000
    unlock(page, PIN, ui)
    fill_minimal_seizure(page, ui, label, "Đỗ Thị Đồng Hồ")
    submit(page, ui)
    record_state(page, ui, "Accepted").wait_for(timeout=30_000)

    with station.app.app_context():
        [record] = db.session.scalars(select(Record)).all()
        assert record.content["reporting_officer"] == "Đỗ Thị Đồng Hồ"
        assert "future" in record.flags
        # Measured at the push, about -400 days. (Not the device's last offset: Playwright's
        # clock is the page's only, and the service worker's sync asks for the log head on
        # the real clock.)
        assert abs(record.clock_offset_ms + 400 * DAY_MS) < 10 * 60 * 1000
    assert phone.errors == []


def test_a_revoked_phone_wipes_its_data_and_says_so(station, phone):
    page = phone.open()
    enroll(page, station.enrollment_url(), PIN, ui)
    with station.app.app_context():
        devices.revoke(db.session.scalars(select(Device.id)).one())
    page.get_by_role("button", name=ui("Sync now")).click()
    page.get_by_role("heading", name=ui("This phone was revoked")).wait_for(timeout=30_000)
    counts = phone.row_counts()
    assert counts.pop("meta") == 1  # only the note that this phone was revoked
    assert set(counts.values()) == {0}
    page.reload()
    page.get_by_role("heading", name=ui("This phone was revoked")).wait_for()
