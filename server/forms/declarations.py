"""Forms, declared once (DESIGN §4).

Each declaration yields the marshmallow schema that validates intake (schema.py) and the
JSON definition that phones render (definition.py). A published version never changes:
its definition is frozen under published/ and a test compares. To change a form, declare
the next version beside the old one; records sealed offline under the old version are
still validated against it.

Seizure fields follow the CITES annual illegal trade report and ETIS; market observations
follow the same item vocabulary so seizures and market prices can be compared.
"""
from dataclasses import dataclass, replace


def _l(msgid):
    """Marks a label for extraction into the catalogs. Labels stay message ids here:
    phones translate them with the `translations` collection, the server with gettext."""
    return msgid

# Field types. Code-like types name the reference list their values come from.
TYPES = {
    "text", "date", "decimal", "integer", "boolean", "url", "phone",
    "code",      # a key of the code list named by `codes`
    "agency",    # an agency code known to this store
    "species",   # a species key, or free text when the officer cannot tell
    "place",     # a province-level key from reference places
    "crossing",  # a border-crossing pair key
    "group",     # repeated entries of `fields`
    "object",    # one nested entry of `fields`
}


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    label: str = ""
    required: bool = False
    codes: str | None = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    fields: tuple = ()
    min_items: int = 0
    max_items: int | None = None
    # Required only when a sibling field holds a value, e.g. the URL of an online market.
    required_when: tuple | None = None

    def __post_init__(self):
        # A declaration mistake must stop the server at import, not a record at intake.
        if (self.type not in TYPES or (self.codes is not None) != (self.type == "code")
                or bool(self.fields) != (self.type in {"group", "object"})):
            raise ValueError(f"field {self.name!r}: type, codes and fields do not agree")


@dataclass(frozen=True)
class Form:
    id: str
    version: int
    title: str
    fields: tuple
    # The oldest app able to render this definition; older apps keep their cached version.
    min_app_version: str = "0.1.0"
    # A form opened from another screen (a directory contact), not from the home screen.
    started_from: str | None = None


def text(name, label, required=False, max_length=300, **options):
    return Field(name, "text", label, required=required, max_length=max_length, **options)


def code(name, label, codes, required=False, **options):
    return Field(name, "code", label, required=required, codes=codes, **options)


def amount(name, label, required=False):
    return Field(name, "decimal", label, required=required, minimum=0, maximum=10**12)


GPS = Field("gps", "object", _l("GPS position"), fields=(
    Field("lat", "decimal", _l("Latitude"), required=True, minimum=-90, maximum=90),
    Field("lon", "decimal", _l("Longitude"), required=True, minimum=-180, maximum=180),
    Field("accuracy_m", "decimal", _l("Accuracy (metres)"), minimum=0, maximum=10**6),
))

MONEY = (
    amount("amount", _l("Amount")),
    Field("currency", "code", _l("Currency"), codes="currencies", required_when=("amount", None)),
)

PERSON = (
    text("name", _l("Name (native script)"), required=True),
    text("name_latin", _l("Name (romanized)")),
    code("nationality", _l("Nationality"), "countries"),
    code("id_type", _l("Identity document"), "id_document"),
    text("id_number", _l("Document number"), max_length=60),
    Field("phone", "phone", _l("Phone number")),
)

SEIZURE_V1 = Form("seizure", 1, _l("Seizure"), (
    Field("date", "date", _l("Date of seizure"), required=True),
    Field("agency", "agency", _l("Seizing agency"), required=True),
    text("reporting_officer", _l("Reporting officer"), required=True),
    Field("place", "object", _l("Place of seizure"), required=True, fields=(
        code("location_type", _l("Type of location"), "location_type", required=True),
        text("name", _l("Place name"), required=True, max_length=500),
        Field("crossing", "crossing", _l("Border crossing")),
        Field("province", "place", _l("Province")),
        code("country", _l("Country"), "countries"),
        GPS,
    )),
    code("seizure_point", _l("Point of seizure"), "seizure_point"),
    code("detection_method", _l("Detection method"), "detection_method"),
    code("transport_mode", _l("Mode of transport"), "transport_mode"),
    code("concealment", _l("Concealment"), "concealment"),
    Field("route", "group", _l("Route"), max_items=20, fields=(
        code("role", _l("Role in the route"), "route_role", required=True),
        code("country", _l("Country"), "countries", required=True),
    )),
    Field("items", "group", _l("Items seized"), required=True, min_items=1, max_items=200, fields=(
        Field("species", "species", _l("Species"), required=True, max_length=200),
        code("term", _l("Product (CITES term)"), "cites_term", required=True),
        amount("quantity", _l("Quantity"), required=True),
        code("unit", _l("Unit"), "cites_unit", required=True),
        Field("count", "integer", _l("Number of pieces"), minimum=0, maximum=10**9),
        amount("weight_kg", _l("Weight (kg)")),
        code("state", _l("Live or dead"), "specimen_state"),
        text("description", _l("Description"), max_length=1000),
    )),
    Field("suspects", "group", _l("Suspects"), max_items=100, fields=PERSON),
    Field("vehicles", "group", _l("Vehicles"), max_items=50, fields=(
        code("kind", _l("Kind of vehicle"), "transport_mode"),
        text("registration", _l("Registration number"), required=True, max_length=40),
        code("country", _l("Country of registration"), "countries"),
        text("description", _l("Description"), max_length=500),
    )),
    Field("companies", "group", _l("Companies"), max_items=50, fields=(
        text("name", _l("Company name"), required=True),
        code("country", _l("Country"), "countries"),
        text("registration_number", _l("Registration number"), max_length=60),
        text("address", _l("Address"), max_length=500),
        Field("phone", "phone", _l("Phone number")),
    )),
    Field("estimated_value", "object", _l("Estimated value"), fields=MONEY),
    code("legal_follow_up", _l("Legal follow-up"), "legal_follow_up"),
    text("narrative", _l("Narrative"), max_length=20000),
    Field("source_grade", "object", _l("Source grading"), fields=(
        code("reliability", _l("Reliability of the source"), "source_reliability", required=True),
        code("credibility", _l("Credibility of the information"), "information_credibility",
             required=True),
    )),
))

MARKET_OBSERVATION_V1 = Form("market_observation", 1, _l("Market observation"), (
    Field("date", "date", _l("Date of observation"), required=True),
    Field("agency", "agency", _l("Observing agency"), required=True),
    text("reporting_officer", _l("Reporting officer"), required=True),
    code("market_kind", _l("Kind of market"), "market_kind", required=True),
    Field("place", "object", _l("Market place"), required_when=("market_kind", "physical"), fields=(
        text("name", _l("Market name"), required=True, max_length=500),
        Field("province", "place", _l("Province")),
        code("country", _l("Country"), "countries"),
        GPS,
    )),
    text("platform", _l("Online platform"), max_length=200, required_when=("market_kind", "online")),
    Field("url", "url", _l("Web address"), required_when=("market_kind", "online")),
    Field("vendor", "object", _l("Vendor or seller"), fields=(
        text("name", _l("Name")),
        text("account", _l("Online account or shop name")),
        code("nationality", _l("Nationality"), "countries"),
        Field("phone", "phone", _l("Phone number")),
        text("description", _l("Description"), max_length=1000),
    )),
    Field("items", "group", _l("Items offered"), required=True, min_items=1, max_items=200, fields=(
        Field("species", "species", _l("Species"), required=True, max_length=200),
        code("term", _l("Product (CITES term)"), "cites_term", required=True),
        amount("quantity", _l("Quantity")),
        code("unit", _l("Unit"), "cites_unit", required_when=("quantity", None)),
        amount("price", _l("Price")),
        code("currency", _l("Currency"), "currencies", required_when=("price", None)),
        code("claimed_origin", _l("Claimed origin"), "countries"),
        code("state", _l("Live or dead"), "specimen_state"),
    )),
    code("observation_mode", _l("Covert or overt"), "observation_mode", required=True),
    text("notes", _l("Notes"), max_length=20000),
))

def _revised(form, version, min_app_version, **changes):
    """The next version of `form`: its fields with those named by path ("items.term")
    replaced, in place, by a field or a tuple of fields. A published version is never
    edited; this is how a form changes (issue 14: the field test and language review)."""
    def revise(fields, prefix=""):
        out = []
        for field in fields:
            path = prefix + field.name
            if field.fields:
                field = replace(field, fields=revise(field.fields, path + "."))
            new = changes.pop(path, field)
            out.extend(new if isinstance(new, tuple) else (new,))
        return tuple(out)
    fields = revise(form.fields)
    if changes:
        raise ValueError(f"{form.id} v{version}: no field {sorted(changes)}")
    return Form(form.id, version, form.title, fields, min_app_version=min_app_version)


SPECIMEN_TYPE = code("term", _l("Specimen type (CITES term)"), "cites_term", required=True)

# Seizure v2: vehicles get their own kinds (not routes), a plate is not a company's
# registration number, the CITES term is named for what it is, and the weight says when
# it is asked (the quantity is already a weight when its unit is kg).
SEIZURE_V2 = _revised(
    SEIZURE_V1, 2, "0.3.0", **{
        "items.term": SPECIMEN_TYPE,
        "items.weight_kg": amount("weight_kg", _l("Total weight (kg), when the unit is not kg")),
        "vehicles.kind": code("kind", _l("Kind of vehicle"), "vehicle_kind"),
        "vehicles.registration": text("registration", _l("Number plate"), required=True, max_length=40),
        "companies.registration_number": text("registration_number", _l("Company registration number"),
                                              max_length=60),
    })

# Seizure v3: what became of each line of specimens, for the "Disposal of confiscated
# specimens" column of the CITES illegal trade report. It is decided weeks or months after the
# seizure, so it is most often given by a correction of the record (a correction opens in the
# newest version of its form).
SEIZURE_V3 = _revised(
    SEIZURE_V2, 3, "0.6.0", **{
        "items.description": (
            text("description", _l("Description"), max_length=1000),
            code("disposal", _l("What became of the specimens"), "disposal")),
    })

# Market observation v2: a price says what it is the price of.
MARKET_OBSERVATION_V2 = _revised(
    MARKET_OBSERVATION_V1, 2, "0.3.0", **{
        "items.term": SPECIMEN_TYPE,
        "items.currency": (
            code("currency", _l("Currency"), "currencies", required_when=("price", None)),
            code("price_basis", _l("What the price is for"), "price_basis", required_when=("price", None))),
    })

# "This number did not work": sealed and synced like any record, so that a report typed
# offline reaches the supervisors who maintain the directory (issue 16). Opened from a
# contact, which fills in `contact` and `number`; apps before 0.4.0 have no directory.
DIRECTORY_FEEDBACK_V1 = Form("directory_feedback", 1, _l("Directory contact report"), (
    text("contact", _l("Contact"), required=True, max_length=64),
    Field("number", "phone", _l("Number tried")),
    code("problem", _l("What went wrong"), "directory_problem", required=True),
    text("note", _l("Note"), max_length=1000),
    text("reporting_officer", _l("Reporting officer"), required=True),
), min_app_version="0.4.0", started_from="directory")

# What an officer or analyst learned, outside a seizure or a market visit (issue 18): from an
# informant, an open source, an official register, a public report or their own eyes; graded
# (the Admiralty scale) and with a handling code saying who may receive it, which the one
# access service enforces.
INFORMATION_REPORT_V1 = Form("information_report", 1, _l("Information report"), (
    Field("date", "date", _l("Date the information refers to"), required=True),
    Field("agency", "agency", _l("Reporting agency"), required=True),
    text("reporting_officer", _l("Reporting officer"), required=True),
    text("narrative", _l("What was learned"), required=True, max_length=20000),
    Field("place", "object", _l("Where"), fields=(
        text("name", _l("Place name"), max_length=500),
        Field("crossing", "crossing", _l("Border crossing")),
        Field("province", "place", _l("Province")),
        code("country", _l("Country"), "countries"),
        GPS,
    )),
    code("source_type", _l("Source of the information"), "information_source", required=True),
    Field("source_grade", "object", _l("Source grading"), required=True, fields=(
        code("reliability", _l("Reliability of the source"), "source_reliability", required=True),
        code("credibility", _l("Credibility of the information"), "information_credibility",
             required=True),
    )),
    code("handling", _l("Who may receive it"), "handling_code", required=True),
    Field("people", "group", _l("People"), max_items=100, fields=PERSON),
    Field("companies", "group", _l("Companies"), max_items=50, fields=(
        text("name", _l("Company name"), required=True),
        code("country", _l("Country"), "countries"),
        text("registration_number", _l("Registration number"), max_length=60),
        Field("phone", "phone", _l("Phone number")),
    )),
    Field("vehicles", "group", _l("Vehicles"), max_items=50, fields=(
        code("kind", _l("Kind of vehicle"), "vehicle_kind"),
        text("registration", _l("Number plate"), required=True, max_length=40),
        code("country", _l("Country of registration"), "countries"),
    )),
    Field("accounts", "group", _l("Online accounts"), max_items=50, fields=(
        text("platform", _l("Online platform"), required=True, max_length=200),
        text("account", _l("Online account or shop name"), required=True),
    )),
    Field("species", "group", _l("Species and goods concerned"), max_items=50, fields=(
        Field("species", "species", _l("Species"), required=True, max_length=200),
        text("goods", _l("Goods"), max_length=500),
    )),
), min_app_version="0.5.0")

FORMS = {(form.id, form.version): form
         for form in (SEIZURE_V1, MARKET_OBSERVATION_V1, SEIZURE_V2, MARKET_OBSERVATION_V2, SEIZURE_V3,
                      DIRECTORY_FEEDBACK_V1, INFORMATION_REPORT_V1)}


def latest(form_id):
    return max((f for f in FORMS.values() if f.id == form_id), key=lambda f: f.version)
