import json

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from ..audit import service as audit
from ..extensions import db
from ..reference import publish
from . import evidence as ledger_evidence
from . import intake, ledger
from .models import Quarantine

REPLAY_FAILURES = {"intake_error", "unknown_intake_key"}
ledger_cli = AppGroup("ledger", help="The append-only ledger of sealed records.")
intake_cli = AppGroup("intake", help="Filing ledger rows into the store.")
quarantine_cli = AppGroup("quarantine", help="Records that arrived but could not be filed.")


@ledger_cli.command("verify")
def verify():
    """Recompute every leaf, node and head and re-check every envelope; name the first bad row."""
    verdict = ledger.verify()
    if not verdict.ok:
        raise click.ClickException(_("Ledger row %(row)d is bad: %(reason)s", row=verdict.first_bad,
                                      reason=verdict.reason))
    click.echo(_("Ledger ok: %(rows)d rows.", rows=verdict.checked))


@ledger_cli.command("head")
def head():
    """Print the current signed tree head (the format phones export and `prove` reads)."""
    click.echo(json.dumps(ledger.signed_head(ledger.snapshot(), intake.server_time_ms()), separators=(",", ":")))


@ledger_cli.command("prove")
@click.argument("head_file", type=click.File("r", encoding="utf-8"), default="-")
def prove(head_file):
    """Check that this log contains a signed tree head (a file, or - for standard input)."""
    try:
        held = json.loads(head_file.read())
    except ValueError:
        held = None
    result = ledger.prove(held) if isinstance(held, dict) else ledger.Proved(False, _("This is not a Wildledger tree head."))
    if not result.ok:
        raise click.ClickException(result.reason)
    click.echo(result.reason)


@ledger_cli.command("evidence")
@click.argument("rid")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), help="where to write it (default: standard output)")
def evidence(rid, out_path):
    """Write what a prosecutor needs for one record: the sealed envelopes of it and of its
    corrections, their inclusion proofs, the signed tree head, the server's public key.
    tools/verify_evidence.py checks it with nothing but that key."""
    try:
        bundle = ledger_evidence.build(rid, intake.server_time_ms())
    except LookupError as error:
        raise click.ClickException(str(error)) from error
    audit.record("ledger.evidence", target=rid, detail={"records": [item["rid"] for item in bundle["records"]]})
    text = json.dumps(bundle, ensure_ascii=False, indent=1) + "\n"
    if out_path:
        with open(out_path, "w", encoding="utf-8") as handle:
            handle.write(text)
        click.echo(_("Wrote %(path)s.", path=out_path), err=True)
    else:
        click.echo(text, nl=False)


@ledger_cli.command("restored")
@click.confirmation_option(prompt=_("Declare that this database was restored from a dump?"))
def restored():
    """After restoring a dump: declare a new log epoch (phones push again what the dump
    lacks) and a new reference history (phones download reference data again)."""
    row = ledger.declare_restored(intake.server_time_ms())
    publish.new_history_now()
    audit.record("ledger.restored", detail={"epoch": row.epoch, "size": row.size})
    click.echo(_("Log epoch %(epoch)d declared: the log goes on from %(size)d records. Phones will send again "
                 "what they sent after that.", epoch=row.epoch, size=row.size))


@intake_cli.command("replay")
def replay():
    """File again every ledger row that has no store rows. Exits non-zero if any could not be filed."""
    receipts, altered = intake.replay()
    filed = sum(receipt.status == "accepted" for receipt in receipts)
    click.echo(_("Replayed %(rows)d ledger rows: %(filed)d filed, %(held)d quarantined.",
                 rows=len(receipts), filed=filed, held=len(receipts) - filed))
    for idx in altered:
        click.echo(_("Ledger row %(row)d was not filed: its columns do not match its leaf in the log (run "
                     "`flask ledger verify`).", row=idx), err=True)
    # The server's failures, not the records': a missing key file, a bug. Any of them, or a
    # row refused above, makes the command fail, so that a script or an operator sees it.
    failed = sum(receipt.code in REPLAY_FAILURES for receipt in receipts)
    if failed:
        click.echo(ngettext("%(num)d row could not be opened or filed because of the server, not the record (a "
                            "missing key file?): `flask quarantine list` says why; fix it and replay again.",
                            "%(num)d rows could not be opened or filed because of the server, not the records (a "
                            "missing key file?): `flask quarantine list` says why; fix it and replay again.", failed),
                   err=True)
    if altered or failed:
        raise SystemExit(1)


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
