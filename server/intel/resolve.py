"""Entity resolution (issue 18): mentions into entities, incrementally.

A mention not yet resolved is filed under its keys (strong identifiers and name readings,
names.py), compared with the mentions that share a key with it (never with everyone), and
for each of them:
- a strong identifier (same E.164 phone, same document number, same plate, same platform
  account) AND a compatible name, with nothing contradicting (another document number,
  another nationality, a "not the same" judgement between the two entities): merged, as an
  automatic "same" judgement that an analyst can undo;
- otherwise, a strong identifier alone (phones are shared at border posts, burner phones
  change hands) or a close name: a candidate, scored and explained, for an analyst;
- else nothing.
Records are never changed; only mentions' entity and the entity rows are.

Phones are shared and common names are common: of a strong identifier held by more than
KEY_LIMIT mentions, KEY_LIMIT are taken, by mention key (a stable choice, the same on every run
and after a rebuild); a name reading held by more than CROWDED mentions finds none (a name
that common proves nothing alone: Nguyễn Văn Hùng is thousands of people), and a mention
bearing it meets the others through its strong identifiers."""
import re
from dataclasses import dataclass, field

from sqlalchemy import String, and_, any_, bindparam, func, insert, or_, select, true, update
from sqlalchemy.dialects import postgresql, sqlite

from ..dbtypes import utcnow
from ..extensions import db
from ..store.models import Entity, Mention
from . import names
from .models import Candidate, CrowdedKey, Judgement, MentionKey

KEY_LIMIT = 200
CROWDED = 100
CANDIDATE_SIMILARITY = 0.88
BATCH = 500
_PLATE = re.compile(r"[^0-9A-Z]")


def _values(mention, prop):
    return [value for value in (mention.properties or {}).get(prop, []) if value]


def plate(text):
    return _PLATE.sub("", (text or "").upper())


def _document(text):
    return re.sub(r"[\s\-./]", "", (text or "").upper())


def phone_keys(properties):
    """The keys of the phones in FtM `properties` (E.164 numbers only: a local number says
    nothing across borders)."""
    return {f"phone:{phone}" for phone in (properties or {}).get("phone", []) if phone and phone.startswith("+")}


def strong_keys(mention):
    """{"kind:value"} of a mention's strong identifiers (a Peer's, worked out once)."""
    if isinstance(mention, Peer):
        return mention.strong
    return _strong_keys(mention)


def _strong_keys(mention):
    keys = phone_keys(mention.properties)
    if mention.schema == "Person":
        keys |= {f"doc:{_document(number)}" for number in _values(mention, "idNumber") if len(_document(number)) >= 4}
    elif mention.schema == "Vehicle":
        keys |= {f"plate:{plate(number)}" for number in _values(mention, "registrationNumber") if len(plate(number)) >= 4}
    elif mention.schema == "Company":
        keys |= {f"reg:{_document(number)}" for number in _values(mention, "registrationNumber")
                 if len(_document(number)) >= 4}
    elif mention.schema == "UserAccount":
        service = "".join(_values(mention, "service")[:1]).strip().lower()
        keys |= {f"account:{service}:{name.strip().lower()}" for name in _values(mention, "username")}
    return keys


def names_of(mention):
    if mention.schema in ("Person", "Company"):
        return _values(mention, "name") + _values(mention, "alias")
    return []


def keys_of(mention):
    keys = set(strong_keys(mention))
    for name in names_of(mention):
        keys |= {f"n:{key}"[:200] for key in names.block_keys(name)}
    return keys


@dataclass
class Comparison:
    score: float
    features: dict = field(default_factory=dict)
    merge: bool = False
    candidate: bool = False


def _conflicts(a, b):
    """What says two mentions are two people, whatever else matches."""
    found = []
    docs_a, docs_b = {_document(v) for v in _values(a, "idNumber")}, {_document(v) for v in _values(b, "idNumber")}
    if docs_a and docs_b and not docs_a & docs_b:
        found.append("another_document")
    for prop in ("nationality", "jurisdiction", "country"):
        left, right = set(_values(a, prop)), set(_values(b, prop))
        if left and right and not left & right:
            found.append(f"another_{prop}")
    return found


def compare(a, b, shared_phones=frozenset()):
    """How alike two mentions of one schema are, and what should happen. A phone in
    `shared_phones` is known to be used by several people: it proposes, never merges."""
    keys = sorted(strong_keys(a) & strong_keys(b))
    shared = sorted({key.split(":", 1)[0] for key in keys})
    features = {"identifiers": shared, "keys": keys}
    if set(keys) & shared_phones:
        features["shared_phone"] = True
        shared = [kind for kind in shared if kind != "phone" or set(keys) - shared_phones]
    pairs = [(x, y) for x in names_of(a) for y in names_of(b)]
    similarity = max((names.similarity(x, y) for x, y in pairs), default=0.0)
    compatible = any(names.compatible(x, y) for x, y in pairs)
    features.update(name_similarity=round(similarity, 3), name_compatible=compatible)
    conflicts = _conflicts(a, b)
    if conflicts:
        features["conflicts"] = conflicts
    named = a.schema in ("Person", "Company")
    score = round(min(1.0, (0.6 if shared else 0.0) + 0.4 * similarity - 0.3 * len(conflicts)), 3)
    identity_enough = bool(shared) and (compatible if named else True)
    merge = identity_enough and not conflicts
    # Without an identifier, only a name that is the same or one slip away is worth an analyst's time.
    near = named and similarity >= CANDIDATE_SIMILARITY and any(names.near(x, y) for x, y in pairs)
    candidate = not merge and (bool(keys) or near)
    return Comparison(score, features, merge, candidate)


def _apart(a, b):
    """Whether two mentions are surely two people: another document number, or names written
    alike (both in Han, both in Lao, both with their tone marks) that differ. A pinyin name and
    a Sino-Vietnamese one cannot be told apart, so they are not."""
    if _conflicts(a, b):
        return True
    pairs = [(x, y) for x in names_of(a) for y in names_of(b) if names.comparable(x, y)]
    return bool(pairs) and not any(names.compatible(x, y) for x, y in pairs)


def shared_phones(mention, peers):
    """The phone keys of `mention` that people who are surely not one use (names that cannot
    be one person's, or two document numbers): a family's phone, one passed on at a post."""
    found = set()
    for key in strong_keys(mention):
        if not key.startswith("phone:"):
            continue
        holders = [mention] + [peer for peer in peers if key in strong_keys(peer)]
        if any(_apart(x, y) for i, x in enumerate(holders) for y in holders[i + 1:]):
            found.add(key)
    return found


def _unmerge_resting_on(keys, mention_keys, batch):
    """Automatic merges that rested on nothing but a phone now known to be shared are undone
    (their entity split again) and left to an analyst as candidates."""
    batch.write_judgements()
    for judgement in db.session.scalars(select(Judgement).where(
            Judgement.automatic.is_(True), Judgement.verdict == "same", Judgement.undone_at.is_(None),
            or_(Judgement.left_key.in_(mention_keys), Judgement.right_key.in_(mention_keys)))).all():
        resting = set(judgement.features.get("keys", []))
        if resting and resting <= keys:
            judgement.undone_at = utcnow()
            db.session.flush()
            split(batch.entity(batch.loaded[judgement.left_key]) if judgement.left_key in batch.loaded
                  else by_key(judgement.left_key).entity_id)
            batch.reload_entities()
            batch.propose(judgement.left_key, judgement.right_key, judgement.score,
                     {**judgement.features, "shared_phone": True})


def pair(a_key, b_key):
    return (a_key, b_key) if a_key < b_key else (b_key, a_key)


def by_key(key):
    return db.session.scalar(select(Mention).where(Mention.key == key))


def _members(entity_id):
    return db.session.scalars(select(Mention.key).where(Mention.entity_id == entity_id)).all()


def active_judgement(left_key, right_key):
    return db.session.scalar(select(Judgement).where(Judgement.left_key == left_key, Judgement.right_key == right_key,
                                                     Judgement.undone_at.is_(None)).limit(1))


def kept_apart(entity_a, entity_b):
    """Whether an analyst said some mention of one is not the same as some mention of the other."""
    return kept_apart_keys(_members(entity_a), _members(entity_b))


def kept_apart_keys(left, right):
    """Whether a "not the same" judgement in force joins a mention key of `left` to one of `right`."""
    return db.session.scalar(select(Judgement.id).where(
        Judgement.verdict == "not_same", Judgement.undone_at.is_(None),
        or_(and_(Judgement.left_key.in_(left), Judgement.right_key.in_(right)),
            and_(Judgement.left_key.in_(right), Judgement.right_key.in_(left)))).limit(1)) is not None


def _union(mentions):
    merged = {}
    for mention in mentions:
        for prop, values in (mention.properties or {}).items():
            merged.setdefault(prop, [])
            merged[prop].extend(value for value in values if value and value not in merged[prop])
    return merged


def refresh(entity):
    """An entity's caption and properties from all its mentions."""
    mentions = db.session.scalars(select(Mention).where(Mention.entity_id == entity.id).order_by(Mention.id)).all()
    entity.properties = _union(mentions)
    entity.caption = mentions[0].caption if mentions else entity.caption


def refresh_all(entity_ids):
    """refresh, for many entities in two statements."""
    by_entity = {}
    for mention in db.session.execute(select(Mention.entity_id, Mention.caption, Mention.properties)
                                      .where(Mention.entity_id.in_(entity_ids)).order_by(Mention.id)):
        by_entity.setdefault(mention.entity_id, []).append(mention)
    rows = [{"entity": entity_id, "new_caption": mentions[0].caption, "new_properties": _union(mentions)}
            for entity_id, mentions in by_entity.items()]
    if rows:
        table = Entity.__table__
        db.session.execute(update(table).where(table.c.id == bindparam("entity")).values(
            caption=bindparam("new_caption"), properties=bindparam("new_properties")), rows)


def merge_entities(keep_id, other_id, touched=None):
    """Every mention of `other_id` joins `keep_id`; the other row (and any merged into it) points
    at it. The kept entity is refreshed now, or later with the others in `touched`."""
    if keep_id == other_id:
        return keep_id
    keep_id, other_id = min(keep_id, other_id), max(keep_id, other_id)
    statements = (update(Mention).where(Mention.entity_id == other_id).values(entity_id=keep_id),
                  update(Entity).where(or_(Entity.id == other_id, Entity.merged_into_id == other_id))
                  .values(merged_into_id=keep_id))
    for statement in statements:
        if touched is None:  # objects loaded elsewhere are kept in step
            db.session.execute(statement, execution_options={"synchronize_session": "fetch"})
        else:  # a batch follows its merges itself (Batch.entity), and holds no ORM objects of these
            db.session.connection().execute(statement)
    if touched is None:
        refresh(db.session.get(Entity, keep_id))
    else:
        touched.add(keep_id)
    return keep_id


def connected(members, edges):
    """{root: [member]} of the parts `edges` (pairs of members) join `members` into, each part's
    members in the order given."""
    parent = {member: member for member in members}

    def root(node):
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for left, right in edges:
        parent[root(left)] = root(right)
    parts = {}
    for member in members:
        parts.setdefault(root(member), []).append(member)
    return parts


def split(entity_id):
    """Recompute an entity from its active "same" edges: each connected part keeps or gets an
    entity of its own (the part holding the entity's first mention keeps its id)."""
    mentions = db.session.execute(select(Mention.id, Mention.key).where(Mention.entity_id == entity_id)
                                  .order_by(Mention.id)).all()
    members = [key for _, key in mentions]
    parts = connected(members, db.session.execute(select(Judgement.left_key, Judgement.right_key).where(
        Judgement.verdict == "same", Judgement.undone_at.is_(None), Judgement.left_key.in_(members),
        Judgement.right_key.in_(members))))
    entity = db.session.get(Entity, entity_id)
    made = []
    order = {key: position for position, key in enumerate(members)}
    for part in sorted(parts.values(), key=lambda keys: min(order[k] for k in keys)):
        if members[0] in part:
            continue
        first = by_key(min(part, key=order.get))
        new = Entity(schema=first.schema, caption=first.caption, properties={}, agency_id=first.agency_id,
                     country=first.country)
        db.session.add(new)
        db.session.flush()
        db.session.execute(update(Mention).where(Mention.key.in_(part)).values(entity_id=new.id))
        refresh(new)
        made.append(new.id)
    refresh(entity)
    return made


def among(column, values):
    """`column IN values`; on PostgreSQL as one array parameter (= ANY): resolution and the
    network ask about thousands of keys and ids at once, and a statement with tens of thousands
    of parameters costs more to send and parse than to run."""
    values = list(values)
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=postgresql.ARRAY(column.type)))
    return column.in_(values)


def _chunks(values, size=10_000):
    """`values` sorted, in slices small enough for SQLite's parameter limit (PostgreSQL takes
    each slice as one array)."""
    values = sorted(values)
    return [values[start:start + size] for start in range(0, len(values), size)] or [[]]


def _filed_under(keys, limit):
    """{key: [mention key]}: up to `limit` mentions filed under each of `keys`, by mention key."""
    if db.session.get_bind().dialect.name == "postgresql":
        # Each key's first rows read off the (key, mention) index, however crowded it is, and
        # gathered into one row per key in the database.
        wanted = (func.unnest(bindparam("keys", list(keys), type_=postgresql.ARRAY(String)))
                  .table_valued("key").render_derived())
        taken = (select(MentionKey.mention).where(MentionKey.key == wanted.c.key)
                 .order_by(MentionKey.mention.desc()).limit(limit).lateral())
        return dict(db.session.execute(select(wanted.c.key, func.array_agg(taken.c.mention)).select_from(wanted)
                                       .join(taken, true()).group_by(wanted.c.key)).all())
    ranked = select(MentionKey.key, MentionKey.mention, func.row_number().over(
        partition_by=MentionKey.key, order_by=MentionKey.mention.desc()).label("rank")).where(
        MentionKey.key.in_(keys)).subquery()
    found = {}
    for key, mention_key in db.session.execute(select(ranked.c.key, ranked.c.mention).where(ranked.c.rank <= limit)):
        found.setdefault(key, []).append(mention_key)
    return found


def crowded_among(keys):
    """The name readings among `keys` known to be crowded."""
    found = set()
    for named in _chunks(key for key in keys if key.startswith("n:")):
        found.update(db.session.scalars(select(CrowdedKey.key).where(among(CrowdedKey.key, named))))
    return found


def _peers_by_key(keys):
    """{key: [mention key]} of the mentions filed under these keys (none known to be crowded):
    KEY_LIMIT per strong key; all of a name key's, unless more than CROWDED hold it: a name that
    common says nothing alone (the strong identifiers of those who bear it are keys of their
    own). Such a key is marked crowded, for good."""
    strong = [key for key in keys if not key.startswith("n:")]
    named = [key for key in keys if key.startswith("n:")]
    found = _filed_under(strong, KEY_LIMIT) if strong else {}
    crowded = []
    for key, mentions in (_filed_under(named, CROWDED + 1) if named else {}).items():
        if len(mentions) <= CROWDED:
            found[key] = mentions
        else:
            crowded.append({"key": key})
    if crowded:
        dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
        db.session.execute(dialect.insert(CrowdedKey).on_conflict_do_nothing(), crowded)
    return found


class Peer:
    """A mention as resolution works on it, one of a batch or met under a key: what comparing
    needs, without an ORM object per row (a batch meets tens of thousands). Its entity is
    followed through the batch's merges (Batch.entity)."""

    __slots__ = ("id", "key", "entity_id", "schema", "properties", "strong")
    COLUMNS = (Mention.id, Mention.key, Mention.entity_id, Mention.schema, Mention.properties)

    def __init__(self, row):
        self.id, self.key, self.entity_id, self.schema, self.properties = row
        self.strong = frozenset(_strong_keys(self))


def _mentions_by_key(keys):
    """{key: Peer}."""
    found = {}
    for chunk in _chunks(keys):
        found.update((row.key, Peer(row)) for row in db.session.execute(select(*Peer.COLUMNS).where(
            among(Mention.key, chunk))))
    return found


def _bulk_insert(model, rows):
    """Insert many rows (dicts with the same columns): COPY on PostgreSQL, in the session's
    transaction; an INSERT per row, however pipelined, costs tens of microseconds each, and a
    batch writes tens of thousands (mention keys, candidates)."""
    if not rows:
        return
    dialect = db.session.get_bind().dialect
    if dialect.name != "postgresql":
        db.session.execute(insert(model), rows)
        return
    db.session.flush()
    table, columns = model.__table__, list(rows[0])
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in columns]  # UTC, JSON as stored
    cursor = db.session.connection().connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([process(row[name]) if process else row[name] for name, process in zip(columns, processors)])


def _any_kept_apart(entity_ids):
    """Whether any "not the same" judgement in force touches these entities' mentions: when
    none does (nearly always), no pair among them needs kept_apart asked."""
    # From the few such judgements (their own partial index) to their mentions, not the other
    # way round: the entities of a batch have tens of thousands of mentions.
    entity_ids = list(entity_ids)
    return any(db.session.scalar(select(Judgement.id).join(Mention, Mention.key == end).where(
        Judgement.verdict == "not_same", Judgement.undone_at.is_(None), among(Mention.entity_id, entity_ids)).limit(1))
        is not None for end in (Judgement.left_key, Judgement.right_key))


class Batch:
    """What resolving a batch of mentions needs, fetched in a few queries for all of them: each
    mention's keys (filed here), the mentions met under them, the judgements and candidates
    already on their pairs. A mention meets those resolved before it and those earlier in the
    batch; a later one meets it in its turn."""

    def __init__(self, mentions):
        self.mentions = mentions
        self.position = {mention.key: n for n, mention in enumerate(mentions)}
        self.keys = {mention.key: keys_of(mention) for mention in mentions}
        batch_keys = list(self.position)
        # After a rebuild of the store the mentions' keys are already filed (same mention key).
        held = set(tuple(row) for row in db.session.execute(select(MentionKey.key, MentionKey.mention)
                                      .where(MentionKey.mention.in_(batch_keys))).all())
        every_key = set().union(*self.keys.values())
        every_key -= crowded_among(every_key)
        new = [(key, mention_key) for mention_key, keys in self.keys.items() for key in keys
               if key in every_key and (key, mention_key) not in held]
        _bulk_insert(MentionKey, [{"key": key, "mention": mention_key} for key, mention_key in sorted(new)])
        self.filed = _peers_by_key(every_key) if every_key else {}
        met = {peer for peers in self.filed.values() for peer in peers}
        self.loaded = _mentions_by_key(met - set(self.position))
        self.loaded.update((mention.key, mention) for mention in mentions)  # one object per mention
        self.judged = {(j.left_key, j.right_key): j for j in db.session.scalars(select(Judgement).where(
            or_(Judgement.left_key.in_(batch_keys), Judgement.right_key.in_(batch_keys)), Judgement.undone_at.is_(None)))}
        self.new_candidates, self.new_judgements, self.touched = [], [], set()
        self.proposed = set(tuple(row) for row in db.session.execute(select(Candidate.left_key, Candidate.right_key).where(
            or_(Candidate.left_key.in_(batch_keys), Candidate.right_key.in_(batch_keys)))).all())
        # Merges within the batch only join entities already among these, and a split only
        # parts one: asked once, this holds for the whole batch.
        self.may_be_kept_apart = bool(self.loaded) and _any_kept_apart({m.entity_id for m in self.loaded.values()})
        self.moved = {}  # entity id -> the one it was merged into, in this batch

    def entity(self, mention):
        """Where a mention (met as a Peer, or one of the batch's) is now, after the batch's merges."""
        entity_id = mention.entity_id
        while entity_id in self.moved:
            entity_id = self.moved[entity_id]
        return entity_id

    def merge(self, mention, peer):
        """Join `peer`'s entity to `mention`'s (an automatic or earlier judgement says so)."""
        mine, theirs = self.entity(mention), self.entity(peer)
        kept = merge_entities(mine, theirs, self.touched)
        for entity_id in (mine, theirs):
            if entity_id != kept:
                self.moved[entity_id] = kept

    def reload_entities(self):
        """After a split: every met mention's entity as it now is."""
        now = {}
        for chunk in _chunks(self.loaded):
            now.update(db.session.execute(select(Mention.key, Mention.entity_id).where(among(Mention.key, chunk))).all())
        for key, peer in self.loaded.items():
            peer.entity_id = now[key]
        self.moved = {}

    def propose(self, left_key, right_key, score, features):
        """A candidate for the pair unless it has one; written with the batch's others (flush)."""
        if (left_key, right_key) in self.proposed:
            return 0
        self.proposed.add((left_key, right_key))
        self.new_candidates.append({"left_key": left_key, "right_key": right_key, "score": score,
                                    "features": features, "created_at": utcnow()})
        return 1

    def judge(self, left_key, right_key, result):
        """An automatic "same" judgement, written with the batch's others (write_judgements)."""
        self.new_judgements.append({"left_key": left_key, "right_key": right_key, "verdict": "same", "automatic": True,
                                    "score": result.score, "features": result.features, "created_at": utcnow()})

    def write_judgements(self):
        if self.new_judgements:
            _bulk_insert(Judgement, self.new_judgements)
            self.new_judgements = []

    def flush(self):
        """What the batch keeps to its end: its judgements and candidates, the entities it
        merged into refreshed, its mentions marked resolved."""
        self.write_judgements()
        if self.new_candidates:
            _bulk_insert(Candidate, self.new_candidates)
            self.new_candidates = []
        refresh_all(self.touched)
        db.session.execute(update(Mention).where(Mention.key.in_(list(self.position))).values(resolved_at=utcnow()),
                           execution_options={"synchronize_session": False})

    def peers(self, mention):
        mine = self.position[mention.key]
        found = {peer for key in self.keys[mention.key] for peer in self.filed.get(key, ())
                 if peer != mention.key and self.position.get(peer, -1) < mine}
        return [self.loaded[peer] for peer in sorted(found) if self.loaded[peer].schema == mention.schema]


def resolve_one(mention, batch):
    """Act on each mention `mention` meets. Returns (merges, candidates) made."""
    merges = candidates = 0
    peers = batch.peers(mention)
    shared = shared_phones(mention, peers)
    if shared:
        _unmerge_resting_on(shared, [peer.key for peer in peers if strong_keys(peer) & shared], batch)
    for peer in sorted(peers, key=lambda m: m.id):
        if batch.entity(peer) == batch.entity(mention):
            continue
        left, right = pair(mention.key, peer.key)
        judged = batch.judged.get((left, right))
        if judged is not None:
            if judged.verdict == "same":  # judged before (a rebuilt store): it stands
                batch.merge(mention, peer)
            continue
        result = compare(mention, peer, shared)
        if not (result.merge or result.candidate):
            continue
        if batch.may_be_kept_apart and kept_apart(batch.entity(mention), batch.entity(peer)):
            continue
        if result.merge:
            batch.judge(left, right, result)
            batch.merge(mention, peer)
            merges += 1
        else:
            candidates += batch.propose(left, right, result.score, result.features)
    return merges, candidates


def resolve_pending(limit=None):
    """Resolve every mention not yet resolved, oldest first, a batch per transaction.
    Returns {"mentions", "merges", "candidates"}."""
    done = {"mentions": 0, "merges": 0, "candidates": 0}
    while limit is None or done["mentions"] < limit:
        mentions = [Peer(row) for row in db.session.execute(
            select(*Peer.COLUMNS).where(Mention.resolved_at.is_(None)).order_by(Mention.id)
            .limit(BATCH if limit is None else min(BATCH, limit - done["mentions"])))]
        if not mentions:
            break
        batch = Batch(mentions)
        for mention in mentions:
            merges, candidates = resolve_one(mention, batch)
            done["mentions"] += 1
            done["merges"] += merges
            done["candidates"] += candidates
        batch.flush()
        db.session.commit()
    return done
