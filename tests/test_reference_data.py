"""Reference data after the language review of 2026-11: the new code lists, the species
added, and retirement instead of deletion for agencies and codes."""
import json
import re
import shutil
import subprocess
from datetime import date

import pytest
from sqlalchemy import func, select

from server.access.models import Agency
from server.extensions import db
from server.reference import agencies, catalog, publish
from server.reference.agencies import AGENCIES_FILE
from server.reference.models import ReferenceItem
from server.store.models import Record
from tests.conftest import ROOT
from tests.helpers import SEIZURE

LANGUAGES = ("en", "vi", "lo", "zh_Hans")


def _species():
    return {item["key"]: item for item in catalog.collection_file("species")["items"]}


@pytest.mark.parametrize("list_id, keys", [
    ("vehicle_kind", ["truck", "car", "van", "motorbike", "bus", "boat", "aircraft", "other"]),
    ("price_basis", ["per_unit", "total"]),
])
def test_the_vehicle_and_price_basis_lists_load_in_four_languages(list_id, keys):
    body = catalog.code_lists()[list_id]
    assert (body["collection"], body["list"]) == ("codes", list_id)
    assert [item["key"] for item in body["items"]] == keys
    for item in body["items"]:
        assert all(item["names"][language].strip() for language in LANGUAGES), item["key"]
    assert "whole quantity" in catalog.code_lists()["price_basis"]["items"][1]["names"]["en"]


def test_sea_turtles_and_unidentified_ivory_and_rhino_horn_are_listed():
    species = _species()
    hawksbill, green = species["Eretmochelys imbricata"], species["Chelonia mydas"]
    assert hawksbill["names"]["vi"] == "Đồi mồi" and hawksbill["names"]["zh_Hans"] == "玳瑁"
    assert {"đồi mồi", "vảy đồi mồi"} <= set(hawksbill["trade_names"]["vi"])
    assert green["names"]["vi"] == "Vích" and green["names"]["zh_Hans"] == "绿海龟"
    for key in ("Elephantidae spp.", "Rhinocerotidae spp."):
        # Family-level: ivory and horn can rarely be told apart even to genus.
        assert (species[key]["rank"], species[key]["cites_appendix"]) == ("family", "I")
    for key in ("Eretmochelys imbricata", "Chelonia mydas"):
        assert species[key]["cites_appendix"] == "I"
        assert all(species[key]["trade_names"][language] for language in LANGUAGES)


def test_civets_no_longer_carry_the_vietnamese_word_for_dog_meat():
    species = _species()
    for key in ("Paradoxurus hermaphroditus", "Viverra zibetha"):
        vi = species[key]["trade_names"]["vi"]
        assert "thịt cầy" not in vi and "cầy sống" not in vi
        assert {"thịt chồn", "thịt cầy hương"} <= set(vi)
    assert "ງູເຫຼືອມມີຊີວິດ" not in species["Python bivittatus"]["trade_names"]["lo"]  # the reticulated python


SEARCHES = {
    "Elephantidae spp.": ["ngà voi", "nga voi", "象牙", "ງາຊ້າງ", "ivory"],
    "Rhinocerotidae spp.": ["sừng tê giác", "犀角", "ນໍແຮດ", "rhino horn"],
    "Eretmochelys imbricata": ["đồi mồi", "玳瑁", "ເຕົ່າກະ", "tortoiseshell", "hawksbill"],
    "Manis spp.": ["vảy tê tê", "穿山甲片", "ເກັດລີ່ນ"],
}


@pytest.mark.skipif(shutil.which("node") is None, reason="the phone's species search runs in node")
def test_the_phones_species_search_finds_the_new_entries_first():
    """The search the phone runs (pwa/src/search.js), on the file as shipped, in every UI
    language: a product's trade name puts the 'species not identified' entry first."""
    script = f"""
        import {{ readFileSync }} from "node:fs";
        import {{ search, speciesIndex }} from "{(ROOT / 'pwa/src/search.js').as_uri()}";
        const data = JSON.parse(readFileSync(0, "utf8"));
        const index = speciesIndex(new Map(data.species.items.map((item) => [item.key, item])));
        const found = data.queries.map(([query, language]) => search(index, query, {{ language }})[0]?.key);
        console.log(JSON.stringify(found));
    """
    queries = [(query, language) for names in SEARCHES.values() for query in names for language in LANGUAGES]
    answer = subprocess.run(["node", "--input-type=module", "-e", script], check=True, capture_output=True,
                            text=True, input=json.dumps({"species": catalog.collection_file("species"),
                                                         "queries": queries}))
    first = dict(zip(queries, json.loads(answer.stdout), strict=True))
    expected = {(query, language): key for key, names in SEARCHES.items() for query in names for language in LANGUAGES}
    assert first == expected


def _retirements():
    """(where, its own key, retired, the keys of its list) for every retired agency and code."""
    rows = json.loads(AGENCIES_FILE.read_text("utf-8"))
    codes = {row["code"] for row in rows}
    for row in rows:
        if "retired" in row:
            yield f"agencies:{row['code']}", row["code"], row["retired"], codes
    for list_id, body in catalog.code_lists().items():
        keys = {item["key"] for item in body["items"]}
        for item in body["items"]:
            if "retired" in item:
                yield f"codes/{list_id}:{item['key']}", item["key"], item["retired"], keys


def test_every_retirement_has_a_day_and_a_known_successor():
    retirements = list(_retirements())
    for where, own, retired, keys in retirements:
        assert set(retired) == {"on", "successor"}, where
        date.fromisoformat(retired["on"])
        assert retired["successor"] is None or retired["successor"] in keys - {own}, where
    assert {where for where, *_ in retirements} >= {"agencies:VN-BDBP-QN", "agencies:VN-BDBP-HT"}


def test_a_chain_of_retirements_ends_at_the_code_in_use_and_a_circle_is_refused():
    assert catalog.latest("a", {"a": "b", "b": "c"}.get) == "c"
    assert catalog.latest("c", {"a": "b", "b": "c"}.get) == "c"
    with pytest.raises(ValueError, match="circle"):
        catalog.latest("a", {"a": "b", "b": "a"}.get)


def _agency_rows():
    return {a.code: (a.name_en, a.retired_on, a.successor_id) for a in db.session.scalars(select(Agency))}


def test_loading_agencies_twice_deletes_nothing_and_keeps_the_retired(app, tmp_path):
    with app.app_context():
        before = _agency_rows()
        assert agencies.load() == (0, len(before))
        assert _agency_rows() == before
        retired = db.session.scalar(select(Agency).filter_by(code="VN-BDBP-QN"))
        successor = db.session.get(Agency, retired.successor_id)
        assert (retired.retired_on, successor.code) == (date(2025, 6, 28), "VN-BCHBP-QN")
        assert successor.retired_on is None and successor.successor_id is None

        # A file that no longer lists an agency removes nothing from the store.
        rows = json.loads(AGENCIES_FILE.read_text("utf-8"))
        shorter = tmp_path / "agencies.json"
        shorter.write_text(json.dumps([r for r in rows if r["code"] != "VN-BDBP-HT"]), encoding="utf-8")
        agencies.load(shorter)
        assert _agency_rows() == before


def _refused_and_nothing_changed(app, tmp_path, rows, reason):
    """Loading an agencies file of `rows` is refused, naming `reason`, and the store is as it was."""
    broken = tmp_path / "agencies.json"
    broken.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    with app.app_context():
        before = _agency_rows()
        with pytest.raises(ValueError, match=reason):
            agencies.load(broken)
        db.session.rollback()
        assert _agency_rows() == before


def test_a_retirement_in_favour_of_an_unknown_agency_is_refused_before_anything_changes(app, tmp_path):
    rows = json.loads(AGENCIES_FILE.read_text("utf-8"))
    for row in rows:
        if row["code"] == "VN-BDBP-HT":
            row["retired"]["successor"] = "VN-NOWHERE"
        if row["code"] == "VN-HQ":
            row["names"]["en"] = "changed"
    _refused_and_nothing_changed(app, tmp_path, rows, "VN-NOWHERE")


def test_a_retired_agency_is_accepted_at_intake_and_filed_under_its_successor(app, device):
    sealed = {**SEIZURE, "agency": "VN-BDBP-QN"}
    rid = device.seal(sealed)
    [receipt] = device.sync()
    assert receipt["status"] == "accepted"
    with app.app_context():
        record = db.session.scalar(select(Record).filter_by(rid=rid))
        assert record.content == sealed  # what was sealed, verbatim
        assert record.seizure.seizing_agency == "VN-BCHBP-QN"
        assert record.flags == ["retired_code"]


@pytest.fixture
def transport_mode_retired(app, monkeypatch, tmp_path):
    """transport_mode as it would be if 'road' had been retired in favour of 'other': the
    files changed under a running server and published, as an operator would."""
    shutil.copytree(catalog.DATA, tmp_path / "data")
    path = tmp_path / "data" / "codes" / "transport_mode.json"
    body = json.loads(path.read_text(encoding="utf-8"))
    body["items"] = [dict(item, retired={"on": "2026-12-01", "successor": "other"}) if item["key"] == "road" else item
                     for item in body["items"]]
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    with app.app_context():
        catalog.code_lists()  # this worker has read the lists before they changed
        monkeypatch.setattr(catalog, "DATA", tmp_path / "data")
        assert publish.publish(["codes"])["codes"] >= 1
    yield catalog.code_lists()
    monkeypatch.undo()
    catalog.forget()


def test_a_retired_code_is_accepted_at_intake_and_filed_under_its_successor(app, device, transport_mode_retired):
    rid = device.seal(SEIZURE)  # transport_mode "road", and a vehicle of kind "road"
    [receipt] = device.sync()
    assert receipt["status"] == "accepted"
    with app.app_context():
        record = db.session.scalar(select(Record).filter_by(rid=rid))
        assert record.content == SEIZURE
        assert record.seizure.transport_mode == "other"
        assert [m.entity.properties["type"] for m in record.mentions if m.role == "vehicle"] == [["other"]]
        assert record.flags == ["retired_code"]


def test_phones_receive_retired_agencies_with_their_successor(app, device):
    device.pull("agencies")
    local = device.collections["agencies"]["items"]
    assert local["VN-BDBP-QN"]["retired"] == {"on": "2025-06-28", "successor": "VN-BCHBP-QN"}
    assert local["VN-BDBP-HT"]["retired"] == {"on": "2025-06-28", "successor": "VN-BCHBP-HT"}
    assert local["VN-BCHBP-QN"]["retired"] is None and local["VN-HQ"]["retired"] is None
    assert local["VN-HQ-CAUTREO"]["parent"] == "VN-HQ-HT"
    with app.app_context():
        assert len(local) == db.session.scalar(select(func.count()).select_from(Agency))


def test_phones_receive_retired_codes_and_a_code_is_never_dropped(app, device, transport_mode_retired):
    with app.app_context():
        publish.publish(["codes"])
    device.pull("codes")
    assert {"vehicle_kind", "price_basis"} <= set(device.collections["codes"]["items"])
    road = next(i for i in device.collections["codes"]["items"]["transport_mode"]["items"] if i["key"] == "road")
    assert road["retired"] == {"on": "2026-12-01", "successor": "other"}

    body = transport_mode_retired["transport_mode"]
    (catalog.DATA / "codes" / "transport_mode.json").write_text(json.dumps(
        {**body, "items": [i for i in body["items"] if i["key"] != "road"]}), encoding="utf-8")
    with app.app_context():
        with pytest.raises(ValueError, match=r"transport_mode no longer has \['road'\]"):
            publish.publish(["codes"])
        db.session.rollback()
        published = db.session.scalar(select(ReferenceItem).filter_by(collection="codes", key="transport_mode"))
        assert "road" in {item["key"] for item in published.data["items"]}


def test_every_agency_does_something_and_each_country_has_the_border_functions():
    rows = json.loads(AGENCIES_FILE.read_text(encoding="utf-8"))
    functions = catalog.code_keys("agency_function")
    assert all(row["functions"] and set(row["functions"]) <= functions for row in rows)
    for country in ("LA", "VN", "CN"):
        found = {f for row in rows if row["country"] == country and not row.get("retired") for f in row["functions"]}
        assert {"customs", "forest_law_enforcement", "border_guard", "cites_management_authority"} <= found, country


def test_an_agency_without_a_known_function_is_refused_before_anything_changes(app, tmp_path):
    rows = json.loads(AGENCIES_FILE.read_text(encoding="utf-8"))
    rows[0]["functions"] = ["fishing"]
    rows[1]["names"]["en"] = "changed"
    _refused_and_nothing_changed(app, tmp_path, rows, "fishing")


def test_the_first_call_phrasebook_has_every_sentence_in_each_script():
    phrases = catalog.code_lists()["first_call_phrase"]["items"]
    assert len(phrases) >= 12
    for phrase in phrases:
        assert re.search("[\u0E80-\u0EFF]", phrase["names"]["lo"]), phrase["key"]
        assert re.search("[\u4E00-\u9FFF]", phrase["names"]["zh_Hans"]), phrase["key"]
        # Vietnamese written with its marks (an officer reads it aloud), not stripped to ASCII.
        assert re.search("[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", phrase["names"]["vi"].lower()), phrase["key"]
