"""Forms are data, declared once (DESIGN §4).

declarations.py lists each form version's fields, types, code lists and required rules.
From it come the marshmallow schema that defines what intake accepts (schema.py), the same
rules compiled to plain Python for intake to run (compiled.py), and the JSON definition
phones render (definition.py), frozen under published/ once released. A record
sealed under a version is validated against that version, so every published version
stays declared.
"""
from .declarations import FORMS

__all__ = ["FORMS"]
