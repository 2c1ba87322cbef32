"""Reference data as shipped in server/reference/data: code lists, species, places and
border crossings, every name in the four languages, every list with its source note.

The files are the source of truth; `flask reference publish` copies them into the pull
collections that phones download (publish.py).

A code is never deleted or renamed: records sealed with it, offline and long ago, must stay
valid and readable. A code that is no longer to be used is retired in place, with the same
shape as a retired agency in agencies.json:

    {"key": "...", "names": {...}, "retired": {"on": "YYYY-MM-DD", "successor": "<key> or null"}}

Intake still accepts it, files the successor and flags the record (forms/schema.py); phones
receive it as written, to hide it from new records and still render old ones.
"""
import json
from functools import cache
from pathlib import Path

DATA = Path(__file__).with_name("data")
LANGUAGES = ("en", "vi", "lo", "zh_Hans")
# Whole-file collections beside the code lists.
FILES = {"species": "species.json", "places": "places.json", "crossings": "crossings.json"}


def _read(path):
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def code_lists():
    """{list id: the list file as written}."""
    return {path.stem: _read(path) for path in sorted((DATA / "codes").glob("*.json"))}


@cache
def collection_file(name):
    return _read(DATA / FILES[name])


def every_list():
    """(where, list) for every reference list, for checks over all of them."""
    for list_id, body in code_lists().items():
        yield f"codes/{list_id}", body
    for name in FILES:
        yield name, collection_file(name)


@cache
def code_keys(list_id):
    return frozenset(item["key"] for item in code_lists()[list_id]["items"])


def latest(key, successor_of):
    """Where a chain of retirements ends: `key` itself while it is in use (`successor_of`
    gives None), else its successor's latest, since a successor may be retired in turn."""
    seen = {key}
    while (successor := successor_of(key)) is not None:
        if successor in seen:
            raise ValueError(f"retirements run in a circle through {key}")
        seen.add(successor)
        key = successor
    return key


@cache
def _successors(list_id):
    """{retired key: its successor} of one code list, checked once: a successor must be a
    key of the same list."""
    keys = code_keys(list_id)
    successors = {item["key"]: item["retired"]["successor"]
                  for item in code_lists()[list_id]["items"] if item.get("retired")}
    unknown = {s for s in successors.values() if s is not None and s not in keys}
    if unknown:
        raise ValueError(f"codes/{list_id}: retired in favour of unknown keys {sorted(unknown)}")
    return successors


def current_code(list_id, key):
    """The key of `list_id` in use now in place of `key` (itself unless retired)."""
    successors = _successors(list_id)
    return latest(key, successors.get) if key in successors else key


@cache
def collection_keys(name):
    return frozenset(item["key"] for item in collection_file(name)["items"])


@cache
def place_aliases():
    """Former province codes (Viet Nam before 1 July 2025) → the unit that holds them now."""
    return {alias["iso_3166_2"]: place["key"]
            for place in collection_file("places")["items"]
            for alias in place.get("aliases", ())}


_READ_ONCE = (code_lists, collection_file, code_keys, _successors, collection_keys, place_aliases)


def forget():
    """Read the files again at next use: a newer version of them was published."""
    for cached in _READ_ONCE:
        cached.cache_clear()
