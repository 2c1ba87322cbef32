"""Marshmallow schemas generated from form declarations: the reference definition of what
intake accepts. `validator_for` gives the same rules compiled to plain Python for intake
(compiled.py), held to exactly these schemas by tests/test_compiled_validator.py."""
import re
from functools import cache

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from ..errors import ApiError
from ..reference import catalog
from .declarations import FORMS

# C0 controls other than tab and line breaks have no place in a report, and PostgreSQL
# text cannot hold NUL at all: refuse them as invalid values, with a code.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Phones are typed as seen on an ID card or a parcel: local or international, spaced.
_PHONE = re.compile(r"\+?[0-9][0-9 ().-]{2,30}\Z")  # \Z: $ would let a final line break through


def _printable(value):
    if _CONTROL.search(value):
        raise ValidationError("Control characters are not allowed.")


def _one_of(keys_of, name):
    def check(value):
        if value not in keys_of():
            raise ValidationError(f"Unknown {name}.")
    return check


def _agency_exists(code):
    from ..access.models import Agency
    from ..extensions import db
    from ..reference.current import current

    # A retired agency exists too, and so does a retired code-list key (_one_of): a record
    # sealed offline before the retirement, or on a phone that has not pulled it yet, is
    # valid. current_codes() files it under the successor.
    # An agency is never deleted, so only a code added since the last publish is looked up.
    # A code with control characters is refused by _printable, and PostgreSQL cannot even
    # be asked about one holding NUL.
    if _CONTROL.search(code):
        return
    if code not in current().agency_codes and db.session.query(Agency.id).filter_by(code=code).first() is None:
        raise ValidationError("Unknown agency code.")


def _crossing_keys():
    from ..reference.current import current

    return current().crossing_keys


def _known_place(key):
    if key not in catalog.collection_keys("places") and key not in catalog.place_aliases():
        raise ValidationError("Unknown province.")


_STRING_CHECKS = {
    "code": lambda f: [_one_of(lambda: catalog.code_keys(f.codes), f.codes)],
    "agency": lambda f: [_agency_exists],
    "place": lambda f: [_known_place],
    "crossing": lambda f: [_one_of(_crossing_keys, "border crossing")],
    "phone": lambda f: [validate.Regexp(_PHONE, error="Not a phone number.")],
    "url": lambda f: [validate.URL(schemes={"http", "https"}), validate.Length(max=2000)],
    "text": lambda f: [],
    "species": lambda f: [],
}


def _field(declared):
    # Conditionally required fields are checked by the enclosing schema, so they are
    # optional here.
    options = {"required": declared.required}
    if declared.type in {"group", "object"}:
        entry = _schema_class(f"{declared.name}_entry", declared.fields)
        if declared.type == "object":
            return fields.Nested(entry, **options)
        return fields.List(fields.Nested(entry), **options, validate=validate.Length(
            min=declared.min_items, max=declared.max_items))
    if declared.type == "date":
        return fields.Date(**options)
    if declared.type == "boolean":
        return fields.Boolean(truthy={True}, falsy={False}, **options)
    if declared.type in {"decimal", "integer"}:
        bounds = validate.Range(min=declared.minimum, max=declared.maximum)
        if declared.type == "integer":
            return fields.Integer(strict=True, validate=bounds, **options)
        return fields.Decimal(allow_nan=False, validate=bounds, **options)
    return fields.String(validate=string_checks(declared), **options)


def string_checks(declared):
    """The checks a string value of `declared` passes once it is known to be a string,
    shared with the compiled validator (compiled.py), which must call the same ones."""
    checks = [_printable, *_STRING_CHECKS[declared.type](declared)]
    if declared.max_length:
        checks.append(validate.Length(max=declared.max_length))
    if declared.required:
        checks.append(validate.Length(min=1))
    return checks


def unmet_conditions(conditional, data):
    """{name: [message]} for each field of `conditional` that `data` (as loaded, free of
    field errors) lacks although its `required_when` sibling asks for it."""
    errors = {}
    for declared in conditional:
        sibling, expected = declared.required_when
        present = data.get(sibling) not in (None, "")
        triggered = present if expected is None else data.get(sibling) == expected
        if triggered and data.get(declared.name) in (None, ""):
            errors[declared.name] = ["Missing data for required field."]
    return errors


def _conditions(declared_fields):
    conditional = [f for f in declared_fields if f.required_when]
    if not conditional:
        return {}

    @validates_schema
    def required_when(self, data, **kwargs):
        if errors := unmet_conditions(conditional, data):
            raise ValidationError(errors)

    return {"_required_when": required_when}


def _schema_class(name, declared_fields):
    attributes = {f.name: _field(f) for f in declared_fields}
    attributes.update(_conditions(declared_fields))
    attributes["Meta"] = type("Meta", (), {"unknown": RAISE})
    return type(name, (Schema,), attributes)


def _current_code(declared):
    """How to find the value in use now for a field naming reference codes, or None."""
    if declared.type == "code":
        return lambda key: catalog.current_code(declared.codes, key)
    if declared.type == "agency":
        from ..reference.agencies import current_code

        return current_code
    return None


def current_codes(form_id, version, data):
    """`data` as loaded, with every retired agency code and code-list key replaced by the one
    in use now, and whether there was any. The store's rows file the successor, so that
    searches and counts by agency or code find the record; the record's content keeps what
    was sealed."""
    retired = []

    def current(declared_fields, values):
        values = dict(values)
        for declared in declared_fields:
            value, in_use = values.get(declared.name), _current_code(declared)
            if value is None:
                continue
            if declared.type == "group":
                values[declared.name] = [current(declared.fields, entry) for entry in value]
            elif declared.type == "object":
                values[declared.name] = current(declared.fields, value)
            elif in_use is not None and (successor := in_use(value)) != value:
                retired.append(value)
                values[declared.name] = successor
        return values

    return current(FORMS[(form_id, version)].fields, data), bool(retired)


def _declared(form_id, version):
    form = FORMS.get((form_id, version))
    if form is None:
        known = {f for f, _ in FORMS}
        raise ApiError("unknown_form_version" if form_id in known else "unknown_form")
    return form


@cache
def schema_for(form_id, version):
    return build_schema(_declared(form_id, version))


@cache
def validator_for(form_id, version):
    """What intake validates with: the same rules as `schema_for`, compiled to plain Python."""
    # compiled.py builds on this module's checks, so it can only be imported once this
    # module is.
    from .compiled import compile_form

    return compile_form(_declared(form_id, version))


def build_schema(form):
    return _schema_class(f"{form.id}_v{form.version}", form.fields)()
