"""CSV tables in a ZIP for Excel, LibreOffice, R and pandas: records, their repeated items, the
mentions and the entities, joined by rid. Written member by member with memory flat."""
import csv
import io
import json
import re
import tempfile
import zipfile
from collections.abc import Mapping
from datetime import date, datetime, time, timezone
from decimal import Decimal

RECORD_COLUMNS = ("rid", "form", "date", "agency", "country", "handling", "officer", "place", "province",
                  "latitude", "longitude", "supersedes", "narrative")
ITEM_COLUMNS = ("rid", "group", "position")
MENTION_COLUMNS = ("rid", "key", "schema", "role", "caption", "entity")
ENTITY_COLUMNS = ("entity", "schema", "caption", "mentions")
JOIN = " | "
# Python's zipfile refuses a member that grows past 2 GiB unless it was opened for ZIP64; ZIP64
# headers are left out below that so that the oldest unzip tools still open ordinary exports.
ZIP64_FROM = 1 << 30

# Spreadsheets run a cell whose text begins with "=", "+", "-" or "@" as a formula when the file
# is opened: "=HYPERLINK(...)" typed into a narrative can send data to a web address, and
# "=cmd|' /C calc'!A0" (DDE) can start a program. A leading apostrophe makes Excel and LibreOffice
# show such a cell as text. Phone numbers ("+84 699 000 123") and signed numbers ("-3.5") must
# stay as filed, since analysts search and join on them; they are harmless, because a formula of
# digits and phone punctuation alone can name no function, cell or program. So a "+"/"-" cell is
# left alone only when the rest is digits and that punctuation: "-2+3+cmd|' /C calc'!A0" starts
# with a digit too, but is neutralised. A lone "+" or "-" (a common "unknown") is harmless.
_PLAIN_NUMBER = re.compile(r"[+-][0-9][0-9 .,()/-]*")


def _guard(text):
    lead = text[:1]
    if lead in ("=", "@") or (lead in ("+", "-") and len(text) > 1 and not _PLAIN_NUMBER.fullmatch(text)):
        return "'" + text
    return text


def _plain(value):
    """A value as text, unguarded (the guard looks at the whole cell)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return JOIN.join(_plain(item) for item in value if item is not None)
    if isinstance(value, (set, frozenset)):
        return JOIN.join(sorted(_plain(item) for item in value if item is not None))
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=_plain)
    # str(Decimal) keeps every digit filed; str(float) is the shortest text that reads back the same.
    return str(value)


def _cell(value):
    if value is None or isinstance(value, (bool, int, float, Decimal, datetime, date, time)):
        return _plain(value)
    return _guard(_plain(value))


def _cells(row):
    """{column: cell} of one row; FtM "properties" ({name: [values]}) become one column each."""
    cells = {}
    for key, value in row.items():
        if key == "properties" and isinstance(value, Mapping):
            cells.update((str(name), _cell(values)) for name, values in value.items())
        else:
            cells[str(key)] = _cell(value)
    return cells


def _member(archive, name, rows, lead, *, lead_always):
    """Write rows as the CSV member `name`; returns how many. Rows need not all have the same
    keys (seizure items and market items differ, so do a Person's and a Vehicle's properties),
    and the header must come first: rows are spooled to a temporary file while the columns are
    collected, then copied into the member, so memory holds one row and the column names."""
    seen = {}
    count = 0
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n") as spool:
        for row in rows:
            cells = _cells(row)
            seen.update(dict.fromkeys(cells))
            spool.write(json.dumps(cells, ensure_ascii=False))
            spool.write("\n")
            count += 1
        header = [column for column in lead if lead_always or column in seen or not count]
        header += sorted(column for column in seen if column not in lead)
        large = spool.tell() > ZIP64_FROM
        spool.seek(0)
        with archive.open(name, "w", force_zip64=large) as raw:
            # utf-8-sig writes the BOM Excel needs to read the file as UTF-8 rather than the
            # system's code page; newline="" leaves line ends to the csv module, so a newline
            # inside a quoted narrative stays the officer's own.
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            writer = csv.writer(text, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
            writer.writerow(header)
            for line in spool:
                cells = json.loads(line)
                writer.writerow([cells.get(column, "") for column in header])
            text.flush()
            text.detach()
    return count


def _readme(handling, counts):
    lines = [
        "Wildledger export: tables",
        f"Generated: {datetime.now(timezone.utc).isoformat(timespec='seconds')}",
        f"Handling code: {handling or 'none'} (pass these files on only as this code allows)",
        "",
        "records.csv   one row per record (seizure, market observation, information report).",
        "items.csv     one row per row of a record's repeated groups (seizure items, market items);",
        "              'group' names the group, 'position' the row's place in it.",
        "mentions.csv  one row per person, company, vehicle or account a record names;",
        "              'entity' is the entity the mention was resolved to.",
        "entities.csv  one row per entity: FollowTheMoney schema, caption, its mentions, then",
        "              one column per FollowTheMoney property.",
        "",
        "The column 'rid' joins records.csv to items.csv and mentions.csv; the column 'entity'",
        "joins mentions.csv to entities.csv.",
        f"Several values in one cell are separated by '{JOIN.strip()}'. Dates are ISO 8601 (YYYY-MM-DD).",
        "The files are UTF-8 with a byte-order mark, so that Excel shows Lao, Vietnamese and Chinese.",
        "A cell that a spreadsheet could run as a formula starts with an apostrophe (').",
        "",
        "Rows: " + ", ".join(f"{name} {count}" for name, count in counts.items()),
    ]
    # CRLF: Notepad on older Windows shows bare LF files as one line.
    return "\r\n".join(lines) + "\r\n"


def write_tables(out, records, items, mentions, entities, *, handling):
    """Write a ZIP of records.csv, items.csv, mentions.csv, entities.csv and README.txt to `out`
    (a binary file). Each argument but `handling` is an iterable of dicts, read once. Returns
    {"records", "items", "mentions", "entities"}: the rows written to each."""
    counts = {}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        counts["records"] = _member(archive, "records.csv", records, RECORD_COLUMNS, lead_always=False)
        counts["items"] = _member(archive, "items.csv", items, ITEM_COLUMNS, lead_always=True)
        counts["mentions"] = _member(archive, "mentions.csv", mentions, MENTION_COLUMNS, lead_always=True)
        counts["entities"] = _member(archive, "entities.csv", entities, ENTITY_COLUMNS, lead_always=True)
        archive.writestr("README.txt", _readme(handling, counts).encode("utf-8"))
    return counts
