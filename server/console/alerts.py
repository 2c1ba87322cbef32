"""What needs a supervisor (issue 17), computed once for the console's alerts page and for
the alert e-mail: phones silent for N days, records missing by seq, storage nearly full, PIN
resets to confirm, a phone's transparency alarm, records held in quarantine, rid conflicts.

The e-mail goes when an SMTP server is configured (WILDLEDGER_SMTP_URL) to supervisors and
admins with an address, in the language they chose in the console, and only when something
is there that was not in the last one they got: `flask alerts mail`, run by housekeeping."""
import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ..access import service as access
from ..access.models import User
from ..audit import service as audit
from ..extensions import db
from ..sync.models import Quarantine

FLAGS = ("silent", "missing", "storage", "pin_reset")


def visible_quarantine(user):
    return access.of_own_devices(select(Quarantine), user, Quarantine.device_id)


def sections(user, moment):
    from .routes import _fleet_rows

    rows = [row for row in _fleet_rows(user, moment) if row["device"].revoked_at is None]
    held = db.session.scalars(visible_quarantine(user).where(Quarantine.status == "held")
                              .order_by(Quarantine.received_at.desc())).all()
    return {"by_flag": {flag: [row for row in rows if flag in row["flags"]] for flag in FLAGS},
            "alarms": [row for row in rows if (row["device"].app_state or {}).get("log_alarm")],
            "held": [row for row in held if row.code != "rid_conflict"],
            "conflicts": [row for row in held if row.code == "rid_conflict"]}


def keys(found):
    """One key per thing that needs someone, which changes when the thing does."""
    out = {f"{flag}:{row['device'].id}" + (f":{row['missing']}" if flag == "missing" else "")
           + (f":{row['device'].pin_resets}" if flag == "pin_reset" else "")
           for flag, rows in found["by_flag"].items() for row in rows}
    out |= {f"alarm:{row['device'].id}" for row in found["alarms"]}
    out |= {f"quarantine:{row.id}" for row in found["held"] + found["conflicts"]}
    return out


def _send(message):
    url = urlsplit(current_app.config["SMTP_URL"])
    secure = url.scheme == "smtps"
    port = url.port or (465 if secure else 25)
    smtp = smtplib.SMTP_SSL(url.hostname, port, timeout=30, context=ssl.create_default_context()) if secure \
        else smtplib.SMTP(url.hostname, port, timeout=30)
    with smtp:
        if url.scheme == "smtp+starttls":
            smtp.starttls(context=ssl.create_default_context())
        if url.username:
            smtp.login(unquote(url.username), unquote(url.password or ""))
        smtp.send_message(message)


def mail_due(moment):
    """Mail each person what needs them, if anything is new since their last alert e-mail.
    Returns how many e-mails went."""
    if not current_app.config["SMTP_URL"]:
        return 0
    people = db.session.scalars(select(User).where(User.role.in_(("supervisor", "admin")), User.email.is_not(None),
                                                   User.disabled_at.is_(None)).order_by(User.id)).all()
    sent = 0
    for user in people:
        found = sections(user, moment)
        now_keys = keys(found)
        if not now_keys - set(user.alerts_mailed or []):
            if set(user.alerts_mailed or []) != now_keys:
                user.alerts_mailed = sorted(now_keys)  # what was dealt with drops out
                db.session.commit()
            continue
        with force_locale(user.language or "en"):
            message = EmailMessage()
            message["Subject"] = _("Wildledger: what needs you now")
            message["From"] = current_app.config["MAIL_FROM"]
            message["To"] = user.email
            message.set_content(render_template("console/alerts_mail.txt", user=user,
                                                console_url=current_app.config["PUBLIC_URL"] + "/console/alerts",
                                                **found))
        _send(message)
        user.alerts_mailed = sorted(now_keys)
        audit.record("alerts.mailed", actor="housekeeping", actor_kind="system", target=f"user:{user.username}",
                     detail={"alerts": len(now_keys)})
        sent += 1
    return sent


def mail_grant(row):
    """Tell the recipients of a new share grant who have an address, when SMTP is set up:
    the seed project's one success began with one message passed from one customs to another."""
    from ..access import grants

    if not current_app.config["SMTP_URL"]:
        return 0
    sent = 0
    for user in grants.recipients(row):
        if not user.email:
            continue
        with force_locale(user.language or "en"):
            message = EmailMessage()
            message["Subject"] = _("Wildledger: records shared with you")
            message["From"] = current_app.config["MAIL_FROM"]
            message["To"] = user.email
            message.set_content(render_template("console/share_mail.txt", user=user, grant=row,
                                                count=len(grants.rids_of(row)),
                                                inbox_url=current_app.config["PUBLIC_URL"] + "/console/shares"))
        _send(message)
        sent += 1
    return sent
