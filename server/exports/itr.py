"""The CITES annual illegal trade report (Resolution Conf. 11.17 (Rev. CoP18) paragraph 3;
"Guidelines for the preparation and submission of the CITES annual illegal trade report",
SC69 2017, revised SC71 2019): one row per seized specimen line, for one year and one
country, in the columns of the standard format, written as .xlsx (SpreadsheetML).

The published template could not be fetched from here, so the header row below follows the
fields the guidelines name, in their order; ITR_FORMAT_NOTE says so in the file itself.
Codes are CITES's: specimens by CITES term code, units as the CITES annual report guidelines
write them (a simple count leaves the unit blank), countries by ISO 3166-1 alpha-2.

Streamed: each row is written into the workbook's compressed sheet as it comes, nothing kept.
The workbook is what openpyxl's write-only mode writes (inline strings, dates as serial numbers
formatted yyyy-mm-dd, a bold header, the same checks on text), but serialised here: openpyxl,
without lxml, builds and serialises an ElementTree element per cell in pure Python, four fifths
of the time of a report of a quarter of a million lines. One difference: a text that starts
with "=" stays text (openpyxl would write it as a formula)."""
import zipfile
from datetime import date, datetime
from functools import lru_cache

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.utils.exceptions import IllegalCharacterError

from ..dbtypes import utcnow
from ..reference import catalog
from . import source

HEADER = (
    "Date of seizure", "Seizing agency", "Location of seizure", "Port / airport / border crossing",
    "Detection method", "Species (scientific name)", "CITES Appendix", "Description of specimens (CITES term)",
    "Quantity", "Unit (CITES)", "Country of origin", "Countries of transit", "Country of destination",
    "Mode of transport", "Method of concealment", "Estimated value", "Currency", "Nationality of offenders",
    "Legal follow-up", "Disposal of confiscated specimens", "Additional information",
)
ITR_FORMAT_NOTE = ("Columns follow the fields named by the CITES guidelines for the annual illegal trade report "
                   "(SC69, revised SC71 2019). Units: CITES annual report guidelines; a count of specimens "
                   "leaves the unit blank. Countries: ISO 3166-1 alpha-2.")


def _english(list_id):
    return {item["key"]: item["names"]["en"] for item in catalog.code_lists()[list_id]["items"]}


def _appendices():
    return {item["scientific_name"]: item.get("cites_appendix") for item in catalog.collection_file("species")["items"]}


def _unit(unit):
    return "" if unit in (None, "NAR") else unit


def rows(records, crossings, agencies):
    """The report's rows (tuples in HEADER's order) for seizure records, with how many."""
    detection, transport, concealment, follow_up, disposal = (_english(name) for name in (
        "detection_method", "transport_mode", "concealment", "legal_follow_up", "disposal"))
    appendix = _appendices()
    # Read once: the export commits its progress as it goes, which would expire ORM rows.
    named = {code: f"{agency.name_en} ({agency.code})" for code, agency in agencies.items()}
    for record in records:
        seizure = record.seizure
        route = seizure.route or []
        by_role = {role: [stop["country"] for stop in route if stop.get("role") == role]
                   for role in ("origin", "export", "transit", "destination")}
        nationalities = sorted({value.upper() for mention in source.offenders(record)
                                for value in (mention.properties or {}).get("nationality", []) if value})
        seizing = named.get(seizure.seizing_agency) or f"{record.agency.name_en} ({record.agency.code})"
        code = seizure.seizing_agency if seizure.seizing_agency in named else record.agency.code
        # An officer offline may still name an agency since merged; intake files its successor.
        typed = (record.content or {}).get("agency")
        note = "; ".join(part for part in (
            seizure.narrative, f"Wildledger record {record.rid}",
            f"reported as {typed}, an agency code retired since" if typed and typed != code else None,
            f"corrects record {record.supersedes}" if record.supersedes else None) if part)
        for n, item in enumerate(seizure.items):
            yield (
                seizure.seized_on, seizing, seizure.place, crossings.get(seizure.crossing, seizure.crossing),
                detection.get(seizure.detection_method, seizure.detection_method), item.species,
                appendix.get(item.species), item.term, item.quantity, _unit(item.unit),
                ", ".join(by_role["origin"]), ", ".join(by_role["export"] + by_role["transit"]),
                ", ".join(by_role["destination"]), transport.get(seizure.transport_mode, seizure.transport_mode),
                concealment.get(seizure.concealment, seizure.concealment),
                # The value is the whole seizure's: on its first line only, so that a sum counts it once.
                seizure.value_amount if n == 0 else None, seizure.value_currency if n == 0 else None,
                ", ".join(nationalities), follow_up.get(seizure.legal_follow_up, seizure.legal_follow_up),
                # Asked from seizure v3 on, most often by a correction: blank until someone says.
                disposal.get(item.disposal, item.disposal),
                note,
            )


def write(out, records, *, year, country, crossings, agencies, progress=None, handling_seen=None):
    """Write the report to `out` (a binary file). Returns {"rows", "seizures"}; the records'
    handling codes are added to `handling_seen`. The most guarded of them is named in the
    "About this report" sheet, written after the rows."""
    counted = {"rows": 0, "seizures": 0}
    seen = set() if handling_seen is None else handling_seen

    def counting(records):
        for record in records:
            seen.add(record.handling)
            counted["seizures"] += 1
            if progress and counted["seizures"] % 1000 == 0:
                progress(counted["seizures"])
            yield record

    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        # Without ZIP64 fields, which some spreadsheet readers refuse (a sheet of Excel's most rows,
        # 1,048,576, stays well under the 2 GiB that would need them).
        with book.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(_SHEET_START)
            sheet.write(_row(1, HEADER, _BOLD))
            lines = []
            for number, values in enumerate(rows(counting(records), crossings, agencies), start=2):
                lines.append(_row(number, values))
                if len(lines) == 1000:  # a block at a time: fewer, larger writes to the compressor
                    sheet.write(b"".join(lines))
                    lines.clear()
                counted["rows"] += 1
            sheet.write(b"".join(lines) + _SHEET_END)
        about = (("Report", "CITES annual illegal trade report"), ("Year", year), ("Party", country),
                 ("Handling code", source.most_guarded(seen) or "none"), ("Format", ITR_FORMAT_NOTE),
                 ("Rows", counted["rows"]), ("Seizures", counted["seizures"]))
        book.writestr("xl/worksheets/sheet2.xml", _SHEET_START + b"".join(
            _row(number, line) for number, line in enumerate(about, start=1)) + _SHEET_END)
        for name, part in _PARTS.items():
            book.writestr(name, part)
        book.writestr("docProps/core.xml", _CORE.format(now=utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")))
    return counted


# -- the workbook's parts, as openpyxl writes them -----------------------------------------------

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_SHEET_START = (f'<worksheet xmlns="{_MAIN}"><sheetPr><outlinePr summaryBelow="1" summaryRight="1"/><pageSetUpPr/>'
                '</sheetPr><sheetViews><sheetView workbookViewId="0"><selection activeCell="A1" sqref="A1"/></sheetView>'
                '</sheetViews><sheetFormatPr baseColWidth="8" defaultRowHeight="15"/><sheetData>').encode()
_SHEET_END = (b'</sheetData><pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>'
              b'</worksheet>')
_BOLD, _DATE = ' s="1"', ' s="2"'  # the cellXfs of xl/styles.xml below
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_TYPE = "application/vnd.openxmlformats-officedocument"
_PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_TYPE}.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        f'<Override PartName="/docProps/app.xml" ContentType="{_TYPE}.extended-properties+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_TYPE}.spreadsheetml.worksheet+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet2.xml" ContentType="{_TYPE}.spreadsheetml.worksheet+xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.spreadsheetml.sheet.main+xml"/></Types>'),
    "_rels/.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Type="{_RELS}/officeDocument" Target="xl/workbook.xml" Id="rId1"/>'
        '<Relationship Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" '
        'Target="docProps/core.xml" Id="rId2"/>'
        f'<Relationship Type="{_RELS}/extended-properties" Target="docProps/app.xml" Id="rId3"/></Relationships>'),
    "docProps/app.xml": (
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
        '<Application>Wildledger</Application></Properties>'),
    "xl/workbook.xml": (
        f'<workbook xmlns:r="{_RELS}" xmlns="{_MAIN}"><workbookPr/><bookViews><workbookView visibility="visible" '
        'minimized="0" showHorizontalScroll="1" showVerticalScroll="1" showSheetTabs="1" tabRatio="600" firstSheet="0" '
        'activeTab="0" autoFilterDateGrouping="1"/></bookViews><sheets>'
        '<sheet name="Illegal trade report" sheetId="1" state="visible" r:id="rId1"/>'
        '<sheet name="About this report" sheetId="2" state="visible" r:id="rId2"/></sheets>'
        '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Type="{_RELS}/worksheet" Target="/xl/worksheets/sheet1.xml" Id="rId1"/>'
        f'<Relationship Type="{_RELS}/worksheet" Target="/xl/worksheets/sheet2.xml" Id="rId2"/>'
        f'<Relationship Type="{_RELS}/styles" Target="styles.xml" Id="rId3"/></Relationships>'),
    "xl/styles.xml": (
        f'<styleSheet xmlns="{_MAIN}"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
        '<fonts count="2"><font><name val="Calibri"/><family val="2"/><sz val="11"/></font><font><b val="1"/></font>'
        '</fonts><fills count="2"><fill><patternFill/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0" hidden="0"/></cellStyles></styleSheet>'),
}
_CORE = ('<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
         'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
         'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>Wildledger</dc:creator>'
         '<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
         '<dcterms:modified xsi:type="dcterms:W3CDTF">{now}</dcterms:modified></cp:coreProperties>')
_COLUMNS = [get_column_letter(n) for n in range(1, len(HEADER) + 1)]


def _text(value):
    """A string as openpyxl takes it into a cell: at most 32,767 characters, refused with a
    character XML cannot hold."""
    value = value[:32767]
    if ILLEGAL_CHARACTERS_RE.search(value):
        raise IllegalCharacterError(f"{value} cannot be used in worksheets.")
    space = ' xml:space="preserve"' if value.strip() != value else ""
    return f'<is><t{space}>{value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")}</t></is>'


@lru_cache(maxsize=4096)
def _serial(day):
    return "%.16g" % to_excel(day)


def _row(number, values, style=""):
    """A row's XML as openpyxl's write-only sheet writes it: no cell for None, strings inline,
    numbers as "%.16g", dates as serial numbers in the date style."""
    cells = []
    for column, value in zip(_COLUMNS, values):
        if value is None:
            continue
        kind = type(value)
        if kind is str:
            cells.append(f'<c r="{column}{number}"{style} t="inlineStr"/>' if value == "" else
                         f'<c r="{column}{number}"{style} t="inlineStr">{_text(value)}</c>')
        elif kind is date or kind is datetime:
            cells.append(f'<c r="{column}{number}"{_DATE} t="n"><v>{_serial(value)}</v></c>')
        else:  # int, Decimal, float (never a bool here)
            cells.append(f'<c r="{column}{number}"{style} t="n"><v>{"%.16g" % value}</v></c>')
    return f'<row r="{number}">{"".join(cells)}</row>'.encode()
