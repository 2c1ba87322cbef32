"""The read API: a user sees their agency's records (an analyst: their country)."""
import pytest

from server.access import service as access
from tests.conftest import enroll_device
from tests.helpers import SEIZURE


def _token(app, username, role, agency):
    with app.app_context():
        return access.issue_token(access.create_user(username, username.title(), role, agency))[0]


@pytest.fixture
def world(app):
    rids = {}
    for agency in ("VN-HQ-QN", "VN-C05", "LA-DOFI-BKX"):
        phone = enroll_device(app, agency)
        rids[agency] = [phone.seal({**SEIZURE, "agency": agency}) for _ in range(2)]
        phone.sync()
    tokens = {"qn": _token(app, "qn-supervisor", "supervisor", "VN-HQ-QN"),
              "c05": _token(app, "c05-officer", "officer", "VN-C05"),
              "vn-analyst": _token(app, "vn-analyst", "analyst", "VN-C05"),
              "la": _token(app, "la-supervisor", "supervisor", "LA-DOFI-BKX")}
    return rids, tokens


def _get(client, token, path):
    return client.get(path, headers={"Authorization": f"Bearer {token}"})


def test_lists_only_what_the_user_may_see(client, world):
    rids, tokens = world
    seen = lambda who: {r["rid"] for r in _get(client, tokens[who], "/api/v1/records").json["records"]}  # noqa: E731
    assert seen("qn") == set(rids["VN-HQ-QN"])
    assert seen("c05") == set(rids["VN-C05"])
    assert seen("la") == set(rids["LA-DOFI-BKX"])
    assert seen("vn-analyst") == set(rids["VN-HQ-QN"] + rids["VN-C05"])


def test_another_agencys_record_by_id_is_not_found(client, world):
    rids, tokens = world
    own = _get(client, tokens["qn"], f"/api/v1/records/{rids['VN-HQ-QN'][0]}")
    assert own.status_code == 200 and own.json["content"] == {**SEIZURE, "agency": "VN-HQ-QN"}
    assert own.json["agency"] == "VN-HQ-QN"
    assert "log_index" not in own.json  # a global position would count other agencies' filings
    for rid in rids["VN-C05"] + rids["LA-DOFI-BKX"]:
        answer = _get(client, tokens["qn"], f"/api/v1/records/{rid}")
        assert (answer.status_code, answer.json["code"]) == (404, "not_found")
    assert _get(client, tokens["la"], f"/api/v1/records/{rids['VN-HQ-QN'][0]}").status_code == 404


def test_paging_walks_back_through_the_log(client, world):
    _rids, tokens = world
    first = _get(client, tokens["vn-analyst"], "/api/v1/records?limit=3").json
    assert len(first["records"]) == 3 and first["next_before"]
    rest = _get(client, tokens["vn-analyst"], f"/api/v1/records?limit=3&before={first['next_before']}").json
    assert len(rest["records"]) == 1 and rest["next_before"] is None


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic abc", "Bearer "])
def test_missing_or_bad_token(client, world, header):
    answer = client.get("/api/v1/records", headers={"Authorization": header} if header else {})
    assert (answer.status_code, answer.json["code"]) == (401, "api_token_invalid")


def test_tokens_are_stored_hashed(app, world):
    from server.access.models import ApiToken
    from server.extensions import db

    _rids, tokens = world
    with app.app_context():
        stored = {row.token_hash for row in db.session.query(ApiToken)}
    assert not set(tokens.values()) & stored


def test_cli_issues_a_working_token(app, client, world):
    result = app.test_cli_runner().invoke(args=["users", "token", "la-supervisor"])
    token = result.output.splitlines()[0]
    assert result.exit_code == 0 and token.startswith("wlu_")
    assert _get(client, token, "/api/v1/records").status_code == 200
