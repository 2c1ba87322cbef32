"""The supervisor console's sign-in, sessions and fleet page (issue 17), through the Flask
test client on SQLite and PostgreSQL."""
import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from server.access.models import ConsoleSession
from server.audit.models import AuditEntry
from server.console import auth
from server.extensions import db
from tests.conftest import enroll_device

PASSWORD = "correct horse battery"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
SECRET = re.compile(r'name="secret" value="([A-Z2-7]+)"')


class Person:
    """Someone with a console account, set up through the one-time link as they would."""

    def __init__(self, app, username, role="supervisor", agency="VN-HQ-QN"):
        self.app, self.username = app, username
        result = app.test_cli_runner().invoke(args=["users", "create", username, "--name", f"{username} (test)",
                                                    "--role", role, "--agency", agency])
        assert result.exit_code == 0, result.output
        self.link = result.output.strip().splitlines()[-1]
        assert "/console/setup/" in self.link
        self.client = app.test_client()
        page = self.get(self.path(self.link))
        self.secret = SECRET.search(page.text)[1]
        done = self.post(self.path(self.link), password=PASSWORD, password2=PASSWORD, secret=self.secret,
                         code=self.code())
        assert done.status_code == 200, done.text
        self.recovery = re.findall(r"<code>([0-9a-f]{6}-[0-9a-f]{6})</code>", done.text)

    @staticmethod
    def path(link):
        return link[link.index("/console"):]

    def code(self, at=None):
        return pyotp.TOTP(self.secret).at(at or auth.now())

    def get(self, path, client=None):
        return (client or self.client).get(path)

    def post(self, path, client=None, token=True, **form):
        client = client or self.client
        if token:
            page = client.get(path if path != "/console/logout" else "/console/fleet")
            form["csrf_token"] = TOKEN.search(page.text)[1]
        return client.post(path, data=form)

    def sign_in(self, client=None, code=None, password=PASSWORD):
        client = client or self.app.test_client()
        first = self.post("/console/login", client, username=self.username, password=password)
        if first.status_code != 302:
            return first
        return self.post("/console/login/code", client, code=code or self.code())


def _audit(app, action):
    with app.app_context():
        return db.session.scalars(select(AuditEntry).filter_by(action=action)).all()


def test_a_person_sets_up_with_the_one_time_link_and_signs_in_with_password_and_code(app):
    ana = Person(app, "ana")
    assert len(ana.recovery) == 10
    assert ana.get(ana.path(ana.link)).status_code == 404  # the link worked once
    client = app.test_client()
    assert client.get("/console/fleet").status_code == 302  # not signed in yet
    answer = ana.sign_in(client)
    assert answer.status_code == 302 and answer.location.endswith("/console/")
    page = client.get("/console/fleet")
    assert page.status_code == 200 and "ana (test)" in page.text
    assert [e.actor for e in _audit(app, "console.signed_in")] == ["ana"]
    assert len(_audit(app, "console.set_up")) == 1


def test_the_password_alone_signs_nobody_in(app):
    ana = Person(app, "ana")
    client = app.test_client()
    first = ana.post("/console/login", client, username="ana", password=PASSWORD)
    assert first.status_code == 302 and "/console/login/code" in first.location
    assert client.get("/console/fleet").status_code == 302


def test_a_wrong_password_an_unknown_user_and_an_officer_get_the_same_answer(app):
    Person(app, "ana")
    app.test_cli_runner().invoke(args=["users", "create", "oscar", "--name", "Oscar", "--role", "officer",
                                       "--agency", "VN-HQ-QN"])
    answers = []
    for username, password in (("ana", "wrong password!"), ("nobody", PASSWORD), ("oscar", PASSWORD)):
        client = app.test_client()
        page = client.get("/console/login")
        answer = client.post("/console/login", data={"username": username, "password": password,
                                                     "csrf_token": TOKEN.search(page.text)[1]})
        answers.append((answer.status_code, re.search(r'class="error"[^>]*>([^<]+)<', answer.text)[1]))
    assert len(set(answers)) == 1 and answers[0][0] == 401
    assert len(_audit(app, "console.sign_in_failed")) == 3


def test_an_account_is_locked_after_five_failures_even_for_the_right_password(app):
    ana = Person(app, "ana")
    for _ in range(5):
        assert ana.sign_in(password="wrong password!").status_code == 401
    locked = ana.sign_in()
    assert locked.status_code == 429 and "Too many failed sign-ins" in locked.text
    assert ana.sign_in(password="wrong password!").status_code == 429


def test_a_code_works_once_and_a_recovery_code_too(app):
    ana = Person(app, "ana")
    code = ana.code()
    assert ana.sign_in(code=code).status_code == 302
    assert ana.sign_in(code=code).status_code == 401  # the same time step again
    assert ana.sign_in(code=ana.recovery[0]).status_code == 302
    assert ana.sign_in(code=ana.recovery[0]).status_code == 401


def test_a_form_without_its_csrf_token_is_refused(app):
    ana = Person(app, "ana")
    refused = ana.post("/console/login", token=False, username="ana", password=PASSWORD)
    assert refused.status_code == 400 and "This form has expired" in refused.text
    client = app.test_client()
    ana.sign_in(client)
    assert client.post("/console/logout", data={}).status_code == 400
    assert client.get("/console/fleet").status_code == 200  # still signed in


def test_sessions_end_when_idle_and_after_twelve_hours(app, clock):
    ana = Person(app, "ana")
    client = app.test_client()
    ana.sign_in(client)
    clock.advance(minutes=29)
    assert client.get("/console/fleet").status_code == 200
    clock.advance(minutes=31)
    assert client.get("/console/fleet").status_code == 302  # idle for more than 30 minutes

    client = app.test_client()
    ana.sign_in(client, code=ana.recovery[0])
    for _ in range(25):  # busy all day: a request every 29 minutes
        clock.advance(minutes=29)
        if client.get("/console/fleet").status_code != 200:
            break
    assert clock.offset >= timedelta(hours=12) - timedelta(minutes=29)
    assert client.get("/console/fleet").status_code == 302


def test_sign_out_everywhere_ends_every_session_of_the_person(app):
    ana = Person(app, "ana")
    laptop, phone = app.test_client(), app.test_client()
    ana.sign_in(laptop)
    ana.sign_in(phone, code=ana.recovery[0])
    page = phone.get("/console/fleet")
    phone.post("/console/logout", data={"csrf_token": TOKEN.search(page.text)[1], "everywhere": "1"})
    assert laptop.get("/console/fleet").status_code == 302 and phone.get("/console/fleet").status_code == 302
    with app.app_context():
        assert all(row.ended_at for row in db.session.scalars(select(ConsoleSession)))


def test_the_cookies_are_http_only_and_strict_and_host_bound_over_https(app, tmp_path):
    ana = Person(app, "ana")  # the test app's public URL is https://wildledger.test
    client = app.test_client()
    cookie = ana.post("/console/login", client, username="ana", password=PASSWORD).headers["Set-Cookie"]
    assert cookie.startswith("__Host-wl_console=") and "Secure" in cookie and "Path=/" in cookie
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    page = client.get("/console/login/code")
    for name in ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"):
        assert name in page.headers
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert "<script" not in page.text

    from tests.conftest import make_app, prepare

    plain = prepare(make_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "plain",
                             PUBLIC_URL="http://127.0.0.1:5000"))
    bob = Person(plain, "bob")
    cookie = bob.post("/console/login", username="bob", password=PASSWORD).headers["Set-Cookie"]
    assert cookie.startswith("wl_console=") and "Secure" not in cookie and "SameSite=Strict" in cookie


def test_the_fleet_page_shows_a_supervisor_the_phones_of_their_agency_and_what_needs_them(app, clock):
    ours, theirs = enroll_device(app, "VN-HQ-QN"), enroll_device(app, "CN-HG-DX")
    from tests.helpers import SEIZURE

    ours.seal(SEIZURE)
    ours.sync()
    ana = Person(app, "ana")
    client = app.test_client()
    ana.sign_in(client)
    page = client.get("/console/fleet").text
    assert f'data-device="{ours.device_id}"' in page and f'data-device="{theirs.device_id}"' not in page
    assert "Computed at" in page and "No sync for" not in page.split("<tbody>")[1]

    clock.advance(days=4)
    ana.sign_in(client, code=ana.recovery[0])
    silent = client.get("/console/fleet?flag=silent").text
    assert f'data-device="{ours.device_id}"' in silent and "No sync for 3 days" in silent
    assert client.get("/console/fleet?flag=missing").text.count("data-device=") == 0

    admin = Person(app, "root", role="admin", agency="VN-HQ")
    everyone = app.test_client()
    admin.sign_in(everyone)
    listing = everyone.get("/console/fleet").text
    assert f'data-device="{ours.device_id}"' in listing and f'data-device="{theirs.device_id}"' in listing


def test_an_analyst_does_not_see_the_fleet_page(app):
    anh = Person(app, "anh", role="analyst")
    client = app.test_client()
    anh.sign_in(client)
    assert client.get("/console/fleet").status_code == 404


def test_the_language_chosen_is_kept(app):
    client = app.test_client()
    page = client.get("/console/login")
    client.post("/console/language", data={"language": "vi", "next": "/console/login",
                                           "csrf_token": TOKEN.search(page.text)[1]})
    again = client.get("/console/login")
    assert 'lang="vi"' in again.text and "Đăng nhập" in again.text


# -- enrolling, revoking, confirming ------------------------------------------------------------

PAYLOAD = re.compile(r'data-payload="([^"]+)"')


def _form(client, path, **form):
    page = client.get(path if "/revoke" in path or path.endswith("/enroll") else "/console/fleet")
    return client.post(path, data={"csrf_token": TOKEN.search(page.text)[1], **form})


def _signed_in(app, username="ana", role="supervisor", agency="VN-HQ-QN"):
    person = Person(app, username, role=role, agency=agency)
    client = app.test_client()
    person.sign_in(client)
    return client


def test_a_code_on_screen_enrolls_a_phone_that_then_appears_in_the_fleet(app):
    from server.demo.simulator import SimulatedDevice
    from tests.conftest import FlaskTransport

    client = _signed_in(app)
    page = _form(client, "/console/enroll", kind="screen", officers="Lê Văn Tám")
    assert page.status_code == 200 and "<svg" in page.text and "Lê Văn Tám" in page.text
    url = PAYLOAD.search(page.text)[1].replace("&amp;", "&")
    phone = SimulatedDevice(FlaskTransport(app.test_client()))
    phone.enroll(url)
    fleet = client.get("/console/fleet").text
    assert f'data-device="{phone.device_id}"' in fleet and "Lê Văn Tám" in fleet
    assert [e.actor for e in _audit(app, "enrollment.created")] == ["ana"]


def test_a_printed_sheet_has_one_code_per_officer_lives_at_most_the_maximum_and_can_be_withdrawn(app):
    from server.demo.simulator import SimulatedDevice
    from tests.conftest import FlaskTransport

    client = _signed_in(app)
    sheet = _form(client, "/console/enroll", kind="sheet", officers="Officer One\nOfficer Two", days="30")
    urls = [url.replace("&amp;", "&") for url in PAYLOAD.findall(sheet.text)]
    assert len(urls) == 2 and "enrolls a phone in the name of" in sheet.text
    with app.app_context():
        from server.devices.models import EnrollmentToken

        rows = db.session.scalars(select(EnrollmentToken)).all()
        assert all(row.expires_at - row.created_at <= timedelta(days=7, seconds=5) for row in rows)
        withdrawn = next(row.id for row in rows if row.officer_name == "Officer Two")
    listing = client.get("/console/enroll").text
    assert listing.count("data-enrollment=") == 2
    _form(client, f"/console/enroll/{withdrawn}/withdraw")
    assert client.get("/console/enroll").text.count("data-enrollment=") == 1
    with pytest.raises(Exception):
        SimulatedDevice(FlaskTransport(app.test_client())).enroll(urls[1])
    SimulatedDevice(FlaskTransport(app.test_client())).enroll(urls[0])


def test_a_phone_is_revoked_with_a_reason_after_a_confirmation_and_only_by_its_agency(app):
    from server.devices.models import Device

    ours, theirs = enroll_device(app, "VN-HQ-QN"), enroll_device(app, "CN-HG-DX")
    client = _signed_in(app)
    path = f"/console/devices/{ours.device_id}/revoke"
    assert _form(client, path, reason="lost at the post").status_code == 400  # not confirmed
    assert _form(client, path, reason="lost at the post", confirm="yes").status_code == 302
    assert client.get(f"/console/devices/{theirs.device_id}/revoke").status_code == 404
    with app.app_context():
        assert db.session.get(Device, ours.device_id).revoked_at is not None
        assert db.session.get(Device, theirs.device_id).revoked_at is None
    [entry] = _audit(app, "device.revoked")
    assert entry.actor == "ana" and entry.detail["reason"] == "lost at the post"


def test_a_pin_reset_is_listed_until_the_supervisor_confirms_it(app):
    from server.devices.models import Device

    phone = enroll_device(app, "VN-HQ-QN")
    with app.app_context():
        db.session.get(Device, phone.device_id).pin_resets = 1
        db.session.commit()
    client = _signed_in(app)
    assert f'data-device="{phone.device_id}"' in client.get("/console/fleet?flag=pin_reset").text
    _form(client, f"/console/devices/{phone.device_id}/confirm")
    assert f'data-device="{phone.device_id}"' not in client.get("/console/fleet?flag=pin_reset").text
    assert [e.actor for e in _audit(app, "device.confirmed")] == ["ana"]


# -- records --------------------------------------------------------------------------------------

def test_a_supervisor_reads_their_agencys_records_with_labels_proof_and_corrections(app):
    from tests.helpers import SEIZURE

    ours, theirs = enroll_device(app, "VN-HQ-QN"), enroll_device(app, "CN-HG-DX")
    first = ours.seal(SEIZURE)
    ours.sync()
    correction = ours.seal(SEIZURE, supersedes=first)
    other = theirs.seal(SEIZURE)
    ours.sync(), theirs.sync()
    client = _signed_in(app)
    listing = client.get("/console/records").text
    assert f'data-rid="{first}"' in listing and f'data-rid="{correction}"' in listing
    assert f'data-rid="{other}"' not in listing
    assert client.get(f"/console/records/{other}").status_code == 404  # as if it did not exist
    assert client.get("/console/records/00000000-0000-4000-8000-000000000000").status_code == 404

    page = client.get(f"/console/records/{first}").text
    assert "Date of seizure" in page and "Reporting officer" in page
    assert 'class="proof verified"' in page
    assert f'href="/console/records/{correction}"' in page  # corrected by, the other way round too
    assert f'href="/console/records/{first}"' in client.get(f"/console/records/{correction}").text
    assert [e.target for e in _audit(app, "record.viewed")][:1] == [f"record:{first}"]

    sheet = client.get(f"/console/records/{first}/evidence").text
    assert f'data-rid="{first}"' in sheet and f'data-rid="{correction}"' in sheet  # the whole chain
    assert 'class="proof verified"' in sheet and "inclusion proof" in sheet
    assert [e.actor for e in _audit(app, "ledger.evidence")] == ["ana"]

    client.set_cookie("wl_lang", "vi")
    vietnamese = client.get(f"/console/records/{first}").text
    assert "Ngày thu giữ" in vietnamese  # the form's label in the reader's language


def test_records_are_paged_by_keyset_and_an_analyst_reads_their_country(app):
    from tests.helpers import SEIZURE

    phone, lao = enroll_device(app, "VN-HQ-MONGCAI"), enroll_device(app, "LA-CUSTOMS")
    rids = [phone.seal(SEIZURE) for _ in range(53)]
    phone.sync()
    lao_rid = lao.seal(SEIZURE)
    lao.sync()
    anh = Person(app, "anh", role="analyst", agency="VN-C05")
    client = app.test_client()
    anh.sign_in(client)
    first = client.get("/console/records").text
    assert first.count("data-rid=") == 50 and f'data-rid="{lao_rid}"' not in first
    older = re.search(r'href="([^"]+)" rel="next"', first)[1].replace("&amp;", "&")
    second = client.get(older).text
    assert second.count("data-rid=") == 3 and 'rel="next"' not in second
    assert set(re.findall(r'data-rid="([^"]+)"', first + second)) == set(rids)


# -- review queue and audit -----------------------------------------------------------------------

def test_a_mistaken_revocation_is_undone_by_releasing_the_phones_records_once(app):
    from server.devices import service as devices
    from server.store.models import Record
    from tests.helpers import SEIZURE

    phone = enroll_device(app, "VN-HQ-QN")
    with app.app_context():
        devices.revoke(phone.device_id)
        db.session.commit()
    rid = phone.seal(SEIZURE)
    try:
        phone.sync()
    except Exception:  # noqa: BLE001 - the phone is told it is revoked; its record is held
        pass
    client = _signed_in(app)
    page = client.get("/console/quarantine").text
    row_id = re.search(r'data-quarantine="(\d+)"', page)[1]
    assert "device_revoked" in page and "Release for intake again" in page
    assert _form(client, f"/console/quarantine/{row_id}/release").status_code == 302
    again = _form(client, f"/console/quarantine/{row_id}/release")
    assert again.status_code == 409 and "released already" in again.text
    with app.app_context():
        assert db.session.scalar(select(Record).filter_by(rid=rid)) is not None
    assert [e.actor for e in _audit(app, "quarantine.released")] == ["ana"]


def test_an_admin_checks_the_audit_chain_and_is_told_which_entry_was_edited(app):
    client = _signed_in(app, "root", role="admin", agency="VN-HQ")
    page = client.get("/console/audit")
    assert "console.signed_in" in page.text
    checked = client.post("/console/audit/verify", data={"csrf_token": TOKEN.search(page.text)[1]})
    assert "checks" in checked.text
    from tests import insider

    with app.app_context():
        seq = db.session.scalar(select(AuditEntry.seq).filter_by(action="console.set_up"))
    insider.sql(app, f"UPDATE audit_log SET actor = 'someone else' WHERE seq = {seq}")  # past the triggers
    page = client.get("/console/audit")
    broken = client.post("/console/audit/verify", data={"csrf_token": TOKEN.search(page.text)[1]})
    assert f"Entry {seq} is wrong" in broken.text
    exported = client.get("/console/audit.csv?action=console.")
    assert exported.data.startswith("\ufeff".encode()) and b"console.signed_in" in exported.data
    assert b"user.created" not in exported.data


# -- people (admins) -------------------------------------------------------------------------------

SETUP_LINK = re.compile(r'class="mono setup-link">([^<]+)<')


def test_an_admin_adds_a_person_who_sets_up_and_signs_in_then_changes_resets_and_disables_them(app):
    admin = _signed_in(app, "root", role="admin", agency="VN-HQ")
    page = admin.post("/console/people/new", data={"csrf_token": TOKEN.search(admin.get("/console/people/new").text)[1],
                                                   "username": "minh", "name": "Phạm Minh", "role": "supervisor",
                                                   "agency": "VN-HQ-MONGCAI"})
    link = SETUP_LINK.search(page.text)[1]
    minh = Person.__new__(Person)
    minh.app, minh.username, minh.client = app, "minh", app.test_client()
    minh.secret = SECRET.search(minh.get(minh.path(link)).text)[1]
    minh.post(minh.path(link), password=PASSWORD, password2=PASSWORD, secret=minh.secret, code=minh.code())
    laptop = app.test_client()
    assert minh.sign_in(laptop, code=pyotp.TOTP(minh.secret).at(auth.now() + timedelta(seconds=30))).status_code == 302
    assert laptop.get("/console/fleet").status_code == 200

    def act(action, **extra):
        token = TOKEN.search(admin.get("/console/people/minh").text)[1]
        return admin.post("/console/people/minh", data={"csrf_token": token, "action": action, **extra})

    act("change", role="analyst", agency="VN-HQ-MONGCAI")
    assert laptop.get("/console/fleet").status_code == 302  # a changed role signs them out
    issued = act("issue_token", days="30")
    token = re.search(r'class="mono new-token">([^<]+)<', issued.text)[1]
    assert app.test_client().get("/api/v1/records", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with app.app_context():
        from server.access.models import ApiToken

        token_id = db.session.scalar(select(ApiToken.id).order_by(ApiToken.id.desc()))
    act("revoke_token", token=str(token_id))
    assert app.test_client().get("/api/v1/records", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    reset = act("reset_sign_in")
    assert SETUP_LINK.search(reset.text)
    assert minh.sign_in().status_code == 401  # the old password no longer works
    act("disable")
    assert "Disabled" in admin.get("/console/people").text
    assert [e.actor for e in _audit(app, "user.created")][-1] == "root"


def test_a_large_fleet_is_shown_a_page_at_a_time_with_what_needs_attention_counted_over_all(app, monkeypatch):
    from server.console import routes

    monkeypatch.setattr(routes, "FLEET_PAGE", 2)
    phones = [enroll_device(app, "VN-HQ-QN") for _ in range(3)]
    client = _signed_in(app)
    first = client.get("/console/fleet?sort=enrolled").text
    assert first.count("data-device=") == 2 and "Phones 1–2 of 3" in first
    second = client.get(re.search(r'href="([^"]+)" rel="next"', first)[1].replace("&amp;", "&")).text
    assert second.count("data-device=") == 1
    shown = set(re.findall(r'data-device="([^"]+)"', first + second))
    assert shown == {phone.device_id for phone in phones}


# -- alerts -------------------------------------------------------------------------------------------

def test_alerts_show_a_silent_phone_and_a_pin_reset_whose_confirm_button_clears_it(app, clock):
    from server.devices.models import Device

    quiet, reset = enroll_device(app, "VN-HQ-QN"), enroll_device(app, "VN-HQ-QN")
    with app.app_context():
        db.session.get(Device, reset.device_id).pin_resets = 1
        db.session.commit()
    client = _signed_in(app)
    page = client.get("/console/alerts").text
    assert "PIN resets to confirm" in page and "Phones silent" not in page
    form = {"csrf_token": TOKEN.search(page).group(1)}
    client.post(f"/console/devices/{reset.device_id}/confirm", data=form)
    assert "PIN resets to confirm" not in client.get("/console/alerts").text
    clock.advance(days=4)
    Person(app, "ana2").sign_in(client)
    silent = client.get("/console/alerts").text
    assert "Phones silent" in silent and f'data-device="{quiet.device_id}"' in silent
