"""The validator compiled from a form declaration (server/forms/compiled.py) accepts and
refuses exactly what the marshmallow schema built from it (schema.py) does, refuses with
the same messages at the same paths, and loads equal data: same keys, same types, and
decimals with the same digits and exponent."""
import datetime as dt
import functools
import math
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError
from sqlalchemy import select

from server.access.models import Agency
from server.errors import ApiError
from server.extensions import db
from server.forms.compiled import compile_form
from server.forms.declarations import FORMS, Field, Form
from server.forms.schema import _PHONE, build_schema, schema_for, validator_for
from server.reference import catalog
from tests.helpers import MARKET, SEIZURE

# Every type and option the real forms leave out or use only once: a boolean, bounds on
# one side or none, a field without max_length, required_when with a value to match, a
# group with a minimum above one, a required object.
EVERY_TYPE = Form("every_type", 1, "Every type", (
    Field("flag", "boolean", required=True),
    Field("kind", "code", codes="market_kind", required=True),
    Field("link", "url", required_when=("kind", "online")),
    Field("contact", "phone", required_when=("flag", True)),
    Field("when", "date"),
    Field("pieces", "integer"),
    Field("share", "decimal", minimum=0),
    Field("province", "place"),
    Field("crossing", "crossing"),
    Field("agency", "agency"),
    Field("species", "species", max_length=5),
    Field("note", "text"),
    Field("parts", "group", min_items=2, max_items=3, fields=(
        Field("done", "boolean"),
        Field("size", "decimal", required=True, minimum=-1, maximum=1),
    )),
    Field("meta", "object", required=True, fields=(
        Field("ok", "boolean", required_when=("n", None)),
        Field("n", "integer", minimum=-5, maximum=5),
    )),
))

DECLARED = {**FORMS, ("every_type", 1): EVERY_TYPE}


def _validators(key):
    """(the marshmallow schema, the compiled validator) of a declared form, as intake gets them."""
    if key in FORMS:
        return schema_for(*key), validator_for(*key)
    return build_schema(DECLARED[key]), compile_form(DECLARED[key])


def _typed(value):
    """`value` with every scalar's type made part of it: True == 1 and Decimal("1.0") ==
    Decimal("1"), yet a loaded record must hold exactly what marshmallow loads."""
    if isinstance(value, dict):
        return {key: _typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_typed(item) for item in value]
    return type(value).__name__, str(value)


def _outcome(validator, data):
    try:
        return "accepted", _typed(validator.load(data))
    except ValidationError as error:
        return "refused", error.messages


# -- generated documents -------------------------------------------------------------------

_JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8))
_JSON = st.recursive(_JSON_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)), max_leaves=6)
# Characters a report may hold (line breaks and tabs included) and some it may not.
_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_CONTROL = st.sampled_from(["\x00", "\x07", "\x1b", "\x7f", "\x0b"])
_ALLOWED_BLANKS = st.sampled_from(["\n", "\r", "\t", "\r\n"])
_COMMON_SPOILS = st.one_of(st.none(), st.just(""), _JSON_SCALARS, st.sampled_from(
    [True, False, 0, 1, 1.0, -0.0, 0.0, [], {}, " ", math.nan, math.inf, 10**30]))
_UNKNOWN_KEYS = st.one_of(st.text(max_size=6), st.sampled_from(["lat", "items", "name", "_schema"]))


class _Documents:
    """Strategies for documents of a declaration: valid values drawn from the reference data
    the checks consult, each field sometimes left out or spoiled, at a rate drawn per
    document, so that a good share is accepted and the rest is refused in varied ways."""

    def __init__(self, agency_codes):
        self.agency_codes = sorted(agency_codes)
        # Each strategy is built once: Hypothesis validates every new strategy object, which
        # costs more than drawing from it.
        self.entry, self.valid, self.spoiled, self.scalar = (
            functools.cache(self._entry), functools.cache(self._valid), functools.cache(self._spoiled),
            functools.cache(self._scalar))

    def document(self, declared_fields):
        """A document spoiled at a rate drawn for it; at the highest, sometimes not even a
        mapping."""
        at_rate = {rate: self.entry(declared_fields, rate) for rate in range(4)}
        at_rate[3] = st.one_of(at_rate[3], st.none(), _JSON)
        return st.sampled_from([0, 0, 1, 2, 3]).flatmap(at_rate.__getitem__)

    def _entry(self, declared_fields, rate):
        """`rate` 0: every field valid, or left out if optional and not conditionally
        required; above, about one field in 30/rate spoiled and as many left out, required
        or not, and the conditionally required as often as the optional."""
        fields_ = [(declared.name, self.valid(declared, rate), self.spoiled(declared, rate),
                    not declared.required and not (declared.required_when and rate == 0))
                   for declared in declared_fields]

        @st.composite
        def draw_entry(draw):
            data = {}
            for name, valid, spoiled, may_leave_out in fields_:
                fate = draw(st.integers(0, 29))
                if fate < 3 * rate:
                    data[name] = draw(spoiled)
                elif fate < 4 * rate or (may_leave_out and fate % 2):
                    continue
                else:
                    data[name] = draw(valid)
            if rate and draw(st.integers(0, 9)) == 0:
                data.setdefault(draw(_UNKNOWN_KEYS), draw(_JSON))
            return data

        return draw_entry()

    def _valid(self, declared, rate):
        """Values the field accepts (a group's or object's entries spoiled at `rate`)."""
        if declared.type == "object":
            return self.entry(declared.fields, rate)
        if declared.type == "group":
            most = max(min(declared.max_items or 3, 3), declared.min_items)
            return st.lists(self.entry(declared.fields, rate), min_size=declared.min_items, max_size=most)
        return self.scalar(declared)

    def _scalar(self, declared):
        kind, longest = declared.type, declared.max_length or 40
        if kind == "code":
            return st.sampled_from(sorted(catalog.code_keys(declared.codes)))
        if kind == "agency":
            return st.sampled_from(self.agency_codes)
        if kind == "place":
            return st.sampled_from(sorted(catalog.collection_keys("places") | catalog.place_aliases().keys()))
        if kind == "crossing":
            return st.sampled_from(sorted(catalog.collection_keys("crossings")))
        if kind == "phone":
            return st.from_regex(_PHONE, fullmatch=True)
        if kind == "url":
            return st.builds("{}://{}.{}{}".format, st.sampled_from(["http", "https", "HTTPS"]),
                             st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True),
                             st.sampled_from(["com", "vn", "la", "cn", "shop"]),
                             st.sampled_from(["", "/", "/p/123", "/?id=7&x=y", "/ທ"]))
        if kind == "date":
            return st.dates().map(dt.date.isoformat)
        if kind == "boolean":
            return st.booleans()
        if kind == "integer":
            return st.integers(declared.minimum, declared.maximum)
        if kind == "decimal":
            low, high = declared.minimum, declared.maximum
            return st.one_of(
                st.decimals(low, high, allow_nan=False, allow_infinity=False).map(str),
                st.decimals(low, high, allow_nan=False, allow_infinity=False, places=3).map(str),
                st.integers(None if low is None else math.ceil(low), None if high is None else math.floor(high)),
                st.floats(low, high, allow_nan=False, allow_infinity=False))
        text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
                       min_size=1 if declared.required else 0, max_size=min(longest, 10))
        return st.one_of(text, st.builds("{}{}{}".format, text, _ALLOWED_BLANKS, text).filter(
            lambda value: len(value) <= longest))

    def _spoiled(self, declared, rate):
        """Values likely refused, and a few that look wrong but pass."""
        kind = declared.type
        if kind == "group":
            entries, too_many = self.entry(declared.fields, rate), (declared.max_items or 3) + 1
            return st.one_of(
                _COMMON_SPOILS, entries, st.lists(st.one_of(st.none(), _JSON_SCALARS), min_size=1, max_size=2),
                self.entry(declared.fields, 0).map(lambda entry: [entry] * too_many),
                st.just([]) if declared.min_items else entries.map(lambda entry: [entry, None]),
                self.valid(declared, rate).map(tuple), self.valid(declared, rate).map(lambda listed: {"0": listed}))
        if kind == "object":
            valid = self.valid(declared, rate)
            return st.one_of(_COMMON_SPOILS, st.just({}), valid.map(lambda entry: [entry]),
                             valid.map(lambda entry: {**entry, "extra": 1}))
        scalar = self.scalar(declared)
        if kind == "date":
            particular = st.one_of(
                st.sampled_from(["2026-02-30", "2026-11-20 ", "2026-11", "+2026-11-20", 20261120, "0000-01-01"]),
                st.datetimes().map(dt.datetime.isoformat),
                st.datetimes().map(lambda moment: moment.isoformat(" ", "minutes")),
                st.dates().map(lambda day: day.strftime("%Y%m%d")),
                st.dates().map(lambda day: "{}-W{:02}-{}".format(*day.isocalendar())))
        elif kind == "boolean":
            particular = st.one_of(st.sampled_from([1.0, 0.0, -0.0, "true", "True", "1", "yes", [True]]),
                                   st.integers(-2, 2), st.floats(-1, 2))
        elif kind in {"integer", "decimal"}:
            low, high = declared.minimum, declared.maximum
            edges = [edge + step for edge in (low, high) if edge is not None for step in (-1, 0, 1)] or [0]
            particular = st.one_of(
                st.sampled_from(edges), st.sampled_from(edges).map(str), st.sampled_from(edges).map(float),
                st.sampled_from([3.0, 1e20, -1e-7, "3", "1e5", "1E+12", "NaN", "nan", "-Infinity", "Infinity",
                                 "sNaN", "1e400", " 1 ", "1_000", "١٢", "0x10", "-0", "1.", ".5", "1e999999999",
                                 "1000000000000.0000001", True, False, 2**63, -(2**63)]),
                st.floats(allow_nan=True, allow_infinity=True), st.decimals().map(str), st.integers())
        else:
            longest = declared.max_length or 2000
            particular = st.one_of(
                st.builds("{}{}{}".format, scalar, _CONTROL, scalar),
                st.builds("{}{}".format, scalar, _ALLOWED_BLANKS),
                scalar.map(str.lower), scalar.map(str.upper), scalar.map(lambda value: f" {value}"),
                st.just("x" * (longest + 1)), st.just("x" * longest), _TEXT,
                st.sampled_from(["ftp://example.com", "http://", "javascript:alert(1)", "example.com",
                                 "12", "+", "0399 000 123\n", "VN-HQ-qn", "land_border", "VN-13"]))
        return st.one_of(_COMMON_SPOILS, particular)


# -- the property -------------------------------------------------------------------------

@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # validation reads the same agencies on either
@pytest.mark.parametrize("key", sorted(DECLARED), ids="{0[0]}-v{0[1]}".format)
def test_compiled_validator_accepts_refuses_and_loads_as_marshmallow_does(app, key):
    with app.app_context():
        agency_codes = db.session.scalars(select(Agency.code)).all()
        reference, compiled = _validators(key)
        documents = _Documents(agency_codes).document(DECLARED[key].fields)
        seen = {"accepted": 0, "refused": 0}

        @given(document=documents)
        @settings(max_examples=300, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
        def exercise(document):
            expected = _outcome(reference, document)
            assert _outcome(compiled, document) == expected
            seen[expected[0]] += 1

        exercise()
    # Both sides of the property were explored, not one.
    assert min(seen.values()) >= 30, seen


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("key, document", [(("seizure", 1), SEIZURE), (("market_observation", 1), MARKET)])
def test_the_sample_documents_load_the_same(app, key, document):
    with app.app_context():
        reference, compiled = _validators(key)
        assert _typed(compiled.load(document)) == _typed(reference.load(document))


# -- the coercions worth spelling out -------------------------------------------------------

REFUSED = object()
AMOUNT = Field("value", "decimal", minimum=0, maximum=10**12)
COUNT = Field("value", "integer", minimum=0, maximum=10**9)
FLAG = Field("value", "boolean")
DAY = Field("value", "date")
PHONE = Field("value", "phone")
NAME = Field("value", "text", required=True, max_length=5)
NOTE = Field("value", "text", max_length=5)


COERCIONS = [
    (AMOUNT, 3.0, Decimal("3.0")),
    (AMOUNT, 0.1, Decimal("0.1")),
    (AMOUNT, 1e11, Decimal("100000000000.0")),
    (AMOUNT, 1e-7, Decimal("1E-7")),
    (AMOUNT, 1e20, REFUSED),
    (AMOUNT, "1e5", Decimal("1E+5")),
    (AMOUNT, "1E+12", Decimal("1E+12")),
    (AMOUNT, 10**12, Decimal(10**12)),
    (AMOUNT, "1000000000000.0000001", REFUSED),
    (AMOUNT, " 1 ", Decimal("1")),
    (AMOUNT, "1_000", Decimal("1000")),
    (AMOUNT, "١٢", Decimal("12")),
    (AMOUNT, "-0", Decimal("-0")),
    (AMOUNT, "-0.01", REFUSED),
    (AMOUNT, "NaN", REFUSED),
    (AMOUNT, "sNaN", REFUSED),
    (AMOUNT, "Infinity", REFUSED),
    (AMOUNT, math.nan, REFUSED),
    (AMOUNT, math.inf, REFUSED),
    (AMOUNT, "0x10", REFUSED),
    (AMOUNT, True, REFUSED),
    (AMOUNT, [1], REFUSED),
    (COUNT, 3, 3),
    (COUNT, 3.0, REFUSED),
    (COUNT, "3", REFUSED),
    (COUNT, True, REFUSED),
    (COUNT, 10**9, 10**9),
    (COUNT, 10**9 + 1, REFUSED),
    (COUNT, -1, REFUSED),
    (FLAG, True, True),
    (FLAG, 1, True),
    (FLAG, 1.0, True),
    (FLAG, 0, False),
    (FLAG, -0.0, False),
    (FLAG, 2, REFUSED),
    (FLAG, "true", REFUSED),
    (FLAG, [], REFUSED),
    (DAY, "2026-11-20", dt.date(2026, 11, 20)),
    (DAY, "20261120", dt.date(2026, 11, 20)),
    (DAY, "2026-W47-5", dt.date(2026, 11, 20)),
    (DAY, "2026-11-20T00:00:00", REFUSED),
    (DAY, "2026-02-30", REFUSED),
    (DAY, 20261120, REFUSED),
    (PHONE, "0399 000 123", "0399 000 123"),
    (PHONE, "0399 000 123\n", REFUSED),  # a final line break is not part of a number
    (PHONE, "0399 000 123\x00", REFUSED),
    (NAME, "", REFUSED),
    (NOTE, "", ""),
    (NOTE, "a\tb\nc", "a\tb\nc"),
    (NOTE, "a\x0bb", REFUSED),
    (NOTE, "abcdef", REFUSED),
    (NOTE, 5, REFUSED),
    (NOTE, None, REFUSED),
]


@pytest.mark.parametrize("declared, given, loaded", COERCIONS,
                         ids=[f"{declared.type}:{given!r}" for declared, given, _ in COERCIONS])
def test_coercions(declared, given, loaded):
    form = Form("one", 1, "One field", (declared,))
    expected = _outcome(build_schema(form), {"value": given})
    assert _outcome(compile_form(form), {"value": given}) == expected
    if loaded is REFUSED:
        assert expected[0] == "refused"
    else:
        assert expected == ("accepted", _typed({"value": loaded}))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_refusal_names_every_offending_path(app):
    document = {**SEIZURE, "place": {**SEIZURE["place"], "gps": {"lat": "91", "lon": "0"}},
                "items": [SEIZURE["items"][0], {**SEIZURE["items"][1], "count": 1.5}], "extra": 1}
    del document["reporting_officer"]
    with app.app_context(), pytest.raises(ValidationError) as refused:
        validator_for("seizure", 1).load(document)
    messages = refused.value.messages
    assert set(messages) == {"place", "items", "extra", "reporting_officer"}
    assert set(messages["place"]) == {"gps"} and set(messages["place"]["gps"]) == {"lat"}
    assert set(messages["items"]) == {1} and set(messages["items"][1]) == {"count"}


def test_validator_for_is_cached_and_knows_only_declared_forms():
    assert validator_for("seizure", 2) is validator_for("seizure", 2)
    with pytest.raises(ApiError) as unknown_version:
        validator_for("seizure", 99)
    with pytest.raises(ApiError) as unknown_form:
        validator_for("permit", 1)
    assert unknown_version.value.problem.code == "unknown_form_version"
    assert unknown_form.value.problem.code == "unknown_form"
