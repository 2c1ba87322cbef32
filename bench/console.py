"""The supervisor console under a real fleet: the fleet page and the records list on
PostgreSQL, over HTTP (gunicorn, 2 workers) with a signed-in session.

A scratch database gets --devices phones (default 2,000) of the measuring supervisor's agency
and --records records (default 200,000) spread over four agencies, a quarter of them (at
least 50,000) in the supervisor's scope. Rows are written straight into the tables (ledger
rows with random envelopes, records with a small seizure document): what is timed is reading
them, not filing them (bench/intake.py times that). Measured, each the median of --runs
(default 20) requests:

  fleet_ms    GET /console/fleet: every phone of the agency with its last push and missing
              records (one grouped pass over the ledger), sorted, what needs attention counted
              over all of them, the first 200 rows shown.
  records_ms  GET /console/records for page 500 of the list filtered by form (keyset: the
              cursor of the 24,950th record, as following "Older records" 499 times gives);
              page 1 is printed too.

The last line printed is exactly
`console: fleet_ms=<n> records_ms=<deep page> devices=<n> records=<n>`.
Targets: <= 300 ms each; a missed one is marked MISSED (the exit status is 0 all the same).

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/console.py
"""
import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pyotp  # noqa: E402
import requests  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from server import create_app  # noqa: E402
from server.access.models import Agency  # noqa: E402
from server.demo.serving import gunicorn, scratch_database  # noqa: E402
from server.devices.models import Device  # noqa: E402
from server.extensions import db  # noqa: E402
from server.keys import service as keys  # noqa: E402
from server.reference import agencies as agencies_reference  # noqa: E402
from server.store.models import Record  # noqa: E402
from server.sync.models import LedgerEntry  # noqa: E402

TARGET_MS = 300
AGENCIES = ("VN-HQ-QN", "VN-HQ-LS", "CN-HG-DX", "LA-CUSTOMS-BOTEN")  # the first is the supervisor's
PASSWORD = "a long bench password"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
SECRET = re.compile(r'name="secret" value="([A-Z2-7]+)"')
BATCH = 5000


def fill(app, devices, records):
    """Phones of the supervisor's agency (plus one per other agency) and records over all four."""
    rng = random.Random(17)
    with app.app_context():
        ids = {code: db.session.scalar(select(Agency.id).filter_by(code=code)) for code in AGENCIES}
        countries = {code: code[:2] for code in AGENCIES}
        start = datetime(2026, 1, 1, tzinfo=UTC)
        phones = [{"id": str(uuid.uuid4()), "agency_id": ids[AGENCIES[0]], "officer_name": f"Officer {n}",
                   "public_key": os.urandom(65), "enrolled_at": start, "last_seen_at": start + timedelta(days=rng.randint(0, 300)),
                   "app_state": {"version": "0.4.0", "storage_usage": rng.randint(1, 90), "storage_quota": 100},
                   "pin_resets": 0, "pin_resets_confirmed": 0} for n in range(devices)]
        others = [{**phones[0], "id": str(uuid.uuid4()), "agency_id": ids[code], "officer_name": code}
                  for code in AGENCIES[1:]]
        db.session.execute(insert(Device), phones + others)
        by_agency = {AGENCIES[0]: [p["id"] for p in phones], **{code: [o["id"]] for code, o in zip(AGENCIES[1:], others)}}
        seq = {phone["id"]: 0 for phone in phones + others}
        document = {"date": "2026-11-20", "agency": "VN-HQ-QN", "reporting_officer": "Bench officer"}
        for offset in range(0, records, BATCH):
            ledger_rows, record_rows = [], []
            for n in range(offset, min(records, offset + BATCH)):
                code = AGENCIES[n % len(AGENCIES)]
                device = rng.choice(by_agency[code])
                seq[device] += 1
                rid, at = str(uuid.uuid4()), start + timedelta(seconds=n * 120)
                ledger_rows.append({"idx": n + 1, "rid": rid, "device_id": device, "seq": seq[device], "header": b"{}",
                                    "ct": os.urandom(64), "sig": os.urandom(64), "env_sha256": os.urandom(32),
                                    "received_at": at, "clock_offset_ms": 0, "status": "received"})
                record_rows.append({"rid": rid, "ledger_idx": n + 1, "device_id": device, "agency_id": ids[code],
                                    "country": countries[code], "officer_name": "Bench officer",
                                    "form": "seizure" if n % 3 else "market_observation", "form_version": 2,
                                    "seq": seq[device], "device_time": at, "received_at": at, "flags": [],
                                    "content": document})
            db.session.execute(insert(LedgerEntry), ledger_rows)
            db.session.execute(insert(Record), record_rows)
            db.session.commit()
        in_scope = sum(1 for n in range(records) if n % len(AGENCIES) == 0)
        filtered = select(Record.received_at, Record.rid).where(Record.agency_id == ids[AGENCIES[0]], Record.form == "seizure")
        available = db.session.scalar(select(func.count()).select_from(filtered.subquery()))
        page = max(1, min(499, available // 50 - 1))  # smaller runs go as deep as they can
        deep = db.session.execute(filtered.order_by(Record.received_at.desc(), Record.rid.desc())
                                  .offset(page * 50 - 1).limit(1)).one()
    return in_scope, f"{deep.received_at.isoformat()}|{deep.rid}", page + 1


def sign_in(app, url):
    """A supervisor set up through the one-time link, signed in: a requests session."""
    created = app.test_cli_runner().invoke(args=["users", "create", "bench", "--name", "Bench", "--role",
                                                 "supervisor", "--agency", AGENCIES[0]])
    link = created.output.strip().splitlines()[-1]
    path = link[link.index("/console"):]
    browser = requests.Session()
    page = browser.get(url + path).text
    secret = SECRET.search(page)[1]
    browser.post(url + path, data={"csrf_token": TOKEN.search(page)[1], "password": PASSWORD, "password2": PASSWORD,
                                   "secret": secret, "code": pyotp.TOTP(secret).now()}).raise_for_status()
    page = browser.get(url + "/console/login").text
    browser.post(url + "/console/login", data={"csrf_token": TOKEN.search(page)[1], "username": "bench",
                                               "password": PASSWORD}).raise_for_status()
    page = browser.get(url + "/console/login/code").text
    answer = browser.post(url + "/console/login/code", data={"csrf_token": TOKEN.search(page)[1],
                                                             "code": pyotp.TOTP(secret).at(time.time() + 30)})
    answer.raise_for_status()
    assert browser.get(url + "/console/fleet", allow_redirects=False).status_code == 200, "not signed in"
    return browser


def timed(browser, url, runs, check):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        answer = browser.get(url, allow_redirects=False)
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200 and check(answer.text), f"{url}: {answer.status_code}"
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    server_url = os.environ.get("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as home, scratch_database(server_url) as database:
        home = Path(home)
        app = create_app({"SQLALCHEMY_DATABASE_URI": database, "KEK_FILE": str(home / "kek"),
                          "PUBLIC_URL": "http://127.0.0.1"})
        with app.app_context():
            upgrade()
            keys.init_keys()
            agencies_reference.load()
        in_scope, deep_cursor, deep_page = fill(app, args.devices, args.records)
        print(f"filled: {args.devices} phones, {args.records} records ({in_scope} in the supervisor's scope) "
              f"in {time.perf_counter() - began:.0f} s")
        with gunicorn(app, home / "instance", workers=2) as url:
            with app.app_context():
                browser = sign_in(app, url)
            fleet_ms = timed(browser, f"{url}/console/fleet", args.runs,
                             lambda text: text.count("data-device=") == min(200, args.devices)
                             and (args.devices <= 200 or f"of {args.devices}" in text))
            first_ms = timed(browser, f"{url}/console/records?form=seizure", args.runs,
                             lambda text: text.count("data-rid=") == 50)
            deep = requests.utils.quote(deep_cursor, safe="")
            records_ms = timed(browser, f"{url}/console/records?form=seizure&after={deep}", args.runs,
                               lambda text: text.count("data-rid=") == 50)
    print(f"fleet: {args.devices} phones, median of {args.runs}: {fleet_ms:.0f} ms "
          f"({'met' if fleet_ms <= TARGET_MS else 'MISSED'}; target <= {TARGET_MS})")
    print(f"records: page 1 {first_ms:.0f} ms; page {deep_page} of the filtered list {records_ms:.0f} ms "
          f"({'met' if records_ms <= TARGET_MS else 'MISSED'}; target <= {TARGET_MS})")
    print(f"({time.perf_counter() - began:.0f} s in all)")
    print(f"console: fleet_ms={fleet_ms:.0f} records_ms={records_ms:.0f} devices={args.devices} records={args.records}")


if __name__ == "__main__":
    main()
