"""Failed authentications, counted per client address and per credential, separately.

Only failures count, and only failures are ever refused: a request whose credential checks
(a device signature, an API token, an enrollment code) goes through whatever others did from
its address, so junk from one phone behind a carrier's NAT locks out nobody honest behind it.
Once an address, or a credential someone is trying, has failed AUTH_FAILURES_PER_MINUTE times
in the current minute, its further failures are answered 429 instead of their own code.

The counts are fixed one-minute windows, kept in this process's memory, bounded to
RATE_LIMIT_KEYS keys (the least recently used go first), or shared by every worker through
Redis when RATE_LIMIT_REDIS_URL is set (a deployment with several gunicorn workers or hosts).
Unauthenticated requests store nothing in the database (DESIGN §1).
"""
import threading
import time
from collections import OrderedDict

from flask import current_app, request

from .errors import ApiError

WINDOW_S = 60


class MemoryCounts:
    def __init__(self, max_keys, clock=time.monotonic, window_s=WINDOW_S):
        self.max_keys, self.clock, self.window_s = max_keys, clock, window_s
        self._counts = OrderedDict()  # key -> (window, count)
        self._lock = threading.Lock()

    def _window(self):
        return int(self.clock() // self.window_s)

    def count(self, key):
        with self._lock:
            window, count = self._counts.get(key, (None, 0))
            return count if window == self._window() else 0

    def add(self, key):
        with self._lock:
            window = self._window()
            previous, count = self._counts.pop(key, (None, 0))
            self._counts[key] = (window, count + 1 if previous == window else 1)
            while len(self._counts) > self.max_keys:
                self._counts.popitem(last=False)

    def __len__(self):
        return len(self._counts)


class RedisCounts:
    """The same counts in Redis, so that every worker sees them: one key per window."""

    def __init__(self, url, namespace="wildledger", clock=time.time, window_s=WINDOW_S):
        import redis

        self.redis, self.namespace, self.clock, self.window_s = redis.Redis.from_url(url), namespace, clock, window_s

    def _key(self, key):
        return f"{self.namespace}:auth-failures:{int(self.clock() // self.window_s)}:{key}"

    def count(self, key):
        return int(self.redis.get(self._key(key)) or 0)

    def add(self, key):
        name = self._key(key)
        with self.redis.pipeline() as pipe:
            pipe.incr(name)
            pipe.expire(name, 2 * self.window_s)
            pipe.execute()


class FailureLimiter:
    def __init__(self, per_minute, counts):
        self.per_minute, self.counts = per_minute, counts

    def over(self, keys):
        return any(self.counts.count(key) >= self.per_minute for key in keys)

    def fail(self, keys):
        for key in keys:
            self.counts.add(key)


def init_app(app):
    url = app.config["RATE_LIMIT_REDIS_URL"]
    counts = (RedisCounts(url, app.config["RATE_LIMIT_NAMESPACE"]) if url
              else MemoryCounts(app.config["RATE_LIMIT_KEYS"]))
    app.extensions["wildledger.limiter"] = FailureLimiter(app.config["AUTH_FAILURES_PER_MINUTE"], counts)


def refuse(code, credential=None, **extra):
    """A failed authentication: counted against the client's address and, when one was
    named, the credential tried; refused with its code, or 429 once either is over the limit."""
    limiter = current_app.extensions["wildledger.limiter"]
    keys = [f"address:{request.remote_addr}"] + ([f"credential:{credential}"] if credential else [])
    if limiter.over(keys):
        raise ApiError("rate_limited")
    limiter.fail(keys)
    raise ApiError(code, **extra)
