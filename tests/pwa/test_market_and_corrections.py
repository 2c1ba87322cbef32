"""Issue 5 as a Lao customs officer at Boten lives it, on a phone shared with a Vietnamese
colleague: a market observation typed in Lao, offline, with a GPS fix and two priced items;
species found by trade names in three languages; Vietnamese numbers and money; a
correction; the storage warnings. Everything is checked where it lands: in the store.

The tests of this module share one server and one phone and run in order."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from server.devices.models import Device
from server.extensions import db
from server.store.models import Record

from .harness import Phone, Station, catalog, enroll, field, record_state, server_catalog, submit, unlock

PIN = "314159"
ui_lo, label_lo = catalog("lo"), server_catalog("lo")
ui_vi, label_vi = catalog("vi"), server_catalog("vi")
BOTEN = {"latitude": 21.1876, "longitude": 101.6711, "accuracy": 18}

OFFICER = "ສົມພອນ ແກ້ວມະນີ"
MARKET = {
    "date": "2026-11-22", "agency": "LA-CUSTOMS-BOTEN", "reporting_officer": OFFICER, "market_kind": "physical",
    "place": {"name": "ຕະຫຼາດບໍ່ເຕັນ ແຜງ 7 (ຕົວຢ່າງ)", "province": "LA-LM", "country": "LA",
              "gps": {"lat": "21.1876", "lon": "101.6711", "accuracy_m": "18"}},
    "vendor": {"name": "ນາງ ຄຳ (ຕົວຢ່າງ)", "description": "ຂາຍຢູ່ຫຼັງຮ້ານຢາ"},
    "items": [
        {"species": "Manis spp.", "term": "SCA", "quantity": "1.5", "unit": "kg", "price": "2500000", "currency": "LAK",
         "price_basis": "per_unit"},
        {"species": "Panthera tigris", "term": "TEE", "quantity": "4", "unit": "NAR", "price": "350", "currency": "CNY",
         "price_basis": "total"},
    ],
    "observation_mode": "covert",
}


@pytest.fixture(scope="module")
def station(tmp_path_factory):
    station = Station(tmp_path_factory.mktemp("server"))
    yield station
    station.close()


@pytest.fixture(scope="module")
def phone(tmp_path_factory):
    # Chromium's StaticStorageQuota reports usage + 10 GiB to pages whatever the disk holds
    # (a fingerprinting defence); off, estimate() reports the quota DevTools overrides.
    phone = Phone(tmp_path_factory.mktemp("profile"), locale="lo-LA", timezone="Asia/Vientiane",
                  args=["--disable-features=StaticStorageQuota"])
    yield phone
    phone.quit()


def choose_species(scope, label, typed, key):
    """Types a name as the officer knows it and picks the species among the matches."""
    box = field(scope, label("Species"))
    box.fill(typed)
    options = scope.get_by_role("option")
    options.first.wait_for()
    assert key in options.first.inner_text(), f"{typed!r} → {options.all_inner_texts()}"
    options.first.click()
    assert key in box.input_value()


def sync_until(page, ui, state):
    page.get_by_role("button", name=ui("Sync now")).click()
    record_state(page, ui, state).first.wait_for(timeout=30_000)


def stored(station, form):
    with station.app.app_context():
        records = db.session.scalars(select(Record).filter_by(form=form).order_by(Record.id)).all()
        return [(r.rid, r.content, r.time_zone, r.supersedes) for r in records]


def test_1_a_market_observation_typed_in_lao_offline_arrives_field_by_field(station, phone):
    station.start()
    page = phone.open()
    enroll(page, station.enrollment_url(agency="LA-CUSTOMS-BOTEN", officer=OFFICER), PIN, ui_lo)
    phone.wait_controlled()
    station.stop()
    ui, label = ui_lo, label_lo

    page.get_by_role("button", name=ui("New: {form}", form=label("Market observation"))).click()
    field(page, label("Date of observation")).fill(MARKET["date"])
    assert field(page, label("Reporting officer")).input_value() == OFFICER  # the enrolled officer, offered
    field(page, label("Kind of market")).select_option("physical")
    place = page.get_by_role("group", name=label("Market place"))
    field(place, label("Market name")).fill(MARKET["place"]["name"])
    field(place, label("Province")).select_option("LA-LM")
    field(place, label("Country")).select_option("LA")
    phone.context.grant_permissions(["geolocation"], origin=station.public_url)
    phone.context.set_geolocation(BOTEN)
    place.get_by_role("button", name=ui("Use my position")).click()
    page.get_by_text(ui("Position found, accurate to {metres} m.", metres=18)).wait_for()
    assert field(place, label("Latitude")).input_value() == "21,1876"  # Lao writes a decimal comma
    vendor = page.get_by_role("group", name=label("Vendor or seller"))
    field(vendor, label("Name")).fill(MARKET["vendor"]["name"])
    field(vendor, label("Description")).fill(MARKET["vendor"]["description"])

    items = label("Items offered")
    first = page.get_by_role("group", name=f"{items} 1")
    choose_species(first, label, "ເກັດລີ່ນ", "Manis spp.")  # "pangolin scales", as the vendor says it
    field(first, label("Specimen type (CITES term)")).select_option("SCA")
    field(first, label("Quantity")).fill("1,5")
    field(first, label("Unit")).select_option("kg")
    field(first, label("Price")).fill("2.500.000")
    field(first, label("What the price is for")).select_option("per_unit")  # kip a kilogram
    # The agency is Lao: kip is offered, and the price is shown back the Lao way.
    assert field(first, label("Currency")).input_value() == "LAK"
    assert "2.500.000" in first.locator("output").inner_text()
    page.get_by_role("button", name=ui("Add: {label}", label=items)).click()
    second = page.get_by_role("group", name=f"{items} 2")
    choose_species(second, label, "Panthera tigris", "Panthera tigris")
    field(second, label("Specimen type (CITES term)")).select_option("TEE")
    field(second, label("Quantity")).fill("4")
    field(second, label("Unit")).select_option("NAR")
    field(second, label("Currency")).select_option("CNY")
    field(second, label("Price")).fill("350")
    field(second, label("What the price is for")).select_option("total")  # for the four teeth
    field(page, label("Covert or overt")).select_option("covert")
    submit(page, ui)
    record_state(page, ui, "Waiting").wait_for()

    station.start()
    sync_until(page, ui, "Accepted")
    [(rid, content, time_zone, supersedes)] = stored(station, "market_observation")
    assert content == MARKET
    assert (time_zone, supersedes) == ("Asia/Vientiane", None)
    with station.app.app_context():
        record = db.session.scalar(select(Record).filter_by(rid=rid))
        observation = record.market_observation
        assert (observation.place, observation.province, observation.latitude, observation.accuracy_m) == (
            MARKET["place"]["name"], "LA-LM", Decimal("21.1876"), Decimal("18"))
        assert [(i.species, i.term, i.quantity, i.unit, i.price, i.currency, i.price_basis)
                for i in observation.items] == [
            ("Manis spp.", "SCA", Decimal("1.5"), "kg", Decimal("2500000"), "LAK", "per_unit"),
            ("Panthera tigris", "TEE", Decimal("4"), "NAR", Decimal("350"), "CNY", "total")]
        # The push said what the phone is: the supervisor sees version and storage.
        [device] = db.session.scalars(select(Device)).all()
        assert set(device.app_state) >= {"version", "storage_persistent", "storage_usage", "storage_quota"}
        assert device.app_state["storage_quota"] > 0
    assert phone.errors == []


def test_2_trade_names_and_vietnamese_numbers_on_the_shared_phone(station, phone):
    page = phone.page
    page.locator("#language").select_option("vi")  # the colleague takes the phone
    ui, label = ui_vi, label_vi
    page.get_by_role("heading", name=ui("My records")).wait_for()
    page.get_by_role("button", name=ui("New: {form}", form=label("Seizure"))).click()
    field(page, label("Date of seizure")).fill("2026-11-23")
    field(page, label("Reporting officer")).fill("Lê Thị Biên")
    place = page.get_by_role("group", name=label("Place of seizure"))
    field(place, label("Type of location")).select_option("land_border")
    field(place, label("Place name")).fill("Cửa khẩu Bờ Y (demo)")
    item = page.get_by_role("group", name=f"{label('Items seized')} 1")
    for typed in ("vảy tê tê", "vay te te", "穿山甲片", "pangolin scales"):
        choose_species(item, label, typed, "Manis spp.")
    field(item, label("Specimen type (CITES term)")).select_option("SCA")
    field(item, label("Quantity")).fill("2,5")
    field(item, label("Unit")).select_option("kg")
    field(item, label("Total weight (kg), when the unit is not kg")).fill("2,5")
    value = page.get_by_role("group", name=label("Estimated value"))
    field(value, label("Amount")).fill("25.000.000 ₫")
    assert field(value, label("Currency")).input_value() == "VND"  # from the ₫ typed
    assert value.locator("output").inner_text() == "25.000.000\u00a0₫"
    submit(page, ui)
    sync_until(page, ui, "Accepted")
    page.get_by_text(ui("Nothing waiting to sync")).wait_for()

    [(rid, content, time_zone, _)] = stored(station, "seizure")
    assert content["items"] == [{"species": "Manis spp.", "term": "SCA", "quantity": "2.5", "unit": "kg",
                                 "weight_kg": "2.5"}]
    assert content["estimated_value"] == {"amount": "25000000", "currency": "VND"}
    assert time_zone == "Asia/Vientiane"
    with station.app.app_context():
        seizure = db.session.scalar(select(Record).filter_by(rid=rid)).seizure
        assert (seizure.value_amount, seizure.value_currency) == (Decimal("25000000"), "VND")
        assert seizure.items[0].weight_kg == Decimal("2.5")
    assert phone.errors == []


def test_3_a_correction_supersedes_the_original_in_the_store(station, phone):
    page = phone.page
    ui, label = ui_vi, label_vi
    page.locator("li.record").filter(has_text=label("Market observation")).get_by_role("button").click()
    copy = page.get_by_role("group", name=f"{label('Items offered')} 1")
    assert field(copy, label("Price")).input_value() == "2.500.000"  # the stored number, the Vietnamese way
    assert field(copy, label("Price")).is_disabled()
    page.get_by_role("button", name=ui("Make a correction")).click()
    page.get_by_text(ui("This is a correction. The earlier record is kept, and this one is shown in its place.")).wait_for()
    second = page.get_by_role("group", name=f"{label('Items offered')} 2")
    field(second, label("Price")).fill("400")
    submit(page, ui)
    sync_until(page, ui, "Accepted")
    page.get_by_text(ui("Nothing waiting to sync")).wait_for()

    [(original, first, _, none), (_, corrected, _, supersedes)] = stored(station, "market_observation")
    assert none is None and supersedes == original
    assert first == MARKET
    assert corrected == {**MARKET, "items": [MARKET["items"][0], {**MARKET["items"][1], "price": "400"}]}
    page.locator("li.record").filter(has_text=ui("Corrected")).wait_for()
    assert phone.errors == []


def test_4_nearly_full_storage_is_announced(station, phone):
    page = phone.page
    ui = ui_vi
    cdp = phone.context.new_cdp_session(page)
    usage = page.evaluate("navigator.storage.estimate().then((e) => e.usage)")
    cdp.send("Storage.overrideQuotaForOrigin", {"origin": station.public_url, "quotaSize": usage + 2_000_000})
    page.reload()
    unlock(page, PIN, ui)
    warning = page.locator(".storage-full")
    warning.wait_for()
    assert warning.get_attribute("role") == "alert"
    assert ui("Storage is nearly full: {free} left. Sync now, then free up space on the phone, or new records may not be saved.",
              free="").split(":")[0] in warning.inner_text()

    cdp.send("Storage.overrideQuotaForOrigin", {"origin": station.public_url, "quotaSize": 10 * 1024 ** 3})
    page.reload()
    unlock(page, PIN, ui)
    assert page.locator(".storage-full").count() == 0
    assert phone.errors == []


def test_5_an_online_market_needs_its_address_and_typos_are_caught_before_sealing(station, phone):
    page = phone.page
    ui, label = ui_vi, label_vi
    page.get_by_role("button", name=ui("New: {form}", form=label("Market observation"))).click()
    field(page, label("Kind of market")).select_option("online")
    field(page, label("Online platform")).fill("Zalo")
    vendor = page.get_by_role("group", name=label("Vendor or seller"))
    field(vendor, label("Online account or shop name")).fill("demo.shop.wildlife")
    field(vendor, label("Phone number")).fill("gọi sau")
    item = page.get_by_role("group", name=f"{label('Items offered')} 1")
    choose_species(item, label, "ngà voi", "Elephantidae spp.")  # ivory: the officer cannot tell Asian from African
    field(item, label("Specimen type (CITES term)")).select_option("CAR")
    field(page, label("Covert or overt")).select_option("overt")
    page.get_by_role("button", name=ui("Review"), exact=True).click()
    # Nothing is sealed: the address is missing and the phone number is not one.
    page.get_by_text(ui("{n} field needs attention.", "{n} fields need attention.", n=2)).wait_for()
    page.get_by_text(ui("Enter a phone number: digits, spaces and + ( ) . - only.")).wait_for()
    field(vendor, label("Phone number")).fill("0399 000 777")
    field(page, label("Web address")).fill("shopee.vn/demo-item-1")  # copied without https://
    submit(page, ui)
    page.get_by_role("button", name=ui("Sync now")).click()
    page.get_by_text(ui("Nothing waiting to sync")).wait_for()

    online = [content for _, content, _, _ in stored(station, "market_observation") if content["market_kind"] == "online"]
    assert online == [{
        "date": online[0]["date"], "agency": "LA-CUSTOMS-BOTEN", "reporting_officer": OFFICER,  # the last name used
        "market_kind": "online", "platform": "Zalo", "url": "https://shopee.vn/demo-item-1",
        "vendor": {"account": "demo.shop.wildlife", "phone": "0399 000 777"},
        "items": [{"species": online[0]["items"][0]["species"], "term": "CAR"}], "observation_mode": "overt"}]
    assert online[0]["items"][0]["species"] == "Elephantidae spp."
    assert phone.errors == []
