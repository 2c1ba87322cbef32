"""Filing: turning one opened, validated record into typed rows of the store."""
from datetime import UTC, datetime

from ..extensions import db
from .models import Entity, Mention, Record, Seizure, SeizureItem


def _file_seizure(record, data, agency, country):
    seizure = Seizure(record=record, seized_on=data["date"], seizing_agency=data["agency"],
                      place=data["place"], narrative=data.get("narrative"))
    db.session.add(seizure)
    for position, item in enumerate(data["items"]):
        seizure.items.append(SeizureItem(position=position, species=item["species"],
                                         quantity=item["quantity"], unit=item["unit"]))
    for suspect in data.get("suspects", []):
        properties = {"name": [suspect["name"]]}
        if suspect.get("name_latin"):
            properties["alias"] = [suspect["name_latin"]]
        if suspect.get("nationality"):
            properties["nationality"] = [suspect["nationality"].lower()]
        person = Entity(schema="Person", caption=suspect["name"], properties=properties,
                        agency_id=agency.id, country=country)
        db.session.add(Mention(record=record, entity=person, role="suspect"))


FILERS = {"seizure": _file_seizure}


def file_record(*, entry, device, header, document, data):
    """`document` is the record as the phone wrote it; `data` is the same after schema
    load (dates, Decimals). The record keeps the document verbatim."""
    agency = device.agency
    device_time = datetime.fromtimestamp(header["ts"] / 1000, UTC)
    record = Record(rid=entry.rid, ledger_idx=entry.idx, device_id=device.id, agency_id=agency.id,
                    country=agency.country, officer_name=document.get("officer") or device.officer_name,
                    form=document["form"], form_version=document["version"], seq=entry.seq,
                    device_time=device_time, clock_offset_ms=entry.clock_offset_ms,
                    received_at=entry.received_at, flags=[], supersedes=document.get("supersedes"),
                    content=document["fields"])
    db.session.add(record)
    FILERS[document["form"]](record, data, agency, agency.country)
    return record
