"""Every value that reaches a column fits it, checked before the row is written (issue 13).

A value too long for a String(n), a number with more digits than a Numeric(p, s) holds (or
more decimals, which PostgreSQL would round away), an integer beyond its column's range:
each would fail (or change) inside the database, after the record was opened and its
content was in the SQL parameters. They are refused here, with the column's name, and the
record is quarantined with a code (value_out_of_range) instead of staying an intake_error.
"""
from decimal import Decimal
from functools import cache

from sqlalchemy import BigInteger, Integer, Numeric, SmallInteger, String

_INT_BITS = {SmallInteger: 15, Integer: 31, BigInteger: 63}


def _string_fits(length):
    return lambda value: not isinstance(value, str) or len(value) <= length


def _numeric_fits(precision, scale):
    def fits(value):
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        _sign, digits, exponent = number.as_tuple()
        return max(0, -exponent) <= scale and max(0, len(digits) + exponent) <= precision - scale
    return fits


def _integer_fits(bits):
    return lambda value: not isinstance(value, int) or -(2**bits) <= value < 2**bits


def _fits(kind):
    """A check of what a column of this type holds, or None when it holds anything given."""
    if isinstance(kind, String) and kind.length is not None:
        return _string_fits(kind.length)
    if isinstance(kind, Numeric) and not isinstance(kind, Integer) and kind.precision is not None:
        return _numeric_fits(kind.precision, kind.scale or 0)
    bits = _INT_BITS.get(type(kind))
    return _integer_fits(bits) if bits else None


@cache
def _checks(table):
    """(column key, 'table.column', check) of every column with a limit: built once a table."""
    return tuple((column.key, f"{table.name}.{column.key}", check) for column in table.columns
                 if (check := _fits(column.type)) is not None)


def misfit(table, row):
    """'table.column' of the first value of this new row (column key → value) that its
    column cannot hold, or None."""
    for key, name, fits in _checks(table):
        value = row.get(key)
        if value is not None and not fits(value):
            return name
    return None
