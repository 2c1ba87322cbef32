import click
from flask.cli import AppGroup
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..reference import agencies as reference
from . import service
from .models import ROLES, Agency

users_cli = AppGroup("users", help="People who read the store.")


@users_cli.command("create")
@click.argument("username")
@click.option("--name", "display_name", required=True)
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--agency", "agency_code", required=True)
@click.option("--phone", help="E.164")
def create(username, display_name, role, agency_code, phone):
    try:
        service.create_user(username, display_name, role, agency_code, phone)
    except (LookupError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(_("Created %(user)s.", user=username))


@users_cli.command("token")
@click.argument("username")
def token(username):
    """Issue an API token (shown once, stored hashed)."""
    try:
        user = service.user_by_name(username)
    except LookupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(service.issue_token(user))


agencies_cli = AppGroup("agencies", help="Enforcement agencies (reference data).")


@agencies_cli.command("load")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False), default=None)
def load_agencies(path):
    """Add or update agencies from server/reference/agencies.json (or --file)."""
    added, updated = reference.load(path or reference.AGENCIES_FILE)
    click.echo(_("Agencies: %(added)d added, %(updated)d updated.", added=added, updated=updated))


@agencies_cli.command("list")
def list_agencies():
    for agency in db.session.scalars(select(Agency).order_by(Agency.country, Agency.code)):
        click.echo(f"{agency.code:16} {agency.country}  {agency.name(get_locale())}")
