"""The fault proxy browser tests put between the app and the server: it relays HTTP/1.1
faithfully (keep-alive, chunked, lengths), shapes the link, cuts uploads and drops answers."""
import hashlib
import json
import subprocess
import sys
import threading
import time
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from server.demo.fault_proxy import FaultProxy, with_status
from tests.conftest import ROOT

BIG = bytes(range(256)) * 800  # 204 800 bytes


class Backend(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.seen = []  # (method, path, body bytes received, body bytes announced)
        self.connections = set()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _answer(self, body, status=200, chunked=False, close=False):
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(body), 7000):
                piece = body[start:start + 7000]
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def do_GET(self):
        self.server.connections.add(self.client_address)
        self.server.seen.append(("GET", self.path, 0, 0))
        if self.path == "/big":
            self._answer(BIG)
        elif self.path == "/chunked":
            self._answer(BIG[:50_000], chunked=True)
        elif self.path == "/close":
            self._answer(b"bye", close=True)
        else:
            self._answer(b"ok")

    def do_HEAD(self):
        self.server.seen.append(("HEAD", self.path, 0, 0))
        self.send_response(200)
        self.send_header("Content-Length", str(len(BIG)))
        self.end_headers()

    def do_POST(self):
        self.server.connections.add(self.client_address)
        if self.headers.get("Transfer-Encoding") == "chunked":
            body = b""
            while size := int(self.rfile.readline().split(b";")[0], 16):
                body += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
            announced = len(body)
        else:
            announced = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(announced)
        self.server.seen.append(("POST", self.path, len(body), announced))
        if len(body) < announced:
            self.close_connection = True
            return
        self._answer(json.dumps({"length": len(body), "sha256": hashlib.sha256(body).hexdigest()}).encode())


@pytest.fixture
def backend():
    server = Backend()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def proxy(backend):
    with FaultProxy(*backend.server_address) as running:
        yield running


@pytest.fixture
def session(proxy):
    with requests.Session() as session:
        yield session


def _timed(call):
    start = time.monotonic()
    result = call()
    return result, time.monotonic() - start


def test_relays_keep_alive_exchanges_on_one_connection(proxy, backend):
    connection = HTTPConnection("127.0.0.1", proxy.port, timeout=10)
    try:
        for _ in range(2):
            connection.request("GET", "/big")
            assert connection.getresponse().read() == BIG
            connection.request("POST", "/echo", body=BIG[:70_000])
            assert json.loads(connection.getresponse().read())["length"] == 70_000
            connection.request("GET", "/chunked")
            assert connection.getresponse().read() == BIG[:50_000]
            connection.request("HEAD", "/big")
            answer = connection.getresponse()
            assert answer.getheader("Content-Length") == str(len(BIG)) and answer.read() == b""
    finally:
        connection.close()
    assert len(backend.seen) == 8 and len(backend.connections) == 1  # one upstream connection
    assert [outcome for _, _, outcome in proxy.events] == ["forwarded"] * 8


def test_a_server_closing_the_connection_is_mirrored(proxy, session):
    assert session.get(proxy.url + "/close").content == b"bye"
    assert session.get(proxy.url + "/big").content == BIG  # a new connection, transparently


def test_chunked_uploads_are_relayed(proxy, session):
    answer = session.post(proxy.url + "/echo", data=iter([BIG[:30_000], BIG[30_000:90_000]]))
    assert answer.json() == {"length": 90_000, "sha256": hashlib.sha256(BIG[:90_000]).hexdigest()}


def test_rate_shaping_slows_both_directions_and_switches_at_run_time(proxy, session):
    _, fast = _timed(lambda: session.get(proxy.url + "/big").content)
    proxy.rate_bytes_per_s = 400_000  # 204 800 bytes take ~0.5 s
    body, slow_down = _timed(lambda: session.get(proxy.url + "/big").content)
    answer, slow_up = _timed(lambda: session.post(proxy.url + "/echo", data=BIG).json())
    assert body == BIG and answer["length"] == len(BIG)
    assert fast < 0.3 and 0.45 < slow_down < 3 and 0.45 < slow_up < 3
    proxy.clear()
    _, again = _timed(lambda: session.get(proxy.url + "/big").content)
    assert again < 0.3


def test_latency_is_added_to_each_request_and_response(proxy, session):
    proxy.latency_s = 0.3
    answer, elapsed = _timed(lambda: session.get(proxy.url + "/small"))
    assert answer.content == b"ok" and 0.6 <= elapsed < 2


def test_cut_upload_forwards_n_bytes_then_calls_back_and_closes(proxy, backend, session):
    called = threading.Event()
    proxy.cut_upload_after(3_000, "/api/v1/sync/push", callback=called.set)
    assert session.post(proxy.url + "/echo", data=BIG[:10_000]).json()["length"] == 10_000  # other paths pass
    with pytest.raises(requests.ConnectionError):
        session.post(proxy.url + "/api/v1/sync/push", data=BIG)
    assert called.wait(5)
    deadline = time.monotonic() + 5
    while not any(path == "/api/v1/sync/push" for _, path, _, _ in backend.seen) and time.monotonic() < deadline:
        time.sleep(0.05)
    [(_, _, received, announced)] = [seen for seen in backend.seen if seen[1] == "/api/v1/sync/push"]
    assert announced == len(BIG) and 0 < received < 3_000  # the head took the rest of the 3 000
    assert proxy.events[-1] == ("POST", "/api/v1/sync/push", "cut")
    # Only the next matching request was cut.
    assert session.post(proxy.url + "/api/v1/sync/push", data=BIG).json()["length"] == len(BIG)


def test_drop_responses_lets_the_server_work_and_the_client_hear_nothing(proxy, backend, session):
    proxy.drop_responses("/api/v1/sync/push", times=1)
    with pytest.raises(requests.ConnectionError):
        session.post(proxy.url + "/api/v1/sync/push", data=b'{"records": []}')
    assert backend.seen[-1] == ("POST", "/api/v1/sync/push", 15, 15)  # received whole, answered
    assert proxy.events[-1] == ("POST", "/api/v1/sync/push", "dropped")
    assert session.post(proxy.url + "/api/v1/sync/push", data=b'{"records": []}').json()["length"] == 15


def test_capture_records_an_exchange_and_serve_answers_with_it_later(proxy, backend, session):
    seen = proxy.capture("/echo")
    first = session.post(proxy.url + "/echo", data=b"first body", headers={"X-Nonce": "n-1"})
    deadline = time.monotonic() + 5
    while not seen and time.monotonic() < deadline:  # recorded once the answer is relayed whole
        time.sleep(0.01)
    [exchange] = seen
    assert (exchange.method, exchange.path, exchange.status) == ("POST", "/echo", 200)
    assert exchange.request_headers["x-nonce"] == "n-1" and exchange.request_body == b"first body"
    assert exchange.response_body == first.content and exchange.response_headers["content-length"]
    assert session.post(proxy.url + "/echo", data=b"second").json()["length"] == 6  # captured once
    assert len(seen) == 1

    proxy.serve("/echo", with_status(exchange.response, 403))
    replayed = session.post(proxy.url + "/echo", data=b"a different request")
    assert (replayed.status_code, replayed.content) == (403, first.content)
    assert [path for _, path, _, _ in backend.seen].count("/echo") == 2  # the replayed one never arrived
    assert proxy.events[-1] == ("POST", "/echo", "served")
    assert session.post(proxy.url + "/echo", data=b"again").json()["length"] == 5  # served once, then forwarded


def test_a_dead_server_is_a_dropped_connection(backend):
    with FaultProxy("127.0.0.1", backend.server_address[1]) as proxy:
        backend.shutdown()
        backend.server_close()
        with requests.Session() as session, pytest.raises(requests.ConnectionError):
            session.get(proxy.url + "/big", timeout=5)
        assert proxy.events == [("GET", "/big", "failed")]


def test_command_line(backend):
    command = [sys.executable, "-m", "server.demo.fault_proxy", "--target",
               "{}:{}".format(*backend.server_address), "--listen", "0", "--latency", "0.1"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        banner = process.stdout.readline()
        url = banner.split()[2]
        assert banner.startswith("fault proxy http://127.0.0.1:")
        with requests.Session() as session:
            assert session.get(url + "/big", timeout=10).content == BIG
    finally:
        process.terminate()
        process.wait(10)
        process.stdout.close()


@pytest.mark.slow
def test_with_the_real_server_a_lost_answer_costs_a_duplicate_and_a_cut_upload_nothing(pg_server):
    from server.demo.simulator import HttpTransport
    from tests.conftest import enroll_device
    from tests.helpers import SEIZURE, counts

    app, url = pg_server
    host, port = url.removeprefix("http://").split(":")
    with FaultProxy(host, int(port)) as proxy:
        device = enroll_device(app, transport=HttpTransport(proxy.url))
        rid = device.seal(SEIZURE)
        proxy.cut_upload_after(1_500, "/api/v1/sync/push")
        with pytest.raises(requests.ConnectionError):
            device.push()
        assert counts(app)["ledger"] == 0  # half a request is no request

        proxy.drop_responses("/api/v1/sync/push", times=1)
        with pytest.raises(requests.ConnectionError):
            device.push()
        assert counts(app) == {"ledger": 1, "records": 1, "quarantine": 0}

        proxy.rate_bytes_per_s, proxy.latency_s = 50_000, 0.2
        [receipt] = device.sync()
        assert (receipt["rid"], receipt["status"]) == (rid, "duplicate")
    assert [outcome for _, path, outcome in proxy.events if path.startswith("/api/v1/sync/push")] == [
        "cut", "dropped", "forwarded"]
