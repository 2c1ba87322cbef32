"""The directory as files a ministry clerk edits: CSV (UTF-8; a BOM so that Excel opens
Lao, Vietnamese and Chinese correctly) or Excel (.xlsx), one row per contact (or agency, or
counterpart link), the same columns both ways. Lists inside a cell are separated by ";"."""
import csv
import io
from pathlib import Path

COLUMNS = (
    "key", "agency", "kind", "role_en", "role_vi", "role_lo", "role_zh_Hans", "name", "name_latin",
    "phones", "messaging", "email", "languages", "hours", "time_zone", "closed", "crossings",
    "audience_countries", "audience_agencies", "supervisors_only", "verified_on", "verified_by", "demo", "remove",
)
SHEET = "contacts"


class SheetError(Exception):
    """The file cannot be read as a directory sheet at all."""


def _cell(value):
    if value is None:
        return ""
    if hasattr(value, "isoformat"):  # Excel gives dates as dates
        return value.isoformat()[:10]
    return str(value).strip()


def _rows(header, body, columns, key):
    header = [_cell(name) for name in header]
    unknown = [name for name in header if name and name not in columns]
    if unknown or key not in header:
        raise SheetError(f"unknown columns {unknown}" if unknown else f"no '{key}' column")
    for line, values in body:
        row = {name: _cell(value) for name, value in zip(header, values, strict=False) if name}
        if any(row.values()):
            yield line, row


def read(path, columns=COLUMNS, key="key", sheet_name=SHEET):
    """[(line number, {column: text})] of every non-empty row; `key` names the column that
    must be there."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a damaged file
            raise SheetError(f"not a readable .xlsx file: {error}") from error
        sheet = book[sheet_name] if sheet_name in book.sheetnames else book.worksheets[0]
        lines = sheet.iter_rows(values_only=True)
        header = next(lines, None)
        if header is None:
            raise SheetError("the sheet is empty")
        return list(_rows(header, enumerate(lines, start=2), columns, key))
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise SheetError("not UTF-8 text: save the CSV file as UTF-8") from error
    lines = csv.reader(io.StringIO(text))
    header = next(lines, None)
    if header is None:
        raise SheetError("the file is empty")
    return list(_rows(header, enumerate(lines, start=2), columns, key))


def write(path, rows, columns=COLUMNS, sheet_name=SHEET):
    """`rows` ({column: text}) to a .csv or .xlsx file, by the name's suffix."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = sheet_name
        sheet.append(columns)
        for row in rows:
            sheet.append([row.get(name, "") for name in columns])
        book.save(path)
        return
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(columns)
        for row in rows:
            out.writerow([row.get(name, "") for name in columns])
