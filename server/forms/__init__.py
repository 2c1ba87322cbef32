"""Forms are data, declared once (DESIGN §4).

A declaration lists fields, their types, code lists and required rules. From it come
the marshmallow schema that validates intake (forms/schema.py) and, in part 2, the
JSON definition the PWA renders. A record sealed under a version is validated against
that version, so every published version stays in FORMS.
"""
from .declarations import FORMS

__all__ = ["FORMS"]
