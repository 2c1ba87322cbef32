"""The network behind the records (issue 18), as one reader may see it.

Nodes: entities (people, companies, vehicles, accounts), the records that name them (a
seizure, a market observation: the case), and the phone numbers entities were recorded with.
Links, each traceable to the records that support it: entity ↔ record with the entity's role
there (suspect, vendor, vehicle, company…), entity ↔ phone. Two entities are one hop apart when
they share a record (the same case) or a phone.

Everything is computed over the mentions the reader may see (service.visible_mentions), and an
entity is the reader's own view of it (service.seen_entity): a record they may not see never
adds a node, a link, a path or a count, nor joins two mentions into one node."""
from collections import deque

import networkx as nx
from sqlalchemy import select

from ..extensions import db
from ..store.models import Mention, Record, Seizure, SeizureItem
from . import service
from .models import MentionKey

LIMIT = 500  # nodes at most in one answer; the answer says when it was cut


class View:
    """One reader's view of the entity layer, with what it has looked up kept for the query."""

    def __init__(self, user, since=None, until=None, species=None, roles=None):
        self.user = user
        self.visible = service.visible_mentions(user)
        self.since, self.until, self.species, self.roles = since, until, species, roles
        self._node_of = {}  # mention key -> node id (the key of the first mention of its seen entity)
        self._members = {}  # node id -> [Mention]

    def node(self, mention):
        if mention.key not in self._node_of:
            seen = service.seen_entity(self.user, mention.key)["mentions"]
            node = f"m:{seen[0].key}"
            self._members[node] = seen
            for member in seen:
                self._node_of[member.key] = node
        return self._node_of[mention.key]

    def members(self, node):
        return self._members[node]

    def _records(self, record_ids):
        """The records among these that pass the date and species filters, {id: Record}."""
        query = select(Record).where(Record.id.in_(record_ids))
        records = {r.id: r for r in db.session.scalars(query)}
        if self.since or self.until or self.species:
            keep = {}
            for record_id, record in records.items():
                day = _day_of(record)
                if (self.since and (day is None or day < self.since)) or (self.until and (day is None or day > self.until)):
                    continue
                if self.species and self.species not in _species_of(record):
                    continue
                keep[record_id] = record
            records = keep
        return records

    def links_of(self, node):
        """(edges, neighbour entity nodes) of an entity node: its records and phones, and the
        entities met through them."""
        mentions = self.members(node)
        edges, neighbours = [], set()
        records = self._records({m.record_id for m in mentions})
        for mention in mentions:
            if mention.record_id in records and (not self.roles or mention.role in self.roles):
                edges.append((node, f"r:{records[mention.record_id].rid}", mention.role, records[mention.record_id].rid))
        if records:
            others = db.session.scalars(self.visible.where(Mention.record_id.in_(records),
                                                           Mention.key.not_in([m.key for m in mentions]))).all()
            for other in others:
                if self.roles and other.role not in self.roles:
                    continue
                target = self.node(other)
                if target != node:
                    neighbours.add(target)
                    edges.append((target, f"r:{records[other.record_id].rid}", other.role,
                                  records[other.record_id].rid))
        phones = set(db.session.scalars(select(MentionKey.key).where(
            MentionKey.mention.in_([m.key for m in mentions]), MentionKey.key.startswith("phone:"))))
        for phone in phones:
            edges.append((node, phone, "phone", None))
            holders = db.session.scalars(self.visible.where(Mention.key.in_(
                select(MentionKey.mention).where(MentionKey.key == phone)))).all()
            for holder in holders:
                target = self.node(holder)
                if target != node:
                    neighbours.add(target)
                    edges.append((target, phone, "phone", None))
        return edges, neighbours


def _day_of(record):
    detail = record.seizure or record.market_observation
    return getattr(detail, "seized_on", None) or getattr(detail, "observed_on", None)


def _species_of(record):
    detail = record.seizure or record.market_observation
    return {item.species for item in detail.items} if detail is not None else set()


def _describe(view, node):
    if node.startswith("m:"):
        first = view.members(node)[0]
        return {"id": node, "kind": "entity", "schema": first.schema, "caption": first.caption,
                "mentions": len(view.members(node))}
    if node.startswith("r:"):
        return {"id": node, "kind": "record", "rid": node[2:]}
    return {"id": node, "kind": "phone", "number": node.split(":", 1)[1]}


def neighbourhood(user, mention_key, hops=2, limit=LIMIT, **filters):
    """The entities within `hops` of the entity of `mention_key`, with the records and phones
    that link them: {"nodes", "links", "truncated"}; None when the reader may not see it."""
    view = View(user, **filters)
    start = db.session.scalar(view.visible.where(Mention.key == mention_key))
    if start is None:
        return None
    origin = view.node(start)
    seen, frontier, links, truncated = {origin: 0}, deque([origin]), {}, False
    while frontier:
        node = frontier.popleft()
        if seen[node] >= hops:
            continue
        edges, neighbours = view.links_of(node)
        for source, target, role, rid in edges:
            links.setdefault((source, target, role), set()).update({rid} if rid else set())
        for neighbour in sorted(neighbours):
            if neighbour not in seen:
                if len(seen) >= limit:
                    truncated = True
                    break
                seen[neighbour] = seen[node] + 1
                frontier.append(neighbour)
    kept = [(s, t, r, rids) for (s, t, r), rids in links.items() if s in seen]
    nodes = set(seen) | {t for _, t, _, _ in kept}
    return {"nodes": [{**_describe(view, n), **({"hops": seen[n]} if n in seen else {})} for n in sorted(nodes)],
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


def shortest_path(user, from_key, to_key, max_hops=6):
    """The shortest chain of entities, records and phones between two entities the reader may
    see, or None: searched outward from both ends, over what the reader may see."""
    view = View(user)
    ends = [db.session.scalar(view.visible.where(Mention.key == key)) for key in (from_key, to_key)]
    if None in ends:
        return None
    source, target = view.node(ends[0]), view.node(ends[1])
    if source == target:
        return [source]
    previous, frontier = {source: None}, deque([(source, 0)])
    while frontier:
        node, depth = frontier.popleft()
        if depth >= max_hops:
            continue
        edges, _neighbours = view.links_of(node)
        via = {}
        for a, hub, _role, _rid in edges:
            via.setdefault(hub, set()).add(a)
        for hub, ends_here in via.items():
            for neighbour in ends_here:
                if neighbour not in previous:
                    previous[neighbour] = (node, hub)
                    if neighbour == target:
                        path, step = [target], target
                        while previous[step] is not None:
                            before, hub_used = previous[step]
                            path[:0] = [before, hub_used]
                            step = before
                        return path
                    frontier.append((neighbour, depth + 1))
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
    from ..access import service as access

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

