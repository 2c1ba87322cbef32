"""A device in Python that seals and syncs exactly as the PWA does.

Used by the tests, the demo loader, `flask demo simulate` and the benchmarks. It talks
to the server through a transport: the Flask test client in-process, or real HTTP.
"""
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import requests

from .. import crypto
from . import log_client


@dataclass
class Answer:
    status: int
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


class FlaskTransport:
    def __init__(self, client):
        self.client = client

    def request(self, method, path, body, headers):
        response = self.client.open(path, method=method, data=body, headers=headers)
        return Answer(response.status_code, dict(response.headers), response.get_data())


class HttpTransport:
    def __init__(self, base_url, timeout=30):
        self.base_url, self.timeout = base_url.rstrip("/"), timeout
        self.session = requests.Session()

    def request(self, method, path, body, headers):
        response = self.session.request(method, self.base_url + path, data=body, headers=headers,
                                        timeout=self.timeout)
        return Answer(response.status_code, dict(response.headers), response.content)


class DeviceError(Exception):
    def __init__(self, answer):
        super().__init__(f"{answer.status}: {answer.body[:300]!r}")
        self.answer = answer
        self.code = answer.json().get("code") if answer.body.startswith(b"{") else None


class BadAnswer(DeviceError):
    """An answer whose signature does not check against the request: no answer at all."""


class SimulatedDevice:
    PUSH = "/api/v1/sync/push"
    ENROLL = "/api/v1/enroll"

    def __init__(self, transport, clock_error_ms=0, clock=time.time, language="en"):
        self.transport = transport
        self.clock_error_ms = clock_error_ms  # how wrong this phone's clock is
        self.clock = clock
        self.language = language
        self.key = crypto.generate_key()
        self.offset_ms = 0  # learned from the server's clock_skew answers
        self.seq = 0
        self.prev = None
        self.outbox = {}  # rid -> envelope, in sealing order; deleted only on a receipt
        self.receipts = {}  # rid -> last receipt
        self.retained = {}  # rid -> (envelope, log index, epoch): kept to push again after a restore
        self.head = None  # the newest signed tree head verified
        self.device_id = self.intake = self.signing_key = None
        self.collections = {}  # name -> {"checkpoint": int, "items": {key: data}}

    def key_public(self):
        return crypto.public_raw(self.key)

    # -- clock ----------------------------------------------------------------------
    def device_ms(self):
        return int(self.clock() * 1000) + self.clock_error_ms

    # -- enrollment -----------------------------------------------------------------------
    def enroll(self, url_or_token):
        fragment = parse_qs(urlsplit(url_or_token).fragment) if "#" in url_or_token else {}
        token = fragment["t"][0] if fragment else url_or_token
        public = crypto.public_raw(self.key)
        body = crypto.compact_json({"token": token, "public_key": crypto.b64e(public),
                         "proof": crypto.b64e(crypto.sign(self.key, crypto.enroll_message(token)))})
        nonce = secrets.token_urlsafe(16)
        answer = self.transport.request("POST", self.ENROLL, body,
                                        {"Content-Type": "application/json", "Wl-Nonce": nonce})
        if answer.status != 201:
            raise DeviceError(answer)
        data = answer.json()
        intake, signing = data["intake_keys"][0], data["signing_key"]
        if fragment and (intake["fingerprint"] != fragment["ik"][0] or signing["fingerprint"] != fragment["sk"][0]):
            raise ValueError("server keys do not match the fingerprints in the QR code")
        for described in (intake, signing):
            if crypto.fingerprint(crypto.b64d(described["public_key"])) != described["fingerprint"]:
                raise ValueError("server key does not match its own fingerprint")
        self.device_id = data["device_id"]
        self.intake = (intake["kid"], crypto.b64d(intake["public_key"]))
        self.signing_key = crypto.b64d(signing["public_key"])
        self.check_answer(answer, nonce, "POST", self.ENROLL)
        return data

    # -- sealing ----------------------------------------------------------------------------
    def seal(self, fields, form="seizure", version=1, supersedes=None, rid=None, tz=None, pin_resets=None):
        rid = rid or str(uuid.uuid4())
        self.seq += 1
        header = crypto.compact_json({"v": 1, "rid": rid, "dev": self.device_id, "seq": self.seq, "ts": self.device_ms(),
                           "kid": self.intake[0], "prev": self.prev})
        document = {"form": form, "version": version, "fields": fields}
        if supersedes:
            document["supersedes"] = supersedes
        if tz:
            document["tz"] = tz
        if pin_resets is not None:
            document["pin_resets"] = pin_resets
        ct, sig = crypto.seal_record(self.key, self.intake[1], header, crypto.compact_json(document))
        self.prev = crypto.b64e(crypto.envelope_digest(header, ct, sig))
        self.outbox[rid] = {"h": crypto.b64e(header), "ct": crypto.b64e(ct), "sig": crypto.b64e(sig)}
        return rid

    # -- requests ---------------------------------------------------------------------------------
    def signed_headers(self, path, body, method="POST", nonce=None):
        timestamp = self.device_ms() + self.offset_ms
        nonce = nonce or secrets.token_urlsafe(16)
        signature = crypto.sign(self.key, crypto.request_message(method, path, timestamp, self.offset_ms, nonce, body))
        return {"Content-Type": "application/json", "Accept-Language": self.language,
                "Wl-Device": self.device_id, "Wl-Timestamp": str(timestamp),
                "Wl-Clock-Offset": str(self.offset_ms), "Wl-Nonce": nonce,
                "Wl-Signature": crypto.b64e(signature)}

    def send_signed(self, method, path, body=b""):
        """Sends a signed request; returns the answer once its signature is checked against
        the request (PROTOCOL.md §5). An answer that does not check raises BadAnswer."""
        answer = self._exchange(method, path, body)
        if answer.status == 401 and answer.json().get("code") == "clock_skew":
            # Re-sign with the measured offset; the records keep their own device times.
            self.offset_ms = answer.json()["server_time"] - self.device_ms()
            answer = self._exchange(method, path, body)
        return answer

    def _exchange(self, method, path, body):
        headers = self.signed_headers(path, body, method)
        answer = self.transport.request(method, path, body, headers)
        self.check_answer(answer, headers["Wl-Nonce"], method, path)
        return answer

    def post_signed(self, path, body):
        return self.send_signed("POST", path, body)

    def check_answer(self, answer, nonce, method, path):
        value = {k.lower(): v for k, v in answer.headers.items()}.get("wl-answer-signature", "")
        try:
            _kid, time_ms, signature = value.split(".")
            crypto.verify(self.signing_key, crypto.answer_message(nonce, method, path, answer.status, int(time_ms),
                                                                  answer.body), crypto.b64d(signature))
        except (ValueError, crypto.CryptoError) as error:
            raise BadAnswer(answer) from error

    def held_log(self):
        return {"epoch": self.head["epoch"], "size": self.head["size"]} if self.head else None

    def push(self, rids=None, app=None):
        """Push these outbox records (default: all, in order) in one batch, with what the
        phone says about itself (`app`: version, storage) if given. An entry leaves the
        outbox only when its receipt's inclusion proof verifies against a head consistent
        with the one held (PROTOCOL.md §7, §9); a contradiction raises LogAlarm."""
        rids = list(self.outbox) if rids is None else rids
        held = self.held_log()
        body = crypto.compact_json({"records": [self.outbox[rid] for rid in rids], **({"app": app} if app else {}),
                         **({"log": held} if held else {})})
        answer = self.post_signed(self.PUSH, body)
        if answer.status not in (200, 403):
            raise DeviceError(answer)
        result = answer.json()
        if answer.status == 403 and "receipts" not in result:
            raise DeviceError(answer)
        head = self._take_log(result["log"])
        for receipt in result["receipts"]:
            # Receipts name their position: a damaged envelope may have no readable rid.
            rid = rids[receipt["i"]]
            envelope = self.outbox.get(rid)
            if envelope is None or not self._holds(head, receipt, envelope):
                continue
            self.receipts[rid] = receipt
            self.retained[rid] = (envelope, receipt.get("log_index"), head["epoch"])
            self.outbox.pop(rid, None)
        if answer.status == 403:
            raise DeviceError(answer)
        return result

    def _holds(self, head, receipt, envelope):
        """Whether the receipt shows the server holds this envelope, so it may leave the outbox."""
        status, in_log = receipt["status"], receipt.get("log_index") is not None
        try:
            parts = [crypto.b64d(envelope[k]) for k in ("h", "ct", "sig")]
            digest = crypto.envelope_digest(*parts)
        except (crypto.CryptoError, KeyError, TypeError):
            return status == "quarantined" and not in_log  # our copy is broken: the server's word stands
        if in_log:
            return log_client.check_receipt(head, receipt, digest) and status in ("accepted", "duplicate",
                                                                                   "quarantined", "conflict")
        if status != "quarantined":
            return False
        # Refused before the log (a broken signature): believed only if our copy is broken too.
        try:
            crypto.verify_envelope(crypto.public_raw(self.key), *parts)
            return False
        except crypto.CryptoError:
            return True

    def _take_log(self, view):
        head, restored_to = log_client.check_view(self.signing_key, self.head, view)
        if restored_to is not None:
            # The server was restored from a dump: what it lost is sent again.
            for rid, (envelope, index, epoch) in list(self.retained.items()):
                if index is not None and epoch < head["epoch"] and index > restored_to:
                    self.outbox[rid] = envelope
                    del self.retained[rid]
        self.head = head
        return head

    def check_log(self):
        """Every sync asks for the head and a consistency proof, even with nothing to push."""
        held = self.held_log()
        query = f"?epoch={held['epoch']}&size={held['size']}" if held else ""
        answer = self.send_signed("GET", f"/api/v1/sync/log{query}")
        if answer.status != 200:
            raise DeviceError(answer)
        return self._take_log(answer.json())

    def sync(self, batch_size=25):
        receipts = []
        while self.outbox:
            batch = list(self.outbox)[:batch_size]
            receipts.extend(self.push(batch)["receipts"])
            if all(rid in self.outbox for rid in batch):
                break  # nothing the server holds provably: try again later, never in a loop
        if not receipts:
            self.check_log()
        return receipts

    def export_outbox(self, exported_at=1764300000000, app="simulator"):
        """The waiting outbox as a carried-in file (PROTOCOL.md §14); the outbox keeps it all."""
        from ..sync import carried

        return carried.write(self.device_id, list(self.outbox.values()), exported_at, app)

    # -- pulls ----------------------------------------------------------------------------------
    def pull(self, name, limit=500):
        """Bring a local collection up to date; returns the pages fetched. Answers are
        checked against the pinned signing key and must echo what was asked."""
        local = self.collections.setdefault(name, {"checkpoint": 0, "history": None, "items": {}})
        pages = 0
        while True:
            since = local["checkpoint"]
            query = f"since={since}&limit={limit}" + (f"&history={local['history']}" if since else "")
            answer = self.send_signed("GET", f"/api/v1/sync/pull/{name}?{query}")
            if answer.status == 410:  # our copy cannot be patched: start over
                local.update(checkpoint=0, history=None, items={})
                continue
            if answer.status != 200:
                raise DeviceError(answer)
            page = answer.json()
            if (page["collection"], page["since"]) != (name, since):
                raise ValueError("a pull answer for something else")
            for item in page["items"]:
                local["items"][item["key"]] = item["data"]
            for tombstone in page["tombstones"]:
                local["items"].pop(tombstone["key"], None)
            local["checkpoint"], local["history"] = page["checkpoint"], page["history"]
            pages += 1
            if not page["more"]:
                return pages
