"""The nightly dump as deploy/backup/backup-db.sh writes it and as an operator opens it
(deploy/README.md, "Nightly dumps"): encrypted to an offline age key, named with its time."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "deploy" / "backup" / "backup-db.sh"


def offline_key(directory):
    """An identity (kept offline in real life) and the recipients file the host holds."""
    identity, recipients = directory / "offline-key.txt", directory / "backup-recipients.txt"
    public = subprocess.run([sys.executable, "-m", "server.backup", "keygen", "--identity", str(identity)],
                            check=True, capture_output=True, text=True, cwd=ROOT).stdout.strip()
    recipients.write_text(f"# the offline backup key\n{public}\n")
    return identity, recipients


def nightly_dump(database_url, backup_dir, recipients, **env):
    """Runs the backup script; returns the finished process (check returncode, stderr)."""
    environment = {**os.environ, "WILDLEDGER_BACKUP_DIR": str(backup_dir),
                   "WILDLEDGER_BACKUP_DATABASE": database_url.replace("postgresql+psycopg", "postgresql"),
                   "WILDLEDGER_BACKUP_RECIPIENTS": str(recipients), "WILDLEDGER_VENV": sys.prefix, **env}
    return subprocess.run(["bash", str(SCRIPT)], env=environment, cwd=ROOT, capture_output=True, text=True)


def dumps(backup_dir):
    return sorted(backup_dir.glob("*.dump.age"))


def restore_dump(dump, identity, target_url):
    """Decrypts the dump with the offline identity and pg_restores it into `target_url`."""
    with dump.open("rb") as sealed:
        opened = subprocess.Popen([sys.executable, "-m", "server.backup", "open", "--identity", str(identity)],
                                  stdin=sealed, stdout=subprocess.PIPE, cwd=ROOT)
        with opened.stdout:
            subprocess.run(["pg_restore", "--exit-on-error", "--single-transaction", "--no-owner", "-d",
                            target_url.replace("postgresql+psycopg", "postgresql")], stdin=opened.stdout, check=True)
        assert opened.wait() == 0
