"""Publishing the pull collections and answering pulls (DESIGN §3).

A collection is a set of (key → data). Publishing compares what the sources say now with
what was published and writes only the differences, each change under the next version
of the one counter; a key that disappeared becomes a tombstone. A pull returns, in
version order, the items and tombstones newer than the phone's checkpoint.
"""
import hashlib
import json

from flask import current_app
from sqlalchemy import select

from ..access.models import Agency
from ..errors import ApiError
from ..extensions import db
from ..forms.definition import published_definitions
from ..i18n import LOCALES, read_catalog
from . import catalog
from .current import forget
from .search import pinyin_keys
from .models import HEAD_ID, ReferenceCollection, ReferenceHead, ReferenceItem, new_history

ABOUT = "_about"  # the item holding a collection's source note


def _from_file(name):
    body = catalog.collection_file(name)
    items = {item["key"]: item for item in body["items"]}
    items[ABOUT] = {"source": body["source"]}
    return items


def _crossings():
    from ..directory import crossings

    return {**crossings.published(), ABOUT: {"source": catalog.collection_file("crossings")["source"]}}


def _agencies():
    """Every agency the store holds, retired ones included: a phone hides those from new
    records but still renders the old records that name them."""
    agencies = db.session.scalars(select(Agency)).all()
    codes = {agency.id: agency.code for agency in agencies}
    return {agency.code: {"code": agency.code, "country": agency.country, "kind": agency.kind,
                          "functions": agency.functions, "pinyin": pinyin_keys(agency.name_zh_hans),
                          "province": agency.province, "level": agency.level, "provinces": agency.provinces,
                          "crossings": agency.crossings, "parent": codes.get(agency.parent_id),
                          "names": {locale: agency.name(locale) for locale in LOCALES},
                          "source": agency.source, "retired": _retired(agency, codes)}
            for agency in agencies}


def _retired(agency, codes):
    """The shape of a retired code-list item (catalog.py), or null while in use."""
    if agency.retired_on is None:
        return None
    return {"on": agency.retired_on.isoformat(), "successor": codes.get(agency.successor_id)}


def _codes():
    """The code lists as written, once it is sure none has lost a key phones were given:
    records sealed with that key would fail at intake and could not be rendered. A code
    that should no longer be used is retired instead (catalog.py)."""
    lists = catalog.code_lists()
    for row in db.session.scalars(select(ReferenceItem).filter_by(collection="codes")):
        if row.data is None:
            continue
        now = {item["key"] for item in lists.get(row.key, {"items": ()})["items"]}
        lost = {item["key"] for item in row.data["items"]} - now
        if lost:
            raise ValueError(f"codes/{row.key} no longer has {sorted(lost)}: retire a code, never delete it")
    return lists


def _translations():
    """The server catalog per language: form labels, code-free messages, problem texts."""
    return {locale: {"locale": locale, "messages": {
        m.id: m.string for m in read_catalog(locale) if m.id and m.string and not m.fuzzy and isinstance(m.id, str)}}
        for locale in LOCALES[1:]}


def _keys():
    from ..keys import service as keys

    current = keys.current_intake().kid
    return {row.kid: {**keys.describe(row), "current": row.kid == current} for row in keys.intake_keys()}


def _directory():
    from ..directory import service as directory

    return {**directory.published(),
            ABOUT: {"stale_after_days": current_app.config["DIRECTORY_STALE_AFTER_DAYS"]}}


def _counterparts():
    from ..directory import counterparts

    return {**counterparts.published(), ABOUT: {"source": counterparts.source_note()}}


def _for_device(name, data, agency):
    """What a phone of `agency` receives of an item, or None: it is sent a tombstone."""
    if name == "directory":
        from ..directory import service as directory

        return directory.for_device(data, agency)
    return data


SOURCES = {
    "forms": published_definitions,
    "codes": _codes,
    "species": lambda: _from_file("species"),
    "places": lambda: _from_file("places"),
    "crossings": _crossings,
    "agencies": _agencies,
    "translations": _translations,
    "keys": _keys,
    "directory": _directory,
    "counterparts": _counterparts,
}


# Collections whose items belong to one phone each: written as they change (put_for_device),
# never compared with a source, and pulled by their phone alone.
DEVICE_COLLECTIONS = {"reviews"}


def _digest(data):
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _lock_head():
    head = db.session.scalar(select(ReferenceHead).filter_by(id=HEAD_ID).with_for_update())
    if head is None:
        head = ReferenceHead(id=HEAD_ID, version=0, history=new_history())
        db.session.add(head)
    return head


def _collection(name):
    collection = db.session.get(ReferenceCollection, name)
    if collection is None:
        collection = ReferenceCollection(name=name, floor=0)
        db.session.add(collection)
    return collection


def publish(names=None):
    """Bring collections up to date with their sources, as they are now. Returns {name: changes}."""
    catalog.forget()
    head = _lock_head()
    changes = {}
    for name in names or SOURCES:
        wanted = {key: (data, _digest(data)) for key, data in SOURCES[name]().items()}
        published = {row.key: row for row in db.session.scalars(select(ReferenceItem).filter_by(collection=name))}
        _collection(name)
        changed = 0
        for key, (data, digest) in wanted.items():
            row = published.get(key)
            if row is not None and row.data is not None and row.digest == digest:
                continue
            head.version += 1
            if row is None:
                db.session.add(ReferenceItem(collection=name, key=key, version=head.version, digest=digest, data=data))
            else:
                row.version, row.digest, row.data = head.version, digest, data
            changed += 1
        for key in published.keys() - wanted.keys():
            row = published[key]
            if row.data is not None:
                head.version += 1
                row.version, row.digest, row.data = head.version, "", None
                changed += 1
        changes[name] = changed
    db.session.commit()
    forget()
    return changes


def put_for_device(name, key, device_id, data):
    """Write one item of a per-device collection under the next version (the caller commits)."""
    head = _lock_head()
    _collection(name)
    head.version += 1
    row = db.session.get(ReferenceItem, (name, key))
    if row is None:
        row = ReferenceItem(collection=name, key=key)
        db.session.add(row)
    row.version, row.digest, row.data, row.device_id = head.version, _digest(data), data, device_id


def compact(name):
    """Forget the tombstones of a collection. Phones with an older checkpoint get 410 and
    start over. Returns how many were removed."""
    head = _lock_head()
    tombstones = db.session.scalars(select(ReferenceItem).filter_by(collection=name, data=None)).all()
    for row in tombstones:
        db.session.delete(row)
    _collection(name).floor = head.version
    db.session.commit()
    return len(tombstones)


def new_history_now():
    """Start a new history (after restoring a dump): every phone downloads everything
    again at its next pull. Returns the new history id."""
    head = _lock_head()
    head.history = new_history()
    db.session.commit()
    forget()
    return head.history


def pull(name, since, limit, history=None, device=None):
    """Items and tombstones of `name` newer than `since`, oldest first, at most `limit`,
    as `device` may receive them. The checkpoint is what the phone sends next time, with
    the history it belongs to; `more` says to ask again now."""
    if name not in SOURCES and name not in DEVICE_COLLECTIONS:
        raise ApiError("unknown_collection")
    # The head is read before the items: every version at or below it is committed
    # (writers hold the head until they commit), so nothing below the checkpoint can
    # appear later.
    head = db.session.get(ReferenceHead, HEAD_ID) or ReferenceHead(version=0, history="")
    collection = db.session.get(ReferenceCollection, name)
    floor = collection.floor if collection else 0
    if since and (since > head.version or since < floor or history != head.history):
        raise ApiError("checkpoint_expired", checkpoint=since, current=head.version)
    query = select(ReferenceItem).filter(ReferenceItem.collection == name, ReferenceItem.version > since,
                                         ReferenceItem.version <= head.version)
    if name in DEVICE_COLLECTIONS:
        query = query.where(ReferenceItem.device_id == (device.id if device else None))
    rows = db.session.scalars(query.order_by(ReferenceItem.version).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    agency = device.agency if device else None
    served = [(row, None if row.data is None else _for_device(name, row.data, agency)) for row in rows]
    return {
        "collection": name, "history": head.history, "since": since,
        "checkpoint": rows[-1].version if more else head.version, "more": more,
        "items": [{"key": r.key, "version": r.version, "data": data} for r, data in served if data is not None],
        "tombstones": [{"key": r.key, "version": r.version} for r, data in served if data is None],
    }
