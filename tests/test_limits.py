"""Unauthenticated requests store nothing and are rate-limited per address."""
from server.devices.models import RequestNonce
from server.extensions import db
from tests.helpers import counts


def test_failed_authentication_is_rate_limited_and_stores_nothing(app, client):
    app.extensions["wildledger.limiter"].per_minute = 5
    codes = [client.post("/api/v1/sync/push", data=b"{}").json["code"] for _ in range(7)]
    assert codes == ["auth_required"] * 5 + ["rate_limited"] * 2
    answer = client.post("/api/v1/enroll", json={"token": "x" * 32, "public_key": "AA", "proof": "AA"})
    assert (answer.status_code, answer.json["code"]) == (429, "rate_limited")
    assert counts(app) == {"ledger": 0, "records": 0, "quarantine": 0}
    with app.app_context():
        assert db.session.query(RequestNonce).count() == 0


def test_limit_is_per_address(app, client):
    app.extensions["wildledger.limiter"].per_minute = 2
    for _ in range(3):
        client.post("/api/v1/sync/push", data=b"{}")
    other = client.post("/api/v1/sync/push", data=b"{}", environ_base={"REMOTE_ADDR": "127.0.0.2"})
    assert other.json["code"] == "auth_required"


def test_limiter_window_slides():
    from server.ratelimit import FailureLimiter

    now = [1000.0]
    limiter = FailureLimiter(2, clock=lambda: now[0])
    limiter.fail("a")
    limiter.fail("a")
    try:
        limiter.check("a")
    except Exception as error:  # noqa: BLE001
        assert error.problem.code == "rate_limited"
    else:
        raise AssertionError("limit not applied")
    now[0] += 61
    limiter.check("a")
