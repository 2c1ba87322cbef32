"""Hypothesis drives pushes over a bad link: lost requests, lost responses after the
commit, duplicates, reordering and server restarts. Whatever happens, once the phone's
outbox drains every created record is stored exactly once."""
import json
import random

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from server import create_app
from server.demo.simulator import FlaskTransport
from server.extensions import db
from server.store.models import Record
from server.sync import ledger
from server.sync.models import LedgerEntry
from tests.conftest import enroll_device
from tests.helpers import SEIZURE


def test_every_record_lands_exactly_once(app):
    config = dict(app.config)

    class BadLink(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.app = app
            self.device = enroll_device(app)
            self.sealed = {}  # every envelope ever sealed, for duplicates

        @rule(place=st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=30).filter(str.strip))
        def create(self, place):
            rid = self.device.seal({**SEIZURE, "narrative": place})
            self.sealed[rid] = self.device.outbox[rid]

        def _pick(self, data, pool):
            rids = data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=6, unique=True))
            return rids

        @precondition(lambda self: self.device.outbox)
        @rule(data=st.data())
        def push(self, data):
            self.device.push(self._pick(data, list(self.device.outbox)))

        @precondition(lambda self: self.device.outbox)
        @rule(data=st.data())
        def request_lost(self, data):
            # The phone sends; nothing arrives. It must simply try again later.
            self._pick(data, list(self.device.outbox))

        @precondition(lambda self: self.device.outbox)
        @rule(data=st.data())
        def response_lost_after_commit(self, data):
            rids = self._pick(data, list(self.device.outbox))
            body = json.dumps({"records": [self.device.outbox[rid] for rid in rids]}).encode()
            answer = self.device.transport.request("POST", self.device.PUSH, body,
                                                self.device.signed_headers(self.device.PUSH, body))
            assert answer.status == 200  # committed; the phone never hears of it

        @precondition(lambda self: self.sealed)
        @rule(data=st.data())
        def duplicate_old_envelopes(self, data):
            rids = self._pick(data, list(self.sealed))
            body = json.dumps({"records": [self.sealed[rid] for rid in rids]}).encode()
            receipts = self.device.post_signed(self.device.PUSH, body).json()["receipts"]
            assert {r["status"] for r in receipts} <= {"accepted", "duplicate"}

        @precondition(lambda self: len(self.device.outbox) > 1)
        @rule(seed=st.integers(0, 1000))
        def reordered(self, seed):
            rids = list(self.device.outbox)
            random.Random(seed).shuffle(rids)
            self.device.push(rids)

        @rule()
        def restart(self):
            # A new process: every in-memory cache (keys, limiter) is gone.
            self._close()
            self.app = create_app(config)
            self.device.transport = FlaskTransport(self.app.test_client())

        @invariant()
        def never_more_than_once(self):
            with self.app.app_context():
                stored = db.session.scalar(select(func.count()).select_from(Record)
                                           .filter_by(device_id=self.device.device_id))
                distinct = db.session.scalar(select(func.count(func.distinct(Record.rid)))
                                             .filter_by(device_id=self.device.device_id))
                assert stored == distinct <= len(self.sealed)

        def _close(self):
            if self.app is not app:
                with self.app.app_context():
                    db.engine.dispose()

        def teardown(self):
            self.device.sync(batch_size=5)
            with self.app.app_context():
                rids = set(db.session.scalars(select(Record.rid).filter_by(device_id=self.device.device_id)))
                assert rids == set(self.sealed)
                assert db.session.scalar(select(func.count()).select_from(LedgerEntry)
                                         .filter_by(device_id=self.device.device_id)) == len(self.sealed)
                assert ledger.verify().ok
            self._close()

    run_state_machine_as_test(BadLink, settings=settings(
        max_examples=12, stateful_step_count=15, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))
