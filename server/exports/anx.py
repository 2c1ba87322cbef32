"""i2 Analyst's Notebook Exchange (ANX) XML: the network as a chart ANB opens with File > Open.

There is no public schema (it ships inside ANB), so the structure follows public writers, chiefly
anxwritter (whose output opens in ANB 9) and pyanx (generated from ANB's own XSD): a <Chart> with
IdReferenceLinking="false", its children in anxwritter's order (ApplicationVersion, Strength-,
AttributeClass-, EntityType- and LinkTypeCollection, Summary, one ChartItemCollection, Palette-
Collection); entities and records as icon ChartItems; links naming the ends' Entity@EntityId.

Types: every ChartItem names a type declared in the file, whose IconFile picks the picture.
The icon names Person, Office, Car, Account, Phone and Incident appear in public ANX-producing
code (pyanx, the Portland Police SQL export, a CPF/CNPJ script); the type *names* Person and
Account do too, but Organisation, Vehicle, Telephone and Event could not be confirmed against a
stock ANB library. They need not be: a type declared in the file stands on its own.

Attributes: ANB takes no undeclared attribute class, and the classes come before the items, so a
fixed set is declared up front (the FtM properties Wildledger files, plus the record's fields).
Any other property goes to the item's Description so that nothing filed is lost. An item holds
one attribute per class, so several values are joined with "; ". Dates are ANX's
"YYYY-MM-DDTHH:MM:SS", a record's day with TimeSet="false" (ANB reads DateTime as UTC).

Streamed: items are written as they come; only the ids written so far are kept, so that a link
whose end is not in the file is dropped (and counted) rather than left dangling."""
import re
from datetime import datetime, timezone
from itertools import count
from xml.sax.saxutils import quoteattr

# FtM schema -> (ANB entity type, IconFile).
ENTITY_TYPES = {
    "Person": ("Person", "Person"),
    "Company": ("Organisation", "Office"),
    "Vehicle": ("Vehicle", "Car"),
    "UserAccount": ("Account", "Account"),
    "Phone": ("Telephone", "Phone"),
}
EVENT_TYPE = ("Event", "Incident")
EVENT_KINDS = ("seizure", "market_observation", "information_report")
LINK_TYPE = "Link"  # ANB's own default link type name (in files ANB saves)
STRENGTH = "Default"
ATTRIBUTES = ("phone", "nationality", "idNumber", "registrationNumber", "birthDate", "country", "role", "rid",
              "place", "kind", "name", "alias", "jurisdiction", "address", "username", "service", "type")
# XML 1.0 Char production; lone surrogates are out too, since they cannot be written as UTF-8.
_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
COLUMNS, SPACING = 12, 160


def _q(value):
    return quoteattr(_ILLEGAL.sub("", str(value)))


def _tag(name, attrs, close=True):
    return f"<{name}" + "".join(f" {key}={_q(value)}" for key, value in attrs.items()) + ("/>" if close else ">")


def _day(value):
    # Not strftime: "%Y" does not pad years before 1000 on every platform, and ANB wants four digits.
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}T00:00:00"


def write_anx(out, entities, events, links, *, title, handling):
    """Write an ANX chart of `entities`, `events` (records) and `links` to `out` (a binary file).

    entities: {"id", "schema" (a key of ENTITY_TYPES), "caption", "properties": {FtM name: [str]}};
    events: {"id", "kind" (EVENT_KINDS), "caption", "date" (date or None), "place", "country", "rid"};
    links: {"source", "target", "role"}, each end the id of an entity or an event given here.
    The chart summary carries `title` and the `handling` code. Returns the counts written,
    and "dropped": the links left out because an end is missing (or both ends are one item)."""
    ids = count(1)
    classes = {name: f"ID{next(ids)}" for name in ATTRIBUTES}
    types = {name: (f"ID{next(ids)}", icon) for name, icon in [*ENTITY_TYPES.values(), EVENT_TYPE]}
    link_type, strength = f"ID{next(ids)}", f"ID{next(ids)}"
    written = {}  # input id -> Entity@EntityId
    counts = {"entities": 0, "events": 0, "links": 0, "dropped": 0}

    def w(text):
        out.write(text.encode("utf-8"))

    def attributes(values):
        pairs = [(name, "; ".join(str(v) for v in vs if v not in (None, ""))) for name, vs in values]
        pairs = [(name, value) for name, value in pairs if value]
        if pairs:
            w("<AttributeCollection>" + "".join(_tag("Attribute", {
                "AttributeClass": name, "AttributeClassReference": classes[name], "Value": value})
                for name, value in pairs) + "</AttributeCollection>")

    def item(node_id, label, type_name, x, y, values, extra):
        if node_id in written:
            raise ValueError(f"duplicate id {node_id!r}")
        written[node_id] = str(len(written) + 1)
        w(_tag("ChartItem", {"Id": f"ID{next(ids)}", "Label": label, "XPosition": x, **extra}, close=False))
        w(_tag("End", {"X": x, "Y": y, "Z": 0}, close=False)
          + _tag("Entity", {"EntityId": written[node_id], "Identity": node_id, "LabelIsIdentity": "false"}, close=False)
          + "<Icon>" + _tag("IconStyle", {"Type": type_name, "EntityTypeReference": types[type_name][0]})
          + "</Icon></Entity></End>")
        attributes(values)
        w("</ChartItem>")

    w('<?xml version="1.0" encoding="UTF-8"?>\n')
    w(_tag("Chart", {"IdReferenceLinking": "false"}, close=False))
    w(_tag("ApplicationVersion", {"Major": 9, "Minor": 0, "Point": 0, "Build": 0}))
    w("<StrengthCollection>" + _tag("Strength", {"Id": strength, "Name": STRENGTH, "DotStyle": "DotStyleSolid"})
      + "</StrengthCollection>")
    w("<AttributeClassCollection>" + "".join(_tag("AttributeClass", {
        "Id": ref, "Name": name, "Type": "AttText", "IsUser": "true", "UserCanAdd": "true",
        "UserCanRemove": "true", "ShowValue": "true"}) for name, ref in classes.items()) + "</AttributeClassCollection>")
    w("<EntityTypeCollection>" + "".join(_tag("EntityType", {
        "Id": ref, "Name": name, "IconFile": icon, "PreferredRepresentation": "RepresentAsIcon"})
        for name, (ref, icon) in types.items()) + "</EntityTypeCollection>")
    w("<LinkTypeCollection>" + _tag("LinkType", {"Id": link_type, "Name": LINK_TYPE}) + "</LinkTypeCollection>")
    # Category is where ANB users look for a protective marking; the custom property names it plainly.
    w("<Summary><FieldCollection>"
      + _tag("Field", {"Type": "SummaryFieldTitle", "Field": title})
      + _tag("Field", {"Type": "SummaryFieldCategory", "Field": handling})
      + _tag("Field", {"Type": "SummaryFieldComments", "Field": f"Handling: {handling}. Exported from Wildledger."})
      + "</FieldCollection><CustomPropertyCollection>"
      + _tag("CustomProperty", {"Name": "Handling", "Type": "String", "Value": handling})
      + "</CustomPropertyCollection>"
      + _tag("Origin", {"CreatedDate": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
                        "EditTime": 0, "RevisionNumber": 1})
      + "</Summary>")
    w("<ChartItemCollection>")

    # A plain grid: ANB's own layouts do better, but items must not all sit on one spot.
    for n, entity in enumerate(entities):
        type_name = ENTITY_TYPES[entity["schema"]][0]
        properties = entity.get("properties") or {}
        other = [f"{name}: {'; '.join(map(str, values))}" for name, values in properties.items()
                 if name not in classes and values]
        item(entity["id"], entity["caption"], type_name, n % COLUMNS * SPACING, n // COLUMNS * SPACING,
             [(name, values) for name, values in properties.items() if name in classes],
             {"Description": "\n".join(other)} if other else {})
        counts["entities"] += 1
    # Records above the entities, growing upwards, so the two never overlap whatever their numbers.
    for n, event in enumerate(events):
        if event["kind"] not in EVENT_KINDS:
            raise ValueError(f"unknown record kind {event['kind']!r}")
        dated = ({"DateSet": "true", "TimeSet": "false", "DateTime": _day(event["date"])}
                 if event.get("date") else {})
        item(event["id"], event["caption"], EVENT_TYPE[0], n % COLUMNS * SPACING, -(n // COLUMNS + 2) * SPACING,
             [(name, [event.get(name)]) for name in ("kind", "rid", "place", "country")], dated)
        counts["events"] += 1
    for link in links:
        end1, end2 = written.get(link["source"]), written.get(link["target"])
        if end1 is None or end2 is None or end1 == end2:  # ANB cannot draw a link to itself
            counts["dropped"] += 1
            continue
        w(_tag("ChartItem", {"Id": f"ID{next(ids)}", "Label": link["role"]}, close=False)
          + _tag("Link", {"End1Id": end1, "End2Id": end2}, close=False)
          + _tag("LinkStyle", {"Strength": STRENGTH, "ArrowStyle": "ArrowOnHead", "Type": LINK_TYPE,
                               "LinkTypeReference": link_type}) + "</Link>")
        attributes([("role", [link["role"]])])
        w("</ChartItem>")
        counts["links"] += 1

    w("</ChartItemCollection>")
    # The palette is what ANB offers for adding items by hand: the same types, so additions match.
    w('<PaletteCollection><Palette Name="Wildledger"><AttributeClassEntryCollection>'
      + "".join(_tag("AttributeClassEntry", {"AttributeClass": name, "AttributeClassReference": ref})
                for name, ref in classes.items())
      + "</AttributeClassEntryCollection><EntityTypeEntryCollection>"
      + "".join(_tag("EntityTypeEntry", {"Entity": name, "EntityTypeReference": ref})
                for name, (ref, _icon) in types.items())
      + "</EntityTypeEntryCollection><LinkTypeEntryCollection>"
      + _tag("LinkTypeEntry", {"LinkType": LINK_TYPE, "LinkTypeReference": link_type})
      + "</LinkTypeEntryCollection></Palette></PaletteCollection>")
    w("</Chart>\n")
    return counts
