"""Intake (DESIGN §1): from a verified batch to ledger rows, then to store rows.

Per envelope: decode → device matches → outer signature → ledger append, idempotent
on rid (same bytes: duplicate, or filed now if a crash left its ledger row unfiled;
different bytes: conflict) → commit → open → validate
against the record's own form version → typed rows. Every failure after arrival
leaves a quarantine row with a code; nothing is dropped.
"""
import json
import logging
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError

from .. import crypto, failpoints
from ..audit import service as audit
from ..dbtypes import utcnow
from ..devices.models import Device
from ..errors import ApiError, message
from ..extensions import db
from ..forms.schema import current_codes, validator_for
from ..keys import service as keys
from ..store.models import Record
from ..store.service import insert_all, plan_record
from . import ledger
from .models import LedgerEntry, Quarantine
from .schemas import DocumentSchema, HeaderSchema

log = logging.getLogger("wildledger.intake")
CLOCK_TOLERANCE = timedelta(minutes=5)
MISSING_REPORTED = 100
# Built once: a schema holds no state between loads, and building one costs more than using it.
_HEADER, _DOCUMENT = HeaderSchema(), DocumentSchema()


@dataclass
class Receipt:
    i: int
    rid: str | None
    status: str
    code: str | None = None
    message: str | None = None
    env_sha256: str | None = None
    log_index: int | None = None
    entry: LedgerEntry | None = field(default=None, repr=False, compare=False)  # its row, when at hand

    def as_dict(self):
        return {name: getattr(self, name) for name in _RECEIPT_WIRE}


_RECEIPT_WIRE = [f.name for f in fields(Receipt) if f.name != "entry"]


class Refusal(Exception):
    def __init__(self, code, detail=None):
        super().__init__(code)
        self.code, self.detail = code, detail


@dataclass
class Envelope:
    position: int
    raw: dict
    header_bytes: bytes = b""
    header: dict | None = None
    ct: bytes = b""
    sig: bytes = b""
    digest: bytes = b""

    @property
    def rid(self):
        return self.header["rid"] if self.header else None


def _decode(envelope):
    # The header first, so that even a damaged envelope is quarantined under its rid.
    try:
        envelope.header_bytes = crypto.b64d(envelope.raw["h"])
        envelope.header = _HEADER.load(json.loads(envelope.header_bytes.decode("utf-8")))
        envelope.header["rid"] = str(envelope.header["rid"])
        envelope.ct, envelope.sig = crypto.b64d(envelope.raw["ct"]), crypto.b64d(envelope.raw["sig"])
    except (crypto.CryptoError, UnicodeDecodeError, json.JSONDecodeError, ValidationError, TypeError) as error:
        raise Refusal("malformed_envelope", str(error)[:500]) from error
    envelope.digest = crypto.envelope_digest(envelope.header_bytes, envelope.ct, envelope.sig)


def _quarantine(device, envelope, code, detail=None, entry=None):
    kept = json.dumps(envelope.raw, ensure_ascii=False)
    if entry is not None:
        row = db.session.scalar(select(Quarantine).filter_by(ledger_idx=entry.idx))
    else:
        # A phone that never heard the answer sends the same envelope again: one row.
        row = next((held for held in db.session.scalars(
            select(Quarantine).filter_by(device_id=device.id, rid=envelope.rid, code=code, ledger_idx=None)
            .where(Quarantine.status.in_(("held", "kept")))) if held.envelope == kept), None)
    if row is None:
        row = Quarantine(device_id=device.id, rid=envelope.rid,
                         seq=envelope.header["seq"] if envelope.header else None,
                         ledger_idx=entry.idx if entry else None, envelope=kept)
        db.session.add(row)
    row.code, row.detail = code, detail
    if row.status != "kept":  # a supervisor's decision to keep it as it is stands
        row.status = "held"
    return Receipt(envelope.position, envelope.rid, "quarantined", code, message(code),
                   crypto.b64e(envelope.digest) if envelope.digest else None,
                   entry.idx if entry else None)


@dataclass
class Intake:
    """What one push did: a receipt per envelope, and whether the device is revoked (the
    answer is then 403 device_revoked, carrying the receipts)."""

    receipts: list
    revoked: bool


def receive(device, raw_envelopes, clock_offset_ms, commit=True):
    """Receipts for one authenticated batch (an Intake). Every envelope whose outer
    signature verifies enters the log, with its status: received, revoked (a revoked
    device's, quarantined) or conflict (another envelope under a rid the log holds).
    The ledger rows are committed here; the store rows too, unless `commit` is False: the
    push route answers first, in the same transaction, and commits once."""
    now = utcnow()
    receipts, verified = [], []
    for position, raw in enumerate(raw_envelopes):
        envelope = Envelope(position, raw)
        try:
            _decode(envelope)
            if envelope.header["dev"] != device.id:
                raise Refusal("device_mismatch")
            try:
                crypto.verify_envelope(device.public_key, envelope.header_bytes, envelope.ct, envelope.sig)
            except crypto.CryptoError as error:
                raise Refusal(error.code) from error
        except Refusal as refusal:
            receipts.append(_quarantine(device, envelope, refusal.code, refusal.detail))
            continue
        verified.append(envelope)

    appended, duplicates = [], []
    head = ledger.lock_head() if verified else None
    # One lookup for the whole batch; appends join it, so a rid sent twice in one batch
    # is a duplicate of itself.
    known = ledger.find_all([envelope.rid for envelope in verified]) if verified else {}
    cap = None if device.active else (device.revoked_seq or 0) + current_app.config["REVOKED_SEQ_MARGIN"]
    for envelope in verified:
        existing = known.get(envelope.rid)
        if existing is not None and existing.env_sha256 == envelope.digest:
            duplicates.append((envelope, existing.idx))
        elif existing is not None:
            receipts.append(_conflict(head, device, envelope, now, clock_offset_ms))
        elif cap is not None and envelope.header["seq"] > cap:
            # A revoked phone sealing far beyond what it held when it was revoked is in other
            # hands: refused, stored nowhere; the phone keeps the envelope (PROTOCOL.md §8).
            receipts.append(Receipt(envelope.position, envelope.rid, "refused", "revoked_seq_beyond_cap",
                                    message("revoked_seq_beyond_cap"), crypto.b64e(envelope.digest)))
        elif cap is not None:
            entry = known[envelope.rid] = _append(head, device, envelope, now, clock_offset_ms, "revoked")
            receipts.append(_quarantine(device, envelope, "device_revoked", entry=entry))
        else:
            entry = known[envelope.rid] = _append(head, device, envelope, now, clock_offset_ms)
            appended.append((envelope, entry))
    # The ledger row is committed before anything is opened: whatever happens next,
    # the envelope is safe and `flask intake replay` can file it again.
    appended_idx = [entry.idx for _, entry in appended]
    db.session.commit()

    previous = None
    if appended:
        # Crash tests (the PWA's, and test_failpoints) kill the process here: the rows are
        # in the ledger, not filed, and the phone never hears an answer.
        failpoints.hit("intake.after_ledger_commit")
        # Lock the rows until they are filed, so a resend racing this request does not file
        # them too (see _duplicates); and learn the digests their `prev` fields must match.
        if db.session.get_bind().dialect.name != "sqlite":  # one writer at a time there
            db.session.execute(select(LedgerEntry.idx).where(LedgerEntry.idx.in_(appended_idx)).with_for_update())
        seqs = [envelope.header["seq"] for envelope, _ in appended]
        previous = dict(db.session.execute(
            select(LedgerEntry.seq, LedgerEntry.env_sha256).filter_by(device_id=device.id)
            .where(LedgerEntry.seq.between(min(seqs) - 1, max(seqs)), LedgerEntry.status != "conflict")).all())
    receipts.extend(_file([(entry, envelope) for envelope, entry in appended], device, previous))
    receipts.extend(_duplicates(device, duplicates, set(appended_idx)))
    if commit:
        db.session.commit()
    return Intake(sorted(receipts, key=lambda receipt: receipt.i), revoked=not device.active)


def _conflict(head, device, envelope, now, clock_offset_ms):
    """A different envelope under a rid the log holds: logged beside it (status conflict)
    and quarantined, once however often it is sent."""
    entry = ledger.find_envelope(envelope.rid, envelope.digest)
    if entry is None:
        log.warning("rid conflict: device %s sent a different envelope for %s", device.id, envelope.rid)
        entry = _append(head, device, envelope, now, clock_offset_ms, "conflict")
    receipt = _quarantine(device, envelope, "rid_conflict", entry=entry)
    receipt.status = "conflict"
    return receipt


def answer(receipts, held=None):
    """The receipts as the wire has them, each with a log index carrying its leaf and its
    inclusion path, and the log's view (signed head, consistency from `held`), all against
    one snapshot of the log (PROTOCOL.md §9)."""
    snap = ledger.snapshot()
    indexes = sorted({r.log_index for r in receipts if r.log_index is not None})
    entries = {r.log_index: r.entry for r in receipts if r.entry is not None}
    if entries.keys() != set(indexes):
        entries.update((e.idx, e) for e in db.session.scalars(
            select(LedgerEntry).where(LedgerEntry.idx.in_(set(indexes) - entries.keys()))))
    view, paths = ledger.view(snap, server_time_ms(), held, [idx - 1 for idx in indexes])
    wire = []
    for receipt in receipts:
        item = receipt.as_dict()
        if receipt.log_index is not None:
            item["leaf"] = ledger.leaf_fields(entries[receipt.log_index])
            item["inclusion"] = paths[receipt.log_index - 1]
        wire.append(item)
    return wire, view


def _duplicates(device, duplicates, appended_idx):
    """Receipts for envelopes the ledger already holds. Usually `duplicate`; but a ledger row
    that was never filed (the server died between its ledger commit and the filing, so
    the store has no record and no quarantine row holds it) is filed now and `accepted`,
    instead of waiting for `flask intake replay`."""
    earlier = {idx for _, idx in duplicates} - appended_idx
    # A row another request is filing right now is locked by it (PostgreSQL): skip it, it
    # is a plain duplicate. Were every resend of a batch to wait and file too, concurrent
    # pushes would deadlock on the records' unique index. SQLite has one writer at a time.
    # If a row is filed by someone else after all, file_entry answers `duplicate`.
    unfiled = {entry.idx: entry for entry in db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.idx.in_(earlier))
        .where(~exists().where(Record.ledger_idx == LedgerEntry.idx))
        .where(~exists().where(Quarantine.ledger_idx == LedgerEntry.idx, Quarantine.status == "held"))
        .with_for_update(skip_locked=True))
    } if earlier else {}
    receipts, to_file = [], []
    for envelope, idx in duplicates:
        entry = unfiled.pop(idx, None)  # a rid sent twice in the batch is filed once
        if entry is not None:
            log.info("filing ledger row %s, left unfiled by an interrupted intake", idx)
            to_file.append((entry, envelope))
        else:
            receipts.append(Receipt(envelope.position, envelope.rid, "duplicate",
                                    env_sha256=crypto.b64e(envelope.digest), log_index=idx))
    return receipts + _file(to_file, device)


def _append(head, device, envelope, received_at, clock_offset_ms, status="received"):
    return ledger.append(head, rid=envelope.rid, device_id=device.id, seq=envelope.header["seq"],
                         header=envelope.header_bytes, ct=envelope.ct, sig=envelope.sig,
                         env_sha256=envelope.digest, received_at=received_at, clock_offset_ms=clock_offset_ms,
                         status=status)


def _flags(device, entry, header, device_time, previous=None):
    flags = []
    if device_time > entry.received_at + CLOCK_TOLERANCE:
        flags.append("future")
    if device_time < device.enrolled_at - CLOCK_TOLERANCE:
        flags.append("before_enrollment")
    if header["seq"] > 1:
        if previous is not None:
            before = previous.get(header["seq"] - 1)
        else:
            before = db.session.scalar(select(LedgerEntry.env_sha256)
                                       .filter_by(device_id=device.id, seq=header["seq"] - 1))
        if before is not None and crypto.b64e(before) != header["prev"]:
            flags.append("prev_mismatch")
    return flags


def _plan(entry, device, envelope, previous):
    """Open, validate and plan one ledger row's store rows (a Filing): nothing reaches the
    database before every value is checked. Raises Refusal."""
    header = envelope.header
    private_key = keys.intake_private_key(header["kid"])
    if private_key is None:
        raise Refusal("unknown_intake_key", header["kid"])
    try:
        content = crypto.open_record(private_key, device.public_key, envelope.header_bytes, envelope.ct)
    except crypto.CryptoError as error:
        raise Refusal(error.code) from error
    try:
        document = json.loads(content.decode("utf-8"))
        loaded = _DOCUMENT.load(document)
    except (UnicodeDecodeError, json.JSONDecodeError, ValidationError, TypeError) as error:
        raise Refusal("malformed_envelope", str(error)[:500]) from error
    try:
        data = validator_for(loaded["form"], loaded["version"]).load(loaded["fields_"])
    except ApiError as error:
        raise Refusal(error.problem.code, f"{loaded['form']} v{loaded['version']}") from error
    except ValidationError as error:
        raise Refusal("invalid_fields", json.dumps(error.messages, ensure_ascii=False, default=str)) from error
    supersedes = str(loaded["supersedes"]) if loaded.get("supersedes") else None
    known = _supersedes(device, supersedes)
    # A retired agency or code (sealed before its retirement reached the phone) is filed
    # under its successor and flagged; the record's content keeps it as sealed.
    data, retired = current_codes(loaded["form"], loaded["version"], data)
    filing = plan_record(entry=entry, device=device, header=header, document=document, data=data,
                         supersedes=supersedes, pin_resets=loaded.get("pin_resets"))
    flags = filing.record["flags"] = _flags(device, entry, header, filing.record["device_time"], previous)
    if supersedes and not known:
        flags.append("supersedes_unknown")
    if retired:
        flags.append("retired_code")
    if (loaded.get("pin_resets") or 0) > device.pin_resets_confirmed:
        flags.append("pin_reset")
    column = filing.misfit()
    if column:
        raise Refusal("value_out_of_range", column)
    return filing


def _supersedes(device, rid):
    """Whether the record a correction replaces is known: it must be the same device's or
    its agency's (the same batch included, committed with the ledger rows). A correction
    that arrives before its original (carried in, out of order) is filed and flagged; one
    that names another agency's record is refused."""
    if not rid:
        return True
    original = db.session.execute(select(LedgerEntry.device_id, Device.agency_id)
                                  .join(Device, Device.id == LedgerEntry.device_id)
                                  .where(LedgerEntry.rid == rid, LedgerEntry.status != "conflict")).first()
    if original is None:
        return False
    if original.device_id != device.id and original.agency_id != device.agency_id:
        raise Refusal("supersedes_foreign", rid)
    return True


def file_entry(entry, device, envelope=None):
    """Open and file one ledger row; quarantine it on failure."""
    if envelope is None:
        envelope = Envelope(0, {"h": crypto.b64e(entry.header), "ct": crypto.b64e(entry.ct),
                                "sig": crypto.b64e(entry.sig)})
        _decode(envelope)
    [receipt] = _file([(entry, envelope)], device)
    return receipt


def _file(rows, device, previous=None):
    """Receipts for ledger rows [(entry, envelope)] of one device, filed as one batch:
    every row is opened and checked first (a refusal quarantines that row alone), then
    the rows of all that passed go in together. Anything else going wrong undoes the batch,
    and the rows are filed one at a time, so the row at fault is quarantined alone and the
    others are stored. `previous` ({seq: env_sha256} around the rows) is given by intake
    for rows it has just appended, which no quarantine can hold yet."""
    if not rows:
        return []
    try:
        return _file_together(rows, device, previous)
    except Exception as error:
        if len(rows) == 1:
            return [_not_filed(device, *rows[0], error)]
        log.warning("filing %d ledger rows together failed (%s): filing them one at a time",
                    len(rows), type(error).__name__)
    receipts = []
    for row in rows:
        try:
            receipts.extend(_file_together([row], device, previous))
        except Exception as error:
            receipts.append(_not_filed(device, *row, error))
    return receipts


def _file_together(rows, device, previous):
    """In one savepoint, undone whole if anything but a refusal goes wrong."""
    with db.session.begin_nested():
        receipts, planned = [], []
        for entry, envelope in rows:
            try:
                planned.append((entry, envelope, _plan(entry, device, envelope, previous)))
            except Refusal as refusal:
                receipts.append(_quarantine(device, envelope, refusal.code, refusal.detail, entry))
        if planned:
            insert_all([filing for _, _, filing in planned])
        return receipts + [_accepted(entry, envelope, previous) for entry, envelope, _ in planned]


def _not_filed(device, entry, envelope, error):
    if isinstance(error, IntegrityError) and _filed(entry):
        # Another request filed this row meanwhile (a phone's resend healing the row while
        # the request that appended it was still filing it, or a replay): it is stored once.
        return Receipt(envelope.position, entry.rid, "duplicate", env_sha256=crypto.b64e(entry.env_sha256),
                       log_index=entry.idx)
    log.exception("intake failed for ledger row %s", entry.idx, exc_info=error)
    return _quarantine(device, envelope, "intake_error", repr(error)[:500], entry)


def _accepted(entry, envelope, previous):
    if previous is None:
        held = db.session.scalar(select(Quarantine).filter_by(ledger_idx=entry.idx, status="held"))
        if held is not None:
            held.status, held.released_at = "released", utcnow()
    return Receipt(envelope.position, entry.rid, "accepted", env_sha256=crypto.b64e(entry.env_sha256),
                   log_index=entry.idx, entry=entry)


def _filed(entry):
    return db.session.scalar(select(Record.id).filter_by(ledger_idx=entry.idx)) is not None


def missing_seqs(device_id):
    """Sequence numbers below the device's highest that the ledger never received."""
    count, highest = db.session.execute(
        select(func.count(LedgerEntry.seq.distinct()), func.max(LedgerEntry.seq))
        .where(LedgerEntry.device_id == device_id)).one()
    if not highest or count == highest:
        return []
    missing, expected = [], 1
    for (seq,) in db.session.execute(select(LedgerEntry.seq).where(LedgerEntry.device_id == device_id)
                                     .distinct().order_by(LedgerEntry.seq)):
        missing.extend(range(expected, min(seq, expected + MISSING_REPORTED - len(missing))))
        if len(missing) >= MISSING_REPORTED:
            break
        expected = seq + 1
    return missing[:MISSING_REPORTED]


def replay():
    """Re-run intake for every row of the log that arrived from an active device and has no
    store rows. A row whose columns no longer hash to its leaf in the log (rewritten by
    hand) is not filed. Returns (receipts, [idx of rows refused])."""
    orphans = db.session.scalars(select(LedgerEntry).outerjoin(Record, Record.ledger_idx == LedgerEntry.idx)
                                 .where(Record.id.is_(None), LedgerEntry.status == "received")
                                 .order_by(LedgerEntry.idx)).all()
    receipts, altered = [], []
    for entry in orphans:
        if not ledger.leaf_matches(entry):
            log.error("ledger row %s does not match its leaf in the log: not filed", entry.idx)
            altered.append(entry.idx)
            continue
        receipts.append(file_entry(entry, db.session.get(Device, entry.device_id)))
        db.session.commit()
    return receipts, altered


def release(quarantine_id, released_by=None, **actor):
    """A supervisor releases a held record: a ledger-backed one (a revoked device's
    included) is filed from its row; a revoked device's envelope held before the log
    recorded them (older stores) enters the ledger first. A rid conflict never is."""
    row = db.session.get(Quarantine, quarantine_id)
    if row is None or row.status != "held":
        raise LookupError(_("No held quarantine row %(id)d.", id=quarantine_id))
    device = db.session.get(Device, row.device_id)
    if row.code == "rid_conflict":
        raise ValueError(_("A record quarantined for %(code)s cannot be released.", code=row.code))
    if row.ledger_idx is not None:
        receipt = file_entry(db.session.get(LedgerEntry, row.ledger_idx), device)
    elif row.code == "device_revoked":
        envelope = Envelope(0, json.loads(row.envelope))
        _decode(envelope)
        head = ledger.lock_head()
        entry = ledger.find(envelope.rid) or _append(head, device, envelope, row.received_at, None)
        db.session.commit()
        row.status, row.released_at = "released", utcnow()
        receipt = file_entry(entry, device, envelope)
    else:
        raise ValueError(_("A record quarantined for %(code)s cannot be released.", code=row.code))
    row.released_by = released_by
    audit.record("quarantine.released", target=f"quarantine:{row.id}",
                 detail={"rid": row.rid, "code": row.code, "receipt": receipt.status}, **actor)
    return receipt


def keep(quarantine_id, note, noted_by=None, **actor):
    """A supervisor decides a held record stays as it is (a bad signature cannot be
    fixed), and says why: it leaves the list of what waits, and is never deleted."""
    row = db.session.get(Quarantine, quarantine_id)
    note = (note or "").strip()
    if row is None or row.status != "held":
        raise LookupError(_("No held quarantine row %(id)d.", id=quarantine_id))
    if not note:
        raise ValueError(_("Say why the record is kept as it is."))
    row.status, row.note, row.noted_by, row.noted_at = "kept", note[:2000], noted_by, utcnow()
    audit.record("quarantine.kept", target=f"quarantine:{row.id}", detail={"rid": row.rid, "code": row.code}, **actor)
    return row


def server_time_ms(now=None):
    return int((now or datetime.now(UTC)).timestamp() * 1000)
