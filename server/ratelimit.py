"""Failed-authentication limiter, per client address.

Unauthenticated requests store nothing in the database (DESIGN §1), so the counts are
kept in memory, per worker; the limit is per minute and per address.
"""
import threading
import time
from collections import defaultdict, deque

from flask import current_app, request

from .errors import ApiError


class FailureLimiter:
    def __init__(self, per_minute, clock=time.monotonic):
        self.per_minute = per_minute
        self.clock = clock
        self._failures = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, address, now):
        window = self._failures[address]
        while window and window[0] <= now - 60:
            window.popleft()
        return window

    def check(self, address):
        with self._lock:
            if len(self._recent(address, self.clock())) >= self.per_minute:
                raise ApiError("rate_limited")

    def fail(self, address):
        with self._lock:
            now = self.clock()
            self._recent(address, now).append(now)


def init_app(app):
    app.extensions["wildledger.limiter"] = FailureLimiter(app.config["AUTH_FAILURES_PER_MINUTE"])


def check():
    current_app.extensions["wildledger.limiter"].check(request.remote_addr)


def refuse(code, **extra):
    """Count a failed authentication and raise its problem."""
    current_app.extensions["wildledger.limiter"].fail(request.remote_addr)
    raise ApiError(code, **extra)
