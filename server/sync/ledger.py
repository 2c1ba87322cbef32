"""The append-only ledger of sealed envelopes: the source of truth (DESIGN §1).

chain_hash(n) = SHA-256(chain_hash(n-1) ‖ idx ‖ rid ‖ env_sha256 ‖ received_at µs),
starting from 32 zero bytes. `verify()` recomputes it from the first row.
"""
import struct
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from .. import crypto
from ..extensions import db
from .models import LedgerEntry, LedgerHead

GENESIS = bytes(32)
HEAD_ID = 1


def _chain(previous, idx, rid, env_sha256, received_at):
    micros = int(received_at.timestamp() * 1_000_000)
    return crypto.sha256(previous + struct.pack(">QQ", idx, micros) + rid.encode("ascii") + env_sha256)


def lock_head():
    """The chain tip, locked until commit. On PostgreSQL FOR UPDATE serialises appends;
    SQLite transactions start with BEGIN IMMEDIATE (extensions.configure_engine), which
    already holds the database's write lock."""
    head = db.session.scalar(select(LedgerHead).filter_by(id=HEAD_ID).with_for_update())
    if head is None:
        head = LedgerHead(id=HEAD_ID, idx=0, chain_hash=GENESIS)
        db.session.add(head)
    return head


def find(rid):
    return find_all([rid]).get(rid)


def find_all(rids):
    """{rid: ledger row} for the rids the ledger holds."""
    return {entry.rid: entry for entry in db.session.scalars(select(LedgerEntry).where(LedgerEntry.rid.in_(rids)))}


def append(head, *, rid, device_id, seq, header, ct, sig, env_sha256, received_at, clock_offset_ms):
    idx = head.idx + 1
    entry = LedgerEntry(idx=idx, rid=rid, device_id=device_id, seq=seq, header=header, ct=ct, sig=sig,
                        env_sha256=env_sha256, received_at=received_at, clock_offset_ms=clock_offset_ms,
                        chain_hash=_chain(head.chain_hash, idx, rid, env_sha256, received_at))
    db.session.add(entry)
    head.idx, head.chain_hash = idx, entry.chain_hash
    return entry


@dataclass
class Verdict:
    rows: int
    first_bad: int | None = None
    reason: str | None = None

    @property
    def ok(self):
        return self.first_bad is None


def verify():
    """Walk the chain from the first row; name the first row that does not fit."""
    result = db.session.execute(select(LedgerEntry).order_by(LedgerEntry.idx).execution_options(yield_per=1000))
    try:
        return _walk(result.scalars())
    finally:
        result.close()  # a server-side cursor on PostgreSQL; we may stop early


def _walk(rows):
    previous, expected_idx, count = GENESIS, 1, 0
    for entry in rows:
        count += 1
        if entry.idx != expected_idx:
            return Verdict(count, entry.idx, _("expected index %(idx)d: rows missing or moved", idx=expected_idx))
        if crypto.envelope_digest(entry.header, entry.ct, entry.sig) != entry.env_sha256:
            return Verdict(count, entry.idx, _("envelope bytes do not match their digest"))
        expected = _chain(previous, entry.idx, entry.rid, entry.env_sha256, entry.received_at)
        if expected != entry.chain_hash:
            return Verdict(count, entry.idx, _("chain hash does not follow from the previous row"))
        previous, expected_idx = entry.chain_hash, expected_idx + 1
    head = db.session.get(LedgerHead, HEAD_ID)
    if head is not None and (head.idx, head.chain_hash) != (expected_idx - 1, previous):
        return Verdict(count, expected_idx, _("the chain head does not match the last row: rows deleted at the end"))
    return Verdict(count)
