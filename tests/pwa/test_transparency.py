"""Trust, part 2, in Chromium: the officer app holds the server to its ledger (PROTOCOL.md
§9). Positive control first: real inclusion and consistency proofs across pushes that leave
sizes no power of two. Then an insider with full database access rewrites history four ways,
each recomputing the tree so that the server agrees with itself, and each gives its own
alarm; a server error or an unsigned answer gives none. A restore from a dump is told apart
from a rewrite. The head in Settings is exported and proved by `flask ledger prove`."""
import json
import shutil
import sqlite3

import pytest
from sqlalchemy import select

from server.demo.fault_proxy import with_status
from server.demo.simulator import HttpTransport, SimulatedDevice
from server.devices import service as devices
from server.devices.models import Device
from server.extensions import db
from server.store.models import Record
from tests import insider
from tests.helpers import SEIZURE

from .harness import catalog, enroll, fill_minimal_seizure, record_state, server_catalog, submit, wait_for, wait_until

PIN = "577215"
ui, label = catalog("vi"), server_catalog("vi")


def sync_now(page):
    page.get_by_role("button", name=ui("Sync now")).click()
    wait_until(page, """(label) => {
      const button = document.querySelector("section.sync-status button");
      return button && !button.disabled && button.textContent === label;
    }""", ui("Sync now"))


def simulated(station, n):
    """Another phone of the agency pushing n records: the log grows between our pushes."""
    phone = SimulatedDevice(HttpTransport(station.url))
    phone.enroll(station.enrollment_url())
    for k in range(n):
        phone.seal({**SEIZURE, "narrative": f"[DEMO] simulated {k}"})
    phone.sync()
    return phone


def record(page, officer):
    fill_minimal_seizure(page, ui, label, officer)
    submit(page, ui)


def held_size(phone):
    return (phone.meta("logHead") or {}).get("size")


@pytest.fixture
def covered(station, phone):
    """A phone whose held head covers six rows, three of them its own."""
    page = phone.open()
    enroll(page, station.enrollment_url(), PIN, ui)
    simulated(station, 2)
    record(page, "Người thứ nhất")
    record_state(page, ui, "Accepted").wait_for(timeout=30_000)
    simulated(station, 2)
    for officer in ("Người thứ hai", "Người thứ ba"):
        record(page, officer)
    wait_for(lambda: phone.row_counts()["outbox"] == 0)
    wait_for(lambda: held_size(phone) == 7)
    return page


def test_the_phone_verifies_inclusion_and_consistency_across_pushes(station, phone):
    page = phone.open()
    enroll(page, station.enrollment_url(), PIN, ui)
    sizes = []
    for pushes, (others, officer) in enumerate([(2, "Một"), (2, "Hai"), (3, "Ba")], start=1):
        simulated(station, others)
        record(page, f"Người {officer}")
        record_state(page, ui, "Accepted").nth(pushes - 1).wait_for(timeout=30_000)
        wait_for(lambda pushes=pushes: len([r for r in phone.rows("receipts") if r.get("leaf")]) == pushes)
        sizes.append(held_size(phone))
    assert sizes == [3, 6, 10]  # none a power of two
    receipts = phone.rows("receipts")
    assert all(r["retained"]["envelope"] and r["epoch"] == 0 and r["leaf"]["status"] == "received" for r in receipts)
    assert sorted(r["log_index"] for r in receipts) == [3, 6, 10]
    simulated(station, 1)
    sync_now(page)  # nothing to push: the head and a consistency proof still come
    wait_for(lambda: held_size(phone) == 11)
    assert phone.meta("logAlarm") is None
    assert phone.errors == []


ATTACKS = {
    "an edit of one column": (lambda app: (insider.sql(app, "UPDATE ledger SET clock_offset_ms = 3600000 WHERE idx = 2"),
                                          insider.rebuild_log(app)), "log_inconsistent"),
    "a middle row deleted, the rest re-chained": (lambda app: insider.delete_and_rechain(app, 4), "log_rewound"),
    "a leaf rewritten, the size kept": (lambda app: (insider.sql(app, "UPDATE ledger SET received_at = :moment WHERE idx = 5",
                                                                 moment="2026-01-01 00:00:00"),
                                                     insider.rebuild_log(app)), "log_inconsistent"),
    "the tail cut, the head rewound": (lambda app: insider.cut_tail(app, 5), "log_rewound"),
}


@pytest.mark.parametrize("attack", ATTACKS)
def test_each_rewrite_of_history_gives_its_alarm_and_the_phone_deletes_nothing_after(station, phone, covered, attack):
    rewrite, code = ATTACKS[attack]
    rewrite(station.app)
    assert station.app.test_cli_runner().invoke(args=["ledger", "verify"]).exit_code == 0  # the server agrees with itself
    page = covered
    sync_now(page)
    alarm = page.locator("p.log-alarm")
    alarm.wait_for()
    assert phone.meta("logAlarm")["code"] == code and code in alarm.inner_text()
    held = phone.meta("logHead")
    record(page, "Sau khi báo động")  # what it seals now reaches the server, but is never deleted here
    wait_for(lambda: station_has(station, "Sau khi báo động"))
    sync_now(page)
    assert phone.row_counts()["outbox"] == 1 and phone.meta("logHead") == held
    assert phone.errors == []


def station_has(station, officer):
    with station.app.app_context():
        found = db.session.scalar(select(Record.id).filter_by(officer_name=officer)) is not None
        db.session.remove()
        return found


def test_a_server_error_or_an_unsigned_answer_is_not_an_alarm(proxied, phone):
    station, proxy = proxied
    station.start()
    page = phone.open()
    enroll(page, station.enrollment_url(), PIN, ui)
    record(page, "Người kiểm soát")
    record_state(page, ui, "Accepted").wait_for(timeout=30_000)
    seen = proxy.capture("/api/v1/sync/log")
    sync_now(page)
    wait_for(lambda: seen)
    genuine = seen[0]
    view = json.loads(genuine.response_body)
    view["head"]["size"] = 0  # a shorter log, but not the server's word: the body no longer matches its signature
    body = json.dumps(view).encode()
    unsigned = genuine.response.split(b"\r\n\r\n")[0].replace(
        f"Content-Length: {len(genuine.response_body)}".encode(), f"Content-Length: {len(body)}".encode()) + b"\r\n\r\n" + body
    broken = with_status(genuine.response, 500, "Internal Server Error")
    for answer in (unsigned, broken):
        proxy.serve("/api/v1/sync/log", answer)
        sync_now(page)
    assert phone.meta("logAlarm") is None and page.locator("p.log-alarm").count() == 0
    assert phone.errors == []


def test_a_restore_from_a_dump_is_not_an_attack(station, phone, tmp_path):
    page = phone.open()
    enroll(page, station.enrollment_url(), PIN, ui)
    other = simulated(station, 2)
    record(page, "Trước bản sao")
    record_state(page, ui, "Accepted").wait_for(timeout=30_000)
    store = station.home / "store.sqlite"
    source, dump = sqlite3.connect(store), sqlite3.connect(tmp_path / "dump.sqlite")
    source.backup(dump)  # the nightly dump
    source.close()
    dump.close()

    for officer in ("Sau bản sao 1", "Sau bản sao 2"):
        record(page, officer)
    other.seal({**SEIZURE, "narrative": "[DEMO] after the dump"})
    other.sync()
    # The phone learns of the other phone's row at its next sync: now, not in five minutes
    # (its own last sync may have ended just before that row was pushed).
    page.get_by_role("button", name=ui("Sync now")).first.click()
    wait_for(lambda: phone.row_counts()["outbox"] == 0 and held_size(phone) == 6)

    station.stop()  # the disaster, and the restore of the dump
    with station.app.app_context():
        db.engine.dispose()
    for suffix in ("-wal", "-shm"):
        (store.parent / (store.name + suffix)).unlink(missing_ok=True)
    shutil.copy(tmp_path / "dump.sqlite", store)
    result = station.app.test_cli_runner().invoke(args=["ledger", "restored", "--yes"])
    assert result.exit_code == 0, result.output
    station.start()

    sync_now(page)  # learns of the restore and pushes again what the server lost
    page.locator("p.log-restored").wait_for(timeout=30_000)
    wait_for(lambda: phone.row_counts()["outbox"] == 0)
    sync_now(page)
    assert phone.meta("logAlarm") is None and phone.meta("logRestored")["resent"] == 2
    with station.app.app_context():
        officers = db.session.scalars(select(Record.officer_name).where(Record.device_id != other.device_id)).all()
        assert sorted(officers) == ["Sau bản sao 1", "Sau bản sao 2", "Trước bản sao"]  # each once
        rids = db.session.scalars(select(Record.rid)).all()
        assert len(rids) == len(set(rids))
    assert station.app.test_cli_runner().invoke(args=["ledger", "verify"]).exit_code == 0
    assert phone.errors == []


def test_settings_show_the_head_and_its_export_is_proved_by_the_server(station, phone, covered, tmp_path):
    page = covered
    page.get_by_role("button", name=ui("Settings")).click()
    page.get_by_role("heading", name=ui("The server's ledger")).wait_for()
    head = phone.meta("logHead")
    facts = page.locator("dl.ledger-head").inner_text()
    assert head["root"] in facts and "7" in facts
    assert json.loads(page.locator("svg.qr").get_attribute("data-payload")) == head
    with page.expect_download() as download:
        page.get_by_role("button", name=ui("Export the ledger head")).click()
    exported = tmp_path / "head.json"
    download.value.save_as(exported)
    proved = station.app.test_cli_runner().invoke(args=["ledger", "prove", str(exported)])
    assert proved.exit_code == 0 and "contains the head of 7 records" in proved.output
    insider.cut_tail(station.app, 6)
    refused = station.app.test_cli_runner().invoke(args=["ledger", "prove", str(exported)])
    assert refused.exit_code != 0
    assert phone.errors == []


def test_a_revoked_phone_needs_its_proofs_before_it_lets_envelopes_go(station, phone):
    page = phone.open()
    enroll(page, station.enrollment_url(), PIN, ui)
    record(page, "Trước khi thu hồi")
    record_state(page, ui, "Accepted").wait_for(timeout=30_000)
    station.stop()
    record(page, "Sau khi thu hồi")
    with station.app.app_context():
        devices.revoke(db.session.scalars(select(Device.id)).one())
    station.start()
    page.get_by_role("button", name=ui("Sync now")).click()
    page.get_by_role("heading", name=ui("This phone was revoked")).wait_for(timeout=30_000)
    assert phone.row_counts()["stranded"] == 0  # its receipt's inclusion proof verified: the server holds it
    with station.app.app_context():
        assert station.app.test_cli_runner().invoke(args=["ledger", "verify"]).exit_code == 0
