"""The flask commands, one group per capability (README lists them)."""
import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext

from .access.cli import agencies_cli, users_cli
from .audit import service as audit
from .audit.cli import audit_cli
from .demo.cli import demo_cli
from .devices import service as devices
from .devices.cli import devices_cli, enroll_command
from .forms.cli import forms_cli
from .keys.cli import keys_cli
from .reference.cli import reference_cli
from .sync.cli import intake_cli, ledger_cli, quarantine_cli


@click.command("housekeeping")
@with_appcontext
def housekeeping():
    """What time alone makes due: remove the QR images of expired enrollment codes, anchor
    audit entries left unanchored too long. deploy/systemd/wildledger-housekeeping.timer
    runs it every five minutes."""
    removed = devices.sweep_enrollment_images(current_app.instance_path)
    anchored = audit.anchor_if_due()
    click.echo(ngettext("Removed %(num)d enrollment image whose code expired.",
                        "Removed %(num)d enrollment images whose codes expired.", removed))
    if anchored:
        click.echo(_("Anchored the audit log in the ledger."))


def register(app):
    for command in (agencies_cli, keys_cli, enroll_command, devices_cli, users_cli, ledger_cli, intake_cli,
                    quarantine_cli, forms_cli, reference_cli, demo_cli, audit_cli, housekeeping):
        app.cli.add_command(command)
