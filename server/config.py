"""Configuration, read from the environment once at app creation.

Every setting has an environment variable; README.md lists them. Tests pass a mapping
to create_app() instead of touching os.environ.
"""
import ipaddress
import json
import os
import secrets
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PUBLIC_URL = "http://127.0.0.1:5000"
# Settings an operator sets once, by a command, kept in the instance folder (not the
# environment file): the public URL (`flask config public-url`), and whether the instance
# holds demo data (`flask demo load`), which `flask demo simulate` asks.
SETTINGS_FILE = "settings.json"


def _int(name, default):
    return int(os.environ.get(name, default))


def settings_path(instance_path):
    return Path(instance_path) / SETTINGS_FILE


def instance_settings(instance_path):
    """The settings kept in the instance folder ({} before any was set)."""
    path = settings_path(instance_path)
    try:
        with open(path, encoding="utf-8") as handle:
            settings = json.load(handle)
    except FileNotFoundError:
        return {}
    except ValueError as error:
        raise ValueError(f"{path} is not a JSON object of settings: {error}") from error
    if not isinstance(settings, dict):
        raise ValueError(f"{path} is not a JSON object of settings")
    return settings


def save_instance_settings(instance_path, **changes):
    """Merge `changes` into the instance's settings (None removes one); the file is
    replaced whole, so a reader never sees half of it. Returns its path."""
    settings = instance_settings(instance_path)
    for name, value in changes.items():
        if value is None:
            settings.pop(name, None)
        else:
            settings[name] = value
    path = settings_path(instance_path)
    partial = path.with_name(path.name + ".partial")
    with open(partial, "w", encoding="utf-8") as handle:
        json.dump(settings, handle, ensure_ascii=False, indent=1, sort_keys=True)
        handle.write("\n")
    os.replace(partial, path)
    return path


def public_url(instance_path, settings=None):
    """The origin QR codes carry, and where it comes from (`environment`, `instance` or
    `default`): WILDLEDGER_PUBLIC_URL wins over the instance's setting."""
    settings = instance_settings(instance_path) if settings is None else settings
    if os.environ.get("WILDLEDGER_PUBLIC_URL"):
        return os.environ["WILDLEDGER_PUBLIC_URL"], "environment"
    if settings.get("public_url"):
        return settings["public_url"], "instance"
    return DEFAULT_PUBLIC_URL, "default"


def unreachable_from_a_phone(url):
    """Whether a URL names this machine only (127.0.0.1, ::1, localhost) or no address at
    all (0.0.0.0): a phone that scans it reaches nothing, unless forwarded (adb reverse)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost") or not host:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def secret_key(instance_path):
    """Signs the console's CSRF tokens: WILDLEDGER_SECRET_KEY, or a random key made once in
    the instance folder (every worker of one instance reads the same file)."""
    if os.environ.get("WILDLEDGER_SECRET_KEY"):
        return os.environ["WILDLEDGER_SECRET_KEY"]
    path = Path(instance_path) / "secret_key"
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    for _attempt in range(50):  # another worker may be writing it this instant
        text = path.read_text().strip()
        if text:
            return text
        time.sleep(0.01)
    raise RuntimeError(f"{path} is empty: delete it to have a new one made")


def from_environment(instance_path):
    home_config = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config"))
    settings = instance_settings(instance_path)
    return {
        "SECRET_KEY": secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "DATABASE_URL", f"sqlite:///{Path(instance_path) / 'wildledger.sqlite'}"
        ),
        # The URL printed in enrollment QR codes: in deployment the public HTTPS origin
        # that nginx terminates (phones need a secure context for WebCrypto). Set once with
        # `flask config public-url`; WILDLEDGER_PUBLIC_URL, when set, wins over that.
        "PUBLIC_URL": public_url(instance_path, settings)[0],
        # The key-encryption key lives outside the database and the instance folder, so
        # a copy of either alone never exposes the server's private keys (DESIGN §2).
        "KEK_FILE": os.environ.get("WILDLEDGER_KEK_FILE", str(home_config / "wildledger" / "kek")),
        "ENROLL_TOKEN_TTL": _int("WILDLEDGER_ENROLL_TTL", 15 * 60),
        "CLOCK_WINDOW": _int("WILDLEDGER_CLOCK_WINDOW", 300),
        "MAX_BATCH_RECORDS": _int("WILDLEDGER_MAX_BATCH_RECORDS", 50),
        # Slow 3G moves ~50 kB/s; phones send ≤ 64 KiB batches, this leaves headroom.
        "MAX_CONTENT_LENGTH": _int("WILDLEDGER_MAX_BODY_BYTES", 512 * 1024),
        "AUTH_FAILURES_PER_MINUTE": _int("WILDLEDGER_AUTH_FAILURES_PER_MINUTE", 30),
        # Where the failure counts live when several workers must share them (redis://…);
        # unset: in each process's memory, bounded to RATE_LIMIT_KEYS keys.
        "RATE_LIMIT_REDIS_URL": os.environ.get("WILDLEDGER_RATE_LIMIT_REDIS_URL") or None,
        "RATE_LIMIT_KEYS": _int("WILDLEDGER_RATE_LIMIT_KEYS", 10_000),
        "RATE_LIMIT_NAMESPACE": os.environ.get("WILDLEDGER_RATE_LIMIT_NAMESPACE", "wildledger"),
        # Read-API tokens expire after this many days (`users token --days` for another).
        "TOKEN_DAYS": _int("WILDLEDGER_TOKEN_DAYS", 90),
        # The audit log's head becomes a leaf of the ledger's log every this many entries, or
        # this many minutes after the last anchor when anything was added.
        "AUDIT_ANCHOR_EVERY": _int("WILDLEDGER_AUDIT_ANCHOR_EVERY", 100),
        "AUDIT_ANCHOR_MINUTES": _int("WILDLEDGER_AUDIT_ANCHOR_MINUTES", 10),
        # Never write SQL parameters (decrypted record content) into logs or exceptions.
        # pool_pre_ping: a connection is tested before each use, so after PostgreSQL
        # restarts (or a network cut) the first request reconnects instead of failing.
        "SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": True, "pool_pre_ping": True},
        # A revoked phone's pushes are quarantined up to the highest seq it had sent when it
        # was revoked plus this many records (sealed offline before it heard); refused above.
        "REVOKED_SEQ_MARGIN": _int("WILDLEDGER_REVOKED_SEQ_MARGIN", 100),
        # Upgrade transition (PROTOCOL.md §5): also send the v1 body-only answer signature,
        # which apps before 0.2.0 check. Turn off once every phone runs 0.2.0 or later.
        "LEGACY_ANSWER_SIGNATURE": _int("WILDLEDGER_LEGACY_ANSWER_SIGNATURE", 1) == 1,
        "BABEL_DEFAULT_LOCALE": "en",
        # Console sessions end after this many idle minutes, and this many hours after sign-in;
        # an account (or, four times as many, an address) that failed to sign in this many times
        # is refused for the rest of the lockout window.
        "CONSOLE_IDLE_MINUTES": _int("WILDLEDGER_CONSOLE_IDLE_MINUTES", 30),
        "CONSOLE_ABSOLUTE_HOURS": _int("WILDLEDGER_CONSOLE_ABSOLUTE_HOURS", 12),
        "CONSOLE_LOGIN_FAILURES": _int("WILDLEDGER_CONSOLE_LOGIN_FAILURES", 5),
        "CONSOLE_LOCKOUT_MINUTES": _int("WILDLEDGER_CONSOLE_LOCKOUT_MINUTES", 15),
        # A phone that has not synced for this many days is flagged on the console's fleet page.
        "CONSOLE_SILENT_DAYS": _int("WILDLEDGER_CONSOLE_SILENT_DAYS", 3),
        # The longest a printed enrollment code may live, in days (a code on screen lives
        # ENROLL_TOKEN_TTL).
        "CONSOLE_SHEET_MAX_DAYS": _int("WILDLEDGER_CONSOLE_SHEET_MAX_DAYS", 7),
        # CSRF tokens are checked by the console's own forms only (the API is signed instead).
        "WTF_CSRF_CHECK_DEFAULT": False,
        "WTF_CSRF_TIME_LIMIT": None,  # a token lives as long as the session that holds it
        # A directory contact not verified for this many days is shown "may be out of date".
        "DIRECTORY_STALE_AFTER_DAYS": _int("WILDLEDGER_DIRECTORY_STALE_AFTER_DAYS", 180),
        # Behind nginx: how many proxy hops to trust for the client address and scheme
        # (the failed-auth limiter counts per address).
        "PROXY_FIX": _int("WILDLEDGER_PROXY_FIX", 0),
        # The task queue (server/tasks.py): SQLite beside the database by default, Redis in
        # deployment (redis://…), "immediate" to run each task in its caller.
        "TASK_QUEUE": os.environ.get("WILDLEDGER_TASK_QUEUE", f"sqlite:///{Path(instance_path) / 'tasks.sqlite'}"),
        # Finished exports wait here for their requester (exports/service.py).
        "EXPORT_DIR": os.environ.get("WILDLEDGER_EXPORT_DIR", str(Path(instance_path) / "exports")),
        # The largest outbox file a supervisor may carry in (PROTOCOL.md §14); a push is 512 KiB.
        "CARRIED_MAX_BYTES": _int("WILDLEDGER_CARRIED_MAX_BYTES", 64 * 1024 * 1024),
        # Alert e-mails (server/console/alerts.py): smtp://, smtp+starttls:// or smtps://,
        # with user:password@ when the server asks; unset: no e-mail, the console page only.
        "SMTP_URL": os.environ.get("WILDLEDGER_SMTP_URL") or None,
        "MAIL_FROM": os.environ.get("WILDLEDGER_MAIL_FROM", "wildledger@localhost"),
        # The officer app as `make run` builds it (Vite's output), served at the site root.
        "PWA_DIST": os.environ.get("WILDLEDGER_PWA_DIST", str(ROOT / "pwa" / "dist")),
    }
