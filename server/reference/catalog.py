"""Reference data as shipped in server/reference/data: code lists, species, places and
border crossings, every name in the four languages, every list with its source note.

The files are the source of truth; `flask reference publish` copies them into the pull
collections that phones download (publish.py).
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


@cache
def collection_keys(name):
    return frozenset(item["key"] for item in collection_file(name)["items"])


@cache
def place_aliases():
    """Former province codes (Viet Nam before 1 July 2025) → the unit that holds them now."""
    return {alias["iso_3166_2"]: place["key"]
            for place in collection_file("places")["items"]
            for alias in place.get("aliases", ())}
