"""Read credentials that expire and can be revoked, and the audit log: every read of a record,
every credential, enrollment, revocation and key operation, append-only, hash-chained and
anchored in the ledger's transparency log (issue 13)."""
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from server.access import service as access
from server.audit import service as audit
from server.audit.models import AuditEntry
from server.dbtypes import utcnow
from server.devices.models import Device
from server.extensions import db
from server.store.models import Record
from server.sync import ledger
from server.sync.models import LedgerEntry
from tests import insider
from tests.conftest import make_app, prepare
from tests.helpers import SEIZURE


def _entries(app, action=None):
    with app.app_context():
        query = select(AuditEntry).order_by(AuditEntry.seq)
        if action:
            query = query.filter_by(action=action)
        rows = db.session.scalars(query).all()
        return [(e.actor_kind, e.actor, e.action, e.target, e.address, e.detail) for e in rows]


def _reader(app, username="auditor", role="analyst", agency="VN-HQ-QN", days=None):
    with app.app_context():
        user = access.create_user(username, username.title(), role, agency)
        token, row = access.issue_token(user, days)
        return token, row.id


def _get(app, token, path):
    return app.test_client().get(path, headers={"Authorization": f"Bearer {token}"},
                                 environ_base={"REMOTE_ADDR": "192.0.2.7"})


def test_every_read_of_a_record_is_audited_with_who_and_from_where(app, device):
    """Seen: reads left no trace (the access log has no user)."""
    rids = [device.seal(SEIZURE) for _ in range(2)]
    device.sync()
    token, _ = _reader(app)
    assert _get(app, token, "/api/v1/records").status_code == 200
    assert _get(app, token, f"/api/v1/records/{rids[0]}").status_code == 200
    listed, read = _entries(app, "records.list"), _entries(app, "records.read")
    assert listed[0][:5] == ("user", "auditor", "records.list", None, "192.0.2.7")
    assert sorted(listed[0][5]["rids"]) == sorted(rids)
    assert read == [("user", "auditor", "records.read", rids[0], "192.0.2.7", None)]


def test_credentials_enrollments_revocations_and_keys_are_audited(app, device):
    runner = app.test_cli_runner()
    token, token_id = _reader(app)
    assert runner.invoke(args=["users", "revoke-token", str(token_id)]).exit_code == 0
    assert runner.invoke(args=["devices", "revoke", device.device_id]).exit_code == 0
    assert runner.invoke(args=["keys", "rotate-intake"]).exit_code == 0
    actions = [action for _kind, _actor, action, *_rest in _entries(app)]
    for expected in ("keys.created", "enrollment.created", "device.enrolled", "user.created", "token.issued",
                     "token.revoked", "device.revoked", "keys.rotated"):
        assert expected in actions, (expected, actions)
    kinds = {action: kind for kind, _actor, action, *_rest in _entries(app)}
    assert kinds["device.enrolled"] == "device" and kinds["token.revoked"] == "cli"


def test_tokens_expire_and_are_listed_revoked_rotated_with_their_last_use(app, device):
    """Seen: read-API tokens had no expiry, nothing could revoke them, users could not be
    listed or disabled."""
    runner = app.test_cli_runner()
    token, token_id = _reader(app, days=30)
    assert _get(app, token, "/api/v1/records").status_code == 200
    listing = runner.invoke(args=["users", "tokens", "auditor"])
    assert listing.exit_code == 0 and str(token_id) in listing.output and "live" in listing.output
    with app.app_context():
        row = access.token_by_id(token_id)
        assert row.last_used_at is not None
        assert timedelta(days=29) < row.expires_at - row.created_at <= timedelta(days=30)
        assert app.config["TOKEN_DAYS"] == 90

    rotated = runner.invoke(args=["users", "rotate-token", str(token_id)])
    new_token = rotated.output.splitlines()[0]
    assert rotated.exit_code == 0 and new_token.startswith("wlu_") and new_token != token
    assert _get(app, token, "/api/v1/records").json["code"] == "api_token_invalid"
    assert _get(app, new_token, "/api/v1/records").status_code == 200

    with app.app_context():  # expiry: the token's time has come
        db.session.execute(text("UPDATE api_tokens SET expires_at = :past"), {"past": utcnow() - timedelta(seconds=1)})
        db.session.commit()
    assert _get(app, new_token, "/api/v1/records").json["code"] == "api_token_invalid"
    assert "expired" in runner.invoke(args=["users", "tokens", "auditor"]).output


def test_a_disabled_user_s_tokens_stop_working(app, device):
    runner = app.test_cli_runner()
    token, _ = _reader(app)
    assert _get(app, token, "/api/v1/records").status_code == 200
    assert runner.invoke(args=["users", "disable", "auditor"]).exit_code == 0
    assert _get(app, token, "/api/v1/records").json["code"] == "api_token_invalid"
    listing = runner.invoke(args=["users", "list"])
    assert "auditor" in listing.output and "disabled" in listing.output
    assert ("cli", "user.disabled") in [(kind, action) for kind, _actor, action, *_r in _entries(app)]


def test_the_audit_log_is_anchored_in_the_ledger_and_verifies(database_url, tmp_path):
    app = prepare(make_app(database_url, tmp_path, AUDIT_ANCHOR_EVERY=3))
    with app.app_context():
        for n in range(7):
            audit.record("test.event", target=f"n{n}")
        anchors = ledger.audit_anchors()
        head = db.session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1))
        assert sorted(anchors) == [3, 6, 9][:len(anchors)] and len(anchors) >= 2
        assert head >= 7
        assert db.session.scalars(select(LedgerEntry.status)).all().count("anchor") == len(anchors)
    runner = app.test_cli_runner()
    assert "Audit log ok" in runner.invoke(args=["audit", "verify"]).output
    assert runner.invoke(args=["ledger", "verify"]).exit_code == 0  # anchors are signed leaves of the log


@pytest.fixture
def anchored(database_url, tmp_path):
    app = prepare(make_app(database_url, tmp_path, AUDIT_ANCHOR_EVERY=4))
    with app.app_context():
        for n in range(10):
            audit.record("test.event", target=f"n{n}", detail={"n": n})
    return app


def _audit_verify(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def test_an_edited_entry_is_named(anchored):
    insider.sql(anchored, "UPDATE audit_log SET target = 'someone else' WHERE seq = 3")
    result = _audit_verify(anchored)
    assert result.exit_code != 0 and "Audit entry 3 is bad" in result.output and "Traceback" not in result.output


def test_a_rewritten_and_rehashed_chain_is_caught_by_its_anchor_in_the_ledger(anchored):
    """The thorough insider recomputes every hash after the edit; the anchor in the
    transparency log (which phones hold the server to) still has the old one."""
    insider.sql(anchored, "UPDATE audit_log SET target = 'someone else' WHERE seq = 2")
    insider.rehash_audit(anchored)
    result = _audit_verify(anchored)
    assert result.exit_code != 0 and "Audit entry 4 is bad" in result.output and "anchored" in result.output


def test_the_tail_cut_before_an_anchor_is_caught(anchored):
    insider.sql(anchored, "DELETE FROM audit_log WHERE seq > 6", "UPDATE audit_head SET seq = 6")
    result = _audit_verify(anchored)
    assert result.exit_code != 0 and "Audit entry 8 is bad" in result.output


def test_the_audit_log_is_append_only_even_to_its_owner(anchored):
    for statement in ("UPDATE audit_log SET actor = 'x' WHERE seq = 1", "DELETE FROM audit_log WHERE seq = 1"):
        with anchored.app_context(), pytest.raises(DBAPIError) as refused:
            db.session.execute(text(statement))
        assert "append-only" in str(refused.value)


def _pin_reset_flags(app):
    with app.app_context():
        return ["pin_reset" in record.flags for record in db.session.scalars(select(Record).order_by(Record.seq))]


def test_a_pin_reset_is_reported_flagged_and_confirmed(app, device):
    """Seen: after 10 wrong PINs or "Forgot PIN", whoever holds the phone could set a new PIN
    and seal records in the officer's name, unnoticed."""
    device.seal(SEIZURE)
    device.sync()
    device.seal({**SEIZURE, "narrative": "after the reset"}, pin_resets=1)
    device.push(app={"version": "0.2.0", "pin_resets": 1})
    assert _pin_reset_flags(app) == [False, True]
    with app.app_context():
        assert db.session.get(Device, device.device_id).pin_resets == 1
    assert len(_entries(app, "device.pin_reset")) == 1

    assert app.test_cli_runner().invoke(args=["devices", "confirm", device.device_id]).exit_code == 0
    assert _pin_reset_flags(app) == [False, False]
    assert len(_entries(app, "device.confirmed")) == 1
    device.seal({**SEIZURE, "narrative": "confirmed"}, pin_resets=1)
    device.sync()
    assert _pin_reset_flags(app) == [False, False, False]
    device.seal({**SEIZURE, "narrative": "reset again"}, pin_resets=2)
    device.sync()
    assert _pin_reset_flags(app) == [False, False, False, True]
