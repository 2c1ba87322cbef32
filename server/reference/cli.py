import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from . import publish as collections

reference_cli = AppGroup("reference", help="Reference data and the collections phones download.")


@reference_cli.command("publish")
@click.argument("names", nargs=-1, type=click.Choice(sorted(collections.SOURCES)))
def publish(names):
    """Publish what changed in forms, code lists, species, places, crossings, agencies,
    translations and intake keys (or only NAMES)."""
    for name, changed in collections.publish(names or None).items():
        click.echo(_("%(collection)s: %(changed)d changes published.", collection=name, changed=changed))


@reference_cli.command("compact")
@click.argument("name", type=click.Choice(sorted(collections.SOURCES)))
def compact(name):
    """Forget a collection's tombstones; phones with older checkpoints start over."""
    removed = collections.compact(name)
    click.echo(_("%(collection)s: %(removed)d tombstones removed.", collection=name, removed=removed))


@reference_cli.command("new-history")
def new_history():
    """After restoring a database dump: phones download every collection again."""
    collections.new_history_now()
    click.echo(_("A new history of the collections has started; phones will download them again."))
