"""Exports in the background: asked for in the console or by `flask export …`, run on the task
queue a chunk at a time with their progress in the database (Export), written to a file in
EXPORT_DIR under a temporary name and renamed when whole, audited when asked for, when
finished and when downloaded. An export holds exactly what its requester may read
(source.py); it is theirs alone to download. A worker killed halfway leaves the export
"running": tasks.resume queues it again and it is written anew from the start, which is
harmless (files are only renamed into place when whole)."""
import hashlib
import io
import os
import secrets
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from ..access.models import Agency
from ..audit import service as audit
from ..dbtypes import utcnow
from ..directory.models import Crossing
from ..extensions import db
from ..tasks import huey, in_app
from . import anx, ftm, geojson, itr, source, tables
from .models import KINDS, Export

SUFFIX = {"itr": "xlsx", "ftm": "ftm.json", "anx": "anx", "geojson": "geojson", "csv": "zip"}
MEDIA_TYPE = {"itr": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
              "ftm": "application/json", "anx": "application/xml", "geojson": "application/geo+json",
              "csv": "application/zip"}


class ExportRefused(ValueError):
    def __init__(self, code):
        super().__init__(code)
        self.code = code


def request_export(actor, kind, params=None, queue=True):
    """Queue an export for `actor` (`queue`: or leave it to the caller to run); returns the
    Export. Refused (ExportRefused) for a kind that does not exist or an ITR without a year
    and a country."""
    params = dict(params or {})
    if kind not in KINDS:
        raise ExportRefused("export_kind_unknown")
    if kind == "itr":
        try:
            params = {"year": int(params.get("year")), "country": str(params.get("country") or "").upper()}
        except (TypeError, ValueError):
            raise ExportRefused("export_itr_needs_year") from None
        if not 1990 <= params["year"] <= 2100 or len(params["country"]) != 2:
            raise ExportRefused("export_itr_needs_year")
    row = Export(token=secrets.token_urlsafe(16), kind=kind, requested_by=actor.id, params=params, status="queued",
                 done=0, counts={})
    db.session.add(row)
    db.session.flush()
    audit.record("export.requested", actor=actor.username, actor_kind="user", target=f"export:{row.token}",
                 detail={"kind": kind, **params}, commit=False)
    db.session.commit()
    if queue:
        run_export(row.id)
    return row


def path_of(row):
    return Path(current_app.config["EXPORT_DIR"]) / f"{row.token}.{SUFFIX[row.kind]}"


def download_name(row):
    stem = {"itr": f"cites-itr-{row.params.get('country')}-{row.params.get('year')}"}.get(row.kind, f"wildledger-{row.kind}")
    return f"{stem}-{row.requested_at:%Y%m%d-%H%M}.{SUFFIX[row.kind]}"


@huey.task(retries=2, retry_delay=10)
@in_app
def run_export(export_id):
    row = db.session.get(Export, export_id)
    if row is None or row.status == "done":
        return
    from ..access.models import User

    actor = db.session.get(User, row.requested_by)
    row.status, row.started_at, row.done = "running", utcnow(), 0
    if row.kind == "itr":  # the report's progress counts seizures
        row.total = source.count_seizures(actor, row.params["year"], row.params["country"])
    db.session.commit()
    target = path_of(row)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")

    def progress(done):
        db.session.execute(Export.__table__.update().where(Export.__table__.c.id == export_id).values(done=done))
        db.session.commit()

    try:
        with open(partial, "wb") as out:
            counts, handling = _write(row.kind, out, actor, row.params, progress)
    except Exception as error:
        db.session.rollback()
        row = db.session.get(Export, export_id)
        row.status, row.error, row.finished_at = "failed", f"{type(error).__name__}: {error}"[:500], utcnow()
        db.session.commit()
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)
    row = db.session.get(Export, export_id)
    row.status, row.finished_at, row.counts, row.handling = "done", utcnow(), counts, handling
    row.done = sum(counts.values())
    row.file_sha256 = _sha256(target)
    row.file_name = download_name(row)
    audit.record("export.finished", actor="task-queue", actor_kind="system", target=f"export:{row.token}",
                 detail={"kind": row.kind, "for": actor.username, "counts": counts, "handling": handling,
                         "sha256": row.file_sha256})


def _write(kind, out, actor, params, progress):
    """(counts, the most guarded handling code among what was written)."""
    seen = set()
    if kind == "itr":
        crossings = {key: names.get("en") for key, names in db.session.execute(select(Crossing.key, Crossing.names))}
        agencies = {agency.code: agency for agency in db.session.scalars(select(Agency))}
        counts = itr.write(out, source.seizures(actor, params["year"], params["country"]), year=params["year"],
                           country=params["country"], crossings=crossings, agencies=agencies, progress=progress,
                           handling_seen=seen)
    elif kind == "ftm":
        counts = ftm.write(out, actor, progress=progress, handling_seen=seen)
    elif kind == "anx":
        seen = source.handling_codes(actor)
        counts = anx.write_anx(out, *source.chart(actor), title=f"Wildledger network as {actor.username} may see it",
                               handling=source.most_guarded(seen) or "none")
    elif kind == "geojson":
        seen = source.handling_codes(actor)
        counts = _as_text(out, lambda text: geojson.write_geojson(text, source.record_rows(actor),
                                                                  handling=source.most_guarded(seen) or "none"))
    elif kind == "csv":
        seen = source.handling_codes(actor)
        counts = tables.write_tables(out, source.record_rows(actor), source.item_rows(actor), source.mention_rows(actor),
                                     source.entity_rows(actor), handling=source.most_guarded(seen) or "none")
    else:
        raise ExportRefused("export_kind_unknown")
    return counts, source.most_guarded(seen)



def _as_text(out, write):
    """Run `write` on a UTF-8 text view of the binary file `out`, leaving `out` open."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="\n")
    try:
        return write(text)
    finally:
        text.flush()
        text.detach()


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def of_user(actor):
    return db.session.scalars(select(Export).where(Export.requested_by == actor.id)
                              .order_by(Export.requested_at.desc(), Export.id.desc()).limit(100)).all()


def owned(actor, token):
    """The actor's own export by token, or None: an export is its requester's alone."""
    return db.session.scalar(select(Export).where(Export.token == token, Export.requested_by == actor.id))


def downloaded(actor, row):
    audit.record("export.downloaded", actor=actor.username, actor_kind="user", target=f"export:{row.token}",
                 detail={"kind": row.kind, "sha256": row.file_sha256})


def unfinished():
    return db.session.scalars(select(Export.id).where(Export.status.in_(("queued", "running"))).order_by(Export.id)).all()


def resume_unfinished():
    ids = unfinished()
    for export_id in ids:
        run_export(export_id)
    return len(ids)
