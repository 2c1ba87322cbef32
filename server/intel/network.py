"""The network behind the records (issue 18), as one reader may see it.

Nodes: entities (people, companies, vehicles, accounts), the records that name them (a
seizure, a market observation: the case), and the phone numbers entities were recorded with.
Links, each traceable to the records that support it: entity ↔ record with the entity's role
there (suspect, vendor, vehicle, company…), entity ↔ phone. Two entities are one hop apart when
they share a record (the same case) or a phone.

Everything is computed over the records the reader may read, with the one access rule applied
inside each query (access.readable), and an entity is the reader's own view of it: a record
they may not see never adds a node, a link, a path or a count, nor joins two mentions into one
node. An entity all of whose mentions the reader may see is theirs whole; one with a mention
hidden from them is split into what they may see of it (service.seen_entity's rule, for all
such entities of a hop at once).

The search goes out a hop at a time, every node of a hop together: one query for the records
the hop's entities are named in and everything else named there, one for the phones they
share, one to tell whole entities from partly hidden ones."""

import math

import networkx as nx
from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import aliased

from ..access import grants
from ..access import service as access
from ..extensions import db
from ..store.models import (Entity, InformationReport, MarketItem, MarketObservation, Mention, Record, Seizure,
                            SeizureItem)
from . import resolve
from .models import Judgement, MentionKey

LIMIT = 500  # entities at most in one answer; the answer says when it was cut
FIRST_SLICE_YIELD = 50  # new entities an expanded one is taken to bring, until the hop shows otherwise
MAX_SLICE = 256  # entities of a frontier expanded together at most


def _record_filters(since, until, species):
    """Conditions on Record for the links that count: a date range (the day seized, observed or
    learned; a record without one is left out of a dated search) and a species."""
    conditions = []
    if since or until:
        dated = []
        for model, day in ((Seizure, Seizure.seized_on), (MarketObservation, MarketObservation.observed_on),
                           (InformationReport, InformationReport.reported_on)):
            bounds = [day >= since] if since else []
            bounds += [day <= until] if until else []
            dated.append(select(model.record_id).where(*bounds))
        conditions.append(or_(*(Record.id.in_(query) for query in dated)))
    if species:
        conditions.append(or_(Record.id.in_(select(SeizureItem.record_id).where(SeizureItem.species == species)),
                              Record.id.in_(select(MarketItem.record_id).where(MarketItem.species == species))))
    return conditions


def _rows(query):
    """The rows of a Core select, without the ORM's per-row work (thousands per hop)."""
    return db.session.connection().execute(query).all()


def _by(query, column, values):
    """`query` kept to rows whose `column` is one of `values`. On PostgreSQL, a join with the
    values unnested from one array: the planner then reads `column`'s index once per value,
    where `= ANY` of a few thousand made it scan the table."""
    values = sorted(set(values))
    if db.session.get_bind().dialect.name == "postgresql":
        wanted = (func.unnest(bindparam(None, values, type_=postgresql.ARRAY(column.type)))
                  .table_valued("value").render_derived())
        return query.join(wanted, column == wanted.c.value)
    return query.where(column.in_(values))


class Node:
    """An entity as one reader sees it: whole (`entity_id`: every mention of it is theirs) or
    the part of one they may see (`mention_ids`)."""

    def __init__(self, node_id, schema, caption, keys, entity_id=None, mention_ids=()):
        self.id, self.schema, self.caption, self.keys = node_id, schema, caption, tuple(keys)
        self.mentions = len(self.keys)
        self.entity_id, self.mention_ids = entity_id, tuple(mention_ids)


class View:
    """One reader's view of the entity layer, with the nodes it has met kept for the query."""

    def __init__(self, user, since=None, until=None, species=None, roles=None):
        self.user = user
        self.readable = access.readable(user)
        self.unshared = access.readable_unshared(user, Mention)
        # The few records share grants open to the reader beyond their own rule, asked once.
        self.granted = set(db.session.scalars(select(Record.id).where(
            Record.rid.in_(grants.granted_rids(user))))) if user.role != "admin" else set()
        self.linking = and_(self.readable, *_record_filters(since, until, species))
        self.roles = roles
        self.nodes = {}  # node id -> Node
        self._of_entity = {}  # entity id -> node id, for whole entities
        self._of_mention = {}  # mention id -> node id, for the parts of partly hidden ones

    def start(self, mention_key):
        """The node of a mention the reader may see, or None."""
        found = db.session.execute(select(Mention.id, Mention.entity_id).join(Record, Record.id == Mention.record_id)
                                   .where(Mention.key == mention_key, self.readable)).first()
        if found is None:
            return None
        return self._place([found])[found.id]

    def _place(self, mentions):
        """{mention id: node id} for rows of (id, entity_id) of mentions the reader may see."""
        unknown = {row.entity_id for row in mentions if row.entity_id not in self._of_entity
                   and row.id not in self._of_mention}
        if unknown:
            self._place_entities(unknown)
        return {row.id: self._of_entity.get(row.entity_id) or self._of_mention[row.id] for row in mentions}

    def entities(self, entity_ids):
        """The nodes of these entities as the reader sees them, a batch on its own (what earlier
        calls placed is forgotten: an export walks the whole store a batch at a time)."""
        self.nodes, self._of_entity, self._of_mention = {}, {}, {}
        self._place_entities(entity_ids)
        return list(self.nodes.values())

    def node_of(self, entity_id, mention_id):
        """The node a mention the reader may see belongs to."""
        return self._node_of_source(entity_id, mention_id)

    def _place_entities(self, entity_ids):
        """The nodes of these entities as the reader sees them. Every mention of theirs is read
        off one index (Mention's copy of its record's country, agency and handling code saying
        whether the reader's own rule allows it); only those it refuses are looked up again with
        share grants. An entity all of whose mentions the reader may see is theirs whole; one
        with a mention they may not see is split by service.seen_entity's rule, for all such at
        once: its mentions they may see, joined by the "same" judgements between two of those."""
        every = _rows(_by(select(Mention.entity_id, Mention.id, Mention.key, Mention.record_id,
                                 func.coalesce(self.unshared, False).label("own")), Mention.entity_id, entity_ids))
        granted = self.granted
        by_entity = {}
        for mention in every:
            by_entity.setdefault(mention.entity_id, []).append(mention)
        whole, visible = {}, {}
        for entity_id, members in by_entity.items():
            members.sort(key=lambda member: member.id)
            if all(member.own or member.record_id in granted for member in members):
                whole[entity_id] = members
            else:
                visible.update((member.key, member) for member in members
                               if member.own or member.record_id in granted)
        if whole:
            for entity_id, schema, caption in _rows(_by(select(Entity.id, Entity.schema, Entity.caption), Entity.id, whole)):
                members = whole[entity_id]
                node = f"m:{members[0].key}"
                self.nodes[node] = Node(node, schema, caption, [m.key for m in members], entity_id=entity_id)
                self._of_entity[entity_id] = node
        if not visible:
            return
        seen_of = {}
        for mention in visible.values():
            seen_of[mention.entity_id] = seen_of.get(mention.entity_id, 0) + 1
        joinable = [key for key, mention in visible.items() if seen_of[mention.entity_id] > 1]  # one alone is a part
        edges = _rows(_by(select(Judgement.left_key, Judgement.right_key).where(
            Judgement.verdict == "same", Judgement.undone_at.is_(None)), Judgement.left_key, joinable)) if joinable else ()
        in_order = sorted(visible, key=lambda key: visible[key].id)  # a part's first mention names its node
        parts = list(resolve.connected(in_order, [(left, right) for left, right in edges if right in visible
                                                  and visible[left].entity_id == visible[right].entity_id]).values())
        described = {row.id: row for row in _rows(_by(
            select(Mention.id, Mention.schema, Mention.caption), Mention.id, [visible[keys[0]].id for keys in parts]))}
        for keys in parts:
            members = [visible[key] for key in keys]
            node, first = f"m:{keys[0]}", described[members[0].id]
            self.nodes[node] = Node(node, first.schema, first.caption, keys, mention_ids=[m.id for m in members])
            for member in members:
                self._of_mention[member.id] = node

    def _sources(self, column_entity, column_id, nodes):
        whole = [self.nodes[n].entity_id for n in nodes if self.nodes[n].entity_id is not None]
        parts = [i for n in nodes for i in self.nodes[n].mention_ids]
        # Only what is there: an empty IN beside an OR would keep the planner off the indexes.
        return or_(*([resolve.among(column_entity, whole)] if whole else []), *([resolve.among(column_id, parts)] if parts else []))

    def _phones(self, nodes):
        """{(node, phone key)} of these nodes."""
        whole = {self.nodes[n].entity_id: n for n in nodes if self.nodes[n].entity_id is not None}
        parts = {i: n for n in nodes for i in self.nodes[n].mention_ids}
        held = set()
        for source, of in ((Entity, whole), (Mention, parts)):
            if of:
                for row_id, properties in _rows(_by(select(source.id, source.properties), source.id, of)):
                    held.update((of[row_id], phone) for phone in resolve.phone_keys(properties))
        return held

    def _node_of_source(self, entity_id, mention_id):
        return self._of_entity.get(entity_id) or self._of_mention[mention_id]

    def expand(self, nodes):
        """The links of these entity nodes, every node met through them included:
        (links {(node, hub, role, rid)}, steps [(node, hub, neighbour)])."""
        # The records the nodes are named in that the reader may see, first (materialised, so
        # that the access rule is asked once per record, not once per mention in it), then
        # everything else named there.
        sources = (select(Mention.entity_id, Mention.id, Mention.record_id, Record.rid)
                   .join(Record, Record.id == Mention.record_id)
                   .where(self._sources(Mention.entity_id, Mention.id, nodes), self.linking)
                   .cte("sources").prefix_with("MATERIALIZED"))
        other = aliased(Mention)
        named = (select(sources.c.entity_id, sources.c.id, other.id.label("other_id"),
                        other.entity_id.label("other_entity"), other.role, sources.c.rid)
                 .join(other, other.record_id == sources.c.record_id))
        if self.roles:
            named = named.where(other.role.in_(self.roles))
        rows = _rows(named)
        # Phones: those the nodes were recorded with (from the entity's properties, the union of
        # its mentions', or a part's own mentions'), then who else the reader may see was
        # recorded with them, off the index of mention_keys.
        held = self._phones(nodes)
        phones = _rows(_by(
            select(MentionKey.key.label("phone"), Mention.id.label("other_id"), Mention.entity_id.label("other_entity"))
            .join(Mention, Mention.key == MentionKey.mention).join(Record, Record.id == Mention.record_id)
            .where(self.readable), MentionKey.key, {phone for _, phone in held})) if held else []
        placed = self._place([_Met(row.other_id, row.other_entity) for row in rows + phones])
        links, steps = set(), []
        for row in rows:
            here, there, hub = self._node_of_source(row.entity_id, row.id), placed[row.other_id], f"r:{row.rid}"
            links.add((there, hub, row.role, row.rid))
            if there != here:
                steps.append((here, hub, there))
        holders = {}
        for row in phones:
            holders.setdefault(row.phone, []).append(placed[row.other_id])
        for here, phone in held:
            links.add((here, phone, "phone", None))
            for there in holders.get(phone, ()):
                if there != here:
                    links.add((there, phone, "phone", None))
                    steps.append((here, phone, there))
        return links, steps


class _Met:
    __slots__ = ("id", "entity_id")

    def __init__(self, mention_id, entity_id):
        self.id, self.entity_id = mention_id, entity_id


def _describe(view, node):
    if node.startswith("m:"):
        entity = view.nodes[node]
        return {"id": node, "kind": "entity", "schema": entity.schema, "caption": entity.caption,
                "mentions": entity.mentions}
    if node.startswith("r:"):
        return {"id": node, "kind": "record", "rid": node[2:]}
    return {"id": node, "kind": "phone", "number": node.split(":", 1)[1]}


def neighbourhood(user, mention_key, hops=2, limit=LIMIT, **filters):
    """The entities within `hops` of the entity of `mention_key` (at most `limit` of them), with
    the records and phones that link them: {"nodes", "links", "truncated"}; None when the reader
    may not see it."""
    view = View(user, **filters)
    origin = view.start(mention_key)
    if origin is None:
        return None
    depth, frontier, links, truncated = {origin: 0}, [origin], {}, False
    for hop in range(1, hops + 1):
        reached, done = [], 0
        # A hop's frontier is expanded a slice at a time, each as large as the room left seems to
        # need (by what each node of the hop has brought so far), so that an answer cut at
        # `limit` costs about what it shows.
        while done < len(frontier):
            each = len(reached) / done if done else FIRST_SLICE_YIELD
            size = max(1, min(MAX_SLICE, math.ceil(1.25 * (limit - len(depth)) / max(each, 1))))  # a little over:
            # one more round of queries costs more than a few entities too many
            found, steps = view.expand(frontier[done:done + size])
            done += size
            for node, hub, role, rid in found:
                links.setdefault((node, hub, role), set()).update({rid} if rid else set())
            for _here, _hub, there in sorted(steps, key=lambda step: step[2]):
                if there not in depth:
                    if len(depth) >= limit:
                        truncated = True
                        break
                    depth[there] = hop
                    reached.append(there)
            if truncated:
                break
        frontier = reached
        if not frontier or truncated:
            break
    kept = [(s, t, r, rids) for (s, t, r), rids in links.items() if s in depth]
    nodes = set(depth) | {t for _, t, _, _ in kept}
    return {"nodes": [{**_describe(view, n), **({"hops": depth[n]} if n in depth else {})} for n in sorted(nodes)],
            "links": [{"source": s, "target": t, "role": r, "records": sorted(rids)} for s, t, r, rids in kept],
            "truncated": truncated}


def graph(user, mention_key, hops=2, **filters):
    """The neighbourhood as a networkx graph of entity, record and phone nodes."""
    found = neighbourhood(user, mention_key, hops, **filters)
    if found is None:
        return None
    built = nx.Graph()
    built.add_nodes_from((node["id"], node) for node in found["nodes"])
    built.add_edges_from((link["source"], link["target"], {"role": link["role"]}) for link in found["links"])
    return built


def shortest_path(user, from_key, to_key, max_hops=6, frontier_limit=5000):
    """The shortest chain of entities, records and phones between two entities the reader may
    see, or None: searched outward a hop at a time over what the reader may see (a hop's
    frontier is cut at `frontier_limit` entities)."""
    view = View(user)
    source, target = view.start(from_key), view.start(to_key)
    if source is None or target is None:
        return None
    if source == target:
        return [source]
    previous, frontier = {source: None}, [source]
    for _hop in range(max_hops):
        if not frontier:
            break
        _links, steps = view.expand(frontier)
        frontier = []
        for here, hub, there in sorted(steps):
            if there in previous:
                continue
            previous[there] = (here, hub)
            if there == target:
                path, step = [target], target
                while previous[step] is not None:
                    before, hub_used = previous[step]
                    path[:0] = [before, hub_used]
                    step = before
                return path
            if len(frontier) < frontier_limit:
                frontier.append(there)
    return None


def centrality(user, mention_key, hops=2, **filters):
    """Degree and betweenness centrality of the entities in a neighbourhood, highest first."""
    built = graph(user, mention_key, hops, **filters)
    if built is None:
        return None
    degree, between = nx.degree_centrality(built), nx.betweenness_centrality(built)
    entities = [node for node, data in built.nodes(data=True) if data.get("kind") == "entity"]
    return sorted(({"id": node, "caption": built.nodes[node]["caption"], "degree": round(degree[node], 4),
                    "betweenness": round(between[node], 4)} for node in entities),
                  key=lambda row: (-row["betweenness"], -row["degree"], row["id"]))


def hotspots(user, since=None, until=None, limit=20):
    """Crossings and places ranked by the seizures the reader may see there over a period:
    how many, how much (kg), which species — the enforcement entry points analysts hand on."""
    records = access.visible_records(user).with_only_columns(Record.id)
    query = select(Seizure).where(Seizure.record_id.in_(records))
    if since:
        query = query.where(Seizure.seized_on >= since)
    if until:
        query = query.where(Seizure.seized_on <= until)
    places = {}
    for seizure in db.session.scalars(query):
        key = seizure.crossing or seizure.province or seizure.place
        spot = places.setdefault(key, {"place": key, "crossing": seizure.crossing, "province": seizure.province,
                                       "seizures": 0, "kg": 0.0, "species": set()})
        spot["seizures"] += 1
        for item in db.session.scalars(select(SeizureItem).where(SeizureItem.record_id == seizure.record_id)):
            spot["species"].add(item.species)
            spot["kg"] += float(item.weight_kg or (item.quantity if item.unit == "kg" else 0) or 0)
    ranked = sorted(places.values(), key=lambda spot: (-spot["seizures"], -spot["kg"], spot["place"] or ""))
    return [{**spot, "kg": round(spot["kg"], 3), "species": sorted(spot["species"])} for spot in ranked[:limit]]

