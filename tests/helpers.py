"""Small actions shared by tests."""
from sqlalchemy import func, select

from server.extensions import db
from server.store.models import Record
from server.sync.models import LedgerEntry, Quarantine

SEIZURE = {
    "date": "2026-11-20",
    "agency": "VN-HQ-QN",
    "reporting_officer": "Lê Văn Tám",
    "place": {"location_type": "land_border", "name": "Cửa khẩu quốc tế Móng Cái — ດ່ານ — 东兴口岸",
              "province": "VN-13", "country": "VN",
              "gps": {"lat": "21.525612", "lon": "107.966021", "accuracy_m": "12.5"}},
    "seizure_point": "import",
    "detection_method": "xray",
    "transport_mode": "road",
    "concealment": "mixed_with_legal_goods",
    "route": [{"role": "origin", "country": "NG"}, {"role": "transit", "country": "LA"},
              {"role": "destination", "country": "CN"}],
    "items": [{"species": "Manis javanica", "term": "SCA", "quantity": "12.5", "unit": "kg", "weight_kg": "12.5",
               "state": "dead", "description": "Vảy khô trong bao tải"},
              {"species": "Elephas maximus", "term": "TUS", "quantity": "3", "unit": "NAR", "count": 3,
               "weight_kg": "41.2"}],
    "suspects": [{"name": "Nguyễn Thị Hồng Nhung", "name_latin": "Nguyen Thi Hong Nhung", "nationality": "VN",
                  "id_type": "national_id", "id_number": "DEMO001", "phone": "0399 000 123"},
                 {"name": "ສົມສັກ ວົງສະຫວັນ", "name_latin": "Somsak Vongsavan", "nationality": "LA"},
                 {"name": "王建国", "name_latin": "Wang Jianguo", "nationality": "CN", "phone": "+86 199 0000 0123"}],
    "vehicles": [{"kind": "road", "registration": "14C-000.01", "country": "VN"}],
    "companies": [{"name": "Công ty TNHH Thương mại Demo Biên giới", "country": "VN"}],
    "estimated_value": {"amount": "2500000000", "currency": "VND"},
    "legal_follow_up": "criminal_investigation",
    "source_grade": {"reliability": "B", "credibility": "2"},
    "narrative": "Vảy tê tê trong thùng cá đông lạnh. ເກັດລີ່ນ. 穿山甲鳞片藏在冻鱼箱里。",
}

MARKET = {
    "date": "2026-11-21",
    "agency": "LA-DOFI",
    "reporting_officer": "ສຸກສະຫວັນ ແກ້ວມະນີ",
    "market_kind": "physical",
    "place": {"name": "ຕະຫຼາດເຊົ້າ ບໍ່ເຕນ", "province": "LA-LM", "country": "LA",
              "gps": {"lat": "21.1912", "lon": "101.6741", "accuracy_m": "30"}},
    "vendor": {"name": "ນາງ ແສງດາວ", "description": "ຮ້ານຂາຍຢາພື້ນເມືອງ"},
    "items": [{"species": "Ursus thibetanus", "term": "GAL", "quantity": "2", "unit": "NAR",
               "price": "12000000", "currency": "LAK", "claimed_origin": "LA"},
              {"species": "Manis javanica", "term": "SCA", "quantity": "0.5", "unit": "kg",
               "price": "3500", "currency": "CNY", "claimed_origin": "MM"}],
    "observation_mode": "covert",
    "notes": "ຜູ້ຂາຍບອກວ່າມີສິນຄ້າເພີ່ມຢູ່ສາງ.",
}


def count(model, **filters):
    return db.session.scalar(select(func.count()).select_from(model).filter_by(**filters))


def counts(app):
    with app.app_context():
        return {"ledger": count(LedgerEntry), "records": count(Record), "quarantine": count(Quarantine)}
