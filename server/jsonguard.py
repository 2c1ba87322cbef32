"""Refuse JSON that would hurt the parser before it is parsed (issue 13).

Python's json module recurses per nesting level (50,000 levels overflow the stack), refuses
integers of more than 4,300 digits with a ValueError, and decodes a lone surrogate escape
into a string that then cannot be encoded. Each gave a 500 on /api/v1/enroll, which anyone
can call. Every JSON body under /api is scanned first — strings are skipped with one regular
expression, so the scan costs little on the envelopes of a push — and refused with a coded
400: too deep, a number too long, or not valid Unicode.
"""
import re

from flask import request

from .errors import ApiError

MAX_DEPTH = 32  # a push is 3 deep, a form's fields a few more
MAX_NUMBER = 40  # characters: any number a form or the protocol uses is far shorter
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)  # unrolled: fast on long base64
_BRACKETS = re.compile(rb"[\[\]{}]")
_LONG_NUMBER = re.compile(rb"[-+0-9.eE]{%d,}" % (MAX_NUMBER + 1))
_HIGH = rb"\\u[dD][89abAB][0-9a-fA-F]{2}"
_LOW = rb"\\u[dD][c-fC-F][0-9a-fA-F]{2}"
_LONE_SURROGATE = re.compile(rb"(?<!\\)(?:" + _HIGH + rb"(?!" + _LOW + rb")|(?<!" + _HIGH + rb")" + _LOW + rb")")


def check(body: bytes):
    """Raises ApiError with the reason the body must not reach the JSON parser."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ApiError("json_invalid_unicode") from error
    if b"\\u" in body and _LONE_SURROGATE.search(body):
        raise ApiError("json_invalid_unicode")
    rest = _STRING.sub(b'""', body)
    if _LONG_NUMBER.search(rest):
        raise ApiError("json_number_too_long", max_characters=MAX_NUMBER)
    depth = 0
    for bracket in _BRACKETS.findall(rest):
        depth += 1 if bracket in b"[{" else -1
        if depth > MAX_DEPTH:
            raise ApiError("json_too_deep", max_depth=MAX_DEPTH)


def _guard():
    if request.path.startswith("/api/") and request.mimetype == "application/json" and request.content_length:
        check(request.get_data(cache=True))


def init_app(app):
    app.before_request(_guard)
