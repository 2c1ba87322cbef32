"""Every bad input gets its coded error, and nothing is lost or half-written."""
import json
from datetime import timedelta

import pytest

from server import crypto
from server.dbtypes import utcnow
from server.devices import service as devices
from server.devices.models import Device, EnrollmentToken
from server.extensions import db
from server.store.models import Entity, Seizure
from server.sync.models import Quarantine
from tests.conftest import enrollment_token
from tests.helpers import SEIZURE, count, counts


def _rewrite(device, rid, *, header=None, ct=None, sig=None, resign=False):
    envelope = device.outbox[rid]
    h = crypto.b64d(envelope["h"]) if header is None else header
    c = crypto.b64d(envelope["ct"]) if ct is None else ct
    s = crypto.b64d(envelope["sig"]) if sig is None else sig
    if resign:
        s = crypto.sign(device.key, crypto.OUTER + crypto.sha256(h) + crypto.sha256(c))
    device.outbox[rid] = {"h": crypto.b64e(h), "ct": crypto.b64e(c), "sig": crypto.b64e(s)}


def _header(device, rid):
    return json.loads(crypto.b64d(device.outbox[rid]["h"]))


def _encode(header):
    return json.dumps(header, separators=(",", ":")).encode()


def _only_receipt(device):
    [receipt] = device.sync()
    return receipt


def _assert_held(app, code, in_ledger):
    with app.app_context():
        row = db.session.query(Quarantine).one()
        assert (row.code, row.status) == (code, "held")
        assert (row.ledger_idx is not None) == in_ledger
        assert json.loads(row.envelope)["h"]  # the envelope as it came, kept
        assert count(Seizure) == 0 and count(Entity) == 0  # nothing half-written
    assert counts(app)["records"] == 0


def _flip(data, position=-1):
    data = bytearray(data)
    data[position] ^= 0x01
    return bytes(data)


@pytest.mark.parametrize("case, code", [
    ("tampered_header", "bad_signature"),
    ("tampered_ciphertext", "bad_signature"),
    ("bad_signature", "bad_signature"),
    ("short_signature", "bad_signature_length"),
    ("der_length_signature", "bad_signature_length"),
    ("other_device", "device_mismatch"),
    ("not_base64", "malformed_envelope"),
    ("header_not_json", "malformed_envelope"),
    ("header_missing_seq", "malformed_envelope"),
])
def test_envelopes_refused_before_the_ledger_are_quarantined(app, device, case, code):
    rid = device.seal(SEIZURE)
    header = _header(device, rid)
    if case == "tampered_header":
        _rewrite(device, rid, header=_encode({**header, "ts": header["ts"] + 1}))
    elif case == "tampered_ciphertext":
        _rewrite(device, rid, ct=_flip(crypto.b64d(device.outbox[rid]["ct"])))
    elif case == "bad_signature":
        _rewrite(device, rid, sig=bytes(64))
    elif case == "short_signature":
        _rewrite(device, rid, sig=crypto.b64d(device.outbox[rid]["sig"])[:63])
    elif case == "der_length_signature":
        _rewrite(device, rid, sig=bytes(72))
    elif case == "other_device":
        _rewrite(device, rid, header=_encode({**header, "dev": "someone-else"}), resign=True)
    elif case == "not_base64":
        device.outbox[rid]["ct"] = "!!not base64!!"
    elif case == "header_not_json":
        _rewrite(device, rid, header=b"{not json", resign=True)
    elif case == "header_missing_seq":
        _rewrite(device, rid, header=_encode({k: v for k, v in header.items() if k != "seq"}), resign=True)
    receipt = _only_receipt(device)
    assert (receipt["status"], receipt["code"]) == ("quarantined", code)
    assert receipt["message"]
    _assert_held(app, code, in_ledger=False)
    assert counts(app)["ledger"] == 0


def test_ciphertext_signed_by_the_device_but_damaged_is_kept_in_the_ledger(app, device):
    rid = device.seal(SEIZURE)
    _rewrite(device, rid, ct=_flip(crypto.b64d(device.outbox[rid]["ct"])), resign=True)
    receipt = _only_receipt(device)
    assert (receipt["status"], receipt["code"], receipt["log_index"]) == ("quarantined", "decrypt_failed", 1)
    _assert_held(app, "decrypt_failed", in_ledger=True)


def test_inner_signature_must_match_the_content(app, device):
    rid = device.seal(SEIZURE)
    h = crypto.b64d(device.outbox[rid]["h"])
    impostor = crypto.generate_key()  # seals a valid ciphertext with someone else's inner signature
    ct, _ = crypto.seal_record(impostor, device.intake[1], h, json.dumps(
        {"form": "seizure", "version": 1, "fields": SEIZURE}).encode())
    _rewrite(device, rid, ct=ct, resign=True)
    assert _only_receipt(device)["code"] == "inner_signature_invalid"
    _assert_held(app, "inner_signature_invalid", in_ledger=True)


def test_record_sealed_to_an_unknown_intake_key(app, device):
    stranger = crypto.generate_key()
    device.intake = (crypto.key_id(crypto.public_raw(stranger)), crypto.public_raw(stranger))
    device.seal(SEIZURE)
    receipt = _only_receipt(device)
    assert (receipt["code"], receipt["log_index"]) == ("unknown_intake_key", 1)
    _assert_held(app, "unknown_intake_key", in_ledger=True)


@pytest.mark.parametrize("form, version, code", [("seizure", 99, "unknown_form_version"),
                                                 ("tiger_farm", 1, "unknown_form")])
def test_unknown_form_or_version(app, device, form, version, code):
    device.seal(SEIZURE, form=form, version=version)
    assert _only_receipt(device)["code"] == code
    _assert_held(app, code, in_ledger=True)


@pytest.mark.parametrize("change", [
    {"unit": "tonnes"}, {"quantity": "-3"}, {"quantity": "NaN"}, {"quantity": "lots"}, {"term": "XXX"},
    {"count": 2.5}, {"count": "3"}, {"state": "sleeping"}, {"species": ""},
])
def test_invalid_item_values(app, device, change):
    fields = {**SEIZURE, "items": [{**SEIZURE["items"][0], **change}]}
    device.seal(fields)
    receipt = _only_receipt(device)
    assert receipt["code"] == "invalid_fields"
    _assert_held(app, "invalid_fields", in_ledger=True)
    with app.app_context():
        assert "items" in db.session.query(Quarantine).one().detail


@pytest.mark.parametrize("change", [
    {"date": "2026-13-45"}, {"agency": "NO-SUCH-AGENCY"}, {"place": ""}, {"items": []},
    {"suspects": [{"name": "A", "nationality": "XX"}]}, {"surprise": "unknown field"},
    {"place": {**SEIZURE["place"], "name": "Móng\x00Cái"}}, {"narrative": "bell\x07"},
    {"reporting_officer": ""}, {"place": {**SEIZURE["place"], "location_type": "spaceport"}},
    {"place": {**SEIZURE["place"], "gps": {"lat": "91", "lon": "107"}}},
    {"place": {**SEIZURE["place"], "province": "VN-99"}}, {"place": {**SEIZURE["place"], "crossing": "nowhere"}},
    {"route": [{"role": "origin", "country": "ZZ"}]}, {"route": [{"role": "detour", "country": "LA"}]},
    {"estimated_value": {"amount": "100"}}, {"estimated_value": {"amount": "100", "currency": "XYZ"}},
    {"source_grade": {"reliability": "G", "credibility": "2"}},
    {"suspects": [{"name": "B", "phone": "call me"}]}, {"vehicles": [{"registration": ""}]},
    # Control characters where a value is looked up, and where a pattern's $ would pass a
    # final line break.
    {"agency": "VN-HQ-QN\x00"}, {"place": {**SEIZURE["place"], "crossing": "VN-CN:mong-cai--dongxing\x00"}},
    {"suspects": [{"name": "C", "phone": "0399 000 123\n"}]},
])
def test_invalid_field_values(app, device, change):
    device.seal({**SEIZURE, **change})
    assert _only_receipt(device)["code"] == "invalid_fields"
    _assert_held(app, "invalid_fields", in_ledger=True)


def test_unknown_device_is_refused_and_nothing_stored(app, device):
    device.seal(SEIZURE)
    device.device_id = "00000000-0000-0000-0000-000000000000"
    answer = device.post_signed(device.PUSH, b'{"records":[]}')
    assert (answer.status, answer.json()["code"]) == (401, "unknown_device")
    assert counts(app) == {"ledger": 0, "records": 0, "quarantine": 0}


def test_unsigned_and_badly_signed_requests_store_nothing(app, device, client):
    device.seal(SEIZURE)
    body = json.dumps({"records": list(device.outbox.values())}).encode()
    assert client.post(device.PUSH, data=body).json["code"] == "auth_required"
    headers = device.signed_headers(device.PUSH, body)
    headers["Wl-Signature"] = crypto.b64e(bytes(64))
    answer = client.post(device.PUSH, data=body, headers=headers)
    assert (answer.status_code, answer.json["code"]) == (401, "bad_request_signature")
    headers = device.signed_headers(device.PUSH, body)
    answer = client.post(device.PUSH, data=body + b" ", headers=headers)  # body swapped under the signature
    assert answer.json["code"] == "bad_request_signature"
    assert counts(app) == {"ledger": 0, "records": 0, "quarantine": 0}


def test_revoked_device_records_are_quarantined_then_refused(app, device):
    device.seal(SEIZURE)
    device.seal(SEIZURE)
    with app.app_context():
        devices.revoke(device.device_id)
    answer = device.post_signed(device.PUSH, json.dumps({"records": list(device.outbox.values())}).encode())
    assert (answer.status, answer.json()["code"]) == (403, "device_revoked")
    with app.app_context():
        rows = db.session.query(Quarantine).all()
        # In the log (status "revoked"), so nothing that arrived can vanish unseen.
        assert [(r.code, r.ledger_idx) for r in rows] == [("device_revoked", 1), ("device_revoked", 2)]
    assert counts(app) == {"ledger": 2, "records": 0, "quarantine": 2}


def test_released_record_of_a_revoked_device_is_filed(app, device):
    from server.sync import intake

    rid = device.seal(SEIZURE)
    with app.app_context():
        devices.revoke(device.device_id)
    device.post_signed(device.PUSH, json.dumps({"records": list(device.outbox.values())}).encode())
    with app.app_context():
        quarantine_id = db.session.query(Quarantine).one().id
        receipt = intake.release(quarantine_id)
        assert (receipt.status, receipt.rid) == ("accepted", rid)
        assert db.session.get(Quarantine, quarantine_id).status == "released"
    assert counts(app) == {"ledger": 1, "records": 1, "quarantine": 1}


def test_replayed_request_is_refused(app, device, client):
    device.seal(SEIZURE)
    body = json.dumps({"records": list(device.outbox.values())}).encode()
    headers = device.signed_headers(device.PUSH, body)
    assert client.post(device.PUSH, data=body, headers=headers).status_code == 200
    again = client.post(device.PUSH, data=body, headers=headers)
    assert (again.status_code, again.json["code"]) == (401, "replayed_request")
    assert counts(app) == {"ledger": 1, "records": 1, "quarantine": 0}


def test_enrollment_token_works_once(app):
    from server.demo.simulator import DeviceError, FlaskTransport, SimulatedDevice

    token, _row_id = enrollment_token(app, "LA-DOFI-BKX")
    SimulatedDevice(FlaskTransport(app.test_client())).enroll(token)
    with pytest.raises(DeviceError) as caught:
        SimulatedDevice(FlaskTransport(app.test_client())).enroll(token)
    assert (caught.value.answer.status, caught.value.code) == (409, "enroll_token_used")


def test_expired_and_unknown_enrollment_tokens(app):
    from server.demo.simulator import DeviceError, FlaskTransport, SimulatedDevice

    token, row_id = enrollment_token(app, "CN-HG-DX")
    with app.app_context():
        db.session.get(EnrollmentToken, row_id).expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    for value, code in ((token, "enroll_token_expired"), ("x" * 32, "enroll_token_unknown")):
        with pytest.raises(DeviceError) as caught:
            SimulatedDevice(FlaskTransport(app.test_client())).enroll(value)
        assert (caught.value.answer.status, caught.value.code) == (401, code)


def test_enrollment_needs_proof_of_the_key(app, client):
    token, _row_id = enrollment_token(app, "VN-C05")
    key, other = crypto.generate_key(), crypto.generate_key()
    body = {"token": token, "public_key": crypto.b64e(crypto.public_raw(key)),
            "proof": crypto.b64e(crypto.sign(other, crypto.enroll_message(token)))}
    answer = client.post("/api/v1/enroll", json=body)
    assert (answer.status_code, answer.json["code"]) == (401, "bad_enroll_proof")
    answer = client.post("/api/v1/enroll", json={**body, "public_key": crypto.b64e(b"\x04" + bytes(64))})
    assert (answer.status_code, answer.json["code"]) == (422, "bad_public_key")


def test_oversize_batch_and_body(app, device, client):
    app.config["MAX_BATCH_RECORDS"] = 3
    for _ in range(4):
        device.seal(SEIZURE)
    answer = device.post_signed(device.PUSH, json.dumps({"records": list(device.outbox.values())}).encode())
    assert (answer.status, answer.json()["code"]) == (413, "batch_too_large")
    app.config["MAX_CONTENT_LENGTH"] = 4096
    answer = device.post_signed(device.PUSH, json.dumps({"records": list(device.outbox.values())[:3],
                                                         "pad": "x" * 5000}).encode())
    assert (answer.status, answer.json()["code"]) == (413, "body_too_large")
    assert counts(app) == {"ledger": 0, "records": 0, "quarantine": 0}
    assert len(device.outbox) == 4  # still on the phone, to be sent in smaller batches


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b'{"records": "x"}', b'{"records": [{"h": 1}]}',
                                  b'{"records": []}', "{\"records\": [\"\u0000\"]}".encode()])
def test_malformed_batches_get_a_coded_answer_never_a_500(app, device, body):
    answer = device.post_signed(device.PUSH, body)
    assert answer.status in (400, 422)
    assert answer.json()["code"] in ("bad_request", "invalid_request")


def test_random_envelopes_are_quarantined_never_a_500(app, device):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    b64_bytes = st.binary(max_size=200).map(crypto.b64e)
    headers = st.fixed_dictionaries({}, optional={
        "v": st.one_of(st.just(1), st.integers(), st.text(max_size=3)),
        "rid": st.one_of(st.uuids().map(str), st.text(max_size=40)),
        "dev": st.one_of(st.just(device.device_id), st.text(max_size=40)),
        "seq": st.one_of(st.integers(min_value=-5, max_value=2**70), st.none(), st.floats()),
        "ts": st.one_of(st.integers(min_value=-10, max_value=10**20), st.text(max_size=5)),
        "kid": st.one_of(st.just(device.intake[0]), st.text(max_size=80)),
        "prev": st.one_of(st.none(), st.text(max_size=80)),
    }).map(lambda h: crypto.b64e(json.dumps(h).encode()))
    envelope = st.fixed_dictionaries({"h": st.one_of(headers, b64_bytes, st.text(max_size=50)),
                                      "ct": st.one_of(b64_bytes, st.text(max_size=50)),
                                      "sig": st.one_of(b64_bytes, st.text(max_size=90))})

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(envelope, min_size=1, max_size=4))
    def push_garbage(envelopes):
        answer = device.post_signed(device.PUSH, json.dumps({"records": envelopes}).encode())
        assert answer.status == 200, answer.body
        receipts = answer.json()["receipts"]
        assert [r["i"] for r in receipts] == list(range(len(envelopes)))
        assert all(r["status"] == "quarantined" and r["code"] for r in receipts)

    push_garbage()
    with app.app_context():
        assert count(Quarantine) > 0  # identical garbage is kept once


@pytest.mark.parametrize("header, value", [("Wl-Timestamp", str(10**30)), ("Wl-Timestamp", "-5"),
                                           ("Wl-Clock-Offset", str(10**30)), ("Wl-Clock-Offset", "1e3"),
                                           ("Wl-Device", "../../etc"), ("Wl-Nonce", "short"),
                                           ("Wl-Nonce", "x" * 65), ("Wl-Signature", "%%%")])
def test_malformed_auth_headers_are_refused_not_a_500(app, device, client, header, value):
    body = b'{"records": []}'
    headers = {**device.signed_headers(device.PUSH, body), header: value}
    answer = client.post(device.PUSH, data=body, headers=headers)
    assert (answer.status_code, answer.json["code"]) in ((401, "auth_required"), (401, "unknown_device"))
    assert counts(app) == {"ledger": 0, "records": 0, "quarantine": 0}


def test_http_level_errors_are_coded_and_translated(client):
    answer = client.post("/api/v1/enroll", json={"token": "short"}, headers={"Accept-Language": "vi"})
    assert (answer.status_code, answer.json["code"]) == (422, "invalid_request")
    assert set(answer.json["fields"]) == {"token", "public_key", "proof"}
    assert answer.json["message"] != "The request has missing or invalid values."
    assert client.get("/api/v1/nothing-here").json["code"] == "not_found"
    assert client.delete("/api/v1/enroll").json["code"] == "method_not_allowed"
    assert client.post("/api/v1/enroll", data=b"{", content_type="application/json").json["code"] in (
        "bad_request", "invalid_request")


def test_openapi_document_describes_the_device_api(client):
    spec = client.get("/api/openapi.json").json
    push = spec["paths"]["/api/v1/sync/push"]["post"]
    body = push["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"].endswith("/PushRequest")
    assert set(spec["components"]["schemas"]["Envelope"]["required"]) == {"h", "ct", "sig"}
    assert "/api/v1/records/{rid}" in spec["paths"]


def test_the_same_refused_envelope_sent_twice_is_kept_once(app, device):
    rid = device.seal(SEIZURE)
    _rewrite(device, rid, sig=bytes(64))
    body = json.dumps({"records": [device.outbox[rid]]}).encode()
    for _attempt in range(2):  # the first answer was lost on the way back
        [receipt] = device.post_signed(device.PUSH, body).json()["receipts"]
        assert receipt["code"] == "bad_signature"
    assert counts(app)["quarantine"] == 1


@pytest.mark.parametrize("path", ["push refused", "pull", "log"])
def test_a_request_cannot_be_replayed_whether_it_succeeded_or_failed(app, device, client, path):
    """The nonce is committed with the request's own first commit (a push's ledger rows), or
    alone when the request ends without one, a refusal included: never lost."""
    if path == "push refused":  # refused before anything is stored: too many records
        method, target = "POST", device.PUSH
        body = json.dumps({"records": [{"h": "x", "ct": "x", "sig": "x"}] * 51}).encode()
        first_status = 413
    elif path == "pull":
        method, target, body, first_status = "GET", "/api/v1/sync/pull/species?since=0", b"", 200
    else:
        method, target, body, first_status = "GET", "/api/v1/sync/log", b"", 200
    headers = device.signed_headers(target, body, method)
    first = client.open(target, method=method, data=body, headers=headers)
    assert first.status_code == first_status, first.json
    again = client.open(target, method=method, data=body, headers=headers)
    assert (again.status_code, again.json["code"]) == (401, "replayed_request")
    with app.app_context():
        assert db.session.get(Device, device.device_id).last_seen_at is not None
