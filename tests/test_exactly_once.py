"""Exactly once: duplicates, reordering, concurrency, and missing sequence numbers."""
import json
import random

from sqlalchemy import func, select

from server.extensions import db
from server.store.models import Record
from server.sync import ledger
from server.sync.models import LedgerEntry
from tests.conftest import enroll_device
from tests.helpers import SEIZURE, counts


def _body(device, rids):
    return json.dumps({"records": [device.outbox[rid] for rid in rids]}).encode()


def test_same_batch_twice_and_reordered(app, device):
    rids = [device.seal({**SEIZURE, "narrative": f"Place {n}"}) for n in range(6)]
    envelopes = dict(device.outbox)
    first = device.push()
    assert [r["status"] for r in first["receipts"]] == ["accepted"] * 6
    log_index = {r["rid"]: r["log_index"] for r in first["receipts"]}

    device.outbox = dict(envelopes)
    assert [r["status"] for r in device.push()["receipts"]] == ["duplicate"] * 6
    shuffled = rids[:]
    random.Random(7).shuffle(shuffled)
    device.outbox = {rid: envelopes[rid] for rid in shuffled}
    again = device.push()["receipts"]
    assert [r["rid"] for r in again] == shuffled
    assert all(r["status"] == "duplicate" and r["log_index"] == log_index[r["rid"]] for r in again)
    assert counts(app) == {"ledger": 6, "records": 6, "quarantine": 0}
    with app.app_context():
        assert ledger.verify().ok


def test_duplicate_inside_one_batch(app, device):
    rid = device.seal(SEIZURE)
    body = json.dumps({"records": [device.outbox[rid]] * 3}).encode()
    answer = device.post_signed(device.PUSH, body).json()
    assert [r["status"] for r in answer["receipts"]] == ["accepted", "duplicate", "duplicate"]
    assert counts(app)["records"] == 1


def test_different_envelope_under_an_existing_rid_is_a_conflict(app, device):
    rid = device.seal(SEIZURE)
    device.sync()
    device.seal({**SEIZURE, "narrative": "elsewhere"}, rid=rid)
    conflicting = device.outbox[rid]
    [receipt] = device.sync()
    assert (receipt["status"], receipt["code"], receipt["log_index"]) == ("conflict", "rid_conflict", 2)
    assert receipt["leaf"]["status"] == "conflict"
    assert counts(app) == {"ledger": 2, "records": 1, "quarantine": 1}  # logged beside the record
    with app.app_context():
        assert db.session.scalars(select(Record)).one().content["narrative"] == SEIZURE["narrative"]
    device.outbox[rid] = conflicting  # sent again: the same receipt, nothing new stored
    [again] = device.sync()
    assert (again["status"], again["log_index"]) == ("conflict", 2)
    assert counts(app) == {"ledger": 2, "records": 1, "quarantine": 1}


def test_skipped_seq_is_reported_missing(app, device):
    rids = [device.seal(SEIZURE) for _ in range(6)]
    lost = {rids[1], rids[4]}  # seq 2 and 5 never reach the server
    answer = device.push([rid for rid in rids if rid not in lost])
    assert answer["missing"] == [2, 5]
    answer = device.push(sorted(lost, key=rids.index))
    assert answer["missing"] == []


def test_eight_clients_released_together_store_each_record_once(pg_server):
    """Real HTTP (gunicorn, 4 processes) on PostgreSQL: ten clients push overlapping
    batches at the same instant, from a barrier."""
    import threading

    from server.demo.simulator import HttpTransport

    app, base_url = pg_server
    phones = []
    for _ in range(2):
        phone = enroll_device(app, transport=HttpTransport(base_url))
        for n in range(20):
            phone.seal({**SEIZURE, "narrative": f"Crossing {n}"})
        phones.append(phone)
    clients = 10
    barrier = threading.Barrier(clients)
    results, errors = [], []

    def client(number):
        phone = phones[number % 2]
        rids = list(phone.outbox)
        random.Random(number).shuffle(rids)
        body = _body(phone, rids)
        headers = phone.signed_headers(phone.PUSH, body)  # each client its own nonce
        transport = HttpTransport(base_url)
        barrier.wait()
        try:
            answer = transport.request("POST", phone.PUSH, body, headers)
            results.append((number % 2, answer.status, answer.json()))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == [] and len(results) == clients
    assert all(status == 200 for _, status, _ in results)
    for which in (0, 1):
        statuses = {}
        for phone_number, _, body in results:
            if phone_number == which:
                for receipt in body["receipts"]:
                    statuses.setdefault(receipt["rid"], []).append(receipt["status"])
        assert len(statuses) == 20
        for rid, seen in statuses.items():
            assert sorted(seen) == ["accepted"] + ["duplicate"] * (clients // 2 - 1), rid

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Record)) == 40
        assert db.session.scalar(select(func.count(func.distinct(LedgerEntry.rid)))) == 40
        assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 40
    result = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert result.exit_code == 0 and "Ledger ok: 40 rows" in result.output
