"""Issue 4, browser test 3: the server is SIGKILLed right after the ledger commit and before
it answers, and again while a batch body is still uploading. After each restart the phone
syncs again: nothing is lost and nothing is duplicated.

The phone reaches the server through the project's fault proxy (server/demo/fault_proxy.py),
which can cut an upload part way and call back the test at that moment."""
import pytest
from sqlalchemy import select

from server.extensions import db
from server.store.models import Record
from server.sync.models import LedgerEntry
from tests.helpers import counts as store_counts

from .harness import Phone, catalog, enroll, fill_minimal_seizure, record_state, server_catalog, submit, unlock, wait_for

PIN = "161803"
PUSH = "/api/v1/sync/push"
ui, label = catalog("vi"), server_catalog("vi")


@pytest.fixture
def rig(proxied, tmp_path):
    station, proxy = proxied
    phone = Phone(tmp_path / "profile")
    yield station, proxy, phone
    phone.quit()


def counts(station):
    return store_counts(station.app)


def test_3_sigkill_after_the_ledger_commit_and_mid_upload_lose_and_duplicate_nothing(rig):
    station, proxy, phone = rig
    station.start()
    page = phone.open()
    enroll(page, station.enrollment_url(), PIN, ui)

    # 1. Killed between the ledger commit and the answer: the ledger holds the record,
    #    the store does not yet, the phone heard nothing.
    station.stop()
    station.start(failpoints=["intake.after_ledger_commit"])
    fill_minimal_seizure(page, ui, label, "Vũ Văn Một")
    submit(page, ui)  # the app syncs at once
    wait_for(lambda: counts(station)["ledger"] == 1)
    station.kill()
    assert counts(station) == {"ledger": 1, "records": 0, "quarantine": 0}
    record_state(page, ui, "Waiting").wait_for()

    # The phone restarts locked; sync needs no PIN.
    phone.close()
    station.start()
    page = phone.open(station.public_url)
    page.get_by_role("button", name=ui("Sync now")).click()
    page.get_by_text(ui("Nothing waiting to sync")).wait_for(timeout=30_000)
    assert counts(station) == {"ledger": 1, "records": 1, "quarantine": 0}

    # 2. Killed while the next batch's body is still on its way.
    unlock(page, PIN, ui)
    proxy.cut_upload_after(900, PUSH, callback=station.kill)
    fill_minimal_seizure(page, ui, label, "Vũ Văn Hai")
    submit(page, ui)
    wait_for(lambda: station.process is None)
    record_state(page, ui, "Waiting").wait_for()
    assert counts(station) == {"ledger": 1, "records": 1, "quarantine": 0}

    station.start()
    page.get_by_role("button", name=ui("Sync now")).click()
    page.get_by_text(ui("Nothing waiting to sync")).wait_for(timeout=30_000)
    assert record_state(page, ui, "Accepted").count() == 2
    assert counts(station) == {"ledger": 2, "records": 2, "quarantine": 0}
    with station.app.app_context():
        officers = sorted(r.content["reporting_officer"] for r in db.session.scalars(select(Record)))
        assert officers == ["Vũ Văn Hai", "Vũ Văn Một"]
        assert [seq for (seq,) in db.session.execute(select(LedgerEntry.seq).order_by(LedgerEntry.seq))] == [1, 2]
    assert phone.errors == []


def test_a_slow_link_shows_sent_and_a_lost_answer_costs_one_resend_not_a_duplicate(rig):
    station, proxy, phone = rig
    station.start()
    page = phone.open()
    enroll(page, station.enrollment_url(), PIN, ui)

    proxy.latency_s = 2.0  # each way: the push is on its way for a while
    fill_minimal_seizure(page, ui, label, "Tạ Văn Chậm")
    submit(page, ui)
    record_state(page, ui, "Sent").wait_for()
    record_state(page, ui, "Accepted").wait_for(timeout=30_000)
    proxy.clear()

    proxy.drop_responses(PUSH, times=1)  # the server files it; the phone never hears
    fill_minimal_seizure(page, ui, label, "Tạ Văn Mất")
    submit(page, ui)
    wait_for(lambda: counts(station)["records"] == 2)
    record_state(page, ui, "Waiting").wait_for()
    page.get_by_role("button", name=ui("Sync now")).click()
    page.get_by_text(ui("Nothing waiting to sync")).wait_for(timeout=30_000)
    assert record_state(page, ui, "Accepted").count() == 2
    assert counts(station) == {"ledger": 2, "records": 2, "quarantine": 0}
    assert [outcome for method, path, outcome in proxy.events if path.startswith(PUSH)].count("dropped") == 1
    assert phone.errors == []
