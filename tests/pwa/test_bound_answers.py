"""Trust, part 1, in Chromium: an answer is the server's word only on the request it
answers. Someone on the link (a rogue proxy, intercepted TLS) captures answers with the
fault proxy's capture hook and serves them again: a revocation captured from one phone,
a success turned into a 403, an old answer to the same phone, a forged 410 with an old
keys page. None changes anything; a genuinely revoked phone pushes first, then wipes,
and keeps what the server did not take."""
import json

import pytest
from sqlalchemy import select

from server import crypto
from server.demo.fault_proxy import with_status
from server.devices import service as devices
from server.devices.models import Device
from server.extensions import db
from server.keys import service as keys
from server.store.models import Record
from server.sync.models import LedgerEntry, Quarantine
from tests.helpers import count

from .harness import (Phone, Station, catalog, enroll, fill_minimal_seizure, record_state, server_catalog, submit,
                      wait_for, wait_until)

PIN = "271828"
PUSH = "/api/v1/sync/push"
KEYS = "/api/v1/sync/pull/keys"
ui, label = catalog("vi"), server_catalog("vi")


@pytest.fixture
def rig(proxied, tmp_path):
    station, proxy = proxied
    phones = []

    def phone(name):
        made = Phone(tmp_path / name) if not phones else phones[0].another(tmp_path / name)
        phones.append(made)
        return made

    yield station, proxy, phone
    for made in reversed(phones):
        made.quit()


def device_ids(station):
    with station.app.app_context():
        return db.session.scalars(select(Device.id).order_by(Device.enrolled_at)).all()


def served_and_refused(proxy, page, path=PUSH):
    """Wait until the proxy has served its canned answer to a "Sync now" and that sync is
    over (the button is back), then check that the app took it as no answer."""
    wait_for(lambda: any(outcome == "served" and p.startswith(path) for _, p, outcome in proxy.events))
    wait_until(page, """(label) => {
      const button = document.querySelector("section.sync-status button");
      return button && !button.disabled && button.textContent === label;
    }""", ui("Sync now"))
    # Not a sync: the connection line says the last attempt failed, and nothing counted as answered.
    assert page.locator("section.sync-status p.connection-failed, section.sync-status p.connection-unreachable").first.is_visible()
    proxy.events.clear()


def verifies_for_its_own_request(station, exchange):
    """The captured answer is genuine: it checks against the request it was made for."""
    with station.app.app_context():
        signing = keys.signing_key().public_key
    _kid, time_ms, signature = exchange.response_headers["wl-answer-signature"].split(".")
    message = crypto.answer_message(exchange.request_headers["wl-nonce"], exchange.method, exchange.path,
                                    exchange.status, int(time_ms), exchange.response_body)
    crypto.verify(signing, message, crypto.b64d(signature))


def sync_now(page):
    page.get_by_role("button", name=ui("Sync now")).click()


def test_a_captured_answer_changes_nothing_on_any_other_request(rig):
    station, proxy, make_phone = rig
    station.start()
    phone_a, phone_b = make_phone("revoked"), make_phone("bystander")
    page_a, page_b = phone_a.open(), phone_b.open()
    enroll(page_a, station.enrollment_url(officer="Phone A"), PIN, ui)
    enroll(page_b, station.enrollment_url(officer="Phone B"), PIN, ui)
    device_a, device_b = device_ids(station)

    # B's own genuine answer, captured for later.
    b_answers = proxy.capture(PUSH)
    fill_minimal_seizure(page_b, ui, label, "Người thứ nhất B")
    submit(page_b, ui)
    record_state(page_b, ui, "Accepted").wait_for(timeout=30_000)
    wait_for(lambda: b_answers)
    [b_first] = b_answers

    # A is revoked; its next push gets the genuine 403, which the adversary keeps.
    with station.app.app_context():
        devices.revoke(device_a)
    a_answers = proxy.capture(PUSH)
    fill_minimal_seizure(page_a, ui, label, "Người của máy A")
    submit(page_a, ui)
    page_a.get_by_role("heading", name=ui("This phone was revoked")).wait_for(timeout=30_000)
    wait_for(lambda: a_answers)
    [revocation] = a_answers
    assert (revocation.status, json.loads(revocation.response_body)["code"]) == (403, "device_revoked")
    verifies_for_its_own_request(station, revocation)  # the captured answer is the real thing
    # A pushed first, then wiped: its record is in quarantine, and it kept nothing it need not.
    with station.app.app_context():
        assert count(Quarantine, device_id=device_a, code="device_revoked") == 1
    assert phone_a.row_counts() == {**{name: 0 for name in phone_a.row_counts()}, "meta": 1}

    # B types a record; every answer the adversary serves it is refused, and nothing changes.
    station.stop()  # the real server is out of the picture while the adversary answers
    fill_minimal_seizure(page_b, ui, label, "Người thứ hai B")
    submit(page_b, ui)
    record_state(page_b, ui, "Waiting").wait_for()
    station.start()
    for forged in (revocation.response,                      # A's 403, replayed to B
                   with_status(b_first.response, 403),        # B's signed 200, served as a 403
                   b_first.response):                         # B's old 200, replayed to a later push
        proxy.serve(PUSH, forged)
        sync_now(page_b)
        served_and_refused(proxy, page_b)
        assert page_b.get_by_role("heading", name=ui("This phone was revoked")).count() == 0
        assert phone_b.row_counts()["outbox"] == 1
        assert phone_b.meta("device")["id"] == device_b
        record_state(page_b, ui, "Waiting").wait_for()

    # Positive control: with the link clean again, B syncs normally.
    sync_now(page_b)
    wait_for(lambda: phone_b.row_counts()["outbox"] == 0)
    record_state(page_b, ui, "Accepted").nth(1).wait_for()
    with station.app.app_context():
        officers = sorted(r.officer_name for r in db.session.scalars(select(Record).filter_by(device_id=device_b)))
        assert officers == ["Người thứ hai B", "Người thứ nhất B"]
        assert count(LedgerEntry, device_id=device_b) == 2
    assert phone_a.errors == [] and phone_b.errors == []


def test_a_forged_410_and_an_old_keys_page_never_take_the_phone_back_to_a_retired_key(rig):
    station, proxy, make_phone = rig
    station.start()
    phone = make_phone("phone")
    page = phone.open()
    old_pages = proxy.capture(KEYS)  # the keys page of enrollment day, epoch 1 current
    enroll(page, station.enrollment_url(), PIN, ui)
    wait_for(lambda: old_pages)
    with station.app.app_context():
        retired = keys.current_intake().kid
        current = keys.rotate_intake().kid
    sync_now(page)
    wait_for(lambda: next(k for k in phone.meta("serverKeys")["intake"] if k["current"])["kid"] == current)

    proxy.serve(KEYS, with_status(old_pages[0].response, 410, "Gone"))  # "start over"
    proxy.serve(KEYS, old_pages[0].response)  # then the old page, epoch 1 current
    for _ in range(2):
        sync_now(page)
        served_and_refused(proxy, page, KEYS)
    intake = phone.meta("serverKeys")["intake"]
    assert [(k["kid"], k["epoch"], k["current"]) for k in intake] == [(current, 2, True), (retired, 1, False)]

    fill_minimal_seizure(page, ui, label, "Người niêm phong khóa mới")
    submit(page, ui)
    record_state(page, ui, "Accepted").wait_for(timeout=30_000)
    with station.app.app_context():
        [entry] = db.session.scalars(select(LedgerEntry)).all()
        assert json.loads(entry.header)["kid"] == current
    assert phone.errors == []


def test_a_revoked_phone_pushes_first_then_wipes_and_keeps_what_got_no_receipt(tmp_path):
    station = Station(tmp_path / "server")
    station.env["WILDLEDGER_REVOKED_SEQ_MARGIN"] = "1"
    phone = Phone(tmp_path / "profile")
    try:
        station.start()
        page = phone.open()
        enroll(page, station.enrollment_url(), PIN, ui)
        fill_minimal_seizure(page, ui, label, "Đã gửi trước")
        submit(page, ui)
        record_state(page, ui, "Accepted").wait_for(timeout=30_000)
        [device_id] = device_ids(station)

        station.stop()  # three more sealed offline (seq 2, 3, 4); then the phone is revoked
        for n in range(3):
            fill_minimal_seizure(page, ui, label, f"Ngoại tuyến {n}")
            submit(page, ui)
        with station.app.app_context():
            devices.revoke(device_id)
        station.start()
        sync_now(page)
        page.get_by_role("heading", name=ui("This phone was revoked")).wait_for(timeout=30_000)

        # Seq 2 is within the cap (highest seq at revocation, 1, plus the margin, 1): quarantined,
        # with a receipt. Seq 3 and 4 are refused: stored nowhere on the server, kept on the phone.
        with station.app.app_context():
            assert [(q.seq, q.code) for q in db.session.scalars(select(Quarantine))] == [(2, "device_revoked")]
        stranded = [[entry["seq"], sorted(entry["envelope"])] for entry in phone.rows("stranded")]
        assert sorted(stranded) == [[3, ["ct", "h", "sig"]], [4, ["ct", "h", "sig"]]]
        counts = phone.row_counts()
        assert (counts.pop("meta"), counts.pop("stranded")) == (1, 2)
        assert set(counts.values()) == {0}  # device key, drafts, copies, receipts, reference data
        assert page.get_by_text(ui("{n} sealed record never reached the server. It is encrypted and reveals nothing. "
                                   "Give this phone to your supervisor so that it can be carried in.",
                                   "{n} sealed records never reached the server. They are encrypted and reveal "
                                   "nothing. Give this phone to your supervisor so that they can be carried in.",
                                   n=2)).is_visible()
        assert "Ngoại tuyến" not in phone.dump_storage()
        assert phone.errors == []
    finally:
        phone.quit()
        station.close()
