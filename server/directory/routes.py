"""Read API for the directory's maintainers: what officers reported about contacts."""
from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..access import service as access
from ..audit import service as audit
from ..extensions import db

blp = Blueprint("directory", __name__, url_prefix="/api/v1/directory", description="The emergency contact directory")


class ReportSchema(Schema):
    rid = fields.String()
    received_at = fields.DateTime()
    contact = fields.String()
    contact_agency = fields.String(allow_none=True, metadata={"description": "null: a contact the directory does not know"})
    number = fields.String(allow_none=True)
    problem = fields.String(metadata={"description": "a key of codes/directory_problem"})
    note = fields.String(allow_none=True)
    reporter_agency = fields.String()
    reporting_officer = fields.String(allow_none=True)


class ReportListSchema(Schema):
    reports = fields.List(fields.Nested(ReportSchema))


class ReportQuerySchema(Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


@blp.route("/reports")
@blp.doc(security=[{"bearerToken": []}])
@blp.arguments(ReportQuerySchema, location="query")
@blp.response(200, ReportListSchema)
def list_reports(args):
    """Reports about contacts of the reader's country (supervisors; admins see all)."""
    actor = access.authenticate_token(request.headers.get("Authorization"))
    rows = db.session.execute(access.visible_directory_reports(actor).limit(args["limit"])).all()
    audit.record("directory.reports.list", actor=actor.username, actor_kind="user",
                 detail={"count": len(rows), "rids": [record.rid for _, record, _ in rows]})
    return {"reports": [{
        "rid": record.rid, "received_at": record.received_at, "contact": report.contact_key,
        "contact_agency": agency.code if agency else None, "number": report.number, "problem": report.problem,
        "note": report.note, "reporter_agency": record.agency.code, "reporting_officer": record.officer_name,
    } for report, record, agency in rows]}
