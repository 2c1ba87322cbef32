"""Border crossings: one table (models.Crossing), seeded from the reference file, kept by
the directory's maintainers from then on (a sheet, like agencies and contacts). A crossing is
never deleted and its key never changes: records and contacts name it for good."""
import json
import re
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import gettext as _
from sqlalchemy import select

from ..audit import service as audit
from ..dbtypes import utcnow
from ..extensions import db
from ..reference import catalog
from ..reference.publish import publish
from .models import Crossing
from .service import Problem, Report, unique_rows

COLUMNS = ("border", "status", "names", "sides", "note")


def load(path=None):
    """Insert the crossings this store lacks and update the others from the file, except
    those a maintainer changed. Nothing is deleted. Returns (added, updated); the caller
    commits and publishes."""
    body = json.loads(Path(path or catalog.DATA / catalog.FILES["crossings"]).read_text(encoding="utf-8"))
    existing = {crossing.key: crossing for crossing in db.session.scalars(select(Crossing))}
    added = updated = 0
    for item in body["items"]:
        crossing = existing.get(item["key"])
        if crossing is not None and crossing.maintained_at is not None:
            continue  # a maintainer's edit outlives the file
        if crossing is None:
            crossing = Crossing(key=item["key"])
            db.session.add(crossing)
            added += 1
        elif any(getattr(crossing, column) != item.get(column) for column in COLUMNS):
            updated += 1
        for column in COLUMNS:
            setattr(crossing, column, item.get(column))
    return added, updated


def published():
    """{key: crossing} for the `crossings` pull collection, each with its pinyin keys."""
    from ..reference.search import pinyin_keys

    return {crossing.key: {**crossing.item(), "pinyin": pinyin_keys(
        crossing.names["zh_Hans"], *(side["names"]["zh_Hans"] for side in crossing.sides))}
        for crossing in db.session.scalars(select(Crossing).order_by(Crossing.key))}


# -- as a sheet --------------------------------------------------------------------------------

LANGUAGES = ("en", "vi", "lo", "zh_Hans")
STATUSES = ("international", "main", "secondary")
SIDES = ("a", "b")
SIDE_COLUMNS = ("country", "province", *(f"name_{language}" for language in LANGUAGES), "lat", "lon", "timezone")
# One row per crossing; each side's columns prefixed a_ and b_ (the first side is a).
SHEET_COLUMNS = ("key", "border", "status", *(f"name_{language}" for language in LANGUAGES),
                 *(f"{side}_{column}" for side in SIDES for column in SIDE_COLUMNS), "note")
SHEET = "crossings"
_KEY = re.compile(r"(CN|LA|VN)-(CN|LA|VN):[a-z0-9-]{3,60}\Z")


def export_rows():
    rows = []
    for crossing in db.session.scalars(select(Crossing).order_by(Crossing.key)):
        row = {"key": crossing.key, "border": crossing.border, "status": crossing.status, "note": crossing.note or "",
               **{f"name_{language}": crossing.names.get(language, "") for language in LANGUAGES}}
        for prefix, side in zip(SIDES, crossing.sides, strict=False):
            row.update({f"{prefix}_country": side["country"], f"{prefix}_province": side["province"],
                        f"{prefix}_lat": side["location"]["lat"], f"{prefix}_lon": side["location"]["lon"],
                        f"{prefix}_timezone": side["timezone"],
                        **{f"{prefix}_name_{language}": side["names"].get(language, "") for language in LANGUAGES}})
        rows.append(row)
    return rows


def _item(line, row, report):
    """The crossing a row describes, as the file writes it; None if a problem was noted."""
    before = len(report.problems)

    def problem(column, code, message):
        report.problems.append(Problem(line, column, code, message))

    def number(column, low, high):
        try:
            value = float(row.get(column, ""))
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            problem(column, "bad_value", _("A number from %(low)s to %(high)s.", low=low, high=high))
        return value

    if not _KEY.match(row["key"]):
        problem("key", "bad_value", _("A key looks like VN-LA:cau-treo--nam-phao."))
    if row.get("status") not in STATUSES:
        problem("status", "bad_value", _("One of: %(values)s.", values=", ".join(STATUSES)))
    names = {language: row.get(f"name_{language}", "") for language in LANGUAGES}
    sides = []
    for prefix in SIDES:
        get = lambda column: row.get(f"{prefix}_{column}", "")  # noqa: E731
        names_side = {language: get(f"name_{language}") for language in LANGUAGES}
        for language, text in {**{f"name_{k}": v for k, v in names.items()},
                               **{f"{prefix}_name_{k}": v for k, v in names_side.items()}}.items():
            if not text:
                problem(language, "missing_translation", _("Every name is needed in the four languages."))
        if get("country") not in ("CN", "LA", "VN") or not get("province").startswith(get("country") + "-"):
            problem(f"{prefix}_province", "bad_value", _("A country (CN, LA or VN) and an ISO 3166-2 province of it."))
        try:
            ZoneInfo(get("timezone"))
        except (ZoneInfoNotFoundError, ValueError):
            problem(f"{prefix}_timezone", "bad_time_zone", _("%(zone)s is not an IANA time zone.", zone=get("timezone")))
        sides.append({"country": get("country"), "province": get("province"), "names": names_side,
                      "location": {"lat": number(f"{prefix}_lat", -90, 90), "lon": number(f"{prefix}_lon", -180, 180)},
                      "timezone": get("timezone")})
    border = "-".join(sorted(side["country"] for side in sides))
    if row.get("border") != border:
        problem("border", "bad_value", _("The two sides' countries: %(border)s.", border=border))
    if len(report.problems) > before:
        return None
    return {"key": row["key"], "border": border, "status": row["status"], "names": names, "sides": sides,
            "note": row.get("note") or None}


def import_file(path, dry_run=False, **actor):
    """Every row checked first; unless there is a problem (or `dry_run`), all applied in one
    transaction, each change in the audit log; a crossing the file leaves out stays."""
    report = Report()
    rows = unique_rows(report, path, SHEET_COLUMNS, "key", SHEET)
    existing = {crossing.key: crossing for crossing in db.session.scalars(select(Crossing))}
    wanted = []
    for line, row in rows:
        item = _item(line, row, report)
        if item is None:
            continue
        crossing = existing.get(item["key"])
        changed = [column for column in COLUMNS if crossing is None or getattr(crossing, column) != item[column]]
        if crossing is None:
            report.created.append(item["key"])
        elif changed:
            report.updated.append(item["key"])
        else:
            report.unchanged += 1
            continue
        wanted.append((crossing, item, changed))
    if report.problems or dry_run:
        return report
    for crossing, item, changed in wanted:
        if crossing is None:
            crossing = Crossing(key=item["key"])
            db.session.add(crossing)
        for column in COLUMNS:
            setattr(crossing, column, item[column])
        crossing.maintained_at = utcnow()
        audit.record("directory.crossing.created" if item["key"] in report.created else "directory.crossing.updated",
                     target=f"crossing:{item['key']}", detail={"changed": changed}, commit=False, **actor)
    db.session.commit()
    publish(["crossings"])
    return report
