"""Invented seizure content for demos, simulations and benchmarks. Marked as demo."""
import json
import random
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).parent
SPECIES = ["Manis javanica", "Manis pentadactyla", "Panthera tigris", "Elephas maximus", "Loxodonta africana",
           "Rhinoplax vigil", "Dalbergia cochinchinensis", "Python bivittatus", "Ursus thibetanus",
           "Macaca fascicularis"]
PLACES = ["Cửa khẩu quốc tế Móng Cái", "Cửa khẩu quốc tế Cầu Treo", "ດ່ານສາກົນນ້ຳພາວ", "东兴口岸",
          "Cửa khẩu Hữu Nghị", "ດ່ານສາກົນບໍ່ເຕນ", "友谊关口岸", "Chợ Móng Cái"]
UNITS = ["kg", "kg", "NAR", "g"]


def people():
    return json.loads((HERE / "people.json").read_text(encoding="utf-8"))


def seizure(rng: random.Random, agency_code, suspects=None, narrative_size=0):
    suspects = suspects if suspects is not None else people()["suspects"]
    fields = {
        "date": (date(2026, 1, 1) + timedelta(days=rng.randrange(330))).isoformat(),
        "agency": agency_code,
        "place": rng.choice(PLACES),
        "items": [{"species": rng.choice(SPECIES), "quantity": f"{rng.randrange(1, 3000) / 10:.1f}",
                   "unit": rng.choice(UNITS)} for _ in range(rng.randrange(1, 4))],
        "suspects": [{"name": s["name"], "name_latin": s["name_latin"], "nationality": s["nationality"]}
                     for s in rng.sample(suspects, rng.randrange(0, 3))],
        "narrative": "[DEMO] Invented record for demonstration; not a real case.",
    }
    if narrative_size:
        fields["narrative"] += " " + "Vảy tê tê giấu trong thùng hàng. " * (narrative_size // 36)
    return fields
