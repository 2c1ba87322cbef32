"""`flask export …`: the console's exports from the command line, run in this process (no
worker needed), audited as the console's are, with the file copied where asked."""
import shutil

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from ..access import service as access
from ..errors import message
from ..extensions import db
from . import service
from .models import KINDS, Export

export_cli = AppGroup("export", help="Exports: the CITES illegal trade report, FollowTheMoney, i2 ANX, GeoJSON, CSV.")


def _run(username, kind, out, params=None):
    try:
        user = access.user_by_name(username)
        row = service.request_export(user, kind, params, queue=False)
    except LookupError as error:
        raise click.ClickException(str(error)) from error
    except service.ExportRefused as error:
        raise click.ClickException(f"{error.code}: {message(error.code)}") from error
    service.run_export.call_local(row.id)
    row = db.session.get(Export, row.id)
    shutil.copyfile(service.path_of(row), out)
    click.echo(_("Written: %(path)s (%(counts)s; handling code: %(handling)s).", path=out,
                 counts=", ".join(f"{name} {n}" for name, n in row.counts.items()), handling=row.handling or "—"))


@export_cli.command("itr")
@click.option("--as", "username", required=True, help="Whose export: it holds what they may read.")
@click.option("--year", type=int, required=True)
@click.option("--country", required=True, help="The Party reporting, as its two-letter code (VN, LA, CN).")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True)
def itr_command(username, year, country, out):
    """The CITES annual illegal trade report of a country for a year (.xlsx)."""
    _run(username, "itr", out, {"year": year, "country": country})


def _network_command(kind, summary):
    @click.option("--as", "username", required=True, help="Whose export: it holds what they may read.")
    @click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True)
    def command(username, out):
        _run(username, kind, out)
    command.__doc__ = summary
    return export_cli.command(kind)(command)


for _kind, _summary in (("ftm", "FollowTheMoney JSON lines of entities, records and links, for Aleph."),
                        ("anx", "The network as an i2 Analyst's Notebook chart (ANX XML)."),
                        ("geojson", "Seizures and observations as points, routes as lines, for QGIS."),
                        ("csv", "Records, their repeated groups, mentions and entities as CSV files in a ZIP.")):
    assert _kind in KINDS
    _network_command(_kind, _summary)
