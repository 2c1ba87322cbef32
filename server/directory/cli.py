import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import ngettext

from . import service, sheets

directory_cli = AppGroup("directory", help="The emergency contact directory.")


@directory_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="check the file and say what it would change, writing nothing")
def import_command(path, dry_run):
    """Contacts from a .csv or .xlsx file (the columns `directory export` writes). A file
    with any problem writes nothing; the report names each problem's line and column."""
    report = service.import_file(path, dry_run=dry_run)
    for problem in report.problems:
        click.echo(str(problem), err=True)
    if report.problems:
        raise click.ClickException(ngettext("%(num)d problem: nothing was written.",
                                            "%(num)d problems: nothing was written.", len(report.problems)))
    counts = {"created": len(report.created), "updated": len(report.updated), "removed": len(report.removed),
              "unchanged": report.unchanged}
    click.echo((_("Would change: created %(created)d, updated %(updated)d, removed %(removed)d, unchanged "
                  "%(unchanged)d.", **counts) if dry_run else
                _("Created %(created)d, updated %(updated)d, removed %(removed)d, unchanged %(unchanged)d.",
                  **counts)))


@directory_cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@click.option("--removed", is_flag=True, help="include removed contacts (marked remove=yes)")
def export_command(path, removed):
    """Every contact to a .csv or .xlsx file, to edit and import again."""
    rows = service.export_rows(include_removed=removed)
    sheets.write(path, rows)
    click.echo(ngettext("Wrote %(num)d contact.", "Wrote %(num)d contacts.", len(rows)))


@directory_cli.command("history")
@click.argument("key")
def history_command(key):
    """Every change to one contact: when, by whom, what."""
    entries = service.history(key)
    if not entries:
        raise click.ClickException(_("No change to %(key)s is recorded.", key=key))
    for entry in entries:
        changed = ", ".join((entry.detail or {}).get("changed", []))
        click.echo(f"{entry.at:%Y-%m-%d %H:%M} {entry.actor_kind}:{entry.actor} {entry.action} {changed}".rstrip())
