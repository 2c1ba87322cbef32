"""The ledger: every sealed envelope whose outer signature verified, kept as the leaves of
an append-only transparency log in the manner of RFC 9162 (PROTOCOL.md §9). It is the
source of truth (DESIGN §1); the store is a projection of it.

- A row's leaf is SHA-256(0x00 ‖ crypto.leaf_input(every column)); leaf index = idx − 1.
- Every perfect subtree is stored (LedgerNode) as appends complete it, and the head keeps
  the frontier, so an append reads nothing but the head, and a root or a proof reads
  O(log n) nodes, fetched in one query per answer.
- Signed tree heads bind (epoch, size, root, time) under the server signing key; phones
  keep the newest they verified and ask for consistency from it at every sync.
- A restore from a dump legitimately shortens the log: `flask ledger restored` declares a
  new epoch, signed, stating the size and root restored to (LedgerEpoch).
- `verify()` recomputes every leaf, node and head and re-checks every envelope against its
  device's enrolled key, naming the first bad row.
"""
import json
from dataclasses import dataclass
import uuid
from datetime import UTC, datetime

from flask_babel import gettext as _
from sqlalchemy import event, func, insert, select, tuple_
from sqlalchemy.orm import Session

from .. import crypto
from ..dbtypes import micros
from ..devices.models import Device
from ..extensions import db
from . import merkle
from .models import LedgerEntry, LedgerEpoch, LedgerHead, LedgerNode

HEAD_ID = 1
EMPTY_ROOT = crypto.sha256(b"")
STATUSES = ("received", "revoked", "conflict", "anchor")
_NODE_QUERY_KEYS = 500  # nodes fetched per query (bound parameters stay well within limits)


class LogError(Exception):
    """The stored log cannot answer (a node is missing): a fault for `ledger verify`."""


received_at_us = micros


def leaf_input(entry):
    return crypto.leaf_input(entry.idx, entry.rid, entry.device_id or "", entry.seq, entry.env_sha256,
                             received_at_us(entry.received_at), entry.clock_offset_ms, entry.status)


def leaf_fields(entry):
    """What a receipt carries so the phone recomputes the leaf from its own envelope digest."""
    return {"idx": entry.idx, "rid": entry.rid, "device_id": entry.device_id, "seq": entry.seq,
            "received_at_us": received_at_us(entry.received_at), "clock_offset_ms": entry.clock_offset_ms,
            "status": entry.status}


# -- appending -------------------------------------------------------------------------

def lock_head():
    """The head, locked until commit. On PostgreSQL FOR UPDATE serialises appends; SQLite
    transactions start with BEGIN IMMEDIATE (extensions.configure_engine), which already
    holds the database's write lock."""
    # Read afresh even if the session holds the head from an earlier transaction of this
    # request: the size an append extends must be the one just locked.
    head = db.session.scalar(select(LedgerHead).filter_by(id=HEAD_ID).with_for_update()
                             .execution_options(populate_existing=True))
    if head is None:
        head = LedgerHead(id=HEAD_ID, size=0, root=EMPTY_ROOT, frontier=b"", epoch=0)
        db.session.add(head)
    return head


def find_all(rids):
    """{rid: the ledger row that is that record} for the rids the ledger holds."""
    return {entry.rid: entry for entry in db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.rid.in_(rids), LedgerEntry.status != "conflict"))}


def find(rid):
    return find_all([rid]).get(rid)


def find_envelope(rid, env_sha256):
    """The row holding exactly this envelope, whatever its status."""
    return db.session.scalar(select(LedgerEntry).filter_by(rid=rid, env_sha256=env_sha256))


_PENDING = "ledger_appends"  # session.info key: (rows, nodes) appended, not yet written


def append(head, *, status="received", **columns):
    """A new row at the end of the log, its leaf and every perfect subtree it completes.
    The row and its nodes are written with the session's next flush, in one multi-row
    INSERT per table for all appends since the last (the unit of work would cost more
    than the hashing); the entry returned is not in the session, and holds every column."""
    if status not in STATUSES:
        raise ValueError(status)
    frontier = merkle.Frontier.from_bytes(head.size, head.frontier or b"")  # a few dozen hashes at most
    entry = LedgerEntry(idx=head.size + 1, status=status, **columns)
    rows, nodes = db.session.info.setdefault(_PENDING, ([], []))
    rows.append({column.key: getattr(entry, column.key) for column in LedgerEntry.__table__.columns})
    nodes.extend({"level": level, "idx": index, "hash": value}
                 for level, index, value in frontier.append(merkle.leaf_hash(leaf_input(entry))))
    head.size, head.root, head.frontier = frontier.size, frontier.root(), frontier.to_bytes()
    return entry


@event.listens_for(Session, "before_flush")
def _write_appends(session, _flush_context, _instances):
    # The head an append moved is dirty, so every flush after an append comes here, and
    # before any row the flush writes (a quarantine row naming the entry, say).
    pending = session.info.pop(_PENDING, None)
    if pending:
        rows, nodes = pending
        session.execute(insert(LedgerEntry.__table__), rows)
        session.execute(insert(LedgerNode.__table__), nodes)


@event.listens_for(Session, "after_soft_rollback")
def _forget_appends(session, _previous_transaction):
    session.info.pop(_PENDING, None)


def leaf_matches(entry):
    """Whether the row's columns still hash to the leaf the log holds for it."""
    stored = db.session.scalar(select(LedgerNode.hash).filter_by(level=0, idx=entry.idx - 1))
    try:
        return stored is not None and bytes(stored) == merkle.leaf_hash(leaf_input(entry))
    except (TypeError, ValueError, AttributeError):
        return False


def append_anchor(head, *, audit_seq, audit_hash, received_at):
    """The audit log's head as a leaf of its own (status "anchor", no device): a statement
    {audit_seq, audit_hash, time} signed by the server key, enveloped like a record."""
    from ..keys import service as keys

    statement = crypto.anchor_statement(audit_seq, audit_hash, micros(received_at) // 1000)
    _kid, signature = keys.sign(crypto.ANCHOR + statement)
    return append(head, status="anchor", rid=str(uuid.uuid4()), device_id=None, seq=audit_seq, header=statement,
                  ct=b"", sig=signature, env_sha256=crypto.envelope_digest(statement, b"", signature),
                  received_at=received_at, clock_offset_ms=None)


def audit_anchors():
    """{audit seq: audit hash} of every anchor the log holds."""
    return {json.loads(bytes(header))["audit_seq"]: crypto.b64d(json.loads(bytes(header))["audit_hash"])
            for (header,) in db.session.execute(select(LedgerEntry.header).filter_by(status="anchor"))}


# -- reading: heads and proofs ------------------------------------------------------------

@dataclass(frozen=True)
class Snapshot:
    """One committed state of the log: everything an answer says is relative to it."""

    epoch: int
    size: int
    root: bytes


def snapshot():
    """The committed head, read afresh. Every node of a tree at or below this size is
    committed (appends commit their nodes with the head), so proofs against it are
    consistent whatever other pushes commit meanwhile."""
    head = db.session.execute(select(LedgerHead.epoch, LedgerHead.size, LedgerHead.root)
                              .filter_by(id=HEAD_ID)).one_or_none()
    return Snapshot(head.epoch, head.size, head.root) if head else Snapshot(0, 0, EMPTY_ROOT)


def signed_head(snap, time_ms):
    """The signed tree head (PROTOCOL.md §9): what phones keep and `ledger prove` checks."""
    from ..keys import service as keys

    kid, signature = keys.sign(crypto.tree_head_message(snap.epoch, snap.size, snap.root, time_ms))
    return {"log": "wildledger", "epoch": snap.epoch, "size": snap.size, "root": crypto.b64e(snap.root),
            "time": time_ms, "kid": kid, "signature": crypto.b64e(signature)}


def _covering(start, end, wanted):
    """The stored perfect subtrees MTH(D[start:end]) is made of (RFC 9162 split)."""
    size = end - start
    if merkle.is_perfect(size):
        level = size.bit_length() - 1
        wanted.add((level, start >> level))
        return
    k = merkle.split(size)
    _covering(start, start + k, wanted)
    _covering(start + k, end, wanted)


def _fetch(keys):
    stored, keys = {}, sorted(keys)
    for at in range(0, len(keys), _NODE_QUERY_KEYS):
        chunk = keys[at:at + _NODE_QUERY_KEYS]
        stored.update(((level, idx), value) for level, idx, value in db.session.execute(
            select(LedgerNode.level, LedgerNode.idx, LedgerNode.hash)
            .where(tuple_(LedgerNode.level, LedgerNode.idx).in_(chunk))))
    if len(stored) != len(keys):
        raise LogError(_("ledger nodes are missing: %(nodes)s", nodes=sorted(set(keys) - stored.keys())[:5]))
    return stored


def with_subtrees(plan):
    """Runs plan(subtree) with subtree(start, end) = MTH(D[start:end]) read from the stored
    nodes: once to learn which nodes it needs, then again with them, one query in all."""
    wanted = set()

    def record(start, end):
        _covering(start, end, wanted)
        return b""

    plan(record)
    stored = _fetch(wanted)

    def subtree(start, end):
        size = end - start
        if merkle.is_perfect(size):
            level = size.bit_length() - 1
            return bytes(stored[(level, start >> level)])
        k = merkle.split(size)
        return merkle.node_hash(subtree(start, start + k), subtree(start + k, end))

    return plan(subtree)


def root_at(size):
    return with_subtrees(lambda subtree: subtree(0, size)) if size else EMPTY_ROOT


def proofs(snap, leaf_indexes, held_size=None):
    """({leaf index: inclusion path}, consistency path from held_size or None), against snap."""
    def plan(subtree):
        paths = {index: merkle.inclusion_path(index, snap.size, subtree) for index in leaf_indexes
                 if index < snap.size}
        consistency = (merkle.consistency_path(held_size, snap.size, subtree)
                       if held_size is not None and held_size <= snap.size else None)
        return paths, consistency

    if snap.size == 0:
        return {}, ([] if held_size == 0 else None)
    return with_subtrees(plan)


def epochs_after(epoch):
    return db.session.scalars(select(LedgerEpoch).where(LedgerEpoch.epoch > epoch)
                              .order_by(LedgerEpoch.epoch)).all()


def describe_epoch(row):
    return {"epoch": row.epoch, "previous": row.previous, "size": row.size, "root": crypto.b64e(row.root),
            "time": row.time_ms, "kid": row.kid, "signature": crypto.b64e(row.signature)}


def view(snap, time_ms, held=None, leaf_indexes=()):
    """What an answer says of the log (PROTOCOL.md §9): the signed head; a consistency proof
    from the head the phone holds (`held` = {epoch, size}) or from the size a restore since
    its epoch went back to; the restore declarations since its epoch. And inclusion paths
    for `leaf_indexes`, all against the same snapshot."""
    epochs, from_size = [], None
    if held is not None:
        if held["epoch"] == snap.epoch:
            from_size = held["size"]
        elif held["epoch"] < snap.epoch:
            epochs = epochs_after(held["epoch"])
            from_size = min([held["size"], *(row.size for row in epochs)])
    paths, consistency = proofs(snap, leaf_indexes, from_size)
    log = {"head": signed_head(snap, time_ms), "epochs": [describe_epoch(row) for row in epochs],
           "consistency_from": from_size if consistency is not None else None,
           "consistency": None if consistency is None else [crypto.b64e(h) for h in consistency]}
    return log, {index: [crypto.b64e(h) for h in path] for index, path in paths.items()}


# -- restores ---------------------------------------------------------------------------------

def declare_restored(time_ms):
    """After restoring a dump: a new epoch, signed, saying the log goes on from its present
    size and root. Epochs are times in ms (never below the last + 1), so a dump restored
    twice never reuses an epoch phones have seen."""
    from ..keys import service as keys

    head = lock_head()
    previous = head.epoch
    epoch = max(time_ms, previous + 1, (db.session.scalar(select(func.max(LedgerEpoch.epoch))) or 0) + 1)
    root = head.root or EMPTY_ROOT
    kid, signature = keys.sign(crypto.log_epoch_message(epoch, previous, head.size, root, time_ms))
    row = LedgerEpoch(epoch=epoch, previous=previous, size=head.size, root=root, time_ms=time_ms, kid=kid,
                      signature=signature)
    db.session.add(row)
    head.epoch = epoch
    db.session.commit()
    return row


# -- holding the server to a head ------------------------------------------------------------

@dataclass
class Proved:
    ok: bool
    reason: str


def prove(head):
    """Does this log contain `head` (a signed tree head, as phones export it)?"""
    from ..keys import service as keys

    try:
        epoch, size, time_ms = int(head["epoch"]), int(head["size"]), int(head["time"])
        root, signature = crypto.b64d(head["root"]), crypto.b64d(head["signature"])
        message = crypto.tree_head_message(epoch, size, root, time_ms)
    except (KeyError, TypeError, ValueError, crypto.CryptoError):
        return Proved(False, _("This is not a Wildledger tree head."))
    if not keys.verify_signed(head.get("kid"), message, signature):
        return Proved(False, _("The head's signature does not verify with this server's signing key."))
    now = snapshot()
    if epoch > now.epoch:
        return Proved(False, _("The head is from epoch %(epoch)d, later than this log's (%(now)d): this log was "
                               "rolled back.", epoch=epoch, now=now.epoch))
    limit = min([now.size, *(row.size for row in epochs_after(epoch))])
    if size > limit:
        if epoch < now.epoch:
            return Proved(False, _("The head covers %(size)d records, but the log was restored to %(limit)d after "
                                   "it: the records after %(limit)d must be pushed again.", size=size, limit=limit))
        return Proved(False, _("The head covers %(size)d records, but this log holds %(now)d: history was "
                               "rewritten.", size=size, now=now.size))
    if root_at(size) != root:
        return Proved(False, _("The log's first %(size)d records do not hash to this head's root: history was "
                               "rewritten.", size=size))
    return Proved(True, _("This log of %(now)d records contains the head of %(size)d records from %(time)s.",
                          now=now.size, size=size,
                          time=f"{datetime.fromtimestamp(time_ms / 1000, UTC):%Y-%m-%d %H:%M:%S} UTC"))


# -- verification ----------------------------------------------------------------------------

@dataclass
class Verdict:
    """What a verification found: how many items it checked and the first bad one (with why)."""

    checked: int
    first_bad: int | None = None
    reason: str | None = None

    @property
    def ok(self):
        return self.first_bad is None


def verify():
    """Recompute every leaf, node and head from the rows; re-check every envelope against its
    device's enrolled key; name the first row that does not fit. Never raises for bad data."""
    entries = db.session.execute(select(LedgerEntry).order_by(LedgerEntry.idx).execution_options(yield_per=1000))
    nodes = db.session.execute(
        select(LedgerNode.level, LedgerNode.idx, LedgerNode.hash)
        .order_by((LedgerNode.idx + 1).op("<<")(LedgerNode.level), LedgerNode.level)
        .execution_options(yield_per=1000))
    try:
        return _walk(entries.scalars(), iter(nodes))
    finally:
        entries.close()
        nodes.close()


def _check_anchor(entry):
    from ..keys import service as keys

    statement = json.loads(bytes(entry.header))
    if entry.device_id is not None or statement.get("audit_seq") != entry.seq:
        return _("the anchor's columns differ from its signed statement")
    if crypto.envelope_digest(entry.header, entry.ct, entry.sig) != entry.env_sha256:
        return _("envelope bytes do not match their digest")
    if not any(keys.verify_signed(kid, crypto.ANCHOR + bytes(entry.header), bytes(entry.sig)) for kid in keys.signing_kids()):
        return _("the anchor is not signed by this server")
    return None


def _check_row(entry, devices):
    """The reason this row is bad, or None."""
    if entry.status == "anchor":
        return _check_anchor(entry)
    header = json.loads(bytes(entry.header))
    if (header.get("rid"), header.get("dev"), header.get("seq")) != (entry.rid, entry.device_id, entry.seq):
        return _("the row's rid, device or seq differ from its signed header")
    if entry.status not in STATUSES:
        return _("unknown status %(status)s", status=entry.status)
    if crypto.envelope_digest(entry.header, entry.ct, entry.sig) != entry.env_sha256:
        return _("envelope bytes do not match their digest")
    device = devices.get(entry.device_id)
    if device is None:
        device = devices[entry.device_id] = db.session.get(Device, entry.device_id)
    if device is None:
        return _("no enrolled device %(device)s", device=entry.device_id)
    try:
        crypto.verify_envelope(device.public_key, entry.header, entry.ct, entry.sig)
    except crypto.CryptoError:
        return _("the envelope's signature does not verify with its device's enrolled key")
    return None


def _walk(rows, stored_nodes):
    frontier, devices, count = merkle.Frontier(), {}, 0
    for entry in rows:
        count += 1
        expected = frontier.size + 1
        if entry.idx != expected:
            return Verdict(count, expected, _("expected index %(idx)d: rows missing or moved", idx=expected))
        try:
            reason = _check_row(entry, devices)
            made = None if reason else frontier.append(merkle.leaf_hash(leaf_input(entry)))
        except Exception as error:  # noqa: BLE001 - a malformed value names its row, never a traceback
            reason = _("malformed value (%(error)s)", error=type(error).__name__ + ": " + str(error)[:120])
        if reason:
            return Verdict(count, entry.idx, reason)
        for level, index, value in made:
            stored = next(stored_nodes, None)
            if stored is None or (stored.level, stored.idx) != (level, index) or bytes(stored.hash) != value:
                return Verdict(count, entry.idx, _("the tree's node (%(level)d, %(index)d) does not follow from the "
                                                   "rows", level=level, index=index))
    extra = next(stored_nodes, None)
    if extra is not None:
        return Verdict(count, (extra.idx << extra.level) + 1,
                       _("a tree node beyond the last row: rows deleted at the end"))
    head = db.session.get(LedgerHead, HEAD_ID)
    if head is None or (head.size, bytes(head.root or b""), bytes(head.frontier or b"")) != (
            frontier.size, frontier.root(), frontier.to_bytes()):
        return Verdict(count, frontier.size + 1, _("the head does not match the rows: rows deleted at the end "
                                                   "or the head rewound"))
    for row in db.session.scalars(select(LedgerEpoch).order_by(LedgerEpoch.epoch)):
        from ..keys import service as keys

        message = crypto.log_epoch_message(row.epoch, row.previous, row.size, row.root, row.time_ms)
        if (not keys.verify_signed(row.kid, message, row.signature) or row.size > frontier.size
                or root_at(row.size) != bytes(row.root)):
            return Verdict(count, row.size + 1, _("the restore declaration of epoch %(epoch)d does not verify",
                                                  epoch=row.epoch))
    return Verdict(count)
