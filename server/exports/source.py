"""What an export holds: exactly what its requester may read (access.visible_records: the one
access rule, handling codes and share grants included), corrections applied (a record another
record corrects is left out; its correction stands in its place), read from the database a
chunk at a time so that memory stays flat however large the store.

The exports that report progress commit it on the session while they read (service.run_export),
so what they read is paged by key (each page a query of its own, `_pages`), never one cursor
held open across the commits (PostgreSQL closes a server-side cursor at commit), and comes as
plain rows, not ORM objects (a commit expires those, and each would be loaded again one by one).
The seizures, events and network of an export are read a few pages ahead of the writing, in a
thread with a database session of its own (`_ahead`): the database works on the next pages
while the export writes the last ones."""
import queue
import tempfile
import threading
from datetime import date
from itertools import groupby
from operator import itemgetter
from types import SimpleNamespace

import orjson
from flask import current_app
from sqlalchemy import Text, and_, cast, exists, func, select, tuple_
from sqlalchemy.orm import aliased, selectinload

from ..access import service as access
from ..access.models import Agency, User
from ..extensions import db
from ..intel import resolve
from ..intel.network import View
from ..store.models import Entity, InformationReport, MarketObservation, Mention, Record, Seizure, SeizureItem

CHUNK = 2000
AHEAD = 2  # pages read ahead of the writing at most
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


def _pages(query, keys, names, chunk=CHUNK):
    """The rows of `query` in the order of `keys` (columns that together tell every row apart;
    `names`: where each is in a row, by name or position), a list of at most `chunk` rows at a
    time, each page a query of its own that starts after the last row of the one before."""
    after = None
    while True:
        page = query.order_by(*keys).limit(chunk)
        if after is not None and len(keys) > 1:
            # The first key's own bound too: an index on it alone serves that, not the row's.
            page = page.where(keys[0] >= after[0], tuple_(*keys) > tuple_(*after))
        elif after is not None:
            page = page.where(keys[0] > after[0])
        rows = db.session.execute(page).all()
        if not rows:
            return
        yield rows
        if len(rows) < chunk:
            return
        after = [rows[-1][name] if isinstance(name, int) else getattr(rows[-1], name) for name in names]


def _ahead(pages, actor, *args):
    """The items of the pages `pages(actor, *args)` yields, read in a thread of its own with an
    application context, and so a database session, of its own (the actor read again there),
    at most AHEAD pages ahead of the caller. A failure there is raised here; a caller that
    stops early stops the thread. On SQLite, in the caller's thread: there every transaction
    takes the one write lock (extensions.configure_engine), which the caller's session may hold
    while it waits for the pages."""
    if db.session.get_bind().dialect.name != "postgresql":
        for page in pages(actor, *args):
            yield from page
        return
    app, actor_id = current_app._get_current_object(), actor.id
    handed, stop = queue.Queue(maxsize=AHEAD), threading.Event()

    def hand(kind, value):
        while not stop.is_set():
            try:
                handed.put((kind, value), timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def read():
        try:
            with app.app_context():
                for page in pages(db.session.get(User, actor_id), *args):
                    if not hand("page", page):
                        return
            hand("done", None)
        except BaseException as error:  # noqa: BLE001 - raised in the caller's thread
            hand("failed", error)

    reader = threading.Thread(target=read, name="export-reader", daemon=True)
    reader.start()
    try:
        while True:
            kind, value = handed.get()
            if kind == "done":
                return
            if kind == "failed":
                raise value
            yield from value
    finally:
        stop.set()
        reader.join()


def _rows(query):
    """The rows of a Core select, without the ORM's work per row (millions in an export), on
    the session's connection of the moment (a commit between two pages gives it back)."""
    return db.session.connection().execute(query).all()


def _plain(result):
    """The rows of a result as plain objects, attribute by column name."""
    names = list(result.keys())
    return [SimpleNamespace(**dict(zip(names, row))) for row in result]


def _agencies():
    """Every agency as a plain row, by id (a few hundred)."""
    return {row.id: row for row in _plain(db.session.execute(select(*Agency.__table__.columns)))}


def seizures(actor, year=None, country=None, chunk=CHUNK):
    """Seizure records, oldest first, read ahead (_ahead): plain rows with a record's columns,
    `agency`, `seizure` (its columns, and `items` in order) and `mentions` (in filing order)."""
    return _ahead(_seizure_pages, actor, year, country, chunk)


def _current_seizures(actor, year, country):
    query = current_records(actor).join(Seizure, Seizure.record_id == Record.id)
    if year:
        query = query.where(Seizure.seized_on.between(date(int(year), 1, 1), date(int(year), 12, 31)))
    if country:
        query = query.where(Record.country == country)
    return query


def count_seizures(actor, year=None, country=None):
    """How many records seizures() gives: an export's progress is shown against it."""
    return db.session.scalar(_current_seizures(actor, year, country).with_only_columns(func.count()))


def _seizure_pages(actor, year, country, chunk):
    query = _current_seizures(actor, year, country).with_only_columns(
        *Record.__table__.columns, *(column.label(f"seizure_{column.name}") for column in Seizure.__table__.columns))
    agencies = _agencies()
    record_columns = [column.name for column in Record.__table__.columns]
    seizure_columns = [column.name for column in Seizure.__table__.columns]
    keys = (Seizure.seized_on, Seizure.record_id)
    for page in _pages(query, keys, ("seizure_seized_on", "seizure_record_id"), chunk):
        ids = [row.id for row in page]
        items, mentions = {}, {}
        for item in _plain(db.session.execute(select(*SeizureItem.__table__.columns).where(
                resolve.among(SeizureItem.record_id, ids)).order_by(SeizureItem.record_id, SeizureItem.position))):
            items.setdefault(item.record_id, []).append(item)
        for mention in _plain(db.session.execute(select(*Mention.__table__.columns).where(
                resolve.among(Mention.record_id, ids)).order_by(Mention.id))):
            mentions.setdefault(mention.record_id, []).append(mention)
        records = []
        for row in page:
            values = row._asdict()
            record = SimpleNamespace(**{name: values[name] for name in record_columns})
            record.seizure = SimpleNamespace(**{name: values[f"seizure_{name}"] for name in seizure_columns})
            record.seizure.items = items.get(record.id, [])
            record.agency, record.mentions = agencies[record.agency_id], mentions.get(record.id, [])
            records.append(record)
        yield records


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
    for nodes, links in network_tuples(actor, chunk):
        yield {"entities": [{"id": node, "schema": schema, "caption": caption, "mentions": mentions,
                             "properties": properties} for node, schema, caption, mentions, properties in nodes],
               "links": [{"source": node, "target": f"r:{rid}", "role": role} for node, rid, role in links]}


def network_tuples(actor, chunk=CHUNK):
    """network's chunks as tuples, for a writer of millions of lines: ([(node id, schema,
    caption, mentions, properties)], [(node id, rid, role)]). The pages are read ahead
    (_ahead); an entity's mentions become its node and links here."""
    for page, rows, parts in _ahead(_network_reads, actor, chunk):
        described = {row[0]: row for row in page}
        nodes, links = [], []
        for entity_id, mentions in groupby(rows, key=itemgetter(0)):
            mentions = list(mentions)
            node = f"m:{mentions[0][1]}"
            _, schema, caption, properties = described[entity_id]
            properties = (orjson.loads(properties) if properties else None) or {}
            nodes.append((node, schema, caption, len(mentions), properties))
            # A link for each mention: the rid is the first part of its key.
            links += [(node, mention[1].rpartition("/")[0], mention[2]) for mention in mentions]
        for node, part in parts:
            nodes.append((node.id, node.schema, node.caption, node.mentions, part["properties"]))
            links += [(node.id, key.rpartition("/")[0], role) for key, role in part["links"]]
        yield nodes, links


def _network_reads(actor, chunk):
    """What the reader thread reads of the network, a page of entities at a time, by primary
    key: the page's entities, the mentions (entity id, key, role) of those that are the
    reader's whole, and the parts of the others. An entity all of whose mentions the reader
    may see (their own rule, read off the columns Mention copies from its record, or a share
    grant) is theirs whole, as View._place_entities has it; the view itself splits the others
    into the parts the reader may see (service.seen_entity's rule) and leaves out those they
    see nothing of."""
    view = View(actor)
    own = func.coalesce(access.readable_unshared(actor, Mention), False)
    entities = select(Entity.id, Entity.schema, Entity.caption, cast(Entity.properties, Text))
    granted = view.granted
    for page in _pages(entities, (Entity.id,), (0,), chunk):
        rows = _rows(select(Mention.entity_id, Mention.key, Mention.role, Mention.id, Mention.record_id, own)
                     .where(resolve.among(Mention.entity_id, [row[0] for row in page]))
                     .order_by(Mention.entity_id, Mention.id))
        hidden = {row[0] for row in rows if not row[5] and row[4] not in granted}
        parts = []
        if hidden:
            named = {row[3]: row for row in rows if row[0] in hidden}
            rows = [row[:3] for row in rows if row[0] not in hidden]
            nodes = view.entities(hidden)
            of = {mention_id: node for node in nodes for mention_id in node.mention_ids}
            parts = [(node, {"properties": {}, "links": []}) for node in nodes]
            made = {node.id: part for node, part in parts}
            for mention_id, values in _rows(select(Mention.id, Mention.properties).where(
                    resolve.among(Mention.id, of)).order_by(Mention.id)):
                part = made[of[mention_id].id]
                _union(part["properties"], values or {})
                part["links"].append(named[mention_id][1:3])
        yield [(page, rows, parts)]


def _union(into, properties):
    for name, values in properties.items():
        kept = into.setdefault(name, [])
        kept.extend(value for value in values if value and value not in kept)


def events(actor, chunk=CHUNK):
    """Every record `actor` may read as a node of the network: {"id": "r:<rid>", "rid", "kind",
    "caption", "date", "place", "country"}, with its details in the same query (a seizure's,
    else a market observation's, else an information report's), the pages read ahead (_ahead)."""
    for (_, rid, form, country, handling, agency, seizure, seized_on, seizure_place, market, observed_on,
         market_place, report, reported_on, report_place) in _ahead(_event_reads, actor, chunk):
        if seizure is not None:
            day, place = seized_on, seizure_place
        elif market is not None:
            day, place = observed_on, market_place
        elif report is not None:
            day, place = reported_on, report_place
        else:
            day, place = None, None
        yield {"id": f"r:{rid}", "rid": rid, "kind": form, "date": day, "place": place, "country": country,
               "handling": handling, "caption": f"{form.replace('_', ' ')} {day or ''} {agency}".strip()}


def _event_reads(actor, chunk):
    readable = access.visible_records(actor)
    for page in _pages(readable.with_only_columns(Record.id), (Record.id,), (0,), chunk):
        # The page's range of ids on every side of the joins: each is then read off its index
        # from there, not from the start of the table.
        low, high = page[0][0], page[-1][0]
        yield _rows(
            readable.where(Record.id.between(low, high)).join(Agency, Agency.id == Record.agency_id)
            .outerjoin(Seizure, _detail_of(Seizure, low, high))
            .outerjoin(MarketObservation, _detail_of(MarketObservation, low, high))
            .outerjoin(InformationReport, _detail_of(InformationReport, low, high))
            .with_only_columns(Record.id, Record.rid, Record.form, Record.country, Record.handling, Agency.code,
                               Seizure.record_id, Seizure.seized_on, Seizure.place, MarketObservation.record_id,
                               MarketObservation.observed_on, MarketObservation.place, InformationReport.record_id,
                               InformationReport.reported_on, InformationReport.place)
            .order_by(Record.id))


def _detail_of(model, low, high):
    return and_(model.record_id == Record.id, model.record_id.between(low, high))


def chart(actor):
    """The reader's network as an i2 chart needs it, in three passes over what source.network
    gives: (entities, events, links). Phones become entities of their own (a Telephone in i2),
    linked to whoever was recorded with them. ANX puts links after every item they join, so
    they wait in a temporary file, one JSON line each, while the entities are written: memory
    holds the phone numbers seen, not the links."""
    spool, phones = tempfile.TemporaryFile(), set()

    def keep(link):
        spool.write(orjson.dumps(link) + b"\n")

    def entities():
        for chunk in network(actor):
            for entity in chunk["entities"]:
                yield entity
                for number in entity["properties"].get("phone", []):
                    keep({"source": entity["id"], "target": f"p:{number}", "role": "phone"})
                    if number not in phones:
                        phones.add(number)
                        yield {"id": f"p:{number}", "schema": "Phone", "caption": number, "properties": {}}
            for link in chunk["links"]:
                keep(link)

    def links():
        with spool:
            spool.seek(0)
            for line in spool:
                yield orjson.loads(line)

    return entities(), events(actor), links()


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
    columns = ("species", "term", "quantity", "unit", "count", "weight_kg", "state", "description", "disposal",
               "price", "currency", "price_basis")
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
