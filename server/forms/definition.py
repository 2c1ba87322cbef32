"""The JSON definition of a form version, as phones download and render it."""
import json
from pathlib import Path

from flask_babel import gettext as _

from .declarations import FORMS

PUBLISHED = Path(__file__).with_name("published")


def _field(declared):
    out = {"name": declared.name, "type": declared.type, "label": declared.label,
           "required": declared.required}
    for option in ("codes", "max_length", "minimum", "maximum", "max_items"):
        if getattr(declared, option) is not None:
            out[option] = getattr(declared, option)
    if declared.min_items:
        out["min_items"] = declared.min_items
    if declared.required_when:
        sibling, value = declared.required_when
        out["required_when"] = {"field": sibling, "equals": value}
    if declared.fields:
        out["fields"] = [_field(f) for f in declared.fields]
    return out


def definition(form):
    out = {"form": form.id, "version": form.version, "title": form.title,
           "min_app_version": form.min_app_version,
           "fields": [_field(f) for f in form.fields]}
    if form.started_from:
        out["started_from"] = form.started_from
    return out


def serialize(form):
    return json.dumps(definition(form), ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def published_path(form):
    return PUBLISHED / f"{form.id}.v{form.version}.json"


def publish(forms=None):
    """Freeze the definitions of versions not yet published. A published version that
    would change is refused: declare the next version instead. Returns the new paths."""
    written = []
    for form in (forms or FORMS).values():
        path, text = published_path(form), serialize(form)
        if path.exists():
            if path.read_text(encoding="utf-8") != text:
                raise ValueError(_("%(name)s is published and differs: declare the next version.",
                                   name=path.name))
            continue
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def published_definitions():
    """Every frozen definition, as served to phones."""
    return {path.stem: json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(PUBLISHED.glob("*.json"))}
