"""FollowTheMoney JSON lines (one entity per line, `EntityProxy.to_dict()`), which `ftm
validate` accepts and Aleph imports: every entity the reader may see as they see it
(source.network), every record they may read as an Event, and an UnknownLink (subject: the
entity, object: the record, role: suspect, driver, vendor…) for each time a record names an
entity. Proxies and their values come from followthemoney's model (intel/ftm.make_proxy),
never hand-built dictionaries."""
import json

from followthemoney import model

from ..intel import ftm as intel_ftm
from . import source


def ftm_id(node_id):
    """The FtM id of a network node: a mention's ("m:<rid>/<n>") or a record's ("r:<rid>")."""
    kind, rest = node_id.split(":", 1)
    return intel_ftm.mention_id(rest) if kind == "m" else f"wl-record-{rest}"


def _event(event):
    proxy = model.make_entity("Event")
    proxy.id = ftm_id(event["id"])
    proxy.add("name", event["caption"])
    proxy.add("recordId", event["rid"])
    proxy.add("date", event["date"].isoformat() if event["date"] else None)
    proxy.add("country", (event["country"] or "").lower() or None)
    proxy.add("location", event["place"])
    return proxy


def _link(link, n):
    proxy = model.make_entity("UnknownLink")
    proxy.make_id("wl-link", link["source"], link["target"], link["role"], str(n))
    proxy.add("subject", ftm_id(link["source"]))
    proxy.add("object", ftm_id(link["target"]))
    proxy.add("role", link["role"])
    return proxy


def write(out, actor, progress=None, handling_seen=None):
    """Write the reader's network to `out` (a text file). Returns {"entities", "events", "links"};
    the records' handling codes are added to `handling_seen`."""
    counted = {"entities": 0, "events": 0, "links": 0}

    def line(proxy):
        out.write(json.dumps(proxy.to_dict(), ensure_ascii=False, sort_keys=True))
        out.write("\n")

    for event in source.events(actor):
        line(_event(event))
        if handling_seen is not None:
            handling_seen.add(event["handling"])
        counted["events"] += 1
    for chunk in source.network(actor):
        for entity in chunk["entities"]:
            line(intel_ftm.make_proxy(entity["schema"], ftm_id(entity["id"]), entity["properties"]))
        for n, link in enumerate(chunk["links"]):
            line(_link(link, n))
        counted["entities"] += len(chunk["entities"])
        counted["links"] += len(chunk["links"])
        if progress:
            progress(counted["entities"])
    return counted
