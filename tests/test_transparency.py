"""The transparency log as phones hold the server to it (PROTOCOL.md §9), with the Python
device simulator as the phone: signed heads and inclusion proofs in every answer, a
consistency proof at every sync, a specific alarm for each way history can be rewritten,
a restore that is not an attack, and evidence that verifies with nothing but the server's
public key. The browser tests (tests/pwa/test_transparency.py) show the same in the app."""
import json
import shutil
import sqlite3
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from server import crypto
from server.demo.log_client import LogAlarm
from server.demo.serving import scratch_database
from server.demo.simulator import DeviceError, FlaskTransport
from server.devices import service as devices
from server.extensions import db
from server.keys import service as keys
from server.store.models import Record
from tests import backups, insider
from tests.conftest import ROOT, enroll_device, make_app
from tests.helpers import MARKET, SEIZURE, counts


def _seal(device, n, form="seizure"):
    base = SEIZURE if form == "seizure" else MARKET
    return [device.seal({**base, "narrative" if form == "seizure" else "notes": f"{form} {i}"}, form=form)
            for i in range(n)]


def test_every_receipt_carries_a_proof_against_a_head_and_every_sync_a_consistency_proof(app, device):
    other = enroll_device(app, "LA-DOFI-BKX")
    sizes = []
    for phone, n in [(device, 3), (other, 2), (device, 2)]:  # 3, 5 and 7 leaves: no power of two
        _seal(phone, n)
        receipts = phone.sync()
        assert [r["status"] for r in receipts] == ["accepted"] * n
        assert all(r["leaf"]["idx"] == r["log_index"] and r["inclusion"] is not None for r in receipts)
        sizes.append(phone.head["size"])
    assert sizes == [3, 5, 7]
    assert other.head["size"] == 5
    assert other.sync() == [] and other.head["size"] == 7  # nothing to push: the head and a proof still come
    with app.app_context():
        assert json.loads(app.test_cli_runner().invoke(args=["ledger", "head"]).output)["size"] == 7


def test_the_edge_cases_of_a_held_head(app, device):
    def view(held):
        query = f"?epoch={held[0]}&size={held[1]}" if held else ""
        return device.send_signed("GET", f"/api/v1/sync/log{query}").json()

    _seal(device, 5)
    device.sync()
    none = view(None)  # the phone holds no head: no proof; it takes the head as it is
    assert (none["consistency_from"], none["consistency"], none["head"]["size"]) == (None, None, 5)
    same = view((0, 5))  # the same head: an empty proof
    assert (same["consistency_from"], same["consistency"]) == (5, [])
    _seal(device, 2)
    device.sync()
    older = view((0, 5))  # an older head: the proof from it
    assert older["consistency_from"] == 5 and len(older["consistency"]) > 0
    larger = view((0, 9))  # a head larger than the log's: no proof can exist (the phone alarms)
    assert (larger["consistency_from"], larger["consistency"]) == (None, None)


def test_a_phone_refuses_an_answer_whose_proof_is_for_another_envelope(app, device):
    rid = _seal(device, 1)[0]
    envelope = device.outbox[rid]
    body = json.dumps({"records": [envelope]}).encode()
    answer = device.post_signed(device.PUSH, body).json()
    [receipt] = answer["receipts"]
    receipt["leaf"]["clock_offset_ms"] = (receipt["leaf"]["clock_offset_ms"] or 0) + 1  # a leaf that is not ours
    head = device._take_log(answer["log"])
    with pytest.raises(LogAlarm) as alarm:
        device._holds(head, receipt, envelope)
    assert alarm.value.code == "log_inclusion_failed"


@pytest.fixture
def held(app, device):
    """A phone whose head covers five rows of the log."""
    _seal(device, 5)
    device.sync()
    assert device.head["size"] == 5
    return device


@pytest.mark.parametrize("attack, code", [
    (lambda app: (insider.sql(app, "UPDATE ledger SET clock_offset_ms = 3600000 WHERE idx = 2"),
                  insider.rebuild_log(app)), "log_inconsistent"),
    (lambda app: (insider.sql(app, "UPDATE ledger SET received_at = :moment WHERE idx = 4",
                              moment="2026-01-01 00:00:00"), insider.rebuild_log(app)), "log_inconsistent"),
    (lambda app: (insider.sql(app, "UPDATE ledger SET status = 'revoked' WHERE idx = 3"), insider.rebuild_log(app)),
     "log_inconsistent"),
    (lambda app: insider.delete_and_rechain(app, 3), "log_rewound"),
    (lambda app: insider.cut_tail(app, 3), "log_rewound"),
])
def test_each_rewrite_gives_its_alarm(app, held, attack, code):
    attack(app)
    with app.app_context():
        assert app.test_cli_runner().invoke(args=["ledger", "verify"]).exit_code == 0  # the server agrees with itself
    with pytest.raises(LogAlarm) as alarm:
        held.check_log()
    assert alarm.value.code == code


def test_a_rechained_log_that_grew_again_is_inconsistent_not_rewound(app, held):
    insider.delete_and_rechain(app, 2)
    other = enroll_device(app, "VN-HQ-QN")
    _seal(other, 3)
    other.sync()  # the log is 7 again: longer than the held head, but not an extension of it
    with pytest.raises(LogAlarm) as alarm:
        held.check_log()
    assert alarm.value.code == "log_inconsistent"


def test_an_honest_log_raises_no_alarm_and_a_server_error_is_not_an_alarm(app, held, monkeypatch):
    for _ in range(3):
        _seal(held, 2)
        held.sync()
        held.check_log()
    from server.sync import intake

    monkeypatch.setattr(intake, "answer", lambda *args: (_ for _ in ()).throw(RuntimeError("a bug")))
    _seal(held, 1)
    with pytest.raises(DeviceError) as failed:
        held.sync()
    assert failed.value.answer.status == 500 and not isinstance(failed.value, LogAlarm)
    assert len(held.outbox) == 1  # kept: no proof, no deletion


def _dump(app, tmp_path):
    """A copy of the database as it is now, restorable into a new database: pg_dump -Fc on
    PostgreSQL, the SQLite backup API on SQLite. Returns a function giving the restored URL."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        copy = tmp_path / "dump.sqlite"
        source, target = sqlite3.connect(urlsplit(url).path), sqlite3.connect(copy)
        source.backup(target)  # the write-ahead log's pages included, unlike a file copy
        source.close()
        target.close()

        def restore(target_dir):
            shutil.copy(copy, target_dir / "restored.sqlite")
            return f"sqlite:///{target_dir / 'restored.sqlite'}"

        return restore, None
    # PostgreSQL: the nightly dump itself, encrypted by deploy/backup/backup-db.sh, opened
    # with the offline key as deploy/README.md tells the operator.
    identity, recipients = backups.offline_key(tmp_path)
    dumped = backups.nightly_dump(url, tmp_path / "dumps", recipients)
    assert dumped.returncode == 0, dumped.stderr
    [dump] = backups.dumps(tmp_path / "dumps")
    plain = url.replace("postgresql+psycopg", "postgresql")
    scratch = scratch_database(plain.rsplit("/", 1)[0] + "/postgres", "wildledger_restore")

    def restore(_target_dir):
        target = scratch.__enter__()
        backups.restore_dump(dump, identity, target)
        return target

    return restore, scratch


def test_restore_drill_phones_push_again_what_was_lost_and_nothing_twice(app, tmp_path):
    phones = [enroll_device(app, "VN-HQ-QN"), enroll_device(app, "LA-DOFI-BKX")]
    for phone in phones:
        _seal(phone, 3)
        phone.sync()
    restore, scratch = _dump(app, tmp_path)  # the nightly dump
    lost = []
    for phone in phones:  # pushed after the dump: the restore loses them on the server
        lost += _seal(phone, 2, form="market_observation")
        phone.sync()
    assert all(phone.head["size"] == 10 for phone in phones[1:])

    restored = make_app(restore(tmp_path), tmp_path)
    try:
        with restored.app_context():
            assert db.session.scalar(select(func.count()).select_from(Record)) == 6
        result = restored.test_cli_runner().invoke(args=["ledger", "restored", "--yes"])
        assert result.exit_code == 0, result.output
        for phone in phones:
            phone.transport = FlaskTransport(restored.test_client())
            phone.sync()  # learns of the restore, pushes again what the log lost
            phone.sync()
            assert phone.outbox == {}
        with restored.app_context():
            rids = db.session.scalars(select(Record.rid)).all()
            assert len(rids) == len(set(rids)) == 10 and set(lost) <= set(rids)
            assert restored.test_cli_runner().invoke(args=["ledger", "verify"]).exit_code == 0
        for phone in phones:  # and later syncs go on without any alarm
            _seal(phone, 1)
            phone.sync()
            phone.check_log()
    finally:
        with restored.app_context():
            db.engine.dispose()
        if scratch is not None:
            scratch.__exit__(None, None, None)


def test_a_head_exported_by_a_phone_is_proved_and_a_rewrite_is_not(app, held):
    head = json.dumps(held.head)
    runner = app.test_cli_runner()
    proved = runner.invoke(args=["ledger", "prove", "-"], input=head)
    assert proved.exit_code == 0 and "contains the head of 5 records" in proved.output
    insider.sql(app, "UPDATE ledger SET clock_offset_ms = 3600000 WHERE idx = 1")
    insider.rebuild_log(app)
    refused = runner.invoke(args=["ledger", "prove", "-"], input=head)
    assert refused.exit_code != 0 and "rewritten" in refused.output


def test_evidence_verifies_with_nothing_but_the_server_public_key(app, device, tmp_path):
    original = device.seal(SEIZURE)
    device.sync()
    correction = device.seal({**SEIZURE, "narrative": "corrected"}, supersedes=original)
    second = device.seal({**SEIZURE, "narrative": "corrected again"}, supersedes=correction)
    _seal(enroll_device(app, "LA-DOFI-BKX"), 3)
    device.sync()
    out = tmp_path / "evidence.json"
    result = app.test_cli_runner().invoke(args=["ledger", "evidence", correction, "--out", str(out)])
    assert result.exit_code == 0, result.output
    bundle = json.loads(out.read_text())
    assert [item["rid"] for item in bundle["records"]] == [original, correction, second]
    with app.app_context():
        key = crypto.b64e(keys.signing_key().public_key)
        fingerprint = crypto.fingerprint(keys.signing_key().public_key)
    tool = [sys.executable, str(ROOT / "tools" / "verify_evidence.py")]
    # Written with "=": a base64url key or fingerprint may begin with "-", which argparse
    # would otherwise read as an option (one key in 64).
    ok = subprocess.run([*tool, str(out), f"--key={key}"], capture_output=True, text=True)
    assert ok.returncode == 0 and "verified: 3 record(s)" in ok.stdout, ok.stdout + ok.stderr
    assert subprocess.run([*tool, str(out), f"--fingerprint={fingerprint}"], capture_output=True).returncode == 0

    other_key = crypto.b64e(crypto.public_raw(crypto.generate_key()))
    assert subprocess.run([*tool, str(out), f"--key={other_key}"], capture_output=True).returncode == 1
    for edit in (lambda b: b["records"][1].update(document=crypto.b64e(b'{"form":"seizure"}')),
                 lambda b: b["records"][0]["leaf"].update(received_at_us=b["records"][0]["leaf"]["received_at_us"] + 1),
                 lambda b: b["head"].update(size=b["head"]["size"] + 1),
                 lambda b: b["records"][2]["inclusion"].pop()):
        forged = json.loads(out.read_text())
        edit(forged)
        (tmp_path / "forged.json").write_text(json.dumps(forged))
        refused = subprocess.run([*tool, str(tmp_path / "forged.json"), f"--key={key}"], capture_output=True, text=True)
        assert refused.returncode == 1 and "NOT verified" in refused.stdout


def test_a_revoked_phone_gets_no_head(app, device):
    _seal(device, 1)
    device.sync()
    with app.app_context():
        devices.revoke(device.device_id)
    with pytest.raises(DeviceError) as refused:
        device.check_log()
    assert refused.value.answer.status == 403


def test_a_revoked_phone_s_quarantined_envelopes_are_in_the_log_with_their_proofs(app, device):
    _seal(device, 1)
    device.sync()
    pending = _seal(device, 2)
    with app.app_context():
        devices.revoke(device.device_id)
    with pytest.raises(DeviceError):
        device.push(pending)
    assert device.outbox == {}  # each had a receipt whose inclusion proof verified
    assert [device.receipts[rid]["leaf"]["status"] for rid in pending] == ["revoked", "revoked"]
    assert counts(app) == {"ledger": 3, "records": 1, "quarantine": 2}
