"""A new version of the app is offered, never forced: the officer typing a form keeps it
until they choose "Reload to update"; then the new worker serves, the old cache is gone,
and the form comes back, as typed, once the PIN is entered again."""
import json
import re
import shutil

from sqlalchemy import func, select

from server.extensions import db
from server.store.models import Record
from server.sync.models import LedgerEntry, Quarantine

from .harness import (ROOT, Phone, Station, catalog, enroll, field, fill_minimal_seizure, record_state, server_catalog,
                      submit, unlock)

PIN = "112358"
ui, label = catalog("vi"), server_catalog("vi")


def shell_caches(page):
    return page.evaluate("caches.keys()")


def test_a_new_version_is_offered_and_installed_only_when_the_officer_reloads(tmp_path):
    dist = tmp_path / "dist"
    shutil.copytree(ROOT / "pwa" / "dist", dist)
    station = Station(tmp_path / "server", dist=dist)
    phone = Phone(tmp_path / "profile")
    try:
        station.start()
        page = phone.open()
        enroll(page, station.enrollment_url(), PIN, ui)
        phone.wait_controlled()
        [old_cache] = shell_caches(page)

        # A deployment: the worker's bytes change (as a rebuild changes its precache hash).
        worker = dist / "sw.js"
        text = worker.read_text()
        [version] = set(re.findall(r"\b\d+\.\d+\.\d+-[0-9a-f]{12}\b", text))
        assert old_cache == f"wildledger-shell-{version}"
        worker.write_text(text.replace(version, "next"))
        page.get_by_role("button", name=ui("New: {form}", form=label("Seizure"))).click()
        field(page, label("Reporting officer")).fill("Ngô Thị Cập Nhật")
        item = page.get_by_role("group", name=f"{label('Items seized')} 1")
        field(item, label("Total weight (kg), when the unit is not kg")).fill("2,5")
        page.get_by_role("button", name=ui("Add: {label}", label=label("Suspects"))).click()
        page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")  # the app's timer, now

        offer = page.get_by_role("button", name=ui("Reload to update"))
        offer.wait_for(timeout=30_000)
        assert page.get_by_text(ui("A new version of the app is ready.")).is_visible()
        page.wait_for_timeout(1000)
        assert field(page, label("Reporting officer")).input_value() == "Ngô Thị Cập Nhật"  # not forced

        with page.expect_navigation():
            offer.click()
        page.get_by_label(ui("PIN"), exact=True).fill(PIN)
        page.get_by_role("button", name=ui("Unlock")).click()
        page.get_by_role("heading", name=label("Seizure")).wait_for()  # the form, not home
        assert field(page, label("Reporting officer")).input_value() == "Ngô Thị Cập Nhật"
        assert field(page.get_by_role("group", name=f"{label('Items seized')} 1"), label("Total weight (kg), when the unit is not kg")).input_value() == "2,5"
        assert page.get_by_role("group", name=f"{label('Suspects')} 1").count() == 1  # the empty row added, too
        phone.wait_controlled()
        caches = shell_caches(page)
        assert caches == ["wildledger-shell-next"]
        assert phone.errors == []
    finally:
        phone.quit()
        station.close()


def submit_in_0_1_0(page, ui):
    """0.1.0 sealed at the first tap (no review step)."""
    page.get_by_role("button", name=ui("Submit"), exact=True).click()
    page.get_by_text(ui("Sealed. The record will be sent at the next sync.")).wait_for()


RELEASE_0_1_0 = ROOT / "tests" / "pwa" / "releases" / "0.1.0"  # the officer app as released before bound answers


def test_an_app_from_the_last_release_syncs_across_the_upgrade_then_takes_the_update(tmp_path):
    """Trust, part 1: the server signs answers the new way and the old way side by side, so
    an installed app that has not taken the update keeps syncing; its records, sealed under
    the old header, are filed exactly as before; after the update it syncs on, and nothing is
    lost or filed twice. In English, so that the old app's words match the catalog."""
    en = catalog("en")
    dist = tmp_path / "dist"
    shutil.copytree(RELEASE_0_1_0, dist)
    station = Station(tmp_path / "server", dist=dist)
    phone = Phone(tmp_path / "profile", locale="en-US")
    try:
        station.start()
        page = phone.open()
        enroll(page, station.enrollment_url(), PIN, en)
        phone.wait_controlled()
        assert page.evaluate("document.querySelector('script[type=module]').src").endswith(
            next((dist / "assets").glob("index-*.js")).name)  # really the old app
        fill_minimal_seizure(page, en, str, "Officer before the update")
        submit_in_0_1_0(page, en)
        record_state(page, en, "Accepted").wait_for(timeout=30_000)

        station.stop()  # offline: the old app seals a record that will be sent by the new one
        fill_minimal_seizure(page, en, str, "Officer sealing offline")
        submit_in_0_1_0(page, en)
        record_state(page, en, "Waiting").wait_for()
        # A draft begun in the old app, under the forms' v1 (the only version it renders), with a
        # vehicle of v1's kinds (a route's: "Road").
        fill_minimal_seizure(page, en, str, "Officer with a v1 draft")
        page.get_by_role("button", name=en("Add: {label}", label="Vehicles")).click()
        vehicle = page.get_by_role("group", name="Vehicles 1")
        field(vehicle, "Kind of vehicle").select_option("road")
        field(vehicle, "Registration number").fill("14C-000.01")
        page.get_by_role("button", name=en("Save draft")).click()
        page.locator("section.drafts li").first.wait_for()

        shutil.rmtree(dist)  # the deployment: this release's app
        shutil.copytree(ROOT / "pwa" / "dist", dist)
        station.start()
        page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
        offer = page.get_by_role("button", name=en("Reload to update"))
        offer.wait_for(timeout=30_000)
        with page.expect_navigation():
            offer.click()
        unlock(page, PIN, en)
        vault = phone.meta("vault")  # the 0.1.0 vault (PBKDF2) moved to Argon2id at this unlock
        assert "iterations" not in vault and (vault["v"], vault["kdf"]) == (2, {"name": "argon2id", "m": 65_536, "t": vault["kdf"]["t"], "p": 1})
        page.get_by_role("button", name=en("Sync now")).click()
        record_state(page, en, "Accepted").nth(1).wait_for(timeout=30_000)
        fill_minimal_seizure(page, en, str, "Officer after the update")
        item = page.get_by_role("group", name="Items seized 1")
        assert field(item, "Specimen type (CITES term)").count() == 1  # new records: the forms' newest
        submit(page, en)
        record_state(page, en, "Accepted").nth(2).wait_for(timeout=30_000)
        # The v1 draft opens as it was typed, under v1's words, and seals as v1.
        page.locator("section.drafts li").filter(has_text="Seizure").get_by_role("button").click()
        item = page.get_by_role("group", name="Items seized 1")
        assert field(item, "Product (CITES term)").input_value() == "SCA"
        assert field(page, "Reporting officer").input_value() == "Officer with a v1 draft"
        submit(page, en)
        record_state(page, en, "Accepted").nth(3).wait_for(timeout=30_000)
        # Months later the scales are destroyed: the v1 record is corrected in the forms' v3, which
        # asks what became of them. Its vehicle kind is not one of v3's, so the officer picks again.
        page.locator("li.record").first.get_by_role("button").click()
        page.get_by_role("button", name=en("Make a correction")).click()
        item = page.get_by_role("group", name="Items seized 1")
        field(item, "What became of the specimens").select_option("destroyed")
        vehicle = page.get_by_role("group", name="Vehicles 1")
        page.get_by_role("button", name=en("Review"), exact=True).click()
        vehicle.get_by_text(en("This choice is not in this version of the form: choose again.")).wait_for()
        field(vehicle, "Kind of vehicle").select_option("truck")
        submit(page, en)
        record_state(page, en, "Accepted").nth(4).wait_for(timeout=30_000)

        with station.app.app_context():
            filed = sorted((r.officer_name, r.form_version, bool(r.supersedes)) for r in db.session.scalars(select(Record)))
            assert filed == [("Officer after the update", 3, False), ("Officer before the update", 1, False),
                             ("Officer sealing offline", 1, False), ("Officer with a v1 draft", 1, False),
                             ("Officer with a v1 draft", 3, True)]
            correction = db.session.scalar(select(Record).where(Record.supersedes.is_not(None)))
            assert [item.disposal for item in correction.seizure.items] == ["destroyed"]
            assert correction.content["vehicles"][0]["kind"] == "truck"
            assert [json.loads(e.header)["v"] for e in db.session.scalars(select(LedgerEntry))] == [1] * 5
            assert db.session.scalar(select(func.count()).select_from(Quarantine)) == 0
        answers = phone.meta("answers")
        assert answers == {"bound": True}  # the updated app checked answers bound to its requests
        assert phone.errors == []
    finally:
        phone.quit()
        station.close()
