"""GET /api/v1/health: unhealthy while PostgreSQL is gone, healthy again as soon as it is back,
with no request failing on a connection the pool kept from before (pool_pre_ping)."""
import socket
import threading
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests

from server.demo.serving import free_port
from server.demo.simulator import HttpTransport
from server.errors import message
from server.version import server_version
from tests.conftest import enroll_device, make_app, prepare, running_server
from tests.helpers import SEIZURE


class CuttableLink:
    """A TCP relay to PostgreSQL that can be cut like a database going away: live connections
    closed, new ones refused (nothing listens on the port); `restore` listens again on the
    same port. The shared PostgreSQL server is never stopped."""

    def __init__(self, target):
        self.target, self.port = target, free_port()
        self._lock = threading.Lock()
        self._sockets = set()
        self._listener = self._acceptor = None

    def __enter__(self):
        self.restore()
        return self

    def __exit__(self, *_exc):
        self.cut()

    def restore(self):
        listener = socket.socket()
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self.port))
            listener.listen(64)
        except OSError:
            listener.close()
            raise
        listener.settimeout(0.1)
        self._listener = listener
        self._acceptor = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._acceptor.start()

    def cut(self):
        listener, self._listener = self._listener, None
        if listener is None:
            return
        self._acceptor.join()  # it stops accepting within its 0.1 s timeout
        listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            _close(sock)

    def _accept(self, listener):
        while self._listener is listener:
            try:
                client, _address = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._relay, args=(source, sink), daemon=True).start()

    def _relay(self, source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            _close(sock)


def _close(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


def _through(url, port):
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    return urlunsplit(parts._replace(netloc=f"{user}127.0.0.1:{port}"))


def test_health_answers_ok_with_the_version(client):
    answer = client.get("/api/v1/health")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    assert answer.json == {"status": "ok", "version": server_version(), "app_version": answer.json["app_version"],
                           "database": "ok", "keys": "ok"}
    assert client.get("/api/openapi.json").json["info"]["version"] == server_version()


def test_health_without_the_key_file_is_unhealthy(app, tmp_path):
    (tmp_path / "keys" / "kek").unlink()
    fresh = make_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path)  # no key unwrapped in memory yet
    answer = fresh.test_client().get("/api/v1/health")
    assert answer.status_code == 503
    assert (answer.json["code"], answer.json["database"], answer.json["keys"]) == ("unhealthy", "ok", "failed")
    assert str(tmp_path) not in answer.get_data(as_text=True)  # which part, never why


@pytest.mark.slow
def test_health_follows_postgresql_and_the_first_request_after_it_is_back_succeeds(postgres_url, tmp_path):
    app = prepare(make_app(postgres_url, tmp_path))
    target = urlsplit(postgres_url)
    with CuttableLink((target.hostname, target.port or 5432)) as link, \
            running_server(app, tmp_path, workers=2, env={"DATABASE_URL": _through(postgres_url, link.port)}) as url:
        phone = enroll_device(app, transport=HttpTransport(url))
        phone.seal(SEIZURE)
        assert [receipt["status"] for receipt in phone.sync()] == ["accepted"]
        for _ in range(6):  # every worker's pool holds connections now
            assert requests.get(f"{url}/api/v1/health", timeout=30).json()["database"] == "ok"

        # PostgreSQL restarts while nobody asks: every pooled connection is dead, and no
        # request may be the one that finds out.
        link.cut()
        link.restore()
        statuses = [requests.get(f"{url}/api/v1/health", timeout=30).status_code for _ in range(12)]
        assert statuses == [200] * 12
        phone.seal({**SEIZURE, "narrative": "After a restart"})
        assert [receipt["status"] for receipt in phone.sync()] == ["accepted"]

        # PostgreSQL is gone: the health check says so, coded, never a 500.
        link.cut()
        for _ in range(6):
            answer = requests.get(f"{url}/api/v1/health", timeout=30)
            assert answer.status_code == 503, answer.text
            assert answer.json() == {"code": "unhealthy", "status": 503, "message": message("unhealthy"),
                                     "version": server_version(), "app_version": answer.json()["app_version"],
                                     "database": "failed", "keys": "unchecked"}

        link.restore()
        # No request fails once PostgreSQL answers again: the pools' dead connections are
        # replaced when they are checked out, not discovered by a failing request.
        statuses = [requests.get(f"{url}/api/v1/health", timeout=30).status_code for _ in range(12)]
        assert statuses == [200] * 12
        phone.seal({**SEIZURE, "narrative": "After the database came back"})
        assert [receipt["status"] for receipt in phone.sync()] == ["accepted"]
        assert requests.get(f"{url}/api/v1/health", timeout=30).json()["status"] == "ok"
