"""Answers bound to their request (PROTOCOL.md §5), key epochs (§7) and a revocation that
loses no evidence (§8), on the server's side; the browser tests show the phone's."""
import json

import pytest
from sqlalchemy import select

from server import crypto
from server.demo.simulator import BadAnswer, DeviceError
from server.devices import service as devices
from server.extensions import db
from server.keys import service as keys
from server.reference import publish
from server.sync.models import Quarantine
from tests.conftest import _empty, enroll_device, enrollment_token, make_app, prepare
from tests.helpers import SEIZURE, counts


def _exchange(device, method, path, body=b""):
    headers = device.signed_headers(path, body, method)
    return headers["Wl-Nonce"], device.transport.request(method, path, body, headers)


def _header(answer, name):
    return {k.lower(): v for k, v in answer.headers.items()}.get(name.lower())


def test_every_answer_is_bound_to_the_request_it_answers(app, device):
    device.seal(SEIZURE)
    body = json.dumps({"records": list(device.outbox.values())}).encode()
    nonce, answer = _exchange(device, "POST", device.PUSH, body)
    assert answer.status == 200
    device.check_answer(answer, nonce, "POST", device.PUSH)  # the genuine request
    _kid, time_ms, _sig = _header(answer, "Wl-Answer-Signature").split(".")
    assert abs(int(time_ms) - answer.json()["server_time"]) < 1000
    for replayed_to in [("other-nonce-123", "POST", device.PUSH), (nonce, "GET", device.PUSH),
                        (nonce, "POST", "/api/v1/sync/pull/keys?since=0")]:
        with pytest.raises(BadAnswer):
            device.check_answer(answer, *replayed_to)
    as_403 = type(answer)(403, answer.headers, answer.body)  # a signed 200 served with status 403
    with pytest.raises(BadAnswer):
        device.check_answer(as_403, nonce, "POST", device.PUSH)


def test_refusals_are_bound_too_even_to_an_unauthenticated_request(app, device, client):
    answer = client.post(device.PUSH, data=b"{}", headers={"Wl-Nonce": "unsigned-request-1"})
    assert answer.status_code == 401
    _kid, time_ms, signature = answer.headers["Wl-Answer-Signature"].split(".")
    message = crypto.answer_message("unsigned-request-1", "POST", device.PUSH, 401, int(time_ms), answer.get_data())
    crypto.verify(device.signing_key, message, crypto.b64d(signature))
    # No readable nonce: bound to the empty nonce, which no phone ever sends.
    answer = client.post(device.PUSH, data=b"{}", headers={"Wl-Nonce": "bad nonce!"})
    _kid, time_ms, signature = answer.headers["Wl-Answer-Signature"].split(".")
    crypto.verify(device.signing_key, crypto.answer_message("", "POST", device.PUSH, 401, int(time_ms),
                                                            answer.get_data()), crypto.b64d(signature))


def test_the_legacy_signature_rides_along_on_answers_an_old_app_may_act_on_safely(app, device):
    device.seal(SEIZURE)
    _nonce, answer = _exchange(device, "POST", device.PUSH,
                               json.dumps({"records": list(device.outbox.values())}).encode())
    _kid, signature = _header(answer, "Wl-Server-Signature").split(".")
    crypto.verify(device.signing_key, crypto.response_message(answer.body), crypto.b64d(signature))
    with app.app_context():
        devices.revoke(device.device_id)
    _nonce, revoked = _exchange(device, "POST", device.PUSH, json.dumps({"records": [device.outbox[next(iter(
        device.outbox))]]}).encode())
    assert revoked.status == 403
    # A body-only signature on a 403 could be replayed to every old app and make it wipe itself.
    assert _header(revoked, "Wl-Server-Signature") is None
    assert _header(revoked, "Wl-Answer-Signature")


def test_the_legacy_signature_can_be_turned_off(database_url, tmp_path):
    app = prepare(make_app(database_url, tmp_path, LEGACY_ANSWER_SIGNATURE=False))
    device = enroll_device(app)
    _nonce, answer = _exchange(device, "GET", "/api/v1/sync/pull/keys?since=0")
    assert answer.status == 200 and _header(answer, "Wl-Server-Signature") is None


def test_enrollment_binds_its_answer_to_the_phone_s_nonce(app, client):
    token, _ = enrollment_token(app)
    key = crypto.generate_key()
    body = json.dumps({"token": token, "public_key": crypto.b64e(crypto.public_raw(key)),
                       "proof": crypto.b64e(crypto.sign(key, crypto.enroll_message(token)))}).encode()
    answer = client.post("/api/v1/enroll", data=body, headers={"Content-Type": "application/json",
                                                                "Wl-Nonce": "enroll-nonce-0001"})
    assert answer.status_code == 201
    signing = crypto.b64d(answer.json["signing_key"]["public_key"])
    _kid, time_ms, signature = answer.headers["Wl-Answer-Signature"].split(".")
    crypto.verify(signing, crypto.answer_message("enroll-nonce-0001", "POST", "/api/v1/enroll", 201, int(time_ms),
                                                 answer.get_data()), crypto.b64d(signature))


def test_a_revoked_phone_gets_a_receipt_for_each_envelope_it_pushed(app, device):
    device.seal(SEIZURE)
    device.sync()
    pending = [device.seal({**SEIZURE, "narrative": f"offline {n}"}) for n in range(3)]
    with app.app_context():
        devices.revoke(device.device_id)
    with pytest.raises(DeviceError) as caught:
        device.push(pending)
    problem = caught.value.answer.json()
    assert (caught.value.answer.status, problem["code"]) == (403, "device_revoked")
    assert [(r["i"], r["rid"], r["status"], r["code"]) for r in problem["receipts"]] == [
        (i, rid, "quarantined", "device_revoked") for i, rid in enumerate(pending)]
    with app.app_context():
        held = db.session.scalars(select(Quarantine).order_by(Quarantine.id)).all()
        assert [(q.rid, q.code, q.status) for q in held] == [(rid, "device_revoked", "held") for rid in pending]
    assert counts(app) == {"ledger": 4, "records": 1, "quarantine": 3}  # the log holds what it quarantined


def test_what_the_ledger_already_holds_is_a_duplicate_even_after_revocation(app, device):
    rid = device.seal(SEIZURE)
    envelope = device.outbox[rid]
    device.sync()
    with app.app_context():
        devices.revoke(device.device_id)
    device.outbox[rid] = envelope  # the phone never heard the answer and sends it again
    with pytest.raises(DeviceError) as caught:
        device.push([rid])
    [receipt] = caught.value.answer.json()["receipts"]
    assert (receipt["status"], receipt["log_index"]) == ("duplicate", 1)
    assert counts(app) == {"ledger": 1, "records": 1, "quarantine": 0}


def test_records_sealed_far_beyond_the_revocation_are_refused_not_stored(database_url, tmp_path):
    app = prepare(make_app(database_url, tmp_path, REVOKED_SEQ_MARGIN=2))
    device = enroll_device(app)
    device.seal(SEIZURE)
    device.sync()  # the server holds seq 1 when the phone is revoked
    rids = [device.seal({**SEIZURE, "narrative": f"after {n}"}) for n in range(4)]  # seq 2–5
    with app.app_context():
        assert devices.revoke(device.device_id).revoked_seq == 1
    with pytest.raises(DeviceError) as caught:
        device.push(rids)
    receipts = caught.value.answer.json()["receipts"]
    assert [(r["status"], r["code"]) for r in receipts] == [("quarantined", "device_revoked")] * 2 + [
        ("refused", "revoked_seq_beyond_cap")] * 2
    assert receipts[2]["message"] and receipts[2]["env_sha256"]
    assert counts(app) == {"ledger": 3, "records": 1, "quarantine": 2}


def test_intake_keys_carry_a_monotonic_epoch(app, device):
    with app.app_context():
        first = keys.current_intake()
        second = keys.rotate_intake()
        third = keys.rotate_intake()
        assert (first.epoch, second.epoch, third.epoch) == (1, 2, 3)
        assert keys.current_intake().kid == third.kid
        publish.publish(["keys"])
    device.pull("keys")
    items = {kid: item for kid, item in device.collections["keys"]["items"].items()}
    assert {item["epoch"]: item["current"] for item in items.values()} == {1: False, 2: False, 3: True}


def test_a_backup_from_before_epochs_restores_in_creation_order(database_url, tmp_path):
    passphrase = "a long passphrase"
    source = prepare(make_app(database_url, tmp_path / "a"))
    with source.app_context():
        keys.rotate_intake()
        expected = [(row.kid, row.epoch) for row in keys.intake_keys()]
        entries = crypto.import_backup(keys.backup(passphrase), passphrase)["keys"]
    # A backup as `keys backup` wrote it before epochs existed: no "epoch" in its entries.
    old_format = crypto.export_backup({"keys": [{k: v for k, v in e.items() if k != "epoch"} for e in entries]},
                                      passphrase)
    target = make_app(database_url, tmp_path / "b")
    with target.app_context():
        _empty(db.engine)
        keys.restore(old_format, passphrase)
        assert [(row.kid, row.epoch) for row in keys.intake_keys()] == expected
    with source.app_context():  # re-wrapping keys in place (a lost KEK) keeps their epochs
        keys.restore(old_format, passphrase, replace=True)
        assert [(row.kid, row.epoch) for row in keys.intake_keys()] == expected


def test_the_openapi_document_declares_the_signing_scheme_and_its_headers(client):
    document = client.get("/api/openapi.json").get_json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["deviceSignature"]["in"] == "header" and schemes["deviceSignature"]["name"] == "Wl-Signature"
    assert "PROTOCOL.md" in schemes["deviceSignature"]["description"]
    assert schemes["bearerToken"] == {**schemes["bearerToken"], "type": "http", "scheme": "bearer"}
    paths = document["paths"]
    for path, method in [("/api/v1/sync/push", "post"), ("/api/v1/sync/pull/{collection}", "get")]:
        assert paths[path][method]["security"] == [{"deviceSignature": []}]
        headers = {p["name"]: p for p in paths[path]["parameters"] if p["in"] == "header"}
        assert set(headers) == {"Wl-Device", "Wl-Timestamp", "Wl-Clock-Offset", "Wl-Nonce"}
        assert not headers["Wl-Clock-Offset"]["required"] and headers["Wl-Nonce"]["required"]
    for path, method, status in [("/api/v1/sync/push", "post", "200"), ("/api/v1/sync/pull/{collection}", "get", "200"),
                                 ("/api/v1/enroll", "post", "201")]:
        assert {"Wl-Answer-Signature", "Wl-Server-Signature"} <= set(paths[path][method]["responses"][status]["headers"])
    assert [p["name"] for p in paths["/api/v1/enroll"]["parameters"]] == ["Wl-Nonce"]
    assert paths["/api/v1/records"]["get"]["security"] == [{"bearerToken": []}]
