"""Wire schemas of the device API, one per direction (STYLE 3)."""
from marshmallow import Schema, fields, validate

MAX_TS_MS = 253402300799999  # 9999-12-31: beyond this a timestamp is not a time
BASE64URL = validate.Regexp(r"^[A-Za-z0-9_-]{1,64}$")


class EnvelopeSchema(Schema):
    h = fields.String(required=True, metadata={"description": "base64url of the exact header JSON bytes"})
    ct = fields.String(required=True, metadata={"description": "base64url HPKE enc‖ciphertext"})
    sig = fields.String(required=True, metadata={"description": "base64url P1363 ECDSA signature (64 bytes)"})


class HeaderSchema(Schema):
    v = fields.Integer(required=True, validate=validate.Equal(1), strict=True)
    rid = fields.UUID(required=True)
    dev = fields.String(required=True, validate=validate.Length(max=36))
    seq = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**62))
    ts = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=MAX_TS_MS))
    kid = fields.String(required=True, validate=BASE64URL)
    prev = fields.String(required=True, allow_none=True, validate=BASE64URL)


class DocumentSchema(Schema):
    """The record inside the ciphertext, before its form's own schema checks `fields`."""

    form = fields.String(required=True, validate=validate.Length(max=40))
    version = fields.Integer(required=True, strict=True)
    fields_ = fields.Dict(required=True, data_key="fields")
    supersedes = fields.UUID(allow_none=True)
    # The phone's IANA zone when it sealed: header `ts` is UTC, and the officer's local
    # day and hour (Boten is UTC+7, Mohan across the line UTC+8) need the zone to be read back.
    tz = fields.String(allow_none=True, validate=validate.Regexp(r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}$"))
    # How many times the phone's PIN had been reset when it sealed (issue 13): records sealed
    # after a reset no supervisor has confirmed are flagged.
    pin_resets = fields.Integer(strict=True, validate=validate.Range(min=0, max=1_000_000))


class AppStateSchema(Schema):
    """What the phone says about itself with each push, for the supervisor's fleet view."""

    version = fields.String(validate=validate.Length(max=40))
    storage_persistent = fields.Boolean(allow_none=True)
    storage_usage = fields.Integer(validate=validate.Range(min=0), allow_none=True)
    storage_quota = fields.Integer(validate=validate.Range(min=0), allow_none=True)
    pin_resets = fields.Integer(strict=True, validate=validate.Range(min=0, max=1_000_000),
                                metadata={"description": "how many times the phone's PIN was reset"})
    log_alarm = fields.String(validate=validate.Length(max=40), allow_none=True,
                              metadata={"description": "the phone caught the log contradicting itself (PROTOCOL.md §9)"})


class HeldHeadSchema(Schema):
    """The newest tree head the phone has verified: the answer proves consistency from it."""

    epoch = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=2**62))
    size = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=2**62))


class PushRequestSchema(Schema):
    records = fields.List(fields.Nested(EnvelopeSchema), required=True, validate=validate.Length(min=1))
    app = fields.Nested(AppStateSchema)
    log = fields.Nested(HeldHeadSchema, metadata={"description": "the head the phone holds, if any"})


class LeafSchema(Schema):
    idx = fields.Integer()
    rid = fields.String()
    device_id = fields.String()
    seq = fields.Integer()
    received_at_us = fields.Integer()
    clock_offset_ms = fields.Integer(allow_none=True)
    status = fields.String(validate=validate.OneOf(["received", "revoked", "conflict"]))


class ReceiptSchema(Schema):
    i = fields.Integer(metadata={"description": "position in the batch"})
    rid = fields.String(allow_none=True)
    status = fields.String(validate=validate.OneOf(["accepted", "duplicate", "conflict", "quarantined", "refused"]),
                           metadata={"description": "refused: not stored; the phone keeps the envelope"})
    code = fields.String(allow_none=True)
    message = fields.String(allow_none=True)
    env_sha256 = fields.String(allow_none=True)
    log_index = fields.Integer(allow_none=True, metadata={"description": "the ledger row; leaf index + 1"})
    leaf = fields.Nested(LeafSchema, metadata={"description": "the row's other columns, to recompute the leaf"})
    inclusion = fields.List(fields.String(), metadata={"description": "audit path to the answer's head"})


class TreeHeadSchema(Schema):
    log = fields.String()
    epoch = fields.Integer()
    size = fields.Integer()
    root = fields.String()
    time = fields.Integer()
    kid = fields.String()
    signature = fields.String()


class LogEpochSchema(TreeHeadSchema):
    """A restore declaration: signed like a head, naming the epoch it follows."""

    class Meta:
        exclude = ("log",)

    previous = fields.Integer()


class LogViewSchema(Schema):
    head = fields.Nested(TreeHeadSchema)
    epochs = fields.List(fields.Nested(LogEpochSchema), metadata={"description": "restores since the held epoch"})
    consistency_from = fields.Integer(allow_none=True)
    consistency = fields.List(fields.String(), allow_none=True,
                              metadata={"description": "from consistency_from to head.size; null: none possible"})


class LogArgsSchema(Schema):
    epoch = fields.Integer(validate=validate.Range(min=0, max=2**62))
    size = fields.Integer(validate=validate.Range(min=0, max=2**62))


class PushResponseSchema(Schema):
    receipts = fields.List(fields.Nested(ReceiptSchema))
    missing = fields.List(fields.Integer(), metadata={"description": "sequence numbers never received"})
    server_time = fields.Integer()
    log = fields.Nested(LogViewSchema)


class EnrollRequestSchema(Schema):
    token = fields.String(required=True, validate=validate.Length(min=16, max=128))
    public_key = fields.String(required=True, validate=validate.Length(max=200),
                               metadata={"description": "base64url uncompressed P-256 point"})
    proof = fields.String(required=True, validate=validate.Length(max=200),
                          metadata={"description": "signature of the enroll message by the device key"})


class ServerKeySchema(Schema):
    kid = fields.String()
    purpose = fields.String()
    public_key = fields.String()
    fingerprint = fields.String()


class EnrollResponseSchema(Schema):
    device_id = fields.String()
    agency = fields.Dict()
    officer_name = fields.String(allow_none=True)
    intake_keys = fields.List(fields.Nested(ServerKeySchema))
    signing_key = fields.Nested(ServerKeySchema)
    server_time = fields.Integer()


class PullArgsSchema(Schema):
    since = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2**62),
                           metadata={"description": "the checkpoint of the previous pull; 0 to start over"})
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=1000))
    history = fields.String(validate=validate.Regexp(r"^[0-9a-f]{32}$"),
                            metadata={"description": "the history of that checkpoint; required with since > 0"})


class PullItemSchema(Schema):
    key = fields.String()
    version = fields.Integer()
    data = fields.Dict()


class TombstoneSchema(Schema):
    key = fields.String()
    version = fields.Integer()


class PullResponseSchema(Schema):
    """Signed as a whole by Wl-Server-Signature, so the signature covers collection,
    history, since, checkpoint, items and tombstones; the phone checks that collection and
    since are the ones it asked for."""

    collection = fields.String()
    history = fields.String(metadata={"description": "send back with the checkpoint"})
    since = fields.Integer()
    checkpoint = fields.Integer(metadata={"description": "send as `since` next time"})
    more = fields.Boolean(metadata={"description": "more changes are waiting: pull again now"})
    items = fields.List(fields.Nested(PullItemSchema))
    tombstones = fields.List(fields.Nested(TombstoneSchema))


# -- OpenAPI: the signing scheme and its headers (PROTOCOL.md §4–§5) ------------------------

SECURITY_SCHEMES = {
    "deviceSignature": {
        "type": "apiKey", "in": "header", "name": "Wl-Signature",
        "description": (
            "Every device request is signed by the device key enrolled for Wl-Device (ECDSA P-256, SHA-256, "
            "P1363 r||s, base64url) over 'wildledger/v1/request\\0' followed by the UTF-8 lines METHOD, path with "
            "query, Wl-Timestamp, Wl-Clock-Offset, Wl-Nonce and the hex SHA-256 of the body, joined by '\\n'. "
            "Every answer carries Wl-Answer-Signature, bound to the request's nonce, method and path, the status, "
            "the server time and the body. PROTOCOL.md is the contract; tests/vectors/protocol-vectors.json holds "
            "its test vectors."),
    },
    "bearerToken": {"type": "http", "scheme": "bearer",
                    "description": "A read-API token from `flask users token NAME` (wlu_…)."},
}


def _header(name, description, pattern=None, required=True):
    schema = {"type": "string", **({"pattern": pattern} if pattern else {})}
    return {"in": "header", "name": name, "required": required, "schema": schema, "description": description}


DEVICE_HEADERS = [
    _header("Wl-Device", "the device id from enrollment", r"^[0-9a-f-]{36}$"),
    _header("Wl-Timestamp", "the phone's clock plus Wl-Clock-Offset, in ms since the epoch", r"^[0-9]{1,16}$"),
    _header("Wl-Clock-Offset", "ms the phone adds to its clock (learned from 401 clock_skew); 0 at first",
            r"^-?[0-9]{1,16}$", required=False),
    _header("Wl-Nonce", "8–64 base64url characters, never reused by this device", r"^[A-Za-z0-9_-]{8,64}$"),
]
ENROLL_HEADERS = [_header("Wl-Nonce", "a fresh random nonce: the answer's signature is bound to it",
                          r"^[A-Za-z0-9_-]{8,64}$", required=False)]
ANSWER_HEADERS = {
    "Wl-Answer-Signature": {
        "description": "'<kid>.<server time ms>.<base64url signature>' by the server signing key over "
                       "'wildledger/v2/answer\\0' and the lines nonce, METHOD, path, status, time, hex SHA-256 "
                       "of the body (PROTOCOL.md §5)", "schema": {"type": "string"}},
    "Wl-Server-Signature": {
        "description": "legacy, during the upgrade transition: '<kid>.<signature>' over "
                       "'wildledger/v1/response\\0' and the SHA-256 of the body; never on 403 or 410",
        "schema": {"type": "string"}},
}
