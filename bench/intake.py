"""Intake throughput: the in-process limit versus the real HTTP server.

Seals N full seizure records (~1.5 KB each) per measurement with the simulator, then
  (a) limit: feeds them to the intake service in batches, in-process, with the same
      commit policy as the server (what one push request does, without HTTP, auth and
      JSON);
  (b) http: pushes them through gunicorn in batches of 25 from several phones at once.
On SQLite always, and on PostgreSQL when DATABASE_URL is set (a scratch database is
created on that server and dropped afterwards). Every record must end up stored.

The last line printed is `intake: http=<r/s> limit=<r/s> ratio=<b/a>` for the backend
with the lowest ratio. Target: ratio >= 0.5.

    .venv/bin/python bench/intake.py [--records 5000] [--phones 4] [--workers 2]
"""
import argparse
import concurrent.futures
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402

from server import create_app  # noqa: E402
from server.access.service import agency_by_code  # noqa: E402
from server.demo import content  # noqa: E402
from server.demo.serving import gunicorn, scratch_database  # noqa: E402
from server.demo.simulator import FlaskTransport, HttpTransport, SimulatedDevice  # noqa: E402
from server.devices import service as devices  # noqa: E402
from server.devices.models import Device  # noqa: E402
from server.extensions import db  # noqa: E402
from server.keys import service as keys  # noqa: E402
from server.reference import agencies  # noqa: E402
from server.store.models import Record  # noqa: E402
from server.sync import intake  # noqa: E402

AGENCY = "VN-HQ-QN"
BATCH = 25
NARRATIVE = 300  # characters of padding: the sealed documents average ~1.5 KB


def _app(url, workdir):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "KEK_FILE": str(workdir / "kek"),
                      "PUBLIC_URL": "http://127.0.0.1", "AUTH_FAILURES_PER_MINUTE": 10**6})
    with app.app_context():
        upgrade()
        keys.init_keys()
        agencies.load()
    return app


def _enroll(app, transport):
    with app.app_context():
        token, _row = devices.create_enrollment(agency_by_code(AGENCY), officer_name="Bench")
        db.session.close()
    device = SimulatedDevice(transport)
    device.enroll(token)
    return device


def _seal(device, count, rng):
    """Returns the mean size of the sealed documents (the plaintext, before HPKE)."""
    people, total = content.people()["suspects"], 0
    for _ in range(count):
        fields = content.seizure(rng, AGENCY, people, narrative_size=NARRATIVE)
        device.seal(fields)
        total += len(json.dumps({"form": "seizure", "version": 1, "fields": fields}, ensure_ascii=False,
                                separators=(",", ":")).encode())
    return total / count


def _stored(app, device_ids):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Record).filter(Record.device_id.in_(device_ids)))


def _limit(app, n, rng):
    """(a): the intake service in-process, one batch per transaction as a push does."""
    device = _enroll(app, FlaskTransport(app.test_client()))
    document_size = _seal(device, n, rng)
    envelopes = list(device.outbox.values())
    wire_size = sum(len(json.dumps(e)) for e in envelopes) / n  # base64, key share and signatures
    with app.app_context():
        row = db.session.get(Device, device.device_id)
        started = time.perf_counter()
        for start in range(0, n, BATCH):
            receipts = intake.receive(row, envelopes[start:start + BATCH], 0)
            assert all(r.status == "accepted" for r in receipts), receipts[0]
        elapsed = time.perf_counter() - started
        db.session.close()
    assert _stored(app, [device.device_id]) == n
    return n / elapsed, document_size, wire_size


def _http(app, workdir, n, phones, workers, rng):
    """(b): the same work through gunicorn, several phones pushing at once."""
    with gunicorn(app, workdir / "instance", workers=workers) as url:
        fleet = [_enroll(app, HttpTransport(url)) for _ in range(phones)]
        for number, device in enumerate(fleet):
            _seal(device, n // phones + (number < n % phones), rng)
        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(phones) as pool:
            results = list(pool.map(lambda device: device.sync(batch_size=BATCH), fleet))
        elapsed = time.perf_counter() - started
    assert all(r["status"] == "accepted" for receipts in results for r in receipts)
    assert _stored(app, [d.device_id for d in fleet]) == n
    return n / elapsed


def measure(label, url, workdir, args):
    rng = random.Random(7)
    app = _app(url, workdir)
    started = time.perf_counter()
    limit, document_size, wire_size = _limit(app, args.records, rng)
    http = _http(app, workdir, args.records, args.phones, args.workers, rng)
    with app.app_context():
        db.engine.dispose()
    print(f"{label}: records={args.records} document_bytes={document_size:.0f} envelope_bytes={wire_size:.0f} limit={limit:.0f}/s http={http:.0f}/s "
          f"ratio={http / limit:.2f} ({args.phones} phones, {args.workers} gunicorn workers, "
          f"{time.perf_counter() - started:.0f} s with sealing)", flush=True)
    return label, http, limit


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--phones", type=int, default=4)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "sqlite").mkdir()
        results.append(measure("sqlite", f"sqlite:///{workdir / 'sqlite' / 'bench.sqlite'}", workdir / "sqlite", args))
        if os.environ.get("DATABASE_URL", "").startswith("postgresql"):
            (workdir / "pg").mkdir()
            with scratch_database(os.environ["DATABASE_URL"], "wildledger_bench") as url:
                results.append(measure("postgresql", url, workdir / "pg", args))
    _label, http, limit = min(results, key=lambda r: r[1] / r[2])
    print(f"intake: http={http:.0f} limit={limit:.0f} ratio={http / limit:.2f}")


if __name__ == "__main__":
    main()
