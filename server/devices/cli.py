import os
from pathlib import Path

import click
import qrcode
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from ..access import service as access
from ..extensions import db
from . import service
from .models import Device


def print_enrollment(token_row, url, png_path):
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    qr.add_data(url)
    qr.print_ascii(invert=True)
    # The image enrolls a phone in the agency's name until it expires: owner only, and
    # removed once its code expires or is used (service.sweep_enrollment_images).
    fd = os.open(png_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        qr.make_image().save(handle)
    os.chmod(png_path, 0o600)
    click.echo(_("Enrollment for %(agency)s %(officer)s, valid once, until %(time)s UTC.",
                 agency=token_row.agency.code, officer=token_row.officer_name or "",
                 time=f"{token_row.expires_at:%Y-%m-%d %H:%M}"))
    click.echo(_("QR image: %(path)s", path=png_path))
    click.echo(f"URL: {url}")


@click.command("enroll")
@click.option("--agency", "agency_code", required=True, help="agency code, e.g. VN-HQ-QN")
@click.option("--officer", help="officer's name, shown on the device")
@click.option("--ttl", type=int, default=None, help="minutes the code stays valid (default 15)")
@click.option("--png", "png_path", type=click.Path(dir_okay=False), help="where to write the QR image")
@with_appcontext
def enroll_command(agency_code, officer, ttl, png_path):
    """Print a one-time enrollment QR code for a new device."""
    try:
        agency = access.agency_by_code(agency_code)
    except LookupError as error:
        raise click.ClickException(str(error)) from error
    service.sweep_enrollment_images(current_app.instance_path)
    token, row = service.create_enrollment(agency, officer, ttl * 60 if ttl is not None else None)
    png_path = png_path or str(Path(current_app.instance_path) / service.enrollment_image_name(row.id))
    print_enrollment(row, service.enrollment_url(token), png_path)


devices_cli = AppGroup("devices", help="Enrolled devices.")


@devices_cli.command("list")
def list_devices():
    for device in db.session.scalars(select(Device).order_by(Device.enrolled_at)):
        state = (_("revoked %(date)s", date=f"{device.revoked_at:%Y-%m-%d}") if device.revoked_at
                 else _("active"))
        seen = f"{device.last_seen_at:%Y-%m-%d %H:%M}" if device.last_seen_at else _("never")
        version = (device.app_state or {}).get("version") or "?"
        click.echo(f"{device.id}  {device.agency.code:14} {state:18} "
                   + _("last seen %(time)s", time=seen) + f"  app {version:8} {device.officer_name or ''}")


@devices_cli.command("revoke")
@click.argument("device_id")
def revoke(device_id):
    """Revoke a lost or stolen phone: its pushes are quarantined, and it wipes itself."""
    try:
        service.revoke(device_id)
    except LookupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(_("Revoked %(device)s.", device=device_id))


@devices_cli.command("confirm")
@click.argument("device_id")
def confirm(device_id):
    """After a PIN reset: the supervisor has seen the officer and the phone; records sealed
    since the reset are no longer flagged."""
    try:
        device = service.confirm(device_id)
    except LookupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(ngettext("Confirmed %(device)s after %(num)d PIN reset.", "Confirmed %(device)s after %(num)d PIN resets.",
                        device.pin_resets, device=device_id))
