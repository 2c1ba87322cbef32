"""Desk identities (issue 18): what an analyst learns outside the app (a public report, a record
passed on by another agency) is filed from the console or by command as an information report
that enters the ledger exactly like a phone's record.

Each person who files has a desk identity of their own: a device row of kind "desk" with its own
ECDSA P-256 key, generated here and stored only wrapped under the key-encryption key
(keys.wrap_secret, as TOTP secrets are), and its own gapless `seq`. A filing is sealed as the app
seals (PROTOCOL.md §6: HPKE to the intake key, inner and outer signatures by the desk key) and
taken through intake.receive, the function a push and a carried-in file go through: the ledger
first, then the store, with the same receipts, quarantine and exactly-once. The server's
answer-signing key never signs a record: a record says who filed it, and the log, tree heads and
answers say what the server holds.

A desk is made on its person's first filing (or by `flask desks create`), revoked when they are
disabled (or by `flask desks revoke`); a revoked desk files nothing, and its person files again
only once an administrator issues a new one. Someone moved to another agency gets a new desk at
their next filing: a desk files for one agency, as a phone does."""
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select

from .. import crypto
from ..access.models import User
from ..audit import service as audit
from ..dbtypes import utcnow
from ..errors import message
from ..extensions import db
from ..forms.schema import validator_for
from ..keys import service as keys
from ..sync.models import LedgerEntry
from .models import DESK, Device

DESK_ROLES = ("analyst", "supervisor", "admin")
FORM, VERSION = "information_report", 1
# Fields a desk fills from its person, never from what was typed: the record's officer is the
# person filing, its agency theirs (the store files the record under the desk's agency).
FIXED = ("agency", "reporting_officer")


class DeskRefused(Exception):
    """A coded refusal (a problem code of errors.py); nothing was filed."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code

    def __str__(self):
        return message(self.code)


@dataclass
class Filed:
    rid: str
    seq: int
    desk: Device
    receipt: object  # intake.Receipt

    @property
    def accepted(self):
        return self.receipt.status == "accepted"


def _label(device_id):
    return f"desk:{device_id}"


def active_desk(user):
    return db.session.scalar(select(Device).filter_by(kind=DESK, user_id=user.id, revoked_at=None)
                             .order_by(Device.enrolled_at.desc()).limit(1))


def desks_of(user):
    """Every desk the person ever had, newest first."""
    return db.session.scalars(select(Device).filter_by(kind=DESK, user_id=user.id)
                              .order_by(Device.enrolled_at.desc())).all()


def _check_person(user):
    if user.role not in DESK_ROLES:
        raise DeskRefused("desk_not_allowed")
    if not user.active:
        raise DeskRefused("desk_user_disabled")


def create(user, replacing="replaced", **actor):
    """A new desk identity for `user`, replacing the one they have (revoked, for the reason
    `replacing`). Flushed, not committed. `actor`: who, for the audit log (the command line's
    user when not given)."""
    _check_person(user)
    for old in db.session.scalars(select(Device).filter_by(kind=DESK, user_id=user.id, revoked_at=None)):
        _revoke(old, replacing, **actor)
    key = crypto.generate_key()
    desk = Device(id=str(uuid.uuid4()), kind=DESK, user_id=user.id, agency_id=user.agency_id,
                  officer_name=user.display_name, public_key=crypto.public_raw(key), enrolled_at=utcnow())
    desk.wrapped_key = keys.wrap_secret(crypto.private_to_bytes(key), _label(desk.id))
    db.session.add(desk)
    db.session.flush()
    audit.record("desk.created", target=desk.id, commit=False, detail={
        "user": user.username, "agency": user.agency.code, "fingerprint": crypto.fingerprint(desk.public_key)},
        **actor)
    return desk


def _revoke(desk, reason, **actor):
    desk.revoked_at = utcnow()
    desk.revoked_seq = _last(desk)[0]
    audit.record("desk.revoked", target=desk.id, commit=False,
                 detail={"user": desk.user.username, "revoked_seq": desk.revoked_seq, "reason": reason}, **actor)


def revoke(user, reason=None, **actor):
    """Revoke the person's desk, if they have one in force: it files nothing more. Returns it
    (or None). Not committed."""
    desk = active_desk(user)
    if desk is not None:
        _revoke(desk, reason or "revoked", **actor)
    return desk


def _last(desk):
    """(seq, envelope digest) of the desk's newest ledger row, (0, None) before its first."""
    row = db.session.execute(select(LedgerEntry.seq, LedgerEntry.env_sha256).filter_by(device_id=desk.id)
                             .where(LedgerEntry.status != "conflict")
                             .order_by(LedgerEntry.seq.desc()).limit(1)).first()
    return (row.seq, bytes(row.env_sha256)) if row else (0, None)


def check(user, fields):
    """The report `fields` as the desk seals them (agency and officer the person's own), once
    the information report's form version has accepted them, exactly as intake will: raises
    DeskRefused, or marshmallow's ValidationError with its messages by field."""
    _check_person(user)
    if not isinstance(fields, dict):
        raise DeskRefused("report_file_invalid")
    own = {"agency": user.agency.code, "reporting_officer": user.display_name}
    if any(name in fields and fields[name] != own[name] for name in FIXED):
        raise DeskRefused("desk_fields_fixed")
    fields = {**fields, **own}
    validator_for(FORM, VERSION).load(fields)
    return fields


def _desk_for_filing(user, **actor):
    """The person's desk in force, made on their first filing; a new one when their agency
    changed. Holds the person's row locked (PostgreSQL) until the filing's ledger row is
    committed, so two filings of one person never take the same seq; SQLite's one writer at a
    time does the same there."""
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())
    desk = active_desk(user)
    if desk is None:
        if desks_of(user):
            raise DeskRefused("desk_revoked")  # revoked: only an administrator issues a new one
        return create(user, **actor)
    if desk.agency_id != user.agency_id:
        return create(user, replacing="agency_changed", **actor)
    return desk


def seal(desk, fields):
    """The envelope (PROTOCOL.md §6) of the desk's next record, as the app seals it: (envelope,
    rid, seq). Its seq follows the desk's newest ledger row, and prev is that row's digest."""
    intake_key = keys.current_intake()
    last_seq, last_digest = _last(desk)
    rid, seq = str(uuid.uuid4()), last_seq + 1
    header = crypto.compact_json({"v": 1, "rid": rid, "dev": desk.id, "seq": seq, "ts": int(utcnow().timestamp() * 1000),
                       "kid": intake_key.kid, "prev": crypto.b64e(last_digest) if last_digest else None})
    document = crypto.compact_json({"form": FORM, "version": VERSION, "fields": fields})
    key = crypto.private_from_bytes(keys.unwrap_secret(desk.wrapped_key, _label(desk.id)))
    ct, sig = crypto.seal_record(key, intake_key.public_key, header, document)
    return {"h": crypto.b64e(header), "ct": crypto.b64e(ct), "sig": crypto.b64e(sig)}, rid, seq


def file_report(user, fields, **actor):
    """File an information report in `user`'s name under their desk identity: checked first
    (a refusal files nothing), sealed, and taken by intake.receive like a phone's push, which
    commits the ledger row before the store rows. Returns a Filed with intake's receipt."""
    from ..sync import intake

    fields = check(user, fields)
    desk = _desk_for_filing(user, **actor)
    envelope, rid, seq = seal(desk, fields)
    # A desk's clock is the server's: no offset to measure.
    [receipt] = intake.receive(desk, [envelope], 0).receipts
    audit.record("desk.filed", target=f"record:{rid}", detail={
        "desk": desk.id, "seq": seq, "form": f"{FORM}.v{VERSION}", "status": receipt.status,
        **({"code": receipt.code} if receipt.code else {})}, **actor)
    if receipt.status == "accepted":
        from ..intel import service as intel

        intel.after_filing()  # what was filed is committed: resolution follows on the task queue
    return Filed(rid, seq, desk, receipt)


def desks(agency_id=None):
    """Every desk identity (of one agency, when given), newest first, with how many records it
    filed and when it last did: [(desk, filed, last_filed or None)]."""
    query = select(Device).filter_by(kind=DESK).order_by(Device.enrolled_at.desc(), Device.id)
    counts = (select(LedgerEntry.device_id, func.count().label("filed"), func.max(LedgerEntry.received_at).label("last"))
              .join(Device, Device.id == LedgerEntry.device_id).where(Device.kind == DESK)
              .group_by(LedgerEntry.device_id))
    if agency_id is not None:
        query = query.where(Device.agency_id == agency_id)
        counts = counts.where(Device.agency_id == agency_id)
    seen = {row.device_id: row for row in db.session.execute(counts)}
    return [(desk, seen[desk.id].filed if desk.id in seen else 0, seen[desk.id].last if desk.id in seen else None)
            for desk in db.session.scalars(query)]


def field_errors(messages, prefix=""):
    """marshmallow's nested messages as {"people.0.name": [message, …]}: what the console shows
    beside each field and the command prints by path."""
    if isinstance(messages, list):
        return {prefix.rstrip(".") or "_schema": [str(m) for m in messages]}
    out = {}
    for key, value in messages.items():
        out.update(field_errors(value, f"{prefix}{key}."))
    return out
