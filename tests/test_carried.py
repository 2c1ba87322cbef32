"""Carried-in sync (issue 17, PROTOCOL.md §14): a phone that never reaches the server exports
its outbox; a supervisor uploads the file in the console; each envelope is taken as if the
phone had pushed it, exactly once, with a receipt per record. A damaged envelope is
quarantined alone; a damaged file is refused whole and nothing in it is stored."""
import io
import json
import re
import secrets
import threading
import time
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from server import crypto, tasks
from server.audit.models import AuditEntry
from server.devices import service as devices
from server.extensions import db
from server.store.models import Record
from server.sync import carried
from server.sync.models import CarriedUpload, LedgerEntry, Quarantine
from tests.conftest import enroll_device
from tests.helpers import SEIZURE
from tests.test_console import TOKEN, Person

REDIS_URL = "redis://127.0.0.1:6379/15"


def _upload(client, data, name="outbox.wlout"):
    token = TOKEN.search(client.get("/console/carried").text)[1]
    return client.post("/console/carried", data={"csrf_token": token, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def _supervisor(app, username="ana", role="supervisor", agency="VN-HQ-QN"):
    client = app.test_client()
    Person(app, username, role=role, agency=agency).sign_in(client)
    return client


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _statuses(page):
    return re.findall(r'data-rid="([^"]*)" data-status="([a-z]+)"', page)


def test_a_phone_without_signal_is_carried_in_once_and_later_learns_its_records_arrived(app):
    phone = enroll_device(app, "VN-HQ-QN")
    rids = [phone.seal(SEIZURE) for _ in range(3)]
    data = phone.export_outbox()
    client = _supervisor(app)

    answer = _upload(client, data)
    assert answer.status_code == 302
    page = client.get(answer.location).text
    assert 'data-status="done"' in page
    assert _statuses(page) == [(rid, "accepted") for rid in rids], re.findall(r'class="badge">([^<]+)', page)
    assert f'href="/console/records/{rids[0]}"' in page
    assert _count(app, Record) == 3

    again = client.get(_upload(client, data).location).text  # the same file once more changes nothing
    assert _statuses(again) == [(rid, "duplicate") for rid in rids]
    assert (_count(app, Record), _count(app, LedgerEntry) - _count_anchors(app)) == (3, 3)

    receipts = phone.sync()  # the phone's next push hears that its records are held
    assert [r["status"] for r in receipts] == ["duplicate"] * 3 and phone.outbox == {}
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("carried.%")).order_by(AuditEntry.seq)).all()
    assert actions == ["carried.uploaded", "carried.taken", "carried.uploaded", "carried.taken"]


def _count_anchors(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.status == "anchor"))


def test_a_byte_changed_in_one_envelopes_ciphertext_quarantines_that_record_only(app):
    phone = enroll_device(app, "VN-HQ-QN")
    rids = [phone.seal(SEIZURE) for _ in range(3)]
    ct = bytearray(crypto.b64d(phone.outbox[rids[1]]["ct"]))
    ct[80] ^= 0x20
    phone.outbox[rids[1]] = {**phone.outbox[rids[1]], "ct": crypto.b64e(bytes(ct))}
    client = _supervisor(app)
    page = client.get(_upload(client, phone.export_outbox()).location).text
    assert _statuses(page) == [(rids[0], "accepted"), (rids[1], "quarantined"), (rids[2], "accepted")]
    assert "bad_signature" in page
    with app.app_context():
        held = db.session.scalar(select(Quarantine).filter_by(rid=rids[1]))
        assert (held.code, held.status) == ("bad_signature", "held")
    assert _count(app, Record) == 2


def _framing_edits(data):
    """Ways a file's framing gets damaged on a USB stick or in a chat app."""
    head_end = data.index(b"\n")
    first_envelope = data.index(b'{"h":"', head_end)
    digit = data.index(b'"exported_at":') + len(b'"exported_at":')
    return {
        "a digit of the head": data[:digit] + bytes([data[digit] ^ 1]) + data[digit + 1:],
        "a quote of an envelope line": data[:first_envelope + 1] + b"'" + data[first_envelope + 2:],
        "the end line cut off": data[:-20],
        "an envelope line lost": data[:head_end + 1] + data[data.index(b"\n", head_end + 1) + 1:],
        "the end's count": data.replace(b'{"end":3', b'{"end":4'),
        "carriage returns": data.replace(b"\n", b"\r\n"),
        "nothing at all": b"",
    }


@pytest.mark.parametrize("edit", ["a digit of the head", "a quote of an envelope line", "the end line cut off",
                                  "an envelope line lost", "the end's count", "carriage returns", "nothing at all"])
def test_a_byte_changed_in_the_files_framing_refuses_it_whole_and_stores_nothing(app, edit):
    phone = enroll_device(app, "VN-HQ-QN")
    for _ in range(3):
        phone.seal(SEIZURE)
    damaged = _framing_edits(phone.export_outbox())[edit]
    client = _supervisor(app)
    ledger_before = _count(app, LedgerEntry)
    answer = _upload(client, damaged)
    assert answer.status_code == 422
    assert 'data-code="carried_file_invalid"' in answer.text and "Nothing in it was taken" in answer.text
    assert (_count(app, CarriedUpload), _count(app, Record), _count(app, Quarantine)) == (0, 0, 0)
    assert _count(app, LedgerEntry) == ledger_before


def test_a_file_from_a_revoked_phone_has_its_records_quarantined(app):
    phone = enroll_device(app, "VN-HQ-QN")
    rids = [phone.seal(SEIZURE) for _ in range(2)]
    with app.app_context():
        devices.revoke(phone.device_id)
        db.session.commit()
    client = _supervisor(app)
    page = client.get(_upload(client, phone.export_outbox()).location).text
    assert _statuses(page) == [(rid, "quarantined") for rid in rids] and "device_revoked" in page
    assert _count(app, Record) == 0


def test_only_a_phone_of_ones_own_agency_is_carried_in_except_by_an_admin(app):
    phone = enroll_device(app, "CN-HG-DX")
    phone.seal({**SEIZURE, "agency": "CN-HG-DX"})
    data = phone.export_outbox()
    answer = _upload(_supervisor(app), data)
    assert answer.status_code == 422 and 'data-code="carried_unknown_device"' in answer.text
    assert _count(app, CarriedUpload) == 0
    admin = _supervisor(app, "root", role="admin")
    assert _upload(admin, data).status_code == 302 and _count(app, Record) == 1
    assert _supervisor(app, "bao").get(f"/console/carried/{_token(app)}").status_code == 404  # not theirs to see


def _token(app):
    with app.app_context():
        return db.session.scalar(select(CarriedUpload.token))


def test_the_file_format_is_the_one_the_protocol_describes():
    envelopes = [{"h": "aGVhZA", "ct": "Y3Q", "sig": "c2ln"}]
    data = carried.write("5f0c2a1e-0000-4000-8000-000000000001", envelopes, 1764300000000, "0.5.0")
    head, envelope, end, tail = data.split(b"\n")
    assert head == (b'{"format":"wildledger-outbox","v":1,"dev":"5f0c2a1e-0000-4000-8000-000000000001",'
                    b'"count":1,"exported_at":1764300000000,"app":"0.5.0"}')
    assert envelope == b'{"h":"aGVhZA","ct":"Y3Q","sig":"c2ln"}' and tail == b""
    assert end.startswith(b'{"end":1,"head_sha256":"')
    assert carried.parse(data).envelopes == envelopes


# -- the task queue, with a real worker on Redis ---------------------------------------------------

@pytest.fixture
def redis_queue(app):
    name = f"wildledger-test-{secrets.token_hex(4)}"
    tasks.configure(REDIS_URL, name)
    yield
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"*{name}*"):
        client.delete(key)
    tasks.configure("immediate")


def _run_worker(stop):
    consumer = tasks.consumer()
    thread = threading.Thread(target=consumer.run, daemon=True)
    consumer._set_signal_handlers = lambda: None  # noqa: SLF001 - signals belong to the main thread
    thread.start()
    stop.append(consumer)
    return thread


def _wait_done(app, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with app.app_context():
            statuses = db.session.scalars(select(CarriedUpload.status)).all()
        if statuses and all(status == "done" for status in statuses):
            return statuses
        time.sleep(0.1)
    raise AssertionError(f"uploads not taken: {statuses}")


def test_uploads_wait_in_the_queue_and_a_worker_takes_them_even_after_a_crash(app, redis_queue):
    phone = enroll_device(app, "VN-HQ-QN")
    rids = [phone.seal(SEIZURE) for _ in range(3)]
    client = _supervisor(app)
    page = client.get(_upload(client, phone.export_outbox()).location).text
    assert 'data-status="queued"' in page and 'http-equiv="refresh"' in page  # no worker yet: it waits
    assert tasks.huey.pending_count() == 1

    tasks.huey.flush()  # the queue lost it (a worker killed mid-task): the database still knows
    with app.app_context():
        upload = db.session.scalar(select(CarriedUpload))
        upload.status = "running"
        db.session.commit()
    stop = []
    _run_worker(stop)
    try:
        _wait_done(app)
    finally:
        stop[0].stop(graceful=True)
    page = client.get(f"/console/carried/{_token(app)}").text
    assert _statuses(page) == [(rid, "accepted") for rid in rids] and 'http-equiv="refresh"' not in page


VECTORS = json.loads((Path(__file__).parent / "vectors" / "outbox-vectors.json").read_text(encoding="utf-8"))


def test_the_server_writes_and_reads_the_frozen_vector_and_refuses_each_damaged_one():
    file = VECTORS["file"].encode("ascii")
    assert carried.write(VECTORS["dev"], VECTORS["envelopes"], VECTORS["exported_at"], VECTORS["app"]) == file
    parsed = carried.parse(file)
    assert (parsed.dev, parsed.exported_at, parsed.app, parsed.envelopes) == (
        VECTORS["dev"], VECTORS["exported_at"], VECTORS["app"], VECTORS["envelopes"])
    for case in VECTORS["refused"]:
        with pytest.raises(carried.CarriedFileError) as refused:
            carried.parse(case["file"].encode("ascii"))
        assert refused.value.code == "carried_file_invalid", case["why"]
