"""The phone's crypto module (pwa/src/crypto.js, run in Node's WebCrypto) against the
server's (server/crypto.py): envelopes, request and enrollment signatures, and answers
signed by the server must be byte-compatible in both directions."""
import json
import subprocess
from pathlib import Path

from server import crypto

PWA = Path(__file__).resolve().parents[2] / "pwa"


def test_envelopes_and_signatures_made_in_javascript_verify_in_python():
    intake = crypto.generate_key()
    signing = crypto.generate_key()
    header = json.dumps({"v": 1, "rid": "0b6f3c1e-9a53-4bb8-8d0e-1f2a3b4c5d6e", "dev": "d", "seq": 1,
                         "ts": 1764300000000, "kid": "k", "prev": None}, separators=(",", ":"))
    content = json.dumps({"form": "seizure", "fields": {"narrative": "Vảy tê tê 穿山甲片 ເກັດລິ່ນ"}},
                         ensure_ascii=False, separators=(",", ":"))
    body = '{"records":[]}'
    response_body = '{"receipts":[],"note":"tê tê"}'
    request = {"method": "post", "path": "/api/v1/sync/push?x=1", "ts": 1764300000123, "offset": -42,
               "nonce": "n0nce-value", "body": body}
    answer = subprocess.run(
        ["node", str(PWA / "scripts" / "interop.mjs")], cwd=PWA, check=True, capture_output=True, text=True,
        input=json.dumps({
            "intake_public": crypto.b64e(crypto.public_raw(intake)), "header": header, "content": content,
            "token": "enrollment-token-1234", "request": request,
            "response": {"key": crypto.b64e(crypto.public_raw(signing)), "body": response_body,
                         "header": "kid." + crypto.b64e(crypto.sign(
                             signing, crypto.response_message(response_body.encode())))},
        }))
    out = json.loads(answer.stdout)
    device_public = crypto.b64d(out["device_public"])
    header_bytes, ct, sig = header.encode(), crypto.b64d(out["ct"]), crypto.b64d(out["sig"])

    assert out["device_fingerprint"] == crypto.fingerprint(device_public)
    crypto.verify_envelope(device_public, header_bytes, ct, sig)
    assert crypto.open_record(intake, device_public, header_bytes, ct).decode() == content
    assert crypto.b64d(out["digest"]) == crypto.envelope_digest(header_bytes, ct, sig)
    crypto.verify(device_public, crypto.request_message("POST", request["path"], request["ts"], request["offset"],
                                                        request["nonce"], body.encode()),
                  crypto.b64d(out["request_signature"]))
    crypto.verify(device_public, crypto.enroll_message("enrollment-token-1234"), crypto.b64d(out["enroll_proof"]))
    assert out["response_ok"] is True
    assert out["response_tampered"] is False
