"""GET /api/v1/health: can this server take a push now? For nginx, monitoring and the
operator after an upgrade (deploy/README.md). Unauthenticated, so it says only which part
failed, never why: the reason goes to the log.

- database: a round trip (`SELECT 1`). The pool pings each connection before handing it out
  (`pool_pre_ping`, config.py), so after PostgreSQL comes back the first request reconnects
  instead of failing on a dead connection.
- keys: the key-encryption key file opens, and the signing key and the current intake key
  unwrap under it; without them no answer can be signed and no record opened.
"""
import logging

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from . import crypto
from .errors import ApiError
from .extensions import db
from .keys import service as keys
from .version import app_version, server_version

log = logging.getLogger("wildledger.health")
# A plain Flask blueprint: not part of the device API's OpenAPI description, which lists what
# phones and readers call (and which the fuzz tests exercise with generated parameters).
blp = Blueprint("health", __name__, url_prefix="/api/v1")

OK, FAILED, UNCHECKED = "ok", "failed", "unchecked"


def _database():
    try:
        db.session.execute(text("SELECT 1"))
        return OK
    except SQLAlchemyError as error:
        log.warning("health: database unavailable (%s)", type(error).__name__)
        db.session.rollback()
        return FAILED


def _keys():
    try:
        crypto.KeyEncryptionKey.load_or_create(current_app.config["KEK_FILE"])  # still there, still a key
        for row in (keys.signing_key(), keys.current_intake()):
            keys.private_key(row)
        return OK
    except (keys.KeyCustodyError, crypto.CryptoError, OSError, ValueError, SQLAlchemyError) as error:
        log.warning("health: server keys unusable (%s)", type(error).__name__)
        db.session.rollback()
        return FAILED


def check():
    """Each part's state, and the versions."""
    database = _database()
    return {"version": server_version(), "app_version": app_version(current_app.config["PWA_DIST"]),
            "database": database, "keys": _keys() if database == OK else UNCHECKED}


@blp.get("/health")
def health():
    """200 {status: ok, version, app_version, database: ok, keys: ok}, or 503 `unhealthy`
    with the same fields saying which part failed (PROTOCOL.md §11)."""
    state = check()
    if state["database"] != OK or state["keys"] != OK:
        raise ApiError("unhealthy", **state)
    return jsonify(status=OK, **state)


@blp.after_request
def _never_cached(response):
    response.headers["Cache-Control"] = "no-store"
    return response
