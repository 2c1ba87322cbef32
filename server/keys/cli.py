import os

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from . import service

keys_cli = AppGroup("keys", help="Server key custody: create, show, rotate, back up, restore.")


def _fail(error):
    raise click.ClickException(str(error))


@keys_cli.command("init")
def init():
    """Create the key-encryption key and any missing server keys (never over records)."""
    try:
        created = service.init_keys()
    except service.KeyCustodyError as error:
        _fail(error)
    click.echo(_("Created: %(keys)s.", keys=", ".join(created)) if created else _("Server keys already present."))


@keys_cli.command("show")
def show():
    """Key ids and fingerprints; the current intake key (it seals new records) is marked."""
    try:
        intake, signing = service.intake_keys(), service.signing_key()
    except service.KeyCustodyError as error:
        _fail(error)
    for position, row in enumerate(intake):
        described = dict(kid=row.kid, epoch=row.epoch if row.epoch is not None else "?",
                         fingerprint=service.describe(row)["fingerprint"], date=f"{row.created_at:%Y-%m-%d}")
        if position == 0:
            click.echo(_("intake key %(kid)s, epoch %(epoch)s, fingerprint %(fingerprint)s, created %(date)s: "
                         "current, seals new records", **described))
        else:
            click.echo(_("intake key %(kid)s, epoch %(epoch)s, fingerprint %(fingerprint)s, created %(date)s: "
                         "older, still opens what was sealed to it", **described))
    click.echo(_("%(purpose)s key %(kid)s, fingerprint %(fingerprint)s, created %(date)s",
                 purpose=signing.purpose, kid=signing.kid, fingerprint=service.describe(signing)["fingerprint"],
                 date=f"{signing.created_at:%Y-%m-%d}"))


@keys_cli.command("rotate-intake")
def rotate_intake():
    """New intake key for new records; old keys keep opening old envelopes."""
    row = service.rotate_intake()
    click.echo(_("New intake key %(kid)s. Back up the keys now: flask keys backup", kid=row.kid))


def _passphrase(passphrase_file, confirm):
    if passphrase_file:
        with open(passphrase_file, encoding="utf-8") as handle:
            return handle.readline().rstrip("\n")
    return click.prompt(_("Backup passphrase"), hide_input=True, confirmation_prompt=confirm)


@keys_cli.command("backup")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False))
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False))
def backup(out_path, passphrase_file):
    """Write every server key, encrypted under a passphrase (scrypt + AES-GCM)."""
    passphrase = _passphrase(passphrase_file, confirm=True)
    if len(passphrase) < 12:
        _fail(_("Use a passphrase of at least 12 characters."))
    try:
        # 0600, and never over another backup (a second one the same day keeps the first).
        fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        _fail(_("%(path)s exists: choose another name, so that no backup overwrites another.", path=out_path))
    with os.fdopen(fd, "wb") as handle:
        handle.write(service.backup(passphrase))
    click.echo(_("Wrote %(path)s. Keep it offline, apart from the passphrase.", path=out_path))


@keys_cli.command("restore")
@click.argument("backup_path", type=click.Path(exists=True, dir_okay=False))
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False))
@click.option("--replace", is_flag=True, help="re-wrap keys already present (after losing the KEK file)")
def restore(backup_path, passphrase_file, replace):
    """Add the keys of a backup to this store, wrapped under this host's KEK."""
    with open(backup_path, "rb") as handle:
        blob = handle.read()
    try:
        restored = service.restore(blob, _passphrase(passphrase_file, confirm=False), replace)
    except Exception as error:  # CryptoError or KeyCustodyError: say it plainly
        _fail(_("Restore failed: %(reason)s", reason=getattr(error, "code", error)))
    click.echo(_("Restored: %(keys)s.", keys=", ".join(restored)) if restored else _("Nothing new to restore."))
