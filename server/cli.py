"""The flask commands, one group per capability (README lists them)."""
from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext

from . import config
from .access.cli import agencies_cli, users_cli
from .audit import service as audit
from .audit.cli import audit_cli
from .console import alerts
from .console import auth as console_auth
from .demo.cli import demo_cli
from .devices import service as devices
from .directory.cli import directory_cli
from .devices.cli import desks_cli, devices_cli, echo_warnings, enroll_command, public_url_warnings
from .forms.cli import forms_cli
from .intel import resolve
from .exports.cli import export_cli
from .intel.cli import intel_cli
from .keys.cli import keys_cli
from .reference.cli import reference_cli
from .sync.cli import intake_cli, ledger_cli, quarantine_cli
from .version import app_version, server_version


@click.command("housekeeping")
@with_appcontext
def housekeeping():
    """What time alone makes due: remove the QR images of expired enrollment codes, anchor
    audit entries left unanchored too long, mail supervisors what newly needs them (when
    SMTP is set up), resolve mentions the task queue has not (a safety net behind intake). deploy/systemd/wildledger-housekeeping.timer
    runs it every five minutes."""
    removed = devices.sweep_enrollment_images(current_app.instance_path)
    anchored = audit.anchor_if_due()
    mailed = alerts.mail_due(console_auth.now())
    resolved = resolve.resolve_pending()
    click.echo(ngettext("Removed %(num)d enrollment image whose code expired.",
                        "Removed %(num)d enrollment images whose codes expired.", removed))
    if anchored:
        click.echo(_("Anchored the audit log in the ledger."))
    if resolved["mentions"]:
        click.echo(ngettext("Resolved %(num)d mention.", "Resolved %(num)d mentions.", resolved["mentions"]))
    if mailed:
        click.echo(ngettext("Mailed %(num)d alert e-mail.", "Mailed %(num)d alert e-mails.", mailed))


@click.command("version")
@with_appcontext
def version():
    """The running server's version, and the version of the officer app it serves."""
    click.echo(_("Wildledger server %(version)s", version=server_version()))
    dist = current_app.config["PWA_DIST"]
    built = app_version(dist)
    click.echo(_("Officer app %(version)s, built in %(path)s", version=built, path=dist) if built
               else _("Officer app: not built in %(path)s", path=dist))


config_cli = AppGroup("config", help="Settings kept in the instance folder, set once.")


def _origin(url):
    parts = urlsplit(url)
    try:  # .port raises ValueError on a port that is not a number below 65536
        valid = (parts.scheme in ("http", "https") and parts.hostname and parts.port != 0 and not parts.username
                 and parts.path in ("", "/") and not parts.query and not parts.fragment)
    except ValueError:
        valid = False
    if not valid:
        raise click.ClickException(_("%(url)s is not an origin: give http(s)://host[:port], without a path, "
                                     "e.g. https://wildledger.example.org", url=url))
    return f"{parts.scheme}://{parts.netloc}"


@config_cli.command("public-url")
@click.argument("url", required=False)
@click.option("--unset", is_flag=True, help="forget the URL kept in the instance")
def public_url(url, unset):
    """Show, or set once, the public URL enrollment QR codes carry: the origin phones reach
    (deployment: the HTTPS origin nginx serves). WILDLEDGER_PUBLIC_URL, when set, wins."""
    instance = current_app.instance_path
    if url or unset:
        kept = None if unset else _origin(url)
        path = config.save_instance_settings(instance, public_url=kept)
        click.echo(_("Forgot the public URL kept in %(path)s.", path=path) if kept is None
                   else _("Kept %(url)s in %(path)s.", url=kept, path=path))
    effective, source = config.public_url(instance)
    if source == "environment":
        click.echo(_("QR codes carry %(url)s, from WILDLEDGER_PUBLIC_URL, which wins over the instance's setting.",
                     url=effective))
    elif source == "instance":
        click.echo(_("QR codes carry %(url)s, kept in %(path)s.", url=effective,
                     path=config.settings_path(instance)))
    else:
        click.echo(_("QR codes carry %(url)s: no public URL is set, this is the default.", url=effective))
    echo_warnings(public_url_warnings(effective))


def register(app):
    for command in (agencies_cli, keys_cli, enroll_command, devices_cli, users_cli, ledger_cli, intake_cli,
                    quarantine_cli, forms_cli, reference_cli, demo_cli, audit_cli, directory_cli, housekeeping, version,
                    config_cli, intel_cli, desks_cli, export_cli):
        app.cli.add_command(command)
