import json

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from . import service
from .models import AuditEntry

audit_cli = AppGroup("audit", help="The audit log: who did what, when, from where.")


@audit_cli.command("verify")
def verify():
    """Recompute the audit log's chain and check its anchors in the ledger; name the first bad entry."""
    verdict = service.verify()
    if not verdict.ok:
        raise click.ClickException(_("Audit entry %(seq)d is bad: %(reason)s", seq=verdict.first_bad,
                                      reason=verdict.reason))
    click.echo(_("Audit log ok: %(entries)d entries.", entries=verdict.checked))


@audit_cli.command("anchor")
def anchor():
    """Anchor the audit log's head in the ledger now (the server also does it every 100
    entries, or 10 minutes after the last anchor)."""
    click.echo(_("Anchored the audit log at entry %(seq)d.", seq=service.anchor_now()))


@audit_cli.command("list")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50)
@click.option("--action", help="only this action, e.g. records.read")
@click.option("--actor", help="only this actor")
def list_entries(limit, action, actor):
    """The newest entries, newest first, as tab-separated lines."""
    query = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    if action:
        query = query.filter_by(action=action)
    if actor:
        query = query.filter_by(actor=actor)
    for entry in db.session.scalars(query):
        detail = json.dumps(entry.detail, ensure_ascii=False) if entry.detail else ""
        click.echo("\t".join([str(entry.seq), f"{entry.at:%Y-%m-%d %H:%M:%S}", entry.actor_kind, entry.actor,
                              entry.action, entry.target or "", entry.address or "", detail]))
