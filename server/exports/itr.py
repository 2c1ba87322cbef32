"""The CITES annual illegal trade report (Resolution Conf. 11.17 (Rev. CoP18) paragraph 3;
"Guidelines for the preparation and submission of the CITES annual illegal trade report",
SC69 2017, revised SC71 2019): one row per seized specimen line, for one year and one
country, in the columns of the standard format, written as .xlsx with openpyxl.

The published template could not be fetched from here, so the header row below follows the
fields the guidelines name, in their order; ITR_FORMAT_NOTE says so in the file itself.
Codes are CITES's: specimens by CITES term code, units as the CITES annual report guidelines
write them (a simple count leaves the unit blank), countries by ISO 3166-1 alpha-2.

Streamed: a write-only workbook takes each row as it comes (openpyxl keeps no cells)."""

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

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
    detection, transport, concealment, follow_up = (_english(name) for name in (
        "detection_method", "transport_mode", "concealment", "legal_follow_up"))
    appendix = _appendices()
    for record in records:
        seizure = record.seizure
        route = seizure.route or []
        by_role = {role: [stop["country"] for stop in route if stop.get("role") == role]
                   for role in ("origin", "export", "transit", "destination")}
        nationalities = sorted({value.upper() for mention in source.offenders(record)
                                for value in (mention.properties or {}).get("nationality", []) if value})
        agency = agencies.get(seizure.seizing_agency) or record.agency
        seizing = f"{agency.name_en} ({agency.code})"
        # An officer offline may still name an agency since merged; intake files its successor.
        typed = (record.content or {}).get("agency")
        note = "; ".join(part for part in (
            seizure.narrative, f"Wildledger record {record.rid}",
            f"reported as {typed}, an agency code retired since" if typed and typed != agency.code else None,
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
                None,  # the forms do not ask what became of the specimens
                note,
            )


def write(out, records, *, year, country, handling, crossings, agencies, progress=None):
    """Write the report to `out` (a binary file). Returns {"rows", "seizures"}."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Illegal trade report")
    bold = Font(bold=True)
    header = []
    for title in HEADER:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    counted = {"rows": 0, "seizures": 0}

    def counting(records):
        for record in records:
            counted["seizures"] += 1
            if progress and counted["seizures"] % 1000 == 0:
                progress(counted["seizures"])
            yield record

    for row in rows(counting(records), crossings, agencies):
        sheet.append(row)
        counted["rows"] += 1
    about = book.create_sheet("About this report")
    for line in (("Report", "CITES annual illegal trade report"), ("Year", year), ("Party", country),
                 ("Handling code", handling or "none"), ("Format", ITR_FORMAT_NOTE),
                 ("Rows", counted["rows"]), ("Seizures", counted["seizures"])):
        about.append(list(line))
    book.save(out)
    return counted
