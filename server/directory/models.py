"""The emergency contact directory (issue 16): who to call across a border crossing.

A contact is a 24-hour duty desk or a named focal point of an agency. It says who may
receive it (its audience), when it is staffed (in its own time zone), which crossings it
serves, and when and by whom it was last verified. A contact is never deleted: a removed
one keeps its row with `removed_at`, so that phones are told to drop their copy.
"""
from sqlalchemy import JSON, Boolean, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..access.models import Agency
from ..store.models import Record
from ..dbtypes import UTCDateTime, utcnow
from ..extensions import db

KINDS = ("duty_desk", "focal_point")


class Crossing(db.Model):
    """A pair of facing border checkpoints (server/reference/data/crossings.json seeds them;
    `flask agencies load` keeps them up to date). Like an agency, a crossing is never deleted
    and its key never changes: records and contacts name it for good."""

    __tablename__ = "crossings"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    border: Mapped[str] = mapped_column(String(5))  # the two countries, e.g. CN-VN
    status: Mapped[str] = mapped_column(String(20))  # international | main | secondary
    names: Mapped[dict] = mapped_column(JSON)  # the pair's name, {en, vi, lo, zh_Hans}
    # Each side: country, province, names, location {lat, lon}, IANA time zone.
    sides: Mapped[list] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    maintained_at: Mapped[object | None] = mapped_column(UTCDateTime)  # see Agency.maintained_at

    def item(self):
        """The crossing as the file writes it and phones receive it."""
        return {"key": self.key, "border": self.border, "status": self.status, "names": self.names,
                "sides": self.sides, "note": self.note}


class Counterpart(db.Model):
    """Who an agency's counterpart across a crossing is, for one or more functions: two
    agencies of the crossing's two countries and the basis of their link; or, with no
    agencies, the statement that none is known (and what to do instead, in the note).
    Seeded from server/reference/data/counterparts.json by `flask agencies load`, maintained
    with `flask directory link …`; removed ones keep their row, so phones drop them."""

    __tablename__ = "counterparts"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    agencies: Mapped[list] = mapped_column(JSON)  # two agency codes, or [] for "none known"
    functions: Mapped[list] = mapped_column(JSON)  # codes/agency_function
    basis: Mapped[str | None] = mapped_column(String(40))  # codes/counterpart_basis
    crossings: Mapped[list] = mapped_column(JSON)  # crossing keys, borders already expanded
    note: Mapped[str | None] = mapped_column(Text)
    maintained_at: Mapped[object | None] = mapped_column(UTCDateTime)  # see Agency.maintained_at
    removed_at: Mapped[object | None] = mapped_column(UTCDateTime)

    def item(self):
        return {"key": self.key, "agencies": self.agencies, "functions": self.functions, "basis": self.basis,
                "crossings": self.crossings, "note": self.note}


class Contact(db.Model):
    __tablename__ = "directory_contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)  # stable, chosen by the maintainer
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    role: Mapped[dict] = mapped_column(JSON)  # the role or desk title, {en, vi, lo, zh_Hans}
    person_name: Mapped[str | None] = mapped_column(Text)  # in the person's own script
    person_name_latin: Mapped[str | None] = mapped_column(Text)
    phones: Mapped[list] = mapped_column(JSON)  # [{"number": E.164, "type": office|mobile|hotline|fax}]
    messaging: Mapped[list] = mapped_column(JSON)  # [{"platform": whatsapp|zalo|wechat|line|telegram, "handle"}]
    email: Mapped[str | None] = mapped_column(Text)
    languages: Mapped[list] = mapped_column(JSON)  # ISO 639-1 codes
    hours: Mapped[dict] = mapped_column(JSON)  # {"always": true} or {"weekly": [{"days", "from", "to"}]}
    time_zone: Mapped[str] = mapped_column(String(64))  # IANA
    closed: Mapped[list] = mapped_column(JSON)  # [{"from": date, "to": date, "note"}]: holidays and the like
    crossings: Mapped[list] = mapped_column(JSON)  # crossing keys it serves
    audience_countries: Mapped[list] = mapped_column(JSON)  # agencies of these countries receive it
    audience_agencies: Mapped[list] = mapped_column(JSON)  # and these agencies
    supervisors_only: Mapped[bool] = mapped_column(Boolean, default=False)  # never sent to phones
    verified_on: Mapped[object | None] = mapped_column(Date)
    verified_by: Mapped[str | None] = mapped_column(Text)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)  # invented, with numbers from unassigned ranges
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[object | None] = mapped_column(UTCDateTime)
    agency: Mapped[Agency] = relationship()


class Report(db.Model):
    """An officer's report that a contact did not work (the directory_feedback form), for
    the maintainers of the contact's country (service.reports_for)."""

    __tablename__ = "directory_reports"
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), primary_key=True)
    contact_key: Mapped[str] = mapped_column(String(64), index=True)
    number: Mapped[str | None] = mapped_column(String(40))
    problem: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    record: Mapped["Record"] = relationship()


class ReportHandling(db.Model):
    """What a maintainer did about an officer's report (the console's work list). Kept apart
    from Report, which is filed from the record and rebuilt with the store, and keyed by the
    record's rid, which outlives a rebuild."""

    __tablename__ = "directory_report_handling"
    rid: Mapped[str] = mapped_column(String(36), primary_key=True)
    handled_at: Mapped[object] = mapped_column(UTCDateTime)
    handled_by: Mapped[str] = mapped_column(String(80))  # the maintainer's username
    note: Mapped[str | None] = mapped_column(Text)
