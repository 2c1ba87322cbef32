import click
from flask.cli import AppGroup

from . import service
from .models import ROLES

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
    click.echo(f"created {username}")


@users_cli.command("token")
@click.argument("username")
def token(username):
    """Issue an API token (shown once, stored hashed)."""
    try:
        user = service.user_by_name(username)
    except LookupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(service.issue_token(user))
