"""Writes tests/vectors/anchor-vectors.json ONCE; never run by the tests.

An audit anchor as the ledger logs it (PROTOCOL.md §9, status `anchor`): the statement, the
server's signature over it, its envelope digest, its leaf input and leaf hash. Built from
PROTOCOL.md's definitions with hashlib and pyca's ECDSA (not this project's code), signed with
the signing test key of protocol-vectors.json. Checked by tests/test_protocol_vectors.py.

    .venv/bin/python tests/vectors/make_anchor_vectors.py [--force]
"""
import base64
import hashlib
import json
import struct
import sys
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

HERE = Path(__file__).parent
TARGET = HERE / "anchor-vectors.json"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64d(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def main():
    if TARGET.exists() and "--force" not in sys.argv:
        sys.exit(f"{TARGET} exists and is frozen: vectors are written once.")
    protocol = json.loads((HERE / "protocol-vectors.json").read_text())
    signing = ec.derive_private_key(int.from_bytes(b64d(protocol["keys"]["signing"]["private_scalar"]), "big"),
                                    ec.SECP256R1())
    audit_hash = hashlib.sha256(b"audit entry 200").digest()
    statement = json.dumps({"audit_seq": 200, "audit_hash": b64(audit_hash), "time": 1764300009000},
                           separators=(",", ":")).encode("ascii")
    r, s = decode_dss_signature(signing.sign(b"wildledger/v1/audit-anchor\x00" + statement, ec.ECDSA(hashes.SHA256())))
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    digest = hashlib.sha256(b"".join(struct.pack(">I", len(p)) + p for p in (statement, b"", signature))).digest()
    row = {"idx": 6, "rid": "00000000-0000-4000-8000-0000000000a6", "device_id": "", "seq": 200,
           "received_at_us": 1764300009000000, "clock_offset_ms": None, "status": "anchor"}
    fields = [str(row["idx"]), row["rid"], row["device_id"], str(row["seq"]), b64(digest), str(row["received_at_us"]),
              "", row["status"]]
    leaf = b"wildledger/v1/leaf\x00" + "\n".join(fields).encode()
    TARGET.write_text(json.dumps({
        "about": "An audit anchor leaf (PROTOCOL.md §9), from the definitions; signing key: protocol-vectors.json.",
        "statement": statement.decode(), "signature": b64(signature), "env_sha256": b64(digest), "row": row,
        "leaf_input_hex": leaf.hex(), "leaf_hash": b64(hashlib.sha256(b"\x00" + leaf).digest()),
    }, indent=1) + "\n")


if __name__ == "__main__":
    main()
