"""A fault-injecting HTTP/1.1 proxy on loopback, for browser tests and benchmarks.

These kernels have no netem, and Playwright's offline switch does not reach a service
worker's own fetches (DESIGN §7): the app is pointed at this proxy instead of the server,
and the test turns the link slow or broken while it runs. Standard library only.

    with FaultProxy("127.0.0.1", 5000) as proxy:        # the app talks to proxy.url
        proxy.rate_bytes_per_s = 50_000                  # Slow 3G, each direction
        proxy.latency_s = 1.0                            # before each request and each response
        proxy.cut_upload_after(2_000, "/api/v1/sync/push", callback=kill_the_server)
        proxy.drop_responses("/api/v1/sync/push", times=1)
        seen = proxy.capture("/api/v1/sync/push")        # record the next exchange, bytes as relayed
        proxy.serve("/api/v1/sync/push", seen[0].response)   # answer a later request with it, unforwarded
        proxy.clear()                                    # a good link again

    python -m server.demo.fault_proxy --target 127.0.0.1:5000 --listen 5050 --rate 50000 --latency 1.0

One thread per client connection relays one exchange at a time (browsers do not pipeline):
it reads a request head, forwards the request with its body (Content-Length or chunked),
then relays the response with its body (Content-Length, chunked, or until close). Each
client connection has its own upstream connection, so keep-alive behaves as without the
proxy; when the server closes an idle connection, the proxy closes the client's too. A
server that refuses connections (killed) shows as a dropped connection, not as a 502.
"""
import argparse
import logging
import select
import socket
import threading
import time
from dataclasses import dataclass

log = logging.getLogger("wildledger.fault_proxy")
CHUNK = 16 * 1024
HEAD_LIMIT = 64 * 1024
IO_TIMEOUT = 60  # seconds a half-sent request or response may stall


class _Closed(Exception):
    """A side closed, failed or sent something that is not HTTP/1.1: drop the connection."""


class _CutReached(Exception):
    """The upload budget of a cut is spent."""


class _Stream:
    """A socket with a read buffer: HTTP framing needs lines, heads and exact lengths."""

    def __init__(self, sock):
        self.sock, self.buffer = sock, b""

    def _fill(self):
        data = self.sock.recv(CHUNK)
        if not data:
            raise _Closed("closed")
        self.buffer += data

    def read_until(self, marker, limit=HEAD_LIMIT):
        while marker not in self.buffer:
            if len(self.buffer) > limit:
                raise _Closed("head too long")
            self._fill()
        end = self.buffer.index(marker) + len(marker)
        data, self.buffer = self.buffer[:end], self.buffer[end:]
        return data

    def read_some(self, most):
        if not self.buffer:
            self._fill()
        data, self.buffer = self.buffer[:most], self.buffer[most:]
        return data

    def read_until_close(self):
        """The next data, b"" at the end."""
        if self.buffer:
            data, self.buffer = self.buffer, b""
            return data
        return self.sock.recv(CHUNK)


class _Link:
    """One direction of the shaped link, shared by every connection (one radio per phone)."""

    def __init__(self, proxy):
        self.proxy, self.lock, self.free_at = proxy, threading.Lock(), 0.0

    def send(self, sock, data):
        view = memoryview(data)
        while view:
            rate = self.proxy.rate_bytes_per_s  # read per piece: switchable mid-transfer
            size = max(256, min(CHUNK, int(rate) // 20)) if rate else len(view)
            piece, view = view[:size], view[size:]
            if rate:
                with self.lock:
                    self.free_at = max(time.monotonic(), self.free_at) + len(piece) / rate
                    done = self.free_at
                # The piece leaves when the link has carried it, as on a real slow link.
                delay = done - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            sock.sendall(piece)


@dataclass
class _Fault:
    prefix: str
    times: int | None  # None: every matching request until clear()
    n_bytes: int = 0
    callback: object = None
    response: bytes = b""  # serve(): the raw answer to give instead of forwarding
    exchanges: list | None = None  # capture(): where exchanges are appended


@dataclass
class Exchange:
    """One request and the answer relayed for it, as bytes on the wire (a captured answer
    an adversary on the link can serve again, to any request)."""

    request_head: bytes
    request_body: bytes
    response: bytes

    @property
    def method(self):
        return self.request_head.split(b" ", 2)[0].decode("latin-1")

    @property
    def path(self):
        return self.request_head.split(b" ", 2)[1].decode("latin-1")

    @property
    def request_headers(self):
        return _headers(self.request_head.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n")[1]

    @property
    def status(self):
        return int(self.response.split(b" ", 2)[1])

    @property
    def response_headers(self):
        return _headers(self.response.split(b"\r\n\r\n", 1)[0])[1]

    @property
    def response_body(self):
        """The body of a Content-Length answer (what the server sends for JSON)."""
        return self.response.split(b"\r\n\r\n", 1)[1]


def with_status(response, status, reason="Forbidden"):
    """A raw answer with its status line changed and nothing else: headers and body (and
    so any signature over the body alone) stay as they were."""
    head, rest = response.split(b"\r\n", 1)
    version = head.split(b" ", 1)[0]
    return version + f" {status} {reason}".encode("latin-1") + b"\r\n" + rest


def _headers(head):
    lines = head.decode("latin-1").split("\r\n")
    fields = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
    return lines[0], fields


def _body_framing(fields):
    """('chunked', None), ('length', n) or (None, None) when there is no body."""
    if "chunked" in fields.get("transfer-encoding", "").lower():
        return "chunked", None
    if "content-length" in fields:
        try:
            return "length", int(fields["content-length"])
        except ValueError as error:
            raise _Closed("bad Content-Length") from error
    return None, None


def _relay_body(stream, framing, length, sink):
    """Pass a message body from `stream` to `sink` piece by piece, as framed."""
    if framing == "length":
        remaining = length
        while remaining:
            data = stream.read_some(min(CHUNK, remaining))
            remaining -= len(data)
            sink(data)
    elif framing == "chunked":
        while True:
            line = stream.read_until(b"\r\n")
            sink(line)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError as error:
                raise _Closed("bad chunk size") from error
            if size == 0:
                while True:  # trailers, up to the empty line
                    trailer = stream.read_until(b"\r\n")
                    sink(trailer)
                    if trailer == b"\r\n":
                        return
            remaining = size + 2  # the chunk and its CRLF
            while remaining:
                data = stream.read_some(min(CHUNK, remaining))
                remaining -= len(data)
                sink(data)
    elif framing == "close":
        while data := stream.read_until_close():
            sink(data)


class FaultProxy:
    """A loopback proxy to target_host:target_port whose faults switch at run time."""

    def __init__(self, target_host, target_port, listen_port=0, listen_host="127.0.0.1"):
        self.target = (target_host, int(target_port))
        self._listen_address = (listen_host, int(listen_port))
        self._lock = threading.Lock()
        self._rate, self._latency = None, 0.0
        self._cuts, self._drops, self._serves, self._captures = [], [], [], []
        self._up, self._down = _Link(self), _Link(self)
        self._listener = None
        self._sockets, self._threads = set(), []
        self._stopping = threading.Event()
        self.events = []  # (method, path, "forwarded" | "cut" | "dropped" | "served" | "failed"), in order

    # -- settings, safe to change from any thread while traffic flows -------------------------
    @property
    def rate_bytes_per_s(self):
        """Bytes per second in each direction; None or 0 for no limit."""
        return self._rate

    @rate_bytes_per_s.setter
    def rate_bytes_per_s(self, value):
        with self._lock:
            self._rate = float(value) if value else None

    @property
    def latency_s(self):
        """Seconds added before forwarding each request and before relaying each response."""
        return self._latency

    @latency_s.setter
    def latency_s(self, value):
        with self._lock:
            self._latency = max(0.0, float(value or 0))

    def cut_upload_after(self, n_bytes, prefix="/api/v1/sync/push", callback=None, times=1):
        """For the next `times` requests whose path starts with `prefix` (None: all of them
        until clear()): forward only the first `n_bytes` of the request (counted from its
        request line, head included), call `callback()`, then close both connections."""
        with self._lock:
            self._cuts.append(_Fault(prefix, times, int(n_bytes), callback))

    def drop_responses(self, prefix="/api/v1/sync/push", times=None):
        """For requests whose path starts with `prefix` (the next `times` ones; None: all
        until clear()): forward the request whole, read the server's whole response, discard
        it and close the client's connection. The server did the work; the phone never hears."""
        with self._lock:
            self._drops.append(_Fault(prefix, times))

    def capture(self, prefix, times=1):
        """Record the next `times` exchanges whose path starts with `prefix` (forwarded as
        usual). Returns the list they are appended to, as `Exchange`s, once answered."""
        exchanges = []
        with self._lock:
            self._captures.append(_Fault(prefix, times, exchanges=exchanges))
        return exchanges

    def serve(self, prefix, response, times=1):
        """For the next `times` requests whose path starts with `prefix`: read the request
        whole, forward nothing, and answer with these raw bytes (a replayed or forged answer)."""
        with self._lock:
            self._serves.append(_Fault(prefix, times, response=bytes(response)))

    def clear(self):
        """A good link again: no faults, no shaping, no latency."""
        with self._lock:
            for faults in (self._cuts, self._drops, self._serves, self._captures):
                faults.clear()
            self._rate, self._latency = None, 0.0

    def _take(self, faults, path):
        with self._lock:
            for fault in faults:
                if path.startswith(fault.prefix):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            faults.remove(fault)
                    return fault
        return None

    def _record(self, method, path, outcome):
        with self._lock:
            self.events.append((method, path, outcome))

    # -- life cycle ---------------------------------------------------------------------------
    @property
    def port(self):
        return self._listener.getsockname()[1]

    @property
    def url(self):
        return f"http://{self._listen_address[0]}:{self.port}"

    def start(self):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(self._listen_address)
        listener.listen(128)
        listener.settimeout(0.2)
        self._listener = listener
        self._spawn(self._accept_loop)
        return self

    def stop(self):
        self._stopping.set()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(5)
        if self._listener is not None:
            self._listener.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def _spawn(self, target, *args):
        thread = threading.Thread(target=target, args=args, daemon=True, name="fault-proxy")
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _track(self, sock):
        with self._lock:
            self._sockets.add(sock)
        return sock

    def _close(self, sock):
        if sock is None:
            return
        with self._lock:
            self._sockets.discard(sock)
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()

    def _accept_loop(self):
        while not self._stopping.is_set():
            try:
                client, _address = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(IO_TIMEOUT)
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._spawn(self._serve, self._track(client))

    # -- one client connection ------------------------------------------------------------------
    def _pause(self):
        if self._latency:
            time.sleep(self._latency)

    def _wait_for_request(self, client, upstream):
        """True when the client starts a request; False when either side closed while idle."""
        while not self._stopping.is_set():
            if client.buffer:
                return True
            watched = [client.sock] + ([upstream.sock] if upstream else [])
            readable, _, _ = select.select(watched, [], [], 0.5)
            if upstream and upstream.sock in readable:
                return False  # the server closed its idle keep-alive connection (or misbehaved)
            if client.sock in readable:
                return True
        return False

    def _serve(self, client_sock):
        client, upstream = _Stream(client_sock), None
        try:
            while self._wait_for_request(client, upstream):
                try:
                    head = client.read_until(b"\r\n\r\n")
                except _Closed:
                    return  # closed between requests: normal end of a keep-alive connection
                request_line, fields = _headers(head)
                parts = request_line.split(" ")
                if len(parts) != 3:
                    raise _Closed(f"not an HTTP request line: {request_line[:80]!r}")
                method, path = parts[0], parts[1]
                framing, length = _body_framing(fields)
                served = self._take(self._serves, path)
                if served:
                    self._pause()
                    _relay_body(client, framing, length, lambda data: None)
                    self._record(method, path, "served")  # before the client can see the answer
                    self._down.send(client.sock, served.response)
                    continue
                if upstream is None:
                    try:
                        sock = socket.create_connection(self.target, timeout=IO_TIMEOUT)
                    except OSError:
                        self._record(method, path, "failed")
                        return
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    upstream = _Stream(self._track(sock))
                cut = self._take(self._cuts, path)
                drop = None if cut else self._take(self._drops, path)
                self._pause()
                if cut:
                    self._cut(client, upstream, head, framing, length, cut)
                    self._record(method, path, "cut")
                    return
                captured = self._take(self._captures, path)
                request_body, response = bytearray(), bytearray()

                def upload(data):
                    if captured:
                        request_body.extend(data)
                    self._up.send(upstream.sock, data)

                self._up.send(upstream.sock, head)
                _relay_body(client, framing, length, upload)
                if not drop:
                    self._record(method, path, "forwarded")  # before the client can see the answer
                keep = self._relay_response(upstream, client.sock, method, drop,
                                            response.extend if captured else None)
                if captured:
                    with self._lock:
                        captured.exchanges.append(Exchange(head, bytes(request_body), bytes(response)))
                if drop:
                    self._record(method, path, "dropped")
                if drop or not keep or fields.get("connection", "").lower() == "close":
                    return
        except (_Closed, OSError) as error:
            log.debug("connection ended: %s", error)
        finally:
            self._close(client.sock)
            self._close(upstream.sock if upstream else None)

    def _cut(self, client, upstream, head, framing, length, fault):
        budget = [fault.n_bytes]

        def sink(data):
            part = data[:budget[0]]
            if part:
                self._up.send(upstream.sock, part)
            budget[0] -= len(part)
            if budget[0] <= 0:
                raise _CutReached()

        try:
            sink(head)
            _relay_body(client, framing, length, sink)
        except _CutReached:
            pass
        if fault.callback is not None:
            try:
                fault.callback()
            except Exception:  # a failing callback must not keep the connections open
                log.exception("cut callback failed")

    def _relay_response(self, upstream, client_sock, method, drop, record=None):
        """Relay (or, for a dropped response, read and discard) one response, handing its
        bytes to `record` too if given. Returns whether the connection may carry another
        exchange."""
        def sink(data):
            if record is not None:
                record(data)
            if not drop:
                self._down.send(client_sock, data)

        first = True
        while True:
            head = upstream.read_until(b"\r\n\r\n")
            status_line, fields = _headers(head)
            try:
                status = int(status_line.split(" ")[1])
            except (IndexError, ValueError) as error:
                raise _Closed(f"not an HTTP status line: {status_line[:80]!r}") from error
            if first and not drop:
                self._pause()
            first = False
            sink(head)
            if not 100 <= status < 200:
                break  # 1xx (100 Continue, 103 Early Hints) come before the real response
        if method == "HEAD" or status in (204, 304):
            framing, length = None, None
        else:
            framing, length = _body_framing(fields)
            if framing is None:
                framing = "close"
        _relay_body(upstream, framing, length, sink)
        return framing != "close" and fields.get("connection", "").lower() != "close"


def main(argv=None):
    parser = argparse.ArgumentParser(description="A slow or broken link between the app and the server.")
    parser.add_argument("--target", default="127.0.0.1:5000", help="host:port of the server")
    parser.add_argument("--listen", type=int, default=5050, help="port to listen on (0: any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--rate", type=float, default=None, help="bytes per second in each direction")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each request and response")
    parser.add_argument("--drop-responses", metavar="PREFIX", help="discard every response to paths with PREFIX")
    args = parser.parse_args(argv)
    host, _, port = args.target.rpartition(":")
    proxy = FaultProxy(host or "127.0.0.1", int(port), args.listen, args.host)
    proxy.rate_bytes_per_s, proxy.latency_s = args.rate, args.latency
    if args.drop_responses:
        proxy.drop_responses(args.drop_responses)
    with proxy:
        print(f"fault proxy {proxy.url} -> {args.target} (rate {args.rate or 'unlimited'} B/s, "
              f"latency {args.latency} s)", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
