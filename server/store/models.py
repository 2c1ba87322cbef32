"""The shared intelligence store: a projection of the ledger, rebuildable from it.

Entities follow the FollowTheMoney model (schema + properties) so they export 1:1 to
FtM/Aleph and i2. Every row knows its owning agency and country.
"""
from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..access.models import Agency
from ..dbtypes import UTCDateTime
from ..extensions import db


class Record(db.Model):
    __tablename__ = "records"
    # Readers page by (received_at, rid): no global position that counts others' filings.
    __table_args__ = (Index("ix_records_received_at_rid", "received_at", "rid"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    rid: Mapped[str] = mapped_column(String(36), unique=True)
    ledger_idx: Mapped[int] = mapped_column(ForeignKey("ledger.idx"), unique=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    country: Mapped[str] = mapped_column(String(2), index=True)
    officer_name: Mapped[str | None] = mapped_column(Text)
    form: Mapped[str] = mapped_column(String(40))
    form_version: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(BigInteger)
    device_time: Mapped[object] = mapped_column(UTCDateTime)
    time_zone: Mapped[str | None] = mapped_column(String(64))  # IANA, as the phone reported it
    clock_offset_ms: Mapped[int | None] = mapped_column(BigInteger)
    received_at: Mapped[object] = mapped_column(UTCDateTime)
    # What deserves a second look: future, before_enrollment, prev_mismatch (the timestamp);
    # supersedes_unknown (a correction of a record not yet arrived); pin_reset (sealed after a
    # PIN reset no supervisor has confirmed).
    flags: Mapped[list] = mapped_column(JSON, default=list)
    supersedes: Mapped[str | None] = mapped_column(String(36), index=True)
    pin_resets: Mapped[int | None] = mapped_column(Integer)  # the phone's PIN-reset count when it sealed
    content: Mapped[dict] = mapped_column(JSON)
    # Who may receive it (codes/handling_code), from forms that ask; None: the usual need-to-know.
    handling: Mapped[str | None] = mapped_column(String(20))
    agency: Mapped["Agency"] = relationship()
    seizure: Mapped["Seizure | None"] = relationship(back_populates="record", uselist=False)
    market_observation: Mapped["MarketObservation | None"] = relationship(back_populates="record",
                                                                          uselist=False)
    mentions: Mapped[list["Mention"]] = relationship(back_populates="record", order_by="Mention.id")


class PlaceColumns:
    """Where something was seen: province, country and a GPS fix with its accuracy."""

    province: Mapped[str | None] = mapped_column(String(10))
    place_country: Mapped[str | None] = mapped_column(String(2))
    latitude: Mapped[object | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[object | None] = mapped_column(Numeric(9, 6))
    accuracy_m: Mapped[object | None] = mapped_column(Numeric(12, 2))


class Seizure(PlaceColumns, db.Model):
    """A seizure as the CITES annual illegal trade report and ETIS count it."""

    __tablename__ = "seizures"
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), primary_key=True)
    seized_on: Mapped[object] = mapped_column(Date, index=True)
    seizing_agency: Mapped[str] = mapped_column(String(40))
    place: Mapped[str] = mapped_column(Text)  # the place name as typed
    location_type: Mapped[str | None] = mapped_column(String(30))
    crossing: Mapped[str | None] = mapped_column(String(80), index=True)
    seizure_point: Mapped[str | None] = mapped_column(String(20))
    detection_method: Mapped[str | None] = mapped_column(String(30))
    transport_mode: Mapped[str | None] = mapped_column(String(20))
    concealment: Mapped[str | None] = mapped_column(String(30))
    # [{"role": "origin", "country": "NG"}, …] in travel order.
    route: Mapped[list | None] = mapped_column(JSON)
    value_amount: Mapped[object | None] = mapped_column(Numeric(20, 2))
    value_currency: Mapped[str | None] = mapped_column(String(3))
    legal_follow_up: Mapped[str | None] = mapped_column(String(30))
    source_reliability: Mapped[str | None] = mapped_column(String(1))
    source_credibility: Mapped[str | None] = mapped_column(String(1))
    narrative: Mapped[str | None] = mapped_column(Text)
    record: Mapped[Record] = relationship(back_populates="seizure")
    items: Mapped[list["SeizureItem"]] = relationship(order_by="SeizureItem.position")


class SeizureItem(db.Model):
    __tablename__ = "seizure_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("seizures.record_id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    species: Mapped[str] = mapped_column(Text, index=True)
    term: Mapped[str | None] = mapped_column(String(3))
    quantity: Mapped[object] = mapped_column(Numeric(18, 6))
    unit: Mapped[str] = mapped_column(String(10))
    count: Mapped[int | None] = mapped_column(BigInteger)
    weight_kg: Mapped[object | None] = mapped_column(Numeric(18, 6))
    state: Mapped[str | None] = mapped_column(String(10))
    description: Mapped[str | None] = mapped_column(Text)
    disposal: Mapped[str | None] = mapped_column(String(30))  # from seizure v3


class MarketObservation(PlaceColumns, db.Model):
    __tablename__ = "market_observations"
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), primary_key=True)
    observed_on: Mapped[object] = mapped_column(Date, index=True)
    observing_agency: Mapped[str] = mapped_column(String(40))
    market_kind: Mapped[str] = mapped_column(String(10))
    place: Mapped[str | None] = mapped_column(Text)
    platform: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    observation_mode: Mapped[str] = mapped_column(String(10))
    notes: Mapped[str | None] = mapped_column(Text)
    record: Mapped[Record] = relationship(back_populates="market_observation")
    items: Mapped[list["MarketItem"]] = relationship(order_by="MarketItem.position")


class MarketItem(db.Model):
    __tablename__ = "market_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("market_observations.record_id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    species: Mapped[str] = mapped_column(Text, index=True)
    term: Mapped[str] = mapped_column(String(3))
    quantity: Mapped[object | None] = mapped_column(Numeric(18, 6))
    unit: Mapped[str | None] = mapped_column(String(10))
    price: Mapped[object | None] = mapped_column(Numeric(20, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    # per_unit or total (market observation v2); empty for v1, which did not ask.
    price_basis: Mapped[str | None] = mapped_column(String(10))
    claimed_origin: Mapped[str | None] = mapped_column(String(2))
    state: Mapped[str | None] = mapped_column(String(10))


class InformationReport(PlaceColumns, db.Model):
    """What an officer or analyst learned outside a seizure or a market visit, graded."""

    __tablename__ = "information_reports"
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), primary_key=True)
    reported_on: Mapped[object] = mapped_column(Date, index=True)
    reporting_agency: Mapped[str] = mapped_column(String(40))
    narrative: Mapped[str] = mapped_column(Text)
    place: Mapped[str | None] = mapped_column(Text)
    crossing: Mapped[str | None] = mapped_column(String(80), index=True)
    source_type: Mapped[str] = mapped_column(String(30))
    source_reliability: Mapped[str] = mapped_column(String(1))
    source_credibility: Mapped[str] = mapped_column(String(1))
    handling: Mapped[str] = mapped_column(String(20))
    species: Mapped[list] = mapped_column(JSON, default=list)  # [{"species", "goods"}]
    record: Mapped[Record] = relationship()


class Entity(db.Model):
    """A FollowTheMoney entity (schema + properties): one person, company, vehicle or account
    as resolution sees it, the union of its mentions (intel/resolve.py). Its own `properties`
    are every mention's together; what a reader is shown is computed from the mentions they
    may see. One made by intake for a single mention may later be merged into another
    (`merged_into_id`, so that its id still leads somewhere)."""

    __tablename__ = "entities"
    id: Mapped[int] = mapped_column(primary_key=True)
    schema: Mapped[str] = mapped_column(String(20), index=True)
    caption: Mapped[str] = mapped_column(Text)
    properties: Mapped[dict] = mapped_column(JSON)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)  # of its first mention
    country: Mapped[str] = mapped_column(String(2))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("entities.id"), index=True)


class Mention(db.Model):
    """A person, company, vehicle or account as one record names it, with its role there
    (suspect, vendor…): what the record said, never changed; `entity_id` is where
    resolution put it."""

    __tablename__ = "mentions"
    __table_args__ = (
        Index("ix_mentions_unresolved", "resolved_at", "id"),
        # The network reads an entity's mentions, and a record's, off these indexes alone on
        # PostgreSQL (index-only scans): who may see each (the record's country, agency and
        # handling code, copied here) and where it leads.
        Index("ix_mentions_entity_id", "entity_id",
              postgresql_include=["id", "key", "record_id", "country", "agency_id", "handling"]),
        Index("ix_mentions_record_id", "record_id", postgresql_include=["id", "entity_id", "role"]),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)  # "<rid>/<n>": the same after a rebuild
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"))
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"))
    role: Mapped[str] = mapped_column(String(20))
    schema: Mapped[str] = mapped_column(String(20))
    caption: Mapped[str] = mapped_column(Text)
    properties: Mapped[dict] = mapped_column(JSON)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    country: Mapped[str] = mapped_column(String(2))
    handling: Mapped[str | None] = mapped_column(String(20))  # the record's: who may see it is theirs
    resolved_at: Mapped[object | None] = mapped_column(UTCDateTime)
    record: Mapped[Record] = relationship(back_populates="mentions")
    entity: Mapped[Entity] = relationship()


REVIEW_STATES = ("received", "has_issues", "approved")


class RecordReview(db.Model):
    """A supervisor's word on a record, which reaches the phone that sealed it (the
    `reviews` pull collection). Keyed by rid, not by the record row: the store can be
    rebuilt from the ledger, and the review must outlive that."""

    __tablename__ = "record_reviews"
    rid: Mapped[str] = mapped_column(String(36), primary_key=True)
    state: Mapped[str] = mapped_column(String(12))  # REVIEW_STATES
    comment: Mapped[str | None] = mapped_column(Text)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[object] = mapped_column(UTCDateTime)
