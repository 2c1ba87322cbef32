"""Writes tests/vectors/protocol-vectors.json ONCE; never run by the tests.

The vectors pin the device protocol (PROTOCOL.md) for every client: the server's tests
(tests/test_protocol_vectors.py) and the app's (pwa/test/protocol.test.js) check them.
This script builds them from PROTOCOL.md's definitions with hashlib and pyca's primitives
directly, not through server/crypto.py or pwa/src/crypto.js, so the code under test never
writes what it is checked against. ECDSA signatures and HPKE ciphertexts are random:
they are verify/open vectors, committed once. Keys here are test keys, used nowhere else.

    .venv/bin/python tests/vectors/make_protocol_vectors.py [--force]
"""
import base64
import hashlib
import json
import struct
import sys
from pathlib import Path

from cryptography.hazmat.primitives import hashes, hpke, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

TARGET = Path(__file__).with_name("protocol-vectors.json")


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sha(data):
    return hashlib.sha256(data).digest()


def sign(key, message):
    r, s = decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def key_vector(key):
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    fingerprint = b64(sha(public))
    return {"private_scalar": b64(key.private_numbers().private_value.to_bytes(32, "big")),
            "public": b64(public), "fingerprint": fingerprint, "kid": fingerprint[:16]}


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def digest(header, ct, sig):
    return sha(b"".join(struct.pack(">I", len(part)) + part for part in (header, ct, sig)))


def main():
    if TARGET.exists() and "--force" not in sys.argv:
        sys.exit(f"{TARGET} exists and is frozen: vectors are written once.")
    device, signing, intake = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    keys = {"device": key_vector(device), "signing": key_vector(signing), "intake": key_vector(intake)}
    suite = hpke.Suite(hpke.KEM.P256, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_128_GCM)
    device_id = "5f0c2d7e-8b1a-4c3e-9d2f-6a7b8c9d0e1f"

    envelopes, prev = [], None
    for seq, (rid, ts, document) in enumerate([
        ("0b6f3c1e-9a53-4bb8-8d0e-1f2a3b4c5d6e", 1764300000000,
         {"form": "seizure", "version": 1, "fields": {"date": "2026-11-28", "narrative": "Vảy tê tê 穿山甲片 ເກັດລີ່ນ"},
          "tz": "Asia/Ho_Chi_Minh"}),
        ("7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", 1764300060000,
         {"form": "market_observation", "version": 1, "fields": {"notes": "ຕະຫຼາດເຊົ້າ"},
          "supersedes": "0b6f3c1e-9a53-4bb8-8d0e-1f2a3b4c5d6e", "tz": "Asia/Vientiane"}),
    ], start=1):
        fields = {"v": 1, "rid": rid, "dev": device_id, "seq": seq, "ts": ts, "kid": keys["intake"]["kid"], "prev": prev}
        header, content = compact(fields), compact(document)
        inner = sign(device, b"wildledger/v1/inner\x00" + sha(header) + sha(content))
        ct = suite.encrypt(inner + content, intake.public_key(), b"wildledger/v1/record\x00" + sha(header))
        sig = sign(device, b"wildledger/v1/outer\x00" + sha(header) + sha(ct))
        envelope_digest = digest(header, ct, sig)
        envelopes.append({"header_fields": fields, "header": header.decode(), "header_sha256_hex": sha(header).hex(),
                          "content": content.decode(), "h": b64(header), "ct": b64(ct), "sig": b64(sig),
                          "digest": b64(envelope_digest)})
        prev = b64(envelope_digest)

    body = compact({"records": [{k: e[k] for k in ("h", "ct", "sig")} for e in envelopes]})
    path, nonce, timestamp, offset = "/api/v1/sync/push", "q3Zx-9_Ab1cD2eF3gH4iJ5kL", 1764300000123, -4200
    request = ("\n".join(["POST", path, str(timestamp), str(offset), nonce, sha(body).hex()])).encode()
    request_message = b"wildledger/v1/request\x00" + request
    request_signature = sign(device, request_message)

    token = "Jm3n0pQrStUvWxYz0123456789abcdef"
    enroll_message = b"wildledger/v1/enroll\x00" + token.encode()

    answer_body = compact({"receipts": [], "missing": [], "server_time": 1764300000456})
    answers = []
    for nonce_, method, path_, status, time_ms, body_ in [
        (nonce, "POST", path, 200, 1764300000456, answer_body),
        ("Rr7-enroll_nonce_0001", "POST", "/api/v1/enroll", 201, 1764300000999, compact({"device_id": device_id})),
        ("k2-pull-nonce_xyz", "GET", "/api/v1/sync/pull/keys?since=0&limit=500", 410, 1764300001000,
         compact({"code": "checkpoint_expired", "status": 410})),
        ("", "POST", "/api/v1/sync/push", 401, 1764300001001, compact({"code": "auth_required", "status": 401})),
    ]:
        message = b"wildledger/v2/answer\x00" + "\n".join(
            [nonce_, method, path_, str(status), str(time_ms), sha(body_).hex()]).encode()
        answers.append({"nonce": nonce_, "method": method, "path": path_, "status": status, "time_ms": time_ms,
                        "body": body_.decode(), "message_hex": message.hex(),
                        "header_value": f"{keys['signing']['kid']}.{time_ms}.{b64(sign(signing, message))}"})
    legacy_message = b"wildledger/v1/response\x00" + sha(answer_body)

    vectors = {
        "about": "Frozen test vectors of PROTOCOL.md. Byte strings are base64url without padding (b64u) unless "
                 "named *_hex; text is UTF-8. Signatures and ciphertexts are random: verify or open them, never "
                 "compare. Checked by tests/test_protocol_vectors.py and pwa/test/protocol.test.js.",
        "keys": keys,
        "base64url": [{"hex": data.hex(), "b64u": b64(data)} for data in
                      (b"", b"\xfb", b"\xfb\xff", b"\xfb\xff\xbf", bytes(range(0, 256, 7)))],
        "envelopes": envelopes,
        "request": {"method": "POST", "path": path, "timestamp_ms": timestamp, "offset_ms": offset, "nonce": nonce,
                    "body": body.decode(), "body_sha256_hex": sha(body).hex(), "message_hex": request_message.hex(),
                    "headers": {"Wl-Device": device_id, "Wl-Timestamp": str(timestamp), "Wl-Clock-Offset": str(offset),
                                "Wl-Nonce": nonce, "Wl-Signature": b64(request_signature)}},
        "enroll": {"token": token, "message_hex": enroll_message.hex(), "proof": b64(sign(device, enroll_message)),
                   "public_key": keys["device"]["public"]},
        "answers": answers,
        "legacy_answer": {"body": answer_body.decode(), "message_hex": legacy_message.hex(),
                          "header_value": f"{keys['signing']['kid']}.{b64(sign(signing, legacy_message))}"},
    }
    TARGET.write_text(json.dumps(vectors, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
