"""Filing: turning opened, validated records into typed rows of the store.

A record is first planned (`plan_record`: plain row values, nothing touches the session),
then a batch's plans go in together (`insert_all`: one multi-row INSERT per table), so a
push of a hundred records costs a handful of statements rather than a unit-of-work flush
per record.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

import phonenumbers
from sqlalchemy import insert

from ..extensions import db
from ..intel import ftm
from ..reference.zones import regional_zone
from . import limits
from .models import (
    Entity,
    InformationReport,
    MarketItem,
    MarketObservation,
    Mention,
    Record,
    Seizure,
    SeizureItem,
)


def e164(number, region):
    """A phone number in E.164 when it can be read as one (a local number is read in
    `region`), else as typed: an odd number is still evidence."""
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return number
    if not phonenumbers.is_possible_number(parsed):
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@dataclass
class Filing:
    """One record's store rows as column values. Keys the database assigns (the record's
    id, an entity's id) are filled in by insert_all."""

    record: dict
    detail_model: type = None  # Seizure or MarketObservation
    detail: dict = None
    item_model: type = None
    items: list = field(default_factory=list)
    entities: list = field(default_factory=list)  # (entity row, role in the record)

    def rows(self):
        yield Record, self.record
        yield self.detail_model, self.detail
        for item in self.items:
            yield self.item_model, item
        for entity, _role in self.entities:
            yield Entity, entity

    def misfit(self):
        """'table.column' of the first value no column of its row can hold, or None."""
        return next(filter(None, (limits.misfit(model.__table__, row) for model, row in self.rows())), None)

    def entity(self, schema, caption, properties, role):
        # Read as FollowTheMoney reads them (issue 18, intel/ftm.py): what FtM cannot accept
        # for a property stays in the record's content only.
        properties = ftm.clean(schema, properties)
        self.entities.append(({"schema": schema, "caption": caption, "properties": properties,
                               "agency_id": self.record["agency_id"], "country": self.record["country"]}, role))


def _place_columns(place):
    gps = place.get("gps") or {}
    return {"province": place.get("province"), "place_country": place.get("country"),
            "latitude": gps.get("lat"), "longitude": gps.get("lon"), "accuracy_m": gps.get("accuracy_m")}


def _file_person(filing, person, role):
    region = person.get("nationality") or filing.record["country"]
    filing.entity("Person", person["name"], {
        "name": [person["name"]],
        "alias": [person.get("name_latin")],
        "nationality": [(person.get("nationality") or "").lower()],
        "idNumber": [person.get("id_number")],
        "phone": [e164(person["phone"], region) if person.get("phone") else None],
    }, role)


def _file_seizure(filing, data):
    place, value, grade = data["place"], data.get("estimated_value") or {}, data.get("source_grade") or {}
    filing.detail_model, filing.item_model = Seizure, SeizureItem
    filing.detail = {
        "seized_on": data["date"], "seizing_agency": data["agency"],
        "place": place["name"], "location_type": place["location_type"], "crossing": place.get("crossing"),
        **_place_columns(place),
        "seizure_point": data.get("seizure_point"), "detection_method": data.get("detection_method"),
        "transport_mode": data.get("transport_mode"), "concealment": data.get("concealment"),
        "route": data.get("route", []), "value_amount": value.get("amount"),
        "value_currency": value.get("currency"), "legal_follow_up": data.get("legal_follow_up"),
        "source_reliability": grade.get("reliability"), "source_credibility": grade.get("credibility"),
        "narrative": data.get("narrative")}
    filing.items = [{
        "position": position, "species": item["species"], "term": item["term"], "quantity": item["quantity"],
        "unit": item["unit"], "count": item.get("count"), "weight_kg": item.get("weight_kg"),
        "state": item.get("state"), "description": item.get("description"),
        "disposal": item.get("disposal")}
        for position, item in enumerate(data["items"])]
    for suspect in data.get("suspects", []):
        _file_person(filing, suspect, "suspect")
    for vehicle in data.get("vehicles", []):
        filing.entity("Vehicle", vehicle["registration"], {
            "registrationNumber": [vehicle["registration"]],
            "country": [(vehicle.get("country") or "").lower()],
            "type": [vehicle.get("kind")],
            "description": [vehicle.get("description")],
        }, "vehicle")
    for company in data.get("companies", []):
        region = company.get("country") or filing.record["country"]
        filing.entity("Company", company["name"], {
            "name": [company["name"]],
            "jurisdiction": [(company.get("country") or "").lower()],
            "registrationNumber": [company.get("registration_number")],
            "address": [company.get("address")],
            "phone": [e164(company["phone"], region) if company.get("phone") else None],
        }, "company")


def _file_market_observation(filing, data):
    place = data.get("place") or {}
    filing.detail_model, filing.item_model = MarketObservation, MarketItem
    filing.detail = {
        "observed_on": data["date"], "observing_agency": data["agency"],
        "market_kind": data["market_kind"], "place": place.get("name"), **_place_columns(place),
        "platform": data.get("platform"), "url": data.get("url"), "observation_mode": data["observation_mode"],
        "notes": data.get("notes")}
    filing.items = [{
        "position": position, "species": item["species"], "term": item["term"], "quantity": item.get("quantity"),
        "unit": item.get("unit"), "price": item.get("price"), "currency": item.get("currency"),
        "price_basis": item.get("price_basis"), "claimed_origin": item.get("claimed_origin"),
        "state": item.get("state")}
        for position, item in enumerate(data["items"])]
    vendor = data.get("vendor") or {}
    if vendor.get("name"):
        _file_person(filing, vendor, "vendor")
    if vendor.get("account"):
        filing.entity("UserAccount", vendor["account"], {
            "username": [vendor["account"]], "service": [data.get("platform")],
        }, "vendor_account")


def _file_information_report(filing, data):
    place, grade = data.get("place") or {}, data["source_grade"]
    filing.record["handling"] = data["handling"]
    filing.detail_model = InformationReport
    filing.detail = {
        "reported_on": data["date"], "reporting_agency": data["agency"], "narrative": data["narrative"],
        "place": place.get("name"), "crossing": place.get("crossing"), **_place_columns(place),
        "source_type": data["source_type"], "source_reliability": grade["reliability"],
        "source_credibility": grade["credibility"], "handling": data["handling"],
        "species": [{"species": item["species"], "goods": item.get("goods")} for item in data.get("species", [])]}
    for person in data.get("people", []):
        _file_person(filing, person, "subject")
    for company in data.get("companies", []):
        region = company.get("country") or filing.record["country"]
        filing.entity("Company", company["name"], {
            "name": [company["name"]], "jurisdiction": [(company.get("country") or "").lower()],
            "registrationNumber": [company.get("registration_number")],
            "phone": [e164(company["phone"], region) if company.get("phone") else None],
        }, "subject_company")
    for vehicle in data.get("vehicles", []):
        filing.entity("Vehicle", vehicle["registration"], {
            "registrationNumber": [vehicle["registration"]], "country": [(vehicle.get("country") or "").lower()],
            "type": [vehicle.get("kind")],
        }, "subject_vehicle")
    for account in data.get("accounts", []):
        filing.entity("UserAccount", account["account"], {
            "username": [account["account"]], "service": [account["platform"]],
        }, "subject_account")


def _file_directory_feedback(filing, data):
    from ..directory.models import Report

    filing.detail_model = Report
    filing.detail = {"contact_key": data["contact"], "number": data.get("number"), "problem": data["problem"],
                     "note": data.get("note")}


FILERS = {"seizure": _file_seizure, "market_observation": _file_market_observation,
          "directory_feedback": _file_directory_feedback, "information_report": _file_information_report}


def plan_record(*, entry, device, header, document, data, supersedes=None, pin_resets=None):
    """`document` is the record as the phone wrote it; `data` is the same after validation
    (dates, Decimals) with retired codes replaced by their successors
    (forms/schema.current_codes); `supersedes` the corrected rid, normalised. The record
    keeps the document verbatim, the typed rows file `data`."""
    agency = device.agency
    filing = Filing(record={
        "rid": entry.rid, "ledger_idx": entry.idx, "device_id": device.id, "agency_id": agency.id,
        "country": agency.country, "officer_name": data["reporting_officer"],
        "form": document["form"], "form_version": document["version"], "seq": entry.seq,
        "device_time": datetime.fromtimestamp(header["ts"] / 1000, UTC),
        "time_zone": regional_zone(document.get("tz")), "clock_offset_ms": entry.clock_offset_ms,
        "received_at": entry.received_at, "flags": [], "supersedes": supersedes, "pin_resets": pin_resets,
        "content": document["fields"]})
    FILERS[document["form"]](filing, data)
    return filing


def _insert_returning_ids(model, rows):
    """The ids the database gave `rows`, in their order."""
    if not rows:
        return []
    table = model.__table__
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLAlchemy cannot ask SQLite to keep RETURNING in parameter order except by one
        # statement per row; but SQLite inserts VALUES rows in turn, each with a rowid above
        # all before it, under the write lock this transaction holds, so ascending ids are
        # parameter order.
        return sorted(db.session.execute(insert(table).returning(table.c.id), rows).scalars())
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return db.session.execute(statement, rows).scalars().all()


def _insert(model, rows):
    if rows:
        db.session.execute(insert(model.__table__), rows)


def insert_all(filings):
    """The rows of every planned record, one multi-row INSERT per table (executemany with
    RETURNING on both SQLite and PostgreSQL): records first, for their ids; then typed rows,
    items, entities and mentions."""
    record_ids = _insert_returning_ids(Record, [filing.record for filing in filings])
    details, items, entities, roles = defaultdict(list), defaultdict(list), [], []
    for record_id, filing in zip(record_ids, filings, strict=True):
        details[filing.detail_model].append({**filing.detail, "record_id": record_id})
        if filing.items:
            items[filing.item_model].extend({**item, "record_id": record_id} for item in filing.items)
        for position, (entity, role) in enumerate(filing.entities):
            entities.append(entity)
            roles.append((record_id, role, f"{filing.record['rid']}/{position}", filing.record.get("handling")))
    for model, rows in (*details.items(), *items.items()):
        _insert(model, rows)
    # Each mention starts as an entity of its own; resolution (intel/resolve.py) merges them.
    entity_ids = _insert_returning_ids(Entity, entities)
    _insert(Mention, [{"record_id": record_id, "entity_id": entity_id, "role": role, "key": key, "handling": handling,
                       **entity}
                      for (record_id, role, key, handling), entity_id, entity in zip(roles, entity_ids, entities,
                                                                                    strict=True)])
    return record_ids
