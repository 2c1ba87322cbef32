"""People and their API tokens in the console, for admins (issue 17): what `flask users`
does, on the web. A new person of a console role, or one whose sign-in is reset, gets a
one-time set-up link to pass on; tokens are shown once."""
from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..access import service as access
from ..access.models import ROLES, Agency, ApiToken, ConsoleSession, User
from ..audit import service as audit
from ..extensions import db
from . import auth
from .routes import blp, signed_in


def _actor():
    return {"actor": g.console_user.username, "actor_kind": "user"}


def _person(username):
    user = db.session.scalar(select(User).filter_by(username=username))
    if user is None:
        abort(404)
    return user


@blp.get("/people")
@signed_in("admin")
def people():
    sessions = dict(db.session.execute(select(ConsoleSession.user_id, func.count()).where(
        ConsoleSession.ended_at.is_(None), ConsoleSession.verified_at.is_not(None)).group_by(ConsoleSession.user_id)).all())
    return render_template("console/people.html", people=access.users(), sessions=sessions)


def _agencies():
    return db.session.scalars(select(Agency).where(Agency.retired_on.is_(None)).order_by(Agency.code)).all()


def _email(form):
    text = form.get("email", "").strip()
    return text if "@" in text and len(text) <= 254 else None


@blp.route("/people/new", methods=["GET", "POST"])
@signed_in("admin")
def new_person():
    form = request.form
    if request.method == "GET":
        return render_template("console/person_new.html", roles=ROLES, agencies=_agencies())
    username = form.get("username", "").strip()
    if not username or db.session.scalar(select(User).filter_by(username=username)):
        return render_template("console/person_new.html", roles=ROLES, agencies=_agencies(), error=_(
            "Choose a username no one has.")), 400
    try:
        user = access.create_user(username, form.get("name", "").strip() or username, form.get("role"),
                                  form.get("agency"), email=_email(form), **_actor())
    except (LookupError, ValueError) as error:
        db.session.rollback()
        return render_template("console/person_new.html", roles=ROLES, agencies=_agencies(), error=str(error)), 400
    link = auth.setup_link(user) if user.role in auth.CONSOLE_ROLES else None
    db.session.commit()
    return render_template("console/person.html", person=user, link=link, new_token=None,
                           tokens=[], roles=ROLES, agencies=_agencies())


@blp.route("/people/<username>", methods=["GET", "POST"])
@signed_in("admin")
def person(username):
    user = _person(username)
    link = new_token = None
    if request.method == "POST":
        action = request.form.get("action")
        if action == "change":
            role, agency = request.form.get("role"), request.form.get("agency")
            if role not in ROLES:
                abort(400)
            email = _email(request.form)
            if email != user.email:
                user.email = email
                audit.record("user.changed", target=f"user:{user.username}", detail={"email": bool(email)},
                             commit=False, **_actor())
            changed = {"role": role, "agency": agency} if (role, agency) != (user.role, user.agency.code) else None
            if changed:
                user.role, user.agency = role, access.agency_by_code(agency)
                auth.end_sessions(user.id)  # what they may see changed: they sign in again
                audit.record("user.changed", target=f"user:{user.username}", detail=changed, commit=False, **_actor())
        elif action == "disable":
            access.disable_user(user.username, **_actor())
            auth.end_sessions(user.id)
        elif action == "end_sessions":
            ended = auth.end_sessions(user.id)
            audit.record("user.sessions_ended", target=f"user:{user.username}", detail={"sessions": ended},
                         commit=False, **_actor())
        elif action == "reset_sign_in":
            auth.reset_sign_in(user, **_actor())
            link = auth.setup_link(user)
        elif action == "issue_token":
            new_token, _row = access.issue_token(user, request.form.get("days", type=int), **_actor())
        elif action == "revoke_token":
            row = db.session.get(ApiToken, request.form.get("token", type=int) or 0)
            if row is None or row.user_id != user.id:
                abort(404)
            access.revoke_token(row.id, **_actor())
        else:
            abort(400)
        db.session.commit()
        if not (link or new_token):
            return redirect(url_for("console.person", username=user.username))
    return render_template("console/person.html", person=user, link=link, new_token=new_token,
                           tokens=access.tokens_of(user), roles=ROLES, agencies=_agencies())
