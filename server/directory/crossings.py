"""Border crossings: one table (models.Crossing), seeded from the reference file."""
import json
from pathlib import Path

from sqlalchemy import select

from ..extensions import db
from ..reference import catalog
from .models import Crossing

COLUMNS = ("border", "status", "names", "sides", "note")


def load(path=None):
    """Insert the crossings this store lacks and update the others from the file. Nothing
    is deleted: records and contacts name a crossing for good. Returns (added, updated);
    the caller commits and publishes."""
    body = json.loads(Path(path or catalog.DATA / catalog.FILES["crossings"]).read_text(encoding="utf-8"))
    existing = {crossing.key: crossing for crossing in db.session.scalars(select(Crossing))}
    added = updated = 0
    for item in body["items"]:
        crossing = existing.get(item["key"])
        if crossing is None:
            crossing = Crossing(key=item["key"])
            db.session.add(crossing)
            added += 1
        elif any(getattr(crossing, column) != item.get(column) for column in COLUMNS):
            updated += 1
        for column in COLUMNS:
            setattr(crossing, column, item.get(column))
    return added, updated


def published():
    """{key: crossing} for the `crossings` pull collection, each with its pinyin keys."""
    from ..reference.search import pinyin_keys

    return {crossing.key: {**crossing.item(), "pinyin": pinyin_keys(
        crossing.names["zh_Hans"], *(side["names"]["zh_Hans"] for side in crossing.sides))}
        for crossing in db.session.scalars(select(Crossing).order_by(Crossing.key))}
