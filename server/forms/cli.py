import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from . import definition

forms_cli = AppGroup("forms", help="Form declarations and their published definitions.")


@forms_cli.command("publish")
def publish():
    """Freeze the definitions of newly declared form versions; refuse to change a released one."""
    try:
        written = definition.publish()
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    for path in written:
        click.echo(_("Published %(path)s.", path=path.name))
    if not written:
        click.echo(_("Every declared form version is already published."))
