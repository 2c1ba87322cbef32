"""Time-zone names as the region uses them (data/zone_aliases.json, the same table the
phone uses): a record from an app that sent a deprecated alias is filed under today's name."""
import json
from functools import cache
from pathlib import Path

_FILE = Path(__file__).with_name("data") / "zone_aliases.json"


@cache
def _aliases():
    return json.loads(_FILE.read_text(encoding="utf-8"))["aliases"]


def regional_zone(name):
    """The name the region uses for zone `name` (unchanged when it is not a known alias)."""
    return _aliases().get(name, name) if name else name
