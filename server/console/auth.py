"""Who is signed in to the console, and how (issue 17).

A person signs in with a password (Argon2id, argon2-cffi's defaults: RFC 9106's second
recommended setting) and then a TOTP code (RFC 6238, 30 s, one step of drift either way, each
step usable once) or one of ten one-time recovery codes. Every console role reads records, so
every one needs the second factor; officers use the phone app, not the console.

The session lives on the server (models.ConsoleSession): the cookie carries a random token
whose hash is stored, so that ending sessions ("sign out everywhere", an admin) takes effect
at once. It ends after CONSOLE_IDLE_MINUTES without a request and CONSOLE_ABSOLUTE_HOURS after
sign-in, whatever happens. Failed sign-ins are counted per account and per address
(CONSOLE_LOGIN_FAILURES per CONSOLE_LOCKOUT_MINUTES): past that, even the right password is
refused until the window ends, with a message that does not say whether the account exists.
"""
import secrets
from datetime import timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, request
from sqlalchemy import select, update

from .. import crypto
from ..access.models import ConsoleSession, User
from ..dbtypes import utcnow
from ..extensions import db
from ..keys import service as keys
from ..ratelimit import MemoryCounts, RedisCounts

CONSOLE_ROLES = ("supervisor", "analyst", "admin")
MIN_PASSWORD = 12
RECOVERY_CODES = 10
SETUP_HOURS = 72
PASSWORD_STEP_MINUTES = 5  # from the right password to the second factor
PASSWORDS = PasswordHasher()
# Burns a hash's worth of time when the account does not exist, so that timing does not tell.
_DUMMY = PASSWORDS.hash(secrets.token_hex(16))


def now():
    """The console's clock (tests move it)."""
    return utcnow()


# -- passwords and second factors ------------------------------------------------------------

class WeakPassword(ValueError):
    pass


def set_password(user, password):
    if len(password) < MIN_PASSWORD:
        raise WeakPassword(MIN_PASSWORD)
    user.password_hash = PASSWORDS.hash(password)


def check_password(user, password):
    """Whether `password` is the user's; constant work whether or not the user exists."""
    try:
        PASSWORDS.verify(user.password_hash if user and user.password_hash else _DUMMY, password)
    except (VerificationError, InvalidHashError):
        return False
    if not (user and user.password_hash):
        return False
    if PASSWORDS.check_needs_rehash(user.password_hash):
        user.password_hash = PASSWORDS.hash(password)
    return True


def _label(user):
    return f"totp:user:{user.id}"


def new_totp_secret():
    return pyotp.random_base32()


def totp_uri(user, secret):
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name="Wildledger")


def set_totp(user, secret):
    user.totp_secret = keys.wrap_secret(secret.encode(), _label(user))
    user.totp_last_step = None


def check_totp(user, code, secret=None):
    """A code of the user's (or the given, not yet saved) secret, each time step once."""
    secret = secret or (keys.unwrap_secret(user.totp_secret, _label(user)).decode() if user.totp_secret else None)
    code = "".join(str(code).split())
    if not secret or not code.isdigit():
        return False
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now().timestamp())
    for step in (current, current - 1, current + 1):  # a phone's clock a little off
        if secrets.compare_digest(totp.generate_otp(step), code) and step > (user.totp_last_step or -1):
            user.totp_last_step = step
            return True
    return False


def new_recovery_codes(user):
    """Ten one-time codes, shown once; only their hashes are kept."""
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    user.recovery_codes = [crypto.hash_secret(code) for code in codes]
    return codes


def use_recovery_code(user, code):
    digest = crypto.hash_secret("".join(str(code).split()).lower())
    if digest not in (user.recovery_codes or []):
        return False
    user.recovery_codes = [kept for kept in user.recovery_codes if kept != digest]
    return True


def setup_link(user):
    """A one-time link to choose a password and set up the second factor (a new user, or
    after an admin reset both); any earlier link of the user stops working."""
    token = crypto.random_token()
    user.setup_token_hash = crypto.hash_secret(token)
    user.setup_expires_at = now() + timedelta(hours=SETUP_HOURS)
    return f"{current_app.config['PUBLIC_URL'].rstrip('/')}/console/setup/{token}"


def reset_sign_in(user, **actor):
    """A forgotten password or a lost authenticator: the password, second factor and recovery
    codes stop working and the person's sessions end; a new set-up link (setup_link) follows."""
    from ..audit import service as audit

    user.password_hash = user.totp_secret = user.totp_last_step = None
    user.recovery_codes = []
    end_sessions(user.id)
    audit.record("user.sign_in_reset", target=f"user:{user.username}", commit=False, **actor)


def user_for_setup(token):
    user = db.session.scalar(select(User).filter_by(setup_token_hash=crypto.hash_secret(token)))
    if user is None or user.disabled_at is not None or user.setup_expires_at is None or user.setup_expires_at < now():
        return None
    return user


# -- throttling ----------------------------------------------------------------------------------

class _Limiter:
    def __init__(self, app):
        window = app.config["CONSOLE_LOCKOUT_MINUTES"] * 60
        url = app.config["RATE_LIMIT_REDIS_URL"]
        self.counts = (RedisCounts(url, app.config["RATE_LIMIT_NAMESPACE"] + ":console", window_s=window) if url
                       else MemoryCounts(app.config["RATE_LIMIT_KEYS"], window_s=window))
        self.limit = app.config["CONSOLE_LOGIN_FAILURES"]

    def keys(self, username):
        # An address gets more tries than an account: colleagues share a post's connection.
        return [(f"account:{username.lower()}", self.limit), (f"address:{request.remote_addr}", 4 * self.limit)]

    def locked(self, username):
        return any(self.counts.count(key) >= limit for key, limit in self.keys(username))

    def fail(self, username):
        for key, _limit in self.keys(username):
            self.counts.add(key)


def limiter():
    app = current_app._get_current_object()
    if "wildledger.console_limiter" not in app.extensions:
        app.extensions["wildledger.console_limiter"] = _Limiter(app)
    return app.extensions["wildledger.console_limiter"]


# -- sessions ------------------------------------------------------------------------------------

def start_session(user):
    """After the right password: a session that still needs the second factor. Returns the
    cookie's token."""
    token = crypto.random_token(32)
    db.session.add(ConsoleSession(token_hash=crypto.hash_secret(token), user_id=user.id, created_at=now(),
                                  last_seen_at=now(), address=(request.remote_addr or "")[:64]))
    return token


def find_session(token, *, verified=True):
    """The session a cookie names, if it is still alive (ending it if it just expired)."""
    if not token:
        return None
    row = db.session.scalar(select(ConsoleSession).filter_by(token_hash=crypto.hash_secret(token)))
    if row is None or row.ended_at is not None or row.user.disabled_at is not None:
        return None
    moment = now()
    config = current_app.config
    if row.verified_at is None:
        alive = not verified and moment - row.created_at < timedelta(minutes=PASSWORD_STEP_MINUTES)
    else:
        alive = (moment - row.last_seen_at < timedelta(minutes=config["CONSOLE_IDLE_MINUTES"])
                 and moment - row.verified_at < timedelta(hours=config["CONSOLE_ABSOLUTE_HOURS"]))
    if not alive:
        row.ended_at = row.ended_at or moment
        db.session.commit()
        return None
    return row


def end_sessions(user_id, *, keep=None):
    """Ends every session of a user (but `keep`'s); returns how many."""
    query = update(ConsoleSession).where(ConsoleSession.user_id == user_id, ConsoleSession.ended_at.is_(None))
    if keep is not None:
        query = query.where(ConsoleSession.id != keep.id)
    return db.session.execute(query.values(ended_at=now())).rowcount
