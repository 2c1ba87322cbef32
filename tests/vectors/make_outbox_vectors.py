"""Writes tests/vectors/outbox-vectors.json ONCE; never run by the tests.

A carried-in outbox file (PROTOCOL.md §14) holding the two chained envelopes of
protocol-vectors.json, written from the protocol's definition with json and hashlib (not
this project's code), and the same file damaged in its framing in ways a server must refuse
whole. Checked by tests/test_carried.py and pwa/test/carry.test.js.

    .venv/bin/python tests/vectors/make_outbox_vectors.py [--force]
"""
import base64
import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
TARGET = HERE / "outbox-vectors.json"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def main():
    if TARGET.exists() and "--force" not in sys.argv:
        sys.exit(f"{TARGET} exists: the vectors are frozen (--force to write them again)")
    protocol = json.loads((HERE / "protocol-vectors.json").read_text())
    envelopes = [{"h": e["h"], "ct": e["ct"], "sig": e["sig"]} for e in protocol["envelopes"]]
    dev = protocol["envelopes"][0]["header_fields"]["dev"]
    head = (f'{{"format":"wildledger-outbox","v":1,"dev":"{dev}","count":2,'
            f'"exported_at":1764310000000,"app":"0.5.0"}}')
    head_sha256 = b64(hashlib.sha256(head.encode()).digest())
    lines = [head] + [f'{{"h":"{e["h"]}","ct":"{e["ct"]}","sig":"{e["sig"]}"}}' for e in envelopes]
    lines.append(f'{{"end":2,"head_sha256":"{head_sha256}"}}')
    text = "\n".join(lines) + "\n"
    refused = {
        "a digit of exported_at changed": text.replace("1764310000000", "1764310000001", 1),
        "the end line missing": "\n".join(lines[:-1]) + "\n",
        "no final line feed": text[:-1],
        "an envelope line missing": "\n".join([lines[0], lines[1], lines[3]]) + "\n",
        "count says 3": text.replace('"count":2', '"count":3', 1),
        "a space in the head": text.replace('"v":1', '"v": 1', 1),
        "a key of an envelope line renamed": text.replace('{"h":', '{"H":', 1),
        "CRLF line ends": text.replace("\n", "\r\n"),
        "another format": text.replace("wildledger-outbox", "wildledger-outbix", 1),
    }
    TARGET.write_text(json.dumps({
        "about": "A carried-in outbox file (PROTOCOL.md §14): `file` is its exact text (ASCII); `refused` are "
                 "framing damages a server refuses whole with carried_file_invalid.",
        "dev": dev, "exported_at": 1764310000000, "app": "0.5.0", "envelopes": envelopes,
        "head_sha256": head_sha256, "file": text,
        "refused": [{"why": why, "file": damaged} for why, damaged in refused.items()],
    }, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
