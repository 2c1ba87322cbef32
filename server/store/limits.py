"""Every value that reaches a column fits it, checked before the row is written (issue 13).

A value too long for a String(n), a number with more digits than a Numeric(p, s) holds (or
more decimals, which PostgreSQL would round away), an integer beyond its column's range:
each would fail (or change) inside the database, after the record was opened and its
content was in the SQL parameters. They are refused here, with the column's name, and the
record is quarantined with a code (value_out_of_range) instead of staying an intake_error.
"""
from decimal import Decimal

from sqlalchemy import BigInteger, Integer, Numeric, SmallInteger, String

_INT_BITS = {SmallInteger: 15, Integer: 31, BigInteger: 63}


def _problem(column, value):
    kind = column.type
    if isinstance(kind, String) and kind.length is not None and isinstance(value, str):
        return len(value) > kind.length
    if isinstance(kind, Numeric) and not isinstance(kind, Integer) and kind.precision is not None:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        sign, digits, exponent = number.as_tuple()
        decimals = max(0, -exponent)
        whole = max(0, len(digits) + exponent)
        return decimals > (kind.scale or 0) or whole > kind.precision - (kind.scale or 0)
    for integer, bits in _INT_BITS.items():
        if type(kind) is integer and isinstance(value, int):
            return not -(2**bits) <= value < 2**bits
    return False


def misfit(obj):
    """'table.column' of the first value of this new row that its column cannot hold, or None."""
    for column in obj.__table__.columns:
        value = obj.__dict__.get(column.key)
        if value is not None and _problem(column, value):
            return f"{obj.__table__.name}.{column.key}"
    return None
