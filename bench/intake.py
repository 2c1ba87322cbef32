"""Intake throughput against its cryptographic limit, in-process and through gunicorn.

One run seals full seizure records (~1.5 KB each) with the simulator and measures, per
backend (SQLite always, PostgreSQL when DATABASE_URL is set: a scratch database is created
on that server and dropped afterwards):

  crypto   exactly `verify_envelope` + `open_record` over the envelopes a service run then
           files, on one core: the floor intake cannot go below;
  service  the intake service in-process on one core, in batches of 25 with the answer a
           push gets (receipts with inclusion proofs, the signed head, consistency from the
           previous head): what one push request does without HTTP, auth and JSON. Median
           of three runs, interleaved with the crypto runs, each on its own envelopes;
  http     through gunicorn (--workers, 2 by default), --phones phones pushing batches of 25
           at once;
  one      through gunicorn, --phones phones each pushing one record per request, requests
           signed as they go (the load generator's own CPU time is printed: in one Python
           process it can be the limit);

and beside them what a one-record push costs the database (commits, counted in-process on
the engine; on SQLite, fsyncs and fdatasyncs of the server processes, counted with strace
when it is installed) and the durability setting it ran with (SQLite `synchronous`, PostgreSQL
`synchronous_commit`). A service run without the answer prints the transparency log's
cost. Every record must end up stored once, and `flask ledger verify`'s check must pass
on each bench store.

Printed per backend:
`intake[<backend>]: crypto=<r/s> service=<r/s> http=<r/s> one=<r/s> service_ratio=<service/crypto>
http_ratio=<http/service> commits_per_one=<n> sync=<setting>` (one line), and last:
`intake: service_ratio=<lowest> http_ratio=<lowest> one=<lowest r/s>`.
Targets on the 2-core reference machine: service_ratio >= 0.35 on SQLite and >= 0.25 on
PostgreSQL, http_ratio >= 0.6, one >= 400 records/s; a missed one is marked MISSED (the exit
status is 0 all the same; a failed ledger check or a lost record exits non-zero).

    .venv/bin/python bench/intake.py [--records 2000] [--phones 4] [--workers 2]
"""
import argparse
import concurrent.futures
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import event, func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402

from server import create_app, crypto  # noqa: E402
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
from server.sync import intake, ledger  # noqa: E402

AGENCY = "VN-HQ-QN"
BATCH = 25
NARRATIVE = 300  # characters of padding: the sealed documents average ~1.5 KB
RUNS = 3
TARGETS = {"sqlite": 0.35, "postgresql": 0.25}
HTTP_RATIO, ONE = 0.6, 400


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


def _crypto(app, device, envelopes):
    """Records/s of exactly what intake must compute: the outer signature, then HPKE open."""
    with app.app_context():
        public = db.session.get(Device, device.device_id).public_key
        decoded = [(crypto.b64d(e["h"]), crypto.b64d(e["ct"]), crypto.b64d(e["sig"])) for e in envelopes]
        kid = json.loads(decoded[0][0])["kid"]
        private = keys.intake_private_key(kid)
        db.session.close()
    started = time.process_time()
    for header, ct, sig in decoded:
        crypto.verify_envelope(public, header, ct, sig)
        crypto.open_record(private, public, header, ct)
    return len(decoded) / (time.process_time() - started)


def _service(app, device, envelopes, proofs=True):
    """Records/s of the intake service in-process, a push's batch at a time, with its answer."""
    held = None
    with app.app_context():
        row = db.session.get(Device, device.device_id)
        started = time.perf_counter()
        for start in range(0, len(envelopes), BATCH):
            result = intake.receive(row, envelopes[start:start + BATCH], 0)
            if proofs:
                receipts, log = intake.answer(result.receipts, held)
                held = {"epoch": log["head"]["epoch"], "size": log["head"]["size"]}
                assert all(r["inclusion"] is not None for r in receipts)
            assert all(r.status == "accepted" for r in result.receipts), result.receipts[0]
        elapsed = time.perf_counter() - started
        db.session.close()
    return len(envelopes) / elapsed


def _in_process(app, n, rng):
    """crypto and service, interleaved, medians of RUNS; and the log's cost."""
    device = _enroll(app, FlaskTransport(app.test_client()))
    document_size = _seal(device, (RUNS + 1) * n, rng)
    envelopes = list(device.outbox.values())
    wire_size = sum(len(json.dumps(e)) for e in envelopes) / len(envelopes)
    crypto_rates, service_rates = [], []
    for run in range(RUNS):
        part = envelopes[run * n:(run + 1) * n]
        crypto_rates.append(_crypto(app, device, part))
        service_rates.append(_service(app, device, part))
    without_proofs = _service(app, device, envelopes[RUNS * n:], proofs=False)
    assert _stored(app, [device.device_id]) == (RUNS + 1) * n
    return (statistics.median(crypto_rates), statistics.median(service_rates), without_proofs,
            document_size, wire_size)


def _fleet(app, url, phones, n, rng):
    fleet = [_enroll(app, HttpTransport(url)) for _ in range(phones)]
    for number, device in enumerate(fleet):
        _seal(device, n // phones + (number < n % phones), rng)
    return fleet


def _push_all(fleet, batch_size):
    """Records/s of the fleet pushing at once, and the load generator's CPU seconds."""
    cpu, started = time.process_time(), time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(len(fleet)) as pool:
        results = list(pool.map(lambda device: device.sync(batch_size=batch_size), fleet))
    elapsed = time.perf_counter() - started
    assert all(r["status"] == "accepted" for receipts in results for r in receipts)
    return sum(len(r) for r in results) / elapsed, time.process_time() - cpu, elapsed


def _over_http(app, workdir, n, phones, workers, rng):
    """http (batches of 25) and one (one record per request), through gunicorn; and the
    fsyncs of one one-record push, when strace can count them."""
    with gunicorn(app, workdir / "instance", workers=workers) as url:
        fleet = _fleet(app, url, phones, n, rng)
        http, _cpu, _elapsed = _push_all(fleet, BATCH)
        singles = _fleet(app, url, phones, n, rng)
        one, generator_cpu, elapsed = _push_all(singles, 1)
        # PostgreSQL flushes its WAL in its own processes, which are not ours to trace.
        fsyncs = _fsyncs_of_one_push(app, url, rng) if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else None
    assert _stored(app, [d.device_id for d in fleet + singles]) == 2 * n
    return http, one, generator_cpu / elapsed, fsyncs


def _server_pids(port):
    """The gunicorn processes listening on `port` (master and workers)."""
    out = subprocess.run(["pgrep", "-f", f"gunicorn.*{port}"], capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


def _fsyncs_of_one_push(app, url, rng):
    """fsync + fdatasync calls the server makes for one one-record push (strace -c), or
    None without strace (or without the right to trace)."""
    if not shutil.which("strace"):
        return None
    pids = _server_pids(url.rsplit(":", 1)[1].split("/")[0])
    if not pids:
        return None
    device = _enroll(app, HttpTransport(url))
    _seal(device, 1, rng)
    device.check_log()  # the phone holds a head, as in the field
    with tempfile.NamedTemporaryFile("r", suffix=".strace") as report:
        tracer = subprocess.Popen(["strace", "-f", "-qq", "-e", "trace=fsync,fdatasync", "-o", report.name,
                                   *[arg for pid in pids for arg in ("-p", str(pid))]],
                                  stderr=subprocess.DEVNULL)
        time.sleep(1.0)  # attached
        device.sync(batch_size=1)
        time.sleep(0.5)
        tracer.terminate()
        tracer.wait(10)
        calls = [line for line in Path(report.name).read_text().splitlines() if "sync(" in line]
    return len(calls) if tracer.returncode is not None else None


def _commits_of_one_push(app, rng):
    """Database commits (transactions ended by COMMIT) of one one-record push, in-process."""
    device = _enroll(app, FlaskTransport(app.test_client()))
    _seal(device, 1, rng)
    device.check_log()
    commits = []
    listener = lambda _connection: commits.append(1)  # noqa: E731
    with app.app_context():
        event.listen(db.engine, "commit", listener)
        try:
            device.sync(batch_size=1)
        finally:
            event.remove(db.engine, "commit", listener)
    return len(commits)


def _durability(app):
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            level = db.session.execute(text("PRAGMA synchronous")).scalar()
            setting = "synchronous=" + {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(level, str(level))
        else:
            setting = "synchronous_commit=" + db.session.execute(text("SHOW synchronous_commit")).scalar()
        db.session.close()
    return setting


def _ledger_verified(app):
    with app.app_context():
        verdict = ledger.verify()
        db.session.close()
    if not verdict.ok:
        sys.exit(f"ledger verify failed at row {verdict.first_bad}: {verdict.reason}")
    return verdict.checked


def _mark(ok):
    return "" if ok else " MISSED"


def measure(label, url, workdir, args):
    rng = random.Random(7)
    app = _app(url, workdir)
    started = time.perf_counter()
    crypto_rate, service, without_proofs, document_size, wire_size = _in_process(app, args.records, rng)
    commits = _commits_of_one_push(app, rng)
    http, one, generator_share, fsyncs = _over_http(app, workdir, args.records, args.phones, args.workers, rng)
    sync = _durability(app)
    rows = _ledger_verified(app)
    with app.app_context():
        db.engine.dispose()
    service_ratio, http_ratio = service / crypto_rate, http / service
    print(f"{label}: records={args.records} per run, document_bytes={document_size:.0f} envelope_bytes={wire_size:.0f}, "
          f"{args.phones} phones, {args.workers} gunicorn workers; one: the load generator used "
          f"{generator_share:.0%} of a core; fsyncs_per_one={'?' if fsyncs is None else fsyncs}; "
          f"ledger verified ({rows} rows); {time.perf_counter() - started:.0f} s with sealing", flush=True)
    print(f"{label} log: with_proofs={service:.0f} without={without_proofs:.0f} "
          f"cost={1 - service / without_proofs:.0%}", flush=True)
    print(f"intake[{label}]: crypto={crypto_rate:.0f} service={service:.0f} http={http:.0f} one={one:.0f} "
          f"service_ratio={service_ratio:.2f}{_mark(service_ratio >= TARGETS[label])} "
          f"http_ratio={http_ratio:.2f}{_mark(http_ratio >= HTTP_RATIO)} commits_per_one={commits} sync={sync}"
          f"{_mark(one >= ONE).replace(' MISSED', ' (one MISSED)')}", flush=True)
    return service_ratio, http_ratio, one


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000, help="records per run (each measurement seals its own)")
    parser.add_argument("--phones", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
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
    service_ratio = min(r[0] for r in results)
    http_ratio = min(r[1] for r in results)
    one = min(r[2] for r in results)
    print(f"intake: service_ratio={service_ratio:.2f} http_ratio={http_ratio:.2f} one={one:.0f}")


if __name__ == "__main__":
    main()
