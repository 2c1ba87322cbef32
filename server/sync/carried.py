"""Carried-in sync (PROTOCOL.md §14): a phone that cannot reach the server exports its
waiting outbox to a file, someone carries the file to a supervisor, and the supervisor
uploads it in the console. Each envelope in it is taken exactly as if the phone had
pushed it (intake.receive: same checks, same ledger, same proofs, exactly once), on the
task queue, a batch at a time, with a receipt per envelope kept as it goes.

The file holds sealed envelopes only, so it reveals nothing on the way. Its framing is
checked whole before anything is stored: a damaged or cut file is refused with a code.
What is inside an envelope is the envelope's own business: a damaged one is quarantined
like a damaged push, and the others are taken."""
import hashlib
import json
import re
import secrets
from collections import Counter
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from .. import crypto
from ..audit import service as audit
from ..dbtypes import utcnow
from ..devices.models import Device
from ..extensions import db
from ..tasks import huey, in_app
from . import intake
from .models import CarriedUpload

FORMAT = "wildledger-outbox"
VERSION = 1
HEAD_KEYS = ["format", "v", "dev", "count", "exported_at", "app"]
BATCH = 50  # envelopes per intake transaction, as a push carries at most
_ENVELOPE = re.compile(rb'\{"h":"([^"\\\n]*)","ct":"([^"\\\n]*)","sig":"([^"\\\n]*)"\}')
_END = re.compile(rb'\{"end":(0|[1-9][0-9]*),"head_sha256":"([A-Za-z0-9_-]{43})"\}')
_DEVICE_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class CarriedFileError(ValueError):
    def __init__(self, code, detail=None):
        super().__init__(code)
        self.code, self.detail = code, detail


@dataclass
class OutboxFile:
    dev: str
    exported_at: int
    app: str
    envelopes: list  # {"h", "ct", "sig"}: the strings as they are in the file


def _compact(value):
    return json.dumps(value, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def write(dev, envelopes, exported_at, app):
    """The file as a phone writes it (the reference for the app and the vectors)."""
    head = _compact({"format": FORMAT, "v": VERSION, "dev": dev, "count": len(envelopes), "exported_at": exported_at,
                     "app": app})
    lines = [head] + [_compact({"h": e["h"], "ct": e["ct"], "sig": e["sig"]}) for e in envelopes]
    lines.append(_compact({"end": len(envelopes), "head_sha256": crypto.b64e(hashlib.sha256(head).digest())}))
    return b"\n".join(lines) + b"\n"


def parse(data):
    """An OutboxFile, or CarriedFileError("carried_file_invalid") naming the first thing wrong."""
    def refuse(detail):
        raise CarriedFileError("carried_file_invalid", detail)

    if not data.endswith(b"\n"):
        refuse("the file does not end with its end line")
    lines = data[:-1].split(b"\n")
    if len(lines) < 3:
        refuse("a head, at least one envelope and an end line are needed")
    head_line, body, end_line = lines[0], lines[1:-1], lines[-1]
    try:
        head = json.loads(head_line.decode("ascii"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        refuse("the head line is not JSON")
    if not isinstance(head, dict) or list(head) != HEAD_KEYS or _compact(head) != head_line:
        refuse("the head line is not as written")
    if head["format"] != FORMAT or head["v"] != VERSION:
        refuse("not a Wildledger outbox file of a version this server reads")
    if not isinstance(head["dev"], str) or not _DEVICE_ID.fullmatch(head["dev"]):
        refuse("the head names no device")
    for key in ("count", "exported_at"):
        if type(head[key]) is not int or head[key] < 0:
            refuse(f"the head's {key} is not a count")
    if not isinstance(head["app"], str) or len(head["app"]) > 40:
        refuse("the head's app version is not one")
    end = _END.fullmatch(end_line)
    if end is None:
        refuse("the last line is not an end line: the file was cut or damaged")
    if not (head["count"] == int(end[1]) == len(body)):
        refuse(f"the file holds {len(body)} envelopes; its head says {head['count']}, its end {int(end[1])}")
    if end[2].decode("ascii") != crypto.b64e(hashlib.sha256(head_line).digest()):
        refuse("the end line does not match the head line")
    envelopes = []
    for number, line in enumerate(body, start=2):
        match = _ENVELOPE.fullmatch(line)
        if match is None:
            refuse(f"line {number} is not an envelope line")
        # latin-1 maps bytes to characters one to one: a damaged character reaches intake
        # as it is and quarantines its envelope as malformed.
        envelopes.append(dict(zip(("h", "ct", "sig"), (part.decode("latin-1") for part in match.groups()))))
    return OutboxFile(head["dev"], head["exported_at"], head["app"], envelopes)


def accept_upload(data, file_name, user):
    """Check the file and queue it: a CarriedUpload, or CarriedFileError. The device must be
    one `user` supervises (any, for an admin); any other is answered as unknown."""
    if len(data) > current_app.config["CARRIED_MAX_BYTES"]:
        raise CarriedFileError("carried_file_too_large")
    parsed = parse(data)
    device = db.session.get(Device, parsed.dev)
    # A desk identity exports nothing: its records never wait in an outbox (devices/desks.py).
    if device is None or device.is_desk or (user.role != "admin" and device.agency_id != user.agency_id):
        raise CarriedFileError("carried_unknown_device")
    upload = CarriedUpload(token=secrets.token_urlsafe(16), device_id=device.id, uploaded_by=user.id,
                           file_name=(file_name or "")[:200] or None, file_sha256=hashlib.sha256(data).hexdigest(),
                           body=data, status="queued", total=len(parsed.envelopes), done=0, receipts=[])
    db.session.add(upload)
    audit.record("carried.uploaded", actor=user.username, actor_kind="user", target=f"device:{device.id}",
                 detail={"upload": upload.token, "envelopes": upload.total, "sha256": upload.file_sha256},
                 commit=False)
    db.session.commit()
    take_carried(upload.id)
    return upload


@huey.task(retries=3, retry_delay=10)
@in_app
def take_carried(upload_id):
    """Take an upload's envelopes a batch at a time, from where a previous run stopped.
    Each batch's receipts are committed with its progress, so a worker killed at any point
    resumes without losing a receipt; a batch taken twice is answered `duplicate`."""
    upload = db.session.get(CarriedUpload, upload_id)
    if upload is None or upload.status == "done":
        return
    device = db.session.get(Device, upload.device_id)
    envelopes = parse(upload.body).envelopes
    if upload.status == "queued":
        upload.status, upload.started_at = "running", utcnow()
        db.session.commit()
    while upload.done < upload.total:
        start = upload.done
        batch = envelopes[start:start + BATCH]
        result = intake.receive(device, batch, None)
        receipts = [{"i": start + receipt.i, "rid": receipt.rid, "status": receipt.status, "code": receipt.code,
                     "log_index": receipt.log_index} for receipt in result.receipts]
        upload.receipts = upload.receipts + receipts  # a new list: the JSON column sees the change
        upload.done = start + len(batch)
        db.session.commit()
    upload.status, upload.finished_at = "done", utcnow()
    from ..intel import service as intel

    intel.after_filing()
    audit.record("carried.taken", actor="task-queue", actor_kind="system", target=f"device:{device.id}",
                 detail={"upload": upload.token, **counts(upload)})


def counts(upload):
    """{status: how many receipts have it} so far."""
    return dict(Counter(receipt["status"] for receipt in upload.receipts))


def unfinished():
    return db.session.scalars(select(CarriedUpload.id).where(CarriedUpload.status != "done")
                              .order_by(CarriedUpload.id)).all()


def resume_unfinished():
    """Queue again every upload a stopped worker left unfinished (queued or part taken)."""
    ids = unfinished()
    for upload_id in ids:
        take_carried(upload_id)
    return len(ids)
