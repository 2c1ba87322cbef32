"""Counterparts across a crossing (models.Counterpart): which agency on the other side does
the same job, and on what basis they work together; or, where none is known, a note saying
so and what to do instead. Every crossing and every agency function is covered one way or the
other (`gaps()` names what is not), so an officer is never shown an empty answer without a
reason.

The file server/reference/data/counterparts.json seeds them: a link names its crossings, or
whole borders ("CN-VN"), which are expanded to the crossings on that border when loaded.
"""
import json
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select

from ..access.models import Agency
from ..audit import service as audit
from ..dbtypes import utcnow
from ..extensions import db
from ..reference import catalog
from ..reference.publish import publish
from .models import Counterpart, Crossing
from .service import Problem, Report, unique_rows

COUNTERPARTS_FILE = catalog.DATA / "counterparts.json"
# One row per link, as `directory link export` writes it and `import` reads it: no agencies
# says that none is known at those crossings (the note says what to do instead).
COLUMNS = ("key", "agencies", "functions", "basis", "crossings", "note", "remove")
SHEET = "counterparts"
_YES = {"yes", "y", "true", "1", "x"}


class InvalidLink(ValueError):
    pass


def _crossings():
    return {crossing.key: crossing for crossing in db.session.scalars(select(Crossing))}


def _countries(crossing):
    return {side["country"] for side in crossing.sides}


def expand(entry, crossings):
    """The crossing keys an entry applies to: its own, and every crossing of its borders."""
    keys = list(entry.get("crossings") or ())
    for border in entry.get("borders") or ():
        keys += sorted(key for key, crossing in crossings.items() if crossing.border == border and key not in keys)
    return keys


def check(entry, crossings, agencies):
    """Raises InvalidLink unless `entry` (a link or a none-known statement, as the file or a
    command gives it) names known codes and pairs two agencies of each crossing's countries."""
    key = entry.get("key") or "?"
    functions = set(entry.get("functions") or ())
    if not functions or functions - catalog.code_keys("agency_function"):
        raise InvalidLink(f"{key}: functions must come from codes/agency_function, not {sorted(functions)}")
    keys = expand(entry, crossings)
    unknown = [crossing for crossing in keys if crossing not in crossings]
    if not keys or unknown:
        raise InvalidLink(f"{key}: needs known crossings or borders, not {unknown or 'none'}")
    codes = entry.get("agencies") or []
    if not codes:
        if not entry.get("note"):
            raise InvalidLink(f"{key}: saying no counterpart is known needs a note on what to do instead")
        return keys
    if len(codes) != 2 or any(code not in agencies for code in codes):
        raise InvalidLink(f"{key}: a link joins two known agencies, not {codes}")
    if entry.get("basis") not in catalog.code_keys("counterpart_basis"):
        raise InvalidLink(f"{key}: basis must come from codes/counterpart_basis, not {entry.get('basis')!r}")
    pair = {agencies[code].country for code in codes}
    for crossing in keys:
        if pair != _countries(crossings[crossing]):
            raise InvalidLink(f"{key}: {' and '.join(codes)} are not of the two countries of {crossing}")
    # Each end does at least one of the link's jobs (a customs office and an anti-smuggling
    # branch are counterparts for anti-smuggling when one of them does it).
    for code in codes:
        if not functions & set(agencies[code].functions):
            raise InvalidLink(f"{key}: {code} does none of {sorted(functions)}")
    return keys


def load(path=COUNTERPARTS_FILE):
    """Insert the links this store lacks and update the others from the file, except those a
    maintainer changed or removed, which stay as they were left. Checked first: one bad
    entry and nothing changes. Returns (added, updated); the caller commits and publishes."""
    body = json.loads(Path(path).read_text(encoding="utf-8"))
    crossings = _crossings()
    agencies = {agency.code: agency for agency in db.session.scalars(select(Agency))}
    entries = [*body["links"], *({**entry, "agencies": [], "basis": None} for entry in body["none_known"])]
    seen = set()
    planned = []
    for entry in entries:
        if entry["key"] in seen:
            raise InvalidLink(f"{entry['key']}: listed twice")
        seen.add(entry["key"])
        planned.append((entry, check(entry, crossings, agencies)))
    existing = {link.key: link for link in db.session.scalars(select(Counterpart))}
    added = updated = 0
    for entry, keys in planned:
        values = {"agencies": entry["agencies"], "functions": sorted(entry["functions"]), "basis": entry["basis"],
                  "crossings": keys, "note": entry.get("note")}
        link = existing.get(entry["key"])
        if link is None:
            db.session.add(Counterpart(key=entry["key"], **values))
            added += 1
        elif link.maintained_at is None and any(getattr(link, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(link, name, value)
            updated += 1
    return added, updated


def save(entry, *, remove=False, **actor):
    """A maintainer's link (`flask directory link …`, the console), checked, audited as
    `actor` (the command's user by default); committed by the caller, who publishes.
    Returns the Counterpart."""
    link = db.session.scalar(select(Counterpart).filter_by(key=entry["key"]))
    now = utcnow()
    if remove:
        if link is None or link.removed_at is not None:
            raise InvalidLink(f"{entry['key']}: no such link")
        link.removed_at = link.maintained_at = now
        audit.record("directory.counterpart.removed", target=f"counterpart:{link.key}", commit=False, **actor)
        return link
    agencies = {agency.code: agency for agency in db.session.scalars(select(Agency))}
    keys = check(entry, _crossings(), agencies)
    values = {"agencies": entry.get("agencies") or [], "functions": sorted(entry["functions"]),
              "basis": entry.get("basis") if entry.get("agencies") else None, "crossings": keys,
              "note": entry.get("note")}
    action = "directory.counterpart.created" if link is None else "directory.counterpart.updated"
    if link is None:
        link = Counterpart(key=entry["key"])
        db.session.add(link)
    for name, value in values.items():
        setattr(link, name, value)
    link.maintained_at, link.removed_at = now, None
    audit.record(action, target=f"counterpart:{link.key}", detail=values, commit=False, **actor)
    return link


def source_note():
    return json.loads(COUNTERPARTS_FILE.read_text(encoding="utf-8"))["source"]


def current_links():
    return db.session.scalars(select(Counterpart).where(Counterpart.removed_at.is_(None))
                              .order_by(Counterpart.key)).all()


def published():
    """{key: link} for the `counterparts` pull collection; removed ones become tombstones."""
    return {link.key: link.item() for link in current_links()}


def gaps():
    """(crossing, function) pairs with neither a counterpart nor a "none known" statement."""
    covered = {(crossing, function) for link in current_links()
               for crossing in link.crossings for function in link.functions}
    return [(crossing, function) for crossing in sorted(_crossings())
            for function in sorted(catalog.code_keys("agency_function")) if (crossing, function) not in covered]


def for_officer(agency, crossing_key):
    """What "My counterpart" shows an officer of `agency` at a crossing, as the phone works it
    out from the pulled collections (pwa/src/directory.js): the links of the officer's
    functions there, each with the agency of the other side; and what is not known."""
    mine = set(agency.functions)
    found, unknown = [], []
    for link in current_links():
        if crossing_key not in link.crossings or not mine & set(link.functions):
            continue
        if not link.agencies:
            unknown.append(link)
            continue
        ends = {code: db.session.scalar(select(Agency).filter_by(code=code)) for code in link.agencies}
        own = [code for code, end in ends.items() if end.country == agency.country]
        other = [code for code, end in ends.items() if end.country != agency.country]
        if own and other:
            found.append((other[0], link))
    return found, unknown


# -- as a sheet --------------------------------------------------------------------------------

def export_rows():
    """Every link in force as a sheet row, so that an export imported again changes nothing."""
    return [{"key": link.key, "agencies": "; ".join(link.agencies), "functions": "; ".join(link.functions),
             "basis": link.basis or "", "crossings": "; ".join(link.crossings), "note": link.note or "",
             "remove": "no"} for link in current_links()]


def _entry(row):
    split = lambda name: [part.strip() for part in row.get(name, "").split(";") if part.strip()]  # noqa: E731
    return {"key": row["key"], "agencies": split("agencies"), "functions": sorted(split("functions")),
            "basis": row.get("basis") or None, "crossings": split("crossings"), "note": row.get("note") or None}


def import_file(path, dry_run=False, **actor):
    """Every row checked first; unless there is a problem (or `dry_run`), all applied in one
    transaction, each change in the audit log. Returns the Report (service.Report)."""
    report = Report()
    rows = unique_rows(report, path, COLUMNS, "key", SHEET)
    crossings = _crossings()
    agencies = {agency.code: agency for agency in db.session.scalars(select(Agency))}
    existing = {link.key: link for link in db.session.scalars(select(Counterpart))}
    wanted = []
    for line, row in rows:
        key = row["key"]
        link = existing.get(key)
        if row.get("remove", "").lower() in _YES:
            if link is None or link.removed_at is not None:
                report.problems.append(Problem(line, "key", "unknown_link",
                                               _("There is no link %(key)s to remove.", key=key)))
            else:
                report.removed.append(key)
                wanted.append(({"key": key}, True))
            continue
        entry = _entry(row)
        try:
            entry["crossings"] = check(entry, crossings, agencies)
        except InvalidLink as error:
            report.problems.append(Problem(line, "", "bad_value", str(error)))
            continue
        if link is None:
            report.created.append(key)
        elif link.removed_at is None and link.item() == {**entry, "basis": entry["basis"] if entry["agencies"] else None}:
            report.unchanged += 1
            continue
        else:
            report.updated.append(key)
        wanted.append((entry, False))
    if report.problems or dry_run:
        return report
    for entry, remove in wanted:
        save(entry, remove=remove, **actor)
    db.session.commit()
    publish(["counterparts"])
    return report
