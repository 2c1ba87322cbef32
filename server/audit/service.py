"""The audit log (issue 13; DESIGN §6): one append-only, hash-chained list of who did what.

entry hash(n) = SHA-256(hash(n−1) ‖ canonical(seq, at µs, actor kind, actor, action, target,
address, detail)), from 32 zero bytes. Every AUDIT_ANCHOR_EVERY entries, or when
AUDIT_ANCHOR_MINUTES have passed since the last anchor and something was added, the head
(seq, hash) becomes a leaf of the ledger's transparency log (status "anchor", signed by the
server key): an insider with database access who rewrites the audit log must then rewrite
the log too, which every phone holding a head would catch. `verify()` recomputes the chain,
names the first bad entry, and checks every anchor against it.
"""
import getpass
import json
import socket
import struct
from datetime import timedelta

from flask import current_app, has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import select

from .. import crypto
from ..dbtypes import micros, utcnow
from ..extensions import db
from .models import AuditEntry, AuditHead

HEAD_ID = 1
GENESIS = bytes(32)
ACTOR_KINDS = ("user", "device", "cli", "system")


def _canonical(entry):
    detail = json.dumps(entry.detail, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    fields = [entry.actor_kind, entry.actor, entry.action, entry.target or "", entry.address or "", detail]
    return struct.pack(">QQ", entry.seq, micros(entry.at)) + "\x1f".join(fields).encode("utf-8")


def entry_hash(previous, entry):
    return crypto.sha256(bytes(previous) + _canonical(entry))


def _lock_head():
    head = db.session.scalar(select(AuditHead).filter_by(id=HEAD_ID).with_for_update())
    if head is None:
        head = AuditHead(id=HEAD_ID, seq=0, hash=GENESIS, anchored_seq=0)
        db.session.add(head)
    return head


def cli_actor():
    """Who runs a command: the operating-system user, on this host."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"[:120]


def record(action, *, actor=None, actor_kind=None, target=None, detail=None, commit=True):
    """Append one entry. In a request the address is the client's; on the command line the
    actor defaults to the OS user and host. Commits (the caller's work too) unless told not."""
    if actor is None:
        actor, actor_kind = cli_actor(), "cli"
    address = request.remote_addr if has_request_context() else None
    head = _lock_head()
    entry = AuditEntry(seq=head.seq + 1, at=utcnow(), actor_kind=actor_kind, actor=str(actor)[:120], action=action,
                       target=None if target is None else str(target)[:120], address=address, detail=detail)
    entry.hash = entry_hash(head.hash, entry)
    db.session.add(entry)
    head.seq, head.hash = entry.seq, entry.hash
    if _anchor_due(head, entry.at):
        anchor(head, entry.at)
    if commit:
        db.session.commit()
    return entry


def _anchor_due(head, now):
    config = current_app.config
    if head.anchored_at is None:
        head.anchored_at = now  # the clock starts with the first entry
    if head.seq - head.anchored_seq >= config["AUDIT_ANCHOR_EVERY"]:
        return True
    return head.seq > head.anchored_seq and now - head.anchored_at >= timedelta(minutes=config["AUDIT_ANCHOR_MINUTES"])


def anchor_if_due():
    """Anchor entries left unanchored for AUDIT_ANCHOR_MINUTES, even when nothing new is
    being added to trigger it (`flask housekeeping`, every few minutes). True if it did."""
    head, now = _lock_head(), utcnow()
    due = head.anchored_at is not None and _anchor_due(head, now)
    if due:
        anchor(head, now)
    db.session.commit()
    return due


def anchor(head, now):
    """The audit head as a leaf of the ledger's log (in the caller's transaction)."""
    from ..sync import ledger

    ledger.append_anchor(ledger.lock_head(), audit_seq=head.seq, audit_hash=bytes(head.hash), received_at=now)
    head.anchored_seq, head.anchored_at = head.seq, now


def anchor_now():
    """Anchor whatever was added since the last anchor (`flask audit anchor`, a timer)."""
    head = _lock_head()
    if head.seq > head.anchored_seq:
        anchor(head, utcnow())
    db.session.commit()
    return head.seq


def verify():
    """Recompute the chain from the first entry; check the head and every anchor in the
    ledger; name the first bad entry. Never raises for bad data."""
    from ..sync import ledger
    from ..sync.ledger import Verdict

    anchors = ledger.audit_anchors()  # {audit seq: audit hash}, as the log holds them
    rows = db.session.execute(select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=1000))
    previous, expected, count = GENESIS, 1, 0
    try:
        for entry in rows.scalars():
            count += 1
            if entry.seq != expected:
                return Verdict(count, expected, _("expected entry %(seq)d: entries missing or moved", seq=expected))
            try:
                computed = entry_hash(previous, entry)
            except Exception as error:  # noqa: BLE001 - a malformed value names its entry, no traceback
                return Verdict(count, entry.seq, _("malformed value (%(error)s)", error=type(error).__name__))
            if computed != bytes(entry.hash):
                return Verdict(count, entry.seq, _("the entry does not hash to its stored hash: it was edited"))
            if entry.seq in anchors and anchors.pop(entry.seq) != computed:
                return Verdict(count, entry.seq, _("the entry differs from the one anchored in the ledger"))
            previous, expected = computed, expected + 1
    finally:
        rows.close()
    if anchors:
        first = min(anchors)
        return Verdict(count, first, _("the ledger anchors entry %(seq)d, which the audit log lacks: entries "
                                       "deleted at the end", seq=first))
    head = db.session.get(AuditHead, HEAD_ID)
    if head is not None and (head.seq, bytes(head.hash)) != (expected - 1, previous):
        return Verdict(count, expected, _("the audit head does not match the last entry"))
    return Verdict(count)
