"""The flask commands, one group per capability (README lists them)."""
from .access.cli import agencies_cli, users_cli
from .demo.cli import demo_cli
from .devices.cli import devices_cli, enroll_command
from .forms.cli import forms_cli
from .keys.cli import keys_cli
from .reference.cli import reference_cli
from .sync.cli import intake_cli, ledger_cli, quarantine_cli


def register(app):
    for command in (agencies_cli, keys_cli, enroll_command, devices_cli, users_cli, ledger_cli, intake_cli,
                    quarantine_cli, forms_cli, reference_cli, demo_cli):
        app.cli.add_command(command)
