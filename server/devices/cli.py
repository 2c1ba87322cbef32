import os
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit

import click
import qrcode
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext

from .. import config, crypto
from ..access import service as access
from ..extensions import db
from . import desks, service


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
    until = f"{token_row.expires_at:%Y-%m-%d %H:%M}"
    if token_row.officer_name:
        click.echo(_("Enrollment for %(agency)s %(officer)s, valid once, until %(time)s UTC.",
                     agency=token_row.agency.code, officer=token_row.officer_name, time=until))
    else:
        click.echo(_("Enrollment for %(agency)s, valid once, until %(time)s UTC.", agency=token_row.agency.code,
                     time=until))
    click.echo(_("QR image: %(path)s", path=png_path))
    click.echo(f"URL: {url}")


def public_url_warnings(url):
    """What an operator must know about the URL QR codes carry: which setting won, and
    whether a phone can use it at all."""
    warnings = []
    given = os.environ.get("WILDLEDGER_PUBLIC_URL")
    kept = config.instance_settings(current_app.instance_path).get("public_url")
    if given and kept and given.rstrip("/") != kept.rstrip("/"):
        warnings.append(_("WILDLEDGER_PUBLIC_URL (%(given)s) differs from the public URL kept in the instance "
                          "(%(kept)s): the environment wins.", given=given, kept=kept))
    if config.unreachable_from_a_phone(url):
        warnings.append(_("%(url)s is this computer's own address: a phone that scans the code reaches nothing, "
                          "unless its USB cable forwards the port (adb reverse). Set the address phones reach once: "
                          "flask config public-url URL", url=url))
    elif urlsplit(url).scheme != "https":
        warnings.append(_("%(url)s is not HTTPS: phones run the app only in a secure context (HTTPS, or a test "
                          "phone told to trust this address; see README.md).", url=url))
    return warnings


def echo_warnings(warnings):
    for warning in warnings:
        click.echo(_("Warning: %(warning)s", warning=warning), err=True)


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
    echo_warnings(public_url_warnings(current_app.config["PUBLIC_URL"]))


devices_cli = AppGroup("devices", help="Enrolled devices.")


def _width(text):
    """The columns a terminal gives `text`: two for wide characters (Chinese), none for
    combining marks (Lao vowels and tones, decomposed Vietnamese accents)."""
    return sum(0 if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf")
               else 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in text)


def echo_table(header, rows):
    widths = [max(map(_width, column)) for column in zip(header, *rows, strict=True)]
    for line in (header, *rows):
        cells = (cell + " " * (width - _width(cell)) for cell, width in zip(line, widths, strict=True))
        click.echo("  ".join(cells).rstrip())


def _when(time):
    return f"{time:%Y-%m-%d %H:%M}" if time else _("never")


@devices_cli.command("list")
def list_devices():
    """Every phone: state, last contact and push (UTC), app version, whether the browser keeps its
    storage, and how many records it sealed never arrived."""
    rows = []
    for device, last_push, missing in service.fleet():
        state = (_("revoked %(date)s", date=f"{device.revoked_at:%Y-%m-%d}") if device.revoked_at
                 else _("active"))
        app = device.app_state or {}
        persistent = {True: _("yes"), False: _("no")}.get(app.get("storage_persistent"), "?")
        rows.append([device.id, device.agency.code, state, _when(device.last_seen_at), _when(last_push),
                     str(app.get("version") or "?"), persistent, str(missing), device.officer_name or ""])
    echo_table([_("device"), _("agency"), _("state"), _("last seen"), _("last push"), _("app"),
                _("persistent storage"), _("missing records"), _("officer")], rows)


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


desks_cli = AppGroup("desks", help="Desk identities: what people file information reports under from the office.")


def _person(username):
    try:
        return access.user_by_name(username)
    except LookupError as error:
        raise click.ClickException(str(error)) from error


@desks_cli.command("list")
def list_desks():
    """Every desk identity: its person, agency, state, records filed and the last filing (UTC)."""
    rows = [[desk.id, desk.user.username if desk.user else "?", desk.agency.code,
             _("revoked %(date)s", date=f"{desk.revoked_at:%Y-%m-%d}") if desk.revoked_at else _("active"),
             str(filed), _when(last), crypto.fingerprint(desk.public_key)[:16]]
            for desk, filed, last in desks.desks()]
    echo_table([_("desk"), _("user"), _("agency"), _("state"), _("records filed"), _("last filed"), _("key")], rows)


@desks_cli.command("create")
@click.argument("username")
def create_desk(username):
    """Issue a new desk identity to an analyst, supervisor or administrator (their first filing
    makes one too); the one they have is revoked. After a revocation, the only way back."""
    try:
        desk = desks.create(_person(username))
    except desks.DeskRefused as error:
        db.session.rollback()
        raise click.ClickException(f"{error.code}: {error}") from error
    db.session.commit()
    click.echo(_("Desk identity %(desk)s for %(user)s, key %(fingerprint)s.", desk=desk.id, user=username,
                 fingerprint=crypto.fingerprint(desk.public_key)))


@desks_cli.command("revoke")
@click.argument("username")
@click.option("--reason", help="why, for the audit log")
def revoke_desk(username, reason):
    """Revoke a person's desk identity: nothing more is filed under it, and they file again only
    once a new one is issued (flask desks create). Disabling a person revokes theirs."""
    desk = desks.revoke(_person(username), reason)
    db.session.commit()
    if desk is None:
        raise click.ClickException(_("%(user)s has no desk identity in force.", user=username))
    click.echo(_("Revoked %(device)s.", device=desk.id))
