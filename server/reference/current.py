"""The reference data intake validates against, built once per published version.

Code lists and places are read from files, agencies and crossings from the database, and each
worker keeps what it read. A worker must never validate against lists older than what was
published: `flask reference publish` and `flask agencies load` move the one version
counter (publish.py), so each request reads that counter, one row, and a worker that finds
it moved reads the lists again. The history is part of the key: a rebuilt store starts a
new one, and counts from zero again.
"""
from dataclasses import dataclass

from flask import current_app, g, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import aliased

from ..access.models import Agency
from ..directory.models import Crossing
from ..extensions import db
from . import catalog
from .models import HEAD_ID, ReferenceHead


@dataclass(frozen=True)
class Reference:
    published: tuple  # (history, version) it was built for
    agency_codes: frozenset  # retired ones included: old records name them
    agency_successors: dict  # {retired code: its successor's code}
    crossing_keys: frozenset


def _published():
    head = db.session.execute(select(ReferenceHead.history, ReferenceHead.version).filter_by(id=HEAD_ID)).first()
    return tuple(head) if head else ("", 0)


def _build(published):
    successor = aliased(Agency)
    return Reference(
        published=published,
        agency_codes=frozenset(db.session.scalars(select(Agency.code))),
        agency_successors=dict(db.session.execute(
            select(Agency.code, successor.code).join(successor, Agency.successor_id == successor.id)).all()),
        crossing_keys=frozenset(db.session.scalars(select(Crossing.key))))


def current():
    """The reference data as published now: checked once per request (or app context)."""
    if not has_app_context():
        return _build(_published())
    reference = g.get("reference")
    if reference is None:
        published = _published()
        built = current_app.extensions.get("wildledger.reference")
        if built is None or built.published != published:
            catalog.forget()
            built = current_app.extensions["wildledger.reference"] = _build(published)
        reference = g.reference = built
    return reference


def forget():
    """What this context read is stale (it just changed the agencies or published)."""
    if has_app_context():
        g.pop("reference", None)
        current_app.extensions.pop("wildledger.reference", None)
