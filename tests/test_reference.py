"""Reference data: four languages everywhere, a source note on every list, and the
facts officers rely on."""
import json
import re

import pycountry
import pytest

from server.reference import catalog
from server.reference.agencies import AGENCIES_FILE

SCRIPTS = {"lo": re.compile("[\u0e80-\u0eff]"), "zh_Hans": re.compile("[\u4e00-\u9fff]")}
TRANSLATED = ("vi", "lo", "zh_Hans")


def _named(value, where):
    """Every {"en", "vi", "lo", "zh_Hans"} mapping inside a reference item, with a path."""
    if isinstance(value, dict):
        if "en" in value and "vi" in value:
            yield where, value
        for key, inner in value.items():
            # aliases keep former names, often only en/vi; trade names and search terms are lists of words
            if key not in ("trade_names", "aliases", "search_terms"):
                yield from _named(inner, f"{where}.{key}")
    elif isinstance(value, list):
        for position, inner in enumerate(value):
            yield from _named(inner, f"{where}[{position}]")


def _lists():
    yield from catalog.every_list()
    agencies = json.loads(AGENCIES_FILE.read_text(encoding="utf-8"))
    yield "agencies", {"source": "per agency", "identical_allowed": {},
                       "items": [{"key": a["code"], **a} for a in agencies]}


@pytest.mark.parametrize("where, body", list(_lists()), ids=lambda v: v if isinstance(v, str) else "")
def test_every_name_is_translated_into_vi_lo_and_zh_hans(where, body):
    problems = []
    allowed = body.get("identical_allowed", {})
    for item in body["items"]:
        for path, names in _named(item, f"{where}:{item['key']}"):
            for language in ("en", *TRANSLATED):
                text = names.get(language)
                if not text or not str(text).strip():
                    problems.append(f"{path}: empty {language}")
                elif language != "en" and text == names["en"] and item["key"] not in allowed.get(language, ()):
                    problems.append(f"{path}: {language} same as English")
                elif language in SCRIPTS and not SCRIPTS[language].search(text):
                    problems.append(f"{path}: {language} not in its script: {text}")
    assert problems == []


@pytest.mark.parametrize("where, body", list(catalog.every_list()), ids=lambda v: v if isinstance(v, str) else "")
def test_every_list_has_a_source_note_and_unique_keys(where, body):
    assert len(body["source"]) > 40
    keys = [item["key"] for item in body["items"]]
    assert len(keys) == len(set(keys)) and keys


def test_cites_code_lists():
    lists = catalog.code_lists()
    assert {"SCA", "TUS", "IVC", "LIV", "BOD", "SKI", "BON", "TIM", "HOR", "MEA"} <= catalog.code_keys("cites_term")
    assert {"NAR", "kg", "g", "l", "m3"} <= catalog.code_keys("cites_unit")
    assert catalog.code_keys("cites_purpose") >= set("BEGHLMNPQSTZ")
    assert catalog.code_keys("cites_source") >= set("WRDACFIOUXY")
    assert len(lists["cites_term"]["items"]) >= 80


def test_countries_and_currencies():
    assert catalog.code_keys("countries") == {c.alpha_2 for c in pycountry.countries}
    assert {"VND", "LAK", "CNY", "THB", "USD"} <= catalog.code_keys("currencies")
    for currency in catalog.code_lists()["currencies"]["items"]:
        assert pycountry.currencies.get(alpha_3=currency["key"]) is not None, currency["key"]


SPECIES_ANCHORS = {"Manis javanica": "I", "Panthera tigris": "I", "Rhinoplax vigil": "I", "Elephas maximus": "I",
                   "Loxodonta africana": "I", "Dalbergia cochinchinensis": "II", "Manis pentadactyla": "I",
                   "Python bivittatus": "II", "Gekko gecko": "II", "Ursus thibetanus": "I"}


def test_species_most_seized_in_the_region_with_their_cites_appendix():
    species = {item["key"]: item for item in catalog.collection_file("species")["items"]}
    accepted = {key for key, item in species.items() if item["rank"] == "species"}
    assert len(accepted) >= 60
    for name, appendix in SPECIES_ANCHORS.items():
        assert species[name]["cites_appendix"] == appendix, name
    for item in species.values():
        assert item["scientific_name"] == item["key"]
        assert item["cites_appendix"] in ("I", "II", "III", None)
        assert set(item["typical_terms"]) <= catalog.code_keys("cites_term"), item["key"]
    trade = {name for item in species.values() for names in item["trade_names"].values() for name in names}
    assert {"vảy tê tê", "穿山甲片", "pangolin scales"} <= trade


def test_provinces_in_force_with_viet_nams_former_63_as_aliases():
    places = catalog.collection_file("places")["items"]
    by_country = {country: [p for p in places if p["country"] == country] for country in ("VN", "LA", "CN")}
    assert len(by_country["VN"]) == 34
    assert len(by_country["LA"]) == 18  # 17 provinces and Vientiane Capital
    assert len(by_country["CN"]) == 34
    former = [alias["iso_3166_2"] for place in by_country["VN"] for alias in place["aliases"]]
    assert len(former) == len(set(former)) == 63
    assert set(former) == {s.code for s in pycountry.subdivisions.get(country_code="VN")
                           if s.type in ("Province", "Municipality")}
    keys = {p["key"] for p in places}
    assert {"VN-13", "VN-23", "LA-BL", "CN-GX", "CN-GD"} <= keys
    assert catalog.place_aliases()["VN-03"] == "VN-07"  # Hà Giang is in Tuyên Quang since 1 July 2025


def test_border_crossings_as_pairs_on_the_three_borders():
    crossings = catalog.collection_file("crossings")["items"]
    assert len(crossings) >= 20
    borders = {border: sum(c["border"] == border for c in crossings) for border in ("CN-VN", "LA-VN", "CN-LA")}
    assert all(count >= 3 for count in borders.values()), borders
    places = catalog.collection_keys("places")
    for crossing in crossings:
        sides = crossing["sides"]
        assert len(sides) == 2 and {s["country"] for s in sides} == set(crossing["border"].split("-"))
        assert all(side["province"] in places for side in sides), crossing["key"]
    names = " ".join(c["names"]["en"] for c in crossings)
    for pair in ("Mong Cai", "Huu Nghi", "Lao Cai", "Cau Treo", "Boten"):
        assert pair in names
