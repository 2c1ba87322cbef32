"""Alert e-mails (issue 17): with an SMTP server configured, housekeeping mails each
supervisor what newly needs them, in the language they chose in the console, once; a real
SMTP server (aiosmtpd) receives them."""
import email
import email.policy

import pytest
from aiosmtpd.controller import Controller
from flask_babel import force_locale, gettext
from sqlalchemy import select

from server.audit.models import AuditEntry
from server.devices.models import Device
from server.demo.serving import free_port
from server.extensions import db
from tests.conftest import enroll_device
from tests.test_console import TOKEN, Person


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def inbox(app):
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(SMTP_URL=f"smtp://127.0.0.1:{controller.port}", MAIL_FROM="alerts@wildledger.test")
    yield handler
    controller.stop()


def _housekeeping(app):
    result = app.test_cli_runner().invoke(args=["housekeeping"])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_supervisor_is_mailed_what_newly_needs_them_in_their_language_and_only_once(app, inbox, clock):
    quiet = enroll_device(app, "VN-HQ-QN")
    enroll_device(app, "CN-HG-DX")  # another agency's phone: never in this supervisor's mail
    result = app.test_cli_runner().invoke(args=["users", "create", "thanh", "--name", "Trần Thị Thanh", "--role",
                                                "supervisor", "--agency", "VN-HQ-QN", "--email", "thanh@example.org"])
    assert result.exit_code == 0, result.output
    Person(app, "lan", agency="CN-HG-DX")  # no address: no mail
    with app.app_context():
        from server.access.models import User

        db.session.scalar(select(User).filter_by(username="thanh")).language = "vi"
        db.session.commit()

    _housekeeping(app)
    assert inbox.messages == []  # nothing needs anyone yet
    clock.advance(days=4)
    assert "Mailed 1 alert e-mail." in _housekeeping(app)
    [message] = inbox.messages
    with app.test_request_context(), force_locale("vi"):
        subject = gettext("Wildledger: what needs you now")
    assert (message["To"], message["From"], message["Subject"]) == ("thanh@example.org", "alerts@wildledger.test", subject)
    assert subject != "Wildledger: what needs you now"  # Vietnamese, as she chose
    body = message.get_content()
    with app.test_request_context(), force_locale("vi"):
        silent = gettext("Phones silent")
    assert f"* {silent}: " in body and "https://wildledger.test/console/alerts" in body
    assert "Hello" not in body and "These need you" not in body  # all of it in Vietnamese
    _housekeeping(app)
    assert len(inbox.messages) == 1  # nothing new: no second mail

    with app.app_context():
        db.session.get(Device, quiet.device_id).pin_resets = 1
        db.session.commit()
    _housekeeping(app)
    assert len(inbox.messages) == 2  # a PIN reset to confirm is new
    with app.app_context():
        mailed = db.session.scalars(select(AuditEntry.target).filter_by(action="alerts.mailed")).all()
    assert mailed == ["user:thanh", "user:thanh"]


def test_without_smtp_nothing_is_mailed(app, clock):
    enroll_device(app, "VN-HQ-QN")
    app.test_cli_runner().invoke(args=["users", "create", "thanh", "--name", "T", "--role", "supervisor",
                                       "--agency", "VN-HQ-QN", "--email", "thanh@example.org"])
    clock.advance(days=4)
    assert "alert e-mail" not in _housekeeping(app)


def test_the_language_chosen_in_the_console_is_kept_for_the_mail(app):
    person = Person(app, "ana")
    client = app.test_client()
    person.sign_in(client)
    token = TOKEN.search(client.get("/console/fleet").text)[1]
    client.post("/console/language", data={"csrf_token": token, "language": "lo", "next": "/console/fleet"})
    with app.app_context():
        from server.access.models import User

        assert db.session.scalar(select(User.language).filter_by(username="ana")) == "lo"
