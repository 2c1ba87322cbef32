"""A new version of the app is offered, never forced: the officer typing a form keeps it
until they choose "Reload to update"; then the new worker serves, the old cache is gone,
and the form comes back, as typed, once the PIN is entered again."""
import re
import shutil

from .harness import ROOT, Phone, Station, catalog, enroll, field, server_catalog

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
        field(item, label("Weight (kg)")).fill("2,5")
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
        assert field(page.get_by_role("group", name=f"{label('Items seized')} 1"), label("Weight (kg)")).input_value() == "2,5"
        assert page.get_by_role("group", name=f"{label('Suspects')} 1").count() == 1  # the empty row added, too
        phone.wait_controlled()
        caches = shell_caches(page)
        assert caches == ["wildledger-shell-next"]
        assert phone.errors == []
    finally:
        phone.quit()
        station.close()
