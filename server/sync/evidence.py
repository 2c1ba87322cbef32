"""Evidence for one record (`flask ledger evidence RID`, PROTOCOL.md §9): what a prosecutor
needs to show that the record is what the phone sealed and that the server's log holds it.

For the record and each record of its correction chain (what it corrects, what corrects
it): the sealed envelope as received, the opened document with the device's inner
signature over it, the device's enrolled public key, the ledger row's leaf fields and its
inclusion proof; one signed tree head that every proof is against; the server's public
signing key. tools/verify_evidence.py checks all of it with nothing but that key.
"""
import json

from flask_babel import gettext as _
from sqlalchemy import select

from .. import crypto
from ..devices.models import Device
from ..extensions import db
from ..keys import service as keys
from ..store.models import Record
from . import ledger
from .models import LedgerEntry

FORMAT = "wildledger-evidence/1"


def correction_chain(record):
    """Every record linked to this one by `supersedes`, oldest first."""
    chain, seen = [record], {record.rid}
    earlier = record
    while earlier.supersedes and earlier.supersedes not in seen:
        earlier = db.session.scalar(select(Record).filter_by(rid=earlier.supersedes))
        if earlier is None:
            break
        seen.add(earlier.rid)
        chain.insert(0, earlier)
    frontier = [record]
    while frontier:
        later = db.session.scalars(select(Record).where(Record.supersedes.in_([r.rid for r in frontier]),
                                                        Record.rid.not_in(seen))).all()
        seen.update(r.rid for r in later)
        chain.extend(sorted(later, key=lambda r: r.ledger_idx))
        frontier = later
    return chain


def build(rid, time_ms):
    record = db.session.scalar(select(Record).filter_by(rid=rid))
    if record is None:
        raise LookupError(_("No filed record %(rid)s.", rid=rid))
    chain = correction_chain(record)
    snap = ledger.snapshot()
    paths, _consistency = ledger.proofs(snap, [r.ledger_idx - 1 for r in chain])
    signing = keys.signing_key()
    items = []
    for item in chain:
        entry = db.session.get(LedgerEntry, item.ledger_idx)
        device = db.session.get(Device, entry.device_id)
        header = json.loads(entry.header)
        inner, document = crypto.open_signed_record(keys.intake_private_key(header["kid"]), device.public_key,
                                                    entry.header, entry.ct)
        items.append({
            "rid": item.rid, "supersedes": item.supersedes,
            "envelope": {"h": crypto.b64e(entry.header), "ct": crypto.b64e(entry.ct), "sig": crypto.b64e(entry.sig)},
            "document": crypto.b64e(document), "inner_signature": crypto.b64e(inner),
            "device_public_key": crypto.b64e(device.public_key),
            "leaf": ledger.leaf_fields(entry), "inclusion": [crypto.b64e(h) for h in paths[entry.idx - 1]],
        })
    return {"format": FORMAT, "record": rid,
            "server": {"kid": signing.kid, "public_key": crypto.b64e(signing.public_key),
                       "fingerprint": crypto.fingerprint(signing.public_key)},
            "head": ledger.signed_head(snap, time_ms), "records": items}
