"""Read API for people (analysts, supervisors): records their access allows."""
from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..access import service as access
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
    log_index = fields.Integer(attribute="ledger_idx")
    content = fields.Dict()


class ListQuerySchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    before = fields.Integer(validate=validate.Range(min=1, max=2**62),
                            metadata={"description": "log index to page back from"})


class RecordPageSchema(Schema):
    records = fields.List(fields.Nested(RecordSchema))
    next_before = fields.Integer(allow_none=True)


def _actor():
    return access.authenticate_token(request.headers.get("Authorization"))


_READER_SECURITY = [{"bearerToken": []}]


@blp.route("")
@blp.doc(security=_READER_SECURITY)
@blp.arguments(ListQuerySchema, location="query")
@blp.response(200, RecordPageSchema)
def list_records(args):
    query = access.visible_records(_actor()).order_by(Record.ledger_idx.desc()).limit(args["limit"])
    if "before" in args:
        query = query.where(Record.ledger_idx < args["before"])
    records = db.session.scalars(query).all()
    full_page = len(records) == args["limit"]
    return {"records": records, "next_before": records[-1].ledger_idx if records and full_page else None}


@blp.route("/<uuid:rid>")
@blp.doc(security=_READER_SECURITY)
@blp.response(200, RecordSchema)
def get_record(rid):
    return access.get_visible_record(_actor(), str(rid))
