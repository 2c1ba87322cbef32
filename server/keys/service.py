"""Custody of the server's own keys (DESIGN §2).

Losing the intake private key loses every sealed record, so: private keys are stored
only wrapped under the KEK (a file outside the database and the instance folder);
a passphrase-protected backup exists; and nothing here creates an intake key over a
store that already holds records, except an explicit rotation. Rotation works like
MultiFernet: the newest intake key seals, every intake key still opens.
"""
from datetime import datetime

from flask import current_app, g, has_app_context
from flask_babel import gettext as _
from sqlalchemy import func, select

from .. import crypto
from ..audit import service as audit
from ..extensions import db
from ..reference import publish as reference
from ..sync.models import LedgerEntry
from .models import INTAKE, SIGNING, ServerKey


class KeyCustodyError(Exception):
    pass


def _cache():
    return current_app.extensions.setdefault("wildledger.private_keys", {})


def _kek(create=False):
    path = current_app.config["KEK_FILE"]
    try:
        return crypto.KeyEncryptionKey.load_or_create(path, create=create)
    except FileNotFoundError as error:
        raise KeyCustodyError(_("The key-encryption key file %(path)s is missing. Restore it, or run "
                                "`flask keys init` on a new installation.", path=path)) from error


def _label(kid, purpose):
    return f"{purpose}:{kid}"


def _store(private_key, purpose, kek, epoch=None):
    raw = crypto.public_raw(private_key)
    kid = crypto.key_id(raw)
    if purpose == INTAKE and epoch is None:
        epoch = (db.session.scalar(select(func.max(ServerKey.epoch)).filter_by(purpose=INTAKE)) or 0) + 1
    row = ServerKey(kid=kid, purpose=purpose, public_key=raw, epoch=epoch,
                    wrapped_private_key=kek.wrap(crypto.private_to_bytes(private_key), _label(kid, purpose)))
    db.session.add(row)
    return row


def _keys(purpose):
    """Newest first: by epoch for intake keys (a restored backup keeps its epochs)."""
    return db.session.scalars(select(ServerKey).filter_by(purpose=purpose)
                              .order_by(ServerKey.epoch.desc().nulls_last(), ServerKey.created_at.desc(),
                                        ServerKey.id.desc())).all()


def ledger_holds_records():
    return db.session.scalar(select(func.count()).select_from(LedgerEntry)) > 0


def init_keys():
    """Create the KEK and missing keys. Returns the names of what was created."""
    kek = _kek(create=True)
    created = []
    if not _keys(SIGNING):
        _store(crypto.generate_key(), SIGNING, kek)
        created.append(SIGNING)
    if not _keys(INTAKE):
        if ledger_holds_records():
            raise KeyCustodyError(_("The ledger holds sealed records but no intake key exists. Restore "
                                    "the keys with `flask keys restore`: a new key would not open them."))
        _store(crypto.generate_key(), INTAKE, kek)
        created.append(INTAKE)
    if created:
        audit.record("keys.created", detail={"keys": created}, commit=False)
    db.session.commit()
    reference.publish(["keys"])
    return created


def rotate_intake():
    row = _store(crypto.generate_key(), INTAKE, _kek())
    db.session.flush()
    audit.record("keys.rotated", target=row.kid, detail={"epoch": row.epoch})
    reference.publish(["keys"])  # phones learn the new key at their next pull
    return row


def current_intake():
    keys = _keys(INTAKE)
    if not keys:
        raise KeyCustodyError(_("No intake key. Run `flask keys init`."))
    return keys[0]


def signing_key():
    keys = _keys(SIGNING)
    if not keys:
        raise KeyCustodyError(_("No signing key. Run `flask keys init`."))
    return keys[0]


def intake_keys():
    return _keys(INTAKE)


def private_key(row):
    cache, label = _cache(), _label(row.kid, row.purpose)
    if label not in cache:
        cache[label] = crypto.private_from_bytes(_kek().unwrap(row.wrapped_private_key, label))
    return cache[label]


def intake_private_key(kid):
    """The private key for an envelope's kid, or None if this server never held it."""
    cached = _cache().get(_label(kid, INTAKE))  # keys are never altered, only added
    if cached is not None:
        return cached
    row = db.session.scalar(select(ServerKey).filter_by(kid=kid, purpose=INTAKE))
    return private_key(row) if row else None


def describe(row):
    described = {"kid": row.kid, "purpose": row.purpose, "public_key": crypto.b64e(row.public_key),
                 "fingerprint": crypto.fingerprint(row.public_key)}
    if row.epoch is not None:
        described["epoch"] = row.epoch
    return described


def _signer():
    """(kid, private key) of the signing key, read once per request: an answer signs its
    tree head, itself and (during the upgrade transition) its body."""
    signer = g.get("signer") if has_app_context() else None
    if signer is None:
        row = signing_key()
        signer = (row.kid, private_key(row))
        if has_app_context():
            g.signer = signer
    return signer


def sign_response(body: bytes):
    """Legacy Wl-Server-Signature: '<kid>.<signature over the body alone>'."""
    kid, key = _signer()
    return f"{kid}.{crypto.b64e(crypto.sign(key, crypto.response_message(body)))}"


def sign(message: bytes):
    """(kid, signature) by the server signing key: tree heads and restore declarations."""
    kid, key = _signer()
    return kid, crypto.sign(key, message)


def signing_kids():
    return [row.kid for row in _keys(SIGNING)]


def verify_signed(kid, message: bytes, signature: bytes):
    """Whether a signing key this server holds, `kid`, signed `message`."""
    row = db.session.scalar(select(ServerKey).filter_by(kid=kid, purpose=SIGNING)) if isinstance(kid, str) else None
    try:
        return row is not None and crypto.verify(row.public_key, message, signature) is None
    except crypto.CryptoError:
        return False


def sign_answer(nonce, method, path, status, body: bytes, time_ms):
    """Wl-Answer-Signature: '<kid>.<server time ms>.<signature>', bound to the request."""
    kid, key = _signer()
    message = crypto.answer_message(nonce, method, path, status, time_ms, body)
    return f"{kid}.{time_ms}.{crypto.b64e(crypto.sign(key, message))}"


def backup(passphrase):
    rows = db.session.scalars(select(ServerKey).order_by(ServerKey.id)).all()
    payload = {"keys": [{"kid": r.kid, "purpose": r.purpose, "created_at": r.created_at.isoformat(),
                         "epoch": r.epoch, "private_key": crypto.b64e(crypto.private_to_bytes(private_key(r)))}
                        for r in rows]}
    audit.record("keys.backup", detail={"keys": [r.kid for r in rows]})
    return crypto.export_backup(payload, passphrase)


def restore(blob, passphrase, replace=False):
    """Add the backup's keys that this store lacks, wrapped under this host's KEK.

    replace=True also re-wraps keys the store already has: the way back after the KEK
    file was lost, when the stored wrappings can no longer be opened."""
    payload = crypto.import_backup(blob, passphrase)
    kek = _kek(create=True)
    restored = []
    for entry in payload["keys"]:
        private = crypto.private_from_bytes(crypto.b64d(entry["private_key"]))
        if crypto.key_id(crypto.public_raw(private)) != entry["kid"]:
            raise KeyCustodyError(_("Backup entry %(kid)s does not match its key.", kid=entry["kid"]))
        existing = db.session.scalar(select(ServerKey).filter_by(kid=entry["kid"]))
        if existing is not None and not replace:
            continue
        # Backups written before epochs existed carry none: keep the stored one, or number
        # the key after the others (the backup lists keys in the order they were created).
        epoch = entry.get("epoch") or (existing.epoch if existing is not None else None)
        if existing is not None:
            db.session.delete(existing)
            db.session.flush()
        row = _store(private, entry["purpose"], kek, epoch)
        row.created_at = datetime.fromisoformat(entry["created_at"])
        restored.append(row.kid)
    audit.record("keys.restored", detail={"keys": restored, "replace": replace})
    _cache().clear()
    g.pop("signer", None)
    reference.publish(["keys"])
    return restored




def wrap_secret(secret: bytes, label: str) -> bytes:
    """A small secret the server must read back (a user's TOTP secret), wrapped under the
    key-encryption key like the server's private keys: a copy of the database alone does
    not reveal it. `label` binds it to its owner."""
    return _kek().wrap(secret, label)


def unwrap_secret(blob: bytes, label: str) -> bytes:
    return _kek().unwrap(blob, label)
