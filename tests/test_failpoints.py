"""A server killed between the ledger commit and its answer loses nothing and files each
record once: the phone's resend files a ledger row that was never filed (answered
`accepted`), and every later resend is a `duplicate`."""
import json
import signal
import subprocess
import sys

import pytest
import requests
from sqlalchemy import select

from server import failpoints
from server.demo.simulator import HttpTransport
from server.devices.models import Device
from server.extensions import db
from server.store.models import Record
from server.sync import intake
from server.sync.models import LedgerEntry, Quarantine
from tests.conftest import ROOT, enroll_device, running_server
from tests.helpers import SEIZURE, counts

AFTER_COMMIT = "intake.after_ledger_commit"


class Killed(BaseException):
    """SIGKILL in-process: no `except Exception` in the server catches it, no answer goes out."""


@pytest.fixture
def armed(monkeypatch):
    """The failpoints that 'kill' the in-process server; clear it to restart healthy."""
    names = {AFTER_COMMIT}

    def hit(name):
        if name in names:
            raise Killed(name)

    monkeypatch.setattr(failpoints, "hit", hit)
    return names


def _killed_push(device, rids=None):
    with pytest.raises(Killed):
        device.push(rids)


@pytest.mark.parametrize("env, expected", [("", 0), ("other", 0), (AFTER_COMMIT, -signal.SIGKILL),
                                           (f"other, {AFTER_COMMIT}", -signal.SIGKILL)])
def test_a_failpoint_kills_its_process_only_when_armed(env, expected):
    code = f"from server import failpoints; failpoints.hit({AFTER_COMMIT!r})"
    process = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={failpoints.ENV: env})
    assert process.returncode == expected


def test_resend_files_a_record_the_crash_left_unfiled(app, device, armed):
    rid = device.seal(SEIZURE)
    envelope = dict(device.outbox)
    _killed_push(device)
    assert counts(app) == {"ledger": 1, "records": 0, "quarantine": 0}

    armed.clear()
    [receipt] = device.sync()
    assert (receipt["rid"], receipt["status"], receipt["log_index"]) == (rid, "accepted", 1)
    assert counts(app) == {"ledger": 1, "records": 1, "quarantine": 0}
    with app.app_context():
        assert db.session.scalars(select(Record)).one().content == SEIZURE

    device.outbox = dict(envelope)
    [again] = device.sync()
    assert (again["status"], again["log_index"]) == ("duplicate", 1)
    assert counts(app) == {"ledger": 1, "records": 1, "quarantine": 0}


def test_one_resent_batch_heals_each_unfiled_row_once(app, device, armed):
    a, b, c = (device.seal({**SEIZURE, "narrative": f"Lost answer {n}"}) for n in range(3))
    lost = dict(device.outbox)
    _killed_push(device)
    assert counts(app) == {"ledger": 3, "records": 0, "quarantine": 0}

    armed.clear()
    d = device.seal({**SEIZURE, "narrative": "New"})
    body = json.dumps({"records": [lost[a], device.outbox[d], lost[a], lost[b]]}).encode()
    answer = device.post_signed(device.PUSH, body).json()
    assert [(r["rid"], r["status"], r["log_index"]) for r in answer["receipts"]] == [
        (a, "accepted", 1), (d, "accepted", 4), (a, "duplicate", 1), (b, "accepted", 2)]
    assert counts(app) == {"ledger": 4, "records": 3, "quarantine": 0}

    device.outbox = {c: lost[c]}
    assert [r["status"] for r in device.sync()] == ["accepted"]
    result = app.test_cli_runner().invoke(args=["intake", "replay"])
    assert "Replayed 0 ledger rows" in result.output
    with app.app_context():
        assert sorted(r.content["narrative"] for r in db.session.scalars(select(Record))) == [
            "Lost answer 0", "Lost answer 1", "Lost answer 2", "New"]


def test_a_ledger_row_held_in_quarantine_stays_a_duplicate(app, device, monkeypatch):
    """Only rows with no record and no held quarantine row are filed on resend: a held row
    waits for its cause to be fixed (`quarantine release`, `intake replay`)."""
    from server.store import service

    def broken_filer(*args, **kwargs):
        raise RuntimeError("a bug in filing")

    monkeypatch.setitem(service.FILERS, "seizure", broken_filer)
    device.seal(SEIZURE)
    envelope = dict(device.outbox)
    [receipt] = device.sync()
    assert (receipt["status"], receipt["code"]) == ("quarantined", "intake_error")
    device.outbox = dict(envelope)
    [again] = device.sync()
    assert again["status"] == "duplicate"
    assert counts(app) == {"ledger": 1, "records": 0, "quarantine": 1}


def test_filing_a_row_someone_else_filed_is_a_duplicate_not_a_quarantine(app, device):
    """The race a resend can run with the request that appended the row (or a replay):
    the loser of the unique constraint answers `duplicate` and leaves no quarantine row."""
    device.seal(SEIZURE)
    device.sync()
    with app.app_context():
        entry = db.session.scalars(select(LedgerEntry)).one()
        receipt = intake.file_entry(entry, db.session.get(Device, entry.device_id))
        db.session.commit()
        assert (receipt.status, receipt.log_index) == ("duplicate", 1)
    assert counts(app) == {"ledger": 1, "records": 1, "quarantine": 0}


@pytest.mark.slow
def test_a_server_killed_after_the_ledger_commit_heals_on_resend(app, tmp_path):
    """The production server, armed by WILDLEDGER_FAILPOINTS, dies by SIGKILL mid-push; the
    phone never hears an answer, resends to the restarted server, and gets `accepted`."""
    with running_server(app, tmp_path, workers=1, env={failpoints.ENV: AFTER_COMMIT}) as url:
        device = enroll_device(app, transport=HttpTransport(url))
        rids = [device.seal({**SEIZURE, "narrative": f"Killed {n}"}) for n in range(3)]
        with pytest.raises(requests.ConnectionError):
            device.push()
    assert counts(app) == {"ledger": 3, "records": 0, "quarantine": 0}

    with running_server(app, tmp_path, workers=1) as url:
        device.transport = HttpTransport(url)
        receipts = device.sync()
        assert [(r["rid"], r["status"]) for r in receipts] == [(rid, "accepted") for rid in rids]
    assert counts(app) == {"ledger": 3, "records": 3, "quarantine": 0}
    with app.app_context():
        assert db.session.scalar(select(Quarantine.id)) is None
    result = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert result.exit_code == 0 and "Ledger ok: 3 rows" in result.output


@pytest.mark.slow
def test_concurrent_resends_heal_each_row_once(postgres_url, tmp_path, armed):
    """Ten clients resend the same unfiled batch at one instant (gunicorn, PostgreSQL): each
    record is filed by exactly one of them; the others answer `duplicate`, none deadlocks."""
    import random
    import threading

    from tests.conftest import make_app, prepare

    app = prepare(make_app(postgres_url, tmp_path))
    device = enroll_device(app)
    rids = [device.seal({**SEIZURE, "narrative": f"Unfiled {n}"}) for n in range(20)]
    _killed_push(device)
    armed.clear()
    assert counts(app) == {"ledger": 20, "records": 0, "quarantine": 0}

    clients, results = 10, []
    barrier = threading.Barrier(clients)
    with running_server(app, tmp_path) as url:
        def resend(number):
            order = rids[:]
            random.Random(number).shuffle(order)
            body = json.dumps({"records": [device.outbox[rid] for rid in order]}).encode()
            headers = device.signed_headers(device.PUSH, body)
            transport = HttpTransport(url)
            barrier.wait()
            results.append(transport.request("POST", device.PUSH, body, headers))

        threads = [threading.Thread(target=resend, args=(n,)) for n in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert [answer.status for answer in results] == [200] * clients
    seen = {}
    for answer in results:
        for receipt in answer.json()["receipts"]:
            seen.setdefault(receipt["rid"], []).append(receipt["status"])
    assert set(seen) == set(rids)
    assert all(sorted(statuses) == ["accepted"] + ["duplicate"] * (clients - 1) for statuses in seen.values()), seen
    assert counts(app) == {"ledger": 20, "records": 20, "quarantine": 0}
