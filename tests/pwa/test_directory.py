"""The emergency contact directory (app 0.4.0), as a Chinese forest police officer lives it:
enrolled, synced, then offline at the border: search crossings in any script or in pinyin, find
the counterpart across Boten – Mohan and call it, see whether a desk is on duty in its own time
zone, hand a contact over as a QR code, read the phrasebook; contacts are never stored in the
clear; an admin's edit arrives at the next sync and a tampered or unsigned pull answer is
refused; a wrong number reported offline reaches the server once; a contact verified long ago
may be out of date; the phone's position picks the nearest crossing.

The tests of this module share one server and one phone profile and run in order."""
import csv
import datetime as dt
import io
import json
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from server.access.models import Agency
from server.directory import service as directory
from server.directory.models import Report
from server.extensions import db
from server.reference import catalog as catalog_file

from .harness import (
    ROOT,
    Phone,
    Station,
    catalog,
    enroll,
    field,
    server_catalog,
    submit,
)

PIN = "318264"
ui, label = catalog("zh_Hans"), server_catalog("zh_Hans")
DEMO_CSV = ROOT / "server" / "demo" / "directory.csv"
BOTEN = "LA-CN:boten--mohan"
MONG_CAI = "VN-CN:mong-cai--dongxing"
# A focal point of Lao forest inspection at Boten for Chinese phones: a person's name and a
# number (unassigned, as demo numbers must be), weekday hours in Vientiane (UTC+7).
FOCAL = {"key": "test/LA-DOFI/boten-focal", "agency": "LA-DOFI", "kind": "focal_point",
         "role_en": "Forest inspection liaison at Boten (demo)", "role_vi": "Cán bộ liên lạc thanh tra lâm nghiệp tại Boten (demo)",
         "role_lo": "ເຈົ້າໜ້າທີ່ປະສານງານກວດກາປ່າໄມ້ຢູ່ບໍ່ເຕັນ (ສາທິດ)", "role_zh_Hans": "磨丁森林检查联络员（演示）",
         "name": "ສົມພອນ ພົມມະວົງ", "name_latin": "Somphone Phommavong", "phones": "038 200 277 mobile",
         "messaging": "whatsapp:038 200 277", "email": "", "languages": "lo; zh", "hours": "mon-fri 08:00-12:00 13:00-16:00",
         "time_zone": "Asia/Vientiane", "closed": "", "crossings": BOTEN, "audience_countries": "CN",
         "audience_agencies": "", "supervisors_only": "no", "verified_on": "2026-11-15", "verified_by": "Demo maintainer",
         "demo": "yes", "remove": "no"}
FOCAL_NUMBER = "+85638200277"
# A focal point of Luang Namtha forest inspection last verified long before the stale period
# (180 days by default): the app flags it "may be out of date" and says who verified it.
STALE = {**FOCAL, "key": "test/LA-DOFI-LNT/stale-focal", "agency": "LA-DOFI-LNT", "name": "ບຸນມີ ສີສຸວັນ",
         "name_latin": "Bounmy Sisouvanh", "phones": "038 200 278 mobile", "messaging": "",
         "role_en": "Forest inspection liaison, Luang Namtha (demo)", "role_vi": "Cán bộ liên lạc thanh tra lâm nghiệp Luông Nặm Thà (demo)",
         "role_lo": "ເຈົ້າໜ້າທີ່ປະສານງານກວດກາປ່າໄມ້ຫຼວງນ້ຳທາ (ສາທິດ)", "role_zh_Hans": "琅南塔森林检查联络员（演示）",
         "verified_on": "2020-01-15", "verified_by": "Former maintainer (test)"}
# Where a phone at the Mohan port stands: the Chinese side of Boten – Mohan is 0.2 km away,
# the railway crossing's sides 2 and 3 km.
AT_MOHAN = {"latitude": 21.195, "longitude": 101.684}
SECRETS = [FOCAL["name"], FOCAL["name_latin"], FOCAL_NUMBER, "038 200 277", "Forest inspection liaison", "+85638200201",
           "Forest inspection hotline"]


def write_csv(path, rows):
    with open(DEMO_CSV, encoding="utf-8-sig", newline="") as demo:
        columns = next(csv.reader(demo))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def demo_rows():
    with open(DEMO_CSV, encoding="utf-8-sig", newline="") as demo:
        return list(csv.DictReader(demo))


def import_rows(station, path, rows):
    with station.app.app_context():
        report = directory.import_file(write_csv(path, rows))
        assert report.ok, report.problems
        return report


@pytest.fixture(scope="module")
def station(tmp_path_factory):
    home = tmp_path_factory.mktemp("server")
    station = Station(home)
    import_rows(station, home / "directory.csv", [*demo_rows(), FOCAL, STALE])
    with station.app.app_context():
        # Yunnan forest police where the agencies file has it; the national command until then.
        station.agency = "CN-FP-YN" if db.session.scalar(select(Agency).filter_by(code="CN-FP-YN")) else "CN-MPS-FDCIB"
    yield station
    station.close()


@pytest.fixture(scope="module")
def phone(tmp_path_factory):
    phone = Phone(tmp_path_factory.mktemp("profile"), locale="zh-CN", timezone="Asia/Shanghai")
    yield phone
    phone.quit()


def open_directory(page):
    page.get_by_role("button", name=ui("Directory"), exact=True).click()
    page.get_by_role("heading", level=1, name=ui("Directory")).wait_for()


def search(page, text):
    box = page.get_by_label(ui("Search crossings, agencies and people"))
    box.fill("")
    box.fill(text)
    return page.locator("section.directory-results")


def pick_crossing(page, key):
    page.get_by_label(ui("Crossing"), exact=True).select_option(key)
    return page.locator("section.my-counterpart-results")


def open_contact(page, key):
    page.locator(f'li.contact[data-key="{key}"]').first.get_by_role("button").click()
    page.locator("p.duty-status").wait_for()


def sync_now(page, outcome="ok"):
    """"Sync now", and wait for what it did (a sync still running would race the next step)."""
    page.evaluate("() => document.querySelectorAll('.sync-result').forEach((node) => node.remove())")
    page.get_by_role("button", name=ui("Sync now")).click()
    page.locator(f".sync-result.sync-{outcome}").wait_for(timeout=30_000)


def test_1_search_finds_crossings_offline_in_any_script_and_in_pinyin(station, phone):
    station.start()
    page = phone.open()
    enroll(page, station.enrollment_url(agency=station.agency), PIN, ui)
    phone.wait_controlled()
    # The wrong-number report starts from a contact, never from the home screen.
    assert page.get_by_role("button", name=ui("New: {form}", form=label("Directory contact report"))).count() == 0
    station.stop()
    open_directory(page)
    page.get_by_text(ui("Directory updated today.")).wait_for()
    for query in ("mong cai", "Móng Cái", "芒街", "dong xing", "东兴", "dongxing"):
        first = search(page, query).locator("ul.crossings li").first
        first.wait_for()
        assert first.get_attribute("data-key") == MONG_CAI, query
    for query in ("boten", "ບໍ່ເຕັນ", "mohan", "磨憨"):
        search(page, query).locator(f'ul.crossings li[data-key="{BOTEN}"]').wait_for()
    agencies = search(page, "森林公安").locator("ul.agencies > li")
    agencies.first.wait_for()
    codes = {agencies.nth(i).get_attribute("data-code") for i in range(agencies.count())}
    assert {"LA-DOFI", "VN-KL", "CN-MPS-FDCIB"} <= codes
    assert phone.errors == []


def test_2_my_counterpart_at_boten_mohan_is_lao_forest_inspection_with_a_number_to_call(phone):
    page = phone.page
    results = pick_crossing(page, BOTEN)
    lao = results.locator('article.counterpart[data-code="LA-DOFI"]')
    lao.wait_for()
    assert lao.locator("li.contact a.call").first.get_attribute("href") == "tel:+85638200201"
    assert results.locator('article.counterpart[data-code^="LA-"] a.call[href^="tel:+856"]').count() >= 2
    # The 24-hour duty desk comes before the focal point with office hours.
    keys = [item.get_attribute("data-key") for item in lao.locator("li.contact").all()]
    assert keys.index("demo/LA-DOFI/duty") < keys.index(FOCAL["key"])


def test_3_the_contact_as_a_vcard_qr_code(phone):
    page = phone.page
    open_contact(page, FOCAL["key"])
    assert page.locator(f'a[href="tel:{FOCAL_NUMBER}"]').count() == 1
    assert page.locator('a[href="https://wa.me/85638200277"]').count() == 1
    page.get_by_role("button", name=ui("Show as QR code")).click()
    payload = page.locator("svg.qr").get_attribute("data-payload")
    assert "BEGIN:VCARD" in payload and f"FN:{FOCAL['name']} ({FOCAL['name_latin']})" in payload
    assert f"TEL;TYPE=CELL,VOICE:{FOCAL_NUMBER}" in payload


def test_4_the_phrasebook_shows_the_officers_language_beside_the_other_sides(phone):
    page = phone.page
    page.get_by_role("button", name=ui("Phrasebook")).click()
    first = page.locator("li.phrase").first
    first.wait_for()
    assert page.get_by_label(ui("The other officer's language")).input_value() == "lo"  # Boten is in Laos
    hello = next(item for item in catalog_file.code_lists()["first_call_phrase"]["items"] if item["key"] == "hello")
    assert first.locator(".phrase-mine").inner_text() == hello["names"]["zh_Hans"]  # this phone is in Chinese
    theirs = first.locator(".phrase-theirs")
    assert theirs.inner_text() == hello["names"]["lo"] and theirs.get_attribute("lang") == "lo"
    assert page.locator("li.phrase").count() == len(catalog_file.code_lists()["first_call_phrase"]["items"])
    assert float(theirs.evaluate("(node) => parseFloat(getComputedStyle(node).fontSize)")) >= 1.6 * 16
    page.go_back()
    page.locator("p.duty-status").wait_for()


def test_5_no_contact_name_or_number_is_stored_in_the_clear(phone):
    dump = phone.dump_storage()
    assert "idb:reference" in dump
    for text in SECRETS:
        assert text not in dump, text
    raw = b"".join(path.read_bytes() for path in phone.profile.rglob("*") if path.is_file()
                   and any(part in ("IndexedDB", "Local Storage", "CacheStorage", "Session Storage") for part in path.parts))
    for text in SECRETS:
        for encoding in ("utf-8", "utf-16-le"):
            assert text.encode(encoding) not in raw, text


def test_6_a_wrong_number_reported_offline_reaches_the_server_once(station, phone):
    page = phone.page
    page.get_by_role("button", name=ui("This number did not work")).first.click()
    assert field(page, label("Contact")).input_value() == FOCAL["key"]
    assert field(page, label("Number tried")).input_value() == FOCAL_NUMBER
    field(page, label("What went wrong")).select_option(index=1)
    field(page, label("Note")).fill("没人接")
    submit(page, ui)
    station.start()
    sync_now(page)
    page.locator("li.record.state-accepted").first.wait_for(timeout=30_000)
    sync_now(page)
    with station.app.app_context():
        [report] = db.session.scalars(select(Report)).all()
        assert (report.contact_key, report.number, report.note) == (FOCAL["key"], FOCAL_NUMBER, "没人接")


def directory_rows(phone):
    return {row["key"]: row["data"] for row in phone.rows("reference") if row["collection"] == "directory"}


def directory_copy(phone):
    """The phone's copy of the directory, whole: every sealed row (its bytes) and the checkpoint."""
    rows = directory_rows(phone)
    assert rows and all(data["ct"] for key, data in rows.items() if key != "_about"), "sealed rows, compared byte for byte"
    return rows, [row for row in phone.rows("checkpoints") if row["collection"] == "directory"]


def test_7_an_admin_edit_arrives_at_the_next_sync_a_tampered_answer_does_not(station, phone, tmp_path):
    page = phone.page
    edited = {**FOCAL, "role_zh_Hans": "磨丁森林检查联络组长（演示）", "role_en": "Forest inspection liaison lead at Boten (demo)"}
    rows = [row for row in demo_rows() if row["key"] != "demo/LA-CUSTOMS-BOTEN/duty"]
    removed = {**next(row for row in demo_rows() if row["key"] == "demo/LA-CUSTOMS-BOTEN/duty"), "remove": "yes"}
    import_rows(station, tmp_path / "edited.csv", [*rows, removed, edited])
    before = directory_copy(phone)
    assert "demo/LA-CUSTOMS-BOTEN/duty" in before[0]

    tampered = []

    def tamper(route):
        tampered.append(route.request.url)
        response = route.fetch()
        body = bytearray(response.body())
        body[len(body) // 2] ^= 0x01
        route.fulfill(response=response, body=bytes(body))

    def unsigned(route):
        # The body as the server sent it, without the signature bound to this request: the
        # body-only legacy signature left in place is no longer enough for this phone.
        tampered.append(route.request.url)
        response = route.fetch()
        headers = {name: value for name, value in response.headers.items() if name.lower() != "wl-answer-signature"}
        route.fulfill(response=response, headers=headers)

    pattern = "**/api/v1/sync/pull/directory*"
    for handler in (tamper, unsigned):
        tampered.clear()
        phone.context.route(pattern, handler)
        try:
            sync_now(page, "failed")  # an answer that does not check is no answer
        finally:
            phone.context.unroute(pattern)
        assert tampered and phone.meta("sync")["last_error"] == "unreachable", (handler.__name__, tampered, phone.meta("sync"))
        assert directory_copy(phone) == before, handler.__name__  # the old copy, whole: every row and the checkpoint

    sync_now(page)
    assert "demo/LA-CUSTOMS-BOTEN/duty" not in directory_rows(phone)
    open_directory(page)
    contacts = search(page, "磨丁").locator("li.contact")
    contacts.first.wait_for()
    assert page.get_by_text("磨丁森林检查联络组长（演示）").count() >= 1
    assert page.locator('li.contact[data-key="demo/LA-CUSTOMS-BOTEN/duty"]').count() == 0
    assert phone.errors == []


def next_monday(zone):
    today = dt.datetime.now(ZoneInfo(zone)).date()
    return today + dt.timedelta(days=(7 - today.weekday()) % 7 or 7)


def test_8_on_duty_follows_the_other_sides_time_zone(station, phone):
    """The Lao focal point works 08:00–12:00 in Vientiane (UTC+7): at 08:30 in Beijing it is
    07:30 there, closed; at 09:30 in Beijing it is on duty."""
    station.stop()
    page = phone.page
    monday = next_monday("Asia/Shanghai")
    beijing = ZoneInfo("Asia/Shanghai")
    page.clock.set_fixed_time(dt.datetime.combine(monday, dt.time(8, 30), beijing))
    pick_crossing(page, BOTEN)
    open_contact(page, FOCAL["key"])
    assert page.locator("p.duty-status").inner_text() == ui("Opens {time} ({local} local time there)", time="09:00", local="08:00")
    page.go_back()
    page.clock.set_fixed_time(dt.datetime.combine(monday, dt.time(9, 30), beijing))
    pick_crossing(page, MONG_CAI)
    pick_crossing(page, BOTEN)
    open_contact(page, FOCAL["key"])
    assert page.locator("p.duty-status").inner_text() == ui("On duty now")
    assert phone.errors == []


def test_9_a_contact_not_verified_for_long_may_be_out_of_date_and_says_who_verified_it(phone):
    page = phone.page
    page.go_back()  # from the contact test 8 left open
    page.get_by_role("heading", level=1, name=ui("Directory")).wait_for()
    search(page, FOCAL["name_latin"]).locator(f'li.contact[data-key="{FOCAL["key"]}"]').wait_for()
    open_contact(page, FOCAL["key"])  # verified this month
    assert page.locator("p.stale").count() == 0
    page.go_back()
    search(page, STALE["name_latin"]).locator(f'li.contact[data-key="{STALE["key"]}"]').wait_for()
    open_contact(page, STALE["key"])
    assert page.locator("p.notice.stale").inner_text() == ui("May be out of date: check the number before relying on it.")
    verified = page.locator(f'xpath=//dl[@class="facts"]/dt[normalize-space(.)="{ui("Verified")}"]/following-sibling::dd[1]')
    assert verified.inner_text() == f"{STALE['verified_on']}, {STALE['verified_by']}"
    page.go_back()
    assert phone.errors == []


def test_10_the_nearest_crossing_to_the_phones_position_gives_my_counterpart(phone):
    page = phone.page
    page.get_by_role("heading", level=1, name=ui("Directory")).wait_for()
    phone.context.grant_permissions(["geolocation"])
    phone.context.set_geolocation(AT_MOHAN)
    pick_crossing(page, MONG_CAI)  # another crossing first: the position must move it
    page.get_by_role("button", name=ui("Nearest crossing")).click()
    boten = next(item for item in json.loads((ROOT / "server/reference/data/crossings.json").read_text("utf-8"))["items"]
                 if item["key"] == BOTEN)
    page.get_by_text(ui("Nearest crossing: {name}, {km} km away.", name=boten["names"]["zh_Hans"], km=0)).wait_for()
    assert page.get_by_label(ui("Crossing"), exact=True).input_value() == BOTEN
    lao = page.locator('section.my-counterpart-results article.counterpart[data-code="LA-DOFI"]')
    lao.wait_for()
    assert lao.locator("li.contact a.call").first.get_attribute("href") == "tel:+85638200201"
    assert phone.errors == []
