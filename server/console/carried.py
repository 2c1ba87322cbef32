"""Carried-in outbox files in the console (issue 17, PROTOCOL.md §14): a supervisor uploads
the file a phone without signal exported; the task queue takes its envelopes; the page
shows its progress and a receipt per record. A file whose framing is damaged is refused
whole, with its code, and nothing in it is stored."""
from flask import abort, current_app, g, redirect, render_template, request, url_for
from sqlalchemy import select

from .. import errors
from ..access import service as access
from ..audit import service as audit
from ..devices.models import Device
from ..extensions import db
from ..sync import carried, intake
from ..sync.models import CarriedUpload
from .routes import blp, signed_in

RECENT = 50


def _visible_uploads():
    return access.of_own_devices(select(CarriedUpload), g.console_user, CarriedUpload.device_id)


def _problem(code):
    return errors.message(code) if code in errors.PROBLEMS else code


@blp.route("/carried", methods=["GET", "POST"])
@signed_in("supervisor", "admin")
def carried_uploads():
    user, refused = g.console_user, None
    if request.method == "POST":
        sent = request.files.get("file")
        data = sent.read(current_app.config["CARRIED_MAX_BYTES"] + 1) if sent else b""
        try:
            upload = carried.accept_upload(data, sent.filename if sent else None, user)
        except carried.CarriedFileError as error:
            db.session.rollback()
            audit.record("carried.refused", actor=user.username, actor_kind="user",
                         detail={"code": error.code, "detail": error.detail, "bytes": len(data)})
            refused = error
        else:
            return redirect(url_for("console.carried_upload", token=upload.token))
    uploads = db.session.scalars(_visible_uploads().order_by(CarriedUpload.id.desc()).limit(RECENT)).all()
    devices = {device.id: device for device in db.session.scalars(
        select(Device).where(Device.id.in_({upload.device_id for upload in uploads})))}
    return render_template("console/carried.html", uploads=uploads, devices=devices, refused=refused,
                           problem=_problem, max_mb=current_app.config["CARRIED_MAX_BYTES"] // (1024 * 1024)
                           ), 422 if refused else 200


@blp.get("/carried/<token>")
@signed_in("supervisor", "admin")
def carried_upload(token):
    upload = db.session.scalar(_visible_uploads().where(CarriedUpload.token == token))
    if upload is None:
        abort(404)
    return render_template("console/carried_upload.html", upload=upload, counts=carried.counts(upload), problem=_problem,
                           device=db.session.get(Device, upload.device_id),
                           missing=intake.missing_seqs(upload.device_id) if upload.status == "done" else [])
