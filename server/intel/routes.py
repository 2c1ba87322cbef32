"""Read API of the entity layer (issue 18), for people with a read-API token: an entity as the
reader may see it, its network, the shortest path between two entities, centrality, hotspots,
and the candidates waiting for a judgement. Entities are named by the key of one of their
mentions ("<rid>/<n>"); one the reader may not see answers 404 like one that does not exist.
Every query is written to the audit log."""
from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..access import service as access
from ..audit import service as audit
from ..errors import ApiError
from . import ftm, network, service

blp = Blueprint("intel", __name__, url_prefix="/api/v1/intel", description="Entities and their network")
_READER_SECURITY = [{"bearerToken": []}]
_KEY = r"^[0-9a-f-]{36}/[0-9]{1,4}$"


class EntityArgs(Schema):
    mention = fields.String(required=True, validate=validate.Regexp(_KEY),
                            metadata={"description": "the key of a mention of the entity, <rid>/<n>"})


class NetworkArgs(EntityArgs):
    hops = fields.Integer(load_default=2, validate=validate.Range(min=1, max=3))
    since = fields.Date()
    until = fields.Date()
    species = fields.String(validate=validate.Length(max=200))
    role = fields.List(fields.String(validate=validate.Length(max=20)), load_default=None)


class PathArgs(Schema):
    source = fields.String(data_key="from", required=True, validate=validate.Regexp(_KEY))
    target = fields.String(data_key="to", required=True, validate=validate.Regexp(_KEY))


class HotspotArgs(Schema):
    since = fields.Date()
    until = fields.Date()
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=200))


def _reader(action, **detail):
    actor = access.authenticate_token(request.headers.get("Authorization"))
    audit.record(action, actor=actor.username, actor_kind="user", detail=detail or None)
    return actor


def _found(value):
    if value is None:
        raise ApiError("not_found")
    return value


def _mention(mention):
    return {"key": mention.key, "schema": mention.schema, "caption": mention.caption, "role": mention.role,
            "properties": mention.properties}


@blp.route("/entity")
@blp.doc(security=_READER_SECURITY)
@blp.arguments(EntityArgs, location="query")
@blp.response(200)
def entity(args):
    seen = _found(service.seen_entity(_reader("intel.entity", mention=args["mention"]), args["mention"]))
    return {"mentions": [_mention(m) for m in seen["mentions"]], "ftm": ftm.seen_proxy(seen["mentions"]).to_dict(),
            "judgements": [{"id": j.id, "verdict": j.verdict, "automatic": j.automatic, "left": j.left_key,
                            "right": j.right_key, "features": j.features, "note": j.note} for j in seen["judgements"]]}


@blp.route("/network")
@blp.doc(security=_READER_SECURITY)
@blp.arguments(NetworkArgs, location="query")
@blp.response(200)
def neighbourhood(args):
    reader = _reader("intel.network", mention=args["mention"], hops=args["hops"])
    return _found(network.neighbourhood(reader, args["mention"], args["hops"], since=args.get("since"),
                                        until=args.get("until"), species=args.get("species"), roles=args.get("role")))


@blp.route("/path")
@blp.doc(security=_READER_SECURITY)
@blp.arguments(PathArgs, location="query")
@blp.response(200)
def path(args):
    reader = _reader("intel.path", source=args["source"], target=args["target"])
    return {"path": network.shortest_path(reader, args["source"], args["target"])}


@blp.route("/centrality")
@blp.doc(security=_READER_SECURITY)
@blp.arguments(NetworkArgs, location="query")
@blp.response(200)
def centrality(args):
    reader = _reader("intel.centrality", mention=args["mention"], hops=args["hops"])
    return {"entities": _found(network.centrality(reader, args["mention"], args["hops"], since=args.get("since"),
                                                  until=args.get("until"), species=args.get("species"),
                                                  roles=args.get("role")))}


@blp.route("/hotspots")
@blp.doc(security=_READER_SECURITY)
@blp.arguments(HotspotArgs, location="query")
@blp.response(200)
def hotspots(args):
    reader = _reader("intel.hotspots")
    return {"hotspots": network.hotspots(reader, args.get("since"), args.get("until"), args["limit"])}


@blp.route("/candidates")
@blp.doc(security=_READER_SECURITY)
@blp.response(200)
def candidates():
    reader = _reader("intel.candidates")
    return {"candidates": [{"left": _mention(left), "right": _mention(right), "score": candidate.score,
                            "features": candidate.features}
                           for candidate, left, right in service.open_candidates(reader, 100)]}
