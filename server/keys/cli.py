import click
from flask.cli import AppGroup

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
    click.echo(f"created: {', '.join(created)}" if created else "server keys already present")


@keys_cli.command("show")
def show():
    """Key ids and fingerprints (the intake key listed first seals new records)."""
    for row in service.intake_keys() + [service.signing_key()]:
        described = service.describe(row)
        click.echo(f"{row.purpose:8} {row.kid}  fingerprint {described['fingerprint']}  created {row.created_at:%Y-%m-%d}")


@keys_cli.command("rotate-intake")
def rotate_intake():
    """New intake key for new records; old keys keep opening old envelopes."""
    row = service.rotate_intake()
    click.echo(f"new intake key {row.kid}; back up the keys now: flask keys backup")


def _passphrase(passphrase_file, confirm):
    if passphrase_file:
        with open(passphrase_file, encoding="utf-8") as handle:
            return handle.readline().rstrip("\n")
    return click.prompt("Backup passphrase", hide_input=True, confirmation_prompt=confirm)


@keys_cli.command("backup")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False))
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False))
def backup(out_path, passphrase_file):
    """Write every server key, encrypted under a passphrase (scrypt + AES-GCM)."""
    passphrase = _passphrase(passphrase_file, confirm=True)
    if len(passphrase) < 12:
        _fail("use a passphrase of at least 12 characters")
    with click.open_file(out_path, "wb") as handle:
        handle.write(service.backup(passphrase))
    click.echo(f"wrote {out_path}; keep it offline, apart from the passphrase")


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
        _fail(f"restore failed: {getattr(error, 'code', error)}")
    click.echo(f"restored: {', '.join(restored) or 'nothing new'}")
