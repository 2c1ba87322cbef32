"""Read API for people (analysts, supervisors): records their access allows."""
import uuid
from datetime import timedelta

from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import tuple_

from .. import crypto
from ..access import service as access
from ..audit import service as audit
from ..dbtypes import EPOCH, micros
from ..errors import ApiError
from ..extensions import db
from .models import Record

blp = Blueprint("records", __name__, url_prefix="/api/v1/records", description="Stored records")


class RecordSchema(Schema):
    rid = fields.String()
    form = fields.String()
    form_version = fields.Integer()
    agency = fields.Function(lambda record: record.agency.code)
    country = fields.String()
    device_id = fields.String()
    officer_name = fields.String(allow_none=True)
    device_time = fields.DateTime()
    time_zone = fields.String(allow_none=True)
    clock_offset_ms = fields.Integer(allow_none=True)
    received_at = fields.DateTime()
    flags = fields.List(fields.String())
    supersedes = fields.String(allow_none=True)
    content = fields.Dict()


class ListQuerySchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    before = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,120}$"),
                           metadata={"description": "next_before of the previous page: page back from there"})


class RecordPageSchema(Schema):
    records = fields.List(fields.Nested(RecordSchema))
    next_before = fields.String(allow_none=True, metadata={"description": "opaque; send as `before` for the next page"})


_READER_SECURITY = [{"bearerToken": []}]


def _actor():
    return access.authenticate_token(request.headers.get("Authorization"))


def _cursor(record):
    """Where a page ended, as readers see it: receive time and rid, never a position in the
    ledger (which would count other agencies' filings)."""
    return crypto.b64e(f"{micros(record.received_at)}:{record.rid}".encode("ascii"))


def _after_cursor(text):
    try:
        moment, rid = crypto.b64d(text).decode("ascii").split(":")
        return EPOCH + timedelta(microseconds=int(moment)), str(uuid.UUID(rid))
    except (ValueError, crypto.CryptoError, UnicodeDecodeError) as error:
        raise ApiError("invalid_request", fields={"before": ["Not a cursor from this API."]}) from error


@blp.route("")
@blp.doc(security=_READER_SECURITY)
@blp.arguments(ListQuerySchema, location="query")
@blp.response(200, RecordPageSchema)
def list_records(args):
    actor = _actor()
    query = access.visible_records(actor).order_by(Record.received_at.desc(), Record.rid.desc()).limit(args["limit"])
    if "before" in args:
        query = query.where(tuple_(Record.received_at, Record.rid) < tuple_(*_after_cursor(args["before"])))
    records = db.session.scalars(query).all()
    audit.record("records.list", actor=actor.username, actor_kind="user",
                 detail={"count": len(records), "rids": [r.rid for r in records]})
    full_page = len(records) == args["limit"]
    return {"records": records, "next_before": _cursor(records[-1]) if records and full_page else None}


@blp.route("/<uuid:rid>")
@blp.doc(security=_READER_SECURITY)
@blp.response(200, RecordSchema)
def get_record(rid):
    actor = _actor()
    record = access.get_visible_record(actor, str(rid))
    audit.record("records.read", actor=actor.username, actor_kind="user", target=record.rid)
    return record
