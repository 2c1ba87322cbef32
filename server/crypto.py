"""Every cryptographic operation of the server, and of the Python device simulator.

PROTOCOL.md is the contract these functions implement, with test vectors that this module
and the app's pwa/src/crypto.js both check (tests/vectors/protocol-vectors.json).

Nothing else imports cryptography primitives (tests/test_crypto_boundary.py checks).
Callers get narrow verbs: seal, open, verify, sign, wrap. Every failure raises one
exception type, CryptoError, whose .code is a stable problem code from errors.py.

Suite (DESIGN §2, RFC 9180): HPKE base mode, DHKEM(P-256, HKDF-SHA256), HKDF-SHA256,
AES-128-GCM; single-shot, so the header is bound by putting its hash in `info`.
Signatures: ECDSA P-256 / SHA-256 in the IEEE P1363 form WebCrypto produces (r‖s,
64 bytes); pyca verifies DER, so we convert and refuse any other length.

Envelope, as the phone builds it:
    header  exact UTF-8 JSON bytes {v, rid, dev, seq, ts, kid, prev}
    ct      HPKE(intake key, info=INFO‖SHA256(header), inner_sig ‖ content)
            inner_sig = Sign(device, INNER ‖ SHA256(header) ‖ SHA256(content))
    sig     Sign(device, OUTER ‖ SHA256(header) ‖ SHA256(ct))
The outer signature lets the server reject forgeries before decrypting; the inner one
attests the content itself, for whoever opens it later.
"""
import base64
import hashlib
import json
import os
import re
import secrets
import struct

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, hpke, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

OUTER = b"wildledger/v1/outer\x00"
INNER = b"wildledger/v1/inner\x00"
INFO = b"wildledger/v1/record\x00"
REQUEST = b"wildledger/v1/request\x00"
ENROLL = b"wildledger/v1/enroll\x00"
RESPONSE = b"wildledger/v1/response\x00"  # the legacy answer signature: body only
ANSWER = b"wildledger/v2/answer\x00"  # the answer signature bound to its request (PROTOCOL.md §5)
LEAF = b"wildledger/v1/leaf\x00"  # a ledger row as a transparency-log leaf (PROTOCOL.md §9)
TREE_HEAD = b"wildledger/v1/tree-head\x00"
LOG_EPOCH = b"wildledger/v1/log-epoch\x00"
ANCHOR = b"wildledger/v1/audit-anchor\x00"  # the audit log's head as a leaf of the log
KEK_AAD = b"wildledger/v1/kek\x00"

SIGNATURE_LENGTH = 64
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_SUITE = hpke.Suite(hpke.KEM.P256, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_128_GCM)
_ECDSA = ec.ECDSA(hashes.SHA256())


class CryptoError(Exception):
    """The one failure type; `code` is a problem code (errors.py)."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


# -- encodings -------------------------------------------------------------------

def compact_json(value) -> bytes:
    """JSON as a device writes a header, a document or a body: no spaces, UTF-8."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64d(text: str) -> bytes:
    if not isinstance(text, str) or not _BASE64URL.fullmatch(text):
        raise CryptoError("malformed_envelope")
    try:
        # Strict: characters outside the alphabet are an error, not silently skipped.
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except ValueError as error:
        raise CryptoError("malformed_envelope") from error


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def random_token(nbytes=24) -> str:
    return secrets.token_urlsafe(nbytes)


def hash_secret(token: str) -> str:
    """Tokens are high-entropy, so a plain SHA-256 is the right storage hash."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def secrets_equal(a: str, b: str) -> bool:
    return secrets.compare_digest(a, b)


# -- keys --------------------------------------------------------------------------

def generate_key():
    return ec.generate_private_key(ec.SECP256R1())


def public_raw(private_key) -> bytes:
    """Uncompressed point, 65 bytes: what WebCrypto's exportKey("raw") gives."""
    return private_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def load_public(raw: bytes):
    try:
        if len(raw) != 65:
            raise ValueError("not an uncompressed P-256 point")
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError as error:
        raise CryptoError("bad_public_key") from error


def fingerprint(raw_public: bytes) -> str:
    return b64e(sha256(raw_public))


def key_id(raw_public: bytes) -> str:
    return fingerprint(raw_public)[:16]


def private_to_bytes(private_key) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def private_from_bytes(data: bytes):
    return serialization.load_der_private_key(data, password=None)


# -- signatures ----------------------------------------------------------------------

def sign(private_key, message: bytes) -> bytes:
    r, s = decode_dss_signature(private_key.sign(message, _ECDSA))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def verify(raw_public: bytes, message: bytes, signature: bytes):
    if len(signature) != SIGNATURE_LENGTH:
        raise CryptoError("bad_signature_length")
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        load_public(raw_public).verify(der, message, _ECDSA)
    except InvalidSignature as error:
        raise CryptoError("bad_signature") from error


# -- sealed records ------------------------------------------------------------------

def envelope_digest(header: bytes, ct: bytes, sig: bytes) -> bytes:
    """Length-prefixed, so no two different envelopes share a digest."""
    return sha256(b"".join(struct.pack(">I", len(part)) + part for part in (header, ct, sig)))


def seal_record(device_key, intake_public_raw: bytes, header: bytes, content: bytes):
    """Device side (the simulator); the PWA does the same in pwa/src/crypto."""
    header_hash = sha256(header)
    inner = sign(device_key, INNER + header_hash + sha256(content))
    ct = _SUITE.encrypt(inner + content, load_public(intake_public_raw), INFO + header_hash)
    return ct, sign(device_key, OUTER + header_hash + sha256(ct))


def verify_envelope(device_public_raw: bytes, header: bytes, ct: bytes, sig: bytes):
    verify(device_public_raw, OUTER + sha256(header) + sha256(ct), sig)


def open_record(intake_private_key, device_public_raw: bytes, header: bytes, ct: bytes) -> bytes:
    return open_signed_record(intake_private_key, device_public_raw, header, ct)[1]


def open_signed_record(intake_private_key, device_public_raw: bytes, header: bytes, ct: bytes):
    """(inner signature, content): evidence keeps the signature, which attests the content
    to whoever holds the device's public key, without the intake key."""
    header_hash = sha256(header)
    try:
        plaintext = _SUITE.decrypt(ct, intake_private_key, INFO + header_hash)
    except (InvalidTag, ValueError) as error:
        raise CryptoError("decrypt_failed") from error
    inner, content = plaintext[:SIGNATURE_LENGTH], plaintext[SIGNATURE_LENGTH:]
    try:
        verify(device_public_raw, INNER + header_hash + sha256(content), inner)
    except CryptoError as error:
        raise CryptoError("inner_signature_invalid") from error
    return inner, content


# -- requests ------------------------------------------------------------------------

def request_message(method, path, timestamp_ms, offset_ms, nonce, body: bytes) -> bytes:
    fields = [method.upper(), path, str(timestamp_ms), str(offset_ms), nonce, sha256(body).hex()]
    return REQUEST + "\n".join(fields).encode("utf-8")


def enroll_message(token: str) -> bytes:
    return ENROLL + token.encode("utf-8")


def response_message(body: bytes) -> bytes:
    """Legacy (v1): a signature over the body alone can be replayed to any request."""
    return RESPONSE + sha256(body)


def answer_message(nonce, method, path, status, time_ms, body: bytes) -> bytes:
    """What a device-API answer's signature covers: the request it answers (its nonce,
    method and path), the status, the server's time and the body. `nonce` is "" when the
    request carried none that could be read."""
    fields = [nonce, method.upper(), path, str(status), str(time_ms), sha256(body).hex()]
    return ANSWER + "\n".join(fields).encode("utf-8")


# -- the transparency log (PROTOCOL.md §9) -------------------------------------------------

def leaf_input(idx, rid, device_id, seq, env_sha256: bytes, received_at_us, clock_offset_ms, status) -> bytes:
    """Every column of a ledger row but the envelope bytes, which env_sha256 stands for."""
    fields = [str(idx), rid, device_id, str(seq), b64e(env_sha256), str(received_at_us),
              "" if clock_offset_ms is None else str(clock_offset_ms), status]
    return LEAF + "\n".join(fields).encode("utf-8")


def tree_head_message(epoch, size, root: bytes, time_ms) -> bytes:
    return TREE_HEAD + f"{epoch}\n{size}\n{b64e(root)}\n{time_ms}".encode("ascii")


def log_epoch_message(epoch, previous, size, root: bytes, time_ms) -> bytes:
    return LOG_EPOCH + f"{epoch}\n{previous}\n{size}\n{b64e(root)}\n{time_ms}".encode("ascii")


def anchor_statement(audit_seq, audit_hash: bytes, time_ms) -> bytes:
    """The header of an audit anchor row; the server signs ANCHOR ‖ statement."""
    return json.dumps({"audit_seq": audit_seq, "audit_hash": b64e(audit_hash), "time": time_ms},
                      separators=(",", ":")).encode("ascii")


# -- key encryption at rest ---------------------------------------------------------

class KeyEncryptionKey:
    """AES-256-GCM key read from a file outside the database and the instance folder."""

    def __init__(self, key: bytes):
        self._aead = AESGCM(key)

    @classmethod
    def load_or_create(cls, path, create=False):
        try:
            with open(path, "rb") as handle:
                key = b64d(handle.read().decode("ascii").strip())
        except FileNotFoundError:
            if not create:
                raise
            key = AESGCM.generate_key(bit_length=256)
            os.makedirs(os.path.dirname(os.path.abspath(path)), mode=0o700, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(b64e(key) + "\n")
        if len(key) != 32:
            raise CryptoError("bad_kek")
        return cls(key)

    def wrap(self, plaintext: bytes, label: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, plaintext, KEK_AAD + label.encode())

    def unwrap(self, blob: bytes, label: str) -> bytes:
        try:
            return self._aead.decrypt(blob[:12], blob[12:], KEK_AAD + label.encode())
        except InvalidTag as error:
            raise CryptoError("wrong_kek") from error


# -- database dumps, encrypted to an offline key (age, RFC-less but widely read: age-encryption.org) --

def age_recipients(text):
    """age X25519 recipients (age1…), one per line; # comments and blank lines skipped."""
    import pyrage

    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    try:
        recipients = [pyrage.x25519.Recipient.from_str(line) for line in lines]
    except pyrage.RecipientError as error:
        raise CryptoError("bad_recipient") from error
    if not recipients:
        raise CryptoError("bad_recipient")
    return recipients


def age_encrypt(reader, writer, recipients):
    import pyrage

    pyrage.encrypt_io(reader, writer, recipients)


def age_decrypt(reader, writer, identity_text):
    import pyrage

    try:
        identities = [pyrage.x25519.Identity.from_str(line.strip()) for line in identity_text.splitlines()
                      if line.strip().startswith("AGE-SECRET-KEY-")]
        pyrage.decrypt_io(reader, writer, identities)
    except (pyrage.IdentityError, pyrage.DecryptError) as error:
        raise CryptoError("backup_unreadable") from error


def age_keygen():
    """(identity text, recipient text): the identity goes offline, the recipient to the host."""
    import pyrage

    identity = pyrage.x25519.Identity.generate()
    return str(identity), str(identity.to_public())


# -- passphrase-protected backups -------------------------------------------------------

_SCRYPT = {"n": 2**15, "r": 8, "p": 1}
# What a backup may ask of the restoring host: never weaker than today's (existing backups
# use exactly it), never so costly that a crafted file exhausts the server (scrypt needs
# 128·n·r bytes: 1 GiB at the ceiling).
_SCRYPT_FLOOR = {"n": 2**15, "r": 8, "p": 1}
_SCRYPT_CEILING = {"n": 2**20, "r": 8, "p": 4}


def _passphrase_key(passphrase: str, salt: bytes, n, r, p) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def export_backup(payload: dict, passphrase: str) -> bytes:
    salt, nonce = os.urandom(16), os.urandom(12)
    key = _passphrase_key(passphrase, salt, **_SCRYPT)
    ct = AESGCM(key).encrypt(nonce, json.dumps(payload).encode("utf-8"), b"wildledger-keys-backup/1")
    document = {"format": "wildledger-keys-backup", "version": 1, "kdf": "scrypt", **_SCRYPT,
                "salt": b64e(salt), "nonce": b64e(nonce), "ciphertext": b64e(ct)}
    return json.dumps(document, indent=2).encode("utf-8")


def import_backup(blob: bytes, passphrase: str) -> dict:
    try:
        document = json.loads(blob)
        if document.get("format") != "wildledger-keys-backup" or document.get("version") != 1:
            raise ValueError("not a Wildledger key backup")
        params = {name: document[name] for name in _SCRYPT}
        if not all(isinstance(value, int) and _SCRYPT_FLOOR[name] <= value <= _SCRYPT_CEILING[name]
                   for name, value in params.items()) or params["n"] & (params["n"] - 1):
            raise CryptoError("backup_parameters")
        key = _passphrase_key(passphrase, b64d(document["salt"]), document["n"], document["r"], document["p"])
        plaintext = AESGCM(key).decrypt(b64d(document["nonce"]), b64d(document["ciphertext"]),
                                        b"wildledger-keys-backup/1")
    except (ValueError, KeyError, TypeError, InvalidTag, CryptoError) as error:
        if getattr(error, "code", None) == "backup_parameters":
            raise
        raise CryptoError("backup_unreadable") from error
    return json.loads(plaintext)
