"""Enrollment, request authentication and revocation of devices."""
import random
import re
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import crypto, ratelimit
from ..audit import service as audit
from ..dbtypes import utcnow
from ..errors import ApiError
from ..extensions import db
from ..keys import service as keys
from ..store.models import Record
from ..sync.models import LedgerEntry
from ..sync.schemas import MAX_TS_MS
from .models import PHONE, Device, EnrollmentToken, RequestNonce

# Request headers set by the phone (pwa/src/api.js) and the simulator (PROTOCOL.md §4).
H_DEVICE, H_TIMESTAMP, H_OFFSET, H_NONCE, H_SIGNATURE = (
    "Wl-Device", "Wl-Timestamp", "Wl-Clock-Offset", "Wl-Nonce", "Wl-Signature")
# Answer headers (PROTOCOL.md §5): bound to the request; and the v1 body-only signature.
H_ANSWER, H_LEGACY_ANSWER = "Wl-Answer-Signature", "Wl-Server-Signature"


MAX_OFFSET_MS = 50 * 365 * 24 * 3600 * 1000  # a clock wrong by more is not a clock
_NONCE = re.compile(r"^[A-Za-z0-9_-]{8,64}\Z")
_DEVICE_ID = re.compile(r"^[0-9a-f-]{36}$")


def create_enrollment(agency, officer_name=None, ttl_seconds=None, **actor):
    """A one-time token of 192 random bits. Only its hash is stored. `actor`: who, for the
    audit log (actor=, actor_kind=; the command line's user when not given)."""
    token = crypto.random_token(24)
    ttl = ttl_seconds if ttl_seconds is not None else current_app.config["ENROLL_TOKEN_TTL"]
    row = EnrollmentToken(token_hash=crypto.hash_secret(token), agency=agency, officer_name=officer_name,
                          expires_at=utcnow() + timedelta(seconds=ttl))
    db.session.add(row)
    db.session.flush()
    audit.record("enrollment.created", target=f"enrollment:{row.id}",
                 detail={"agency": agency.code, "expires_at": row.expires_at.isoformat()}, **actor)
    return token, row


def outstanding_enrollments(agency):
    """Codes of the agency not used, withdrawn or expired yet, newest first."""
    return db.session.scalars(select(EnrollmentToken).filter_by(agency_id=agency.id, used_at=None)
                              .where(EnrollmentToken.expires_at > utcnow())
                              .order_by(EnrollmentToken.created_at.desc())).all()


def withdraw_enrollment(row, **actor):
    """An unused code stops working now."""
    row.expires_at = utcnow()
    audit.record("enrollment.withdrawn", target=f"enrollment:{row.id}", **actor)


def enrollment_image_name(token_id):
    return f"enroll-{token_id}.png"


def sweep_enrollment_images(folder):
    """Remove the QR images of enrollment codes that expired or were used: they would
    enroll nothing more, and a code is a secret for as long as it lives."""
    now, removed = utcnow(), 0
    for path in Path(folder).glob("enroll-*.png"):
        try:
            token_id = int(path.stem.split("-", 1)[1])
        except ValueError:
            continue
        row = db.session.get(EnrollmentToken, token_id)
        if row is None or row.used_at is not None or row.expires_at <= now:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def enrollment_url(token):
    """What the QR code encodes: the PWA's address, the token and the two server key
    fingerprints the phone checks before it pins the keys. The fragment is never sent
    to a server, so the token stays out of access logs."""
    fragment = urlencode({"t": token,
                          "ik": crypto.fingerprint(keys.current_intake().public_key),
                          "sk": crypto.fingerprint(keys.signing_key().public_key)})
    return f"{current_app.config['PUBLIC_URL'].rstrip('/')}/enroll#{fragment}"


def enroll(token, public_key_raw, proof):
    now = utcnow()
    row = db.session.scalar(select(EnrollmentToken).filter_by(token_hash=crypto.hash_secret(token)))
    if row is None:
        ratelimit.refuse("enroll_token_unknown")
    credential = f"enrollment:{row.id}"
    if row.used_at is not None:
        ratelimit.refuse("enroll_token_used", credential)
    if row.expires_at <= now:
        ratelimit.refuse("enroll_token_expired", credential)
    try:
        crypto.load_public(public_key_raw)
        crypto.verify(public_key_raw, crypto.enroll_message(token), proof)
    except crypto.CryptoError as error:
        ratelimit.refuse("bad_public_key" if error.code == "bad_public_key" else "bad_enroll_proof", credential)
    device = Device(id=str(uuid.uuid4()), agency_id=row.agency_id, officer_name=row.officer_name,
                    public_key=public_key_raw, enrolled_at=now)
    db.session.add(device)
    db.session.flush()
    # Compare-and-set: of two phones racing with one token, exactly one wins.
    claimed = db.session.execute(update(EnrollmentToken)
                                 .where(EnrollmentToken.id == row.id, EnrollmentToken.used_at.is_(None))
                                 .values(used_at=now, device_id=device.id)).rowcount
    if claimed != 1:
        db.session.rollback()
        ratelimit.refuse("enroll_token_used", credential)
    audit.record("device.enrolled", actor=device.id, actor_kind="device", target=device.id,
                 detail={"agency": row.agency.code, "enrollment": row.id})
    (Path(current_app.instance_path) / enrollment_image_name(row.id)).unlink(missing_ok=True)  # used: gone
    return device


def signed_path(request):
    """The path as the phone signed it: with its query string, exactly as sent."""
    return request.path + (f"?{request.query_string.decode('latin-1')}" if request.query_string else "")


def request_nonce(request):
    """The request's nonce when it is one, else "": an answer is bound to it (PROTOCOL.md §5)."""
    nonce = request.headers.get(H_NONCE, "")
    return nonce if _NONCE.match(nonce) else ""


def authenticate(request):
    """The device that signed this request, or a coded refusal.

    Returns (device, measured_offset_ms). A revoked device is returned too: its
    verified envelopes must still be quarantined before it is told it was revoked.
    """
    headers = request.headers
    values = [headers.get(name) for name in (H_DEVICE, H_TIMESTAMP, H_NONCE, H_SIGNATURE)]
    if not all(values):
        ratelimit.refuse("auth_required")
    device_id, timestamp, nonce, signature = values
    try:
        timestamp_ms = int(timestamp)
        offset_ms = int(headers.get(H_OFFSET, "0"))
        signature = crypto.b64d(signature)
    except (ValueError, crypto.CryptoError):
        ratelimit.refuse("auth_required")
    if not (_NONCE.match(nonce) and _DEVICE_ID.match(device_id)
            and 0 <= timestamp_ms <= MAX_TS_MS and abs(offset_ms) <= MAX_OFFSET_MS):
        ratelimit.refuse("auth_required")
    device = db.session.get(Device, device_id)
    if device is None or device.is_desk:
        # A desk identity never calls: its key never leaves the server (desks.py).
        ratelimit.refuse("unknown_device")
    message = crypto.request_message(request.method, signed_path(request), timestamp_ms, offset_ms, nonce,
                                     request.get_data())
    try:
        crypto.verify(device.public_key, message, signature)
    except crypto.CryptoError:
        ratelimit.refuse("bad_request_signature", f"device:{device.id}")

    now = utcnow()
    now_ms = int(now.timestamp() * 1000)
    if abs(now_ms - timestamp_ms) > current_app.config["CLOCK_WINDOW"] * 1000:
        # Signed by the device, so this is not an attack to count: tell it our time.
        raise ApiError("clock_skew", server_time=now_ms)
    # The nonce and the device's last contact are written now but committed with the
    # request's own first commit (a push's ledger rows: one commit, not three), or by
    # keep_nonce() when the request ends without one. The unique index refuses a replay
    # at this INSERT already, before anything of the request is done.
    try:
        with db.session.begin_nested():
            db.session.add(RequestNonce(device_id=device.id, nonce=nonce, seen_at=now))
    except IntegrityError:
        db.session.rollback()
        # Signed by the device: a replay someone on the link made, not a guess to count.
        raise ApiError("replayed_request") from None
    _prune_nonces(now)
    measured_offset = now_ms - (timestamp_ms - offset_ms)
    device.last_seen_at, device.clock_offset_ms = now, measured_offset
    return device, measured_offset


def keep_nonce(device_id, nonce, clock_offset_ms):
    """After a device request that failed before its first commit: its nonce (and the
    device's last contact) are committed all the same, so that the request can never be
    replayed and a supervisor sees the phone, revoked or not, still calling."""
    db.session.rollback()
    if db.session.scalar(select(RequestNonce.id).filter_by(device_id=device_id, nonce=nonce)) is None:
        now = utcnow()
        db.session.add(RequestNonce(device_id=device_id, nonce=nonce, seen_at=now))
        db.session.execute(update(Device).where(Device.id == device_id)
                           .values(last_seen_at=now, clock_offset_ms=clock_offset_ms))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # a concurrent copy of the request committed it


def note_app_state(device, state, commit=True):
    """What the phone said about itself with a push (version, storage, PIN resets, a log
    alarm), for the supervisor. A new PIN reset is recorded in the audit log: records sealed
    after it stay flagged until a supervisor confirms the phone (`flask devices confirm`).
    `commit=False`: the push's ledger commit carries it."""
    device.app_state, device.app_state_at = state, utcnow()
    resets = state.get("pin_resets")
    if isinstance(resets, int) and resets > device.pin_resets:
        device.pin_resets = resets
        audit.record("device.pin_reset", actor=device.id, actor_kind="device", target=device.id,
                     detail={"pin_resets": resets, "confirmed": device.pin_resets_confirmed}, commit=False)
    if commit:
        db.session.commit()


def confirm(device_id, **actor):
    """A supervisor saw the officer and the phone after its PIN was reset: the resets so far
    are confirmed, and the records sealed since lose their flag."""
    device = db.session.get(Device, device_id)
    if device is None:
        raise LookupError(_("Unknown device %(device)s.", device=device_id))
    device.pin_resets_confirmed = device.pin_resets
    for record in db.session.scalars(select(Record).filter_by(device_id=device.id)
                                     .where(Record.pin_resets <= device.pin_resets_confirmed)):
        if "pin_reset" in (record.flags or []):
            record.flags = [flag for flag in record.flags if flag != "pin_reset"]
    audit.record("device.confirmed", target=device.id, detail={"pin_resets": device.pin_resets}, **actor)
    return device


def _prune_nonces(now):
    # Nonces older than twice the window can never be replayed (the timestamp check
    # refuses them first), so an occasional sweep keeps the table small.
    if random.random() < 0.02:
        cutoff = now - timedelta(seconds=2 * current_app.config["CLOCK_WINDOW"])
        db.session.execute(delete(RequestNonce).where(RequestNonce.seen_at < cutoff))


def fleet(agency_id=None):
    """Every phone (of one agency, when given), oldest enrollment first, with what a
    supervisor looks for: when it last pushed and how many records it sealed never arrived
    (sequence numbers below its highest the ledger lacks). One grouped pass over the ledger
    rows of those devices, not one query per device. Returns [(device, last_push or None, missing)].
    Desk identities are not phones: they never sync, are never silent and miss nothing
    (desks.desks lists them)."""
    phones = select(Device.id).where(Device.kind == PHONE)
    devices = (select(Device).options(joinedload(Device.agency)).where(Device.kind == PHONE)
               .order_by(Device.enrolled_at, Device.id))
    ledger = (select(LedgerEntry.device_id, func.max(LedgerEntry.seq).label("highest"),
                     func.count(LedgerEntry.seq.distinct()).label("received"),
                     func.max(LedgerEntry.received_at).label("last_record"))
              .where(LedgerEntry.device_id.is_not(None)).group_by(LedgerEntry.device_id))
    if agency_id is not None:
        devices = devices.where(Device.agency_id == agency_id)
        phones = phones.where(Device.agency_id == agency_id)
    ledger = ledger.where(LedgerEntry.device_id.in_(phones))
    seen = {row.device_id: row for row in db.session.execute(ledger)}
    listed = []
    for device in db.session.scalars(devices):
        row = seen.get(device.id)
        # A push that carried no record still reports the app's state (note_app_state).
        pushes = [time for time in (row.last_record if row else None, device.app_state_at) if time is not None]
        listed.append((device, max(pushes) if pushes else None, row.highest - row.received if row else 0))
    return listed


def revoke(device_id, reason=None, **actor):
    device = db.session.get(Device, device_id)
    if device is None:
        raise LookupError(_("Unknown device %(device)s.", device=device_id))
    if device.revoked_at is None:
        device.revoked_at = utcnow()
        device.revoked_seq = db.session.scalar(
            select(func.coalesce(func.max(LedgerEntry.seq), 0)).filter_by(device_id=device.id))
        audit.record("device.revoked", target=device.id,
                     detail={"revoked_seq": device.revoked_seq, **({"reason": reason} if reason else {})}, **actor)
    return device
