"""The console end to end in Chromium (issue 17): a supervisor set up through the one-time
link signs in with password and TOTP (codes computed with pyotp), shows an enrollment code;
an officer's phone enrolls from it and sends a record; the console shows the phone with its
last push and the record with its fields; the supervisor's review and comment reach the
phone and show on the record; the supervisor revokes the phone; the app's next sync wipes it."""
import re
import time

import pyotp

from .harness import Phone, catalog, enroll, fill_minimal_seizure, submit

PIN = "272829"
PASSWORD = "a long console password"
ui = catalog("en")


def label(text):
    """The server's labels, in English: the source strings themselves."""
    return text


def next_code(secret):
    """The code of the next 30-second step: the one set-up used is spent (each code works once)."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def test_a_supervisor_enrolls_a_phone_sees_its_record_and_revokes_it(station, tmp_path):
    created = station.app.test_cli_runner().invoke(args=[
        "users", "create", "thanh", "--name", "Trần Thị Thanh", "--role", "supervisor", "--agency", "VN-HQ-QN"])
    link = created.output.strip().splitlines()[-1]
    assert link.startswith(station.public_url)
    console = Phone(tmp_path / "console", locale="en-GB")
    officer = console.another(tmp_path / "officer")
    try:
        page = console.open(link)
        secret = page.locator('input[name="secret"]').input_value()
        page.get_by_label("New password (at least 12 characters)").fill(PASSWORD)
        page.get_by_label("New password again").fill(PASSWORD)
        page.get_by_label("The code the app shows").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Save").click()
        assert len(page.locator("ol.codes li").all()) == 10

        page.goto(f"{station.public_url}/console/login")
        page.get_by_label("Username").fill("thanh")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Next").click()
        page.get_by_label("The code your authenticator app shows, or a recovery code").fill(next_code(secret))
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", level=1, name="Phones").wait_for()

        page.get_by_role("link", name="Enroll phones").click()
        page.get_by_label("Officer (optional)").fill("Lê Văn Tám")
        page.get_by_role("button", name="Show an enrollment code").click()
        qr = page.locator("figure.qr[data-payload]")
        url = qr.get_attribute("data-payload")
        assert re.search(r"/enroll#t=", url) and qr.locator("svg").count() == 1
        assert re.match(r"\(\d+:\d\d\)", page.locator(".countdown").inner_text())  # the module script runs

        phone = officer.open()
        enroll(phone, url, PIN, ui)
        fill_minimal_seizure(phone, ui, label, "Lê Văn Tám")
        submit(phone, ui)
        phone.get_by_role("button", name=ui("Sync now")).click()
        phone.locator(".sync-result.sync-ok").wait_for(timeout=30_000)

        page.get_by_role("link", name="Phones", exact=True).click()
        row = page.locator("tr[data-device]")
        assert row.count() == 1 and "Lê Văn Tám" in row.inner_text()
        assert row.locator("td.last-push").inner_text() != "never"
        page.get_by_role("link", name="Records", exact=True).click()
        page.locator("tr[data-rid] a").first.click()
        page.get_by_role("heading", level=1, name=label("Seizure")).wait_for()
        assert "Lê Văn Tám" in page.locator("table.fields").inner_text()
        assert page.locator(".proof.verified").count() == 1

        # The review, with its comment, reaches the officer's phone and shows on the record.
        page.get_by_label("Has issues").check()
        page.get_by_label("Comment for the officer (shown on their phone)").fill("Weigh the scales again: 12 kg?")
        page.get_by_role("button", name="Save the review").click()
        assert "Weigh the scales again" in page.locator("blockquote.comment").inner_text()
        phone.get_by_role("button", name=ui("Sync now")).click()
        phone.locator(".sync-result.sync-ok").wait_for(timeout=30_000)
        phone.get_by_role("button", name=ui("My records")).click()
        reviewed = phone.locator("li.record .badge.review-has_issues")
        reviewed.wait_for(timeout=10_000)
        assert reviewed.inner_text() == ui("Has issues")
        phone.locator("li.record button.row-button").first.click()
        assert phone.locator("section.review blockquote.comment").inner_text() == "Weigh the scales again: 12 kg?"
        assert "Trần Thị Thanh" in phone.locator("section.review").inner_text()
        phone.get_by_role("button", name=ui("Back")).click()  # to My records
        phone.get_by_role("button", name=ui("Back")).click()  # home

        page.get_by_role("link", name="Phones", exact=True).click()
        page.get_by_role("link", name="Revoke", exact=True).click()
        page.get_by_label("Why (lost, stolen, officer left…)").fill("lost at Km 12")
        page.get_by_label("I confirm: revoke this phone now.").check()
        page.get_by_role("button", name="Revoke", exact=True).click()
        page.get_by_role("heading", level=1, name="Phones").wait_for()
        assert "Revoked" in page.locator("tr[data-device]").inner_text()

        phone.get_by_role("button", name=ui("Sync now")).click()
        phone.get_by_role("heading", name=ui("This phone was revoked")).wait_for(timeout=30_000)
        assert console.errors == [] and officer.errors == []
    finally:
        officer.quit()
        console.quit()
