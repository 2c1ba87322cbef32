"""Maintaining the directory from files (sheets.py): every row checked first, and a file
with any error writes nothing; every change recorded in the audit log."""
import re
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
import pycountry
from flask_babel import gettext as _
from sqlalchemy import select

from ..access.models import Agency
from ..audit import service as audit
from ..audit.models import AuditEntry
from ..dbtypes import utcnow
from ..extensions import db
from ..reference.current import current
from ..reference.publish import publish
from ..reference.search import pinyin_keys
from . import sheets
from .models import KINDS, Contact

LANGUAGES = ("en", "vi", "lo", "zh_Hans")
PHONE_TYPES = ("office", "mobile", "hotline", "fax")
# Platforms whose handle is a phone number, with a public link format (wa.me, zalo.me).
NUMBER_PLATFORMS = ("whatsapp", "zalo")
PLATFORMS = (*NUMBER_PLATFORMS, "wechat", "line", "telegram", "signal")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}\Z")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+\Z")
_SPAN = re.compile(r"([0-2][0-9]):([0-5][0-9])-([0-2][0-9]):([0-5][0-9])\Z")
_YES, _NO = {"yes", "y", "true", "1", "x"}, {"no", "n", "false", "0", ""}
AUDIENCE = "audience"  # who receives a published contact; never sent to a phone
# What a contact is, as the file has it and as export writes it back.
FIELDS = ("agency_id", "kind", "role", "person_name", "person_name_latin", "phones", "messaging", "email",
          "languages", "hours", "time_zone", "closed", "crossings", "audience_countries", "audience_agencies",
          "supervisors_only", "verified_on", "verified_by", "demo")


@dataclass
class Problem:
    line: int
    column: str
    code: str
    message: str

    def __str__(self):
        return f"{self.line}:{self.column}: {self.code}: {self.message}"


@dataclass
class Report:
    """What an import found, and what it did or would do."""

    problems: list = field(default_factory=list)
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    removed: list = field(default_factory=list)
    unchanged: int = 0

    @property
    def ok(self):
        return not self.problems


def unique_rows(report, path, columns, key, sheet_name):
    """The rows of a sheet of agencies, crossings or links, each key once: an unreadable file
    or a key repeated is a problem in `report`."""
    try:
        rows = sheets.read(path, columns, key=key, sheet_name=sheet_name)
    except sheets.SheetError as error:
        report.problems.append(Problem(1, "", "unreadable_file", str(error)))
        return []
    seen, unique = {}, []
    for line, row in rows:
        if row[key] in seen:
            report.problems.append(Problem(line, key, "duplicate_key", _(
                "The key %(key)s is also on line %(line)d.", key=row[key], line=seen[row[key]])))
            continue
        seen[row[key]] = line
        unique.append((line, row))
    return unique


def _split(text):
    return [part.strip() for part in text.split(";") if part.strip()]


class _Row:
    """One row read into contact values, its problems noted against the report."""

    def __init__(self, line, row, report, agencies):
        self.line, self.row, self.report, self.agencies = line, row, report, agencies

    def problem(self, column, code, message):
        self.report.problems.append(Problem(self.line, column, code, message))

    def text(self, column, required=False):
        value = self.row.get(column, "")
        if required and not value:
            self.problem(column, "missing_value", _("This column must not be empty."))
        return value or None

    def flag(self, column):
        value = self.row.get(column, "").lower()
        if value not in _YES | _NO:
            self.problem(column, "bad_value", _("Write yes or no."))
        return value in _YES

    def values(self):
        agency = self.agencies.get(self.row.get("agency", ""))
        if agency is None:
            self.problem("agency", "unknown_agency", _("No agency has this code."))
        elif agency.retired_on is not None:
            self.problem("agency", "retired_agency", _("This agency is retired: give the contact to its successor."))
        kind = self.row.get("kind", "")
        if kind not in KINDS:
            self.problem("kind", "bad_value", _("Write duty_desk or focal_point."))
        role = {}
        for language in LANGUAGES:
            role[language] = self.row.get(f"role_{language}", "")
            if not role[language]:
                self.problem(f"role_{language}", "missing_translation", _("The role must be named in every language."))
        demo = self.flag("demo")
        country = agency.country if agency else None
        values = {
            "agency_id": agency.id if agency else None, "kind": kind, "role": role,
            "person_name": self.text("name", required=kind == "focal_point"),
            "person_name_latin": self.text("name_latin", required=kind == "focal_point"),
            "phones": self._phones(country, demo), "messaging": self._messaging(country, demo),
            "email": self._email(), "languages": self._languages(), "hours": self._hours(),
            "time_zone": self._time_zone(), "closed": self._closed(), "crossings": self._crossings(),
            "audience_countries": self._countries(), "audience_agencies": self._audience_agencies(),
            "supervisors_only": self.flag("supervisors_only"), "verified_on": self._date("verified_on"),
            "verified_by": self.text("verified_by"), "demo": demo,
        }
        if not values["supervisors_only"] and not (values["audience_countries"] or values["audience_agencies"]):
            self.problem("audience_countries", "no_audience",
                         _("Say which countries or agencies receive this contact, or mark it supervisors_only."))
        return values

    def _number(self, column, text, country, demo):
        """The number in E.164, checked: a real one must be a valid number of its country;
        a demo one must be possible but valid nowhere, so that no real person is called."""
        if country is None and not text.startswith("+"):
            return text  # read in the agency's country, which the row names wrongly (reported)
        try:
            parsed = phonenumbers.parse(text, country)
        except phonenumbers.NumberParseException:
            parsed = None
        if parsed is None or not phonenumbers.is_possible_number(parsed):
            self.problem(column, "bad_phone", _("%(number)s is not a phone number.", number=text))
            return text
        valid = phonenumbers.is_valid_number(parsed)
        if demo and valid:
            self.problem(column, "bad_phone", _("%(number)s is a number in use: a demo contact needs a number "
                                                "from an unassigned range.", number=text))
        elif not demo and not valid:
            self.problem(column, "bad_phone", _("%(number)s is not a valid number in its country.", number=text))
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

    def _phones(self, country, demo):
        phones = []
        for entry in _split(self.row.get("phones", "")):
            number, _space, kind = entry.rpartition(" ")
            if kind.lower() not in PHONE_TYPES:
                number, kind = entry, "office"
            phones.append({"number": self._number("phones", number, country, demo), "type": kind.lower()})
        if not phones:
            self.problem("phones", "missing_value", _("A contact needs at least one phone number."))
        return phones

    def _messaging(self, country, demo):
        handles = []
        for entry in _split(self.row.get("messaging", "")):
            platform, colon, handle = entry.partition(":")
            platform, handle = platform.strip().lower(), handle.strip()
            if not colon or platform not in PLATFORMS or not handle:
                self.problem("messaging", "bad_value", _("Write platform:handle, the platform one of %(platforms)s.",
                                                         platforms=", ".join(PLATFORMS)))
                continue
            if platform in NUMBER_PLATFORMS:
                handle = self._number("messaging", handle, country, demo)
            handles.append({"platform": platform, "handle": handle})
        return handles

    def _email(self):
        email = self.text("email")
        if email and not _EMAIL.match(email):
            self.problem("email", "bad_value", _("Not an e-mail address."))
        return email

    def _languages(self):
        languages = [code.lower() for code in _split(self.row.get("languages", ""))]
        for code in languages:
            if len(code) != 2 or pycountry.languages.get(alpha_2=code) is None:
                self.problem("languages", "unknown_language", _("%(code)s is not an ISO 639-1 language code.",
                                                                code=code))
        return languages

    def _hours(self):
        """"24h", or days and spans: "mon-fri 07:30-11:30 13:30-17:00; sat 07:30-11:30"."""
        text = self.row.get("hours", "").lower()
        if text in {"24h", "24/7"}:
            return {"always": True}
        weekly = []
        for part in _split(text):
            days, *spans = part.split()
            first, _dash, last = days.partition("-")
            if first not in DAYS or (last and last not in DAYS) or not spans:
                self.problem("hours", "bad_hours", _("Write 24h, or days and hours such as "
                                                     "mon-fri 07:30-11:30 13:30-17:00; sat 07:30-11:30."))
                return {"weekly": []}
            for span in spans:
                match = _SPAN.match(span)
                start, end = ((int(match[1]), int(match[2])), (int(match[3]), int(match[4]))) if match else (0, 0)
                if not match or start[0] > 23 or end > (24, 0) or start >= end:
                    self.problem("hours", "bad_hours", _("%(span)s is not a span of hours such as 07:30-11:30.",
                                                         span=span))
                    continue
                weekly.append({"days": [first, last or first], "from": f"{match[1]}:{match[2]}",
                               "to": f"{match[3]}:{match[4]}"})
        if not weekly:
            self.problem("hours", "bad_hours", _("Say when the contact can be reached: 24h, or days and hours."))
        return {"weekly": weekly}

    def _time_zone(self):
        zone = self.row.get("time_zone", "")
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            self.problem("time_zone", "bad_time_zone", _("%(zone)s is not an IANA time zone such as Asia/Vientiane.",
                                                         zone=zone))
        return zone

    def _date(self, column, text=None):
        text = self.row.get(column, "") if text is None else text
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.problem(column, "bad_date", _("%(text)s is not a date written YYYY-MM-DD.", text=text))
            return None

    def _closed(self):
        """Dated exceptions: "2027-02-05..2027-02-11 Tết; 2027-04-14 Pi Mai"."""
        closed = []
        for entry in _split(self.row.get("closed", "")):
            when, _space, note = entry.partition(" ")
            first, _dots, last = when.partition("..")
            start, end = self._date("closed", first), self._date("closed", last or first)
            if start and end:
                if end < start:
                    self.problem("closed", "bad_date", _("%(text)s ends before it starts.", text=when))
                closed.append({"from": start.isoformat(), "to": end.isoformat(), "note": note.strip() or None})
        return closed

    def _crossings(self):
        crossings = _split(self.row.get("crossings", ""))
        known = current().crossing_keys
        for key in crossings:
            if key not in known:
                self.problem("crossings", "unknown_crossing", _("No border crossing has the key %(key)s.", key=key))
        return crossings

    def _countries(self):
        countries = [code.upper() for code in _split(self.row.get("audience_countries", ""))]
        for code in countries:
            if pycountry.countries.get(alpha_2=code) is None:
                self.problem("audience_countries", "bad_value", _("%(code)s is not an ISO 3166 country code.",
                                                                  code=code))
        return countries

    def _audience_agencies(self):
        codes = _split(self.row.get("audience_agencies", ""))
        for code in codes:
            if code not in self.agencies:
                self.problem("audience_agencies", "unknown_agency", _("No agency has the code %(code)s.", code=code))
        return codes


def import_file(path, dry_run=False, may_write=None, **actor):
    """Check every row of the file; unless there is a problem (or `dry_run`), apply them
    all in one transaction, each change in the audit log. Returns the Report."""
    try:
        rows = sheets.read(path)
    except sheets.SheetError as error:
        return Report(problems=[Problem(1, "", "unreadable_file", str(error))])
    return import_rows(rows, dry_run, may_write, **actor)


def import_rows(rows, dry_run=False, may_write=None, **actor):
    """import_file for rows already read, [(line, {column: text})]: the console's contact
    form is a sheet of one row. `may_write(agency)`, when given, says whose contacts the
    maintainer keeps (access.maintains_contacts_of): a row touching any other is a problem.
    `actor` (actor=, actor_kind=) is who the audit log names; by default the command's user."""
    report = Report()
    agencies = {agency.code: agency for agency in db.session.scalars(select(Agency))}
    existing = {contact.key: contact for contact in db.session.scalars(select(Contact))}
    seen, wanted = {}, []
    for line, row in rows:
        key = row.get("key", "")
        if not _KEY.match(key):
            report.problems.append(Problem(line, "key", "bad_value", _(
                "A key is up to 64 letters, digits and . _ : / -, beginning with a letter or digit.")))
            continue
        if key in seen:
            report.problems.append(Problem(line, "key", "duplicate_key", _(
                "The key %(key)s is also on line %(line)d.", key=key, line=seen[key])))
            continue
        seen[key] = line
        reading = _Row(line, row, report, agencies)
        if may_write is not None and not _may_write(reading, existing.get(key), may_write):
            continue
        if reading.flag("remove"):
            if key not in existing:
                reading.problem("key", "unknown_contact", _("There is no contact %(key)s to remove.", key=key))
            wanted.append((key, None))
        else:
            wanted.append((key, reading.values()))
    for key, values in wanted:
        contact = existing.get(key)
        if values is None:
            if contact is not None and contact.removed_at is None:
                report.removed.append(key)
        elif contact is None:
            report.created.append(key)
        elif contact.removed_at is not None or _changes(contact, values):
            report.updated.append(key)
        else:
            report.unchanged += 1
    if report.problems or dry_run:
        return report
    _apply(wanted, existing, actor)
    return report


def _may_write(reading, contact, may_write):
    """Whether a maintainer keeps the contact as it is and as the row would make it."""
    agency = reading.agencies.get(reading.row.get("agency", ""))
    if contact is not None and not may_write(contact.agency):
        reading.problem("key", "outside_scope", _("This contact belongs to an agency whose contacts you do not "
                                                   "maintain."))
        return False
    removing = reading.row.get("remove", "").lower() in _YES
    if agency is not None and not removing and not may_write(agency):
        reading.problem("agency", "outside_scope", _("You do not maintain this agency's contacts."))
        return False
    return True


def _changes(contact, values):
    return sorted(name for name in FIELDS if getattr(contact, name) != values[name])


def _apply(wanted, existing, actor):
    now = utcnow()
    for key, values in wanted:
        contact = existing.get(key)
        if values is None:
            if contact is not None and contact.removed_at is None:
                contact.removed_at = contact.updated_at = now
                audit.record("directory.contact.removed", target=f"contact:{key}", commit=False, **actor)
            continue
        if contact is None:
            contact = Contact(key=key, **values, updated_at=now)
            db.session.add(contact)
            audit.record("directory.contact.created", target=f"contact:{key}", commit=False, **actor)
            continue
        changed = _changes(contact, values)
        if changed or contact.removed_at is not None:
            for name in changed:
                setattr(contact, name, values[name])
            contact.removed_at, contact.updated_at = None, now
            audit.record("directory.contact.updated", target=f"contact:{key}", detail={"changed": changed},
                         commit=False, **actor)
    db.session.commit()
    publish(["directory"])


def published():
    """{key: contact} as phones receive it, with its audience, for the `directory` pull
    collection (reference/publish.py). A removed contact is left out: phones get a
    tombstone."""
    contacts = db.session.scalars(select(Contact).where(Contact.removed_at.is_(None)).order_by(Contact.key))
    return {contact.key: {
        "key": contact.key, "agency": contact.agency.code, "kind": contact.kind, "role": contact.role,
        "name": contact.person_name, "name_latin": contact.person_name_latin, "phones": contact.phones,
        "messaging": contact.messaging, "email": contact.email, "languages": contact.languages,
        "hours": contact.hours, "time_zone": contact.time_zone, "closed": contact.closed,
        "crossings": contact.crossings, "demo": contact.demo,
        "pinyin": pinyin_keys(contact.role["zh_Hans"], contact.person_name),
        "verified_on": contact.verified_on.isoformat() if contact.verified_on else None,
        "verified_by": contact.verified_by,
        AUDIENCE: {"countries": contact.audience_countries, "agencies": contact.audience_agencies,
                   "supervisors_only": contact.supervisors_only},
    } for contact in contacts}


def for_device(data, agency):
    """What a phone of `agency` receives of a published contact: the contact without its
    audience, or None if the audience leaves the phone out (it is sent a tombstone, so a
    contact whose audience shrank disappears from phones no longer in it)."""
    audience = data.get(AUDIENCE)
    if audience is None:  # what the collection says of itself (publish.ABOUT)
        return data
    if audience["supervisors_only"] or (agency.country not in audience["countries"]
                                        and agency.code not in audience["agencies"]):
        return None
    return {name: value for name, value in data.items() if name != AUDIENCE}


def export_rows(include_removed=False):
    """Every contact as a sheet row, so that an export imported again changes nothing."""
    query = select(Contact).order_by(Contact.key)
    if not include_removed:
        query = query.where(Contact.removed_at.is_(None))
    return [sheet_row(contact) for contact in db.session.scalars(query)]


def _yes(value):
    return "yes" if value else "no"


def _hours_text(hours):
    if hours.get("always"):
        return "24h"
    by_days = {}
    for span in hours["weekly"]:
        first, last = span["days"]
        by_days.setdefault(first if first == last else f"{first}-{last}", []).append(f"{span['from']}-{span['to']}")
    return "; ".join(f"{days} {' '.join(spans)}" for days, spans in by_days.items())


def sheet_row(contact):
    """A contact as its row of the sheet (and the console's contact form)."""
    return {
        "key": contact.key, "agency": contact.agency.code, "kind": contact.kind,
        **{f"role_{language}": contact.role.get(language, "") for language in LANGUAGES},
        "name": contact.person_name or "", "name_latin": contact.person_name_latin or "",
        "phones": "; ".join(f"{phone['number']} {phone['type']}" for phone in contact.phones),
        "messaging": "; ".join(f"{m['platform']}:{m['handle']}" for m in contact.messaging),
        "email": contact.email or "", "languages": "; ".join(contact.languages), "hours": _hours_text(contact.hours),
        "time_zone": contact.time_zone,
        "closed": "; ".join((c["from"] if c["from"] == c["to"] else f"{c['from']}..{c['to']}")
                            + (f" {c['note']}" if c.get("note") else "") for c in contact.closed),
        "crossings": "; ".join(contact.crossings), "audience_countries": "; ".join(contact.audience_countries),
        "audience_agencies": "; ".join(contact.audience_agencies), "supervisors_only": _yes(contact.supervisors_only),
        "verified_on": contact.verified_on.isoformat() if contact.verified_on else "",
        "verified_by": contact.verified_by or "", "demo": _yes(contact.demo),
        "remove": _yes(contact.removed_at is not None),
    }


def history(target):
    """The audit entries of one directory entry ("contact:<key>", "agency:<code>",
    "counterpart:<key>"), oldest first."""
    return db.session.scalars(select(AuditEntry).filter_by(target=target).order_by(AuditEntry.seq)).all()
