#!/usr/bin/env python3
"""Check a Wildledger evidence file (`flask ledger evidence RID --out FILE`) with nothing but
the server's public signing key, as a court's expert would: no Wildledger code, no database,
no network. Needs Python 3.11 and the `cryptography` package; implements PROTOCOL.md §6 and
§9 (RFC 9162 inclusion proofs) on its own.

    python3 tools/verify_evidence.py EVIDENCE.json --key=<server signing key, base64url>
    python3 tools/verify_evidence.py EVIDENCE.json --fingerprint=<its SHA-256 fingerprint>

Exit status 0 and "verified" when every check holds; 1 and the first failure otherwise.
"""
import argparse
import base64
import hashlib
import json
import struct
import sys
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


class Failed(Exception):
    pass


def b64d(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64e(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sha256(data):
    return hashlib.sha256(data).digest()


def verify(public_raw, message, signature, what):
    if len(signature) != 64:
        raise Failed(f"{what}: the signature is not 64 bytes")
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public_raw)
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        key.verify(der, message, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as error:
        raise Failed(f"{what}: the signature does not verify") from error


def node(left, right):
    return sha256(b"\x01" + left + right)


def verify_inclusion(index, size, leaf, proof, root):
    """RFC 9162 §2.1.3.2."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def check(evidence, server_key):
    head = evidence["head"]
    root = b64d(head["root"])
    message = b"wildledger/v1/tree-head\x00" + f"{head['epoch']}\n{head['size']}\n{head['root']}\n{head['time']}".encode()
    verify(server_key, message, b64d(head["signature"]), "the signed tree head")
    by_rid = {}
    for item in evidence["records"]:
        envelope = {k: b64d(item["envelope"][k]) for k in ("h", "ct", "sig")}
        header, leaf = json.loads(envelope["h"]), item["leaf"]
        what = f"record {item['rid']}"
        if (header["rid"], header["dev"], header["seq"]) != (item["rid"], leaf["device_id"], leaf["seq"]) or \
                leaf["rid"] != item["rid"]:
            raise Failed(f"{what}: the ledger row does not name the envelope's record, device and seq")
        digest = sha256(b"".join(struct.pack(">I", len(part)) + part for part in envelope.values()))
        fields = [str(leaf["idx"]), leaf["rid"], leaf["device_id"], str(leaf["seq"]), b64e(digest),
                  str(leaf["received_at_us"]), "" if leaf["clock_offset_ms"] is None else str(leaf["clock_offset_ms"]),
                  leaf["status"]]
        leaf_hash = sha256(b"\x00" + b"wildledger/v1/leaf\x00" + "\n".join(fields).encode())
        if not verify_inclusion(leaf["idx"] - 1, head["size"], leaf_hash, [b64d(p) for p in item["inclusion"]], root):
            raise Failed(f"{what}: not included in the signed tree head")
        device = b64d(item["device_public_key"])
        header_hash, document = sha256(envelope["h"]), b64d(item["document"])
        verify(device, b"wildledger/v1/outer\x00" + header_hash + sha256(envelope["ct"]), envelope["sig"],
               f"{what}: the envelope")
        verify(device, b"wildledger/v1/inner\x00" + header_hash + sha256(document), b64d(item["inner_signature"]),
               f"{what}: the document")
        content = json.loads(document)
        if content.get("supersedes") != item["supersedes"]:
            raise Failed(f"{what}: the document's correction link differs from the file's")
        by_rid[item["rid"]] = content
    if evidence["record"] not in by_rid:
        raise Failed("the record itself is not in the file")
    for rid, content in by_rid.items():
        if content.get("supersedes") and content["supersedes"] not in by_rid:
            raise Failed(f"record {rid} corrects {content['supersedes']}, which the file lacks")
    return by_rid


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("evidence", type=argparse.FileType("r", encoding="utf-8"))
    key = parser.add_mutually_exclusive_group(required=True)
    key.add_argument("--key", help="the server's public signing key, base64url (65 bytes)")
    key.add_argument("--fingerprint", help="its fingerprint, base64url of its SHA-256, to check the key in the file")
    args = parser.parse_args(argv)
    try:
        evidence = json.load(args.evidence)
        if evidence.get("format") != "wildledger-evidence/1":
            raise Failed("not a Wildledger evidence file")
        server_key = b64d(args.key) if args.key else b64d(evidence["server"]["public_key"])
        if args.fingerprint and b64e(sha256(server_key)) != args.fingerprint:
            raise Failed("the file's server key does not have this fingerprint")
        records = check(evidence, server_key)
    except (Failed, KeyError, TypeError, ValueError) as error:
        print(f"NOT verified: {error}")
        return 1
    head = evidence["head"]
    when = datetime.fromtimestamp(head["time"] / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    print(f"verified: {len(records)} record(s), included in the server's log of {head['size']} records "
          f"(epoch {head['epoch']}) as signed at {when}")
    for rid, content in records.items():
        print(f"  {rid}: {content['form']} v{content['version']}"
              + (f", corrects {content['supersedes']}" if content.get("supersedes") else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
