"""Exports at scale (issue 19): the CITES illegal trade report of one country for one year, and
the FollowTheMoney export of the whole network, on PostgreSQL, as `flask export itr|ftm` writes
them.

The fill, in one scratch database: bench/network.py's (its fill(), imported, not copied: --entities
entities, default 1,000,000, named by --links mentions, default 3,000,000, over --links / 3
records of Vietnamese, Chinese and Lao agencies from 2025 on, as intake and resolution leave
them), then, by COPY with network.py's Copier, a year of seizures before those (--year, default
2023) as intake files them: --seizures seizures (default 100,000) of Vietnamese agencies (customs,
border guard, forest protection, a few filed under a border-guard code retired since, which intake
replaces by its successor) with --items item lines in all (default 250,000; one to six a seizure:
species from the reference list with their CITES terms and units, quantities in kg, g or
specimens), each with its ledger row, place, crossing, detection method, transport, concealment,
route (origin, transit, destination countries), estimated value in VND, USD, CNY or LAK, legal
follow-up, and one to three suspects and sometimes a vehicle: mentions of people and vehicles
of the network already known (resolved into their entity with an automatic "same" judgement, so
the entity count stays --entities). Beside them, that should not count: a twentieth as many
Chinese and Lao seizures of the same year, and a hundredth as many Vietnamese seizures that a
later record corrects (the correction is among the --seizures). Their mention_keys rows are not
written: no export reads them. The fill takes about 11 minutes at the default sizes on two
cores (network.py's 10, the seizures under a minute).

Then each export runs in a process of its own, `flask export itr|ftm --as … --out …` (the
command's own code path: service.request_export, then run_export in that process, then the
file copied to --out), and is timed from the command's start to its exit (interpreter and app
start-up, some 4 s, included; the export task's own time is printed beside it):

  itr_s    `flask export itr --year <year> --country VN` as an analyst of Viet Nam (VN-HQ-QN),
           who may read every Vietnamese seizure. Checked: the header is itr.HEADER, there are
           exactly --items data rows, from exactly the current Vietnamese seizures of the year
           (every one, none corrected, none of another country or year), each row of its year.
  ftm_s    `flask export ftm` as an admin, who may read every record: checked that the file
           parses line by line, with exactly --entities entities (Person, Vehicle, Company), one
           Event per record and one UnknownLink per mention, every link's subject and object an
           entity or event of the file; one line in 500 read back with followthemoney
           (model.get_proxy) and every value valid for its property's type.
  peak_mb  the larger of the two exports' peak resident memory: the export process's own
           (ru_maxrss from os.wait4, the command started by a small launcher process, since a
           process forked from this one, grown large by the fill, would count from this one's
           size) plus the peaks of the processes it starts (the FtM export's phone checker:
           their VmHWM in /proc, read every 0.1 s). The sum of the peaks, so at least the peak
           of the sum.

The last line printed is exactly `exports: itr_s=<n> ftm_s=<n> peak_mb=<n>`. Targets: itr_s <=
60, ftm_s <= 120, peak_mb <= 500; a missed one is marked MISSED (the exit status is 0 all the
same); an export that fails, or whose file is wrong, is printed with why, MISSED, and counted as
inf.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/exports.py
    .venv/bin/python bench/exports.py --entities 20000 --links 60000 --hubs 1 --seizures 5000 --items 12500  # quick
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402
import psycopg  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from bench import network  # noqa: E402
from server import create_app  # noqa: E402
from server.access import service as access  # noqa: E402
from server.access.models import Agency  # noqa: E402
from server.demo.serving import scratch_database  # noqa: E402
from server.devices.models import Device  # noqa: E402
from server.exports import itr  # noqa: E402
from server.exports.models import Export  # noqa: E402
from server.extensions import db  # noqa: E402
from server.intel import resolve  # noqa: E402
from server.intel.models import Judgement  # noqa: E402
from server.keys import service as keys  # noqa: E402
from server.reference import agencies as agencies_reference  # noqa: E402
from server.reference import catalog  # noqa: E402
from server.store.models import Mention, Record, SeizureItem  # noqa: E402
from server.sync.models import LedgerEntry  # noqa: E402

ITR_TARGET_S, FTM_TARGET_S, PEAK_TARGET_MB = 60, 120, 500
SEED = 19
COUNTRY = "VN"
ANALYST, ADMIN = "bench_analyst", "bench_admin"  # network.fill makes the analyst (VN-HQ-QN)
# Vietnamese agencies that seize at the border, and (filed, retired) code pairs: an officer offline
# may still name a border-guard command since renamed; intake files its successor.
SEIZING = ("VN-HQ-QN", "VN-HQ-MONGCAI", "VN-HQ-LS", "VN-HQ-HUUNGHI", "VN-HQ-CAUTREO", "VN-HQ-LAOCAI",
           "VN-BCHBP-QN", "VN-BCHBP-LS", "VN-BCHBP-HT", "VN-KL-QN", "VN-KL-LC", "VN-PC03-QN")
RETIRED = {"VN-BCHBP-QN": "VN-BDBP-QN", "VN-BCHBP-LS": "VN-BDBP-LS", "VN-BCHBP-HT": "VN-BDBP-HT"}
DECOYS = ("CN-HG-DX", "LA-CUSTOMS-BOTEN")  # the same year, another country: not in the report
CURRENCIES = (("VND", 10_000_000, 5_000_000_000), ("USD", 500, 250_000), ("CNY", 3_000, 1_500_000),
              ("LAK", 5_000_000, 2_000_000_000))
ORIGINS = ("NG", "CD", "CM", "MZ", "ZA", "KE", "TZ", "MM", "LA", "KH", "ID", "MY", "TH")
DEVICES_PER_AGENCY = 4
# The fill writes the ledger by COPY, not through its transparency log, whose head still says it
# is empty: the audit head (users made, exports asked for) must not be anchored into it.
NO_ANCHOR = {"AUDIT_ANCHOR_EVERY": 10 ** 9, "AUDIT_ANCHOR_MINUTES": 10 ** 9}


# -- the year of seizures -------------------------------------------------------------------------

def item_counts(rng, seizures, items):
    """How many item lines each seizure has: one to six, `items` in all."""
    if not seizures <= items <= 6 * seizures:
        raise SystemExit(f"--items {items} must be between --seizures and six times as many")
    counts = [rng.choice((1, 2, 2, 3, 3, 4)) for _ in range(seizures)]
    total = sum(counts)
    while total != items:
        n = rng.randrange(seizures)
        if total < items and counts[n] < 6:
            counts[n] += 1
            total += 1
        elif total > items and counts[n] > 1:
            counts[n] -= 1
            total -= 1
    return counts


def fill_seizures(app, database, filled, args):
    """The year of seizures, by COPY; returns what the checks need: the rids of the current
    Vietnamese seizures, their item counts, and the totals of records and mentions."""
    rng = random.Random(SEED)
    people = filled["people"]
    species = [(entry["scientific_name"], entry.get("typical_terms") or ["UNS"])
               for entry in catalog.collection_file("species")["items"] if entry.get("rank") == "species"]
    codes = {name: [item["key"] for item in catalog.code_lists()[name]["items"] if not item.get("retired")]
             for name in ("detection_method", "transport_mode", "concealment", "legal_follow_up")}
    crossings = [entry["key"] for entry in catalog.collection_file("crossings")["items"] if entry["key"].startswith("VN-")]
    persons = [e for e in range(people.count) if people.schema[e] == "Person"]
    vehicles = [e for e in range(people.count) if people.schema[e] == "Vehicle"]
    first = filled["first"]
    rids_of_network, mention_entity = filled["rids"], filled["mention_entity"]

    with app.app_context():
        agency_of = {row.code: row for row in db.session.execute(select(Agency.code, Agency.id, Agency.country))}
        assert all(code in agency_of for code in (*SEIZING, *RETIRED.values(), *DECOYS)), "an agency left the reference"
        devices = {}
        rows = []
        for code in (*SEIZING, *DECOYS):
            devices[code] = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(DEVICES_PER_AGENCY)]
            rows += [{"id": device, "agency_id": agency_of[code].id, "officer_name": f"{code} officer {n}",
                      "public_key": rng.randbytes(65), "enrolled_at": datetime(args.year - 1, 6, 1, tzinfo=UTC),
                      "last_seen_at": datetime(args.year + 1, 1, 1, tzinfo=UTC), "app_state": {}, "pin_resets": 0,
                      "pin_resets_confirmed": 0} for n, device in enumerate(devices[code])]
        db.session.execute(insert(Device), rows)
        base_record = db.session.scalar(select(func.max(Record.id)))
        base_ledger = db.session.scalar(select(func.max(LedgerEntry.idx)))
        base_mention = db.session.scalar(select(func.max(Mention.id)))
        base_item = db.session.scalar(select(func.max(SeizureItem.id))) or 0
        base_judgement = db.session.scalar(select(func.max(Judgement.id))) or 0
        access.create_user(ADMIN, "Bench admin", "admin", "VN-HQ-QN", actor="bench", actor_kind="cli")
        db.session.commit()

    # Who is filed: the current Vietnamese seizures, the ones they correct, the other countries'.
    current, corrected = args.seizures, args.seizures // 100
    decoys = args.seizures // 20
    plan = [("current", None)] * current + [("corrected", None)] * corrected + [("decoy", None)] * decoys
    counts = item_counts(rng, current, args.items)
    days = sorted(date(args.year, 1, 1) + timedelta(days=rng.randrange(365)) for _ in range(len(plan)))
    rng.shuffle(plan)
    corrections = rng.sample(range(current), corrected)  # the current seizures that are corrections

    url = database.replace("postgresql+psycopg://", "postgresql://")
    expected = {}  # rid -> item lines, of the seizures the report holds
    started = time.perf_counter()
    with psycopg.connect(url) as connection:
        connection.execute("SET synchronous_commit = off")
        connection.execute("SET session_replication_role = replica")
        ledger = network.Copier(connection, "ledger", ("idx", "rid", "device_id", "seq", "header", "ct", "sig",
                                                       "env_sha256", "received_at", "clock_offset_ms", "status"))
        records = network.Copier(connection, "records", (
            "id", "rid", "ledger_idx", "device_id", "agency_id", "country", "officer_name", "form", "form_version",
            "seq", "device_time", "time_zone", "clock_offset_ms", "received_at", "flags", "content", "handling",
            "supersedes"))
        seizures = network.Copier(connection, "seizures", (
            "record_id", "seized_on", "seizing_agency", "place", "location_type", "crossing", "province",
            "place_country", "latitude", "longitude", "accuracy_m", "seizure_point", "detection_method",
            "transport_mode", "concealment", "route", "value_amount", "value_currency", "legal_follow_up",
            "source_reliability", "source_credibility", "narrative"))
        items = network.Copier(connection, "seizure_items", (
            "id", "record_id", "position", "species", "term", "quantity", "unit", "count", "weight_kg", "state",
            "description"))
        mentions = network.Copier(connection, "mentions", (
            "id", "key", "record_id", "entity_id", "role", "schema", "caption", "properties", "agency_id", "country",
            "handling", "resolved_at"))
        judgements = network.Copier(connection, "judgements", (
            "id", "left_key", "right_key", "verdict", "automatic", "score", "features", "created_at"))
        sequence, item_id, mention_id, judgement_id = {}, base_item, base_mention, base_judgement
        current_seen, corrected_rids, pending_corrections = 0, [], set(corrections)
        by_position = {}
        for p, (kind, _) in enumerate(plan):
            by_position.setdefault(kind, []).append(p)
        # The corrected ones are filed first (a correction names the rid it corrects).
        order = by_position.get("corrected", []) + by_position.get("current", []) + by_position.get("decoy", [])
        for n, p in enumerate(order):
            kind, day = plan[p][0], days[p]
            record_id, idx = base_record + n + 1, base_ledger + n + 1
            code = rng.choice(DECOYS) if kind == "decoy" else rng.choice(SEIZING)
            agency = agency_of[code]
            device = rng.choice(devices[code])
            sequence[device] = sequence.get(device, 0) + 1
            rid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            at = datetime(day.year, day.month, day.day, 3) + timedelta(minutes=rng.randrange(900))
            supersedes = None
            if kind == "current":
                lines = counts[current_seen]
                if current_seen in pending_corrections:
                    supersedes = corrected_rids.pop()
                current_seen += 1
                expected[rid] = lines
            else:
                lines = rng.randint(1, 3)
                if kind == "corrected":
                    corrected_rids.append(rid)
            typed = RETIRED.get(code) if code in RETIRED and rng.random() < 0.1 else code
            content = json.dumps({"date": day.isoformat(), "agency": typed, "reporting_officer": "Bench officer"})
            ledger.add((idx, rid, device, sequence[device], b"{}", rng.randbytes(64), rng.randbytes(64), rng.randbytes(32),
                        at + timedelta(hours=2), 0, "received"))
            records.add((record_id, rid, idx, device, agency.id, agency.country, "Bench officer", "seizure", 2,
                         sequence[device], at, "Asia/Ho_Chi_Minh", 0, at + timedelta(hours=2), "[]", content, None,
                         supersedes))
            currency, low, high = rng.choice(CURRENCIES)
            transit = rng.choice(("LA", "KH", "CN", None))
            route = [{"role": "origin", "country": rng.choice(ORIGINS)}]
            route += [{"role": "transit", "country": transit}] if transit else []
            route += [{"role": "destination", "country": rng.choice(("CN", "VN", "CN", "LA"))}]
            crossing = rng.choice(crossings) if rng.random() < 0.7 else None
            seizures.add((record_id, day, code, "Cửa khẩu quốc tế Móng Cái — ດ່ານ — 东兴口岸" if crossing else "Quốc lộ 18",
                          "land_border" if crossing else "road_checkpoint", crossing, "VN-13", agency.country,
                          Decimal("21.525612"), Decimal("107.966021"), Decimal("12.5"), "import",
                          rng.choice(codes["detection_method"]), rng.choice(codes["transport_mode"]),
                          rng.choice(codes["concealment"]), json.dumps(route),
                          Decimal(rng.randrange(low, high)) if rng.random() < 0.8 else None, currency,
                          rng.choice(codes["legal_follow_up"]), "B", "2",
                          "Vảy tê tê trong thùng cá đông lạnh. ເກັດລີ່ນ. 穿山甲鳞片藏在冻鱼箱里。"))
            for position in range(lines):
                name, terms = rng.choice(species)
                term = rng.choice(terms)
                unit = rng.choice(("kg", "kg", "g", "NAR"))
                number = rng.randrange(1, 400)
                quantity = Decimal(number) if unit == "NAR" else Decimal(number) / 4
                item_id += 1
                items.add((item_id, record_id, position, name, term, quantity, unit, number if unit == "NAR" else None,
                           quantity if unit == "kg" else None, rng.choice(("dead", "alive", "processed")),
                           "Trong bao tải" if rng.random() < 0.3 else None))
            named = rng.sample(persons, rng.choice((1, 1, 2, 2, 3)))
            named += [rng.choice(vehicles)] if rng.random() < 0.3 else []
            for position, e in enumerate(named):
                schema = people.schema[e]
                key = f"{rid}/{position}"
                mention_id += 1
                mentions.add((mention_id, key, record_id, e + 1, "suspect" if schema == "Person" else "vehicle", schema,
                              people.caption[e], people.properties[e], agency.id, agency.country, None,
                              at + timedelta(hours=2, seconds=30)))
                # Resolved into the known entity, as resolution merges a known person's new mention.
                centre = f"{rids_of_network[first[e] // 3]}/{first[e] % 3}"
                assert mention_entity[first[e]] == e
                left, right = resolve.pair(centre, key)
                judgement_id += 1
                judgements.add((judgement_id, left, right, "same", True, 1.0, json.dumps(
                    {"identifiers": sorted({k.split(":", 1)[0] for k in people.strong_keys[e]}),
                     "keys": list(people.strong_keys[e]), "name_similarity": 1.0, "name_compatible": True}),
                    at + timedelta(hours=2, seconds=30)))
        for copier in (ledger, records, seizures, items, mentions, judgements):
            copier.flush()
        connection.execute("SET session_replication_role = origin")
        for table in ("records", "seizure_items", "mentions", "judgements"):
            connection.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        connection.commit()
        connection.autocommit = True
        for table in ("ledger", "records", "seizures", "seizure_items", "mentions", "judgements"):
            connection.execute(f"VACUUM (ANALYZE) {table}")
        connection.execute("CHECKPOINT")
        totals = connection.execute("SELECT (SELECT count(*) FROM records), (SELECT count(*) FROM mentions), "
                                    "(SELECT count(DISTINCT entity_id) FROM mentions)").fetchone()
    assert totals[2] == args.entities, f"{totals[2]} entities named, {args.entities} filled"
    print(f"seizures of {args.year}: {len(order)} records ({current} current Vietnamese, {corrected} corrected, "
          f"{decoys} Chinese and Lao), {item_id - base_item} item lines, {mention_id - base_mention} mentions, "
          f"written in {time.perf_counter() - started:.0f} s", flush=True)
    return {"expected": expected, "records": totals[0], "mentions": totals[1], "entities": totals[2]}


# -- the exports, each in a process of its own ---------------------------------------------------

# Runs a command as its child and says the child's peak RSS. The bench, grown large by the fill,
# does not start the export itself: a child forked from it starts its count of resident memory
# from the bench's size (Linux keeps ru_maxrss across exec), a grandchild from this small one's.
LAUNCHER = ("import os, subprocess, sys; child = subprocess.Popen(sys.argv[1:]); _, status, usage = os.wait4(child.pid, 0); "
            "print(f'maxrss_kb={usage.ru_maxrss}', flush=True); sys.exit(os.waitstatus_to_exitcode(status))")


class Helpers(threading.Thread):
    """The peak RSS of the processes the export process starts (the FtM export's checker):
    /proc read every 0.1 s, each process's high-water mark (VmHWM, of its own image) kept."""

    def __init__(self, launcher):
        super().__init__(daemon=True)
        self.launcher, self.peaks, self.done = launcher, {}, threading.Event()
        self.start()

    def run(self):
        while not self.done.wait(0.1):
            parents = {}
            for name in os.listdir("/proc"):
                try:
                    with open(f"/proc/{name}/stat", "rb") as stat:
                        parents[int(name)] = int(stat.read().rsplit(b")", 1)[1].split()[1])
                except (ValueError, OSError):
                    continue
            exporters = {pid for pid, parent in parents.items() if parent == self.launcher}
            for pid, parent in parents.items():
                if parent in exporters:  # a process the export process started
                    try:
                        with open(f"/proc/{pid}/status") as status:
                            hwm = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
                    except (OSError, StopIteration):
                        continue
                    self.peaks[pid] = max(self.peaks.get(pid, 0), hwm)

    def stop(self):
        self.done.set()
        self.join()
        return sum(self.peaks.values()) / 1024


def run_command(home, database, kek, arguments):
    """`flask export …` in a process of its own: (seconds, its peak RSS in MB with those of the
    processes it started, its output)."""
    env = {**os.environ, "DATABASE_URL": database, "WILDLEDGER_KEK_FILE": kek,
           "WILDLEDGER_INSTANCE_PATH": str(home / "instance"), "WILDLEDGER_EXPORT_DIR": str(home / "exports"),
           "WILDLEDGER_TASK_QUEUE": "immediate", "WILDLEDGER_PUBLIC_URL": "http://127.0.0.1",
           **{f"WILDLEDGER_{name}": str(value) for name, value in NO_ANCHOR.items()}}
    flask = str(Path(sys.executable).with_name("flask"))
    started = time.perf_counter()
    launcher = subprocess.Popen([sys.executable, "-c", LAUNCHER, flask, "--app", "server", "export", *arguments],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    helpers = Helpers(launcher.pid)
    output = launcher.communicate()[0].decode(errors="replace").strip()
    seconds = time.perf_counter() - started
    helpers_mb = helpers.stop()
    output, _, peak = output.rpartition("maxrss_kb=")
    if launcher.returncode != 0 or not peak:
        raise RuntimeError(f"flask export {arguments[0]} exited {launcher.returncode}: {output.strip()[-600:]}")
    return seconds, int(peak) / 1024, helpers_mb, output.strip()  # ru_maxrss: kB on Linux


def check_itr(path, args, expected):
    """The report read back: the header, every row of the year, exactly the expected seizures
    with their item lines."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        sheet = book["Illegal trade report"]
        rows = sheet.iter_rows(values_only=True)
        assert tuple(next(rows)) == itr.HEADER, "not the report's header"
        at_date, at_note = itr.HEADER.index("Date of seizure"), itr.HEADER.index("Additional information")
        at_species = itr.HEADER.index("Species (scientific name)")
        species = {entry["scientific_name"] for entry in catalog.collection_file("species")["items"]}
        found, data_rows = {}, 0
        for row in rows:
            data_rows += 1
            assert row[at_date].year == args.year, f"a row of {row[at_date]}"
            assert row[at_species] in species, f"species {row[at_species]!r}"
            rid = re.search(r"Wildledger record ([0-9a-f-]{36})", row[at_note]).group(1)
            found[rid] = found.get(rid, 0) + 1
        about = dict(book["About this report"].iter_rows(values_only=True))
    finally:
        book.close()
    assert data_rows == args.items, f"{data_rows} data rows, {args.items} expected"
    assert found == expected, (f"{len(found)} seizures, {len(expected)} expected; "
                               f"{len(set(found) - set(expected))} should not be there, "
                               f"{len(set(expected) - set(found))} missing")
    assert about["Rows"] == args.items and about["Seizures"] == len(expected), about
    return data_rows, len(found)


def check_ftm(path, totals):
    """The FtM lines read back: each a JSON object, entities, events and links as many as the
    store holds, every link's ends in the file; a sample parsed by followthemoney."""
    from followthemoney import model

    by_schema, ids, ends, sampled = {}, set(), set(), 0
    with open(path, "rb") as lines:
        for n, line in enumerate(lines):
            data = orjson.loads(line)
            schema = data["schema"]
            by_schema[schema] = by_schema.get(schema, 0) + 1
            if schema == "UnknownLink":
                ends.update(data["properties"]["subject"])
                ends.update(data["properties"]["object"])
            else:
                assert data["id"] not in ids, f"{data['id']} twice"
                ids.add(data["id"])
            if n % 500 == 0:
                proxy = model.get_proxy(data, cleaned=False)
                for prop, value in proxy.itervalues():
                    assert prop.type.validate(value), (schema, prop.name, value)
                sampled += 1
    entities = sum(count for schema, count in by_schema.items() if schema not in ("Event", "UnknownLink"))
    assert entities == totals["entities"], f"{entities} entities, {totals['entities']} expected ({by_schema})"
    assert by_schema.get("Event") == totals["records"], f"{by_schema.get('Event')} events, {totals['records']} records"
    assert by_schema.get("UnknownLink") == totals["mentions"], \
        f"{by_schema.get('UnknownLink')} links, {totals['mentions']} mentions"
    assert ends <= ids, f"{len(ends - ids)} link ends name nothing in the file"
    return by_schema, sampled


def measure(app, name, home, database, kek, arguments, check):
    """(seconds, peak MB) of one export, inf where it failed or its file is wrong."""
    out = home / f"out-{name}"
    try:
        seconds, own_mb, helpers_mb, output = run_command(home, database, kek, [*arguments, "--out", str(out)])
        peak = own_mb + helpers_mb
        with app.app_context():
            row = db.session.scalar(select(Export).order_by(Export.id.desc()).limit(1))
            task_s = (row.finished_at - row.started_at).total_seconds()
        print(f"  {output}\n  {seconds:.1f} s from the command's start to its exit (the export task itself "
              f"{task_s:.1f} s); peak RSS {peak:.0f} MB: the export process {own_mb:.0f} MB, those it started "
              f"{helpers_mb:.0f} MB", flush=True)
        started = time.perf_counter()
        found = check(out)
        print(f"  checked in {time.perf_counter() - started:.0f} s: {found}; {out.stat().st_size / 2 ** 20:.0f} MB",
              flush=True)
        return seconds, peak
    except Exception as error:  # reported, and counted as a miss
        print(f"  {name}: FAILED: {type(error).__name__}: {str(error)[:600]} (MISSED)", flush=True)
        return float("inf"), float("inf")
    finally:
        out.unlink(missing_ok=True)
        for written in (home / "exports").glob("*"):
            written.unlink()


def verdict(value, target):
    return f"{'met' if value <= target else 'MISSED'}; target <= {target}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    network.fill_arguments(parser)
    parser.add_argument("--seizures", type=int, default=100_000, help="the report's seizures")
    parser.add_argument("--items", type=int, default=250_000, help="their item lines, the report's rows")
    parser.add_argument("--year", type=int, default=2023)
    args = parser.parse_args()
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as home, scratch_database(args.database_url, "wl_bench_exports") as database:
        home = Path(home)
        (home / "exports").mkdir()
        kek = str(home / "kek")
        app = create_app({"SQLALCHEMY_DATABASE_URI": database, "KEK_FILE": kek, "PUBLIC_URL": "http://127.0.0.1",
                          **NO_ANCHOR})
        with app.app_context():
            upgrade()
            keys.init_keys()
            agencies_reference.load()
        filled = network.fill(app, database, args)
        totals = fill_seizures(app, database, filled, args)
        expected = totals.pop("expected")
        del filled  # the network's generated population: the exports' processes never had it
        fill_s = time.perf_counter() - began
        print(f"fill: {fill_s:.0f} s in all ({totals['entities']} entities, {totals['records']} records, "
              f"{totals['mentions']} mentions)", flush=True)

        print(f"itr: {args.seizures} seizures, {args.items} lines, {COUNTRY} {args.year}, as {ANALYST}:", flush=True)
        itr_s, itr_mb = measure(app, "itr.xlsx", home, database, kek, [
            "itr", "--as", ANALYST, "--year", str(args.year), "--country", COUNTRY],
            lambda path: check_itr(path, args, expected))
        print(f"ftm: the whole network as {ADMIN}:", flush=True)
        ftm_s, ftm_mb = measure(app, "ftm.json", home, database, kek, ["ftm", "--as", ADMIN],
                                lambda path: check_ftm(path, totals))
    peak_mb = max(itr_mb, ftm_mb)
    print(f"itr: {itr_s:.1f} s ({verdict(itr_s, ITR_TARGET_S)}), peak {itr_mb:.0f} MB")
    print(f"ftm: {ftm_s:.1f} s ({verdict(ftm_s, FTM_TARGET_S)}), peak {ftm_mb:.0f} MB")
    print(f"peak: {peak_mb:.0f} MB ({verdict(peak_mb, PEAK_TARGET_MB)}); fill {fill_s:.0f} s; "
          f"{time.perf_counter() - began:.0f} s in all")
    print(f"exports: itr_s={itr_s:.1f} ftm_s={ftm_s:.1f} peak_mb={peak_mb:.0f}")


if __name__ == "__main__":
    main()
