"""Small actions shared by tests."""
from sqlalchemy import func, select

from server.extensions import db
from server.store.models import Record
from server.sync.models import LedgerEntry, Quarantine

SEIZURE = {
    "date": "2026-11-20",
    "agency": "VN-HQ-QN",
    "place": "Cửa khẩu quốc tế Móng Cái — ດ່ານ — 东兴口岸",
    "items": [{"species": "Manis javanica", "quantity": "12.5", "unit": "kg"},
              {"species": "Elephas maximus", "quantity": "3", "unit": "NAR"}],
    "suspects": [{"name": "Nguyễn Thị Hồng Nhung", "name_latin": "Nguyen Thi Hong Nhung", "nationality": "VN"},
                 {"name": "ສົມສັກ ວົງສະຫວັນ", "name_latin": "Somsak Vongsavan", "nationality": "LA"},
                 {"name": "王建国", "name_latin": "Wang Jianguo", "nationality": "CN"}],
    "narrative": "Vảy tê tê trong thùng cá đông lạnh. ເກັດລີ່ນ. 穿山甲鳞片藏在冻鱼箱里。",
}


def count(model, **filters):
    return db.session.scalar(select(func.count()).select_from(model).filter_by(**filters))


def counts(app):
    with app.app_context():
        return {"ledger": count(LedgerEntry), "records": count(Record), "quarantine": count(Quarantine)}
