"""Form declarations compiled to plain Python validators: the rules of schema.py's marshmallow
schemas without marshmallow's per-value machinery (bound fields, error stores, hooks, And
validators), about five times faster on a seizure record (bench/validate.py).

`compile_form(form).load(fields)` accepts and refuses exactly what `build_schema(form).load`
does, with the same messages, and returns equal data; tests/test_compiled_validator.py holds
the two together. Every declared field gets its loader at compile time. The checks that consult reference data
or the database are schema.py's own, called at load time, so that whatever caches they keep
serve both.

Where marshmallow's behaviour is surprising, it is mirrored on purpose:
- a value of None is refused, even for an optional field (no field allows None);
- a boolean field (truthy={True}, falsy={False}) tests set membership, so 1 and 1.0 load as
  True and 0, 0.0 and -0.0 as False;
- an integer field (strict) takes any integral number but not a bool, and not 3.0;
- a decimal field refuses bools, converts through str() (a float 0.1 loads as
  Decimal("0.1"), 1e20 as Decimal("1E+20")), so accepts what Decimal() parses: "1e5",
  " 1 ", "1_000", other scripts' digits; NaN and the infinities are refused;
- a date field takes what date.fromisoformat does ("20261120" and "2026-W47-5" too, not a
  datetime string);
- field errors at one level skip that level's `required_when` checks.
"""
import datetime as dt
import math
import numbers
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from marshmallow import ValidationError, validate
from marshmallow.utils import ensure_text_type, is_collection

from .schema import string_checks, unmet_conditions


def compile_form(form):
    return CompiledForm(form)


class CompiledForm:
    """`load(data)`: the loaded data, or ValidationError with marshmallow's messages."""

    def __init__(self, form):
        self.load = _entry(form.fields)


def _entry(declared_fields):
    """Loads one mapping of `declared_fields` (a form, an object, a group's entry)."""
    loaders = {f.name: _value(f) for f in declared_fields}
    required = tuple(f.name for f in declared_fields if f.required)
    conditional = tuple(f for f in declared_fields if f.required_when)

    def load_entry(data):
        if type(data) is not dict and not isinstance(data, Mapping):
            raise ValidationError({"_schema": ["Invalid input type."]})
        loaded, errors = {}, {}
        # The keys given, not the fields declared: most optional fields are left out.
        for name, value in data.items():
            load_value = loaders.get(name)
            if load_value is None:
                errors[name] = ["Unknown field."]
            elif value is None:
                errors[name] = ["Field may not be null."]
            else:
                try:
                    loaded[name] = load_value(value)
                except ValidationError as error:
                    errors[name] = error.messages
        for name in required:
            if name not in data:
                errors[name] = ["Missing data for required field."]
        if not errors and conditional:
            errors = unmet_conditions(conditional, loaded)
        if errors:
            raise ValidationError(errors, data=data, valid_data=loaded)
        return loaded

    return load_entry


def _value(declared):
    """The loader of one present, non-null value of `declared`."""
    if declared.type == "object":
        return _entry(declared.fields)
    if declared.type == "group":
        return _group(declared)
    if declared.type == "date":
        return _date
    if declared.type == "boolean":
        return _boolean
    if declared.type == "integer":
        return _integer(validate.Range(min=declared.minimum, max=declared.maximum))
    if declared.type == "decimal":
        return _decimal(validate.Range(min=declared.minimum, max=declared.maximum))
    return _string(tuple(string_checks(declared)))


def _checked(value, checks):
    """`value` once every check has passed; like marshmallow's And, a refusal gives every
    check's message, not only the first."""
    messages = None
    for check in checks:
        try:
            check(value)
        except ValidationError as error:
            messages = (messages or []) + error.messages
    if messages:
        raise ValidationError(messages)
    return value


def _string(checks):
    # Length checks compile to one comparison and the others run until one refuses; only a
    # refusal runs them all, in marshmallow's order, for every message.
    def inlined(check):
        return isinstance(check, validate.Length) and check.equal is None

    lengths = [check for check in checks if inlined(check)]
    others = tuple(check for check in checks if not inlined(check))
    shortest = max((length.min or 0 for length in lengths), default=0)
    longest = min((length.max for length in lengths if length.max is not None), default=math.inf)

    def load_string(value):
        if type(value) is not str:
            if not isinstance(value, (str, bytes)):
                raise ValidationError("Not a valid string.")
            try:
                value = ensure_text_type(value)
            except UnicodeDecodeError as error:
                raise ValidationError("Not a valid utf-8 string.") from error
        if shortest <= len(value) <= longest:
            try:
                for check in others:
                    check(value)
                return value
            except ValidationError:
                pass
        return _checked(value, checks)

    return load_string


def _date(value):
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, AttributeError, ValueError) as error:
        raise ValidationError("Not a valid date.") from error


# Set membership, as in marshmallow: 1 == True and hash(1) == hash(True).
_TRUTHY, _FALSY = {True}, {False}


def _boolean(value):
    try:
        if value in _TRUTHY:
            return True
        if value in _FALSY:
            return False
    except TypeError as error:  # unhashable
        raise ValidationError("Not a valid boolean.") from error
    raise ValidationError("Not a valid boolean.")


def _integer(bounds):
    def load_integer(value):
        if value is True or value is False or not isinstance(value, numbers.Integral):
            raise ValidationError("Not a valid integer.")
        return bounds(int(value))

    return load_integer


def _decimal(bounds):
    def load_decimal(value):
        if value is True or value is False:
            raise ValidationError("Not a valid number.")
        try:
            number = Decimal(str(value))
        except (TypeError, ValueError, InvalidOperation) as error:
            raise ValidationError("Not a valid number.") from error
        if not number.is_finite():
            raise ValidationError("Special numeric values (nan or infinity) are not permitted.")
        return bounds(number)

    return load_decimal


def _group(declared):
    load_entry = _entry(declared.fields)
    size = validate.Length(min=declared.min_items, max=declared.max_items)

    def load_group(value):
        if type(value) is not list and not is_collection(value):
            raise ValidationError("Not a valid list.")
        entries, errors = [], {}
        for index, entry in enumerate(value):
            if entry is None:
                errors[index] = ["Field may not be null."]
                continue
            try:
                entries.append(load_entry(entry))
            except ValidationError as error:
                errors[index] = error.messages
        if errors:
            raise ValidationError(errors)
        return size(entries)

    return load_group
