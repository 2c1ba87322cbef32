"""Typed work is never lost, and sealing is deliberate (issue 14, parts 1 and 2).

Seen: "Cancel" went straight home, the back gesture left the app, and the lock after five
minutes in the background (a phone call, the camera) lost the open form, each with no draft
kept and no warning; Submit sealed at one tap. Now the form is saved as an encrypted draft as
it is typed; Discard asks first and says what will be lost; screens are history entries; after
the lock, a reload or a killed tab the officer is back in the form; a review comes before the
seal, which is a second tap."""
import time

from .harness import catalog, enroll, field, fill_minimal_seizure, review, server_catalog, wait_until

PIN = "482913"
ui, label = catalog("vi"), server_catalog("vi")
SAVED = "() => new Promise((done) => { const o = indexedDB.open('wildledger'); o.onsuccess = () => { " \
        "const r = o.result.transaction('drafts').objectStore('drafts').count(); r.onsuccess = () => { o.result.close(); done(r.result); }; }; })"


def start_seizure(page, officer, narrative):
    page.get_by_role("button", name=ui("New: {form}", form=label("Seizure"))).click()
    field(page, label("Reporting officer")).fill(officer)
    field(page, label("Narrative")).fill(narrative)


def drafts_saved(page, count):
    """The autosave (a moment after the last keystroke) has written `count` drafts."""
    wait_until(page, f"async () => (await ({SAVED})()) === {count}")


def test_discard_asks_first_and_the_back_gesture_keeps_the_form(station, phone):
    page = phone.open()
    enroll(page, station.enrollment_url(), PIN, ui)
    start_seizure(page, "Vi Thị Hủy", "Đang ghi dở")
    drafts_saved(page, 1)  # nothing pressed: typing is enough

    page.get_by_role("button", name=ui("Discard"), exact=True).click()
    question = page.get_by_role("alertdialog")
    question.get_by_text(ui("The {n} field you filled in will be lost.", "The {n} fields you filled in will be lost.", n=2))\
        .wait_for()  # the officer and the narrative; the defaults (today, the agency) are not counted
    question.get_by_role("button", name=ui("Keep editing")).click()  # refused
    assert field(page, label("Narrative")).input_value() == "Đang ghi dở"
    assert phone.row_counts()["drafts"] == 1

    page.go_back()  # the back gesture: home, inside the app, the form kept as a draft
    page.get_by_role("heading", name=ui("My records")).wait_for()
    page.locator("section.drafts li").filter(has_text=label("Seizure")).get_by_role("button").click()
    assert field(page, label("Narrative")).input_value() == "Đang ghi dở"
    page.go_back()
    page.go_forward()  # forward again: the same draft, not a new form
    assert field(page, label("Reporting officer")).input_value() == "Vi Thị Hủy"

    page.get_by_role("button", name=ui("Discard"), exact=True).click()
    page.get_by_role("alertdialog").get_by_role("button", name=ui("Discard"), exact=True).click()  # confirmed
    page.get_by_text(ui("The record was discarded.")).wait_for()
    assert phone.row_counts()["drafts"] == 0
    assert page.get_by_text(ui("No drafts.")).is_visible()
    assert phone.errors == []


HIDE = """(hidden) => {
  // Playwright keeps every page visible, and Chromium's Page.setWebLifecycleState changes
  // nothing in headless mode (tried, Chromium 156): the page is told it is hidden the way the
  // browser tells it, with the state and the event; the app's own code does the rest.
  Object.defineProperty(document, "visibilityState", { configurable: true, get: () => (hidden ? "hidden" : "visible") });
  Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
  document.dispatchEvent(new Event("visibilitychange"));
}"""


def test_after_the_lock_a_reload_or_a_killed_tab_the_officer_is_back_in_the_form(station, phone):
    page = phone.open(clock_ms=int(time.time() * 1000))
    enroll(page, station.enrollment_url(), PIN, ui)
    station.stop()  # in the field
    start_seizure(page, "Đỗ Văn Gọi", "Có điện thoại giữa chừng")
    page.evaluate(HIDE, True)  # a phone call: the app goes to the background at once
    phone.context.clock.fast_forward("06:00")
    page.evaluate(HIDE, False)
    page.get_by_role("heading", name=ui("Unlock Wildledger")).wait_for()  # locked after five minutes away
    unlock_into_form(page)
    assert field(page, label("Narrative")).input_value() == "Có điện thoại giữa chừng"

    field(page, label("Narrative")).fill("Có điện thoại giữa chừng; tải lại trang")
    page.wait_for_timeout(1000)  # more than the autosave's moment
    page.reload()  # a reload (an update, the officer's thumb)
    unlock_into_form(page)
    assert field(page, label("Narrative")).input_value() == "Có điện thoại giữa chừng; tải lại trang"

    field(page, label("Narrative")).fill("Android đã đóng thẻ")
    page.wait_for_timeout(1000)  # more than the autosave's moment: what a killed tab may lose is less
    phone.kill()  # no pagehide, no unload
    page = phone.open(station.public_url)
    unlock_into_form(page)
    assert field(page, label("Reporting officer")).input_value() == "Đỗ Văn Gọi"
    assert field(page, label("Narrative")).input_value() == "Android đã đóng thẻ"
    assert phone.row_counts()["drafts"] == 1 and phone.row_counts()["outbox"] == 0
    assert phone.errors == []


def unlock_into_form(page):
    page.get_by_label(ui("PIN"), exact=True).fill(PIN)
    page.get_by_role("button", name=ui("Unlock")).click()
    page.get_by_role("heading", name=label("Seizure")).wait_for()


def test_the_review_lists_what_is_empty_and_seals_only_on_the_second_tap(station, phone):
    page = phone.open()
    enroll(page, station.enrollment_url(), PIN, ui)
    fill_minimal_seizure(page, ui, label, "Hà Văn Soát")
    # "*" only where a value is required now: the source grading's two fields once it is begun.
    grading = page.get_by_role("group", name=label("Source grading"))
    reliability = grading.get_by_label(label("Reliability of the source"))
    assert reliability.get_attribute("aria-required") is None
    assert not grading.locator(".required-mark:not([hidden])").count()
    reliability.select_option("B")
    assert grading.get_by_label(label("Credibility of the information")).get_attribute("aria-required") == ""
    reliability.select_option("")

    review(page, ui)
    assert phone.row_counts()["outbox"] == 0  # the first tap seals nothing
    empty = page.locator("section.review-empty")
    for name in ("Narrative", "Point of seizure", "Detection method"):
        assert label(name) in empty.inner_text()
    skipped = page.locator("section.review-skipped").inner_text()
    for name in ("Suspects", "Vehicles", "Source grading", "Estimated value"):
        assert label(name) in skipped
    page.get_by_text(ui("This is the record as it will be sealed. Once submitted it cannot be changed, only "
                        "corrected; it will be sent at the next sync.")).wait_for()

    page.get_by_role("button", name=ui("Back to the form")).click()
    field(page, label("Narrative")).fill("Thêm diễn biến sau khi xem lại")
    review(page, ui)
    assert label("Narrative") not in page.locator("section.review-empty").inner_text()
    page.get_by_role("button", name=ui("Submit"), exact=True).click()
    page.get_by_text(ui("Sealed. The record will be sent at the next sync.")).wait_for()
    page.locator("li.record").first.wait_for()
    counts = phone.row_counts()
    # One sealed envelope: in the outbox, or moved with its receipt if the sync after the
    # submit already brought one; and the draft gone.
    assert counts["outbox"] + counts["receipts"] == 1 and counts["drafts"] == 0
    # The review and the form are done with: home is the first entry again, back leaves the app.
    assert page.evaluate("history.state.depth") == 0
    assert phone.errors == []
