"""`flask intel …`: resolve mentions, list candidates, judge and undo, as the console does; file
an information report from the office."""
import json

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from ..access import service as access
from ..errors import message
from ..extensions import db
from . import resolve, service

intel_cli = AppGroup("intel", help="The entity layer: resolution, candidates, judgements; reports filed from the office.")


@intel_cli.command("resolve")
def resolve_command():
    """Resolve every mention not yet resolved (the task queue does this after intake)."""
    done = resolve.resolve_pending()
    click.echo(_("%(mentions)d mentions resolved: %(merges)d merged, %(candidates)d new candidates.", **done))


@intel_cli.command("candidates")
@click.option("--as", "username", required=True, help="Whose view: only what they may see is listed.")
@click.option("--limit", default=50, show_default=True)
def candidates_command(username, limit):
    """Pairs of mentions that may be one, best first, with why."""
    user = access.user_by_name(username)
    for candidate, left, right in service.open_candidates(user, limit):
        click.echo(f"{left.id}\t{right.id}\t{candidate.score:.2f}\t{left.caption} ~ {right.caption}\t"
                   f"{candidate.features}")


@intel_cli.command("judge")
@click.argument("left", type=int)
@click.argument("right", type=int)
@click.argument("verdict", type=click.Choice(["same", "not_same", "unsure"]))
@click.option("--as", "username", required=True)
@click.option("--note")
def judge_command(left, right, verdict, username, note):
    """Judge two mentions (by id): same, not_same or unsure."""
    try:
        judgement = service.judge(left, right, verdict, access.user_by_name(username), note)
    except (LookupError, service.JudgementRefused) as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    click.echo(_("Judgement %(id)d recorded.", id=judgement.id))


@intel_cli.command("undo")
@click.argument("judgement_id", type=int)
@click.option("--as", "username", required=True)
def undo_command(judgement_id, username):
    """Undo a judgement; undoing a merge splits the entity again."""
    try:
        made = service.undo(judgement_id, access.user_by_name(username))
    except LookupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(_("Judgement %(id)d undone.", id=judgement_id) + (
        " " + _("Split into %(n)d more entities.", n=len(made)) if made else ""))


@intel_cli.command("file-report")
@click.option("--user", "username", required=True, help="Who files it: their desk identity signs it.")
@click.option("--file", "path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="A JSON object of the information report's fields (as the app's form has them).")
def file_report_command(username, path):
    """File an information report from the office (a public report, a record passed on by another
    agency) under the user's desk identity, into the ledger like a phone's record. Prints its rid."""
    from marshmallow import ValidationError

    from ..devices import desks

    try:
        user = access.user_by_name(username)
        with open(path, "rb") as handle:
            fields = json.loads(handle.read().decode("utf-8"))
        filed = desks.file_report(user, fields)
    except LookupError as error:
        raise click.ClickException(str(error)) from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise click.ClickException(f"report_file_invalid: {message('report_file_invalid')} ({error})") from error
    except desks.DeskRefused as error:
        db.session.rollback()
        raise click.ClickException(f"{error.code}: {error}") from error
    except ValidationError as error:
        db.session.rollback()
        for where, texts in desks.field_errors(error.messages).items():
            click.echo(f"{where}: {' '.join(texts)}", err=True)
        raise click.ClickException(f"invalid_fields: {message('invalid_fields')} "
                                   + _("Nothing was filed.")) from error
    click.echo(filed.rid)
    if not filed.accepted:
        # In the ledger, held in quarantine with a code, as a phone's record would be.
        raise click.ClickException(f"{filed.receipt.code}: {message(filed.receipt.code)} "
                                   + _("The record is in the ledger, held in quarantine."))
