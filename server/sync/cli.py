import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from . import intake, ledger
from .models import Quarantine

ledger_cli = AppGroup("ledger", help="The append-only ledger of sealed records.")
intake_cli = AppGroup("intake", help="Filing ledger rows into the store.")
quarantine_cli = AppGroup("quarantine", help="Records that arrived but could not be filed.")


@ledger_cli.command("verify")
def verify():
    """Recompute the hash chain from the first row; name the first bad row."""
    verdict = ledger.verify()
    if not verdict.ok:
        raise click.ClickException(_("Ledger row %(row)d is bad: %(reason)s", row=verdict.first_bad,
                                      reason=verdict.reason))
    click.echo(_("Ledger ok: %(rows)d rows.", rows=verdict.rows))


@intake_cli.command("replay")
def replay():
    """File again every ledger row that has no store rows."""
    receipts = intake.replay()
    filed = sum(receipt.status == "accepted" for receipt in receipts)
    click.echo(_("Replayed %(rows)d ledger rows: %(filed)d filed, %(held)d quarantined.",
                 rows=len(receipts), filed=filed, held=len(receipts) - filed))


@quarantine_cli.command("list")
@click.option("--all", "show_all", is_flag=True, help="include released rows")
def list_rows(show_all):
    query = select(Quarantine).order_by(Quarantine.id)
    if not show_all:
        query = query.filter_by(status="held")
    for row in db.session.scalars(query):
        click.echo(f"{row.id:6} {row.status:8} {row.code:24} rid={row.rid} device={row.device_id} "
                   f"ledger={row.ledger_idx} {row.detail or ''}"[:200])


@quarantine_cli.command("release")
@click.argument("quarantine_id", type=int)
def release(quarantine_id):
    try:
        receipt = intake.release(quarantine_id)
    except (LookupError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{receipt.rid}: {receipt.status} {receipt.code or ''}")
