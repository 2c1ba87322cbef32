"""Carried-in sync end to end (issue 17, PROTOCOL.md §14): an officer's phone that cannot reach
the server seals a record and exports its outbox to a file from Settings; the supervisor
uploads the file in the console; a real task-queue worker (`flask tasks worker`, on the
SQLite queue of the instance) takes it; the record is in the console once; and when the phone
reaches the server again it learns the record arrived."""
import subprocess
import sys
import time

import pyotp



from .harness import ROOT, Phone, catalog, enroll, fill_minimal_seizure, record_state, submit

PIN = "313233"
PASSWORD = "a long console password"
ui = catalog("en")


def sign_in_to_console(page, station, username):
    created = station.app.test_cli_runner().invoke(args=[
        "users", "create", username, "--name", "Demo supervisor", "--role", "supervisor", "--agency", "VN-HQ-QN"])
    page.goto(created.output.strip().splitlines()[-1])
    secret = page.locator('input[name="secret"]').input_value()
    page.locator("#password").fill(PASSWORD)
    page.locator("#password2").fill(PASSWORD)
    page.locator("#code").fill(pyotp.TOTP(secret).now())
    page.locator("form.stack button[type=submit]").click()
    page.locator("ol.codes").wait_for()
    page.goto(f"{station.public_url}/console/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("form.stack button[type=submit]").click()
    page.locator("#code").fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.locator("form.stack button[type=submit]").click()
    page.locator("table.fleet").wait_for()


def test_a_phone_without_signal_exports_its_outbox_and_the_console_carries_it_in(station, tmp_path):
    console = Phone(tmp_path / "console", locale="en-GB")
    officer = console.another(tmp_path / "officer")
    worker = None
    try:
        phone = officer.open()
        enroll(phone, station.enrollment_url(officer="Lê Văn Demo"), PIN, ui)
        station.stop()  # from here on the post has no signal
        fill_minimal_seizure(phone, ui, lambda text: text, "Lê Văn Demo")
        submit(phone, ui)
        record_state(phone, ui, "Waiting").wait_for()

        phone.get_by_role("button", name=ui("Settings")).click()
        with phone.expect_download() as saved:
            phone.get_by_role("button", name=ui("Export {n} waiting record to a file", "Export {n} waiting records to a file", n=1)).click()
        path = tmp_path / saved.value.suggested_filename
        saved.value.save_as(path)
        assert path.suffix == ".wlout" and path.read_bytes().startswith(b'{"format":"wildledger-outbox","v":1,')
        phone.locator(".export-result").filter(has_text=path.name).wait_for()

        station.start()
        worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "server", "tasks", "worker"], cwd=ROOT,
                                  env=station.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        page = console.open()
        sign_in_to_console(page, station, "thu")
        page.goto(f"{station.public_url}/console/carried")
        page.locator("#file").set_input_files(str(path))
        page.locator("form.upload button[type=submit]").click()
        page.locator('.progress-line[data-status="done"]').wait_for(timeout=60_000)  # the page refreshes itself
        receipt = page.locator("table.receipts tr[data-status]")
        assert receipt.count() == 1 and receipt.get_attribute("data-status") == "accepted"
        rid = receipt.get_attribute("data-rid")
        page.goto(f"{station.public_url}/console/records")
        assert page.locator(f'tr[data-rid="{rid}"]').count() == 1

        phone.get_by_role("button", name=ui("Back")).click()
        phone.get_by_role("button", name=ui("Sync now")).click()
        phone.locator(".sync-result.sync-ok").wait_for(timeout=30_000)
        record_state(phone, ui, "Accepted").wait_for()  # the push was answered "duplicate", with its proof
        assert console.errors == [] and officer.errors == []
    finally:
        if worker:
            worker.terminate()
            worker.wait(10)
        officer.quit()
        console.quit()
