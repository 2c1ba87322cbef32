"""The supervisor console (issue 17), server-rendered under /console: sign-in with a password
and a second factor, the one-time set-up link, sessions, and the fleet of phones.

Every form carries a CSRF token (flask-wtf), checked on every POST; the pages hold no inline
script, so the Content-Security-Policy (headers.py) forbids it."""
from datetime import timedelta
from functools import wraps
from io import BytesIO

import qrcode
import qrcode.image.svg
from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError, CSRFProtect
from markupsafe import Markup
from sqlalchemy import select

from ..access.models import User
from ..audit import service as audit
from ..devices import desks
from ..devices import service as devices
from ..extensions import db
from ..i18n import LANGUAGE_COOKIE, LOCALES
from . import auth

blp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates", static_folder="static")
csrf = CSRFProtect()
SESSION_COOKIE = "wl_console"
DIRECTORY_SHEET_MAX_BYTES = 8 * 1024 * 1024
LANGUAGE_NAMES = {"en": "English", "vi": "Tiếng Việt", "lo": "ພາສາລາວ", "zh_Hans": "简体中文"}
ROLE_NAMES = {"officer": _l("Officer"), "supervisor": _l("Supervisor"), "analyst": _l("Analyst"),
              "admin": _l("Administrator")}


def init_app(app):
    csrf.init_app(app)
    secure = app.config["PUBLIC_URL"].startswith("https://")
    # The CSRF token lives in Flask's own session cookie, as strict as the console's.
    app.config.update(SESSION_COOKIE_NAME="__Host-wl_csrf" if secure else "wl_csrf", SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Strict", SESSION_COOKIE_SECURE=secure)
    from . import admin, carried, directory, exports, intel, people, records, reports, sets, shares  # noqa: F401  (their pages join the blueprint before it is registered)

    app.register_blueprint(blp)


def _cookie_name():
    return f"__Host-{SESSION_COOKIE}" if current_app.config["SESSION_COOKIE_SECURE"] else SESSION_COOKIE


def _set_cookie(response, token):
    response.set_cookie(_cookie_name(), token, httponly=True, samesite="Strict", path="/",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


@blp.before_request
def _check_csrf():
    if request.method == "POST":
        if request.endpoint == "console.carried_uploads":  # an outbox file may be far larger than a push
            request.max_content_length = current_app.config["CARRIED_MAX_BYTES"] + 64 * 1024
        elif request.endpoint == "console.directory_import":  # a directory workbook, not a phone's batch
            request.max_content_length = DIRECTORY_SHEET_MAX_BYTES
        csrf.protect()


@blp.errorhandler(CSRFError)
def _csrf_refused(error):
    return render_template("console/message.html", title=_("This form has expired"), message=_(
        "The page was open too long, or came from somewhere else. Go back, reload it and try again.")), 400


@blp.app_template_filter("when")
def when(moment):
    """A time in UTC as every language here reads it, 2026-11-30 07:45: a table of two
    thousand phones cannot afford a locale-aware formatter per cell."""
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


@blp.context_processor
def _context():
    return {"languages": [(code, LANGUAGE_NAMES[code]) for code in LOCALES], "who": g.get("console_user"),
            "locale": str(get_locale()), "format_datetime": format_datetime, "role_names": ROLE_NAMES}


def code_names(list_id):
    """{key: name in the reader's language} of a code list."""
    from ..reference import catalog

    locale = str(get_locale())
    return {item["key"]: item["names"].get(locale) or item["names"]["en"]
            for item in catalog.code_lists()[list_id]["items"]}


def signed_in(*roles):
    """A console page for these roles (all console roles when none is named)."""
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            row = auth.find_session(request.cookies.get(_cookie_name()))
            if row is None:
                return redirect(url_for("console.login", next=request.path))
            if roles and row.user.role not in roles:
                abort(404)  # a page one may not see does not exist
            row.last_seen_at = auth.now()
            db.session.commit()
            g.console_session, g.console_user = row, row.user
            return view(*args, **kwargs)
        return wrapper
    return decorate


# -- language ------------------------------------------------------------------------------------

@blp.post("/language")
def language():
    code = request.form.get("language")
    target = request.form.get("next") or url_for("console.index")
    response = redirect(target if target.startswith("/console") else url_for("console.index"))
    if code in LOCALES:
        response.set_cookie(LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600, samesite="Strict", path="/",
                            httponly=True, secure=current_app.config["SESSION_COOKIE_SECURE"])
        row = auth.find_session(request.cookies.get(_cookie_name()))
        if row is not None and row.user.language != code:
            row.user.language = code  # their alert e-mails speak it too
            db.session.commit()
    return response


# -- signing in ----------------------------------------------------------------------------------

def _failed(username, message=None):
    audit.record("console.sign_in_failed", actor="console", actor_kind="system", target=f"user:{username}")
    auth.limiter().fail(username)
    return render_template("console/login.html", error=message or _(
        "The username, password or code is wrong."), username=username), 401


def _locked():
    return render_template("console/login.html", error=_(
        "Too many failed sign-ins. Wait %(minutes)d minutes and try again, or ask an administrator.",
        minutes=current_app.config["CONSOLE_LOCKOUT_MINUTES"])), 429


@blp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("console/login.html")
    username = request.form.get("username", "").strip()[:80]
    if auth.limiter().locked(username):
        return _locked()
    user = db.session.scalar(select(User).filter_by(username=username)) if username else None
    password_ok = auth.check_password(user, request.form.get("password", ""))
    if not password_ok or user.disabled_at is not None or user.role not in auth.CONSOLE_ROLES or not user.totp_secret:
        return _failed(username)
    token = auth.start_session(user)
    db.session.commit()
    response = redirect(url_for("console.second_factor", next=request.args.get("next", "")))
    return _set_cookie(response, token)


@blp.route("/login/code", methods=["GET", "POST"])
def second_factor():
    row = auth.find_session(request.cookies.get(_cookie_name()), verified=False)
    if row is None or row.verified_at is not None:
        return redirect(url_for("console.login"))
    if request.method == "GET":
        return render_template("console/code.html")
    user = row.user
    if auth.limiter().locked(user.username):
        return _locked()
    code = request.form.get("code", "")
    if not (auth.check_totp(user, code) or auth.use_recovery_code(user, code)):
        db.session.commit()
        return _failed(user.username)
    row.verified_at = row.last_seen_at = auth.now()
    audit.record("console.signed_in", actor=user.username, actor_kind="user", target=f"user:{user.username}",
                 detail={"recovery_codes_left": len(user.recovery_codes or [])}, commit=False)
    db.session.commit()
    target = request.args.get("next") or ""
    return redirect(target if target.startswith("/console") else url_for("console.index"))


@blp.post("/logout")
@signed_in()
def logout():
    everywhere = request.form.get("everywhere") == "1"
    if everywhere:
        auth.end_sessions(g.console_user.id)
    else:
        g.console_session.ended_at = auth.now()
    audit.record("console.signed_out", actor=g.console_user.username, actor_kind="user",
                 detail={"everywhere": everywhere}, commit=False)
    db.session.commit()
    response = redirect(url_for("console.login"))
    response.delete_cookie(_cookie_name(), path="/")
    return response


# -- the one-time set-up link ------------------------------------------------------------------

def _qr_svg(text):
    """A QR code as inline SVG markup (no script, no data: URL, no style attribute)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    out = BytesIO()
    image.save(out)
    svg = out.getvalue().decode()
    return Markup(svg[svg.index("<svg"):])


@blp.route("/setup/<token>", methods=["GET", "POST"])
def setup(token):
    """Choose a password and scan the second factor; then the recovery codes, shown once."""
    user = auth.user_for_setup(token)
    if user is None:
        return render_template("console/message.html", title=_("This link does not work"), message=_(
            "It was used already, has expired, or was replaced by a newer one. Ask an administrator for a new "
            "link.")), 404
    secret = request.form.get("secret") or auth.new_totp_secret()
    context = {"user": user, "secret": secret, "qr": _qr_svg(auth.totp_uri(user, secret))}
    if request.method == "GET":
        return render_template("console/setup.html", **context)
    password = request.form.get("password", "")
    if password != request.form.get("password2", ""):
        return render_template("console/setup.html", error=_("The two passwords differ."), **context), 400
    try:
        auth.set_password(user, password)
    except auth.WeakPassword as error:
        return render_template("console/setup.html", error=_(
            "A password needs at least %(num)d characters.", num=error.args[0]), **context), 400
    if not auth.check_totp(user, request.form.get("code", ""), secret=secret):
        db.session.rollback()
        return render_template("console/setup.html", error=_(
            "That code does not match: check the authenticator app's clock and type the code it shows now."),
            **context), 400
    auth.set_totp(user, secret)
    codes = auth.new_recovery_codes(user)
    user.setup_token_hash = user.setup_expires_at = None
    auth.end_sessions(user.id)
    audit.record("console.set_up", actor=user.username, actor_kind="user", target=f"user:{user.username}",
                 commit=False)
    db.session.commit()
    return render_template("console/recovery.html", codes=codes)


# -- pages ---------------------------------------------------------------------------------------

@blp.get("/")
@signed_in()
def index():
    return redirect(url_for("console.fleet" if g.console_user.role in ("supervisor", "admin") else "console.records"))


FLAGS = ("silent", "missing", "storage", "pin_reset", "revoked")
SORTS = {"officer": lambda d: (d["officer"] or "").lower(), "last_push": lambda d: d["last_push_sort"],
         "missing": lambda d: d["missing"], "version": lambda d: d["version"] or "", "enrolled": lambda d: d["enrolled_at"]}
STORAGE_NEARLY_FULL = 0.9
FLEET_PAGE = 200


def _fleet_rows(user, moment):
    silent_after = timedelta(days=current_app.config["CONSOLE_SILENT_DAYS"])
    rows = []
    for device, last_push, missing in devices.fleet(None if user.role == "admin" else user.agency_id):
        state = device.app_state or {}
        usage, quota = state.get("storage_usage"), state.get("storage_quota")
        full = usage / quota if usage is not None and quota else None
        contact = device.last_seen_at or device.enrolled_at
        flags = [flag for flag, on in (
            ("revoked", device.revoked_at is not None),
            ("silent", device.revoked_at is None and moment - contact > silent_after),
            ("missing", missing > 0),
            ("storage", full is not None and full >= STORAGE_NEARLY_FULL),
            ("pin_reset", device.pin_resets > device.pin_resets_confirmed)) if on]
        rows.append({"device": device, "officer": device.officer_name, "agency": device.agency.code,
                     "enrolled_at": device.enrolled_at, "last_seen": device.last_seen_at, "last_push": last_push,
                     "last_push_sort": last_push.timestamp() if last_push else 0, "missing": missing,
                     "version": state.get("version"), "persistent": state.get("storage_persistent"),
                     "full": full, "offset_ms": device.clock_offset_ms, "flags": flags})
    return rows


@blp.get("/fleet")
@signed_in("supervisor", "admin")
def fleet():
    """Every phone of the supervisor's agency (an admin: every phone), with what needs them."""
    moment = auth.now()
    rows = _fleet_rows(g.console_user, moment)
    query = request.args.get("q", "").strip().lower()
    flag = request.args.get("flag")
    if query:
        rows = [row for row in rows if query in (row["officer"] or "").lower() or query in row["device"].id]
    if flag in FLAGS:
        rows = [row for row in rows if flag in row["flags"]]
    sort = request.args.get("sort") if request.args.get("sort") in SORTS else "last_push"
    rows.sort(key=SORTS[sort], reverse=request.args.get("order", "asc") == "desc")
    # What needs attention is counted over every phone; the table shows a page of them.
    counts = {name: sum(name in row["flags"] for row in rows) for name in FLAGS}
    pages = max(1, -(-len(rows) // FLEET_PAGE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    total, rows = len(rows), rows[(page - 1) * FLEET_PAGE:page * FLEET_PAGE]
    # Templates with blanks, translated once for all rows (Jinja's _() fills its blanks at once).
    per_row = {"seconds": _("%(seconds)s s"), "full": _("%(percent)d%% full")}
    # Desk identities are not phones (they never sync, nor fall silent): listed apart.
    desk_rows = desks.desks(None if g.console_user.role == "admin" else g.console_user.agency_id)
    return render_template("console/fleet.html", rows=rows, computed_at=moment, flag=flag, query=query, sort=sort,
                           flags=FLAGS, silent_days=current_app.config["CONSOLE_SILENT_DAYS"], per_row=per_row,
                           counts=counts, total=total, page=page, pages=pages, page_size=FLEET_PAGE,
                           order=request.args.get("order", "asc"), desks=desk_rows)


# -- enrolling phones ----------------------------------------------------------------------------

def _actor():
    return {"actor": g.console_user.username, "actor_kind": "user"}


def _agency_of_unit():
    """The agency a supervisor enrolls for: their own (an admin: the one named, else theirs)."""
    user = g.console_user
    if user.role == "admin" and request.values.get("agency"):
        from ..access import service as access

        try:
            return access.agency_by_code(request.values["agency"])
        except LookupError:
            abort(404)
    return user.agency


@blp.route("/enroll", methods=["GET", "POST"])
@signed_in("supervisor", "admin")
def enroll():
    """One code on screen, its QR and its expiry counting down; or a printable sheet of codes,
    one per named officer, for posts the supervisor cannot visit."""
    agency = _agency_of_unit()
    max_days = current_app.config["CONSOLE_SHEET_MAX_DAYS"]
    created = []
    error = None
    if request.method == "POST":
        names = [name.strip() for name in request.form.get("officers", "").splitlines() if name.strip()]
        sheet = request.form.get("kind") == "sheet"
        if sheet and not names:
            error = _("Name at least one officer: each code on the sheet is for one person.")
        else:
            days = request.form.get("days", type=int) or 1
            ttl = min(max(days, 1), max_days) * 86400 if sheet else current_app.config["ENROLL_TOKEN_TTL"]
            for name in (names if sheet else names[:1] or [None]):
                token, row = devices.create_enrollment(agency, officer_name=name, ttl_seconds=ttl, **_actor())
                url = devices.enrollment_url(token)
                created.append({"row": row, "url": url, "qr": _qr_svg(url)})
            db.session.commit()
            if sheet:
                return render_template("console/sheet.html", created=created, agency=agency)
    return render_template("console/enroll.html", created=created, agency=agency, error=error, max_days=max_days,
                           outstanding=devices.outstanding_enrollments(agency))


@blp.post("/enroll/<int:token_id>/withdraw")
@signed_in("supervisor", "admin")
def withdraw(token_id):
    from ..devices.models import EnrollmentToken

    row = db.session.get(EnrollmentToken, token_id)
    if row is None or (g.console_user.role != "admin" and row.agency_id != g.console_user.agency_id):
        abort(404)
    if row.used_at is None:
        devices.withdraw_enrollment(row, **_actor())
    return redirect(url_for("console.enroll"))


# -- one phone: revoke, confirm a PIN reset ----------------------------------------------------------

def _device(device_id):
    from ..devices.models import Device

    device = db.session.get(Device, device_id)
    if device is None or device.is_desk or (g.console_user.role != "admin"
                                            and device.agency_id != g.console_user.agency_id):
        abort(404)  # another agency's phone does not exist here; a desk identity is no phone
    return device


@blp.route("/devices/<device_id>/revoke", methods=["GET", "POST"])
@signed_in("supervisor", "admin")
def revoke(device_id):
    device = _device(device_id)
    if request.method == "POST" and device.revoked_at is None:
        reason = request.form.get("reason", "").strip()
        if not reason or request.form.get("confirm") != "yes":
            return render_template("console/revoke.html", device=device, error=_(
                "Say why, and tick the box to confirm: a revoked phone cannot be brought back.")), 400
        devices.revoke(device.id, reason=reason[:500], **_actor())
        return redirect(url_for("console.fleet"))
    return render_template("console/revoke.html", device=device)


@blp.post("/devices/<device_id>/confirm")
@signed_in("supervisor", "admin")
def confirm_pin_reset(device_id):
    device = _device(device_id)
    devices.confirm(device.id, **_actor())
    db.session.commit()
    return redirect(url_for("console.fleet", flag="pin_reset"))
