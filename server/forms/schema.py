"""Marshmallow schemas generated from form declarations."""
import re
from functools import cache

import pycountry
from marshmallow import Schema, ValidationError, fields, validate

from ..errors import ApiError
from .declarations import FORMS

_COUNTRIES = frozenset(country.alpha_2 for country in pycountry.countries)


# C0 controls other than tab and line breaks have no place in a report, and PostgreSQL
# text cannot hold NUL at all: refuse them as invalid values, with a code.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _printable(value):
    if _CONTROL.search(value):
        raise ValidationError("Control characters are not allowed.")


def _agency_exists(code):
    from ..access.models import Agency
    from ..extensions import db

    if db.session.query(Agency.id).filter_by(code=code).first() is None:
        raise ValidationError("Unknown agency code.")


def _field(declared):
    options = {"required": declared.required}
    validators = []
    if declared.type == "group":
        entry = _schema_class(f"{declared.name}_entry", declared.fields)
        return fields.List(fields.Nested(entry), validate=validate.Length(min=declared.min_items),
                           **options)
    if declared.type == "date":
        return fields.Date(**options)
    if declared.type == "decimal":
        if declared.minimum is not None:
            validators.append(validate.Range(min=declared.minimum))
        return fields.Decimal(allow_nan=False, validate=validators, **options)
    if declared.type == "code":
        validators.append(validate.OneOf(declared.codes))
    elif declared.type == "country":
        validators.append(validate.OneOf(_COUNTRIES))
    elif declared.type == "agency":
        validators.append(_agency_exists)
    validators.append(_printable)
    if declared.max_length:
        validators.append(validate.Length(max=declared.max_length))
    if declared.required:
        validators.append(validate.Length(min=1))
    return fields.String(validate=validators, **options)


def _schema_class(name, declared_fields):
    return Schema.from_dict({f.name: _field(f) for f in declared_fields}, name=name)


@cache
def schema_for(form_id, version):
    form = FORMS.get((form_id, version))
    if form is None:
        known = {f for f, _ in FORMS}
        raise ApiError("unknown_form_version" if form_id in known else "unknown_form")
    return _schema_class(f"{form_id}_v{version}", form.fields)()
