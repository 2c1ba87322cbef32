"""What an export holds: exactly what its requester may read (access.visible_records: the one
access rule, handling codes and share grants included), corrections applied (a record another
record corrects is left out; its correction stands in its place), read from the database a
chunk at a time so that memory stays flat however large the store."""
from datetime import date

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import aliased, selectinload

from ..access import service as access
from ..extensions import db
from ..intel import resolve
from ..intel.network import View
from ..store.models import Entity, InformationReport, MarketObservation, Mention, Record, Seizure

CHUNK = 2000
# From the least to the most guarded: an export carries the most guarded code of what it holds.
HANDLING_ORDER = (None, "cross_border", "national", "agency", "originator")


def most_guarded(codes):
    return max(codes, key=lambda code: HANDLING_ORDER.index(code) if code in HANDLING_ORDER else 0, default=None)


def handling_codes(actor):
    """The handling codes of the records `actor` may read (one query, before writing: a
    chart's summary comes first)."""
    return set(db.session.scalars(access.visible_records(actor).with_only_columns(Record.handling).distinct()))


def current_records(actor):
    """The records `actor` may read that no record corrects. A correction names the rid it
    corrects (`supersedes`); corrections stay within an agency, so whoever reads one reads
    the other."""
    corrected_by = aliased(Record)
    return access.visible_records(actor).where(~exists().where(corrected_by.supersedes == Record.rid))


def seizures(actor, year=None, country=None):
    """Seizure records (with their seizure, items and agency), oldest first, streamed."""
    query = (current_records(actor).join(Seizure, Seizure.record_id == Record.id)
             .options(selectinload(Record.seizure).selectinload(Seizure.items), selectinload(Record.agency),
                      selectinload(Record.mentions)))
    if year:
        query = query.where(Seizure.seized_on.between(date(int(year), 1, 1), date(int(year), 12, 31)))
    if country:
        query = query.where(Record.country == country)
    return _stream(query.order_by(Seizure.seized_on, Record.id))


def records(actor):
    """Every current record the actor may read, with its details, oldest first, streamed."""
    query = current_records(actor).options(
        selectinload(Record.seizure).selectinload(Seizure.items), selectinload(Record.agency),
        selectinload(Record.market_observation).selectinload(MarketObservation.items),
        selectinload(Record.mentions))
    return _stream(query.order_by(Record.received_at, Record.id))


def _stream(query, chunk=CHUNK):
    yield from db.session.scalars(query.execution_options(yield_per=chunk))


def offenders(record):
    """The Person mentions of a record (its suspects, drivers, couriers)."""
    return [mention for mention in record.mentions if mention.schema == "Person"]



def network(actor, chunk=CHUNK):
    """The entity layer as `actor` sees it (intel/network.py's View: an entity with a mention
    hidden from them is split into what they may see), a chunk of entities at a time:
    yields {"entities": [{"id", "schema", "caption", "properties"}], "links": [{"source",
    "target", "role"}]}, a link running from an entity node to the record node ("r:<rid>")
    that names it. Every record the reader may read counts here, corrected ones too: the
    network shows what was recorded, not a yearly count."""
    view = View(actor)
    ids = db.session.scalars(select(Mention.entity_id).join(Record, Record.id == Mention.record_id)
                             .where(view.readable).distinct().order_by(Mention.entity_id)
                             .execution_options(yield_per=chunk))
    batch = []
    for entity_id in ids:
        batch.append(entity_id)
        if len(batch) == chunk:
            yield _entities_out(view, batch)
            batch = []
    if batch:
        yield _entities_out(view, batch)


def _entities_out(view, entity_ids):
    nodes = view.entities(entity_ids)
    whole = {node.entity_id: node for node in nodes if node.entity_id is not None}
    parts = {mention_id: node for node in nodes for mention_id in node.mention_ids}
    properties = {node.id: {} for node in nodes}
    if whole:
        for entity_id, values in db.session.execute(select(Entity.id, Entity.properties).where(
                resolve.among(Entity.id, whole))):
            properties[whole[entity_id].id] = values or {}
    if parts:
        for mention_id, values in db.session.execute(select(Mention.id, Mention.properties).where(
                resolve.among(Mention.id, parts)).order_by(Mention.id)):
            _union(properties[parts[mention_id].id], values or {})
    sources = [resolve.among(Mention.entity_id, whole)] if whole else []
    sources += [resolve.among(Mention.id, parts)] if parts else []
    links = [{"source": view.node_of(entity_id, mention_id), "target": f"r:{rid}", "role": role}
             for entity_id, mention_id, role, rid in db.session.execute(
                 select(Mention.entity_id, Mention.id, Mention.role, Record.rid).join(Record, Record.id == Mention.record_id)
                 .where(or_(*sources), view.readable))]
    return {"entities": [{"id": node.id, "schema": node.schema, "caption": node.caption, "mentions": node.mentions,
                          "properties": properties[node.id]} for node in nodes], "links": links}


def _union(into, properties):
    for name, values in properties.items():
        kept = into.setdefault(name, [])
        kept.extend(value for value in values if value and value not in kept)


def events(actor, chunk=CHUNK):
    """Every record `actor` may read as a node of the network: {"id": "r:<rid>", "rid", "kind",
    "caption", "date", "place", "country"}, streamed."""
    query = (access.visible_records(actor).options(selectinload(Record.seizure), selectinload(Record.market_observation),
                                                   selectinload(Record.agency)).order_by(Record.id))
    for record in _stream(query, chunk):
        detail = _detail(record)
        day = _day(detail)
        yield {"id": f"r:{record.rid}", "rid": record.rid, "kind": record.form, "date": day,
               "place": getattr(detail, "place", None), "country": record.country, "handling": record.handling,
               "caption": f"{record.form.replace('_', ' ')} {day or ''} {record.agency.code}".strip()}


def chart(actor):
    """The reader's network as an i2 chart needs it, in three passes over what source.network
    gives: (entities, events, links). Phones become entities of their own (a Telephone in i2),
    linked to whoever was recorded with them. The links are kept until the entities are
    written: a chart is read whole by its tool anyway."""
    links, phones = [], set()

    def entities():
        for chunk in network(actor):
            for entity in chunk["entities"]:
                yield entity
                for number in entity["properties"].get("phone", []):
                    links.append({"source": entity["id"], "target": f"p:{number}", "role": "phone"})
                    if number not in phones:
                        phones.add(number)
                        yield {"id": f"p:{number}", "schema": "Phone", "caption": number, "properties": {}}
            links.extend(chunk["links"])

    return entities(), events(actor), links


def _detail(record):
    return record.seizure or record.market_observation or db.session.get(InformationReport, record.id)


def _day(detail):
    return getattr(detail, "seized_on", None) or getattr(detail, "observed_on", None) or getattr(detail, "reported_on", None)


def _float(value):
    return None if value is None else float(value)


def record_rows(actor):
    """A flat dict per current record the reader may read (GeoJSON's features, CSV's records)."""
    for record in records(actor):
        detail = _detail(record)
        seizure_items = record.seizure.items if record.seizure else []
        market_items = record.market_observation.items if record.market_observation else []
        yield {"rid": record.rid, "form": record.form, "date": _day(detail), "agency": record.agency.code,
               "country": record.country, "handling": record.handling, "officer": record.officer_name,
               "place": getattr(detail, "place", None), "province": getattr(detail, "province", None),
               "latitude": _float(getattr(detail, "latitude", None)),
               "longitude": _float(getattr(detail, "longitude", None)),
               "supersedes": record.supersedes,
               "narrative": getattr(detail, "narrative", None) or getattr(detail, "notes", None),
               "route": getattr(detail, "route", None) or [],
               "species": sorted({item.species for item in [*seizure_items, *market_items]}),
               "quantity_kg": _float(sum(item.weight_kg or 0 for item in seizure_items)) if seizure_items else None}


def item_rows(actor):
    """Every repeated-group row of the current records the reader may read, joined by rid."""
    columns = ("species", "term", "quantity", "unit", "count", "weight_kg", "state", "description", "price", "currency")
    for record in records(actor):
        for group, items in (("seizure_items", record.seizure.items if record.seizure else []),
                             ("market_items", record.market_observation.items if record.market_observation else [])):
            for item in items:
                yield {"rid": record.rid, "group": group, "position": item.position,
                       **{name: getattr(item, name) for name in columns if hasattr(item, name)}}


def mention_rows(actor):
    for record in records(actor):
        for mention in record.mentions:
            yield {"rid": record.rid, "key": mention.key, "schema": mention.schema, "role": mention.role,
                   "caption": mention.caption}


def entity_rows(actor):
    """Entities as the reader sees them (network), with the properties they may see."""
    for chunk in network(actor):
        for entity in chunk["entities"]:
            yield {"entity": entity["id"], "schema": entity["schema"], "caption": entity["caption"],
                   "mentions": entity["mentions"], "properties": entity["properties"]}
