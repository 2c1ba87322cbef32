"""CSV tables export (issue 19): a ZIP of UTF-8 CSVs with a BOM that Excel opens in Lao,
Vietnamese and Chinese, RFC 4180 quoting, rid joining the tables, formulas neutralised."""
import csv
import io
import zipfile
from datetime import date, datetime, timezone
from decimal import Decimal

from server.exports.tables import RECORD_COLUMNS, write_tables

NARRATIVE = 'ບັນທຶກ: two bags of scales.\nDriver said "for medicine", then, later,\r\nrefused to sign.'
HYPERLINK = '=HYPERLINK("http://example.invalid/?"&A1,"open")'
PHONE = "+84 699 000 123"


def _records():
    # Keys in no particular order, and one key the fixed order does not know.
    yield {"narrative": NARRATIVE, "rid": "r-1", "form": "seizure", "date": date(2026, 3, 14), "agency": "VN-HQ-QN",
           "country": "VN", "handling": "national", "officer": "Nguyễn Thị Hoa", "place": "Móng Cái",
           "province": "Quảng Ninh", "latitude": Decimal("21.524800"), "longitude": 107.9663, "supersedes": None,
           "received_at": datetime(2026, 3, 14, 8, 30, tzinfo=timezone.utc)}
    yield {"rid": "r-2", "form": "market_observation", "date": date(2026, 4, 2), "agency": "LA-DOFI-BK",
           "country": "LA", "handling": "agency", "officer": "ສົມສັກ", "place": "ຕະຫຼາດ", "province": "ບໍ່ແກ້ວ",
           "latitude": None, "longitude": None, "supersedes": "r-0", "narrative": HYPERLINK,
           "received_at": datetime(2026, 4, 2, 9, 0, tzinfo=timezone.utc)}


def _items():
    yield {"rid": "r-1", "group": "seizure_items", "position": 0, "species": "Manis javanica",
           "quantity": Decimal("13.000"), "unit": "kg"}
    yield {"rid": "r-1", "group": "seizure_items", "position": 1, "species": "Panthera tigris", "quantity": 2,
           "unit": "pieces"}
    # Market items have fields seizure items do not.
    yield {"position": 0, "group": "market_items", "rid": "r-2", "species": "Ursus thibetanus", "price": "-3.5",
           "vendor_count": 1}


def _mentions():
    yield {"rid": "r-1", "key": "r-1/0", "schema": "Person", "role": "driver", "caption": "王伟", "entity": 7}
    yield {"rid": "r-1", "key": "r-1/1", "schema": "Person", "role": "owner", "caption": "Nguyễn Văn An", "entity": 8}
    yield {"rid": "r-2", "key": "r-2/0", "schema": "UserAccount", "role": "vendor", "caption": "@seller", "entity": 9}


def _entities():
    yield {"entity": 7, "schema": "Person", "caption": "王伟", "mentions": ["r-1/0"],
           "properties": {"name": ["王伟", "Wang Wei"], "phone": [PHONE], "nationality": ["cn"]}}
    yield {"entity": 8, "schema": "Person", "caption": "Nguyễn Văn An", "mentions": ["r-1/1"],
           "properties": {"name": ["Nguyễn Văn An"], "notes": ["-2+3+cmd|' /C calc'!A0"], "alias": ["-"]}}
    yield {"entity": 9, "schema": "UserAccount", "caption": "@seller", "mentions": ["r-2/0"],
           "properties": {"username": ["@seller"], "service": ["Facebook"]}}


def _export():
    out = io.BytesIO()
    counts = write_tables(out, _records(), _items(), _mentions(), _entities(), handling="national")
    return counts, zipfile.ZipFile(io.BytesIO(out.getvalue()))


def _rows(archive, name):
    with archive.open(name) as raw:
        return list(csv.reader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")))


def _dicts(archive, name):
    header, *rows = _rows(archive, name)
    return header, [dict(zip(header, row)) for row in rows]


def test_a_zip_of_csvs_with_a_bom_and_crlf():
    counts, archive = _export()
    names = archive.namelist()
    assert names == ["records.csv", "items.csv", "mentions.csv", "entities.csv", "README.txt"]
    assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in archive.infolist())
    for name in names[:4]:
        data = archive.read(name)
        assert data.startswith(b"\xef\xbb\xbf")
        assert data.count(b"\xef\xbb\xbf") == 1
        assert data.split(b"\r\n")[0].count(b"\n") == 0  # the header ends with CRLF
    assert counts == {name[:-4]: len(_rows(archive, name)) - 1 for name in names[:4]}
    assert counts == {"records": 2, "items": 3, "mentions": 3, "entities": 3}
    readme = archive.read("README.txt").decode("utf-8")
    assert "national" in readme and "rid" in readme and all(name in readme for name in names[:4])


def test_records_keep_the_fixed_order_and_their_text():
    _, archive = _export()
    header, rows = _dicts(archive, "records.csv")
    assert header == list(RECORD_COLUMNS) + ["received_at"]
    first, second = rows
    assert first["narrative"] == NARRATIVE  # newlines, quotes and commas in one cell
    assert first["officer"] == "Nguyễn Thị Hoa" and first["province"] == "Quảng Ninh"
    assert second["officer"] == "ສົມສັກ" and second["province"] == "ບໍ່ແກ້ວ"
    assert first["date"] == "2026-03-14" and first["received_at"] == "2026-03-14T08:30:00+00:00"
    assert first["latitude"] == "21.524800"  # a Decimal keeps its digits
    assert first["longitude"] == "107.9663"
    assert first["supersedes"] == "" and second["latitude"] == ""
    assert "ບັນທຶກ" in first["narrative"]


def test_items_are_joined_to_records_by_rid():
    _, archive = _export()
    _, records = _dicts(archive, "records.csv")
    header, items = _dicts(archive, "items.csv")
    assert header[:3] == ["rid", "group", "position"]
    assert header[3:] == sorted(header[3:])
    assert {"price", "unit", "vendor_count"} <= set(header)  # both groups' fields
    by_rid = {record["rid"]: record for record in records}
    assert all(item["rid"] in by_rid for item in items)
    seizure = [item for item in items if item["rid"] == "r-1"]
    assert [(item["group"], item["position"], item["quantity"]) for item in seizure] == [
        ("seizure_items", "0", "13.000"), ("seizure_items", "1", "2")]
    market = [item for item in items if by_rid[item["rid"]]["form"] == "market_observation"]
    assert [(item["species"], item["price"], item["unit"]) for item in market] == [("Ursus thibetanus", "-3.5", "")]


def test_mentions_and_entities():
    _, archive = _export()
    header, mentions = _dicts(archive, "mentions.csv")
    assert header == ["rid", "key", "schema", "role", "caption", "entity"]
    assert mentions[0]["caption"] == "王伟" and mentions[1]["caption"] == "Nguyễn Văn An"
    header, entities = _dicts(archive, "entities.csv")
    assert header[:4] == ["entity", "schema", "caption", "mentions"]
    assert {"name", "phone", "nationality", "username", "service"} <= set(header[4:])
    wang = entities[0]
    assert wang["name"] == "王伟 | Wang Wei" and wang["nationality"] == "cn" and wang["mentions"] == "r-1/0"
    assert entities[2]["phone"] == "" and entities[2]["service"] == "Facebook"
    assert {entity["entity"] for entity in entities} == {mention["entity"] for mention in mentions}


def test_phones_stay_and_formulas_are_neutralised():
    _, archive = _export()
    _, records = _dicts(archive, "records.csv")
    _, items = _dicts(archive, "items.csv")
    _, mentions = _dicts(archive, "mentions.csv")
    _, entities = _dicts(archive, "entities.csv")
    assert entities[0]["phone"] == PHONE
    assert items[2]["price"] == "-3.5"
    assert records[1]["narrative"] == "'" + HYPERLINK
    assert mentions[2]["caption"] == "'@seller" and entities[2]["username"] == "'@seller"
    assert entities[1]["notes"] == "'-2+3+cmd|' /C calc'!A0"  # starts with a digit, still a formula
    assert entities[1]["alias"] == "-"  # a lone dash can run nothing


def test_empty_export_still_has_headers():
    out = io.BytesIO()
    counts = write_tables(out, iter(()), iter(()), iter(()), iter(()), handling=None)
    assert counts == {"records": 0, "items": 0, "mentions": 0, "entities": 0}
    archive = zipfile.ZipFile(out)
    assert _rows(archive, "records.csv") == [list(RECORD_COLUMNS)]
    assert _rows(archive, "items.csv") == [["rid", "group", "position"]]


class _Unseekable(io.RawIOBase):
    """A download stream: it can be written to, never rewound."""

    def __init__(self):
        self.data = bytearray()

    def writable(self):
        return True

    def write(self, chunk):
        self.data += chunk
        return len(chunk)


def test_written_to_a_stream_that_cannot_seek():
    out = _Unseekable()
    counts = write_tables(out, _records(), _items(), _mentions(), _entities(), handling="agency")
    archive = zipfile.ZipFile(io.BytesIO(bytes(out.data)))
    assert archive.testzip() is None
    assert len(_rows(archive, "records.csv")) - 1 == counts["records"] == 2
