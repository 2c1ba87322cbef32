import json

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from ..access.models import Agency
from ..extensions import db
from ..reference.publish import publish
from . import agencies, counterparts, crossings, service, sheets

directory_cli = AppGroup("directory", help="The emergency contact directory.")


@directory_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="check the file and say what it would change, writing nothing")
def import_command(path, dry_run):
    """Contacts from a .csv or .xlsx file (the columns `directory export` writes). A file
    with any problem writes nothing; the report names each problem's line and column."""
    _report(service.import_file(path, dry_run=dry_run), dry_run)


def _report(report, dry_run):
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
    """Every change to one entry of the directory: when, by whom, what. KEY is a contact's
    key, or agency:CODE, crossing:KEY or counterpart:KEY."""
    kinds = ("contact:", "agency:", "crossing:", "counterpart:")
    entries = service.history(key if key.startswith(kinds) else f"contact:{key}")
    if not entries:
        raise click.ClickException(_("No change to %(key)s is recorded.", key=key))
    _echo_history(entries)


def _echo_history(entries):
    for entry in entries:
        detail = entry.detail or {}
        changed = ", ".join(detail.get("changed", []) if "changed" in detail else detail)
        click.echo(f"{entry.at:%Y-%m-%d %H:%M} {entry.actor_kind}:{entry.actor} {entry.action} {changed}".rstrip())


agency_cli = AppGroup("agency", help="Agencies, as the directory keeps them: changed here, never deleted.")
directory_cli.add_command(agency_cli)


def _agency_options(command):
    """The fields of an agency, each optional for `set`; repeated options give lists."""
    for option in reversed((
        click.option("--country", help="ISO 3166-1 alpha-2, e.g. VN"),
        click.option("--kind", help="e.g. customs, forest_protection, border_guard"),
        click.option("--level", help="codes/agency_level: national, regional, provincial, border_post"),
        click.option("--function", "functions", multiple=True, help="codes/agency_function; repeat for each"),
        click.option("--parent", help="the code of the agency above it"),
        click.option("--province-name", "province", help="the province, as a name (English)"),
        click.option("--province", "provinces", multiple=True, help="ISO 3166-2 code it covers; repeat"),
        click.option("--crossing", "crossings", multiple=True, help="crossing key it works at; repeat"),
        click.option("--name", "names", multiple=True, metavar="LANG=TEXT", help="en=…, vi=…, lo=…, zh_Hans=…"),
        click.option("--source", help="where the name and facts come from"),
    )):
        command = option(command)
    return command


def _changes(values):
    changes = {name: value for name, value in values.items() if value not in (None, ())}
    for name in ("functions", "provinces", "crossings"):
        if name in changes:
            changes[name] = list(changes[name])
    if "names" in changes:
        pairs = [text.partition("=") for text in changes["names"]]
        if any(not sep for _language, sep, _text in pairs):
            raise click.BadParameter(_("Write each name as LANG=TEXT, e.g. vi=Chi cục Kiểm lâm."), param_hint="--name")
        changes["names"] = {language.strip(): text.strip() for language, _sep, text in pairs}
    return changes


def _save_agency(code, values, create):
    try:
        changed = agencies.save(code, _changes(values), create=create)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(_("%(code)s: changed %(fields)s.", code=code, fields=", ".join(changed)) if changed
               else _("%(code)s: nothing to change.", code=code))


@agency_cli.command("add")
@click.argument("code")
@_agency_options
def agency_add(code, **values):
    """A new agency, with every field: names in the four languages, country, kind, level,
    functions and a source note."""
    _save_agency(code, values, create=True)


@agency_cli.command("set")
@click.argument("code")
@_agency_options
def agency_set(code, **values):
    """Change some fields of an agency; the others stay."""
    _save_agency(code, values, create=False)


@agency_cli.command("retire")
@click.argument("code")
@click.option("--on", "on", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="the day it ceased")
@click.option("--successor", help="the code of the agency that took over its work")
def agency_retire(code, on, successor):
    """A dissolved or merged agency: kept, with the day and its successor. Records naming it
    are still accepted, and filed under the successor."""
    _save_agency(code, {"retired": {"on": on.date().isoformat(), "successor": successor}}, create=False)


@agency_cli.command("show")
@click.argument("code")
def agency_show(code):
    """An agency's fields and every change made to it."""
    agency = db.session.scalar(select(Agency).filter_by(code=code))
    if agency is None:
        raise click.ClickException(_("No agency %(code)s.", code=code))
    codes = dict(db.session.execute(select(Agency.id, Agency.code)).all())
    click.echo(json.dumps(agencies.as_row(agency, codes), ensure_ascii=False, indent=1))
    _echo_history(service.history(f"agency:{code}"))


crossing_cli = AppGroup("crossing", help="Border crossings, as the directory keeps them: changed, never deleted.")
directory_cli.add_command(crossing_cli)


def sheet_commands(group, module, noun, columns, wrote, after_import=None):
    """`import FILE [--dry-run]` and `export FILE` of one kind of directory entry, as a .csv
    or .xlsx sheet (the module's import_file, export_rows and SHEET)."""

    @group.command("import", help=f"{noun.capitalize()} from a .csv or .xlsx file (the columns `directory "
                                  f"{group.name} export` writes). A file with any problem writes nothing.")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--dry-run", is_flag=True, help="check the file and say what it would change, writing nothing")
    def import_command(path, dry_run):
        _report(module.import_file(path, dry_run=dry_run), dry_run)
        if after_import and not dry_run:
            after_import()

    @group.command("export", help=f"Every {group.name} to a .csv or .xlsx file, to edit and import again.")
    @click.argument("path", type=click.Path(dir_okay=False, writable=True))
    def export_command(path):
        rows = module.export_rows()
        sheets.write(path, rows, columns, module.SHEET)
        click.echo(wrote(len(rows)))


def _echo_gaps():
    for crossing, function in counterparts.gaps():
        click.echo(_("No counterpart and no note: %(crossing)s %(function)s", crossing=crossing, function=function),
                   err=True)


sheet_commands(agency_cli, agencies, "agencies", agencies.COLUMNS,
               lambda n: ngettext("Wrote %(num)d agency.", "Wrote %(num)d agencies.", n))
sheet_commands(crossing_cli, crossings, "crossings", crossings.SHEET_COLUMNS,
               lambda n: ngettext("Wrote %(num)d crossing.", "Wrote %(num)d crossings.", n))


link_cli = AppGroup("link", help="Counterparts across crossings: who does the same job on the other side.")
directory_cli.add_command(link_cli)


@link_cli.command("set")
@click.argument("key")
@click.option("--agency", "codes", multiple=True, help="one agency of each side; give two, or none with --none-known")
@click.option("--none-known", is_flag=True, help="say that no counterpart is known (the note says what to do instead)")
@click.option("--function", "functions", multiple=True, required=True, help="codes/agency_function; repeat")
@click.option("--basis", help="codes/counterpart_basis: bilateral_agreement, border_liaison_office, cites, …")
@click.option("--crossing", "crossings", multiple=True, help="crossing key; repeat")
@click.option("--border", "borders", multiple=True, help="every crossing of a border: CN-VN, LA-VN or CN-LA")
@click.option("--note", help="why, and from what source")
def link_set(key, codes, none_known, functions, basis, crossings, borders, note):
    """Add or replace one link (or one "none known" statement)."""
    if bool(codes) == none_known:
        raise click.UsageError(_("Give two agencies with --agency, or --none-known."))
    entry = {"key": key, "agencies": list(codes), "functions": list(functions), "basis": basis,
             "crossings": list(crossings), "borders": list(borders), "note": note}
    _save_link(entry)


@link_cli.command("remove")
@click.argument("key")
def link_remove(key):
    """Remove a link: phones drop it at their next sync."""
    _save_link({"key": key}, remove=True)


def _save_link(entry, remove=False):
    try:
        link = counterparts.save(entry, remove=remove)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    publish(["counterparts"])
    click.echo(_("Removed %(key)s.", key=link.key) if remove else _("Saved %(key)s.", key=link.key))
    gaps = counterparts.gaps()
    if gaps:
        click.echo(ngettext("%(num)d crossing and function now has neither a counterpart nor a note:",
                            "%(num)d crossings and functions now have neither a counterpart nor a note:",
                            len(gaps)), err=True)
        for crossing, function in gaps:
            click.echo(f"  {crossing} {function}", err=True)


sheet_commands(link_cli, counterparts, "links (a row with no agencies says none is known)", counterparts.COLUMNS,
               lambda n: ngettext("Wrote %(num)d link.", "Wrote %(num)d links.", n), after_import=_echo_gaps)


@link_cli.command("list")
@click.option("--crossing", help="only those applying to this crossing")
def link_list(crossing):
    """Every link in force, and every crossing and function with neither link nor note."""
    for link in counterparts.current_links():
        if crossing and crossing not in link.crossings:
            continue
        ends = " ↔ ".join(link.agencies) or _("none known")
        click.echo(f"{link.key}\t{','.join(link.functions)}\t{ends}\t{link.basis or ''}")
    gaps = counterparts.gaps()
    for gap_crossing, function in gaps:
        if not crossing or crossing == gap_crossing:
            click.echo(_("No counterpart and no note: %(crossing)s %(function)s", crossing=gap_crossing,
                         function=function), err=True)


@directory_cli.command("counterparts")
@click.argument("agency_code")
@click.argument("crossing")
def counterparts_command(agency_code, crossing):
    """What "My counterpart" shows an officer of AGENCY_CODE at CROSSING."""
    agency = db.session.scalar(select(Agency).filter_by(code=agency_code))
    if agency is None:
        raise click.ClickException(_("No agency %(code)s.", code=agency_code))
    found, unknown = counterparts.for_officer(agency, crossing)
    for code, link in found:
        click.echo(f"{code}\t{link.basis}\t{link.key}")
    for link in unknown:
        click.echo(_("None known for %(functions)s: %(note)s", functions=", ".join(link.functions), note=link.note))
    if not found and not unknown:
        click.echo(_("Nothing is recorded for this agency's functions at this crossing."))
