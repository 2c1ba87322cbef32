"""Issue 4, browser tests 1, 5 and 2, in the order an officer lives them: enroll, lose the
network, record a seizure in Vietnamese and keep a draft, restart the phone; nothing typed
is stored in the clear; the network comes back and the record is filed exactly once.

The tests of this module share one server and one phone profile and run in order."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.store.models import Record
from server.sync.models import LedgerEntry

from .harness import Phone, Station, catalog, enroll, field, record_state, server_catalog, submit, unlock

PIN = "271828"
ui, label = catalog("vi"), server_catalog("vi")

SUSPECT = "Nguyễn Thị Hồng Nhung"
TYPED = {
    "officer": "Lê Văn Tám", "place": "Cửa khẩu Móng Cái, bãi xe số 3",
    "item1": "Vảy khô trong bao tải dứa", "item2": "Ngà voi cưa khúc", "suspect": SUSPECT,
    "phone": "0399 000 123", "narrative": "Vảy tê tê giấu dưới thùng cá đông lạnh",
    "draft_officer": "Trần Thị Nháp", "draft_narrative": "Bản nháp về rái cá",
}
EXPECTED = {
    "date": "2026-11-20", "agency": "VN-HQ-QN", "reporting_officer": TYPED["officer"],
    "place": {"location_type": "land_border", "name": TYPED["place"]},
    "items": [
        {"species": "Manis javanica", "term": "SCA", "quantity": "12.5", "unit": "kg",
         "description": TYPED["item1"]},
        {"species": "Elephas maximus", "term": "TUS", "quantity": "3", "unit": "NAR", "count": 3,
         "weight_kg": "18.4", "description": TYPED["item2"]},
    ],
    "suspects": [{"name": SUSPECT, "nationality": "VN", "phone": TYPED["phone"]}],
    "narrative": TYPED["narrative"],
}


@pytest.fixture(scope="module")
def station(tmp_path_factory):
    station = Station(tmp_path_factory.mktemp("server"))
    yield station
    station.close()


@pytest.fixture(scope="module")
def phone(tmp_path_factory):
    phone = Phone(tmp_path_factory.mktemp("profile"))
    yield phone
    phone.quit()


def fill_seizure(page):
    page.get_by_role("button", name=ui("New: {form}", form=label("Seizure"))).click()
    field(page, label("Date of seizure")).fill("2026-11-20")
    field(page, label("Reporting officer")).fill(TYPED["officer"])
    place = page.get_by_role("group", name=label("Place of seizure"))
    field(place, label("Type of location")).select_option("land_border")
    field(place, label("Place name")).fill(TYPED["place"])

    # As typed, in the officer's conventions ("12,5"); selects by code.
    typed_items = [
        {"Species": "Manis javanica", "Specimen type (CITES term)": "SCA", "Quantity": "12,5", "Unit": "kg",
         "Description": TYPED["item1"]},
        {"Species": "Elephas maximus", "Specimen type (CITES term)": "TUS", "Quantity": "3", "Unit": "NAR",
         "Number of pieces": "3", "Total weight (kg), when the unit is not kg": "18,4", "Description": TYPED["item2"]},
    ]
    items = label("Items seized")
    for number, values in enumerate(typed_items, start=1):
        if number > 1:
            page.get_by_role("button", name=ui("Add: {label}", label=items)).click()
        row = page.get_by_role("group", name=f"{items} {number}")
        for name, value in values.items():
            control = field(row, label(name))
            control.select_option(value) if name in ("Specimen type (CITES term)", "Unit") else control.fill(value)

    suspects = label("Suspects")
    page.get_by_role("button", name=ui("Add: {label}", label=suspects)).click()
    suspect = page.get_by_role("group", name=f"{suspects} 1")
    field(suspect, label("Name (native script)")).fill(SUSPECT)
    field(suspect, label("Nationality")).select_option("VN")
    field(suspect, label("Phone number")).fill(TYPED["phone"])
    field(page, label("Narrative")).fill(TYPED["narrative"])


def test_1_enroll_then_record_offline_and_keep_a_draft_across_a_restart(station, phone):
    station.start()
    page = phone.open()
    enroll(page, station.enrollment_url(), PIN, ui)
    cdp = phone.context.new_cdp_session(page)
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    phone.wait_controlled()

    station.stop()
    page.reload()
    assert phone.controlled()
    unlock(page, PIN, ui)
    fill_seizure(page)
    submit(page, ui)
    record_state(page, ui, "Waiting").wait_for()

    page.get_by_role("button", name=ui("New: {form}", form=label("Seizure"))).click()
    field(page, label("Reporting officer")).fill(TYPED["draft_officer"])
    field(page, label("Narrative")).fill(TYPED["draft_narrative"])
    page.get_by_role("button", name=ui("Save draft")).click()
    page.get_by_text(ui("Draft saved.")).wait_for()

    phone.close()
    page = phone.open(station.public_url)  # still offline: the service worker starts the app
    assert phone.controlled()
    unlock(page, PIN, ui)
    assert record_state(page, ui, "Waiting").count() == 1
    page.get_by_role("list").filter(has_text=label("Seizure")).first.wait_for()
    page.locator("section.drafts li").filter(has_text=label("Seizure")).get_by_role("button").click()
    assert field(page, label("Reporting officer")).input_value() == TYPED["draft_officer"]
    assert field(page, label("Narrative")).input_value() == TYPED["draft_narrative"]
    page.go_back()  # the back gesture: home, the draft kept
    page.locator("section.drafts li").filter(has_text=label("Seizure")).wait_for()
    assert phone.errors == []


def test_5_nothing_typed_is_stored_in_the_clear(phone):
    dump = phone.dump_storage()
    assert "idb:outbox" in dump and "idb:drafts" in dump and "cache:" in dump
    for text in TYPED.values():
        assert text not in dump
    # The browser's own files for the origin's storage, too.
    raw = b"".join(path.read_bytes() for path in phone.profile.rglob("*") if path.is_file()
                   and any(part in ("IndexedDB", "Local Storage", "CacheStorage") for part in path.parts))
    for text in TYPED.values():
        for encoding in ("utf-8", "utf-16-le"):
            assert text.encode(encoding) not in raw


def test_2_back_online_the_record_is_accepted_once_and_stored_as_typed(station, phone):
    station.start()
    page = phone.page
    page.get_by_role("button", name=ui("Sync now")).click()
    record_state(page, ui, "Accepted").wait_for(timeout=30_000)
    page.get_by_role("button", name=ui("Sync now")).click()
    page.get_by_role("button", name=ui("Sync now")).wait_for()

    with station.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 1
        [record] = db.session.scalars(select(Record)).all()
        assert record.content == EXPECTED
        assert record.officer_name == TYPED["officer"] and record.form == "seizure"
        items = [(i.species, i.quantity, i.unit, i.count) for i in record.seizure.items]
        assert items == [("Manis javanica", Decimal("12.5"), "kg", None), ("Elephas maximus", Decimal("3"), "NAR", 3)]
        assert [m.entity.caption for m in record.mentions] == [SUSPECT]
        assert record.mentions[0].entity.properties["phone"] == ["+84399000123"]
    assert record_state(page, ui, "Accepted").count() == 1 and phone.errors == []
