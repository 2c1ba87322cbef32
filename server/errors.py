"""One catalog of problems: every error the server can answer has a stable code, an HTTP
status and a translated message (the ODK Central problem.js idea). Clients switch on
codes; messages are for people. Receipt codes (why a record was quarantined) live here
too, so the PWA can show them in the officer's language.
"""
import logging
from dataclasses import dataclass

from flask import jsonify
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException


@dataclass(frozen=True)
class Problem:
    code: str
    status: int
    message: object  # a lazy string, rendered in the request's locale


_CATALOG = [
    # Requests
    Problem("bad_request", 400, _l("The request could not be read.")),
    Problem("invalid_request", 422, _l("The request has missing or invalid values.")),
    Problem("json_too_deep", 400, _l("The request's data is nested too deeply.")),
    Problem("json_number_too_long", 400, _l("The request holds a number too long to be one.")),
    Problem("json_invalid_unicode", 400, _l("The request's text is not valid Unicode.")),
    Problem("not_found", 404, _l("Nothing was found at this address.")),
    Problem("method_not_allowed", 405, _l("This address does not accept this method.")),
    Problem("body_too_large", 413, _l("The request is larger than the server accepts.")),
    Problem("batch_too_large", 413, _l("Too many records in one batch.")),
    Problem("rate_limited", 429, _l("Too many failed attempts. Wait a minute and try again.")),
    Problem("internal_error", 500, _l("The server failed. Nothing you sent was lost; try again later.")),
    # Device authentication
    Problem("auth_required", 401, _l("This request must be signed by an enrolled device.")),
    Problem("bad_request_signature", 401, _l("The request signature is not valid.")),
    Problem("clock_skew", 401, _l("The phone's clock is too far from the server's. Retry with the server time.")),
    Problem("replayed_request", 401, _l("This request was already received.")),
    Problem("unknown_device", 401, _l("This device is not enrolled.")),
    Problem("device_revoked", 403, _l("This device has been revoked by a supervisor.")),
    # Enrollment
    Problem("enroll_token_unknown", 401, _l("This enrollment code is not valid.")),
    Problem("enroll_token_expired", 401, _l("This enrollment code has expired. Ask your supervisor for a new one.")),
    Problem("enroll_token_used", 409, _l("This enrollment code has already been used.")),
    Problem("bad_public_key", 422, _l("The device key is not a valid P-256 public key.")),
    Problem("bad_enroll_proof", 401, _l("The device could not prove it holds its key.")),
    # Pulls of reference data
    Problem("unknown_collection", 404, _l("There is no collection of that name to download.")),
    Problem("checkpoint_expired", 410, _l("The phone's copy is too old to update. Download everything again.")),
    # Carried-in outbox files (PROTOCOL.md §14)
    Problem("carried_file_invalid", 422, _l("This is not a complete Wildledger outbox file, or it was damaged on "
                                            "the way. Nothing in it was taken: export it from the phone again.")),
    Problem("carried_file_too_large", 413, _l("This outbox file is larger than the server accepts.")),
    Problem("carried_unknown_device", 404, _l("This outbox file comes from a phone you do not supervise, or one "
                                              "this server does not know.")),
    # People using the read API
    Problem("api_token_invalid", 401, _l("The access token is missing, unknown or revoked.")),
    Problem("forbidden", 403, _l("You are not allowed to see this.")),
    # Information reports filed from the office under a desk identity (PROTOCOL.md §3)
    Problem("desk_not_allowed", 403, _l("Only analysts, supervisors and administrators file information reports "
                                        "from the office.")),
    Problem("desk_user_disabled", 403, _l("This person is disabled: nothing more is filed in their name.")),
    Problem("desk_revoked", 403, _l("This person's desk identity was revoked. An administrator can issue a new "
                                    "one: flask desks create USERNAME.")),
    Problem("desk_fields_fixed", 422, _l("A report filed from the office names the person filing it and their "
                                         "agency: leave out agency and reporting_officer, or give their own.")),
    Problem("report_file_invalid", 422, _l("The file is not a JSON object of the information report's fields.")),
    # Exports (issue 19).
    Problem("export_kind_unknown", 422, _l("There is no export of that kind.")),
    Problem("export_itr_needs_year", 422, _l("An illegal trade report needs a year and a country (its two-letter code).")),
    # Record receipts: why a record was quarantined. It is kept, never dropped.
    Problem("malformed_envelope", 422, _l("The sealed record is damaged and cannot be read.")),
    Problem("device_mismatch", 422, _l("The record names a different device than the one sending it.")),
    Problem("bad_signature_length", 422, _l("The record signature has the wrong length.")),
    Problem("bad_signature", 422, _l("The record signature does not match its contents.")),
    Problem("unknown_intake_key", 422, _l("The record is sealed to a key this server does not hold.")),
    Problem("decrypt_failed", 422, _l("The record could not be decrypted.")),
    Problem("inner_signature_invalid", 422, _l("The record's inner signature does not match.")),
    Problem("unknown_form", 422, _l("The record uses a form this server does not know.")),
    Problem("unknown_form_version", 422, _l("The record uses a form version this server does not know.")),
    Problem("invalid_fields", 422, _l("Some fields of the record have invalid values.")),
    Problem("rid_conflict", 409, _l("A different record with the same id was already received.")),
    Problem("value_out_of_range", 422, _l("A value of the record is too long or too large for the store.")),
    Problem("supersedes_foreign", 422, _l("The record corrects a record of another agency.")),
    Problem("revoked_seq_beyond_cap", 403, _l("This phone was revoked, and this record was sealed well after that. "
                                              "It was not accepted; give the phone to your supervisor.")),
    Problem("intake_error", 500, _l("The record is safe in the ledger but could not be filed yet.")),
    # Operations: GET /api/v1/health (server/health.py) when the database or the keys fail.
    Problem("unhealthy", 503, _l("The server cannot take records now. Nothing you sent was lost; try again later.")),
]
PROBLEMS = {p.code: p for p in _CATALOG}


class ApiError(Exception):
    """Raised anywhere below a route; rendered by the one handler."""

    def __init__(self, code, **extra):
        super().__init__(code)
        self.problem = PROBLEMS[code]
        self.extra = extra


def message(code):
    return str(PROBLEMS[code].message)


def render(problem, extra=None, headers=None):
    body = {"code": problem.code, "status": problem.status, "message": str(problem.message)}
    body.update(extra or {})
    response = jsonify(body)
    response.status_code = problem.status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


_HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed",
               413: "body_too_large", 422: "invalid_request", 429: "rate_limited"}


def _handle_api_error(error):
    return render(error.problem, error.extra)


def _handle_http_exception(error):
    code = _HTTP_CODES.get(error.code, "internal_error" if error.code >= 500 else "bad_request")
    # webargs (through flask-smorest) attaches the field errors of a 422 as data.messages.
    messages = (getattr(error, "data", None) or {}).get("messages")
    return render(PROBLEMS[code], {"fields": messages.get("json", messages)} if messages else None)


def _handle_unexpected(error):
    logging.getLogger("wildledger").exception("unhandled error")
    return render(PROBLEMS["internal_error"])


def init_app(app):
    app.register_error_handler(ApiError, _handle_api_error)
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(Exception, _handle_unexpected)

