"""Every console page in Chromium (issue 17): no serious or critical axe-core violation and
nothing the Content-Security-Policy refuses, in English; and in Vietnamese, Lao and Chinese,
no English source string of the server's catalog left on screen.

The tour, for one admin (who sees every page): the set-up link, the recovery codes, sign-in,
the second factor, phones, enrollment (a code on screen, then a printed sheet), revoking a
phone, records, one record, the review queue, alerts, the audit log, people, and an expired form."""
import json
import time

import pyotp
import pytest

from server.devices import service as devices
from server.extensions import db

from .harness import Phone, Station
from .test_accessibility import AXE, AXE_RUN
from .test_screen_languages import VISIBLE_TEXTS, English

PASSWORD = "a long console password"


@pytest.fixture(scope="module")
def station(tmp_path_factory):
    """A server with a phone, its record, and a record held after a mistaken revocation."""
    from tests.helpers import SEIZURE
    from server.demo.simulator import HttpTransport, SimulatedDevice

    station = Station(tmp_path_factory.mktemp("server"))
    station.start()
    phone = SimulatedDevice(HttpTransport(station.url))
    phone.enroll(station.enrollment_url())
    phone.seal(SEIZURE)
    phone.sync()
    with station.app.app_context():
        devices.revoke(phone.device_id)
        db.session.commit()
    phone.seal(SEIZURE)
    try:
        phone.sync()
    except Exception:  # noqa: BLE001 - told it is revoked; the record is held
        pass
    station.device_id = phone.device_id
    yield station
    station.close()


def tour(page, station, username):
    """Each console page in turn, signed in as a new admin: yields its name once it is up."""
    created = station.app.test_cli_runner().invoke(args=[
        "users", "create", username, "--name", "Admin", "--role", "admin", "--agency", "VN-HQ-QN"])
    page.goto(created.output.strip().splitlines()[-1])
    yield "set-up"
    secret = page.locator('input[name="secret"]').input_value()
    page.locator("#password").fill(PASSWORD)
    page.locator("#password2").fill(PASSWORD)
    page.locator("#code").fill(pyotp.TOTP(secret).now())
    page.locator("form.stack button[type=submit]").click()
    page.locator("ol.codes").wait_for()
    yield "recovery codes"
    page.goto(f"{station.public_url}/console/login")
    yield "sign-in"
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("form.stack button[type=submit]").click()
    page.locator("#code").wait_for()
    yield "second factor"
    page.locator("#code").fill(pyotp.TOTP(secret).at(time.time() + 30))  # set-up spent the current step
    page.locator("form.stack button[type=submit]").click()
    page.locator("table.fleet").wait_for()
    yield "phones"
    for path, name, ready in (
            ("/console/enroll", "enroll", "form.stack"),
            (f"/console/devices/{station.device_id}/revoke", "revoke", "main p"),
            ("/console/records", "records", "table.records"),
            ("/console/quarantine", "review queue", "tr[data-quarantine]"),
            ("/console/alerts", "alerts", "section.alert"),
            ("/console/audit", "audit log", "tr[data-seq]"),
            ("/console/people", "people", "tr[data-user]"),
            ("/console/people/new", "add a person", "form.stack"),
            (f"/console/people/{username}", "a person", "dl.facts")):
        page.goto(station.public_url + path)
        page.locator(ready).first.wait_for()
        yield name
    page.goto(station.public_url + "/console/records")
    page.locator("tr[data-rid] a").first.click()
    page.locator("table.fields").wait_for()
    yield "record"
    page.locator("main a[href$='/evidence']").click()
    page.locator(".evidence-item").first.wait_for()
    yield "evidence sheet"
    page.goto(station.public_url + "/console/enroll")
    page.locator("#officer").fill("Lê Văn Tám")
    page.locator("form.stack button[type=submit]").first.click()
    page.locator("figure.qr").wait_for()
    yield "enrollment code"
    page.locator("#officers").fill("Officer One\nOfficer Two")
    page.locator("form.stack button[type=submit]").nth(1).click()
    page.locator(".sheet-entry").first.wait_for()
    yield "enrollment sheet"
    page.evaluate("() => { document.querySelector('input[name=csrf_token]').value = 'forged'; }")
    page.locator("form.language button").click()
    page.locator("main p").first.wait_for()
    yield "expired form"


PAGES = ["set-up", "recovery codes", "sign-in", "second factor", "phones", "enroll", "revoke", "records",
         "review queue", "alerts", "audit log", "people", "add a person", "a person", "record", "evidence sheet", "enrollment code", "enrollment sheet", "expired form"]


def test_every_console_page_passes_axe_and_the_content_security_policy(station, tmp_path):
    phone = Phone(tmp_path / "profile", locale="en-GB")
    try:
        page = phone.open()
        seen, found = [], {}
        for name in tour(page, station, "admin-en"):
            seen.append(name)
            assert page.evaluate("window.cspViolations") == [], name
            page.evaluate(AXE.read_text() + "\n;true")
            violations = page.evaluate(AXE_RUN)
            if violations:
                found[name] = violations
        assert seen == PAGES
        assert found == {}, "axe-core:\n" + json.dumps(found, ensure_ascii=False, indent=1)
        assert phone.errors == []
    finally:
        phone.quit()


@pytest.mark.parametrize("code", ["vi", "lo", "zh_Hans"])
def test_every_console_page_speaks_the_chosen_language(station, tmp_path, code):
    english = English(code, [])
    phone = Phone(tmp_path / "profile", locale="en-GB")
    try:
        page = phone.open()
        phone.context.add_cookies([{"name": "wl_lang", "value": code, "url": station.public_url}])
        left = {}
        for name in tour(page, station, f"admin-{code}"):
            assert page.evaluate("document.documentElement.lang") == code.replace("_", "-"), name
            seen = english.seen(page.evaluate(VISIBLE_TEXTS))
            if seen:
                left[name] = seen
        assert left == {}, "English on screen:\n" + json.dumps(left, ensure_ascii=False, indent=1)
    finally:
        phone.quit()
