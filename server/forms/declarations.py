from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

# CITES unit codes (CITES Guidelines for the preparation of annual reports); an empty
# unit in CITES means "number of specimens", written here as "NAR" so it is explicit.
CITES_UNITS = ("NAR", "kg", "g", "l", "ml", "m", "m2", "m3", "cm3")


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # text | date | decimal | code | agency | country | group
    label: object = None
    required: bool = False
    max_length: int | None = None
    codes: tuple = ()
    minimum: float | None = None
    fields: tuple = ()  # for groups: the fields of one entry
    min_items: int = 0


@dataclass(frozen=True)
class Form:
    id: str
    version: int
    title: object
    fields: tuple = field(default_factory=tuple)


SEIZURE_V1 = Form("seizure", 1, _l("Seizure"), (
    Field("date", "date", _l("Date of seizure"), required=True),
    Field("agency", "agency", _l("Seizing agency"), required=True),
    Field("place", "text", _l("Place"), required=True, max_length=500),
    Field("items", "group", _l("Items seized"), required=True, min_items=1, fields=(
        Field("species", "text", _l("Species"), required=True, max_length=200),
        Field("quantity", "decimal", _l("Quantity"), required=True, minimum=0),
        Field("unit", "code", _l("Unit"), required=True, codes=CITES_UNITS),
    )),
    Field("suspects", "group", _l("Suspects"), fields=(
        Field("name", "text", _l("Name (native script)"), required=True, max_length=300),
        Field("name_latin", "text", _l("Name (romanized)"), max_length=300),
        Field("nationality", "country", _l("Nationality")),
    )),
    Field("narrative", "text", _l("Narrative"), max_length=20000),
))

FORMS = {(form.id, form.version): form for form in (SEIZURE_V1,)}
