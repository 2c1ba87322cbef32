"""Invented seizure and market content for demos, simulations and benchmarks. Every
record says it is a demo; the people are invented (people.json)."""
import json
import random
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).parent
DEMO_NOTE = "[DEMO] Invented record for demonstration; not a real case."
# (species, CITES term, unit) as they are most often seized along the chain.
GOODS = [("Manis javanica", "SCA", "kg"), ("Manis pentadactyla", "SCA", "kg"), ("Panthera tigris", "BON", "kg"),
         ("Elephas maximus", "TUS", "NAR"), ("Loxodonta africana", "IVC", "NAR"), ("Rhinoplax vigil", "CAR", "NAR"),
         ("Dalbergia cochinchinensis", "TIM", "m3"), ("Python bivittatus", "LIV", "NAR"),
         ("Ursus thibetanus", "GAL", "g"), ("Macaca fascicularis", "LIV", "NAR")]
# (place name as an officer would type it, location type, crossing, province, country)
PLACES = [("Cửa khẩu quốc tế Móng Cái", "land_border", "VN-CN:mong-cai--dongxing", "VN-13", "VN"),
          ("Cửa khẩu quốc tế Cầu Treo", "land_border", "VN-LA:cau-treo--nam-phao", "VN-23", "VN"),
          ("ດ່ານສາກົນນ້ຳພາວ", "land_border", "VN-LA:cau-treo--nam-phao", "LA-BL", "LA"),
          ("东兴口岸", "land_border", "VN-CN:mong-cai--dongxing", "CN-GX", "CN"),
          ("ດ່ານສາກົນບໍ່ເຕນ", "land_border", "LA-CN:boten--mohan", "LA-LM", "LA"),
          ("Chợ Móng Cái", "market", None, "VN-13", "VN"),
          ("Cảng Hải Phòng", "seaport", None, "VN-HP", "VN"),
          ("Sân bay quốc tế Nội Bài", "airport", None, "VN-HN", "VN")]
MARKETS = [("Chợ Mường Lát", "VN-21", "VN"), ("ຕະຫຼາດບໍ່ເຕນ", "LA-LM", "LA"), ("凭祥红木市场", "CN-GX", "CN")]
KG_PER_UNIT = {"kg": Decimal(1), "g": Decimal("0.001")}
CURRENCY = {"VN": "VND", "LA": "LAK", "CN": "CNY"}


def people():
    return json.loads((HERE / "people.json").read_text(encoding="utf-8"))


def _day(rng):
    return (date(2026, 1, 1) + timedelta(days=rng.randrange(330))).isoformat()


def _suspect(rng, person):
    return {"name": person["name"], "name_latin": person["name_latin"], "nationality": person["nationality"],
            "id_type": "passport", "id_number": f"DEMO{rng.randrange(10**6):06d}", "phone": person["phone"]}


def seizure(rng: random.Random, agency_code, suspects=None, narrative_size=0):
    suspects = suspects if suspects is not None else people()["suspects"]
    place, location_type, crossing, province, country = rng.choice(PLACES)
    items = []
    for species, term, unit in rng.sample(GOODS, rng.randrange(1, 4)):
        quantity = rng.randrange(1, 40) if unit == "NAR" else rng.randrange(1, 3000) / 10
        item = {"species": species, "term": term, "quantity": str(quantity), "unit": unit, "state": "dead"}
        if unit == "NAR":
            item["count"] = quantity
        elif unit in KG_PER_UNIT:
            item["weight_kg"] = str(Decimal(str(quantity)) * KG_PER_UNIT[unit])
        items.append(item)
    fields = {
        "date": _day(rng),
        "agency": agency_code,
        "reporting_officer": "Demo officer",
        "place": {"location_type": location_type, "name": place, "province": province, "country": country,
                  **({"crossing": crossing} if crossing else {}),
                  "gps": {"lat": f"{rng.uniform(17, 23):.5f}", "lon": f"{rng.uniform(102, 108):.5f}",
                          "accuracy_m": str(rng.randrange(3, 60))}},
        "seizure_point": rng.choice(["import", "export", "transit"]),
        "detection_method": rng.choice(["xray", "sniffer_dog", "intelligence", "routine_inspection"]),
        "transport_mode": rng.choice(["road", "sea", "air"]),
        "concealment": rng.choice(["cargo", "mixed_with_legal_goods", "vehicle_compartment"]),
        "route": [{"role": "origin", "country": rng.choice(["NG", "CD", "MZ", "LA"])},
                  {"role": "transit", "country": rng.choice(["LA", "VN"])},
                  {"role": "destination", "country": "CN"}],
        "items": items,
        "suspects": [_suspect(rng, s) for s in rng.sample(suspects, rng.randrange(0, 3))],
        "vehicles": [{"kind": "road", "registration": f"DEMO-{rng.randrange(10**4):04d}", "country": country}],
        "estimated_value": {"amount": str(rng.randrange(10**6, 10**9)), "currency": CURRENCY[country]},
        "legal_follow_up": "criminal_investigation",
        "source_grade": {"reliability": "B", "credibility": "2"},
        "narrative": DEMO_NOTE,
    }
    if narrative_size:
        fields["narrative"] += " " + "Vảy tê tê giấu trong thùng hàng. " * (narrative_size // 36)
    return fields


def market_observation(rng: random.Random, agency_code):
    online = rng.random() < 0.3
    name, province, country = rng.choice(MARKETS)
    fields = {
        "date": _day(rng), "agency": agency_code, "reporting_officer": "Demo officer",
        "market_kind": "online" if online else "physical",
        "vendor": {"name": "[DEMO] Người bán", "account": "demo_seller_01" if online else None},
        "items": [{"species": species, "term": term, "quantity": "1", "unit": unit,
                   "price": str(rng.randrange(100, 5000) * 1000), "currency": CURRENCY[country],
                   "claimed_origin": rng.choice(["LA", "VN", "MM"])}
                  for species, term, unit in rng.sample(GOODS, 2)],
        "observation_mode": "covert", "notes": DEMO_NOTE,
    }
    fields["vendor"] = {k: v for k, v in fields["vendor"].items() if v}
    if online:
        fields.update(platform="[DEMO] social network", url="https://example.org/demo-shop")
    else:
        fields["place"] = {"name": name, "province": province, "country": country}
    return fields
