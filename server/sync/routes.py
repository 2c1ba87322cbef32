"""Device API: enroll, push, pull. HTTP only; the work is in devices.service and intake."""
import functools

from flask import after_this_request, current_app, g, request
from flask_smorest import Blueprint

from .. import crypto
from ..devices import service as devices
from ..errors import ApiError
from ..extensions import db
from ..i18n import LOCALES
from ..keys import service as keys
from ..reference import publish
from . import intake
from .schemas import (
    ANSWER_HEADERS,
    DEVICE_HEADERS,
    ENROLL_HEADERS,
    EnrollRequestSchema,
    EnrollResponseSchema,
    LogArgsSchema,
    LogViewSchema,
    PullArgsSchema,
    PullResponseSchema,
    PushRequestSchema,
    PushResponseSchema,
)

blp = Blueprint("sync", __name__, url_prefix="/api/v1", description="Device enrollment and sync")


def device_required(view):
    """Authenticate the device before the body is parsed, so an unsigned request is
    refused as such and nothing it sent is read or stored."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        g.device, g.clock_offset_ms = devices.authenticate(request)
        device_id, offset = g.device.id, g.clock_offset_ms
        try:
            answer = view(*args, **kwargs)
        except Exception:
            devices.keep_nonce(device_id, request.headers[devices.H_NONCE], offset)
            raise
        db.session.commit()  # the nonce and last contact, if the view committed nothing after them
        return answer

    return wrapper


# Answers whose status makes a phone erase or start over: never signed the legacy way,
# since a body-only signature could be replayed to every phone (PROTOCOL.md §5).
_ACTIONABLE = {403, 410}


@blp.after_request
def sign_answer(response):
    """Every answer is signed over the request it answers (PROTOCOL.md §5). Phones pin the
    signing key at enrollment and take an answer they cannot check as no answer: without
    a usable key the answer goes out unsigned and phones retry later."""
    body = response.get_data()
    try:
        response.headers[devices.H_ANSWER] = keys.sign_answer(
            devices.request_nonce(request), request.method, devices.signed_path(request),
            response.status_code, body, intake.server_time_ms())
        if current_app.config["LEGACY_ANSWER_SIGNATURE"] and response.status_code not in _ACTIONABLE:
            response.headers[devices.H_LEGACY_ANSWER] = keys.sign_response(body)
    except keys.KeyCustodyError:
        current_app.logger.exception("answer left unsigned: no usable signing key")
    return response


_DEVICE_SECURITY = [{"deviceSignature": []}]


@blp.route("/enroll", methods=["POST"], parameters=ENROLL_HEADERS)
@blp.arguments(EnrollRequestSchema)
@blp.response(201, EnrollResponseSchema, headers=ANSWER_HEADERS)
def enroll(args):
    try:
        public_key, proof = crypto.b64d(args["public_key"]), crypto.b64d(args["proof"])
    except crypto.CryptoError as error:
        raise ApiError("bad_public_key") from error
    device = devices.enroll(args["token"], public_key, proof)
    agency = device.agency
    return {
        "device_id": device.id,
        "agency": {"code": agency.code, "country": agency.country,
                   "names": {locale: agency.name(locale) for locale in LOCALES}},
        "officer_name": device.officer_name,
        "intake_keys": [keys.describe(row) for row in keys.intake_keys()],
        "signing_key": keys.describe(keys.signing_key()),
        "server_time": intake.server_time_ms(),
    }


@blp.route("/sync/push", methods=["POST"], parameters=DEVICE_HEADERS)
@blp.doc(security=_DEVICE_SECURITY)
@device_required
@blp.arguments(PushRequestSchema)
@blp.response(200, PushResponseSchema, headers=ANSWER_HEADERS)
def push(args):
    # The device, its agency and the rows this push writes stay loaded across its commits
    # instead of being read again after each: nothing else in the request changes them.
    db.session().expire_on_commit = False
    if len(args["records"]) > current_app.config["MAX_BATCH_RECORDS"]:
        raise ApiError("batch_too_large", max_records=current_app.config["MAX_BATCH_RECORDS"])
    raw = request.get_json()["records"]  # verbatim, so quarantine keeps exactly what came
    if args.get("app") and g.device.active:
        devices.note_app_state(g.device, args["app"], commit=False)  # committed with the ledger rows
    # The answer is read in the filing's transaction, which device_required commits: the
    # log it proves from was committed before any filing began, and a push costs two
    # transactions, not three.
    result = intake.receive(g.device, raw, g.clock_offset_ms, commit=False)
    if any(receipt.status == "accepted" for receipt in result.receipts):
        after_this_request(_resolve_after_commit)
    receipts, log = intake.answer(result.receipts, args.get("log"))
    if result.revoked:
        db.session.commit()  # what intake kept; the refusal below would roll it back
        raise ApiError("device_revoked", receipts=receipts, log=log)
    return {"receipts": receipts, "missing": intake.missing_seqs(g.device.id), "server_time": intake.server_time_ms(),
            "log": log}


def _resolve_after_commit(response):
    """What was filed is committed by now: entity resolution follows on the task queue."""
    from ..intel import service as intel

    intel.after_filing()
    return response


@blp.route("/sync/log", methods=["GET"], parameters=DEVICE_HEADERS)
@blp.doc(security=_DEVICE_SECURITY)
@device_required
@blp.arguments(LogArgsSchema, location="query")
@blp.response(200, LogViewSchema, headers=ANSWER_HEADERS)
def log_head(args):
    """The signed tree head, and a consistency proof from the head the phone holds."""
    if g.device.revoked_at is not None:
        raise ApiError("device_revoked")
    held = {"epoch": args["epoch"], "size": args["size"]} if {"epoch", "size"} <= args.keys() else None
    _receipts, log = intake.answer([], held)
    return log


@blp.route("/sync/pull/<string:collection>", methods=["GET"], parameters=[{
    "in": "path", "name": "collection", "required": True,
    "schema": {"type": "string", "enum": sorted(publish.SOURCES)}}, *DEVICE_HEADERS])
@blp.doc(security=_DEVICE_SECURITY)
@device_required
@blp.arguments(PullArgsSchema, location="query")
@blp.response(200, PullResponseSchema, headers=ANSWER_HEADERS)
def pull(args, collection):
    """Changes to a collection since a checkpoint. 410 means: start over from 0."""
    if g.device.revoked_at is not None:
        raise ApiError("device_revoked")
    return publish.pull(collection, args["since"], args["limit"], args.get("history"), g.device)
