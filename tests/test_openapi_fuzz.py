"""schemathesis against the served OpenAPI document: requests generated from it, signed as
an enrolled device, never make the server fail, and some are accepted."""
import json
from urllib.parse import urlencode

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation.modes import GenerationMode

from server.access import service as access
from server.reference import publish

EXAMPLES = 200


def _request_bodies_are_fully_described(document):
    """Every object in a request body names its properties and their types."""
    components = document["components"]["schemas"]

    def walk(node, where):
        if "$ref" in node:
            yield from walk(components[node["$ref"].rsplit("/", 1)[1]], node["$ref"])
            return
        if node.get("type") == "object" or "properties" in node:
            if not node.get("properties"):
                yield where
            for name, inner in node.get("properties", {}).items():
                yield from walk(inner, f"{where}.{name}")
        elif node.get("type") == "array":
            yield from walk(node["items"], f"{where}[]")
        elif "type" not in node:
            yield where

    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            if isinstance(operation, dict) and "requestBody" in operation:
                for media in operation["requestBody"]["content"].values():
                    yield from walk(media["schema"], f"{method.upper()} {path}")


@pytest.fixture
def signer(app, device):
    """The auth hook: signs each generated request exactly as the phone would."""
    with app.app_context():
        publish.publish()
        token, _row = access.issue_token(access.create_user("fuzz-analyst", "Fuzz analyst", "analyst", "VN-HQ-QN"))

    def send(case):
        request = case.as_transport_kwargs()
        body = b""
        if "json" in request:
            body = json.dumps(request["json"]).encode()
        elif request.get("data") is not None:
            body = request["data"] if isinstance(request["data"], bytes) else str(request["data"]).encode()
        query = request.get("query_string") or {}
        path = request["path"] + (f"?{urlencode(query, doseq=True)}" if query else "")
        headers = {k: v for k, v in request["headers"].items() if k.lower() != "content-length"}
        headers.update(device.signed_headers(path, body, method=request["method"].upper()))
        headers["Authorization"] = f"Bearer {token}"
        return app.test_client().open(path, method=request["method"], data=body, headers=headers)

    return send


def test_openapi_request_bodies_are_fully_described(client):
    assert list(_request_bodies_are_fully_described(client.get("/api/openapi.json").get_json())) == []


def test_generated_requests_never_get_a_server_error(app, signer):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5
    statuses = {}
    for operation in operations:
        label = f"{operation.method.upper()} {operation.path}"
        seen = statuses[label] = []
        cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                          operation.as_strategy(GenerationMode.NEGATIVE))

        @given(case=cases)
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def exercise(case):
            response = signer(case)
            seen.append(response.status_code)
            assert response.status_code < 500, (label, response.get_data()[:500])

        exercise()
        assert len(seen) >= EXAMPLES, label
    accepted = {label for label, codes in statuses.items() if any(200 <= code < 300 for code in codes)}
    assert {"GET /api/v1/sync/pull/{collection}", "POST /api/v1/sync/push", "GET /api/v1/records"} <= accepted
