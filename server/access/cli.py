import click
from flask.cli import AppGroup
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ..console import auth as console_auth
from ..dbtypes import utcnow
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
@click.option("--email", help="Where alerts are mailed (supervisors and admins), when SMTP is set up.")
def create(username, display_name, role, agency_code, phone, email):
    try:
        user = service.create_user(username, display_name, role, agency_code, phone, email)
    except (LookupError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(_("Created %(user)s.", user=username))
    if role in console_auth.CONSOLE_ROLES:
        _print_setup_link(user)


def _print_setup_link(user):
    link = console_auth.setup_link(user)
    db.session.commit()
    click.echo(_("One-time link to choose a password and set up the second factor (valid %(hours)d hours):",
                 hours=console_auth.SETUP_HOURS))
    click.echo(link)


@users_cli.command("setup-link")
@click.argument("username")
def setup_link(username):
    """A new one-time set-up link: the person chooses a new password and second factor (a
    forgotten password, a lost phone). The old ones stop working and their sessions end."""
    try:
        user = service.user_by_name(username)
    except LookupError as error:
        raise click.ClickException(str(error)) from error
    console_auth.reset_sign_in(user)
    _print_setup_link(user)


@users_cli.command("token")
@click.argument("username")
@click.option("--days", type=click.IntRange(1, 3650), help="days until it expires (default WILDLEDGER_TOKEN_DAYS, 90)")
def token(username, days):
    """Issue an API token (shown once, stored hashed)."""
    try:
        user = service.user_by_name(username)
    except LookupError as error:
        raise click.ClickException(str(error)) from error
    issued, row = service.issue_token(user, days)
    click.echo(issued)
    click.echo(_("Token %(id)d, expires %(date)s.", id=row.id, date=f"{row.expires_at:%Y-%m-%d}"), err=True)


def _when(moment):
    return f"{moment:%Y-%m-%d %H:%M}" if moment else "—"


@users_cli.command("list")
def list_users():
    """Every user: role, agency, state."""
    for user in service.users():
        state = _("disabled %(date)s", date=f"{user.disabled_at:%Y-%m-%d}") if user.disabled_at else _("active")
        click.echo(f"{user.username:20} {user.role:10} {user.agency.code:16} {state:20} {user.display_name}")


@users_cli.command("tokens")
@click.argument("username")
def list_tokens(username):
    """A user's API tokens: id, issued, expires, last used, state."""
    try:
        user = service.user_by_name(username)
    except LookupError as error:
        raise click.ClickException(str(error)) from error
    now = utcnow()
    for row in service.tokens_of(user):
        state = (_("revoked") if row.revoked_at else _("expired") if row.expires_at and row.expires_at <= now
                 else _("live"))
        click.echo(f"{row.id:6} " + _("issued %(issued)s, expires %(expires)s, last used %(used)s",
                                      issued=_when(row.created_at), expires=_when(row.expires_at),
                                      used=_when(row.last_used_at)) + f"  {state}")


@users_cli.command("revoke-token")
@click.argument("token_id", type=int)
def revoke_token(token_id):
    """Revoke an API token at once."""
    try:
        service.revoke_token(token_id)
    except LookupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(_("Token %(id)d revoked.", id=token_id))


@users_cli.command("rotate-token")
@click.argument("token_id", type=int)
def rotate_token(token_id):
    """Replace an API token: a new one for the same user and lifetime; the old one stops working."""
    try:
        issued, row = service.rotate_token(token_id)
    except LookupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(issued)
    click.echo(_("Token %(old)d revoked; token %(id)d issued, expires %(date)s.", old=token_id, id=row.id,
                 date=f"{row.expires_at:%Y-%m-%d}"), err=True)


@users_cli.command("disable")
@click.argument("username")
def disable(username):
    """Disable a user: none of their tokens works any more."""
    try:
        service.disable_user(username)
    except LookupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(_("Disabled %(user)s.", user=username))


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
