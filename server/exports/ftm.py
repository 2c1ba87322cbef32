"""FollowTheMoney JSON lines (one entity per line, as `EntityProxy.to_dict()` gives it, keys
sorted), which `ftm validate` accepts and Aleph imports: every entity the reader may see as
they see it (source.network), every record they may read as an Event, and an UnknownLink
(subject: the entity, object: the record, role: suspect, driver, vendor…) for each time a
record names an entity. Every value is what followthemoney's model makes of it (its property's
type reads and validates it, as intel/ftm.make_proxy and EntityProxy.add do), never one
written here.

A store holds millions of lines (bench/exports.py: a million entities), so the same values are
reached with less work: a type's reading of a value that repeats (names, dates, countries,
roles) is remembered (_Reader); an id already in FtM's form is not read again character by
character (_token); phone numbers, the costliest values to read, are read in a process of
their own (_Checker); each line is the dict the proxy would give (EntityProxy.to_dict of
values already read), serialised by orjson (FtM's own serialiser), a chunk at a time."""
import hashlib
import os
import queue
import subprocess
import sys
import threading
from contextlib import suppress
from itertools import chain, islice

import orjson
from followthemoney import model
from followthemoney.proxy import EntityProxy
from followthemoney.types import registry
from followthemoney.util import make_entity_id, sanitize_text

from ..intel import ftm as intel_ftm
from . import source

EVENT, LINK = model.get("Event"), model.get("UnknownLink")
# Types whose values repeat from record to record, and whose reading of a value depends on
# the value alone (not on the proxy it is added to): worth remembering.
REPEATING = frozenset(kind.name for kind in (registry.name, registry.country, registry.date, registry.address,
                                               registry.string))
# Types whose values are checked in a process of their own (write).
APART = frozenset({registry.phone.name})
REMEMBERED = 20_000  # distinct values remembered per property at most, so that memory stays flat
SORTED_LINE = orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE
_MISSING = object()


def ftm_id(node_id):
    """The FtM id of a network node: a mention's ("m:<rid>/<n>") or a record's ("r:<rid>")."""
    kind, rest = node_id.split(":", 1)
    return intel_ftm.mention_id(rest) if kind == "m" else f"wl-record-{rest}"


def _token(value):
    """Whether a value is made of ASCII letters, digits, dots and dashes only (FtM's form of an
    id): sanitising such a value leaves it as it is."""
    return registry.entity.REGEX.match(value) is not None


class _Reader:
    """FtM's reading of raw values, property by property, remembered for the types in REPEATING."""

    def __init__(self):
        self._schemata, self._plans, self._added = {}, {}, {}

    @staticmethod
    def remember(memo, raw, value):
        if len(memo) >= REMEMBERED:
            memo.clear()
        memo[raw] = value
        return value

    def memo(self, prop):
        """The values of a property of a type in REPEATING read so far: {raw: what EntityProxy.add
        keeps of it (its type's clean, sanitised then read), or None}."""
        assert prop.type.name in REPEATING, prop
        return self._added.setdefault(prop, {})

    def added(self, prop, raw):
        """What EntityProxy.add(prop, raw) keeps of a string of a type in REPEATING."""
        memo = self.memo(prop)
        value = memo.get(raw, _MISSING)
        return self.remember(memo, raw, prop.type.clean(raw, format=prop.format)) if value is _MISSING else value

    def schema(self, name):
        """intel/ftm's schema check (an unknown one raises InvalidData), once per schema."""
        if name not in self._schemata:
            self._schemata[name] = intel_ftm._schema(name)  # noqa: SLF001 - the one rule, shared
        return self._schemata[name]

    def plans(self, schema):
        """{property name: (property, memo of its accepted values or None, whether its type limits
        the total size of its values, whether its values are checked apart)} of a schema, filled
        as names come (plan)."""
        if schema.name not in self._plans:
            self._plans[schema.name] = {}
        return self._plans[schema.name]

    def plan(self, schema, name):
        """A property's plan, after intel/ftm's property check (an unknown or stub one raises
        InvalidData), once per pair."""
        prop = intel_ftm._writable(schema, name)  # noqa: SLF001
        plan = self.plans(schema)[name] = (prop, {} if prop.type.name in REPEATING else None,
                                           prop.type.total_size is not None, prop.type.name in APART)
        return plan


def _accepted(prop, raw):
    return intel_ftm._accepted(prop, raw)  # noqa: SLF001 - the one rule, shared


def _apart(reader, nodes):
    """The values of a chunk's nodes that are checked apart: [(schema, property, raw)]."""
    found = []
    for _, schema_name, _, _, properties in nodes:
        schema = reader.schema(schema_name)
        plans = reader.plans(schema)
        for name, raw_values in properties.items():
            if (plans.get(name) or reader.plan(schema, name))[3]:
                found += [(schema_name, name, raw) for raw in raw_values if raw]
    return found


# The checker process (_Checker): a line of [[schema, property, raw]] in, a line of what
# intel/ftm._accepted makes of each out, until its input ends. It imports no more than
# intel/ftm (the export's modules would double its memory).
CHECKER = """
import sys
import orjson
from followthemoney import model
from server.intel.ftm import _accepted
try:
    for line in sys.stdin.buffer:
        sys.stdout.buffer.write(orjson.dumps([_accepted(model.get(schema).get(name), raw)
                                              for schema, name, raw in orjson.loads(line)]) + b"\\n")
        sys.stdout.buffer.flush()
except BrokenPipeError:  # the export stopped reading: it failed, or was stopped
    pass
"""


class _Checker:
    """intel/ftm._accepted in a process of its own (CHECKER), its answers in the order asked. A
    thread hands it the questions, so that neither process waits on the other with its pipe
    full. A plain interpreter (not multiprocessing's, which would run this process's main script
    again in it, or fork a process that runs threads)."""

    def __enter__(self):
        self.process = subprocess.Popen(
            [sys.executable, "-c", CHECKER],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(path for path in sys.path if path)})
        self.questions = queue.SimpleQueue()
        self.sender = threading.Thread(target=self._send, name="export-checker", daemon=True)
        self.sender.start()
        return self

    def _send(self):
        try:
            while (question := self.questions.get()) is not None:
                self.process.stdin.write(question)
                self.process.stdin.flush()
        except OSError:  # the checker stopped: answer() says so
            pass
        finally:
            with suppress(OSError):
                self.process.stdin.close()

    def ask(self, values):
        self.questions.put(orjson.dumps(values) + b"\n")

    def answer(self):
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the export's checker process stopped ({self.process.poll()})")
        return orjson.loads(line)

    def __exit__(self, *failure):
        # Answers left unread (after a failure here): the checker stops at its next one, so that
        # neither it nor the thread waits on a full pipe.
        self.process.stdout.close()
        self.questions.put(None)
        self.sender.join()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _entities(reader, nodes, checked):
    """The lines of a chunk's entity nodes (node id, schema, caption, mentions, properties): of
    each, intel/ftm.make_proxy(schema, id, properties).to_dict(). `checked`: what _check made
    of the chunk's values checked apart, by (schema, property, raw)."""
    lines = []
    for node, schema_name, _, _, properties in nodes:
        schema, values = reader.schema(schema_name), {}
        plans = reader.plans(schema)
        for name, raw_values in properties.items():
            prop, memo, limited, apart = plans.get(name) or reader.plan(schema, name)
            if limited:  # a type whose values' total size is limited: added one by one, as make_proxy does
                values = intel_ftm.make_proxy(schema_name, ftm_id(node), properties).to_dict()["properties"]
                break
            kept = []
            for raw in raw_values:
                if raw:
                    if apart:
                        value = checked[schema_name, name, raw]
                    else:
                        value = _accepted(prop, raw) if memo is None else memo.get(raw, _MISSING)
                        if value is _MISSING:
                            value = reader.remember(memo, raw, _accepted(prop, raw))
                    if value and value not in kept:
                        kept.append(value)
            if kept:
                values[name] = kept
        lines.append(orjson.dumps({"id": ftm_id(node), "properties": values, "schema": schema.name},
                                  option=SORTED_LINE))
    return lines


_EVENT_PROPS = [EVENT.properties[name] for name in ("country", "date", "location", "name")]
_RECORD_ID = EVENT.properties["recordId"]


def _events(reader, events):
    """The Event lines of records: what EntityProxy.add keeps of each value."""
    memos = [reader.memo(prop) for prop in _EVENT_PROPS]
    lines = []
    for event in events:
        values = {}
        for prop, memo, raw in zip(_EVENT_PROPS, memos, ((event["country"] or "").lower() or None,
                                                          event["date"].isoformat() if event["date"] else None,
                                                          event["place"], event["caption"])):
            if raw:
                value = memo.get(raw, _MISSING)
                if value is _MISSING:
                    value = reader.remember(memo, raw, prop.type.clean(raw, format=prop.format))
                if value is not None:
                    values[prop.name] = [value]
        rid = event["rid"]
        if rid:
            # A string type, and a token (which sanitising leaves as it is) reads as itself.
            value = rid if _token(rid) else _RECORD_ID.type.clean(rid, format=_RECORD_ID.format)
            if value is not None:
                values["recordId"] = [value]
        lines.append(orjson.dumps({"id": ftm_id(event["id"]), "properties": values, "schema": EVENT.name},
                                  option=orjson.OPT_APPEND_NEWLINE))  # keys written in order
    return lines


def _reference(value, proxy_id):
    """What EntityProxy.add keeps of an FtM id on a link: a token as it is; any other, or one
    naming the link itself (which the entity type refuses), as the entity type reads it."""
    if value != proxy_id and _token(value):
        return value
    text = sanitize_text(value)
    return None if text is None else registry.entity.clean_text(text, proxy=EntityProxy(LINK, {"id": proxy_id}))


_LINK_ID = hashlib.sha1(b"wl-link")  # noqa: S324 - FtM's id hash, not a secret
_ROLE = LINK.properties["role"]


def _links(reader, links):
    """The UnknownLink lines of a chunk's links (node, rid, role) from a node to the record node
    "r:<rid>". A link's id is EntityProxy.make_id("wl-link", source, target, role, n), n its
    place in the chunk: FtM's SHA-1 of the parts, each stripped (here, where none needs it, the
    hash of the parts run together). What is the same for many links (a node's FtM id, a
    role's reading) is worked out once a chunk."""
    nodes, roles, lines = {}, {}, []
    for n, (source, rid, role) in enumerate(links):
        node = nodes.get(source)
        if node is None:
            subject = ftm_id(source)
            node = nodes[source] = (subject, _token(subject), source == source.strip())
        said = roles.get(role)
        if said is None:
            added = reader.added(_ROLE, role) if role else None
            said = roles[role] = (bool(role) and role == role.strip(), added,
                                  None if added is None else orjson.dumps([added]).decode())
        target, record = f"r:{rid}", f"wl-record-{rid}"
        plain = _token(record)  # then the rid holds no space either
        if node[2] and said[0] and (plain or target == target.strip()):
            digest = _LINK_ID.copy()
            digest.update(f"{source}{target}{role}{n}".encode())
            proxy_id = digest.hexdigest()  # hexadecimal: never a record's or a mention's id
            if plain and node[1] and said[2] is not None:
                # Tokens need no escaping in JSON: the line orjson would write, put together here.
                lines.append(f'{{"id":"{proxy_id}","properties":{{"object":["{record}"],"role":{said[2]},'
                             f'"subject":["{node[0]}"]}},"schema":"UnknownLink"}}\n'.encode())
                continue
        else:
            proxy_id = make_entity_id("wl-link", source, target, role, str(n))
        values = {}
        value = record if plain and record != proxy_id else _reference(record, proxy_id)
        if value is not None:
            values["object"] = [value]
        if said[1] is not None:
            values["role"] = [said[1]]
        value = node[0] if node[1] and node[0] != proxy_id else _reference(node[0], proxy_id)
        if value is not None:
            values["subject"] = [value]
        lines.append(orjson.dumps({"id": proxy_id, "properties": values, "schema": LINK.name},
                                  option=orjson.OPT_APPEND_NEWLINE))  # keys written in order
    return lines


def write(out, actor, progress=None, handling_seen=None):
    """Write the reader's network to `out` (a binary file: the lines are UTF-8 as orjson makes
    them). Returns {"entities", "events", "links"}; the records' handling codes are added to
    `handling_seen`."""
    counted = {"entities": 0, "events": 0, "links": 0}
    reader, lines = _Reader(), []

    def flush():
        out.write(b"".join(lines))
        lines.clear()

    # Phone numbers, the costliest values to read (libphonenumber, in Python: half the time of
    # the entities), are checked in a process of their own, a chunk ahead of the writing: on a
    # second core, which the interpreter's one lock keeps threads from using.
    with _Checker() as checker:
        events = source.events(actor)
        while batch := list(islice(events, source.CHUNK)):
            lines += _events(reader, batch)
            if handling_seen is not None:
                handling_seen.update(event["handling"] for event in batch)
            counted["events"] += len(batch)
            flush()
        ahead = None
        for chunk in chain(source.network_tuples(actor), [None]):
            if chunk is not None:
                apart = _apart(reader, chunk[0])
                checker.ask(apart)
                chunk = (*chunk, apart)
            if ahead is not None:
                nodes, links, apart = ahead
                lines += _entities(reader, nodes, dict(zip(apart, checker.answer())))
                lines += _links(reader, links)
                flush()
                counted["entities"] += len(nodes)
                counted["links"] += len(links)
                if progress:
                    progress(counted["entities"])
            ahead = chunk
    return counted
