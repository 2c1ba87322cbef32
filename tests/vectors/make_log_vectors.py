"""Writes tests/vectors/log-vectors.json ONCE; never run by the tests.

The transparency log's byte formats (PROTOCOL.md §9) as a client must reproduce them: leaf
inputs and hashes of ledger rows, tree-head and restore-declaration messages with their
signatures, and a small log with a receipt's inclusion proof and a consistency proof, as
push answers carry them. Built from PROTOCOL.md's definitions with hashlib, pyca's ECDSA and
pymerkle 7.0.0 for the tree (not this project's code); signed with the signing test key of
protocol-vectors.json. Checked by tests/test_protocol_vectors.py and pwa/test/protocol.test.js.

    /tmp/pm/bin/pip install pymerkle==7.0.0 cryptography    (see make_merkle_vectors.py)
    /tmp/pm/bin/python tests/vectors/make_log_vectors.py [--force]
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
from pymerkle import InmemoryTree

HERE = Path(__file__).parent
TARGET = HERE / "log-vectors.json"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64d(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(key, message):
    r, s = decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def leaf_input(row, digest):
    fields = [str(row["idx"]), row["rid"], row["device_id"], str(row["seq"]), b64(digest), str(row["received_at_us"]),
              "" if row["clock_offset_ms"] is None else str(row["clock_offset_ms"]), row["status"]]
    return b"wildledger/v1/leaf\x00" + "\n".join(fields).encode()


def main():
    if TARGET.exists() and "--force" not in sys.argv:
        sys.exit(f"{TARGET} exists and is frozen: vectors are written once.")
    protocol = json.loads((HERE / "protocol-vectors.json").read_text())
    signing = ec.derive_private_key(int.from_bytes(b64d(protocol["keys"]["signing"]["private_scalar"]), "big"),
                                    ec.SECP256R1())
    kid = protocol["keys"]["signing"]["kid"]
    device = "5f0c2d7e-8b1a-4c3e-9d2f-6a7b8c9d0e1f"
    statuses = ["received", "received", "conflict", "revoked", "received"]
    rows, tree = [], InmemoryTree(algorithm="sha256")
    for n, status in enumerate(statuses, start=1):
        envelope = {"h": b64(f'{{"v":1,"rid":"00000000-0000-4000-8000-00000000000{n}","seq":{n}}}'.encode()),
                    "ct": b64(hashlib.sha256(b"ct %d" % n).digest() * 3), "sig": b64(hashlib.sha256(b"sig %d" % n).digest() * 2)}
        digest = hashlib.sha256(b"".join(struct.pack(">I", len(p)) + p for p in (b64d(envelope[k]) for k in ("h", "ct", "sig")))).digest()
        row = {"idx": n, "rid": f"00000000-0000-4000-8000-00000000000{n if status != 'conflict' else 1}",
               "device_id": device, "seq": n, "received_at_us": 1764300000123456 + n * 1000,
               "clock_offset_ms": None if n == 4 else -4200 * n, "status": status}
        data = leaf_input(row, digest)
        tree.append_entry(data)
        rows.append({"row": row, "envelope": envelope, "env_sha256": b64(digest), "leaf_input_hex": data.hex(),
                     "leaf_hash": b64(hashlib.sha256(b"\x00" + data).digest())})
        assert tree.get_leaf(n) == hashlib.sha256(b"\x00" + data).digest()

    def head(epoch, size, time_ms):
        root = b64(tree.get_state(size))
        message = b"wildledger/v1/tree-head\x00" + f"{epoch}\n{size}\n{root}\n{time_ms}".encode()
        return {"log": "wildledger", "epoch": epoch, "size": size, "root": root, "time": time_ms, "kid": kid,
                "signature": b64(sign(signing, message)), "message_hex": message.hex()}

    older, newest = head(0, 3, 1764300001000), head(0, 5, 1764300002000)
    path = tree.prove_inclusion(3, 5).serialize()["path"]  # pymerkle counts from 1; path[0] is the leaf
    receipt = {"i": 0, "rid": rows[2]["row"]["rid"], "status": "conflict", "code": "rid_conflict",
               "env_sha256": rows[2]["env_sha256"], "log_index": 3, "leaf": rows[2]["row"],
               "inclusion": [b64(bytes.fromhex(p)) for p in path[1:]]}
    # RFC 6962 PROOF(3, D[5]) = SUBPROOF(3, D[0:4], true) + [MTH(D[4:5])]; SUBPROOF(3, D[0:4], true) =
    # SUBPROOF(1, D[2:4], false) + [MTH(D[0:2])] = [MTH(D[2:3]), MTH(D[3:4]), MTH(D[0:2])].
    leaves = [tree.get_leaf(n) for n in range(1, 6)]
    pair = hashlib.sha256(b"\x01" + leaves[0] + leaves[1]).digest()
    consistency = [b64(leaves[2]), b64(leaves[3]), b64(pair), b64(leaves[4])]
    epoch_message = b"wildledger/v1/log-epoch\x00" + f"1800000000000\n0\n3\n{older['root']}\n1800000000000".encode()
    restored = {"epoch": 1800000000000, "previous": 0, "size": 3, "root": older["root"], "time": 1800000000000,
                "kid": kid, "signature": b64(sign(signing, epoch_message)), "message_hex": epoch_message.hex()}
    vectors = {
        "about": "Frozen vectors of the transparency log (PROTOCOL.md §9): ledger rows as leaves (rows), signed tree "
                 "heads of the log they make at sizes 3 and 5, the answer to a push holding the size-3 head (a "
                 "receipt with its inclusion proof, and the consistency proof 3 -> 5), and a restore declaration. "
                 "Signed with protocol-vectors.json's signing key; tree by pymerkle 7.0.0. Written once by "
                 "make_log_vectors.py.",
        "rows": rows,
        "heads": {"older": older, "newest": newest},
        "answer": {"held": {"epoch": 0, "size": 3}, "receipt": receipt,
                   "log": {"head": {k: v for k, v in newest.items() if k != "message_hex"}, "epochs": [],
                           "consistency_from": 3, "consistency": consistency}},
        "restored": restored,
    }
    TARGET.write_text(json.dumps(vectors, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
