"""Filing: turning one opened, validated record into typed rows of the store."""
from datetime import UTC, datetime

import phonenumbers

from ..extensions import db
from ..reference.zones import regional_zone
from .models import (
    Entity,
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


def _entity(record, schema, caption, properties, role):
    properties = {key: values for key, values in properties.items() if values and values[0]}
    entity = Entity(schema=schema, caption=caption, properties=properties,
                    agency_id=record.agency_id, country=record.country)
    db.session.add(Mention(record=record, entity=entity, role=role))
    return entity


def _place_columns(place):
    gps = place.get("gps") or {}
    return {"province": place.get("province"), "place_country": place.get("country"),
            "latitude": gps.get("lat"), "longitude": gps.get("lon"), "accuracy_m": gps.get("accuracy_m")}


def _file_person(record, person, role):
    region = person.get("nationality") or record.country
    _entity(record, "Person", person["name"], {
        "name": [person["name"]],
        "alias": [person.get("name_latin")],
        "nationality": [(person.get("nationality") or "").lower()],
        "idNumber": [person.get("id_number")],
        "phone": [e164(person["phone"], region) if person.get("phone") else None],
    }, role)


def _file_seizure(record, data):
    place, value, grade = data["place"], data.get("estimated_value") or {}, data.get("source_grade") or {}
    seizure = Seizure(
        record=record, seized_on=data["date"], seizing_agency=data["agency"],
        place=place["name"], location_type=place["location_type"], crossing=place.get("crossing"),
        **_place_columns(place),
        seizure_point=data.get("seizure_point"), detection_method=data.get("detection_method"),
        transport_mode=data.get("transport_mode"), concealment=data.get("concealment"),
        route=data.get("route", []), value_amount=value.get("amount"), value_currency=value.get("currency"),
        legal_follow_up=data.get("legal_follow_up"), source_reliability=grade.get("reliability"),
        source_credibility=grade.get("credibility"), narrative=data.get("narrative"))
    db.session.add(seizure)
    for position, item in enumerate(data["items"]):
        seizure.items.append(SeizureItem(
            position=position, species=item["species"], term=item["term"], quantity=item["quantity"],
            unit=item["unit"], count=item.get("count"), weight_kg=item.get("weight_kg"),
            state=item.get("state"), description=item.get("description")))
    for suspect in data.get("suspects", []):
        _file_person(record, suspect, "suspect")
    for vehicle in data.get("vehicles", []):
        _entity(record, "Vehicle", vehicle["registration"], {
            "registrationNumber": [vehicle["registration"]],
            "country": [(vehicle.get("country") or "").lower()],
            "type": [vehicle.get("kind")],
            "description": [vehicle.get("description")],
        }, "vehicle")
    for company in data.get("companies", []):
        region = company.get("country") or record.country
        _entity(record, "Company", company["name"], {
            "name": [company["name"]],
            "jurisdiction": [(company.get("country") or "").lower()],
            "registrationNumber": [company.get("registration_number")],
            "address": [company.get("address")],
            "phone": [e164(company["phone"], region) if company.get("phone") else None],
        }, "company")


def _file_market_observation(record, data):
    place = data.get("place") or {}
    observation = MarketObservation(
        record=record, observed_on=data["date"], observing_agency=data["agency"],
        market_kind=data["market_kind"], place=place.get("name"), **_place_columns(place),
        platform=data.get("platform"), url=data.get("url"), observation_mode=data["observation_mode"],
        notes=data.get("notes"))
    db.session.add(observation)
    for position, item in enumerate(data["items"]):
        observation.items.append(MarketItem(
            position=position, species=item["species"], term=item["term"], quantity=item.get("quantity"),
            unit=item.get("unit"), price=item.get("price"), currency=item.get("currency"),
            price_basis=item.get("price_basis"), claimed_origin=item.get("claimed_origin"), state=item.get("state")))
    vendor = data.get("vendor") or {}
    if vendor.get("name"):
        _file_person(record, vendor, "vendor")
    if vendor.get("account"):
        _entity(record, "UserAccount", vendor["account"], {
            "username": [vendor["account"]], "service": [data.get("platform")],
        }, "vendor_account")


FILERS = {"seizure": _file_seizure, "market_observation": _file_market_observation}


def file_record(*, entry, device, header, document, data, supersedes=None, pin_resets=None):
    """`document` is the record as the phone wrote it; `data` is the same after schema
    load (dates, Decimals) with retired codes replaced by their successors
    (forms/schema.current_codes); `supersedes` the corrected rid, normalised. The record
    keeps the document verbatim, the typed rows file `data`."""
    agency = device.agency
    device_time = datetime.fromtimestamp(header["ts"] / 1000, UTC)
    record = Record(rid=entry.rid, ledger_idx=entry.idx, device_id=device.id, agency_id=agency.id,
                    country=agency.country, officer_name=data["reporting_officer"],
                    form=document["form"], form_version=document["version"], seq=entry.seq,
                    device_time=device_time, time_zone=regional_zone(document.get("tz")), clock_offset_ms=entry.clock_offset_ms,
                    received_at=entry.received_at, flags=[], supersedes=supersedes, pin_resets=pin_resets,
                    content=document["fields"])
    db.session.add(record)
    FILERS[document["form"]](record, data)
    return record
