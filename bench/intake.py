"""Intake throughput: the in-process limit versus the real HTTP server.

Seals N full seizure records (~1.5 KB each) per measurement with the simulator, then
  (a) limit: feeds them to the intake service in batches, in-process, with the same
      commit policy as the server (what one push request does, without HTTP, auth and
      JSON);
  (b) http: pushes them through gunicorn in batches of 25 from several phones at once.
On SQLite always, and on PostgreSQL when DATABASE_URL is set (a scratch database is
created on that server and dropped afterwards). Every record must end up stored.

The in-process run alternates batches whose answer carries the transparency log's proofs
(inclusion per receipt, the signed head, consistency from the previous head) with batches
without them; `log: with_proofs=<r/s> without=<r/s>` is printed for the backend where the
proofs cost most (target: at most 15 %). The last line printed is
`intake: http=<r/s> limit=<r/s> ratio=<b/a>` for the backend with the lowest ratio.

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
    """(a): the intake service in-process, one batch per transaction as a push does, with the
    answer's transparency-log part (inclusion proofs, signed head, consistency proof) built
    for every other batch: the cost of the log, in the same run (Trust part 2)."""
    device = _enroll(app, FlaskTransport(app.test_client()))
    document_size = _seal(device, 2 * n, rng)
    envelopes = list(device.outbox.values())
    wire_size = sum(len(json.dumps(e)) for e in envelopes) / (2 * n)  # base64, key share and signatures
    timings = {"with": 0.0, "without": 0.0}
    held = None
    with app.app_context():
        row = db.session.get(Device, device.device_id)
        for number, start in enumerate(range(0, 2 * n, BATCH)):
            proofs = number % 2 == 1
            started = time.perf_counter()
            result = intake.receive(row, envelopes[start:start + BATCH], 0)
            if proofs:
                receipts, log = intake.answer(result.receipts, held)
                held = {"epoch": log["head"]["epoch"], "size": log["head"]["size"]}
                assert all(r["inclusion"] is not None for r in receipts)
            timings["with" if proofs else "without"] += time.perf_counter() - started
            assert all(r.status == "accepted" for r in result.receipts), result.receipts[0]
        db.session.close()
    assert _stored(app, [device.device_id]) == 2 * n
    with_proofs, without = n / timings["with"], n / timings["without"]
    return without, with_proofs, document_size, wire_size


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
    without, with_proofs, document_size, wire_size = _limit(app, args.records, rng)
    http = _http(app, workdir, args.records, args.phones, args.workers, rng)
    with app.app_context():
        db.engine.dispose()
    print(f"{label}: records={args.records} document_bytes={document_size:.0f} envelope_bytes={wire_size:.0f} "
          f"limit={with_proofs:.0f}/s http={http:.0f}/s ratio={http / with_proofs:.2f} ({args.phones} phones, "
          f"{args.workers} gunicorn workers, {time.perf_counter() - started:.0f} s with sealing)", flush=True)
    print(f"{label} log: with_proofs={with_proofs:.0f} without={without:.0f} "
          f"cost={1 - with_proofs / without:.0%}", flush=True)
    return label, http, with_proofs, without


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
    _label, _http_rate, with_proofs, without = max(results, key=lambda r: 1 - r[2] / r[3])
    print(f"log: with_proofs={with_proofs:.0f} without={without:.0f}")
    _label, http, limit, _without = min(results, key=lambda r: r[1] / r[2])
    print(f"intake: http={http:.0f} limit={limit:.0f} ratio={http / limit:.2f}")


if __name__ == "__main__":
    main()
