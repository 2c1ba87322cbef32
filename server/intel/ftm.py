"""Mentions and entities in FollowTheMoney's model (issue 18; STYLE §14): the schemata
(Person, Company, Vehicle, UserAccount), their properties and each property's type come from
`followthemoney`, not from us.

At filing, `clean` reads a mention's properties as FtM's types read them (a country is an
ISO code, a name is NFC with its spaces squashed, never transliterated) and leaves out what
FtM cannot accept for that property: a malformed country code, a value longer than its type
holds. The record's content keeps what the officer typed; only the mention loses it. Naming a
property the schema does not have is a programming error and raises InvalidData.

One exception, phones: resolution keys on the E.164 number (resolve.strong_keys), and FtM
accepts only numbers libphonenumber calls *valid*, whose tables lag new ranges and leave out
some in use (China's 140 numbers, demo ranges). A number written in E.164 that is at least
*possible* is kept in the mention exactly as filed; `proxy_of` leaves it out, so that what we
hand to FtM tools is always valid FtM.

`proxy_of` gives the EntityProxy of a mention or an entity row. Ids (FtM allows only
[0-9A-Za-z.-]):
- a mention: "wl-mention-<rid>.<n>" for the mention key "<rid>/<n>" (the "/" becomes "."): stable
  across a rebuild of the store, like the key itself; `mention_key` reads it back;
- an entity row: "wl-entity-<id>", the row's id, which a rebuild of the store renumbers; an
  entity merged into another has no proxy of its own (its id leads to `merged_into_id`).
An entity row's properties are those of all its mentions: a reader who may not see them all
should be given the proxies of the mentions they may see (service.seen_entity), merged if need
be with EntityProxy.merge."""
import phonenumbers
from followthemoney import model
from followthemoney.exc import InvalidData
from followthemoney.types import registry

from ..store.models import Entity, Mention

MENTION_PREFIX = "wl-mention-"
ENTITY_PREFIX = "wl-entity-"


def _schema(name):
    schema = model.get(name)
    if schema is None:
        raise InvalidData(f"No FollowTheMoney schema {name!r}")
    return schema


def _writable(schema, name):
    prop = schema.get(name)
    if prop is None or prop.stub:
        raise InvalidData(f"FollowTheMoney's {schema.name} has no property {name!r}")
    return prop


def _accepted(prop, raw):
    """FtM's reading of one value for `prop`, or None where FtM cannot accept it (its type
    cannot read it, or it is longer than the type holds: FtM's own validation)."""
    value = prop.type.clean(raw, format=prop.format)
    return value if value is not None and prop.type.validate(value, format=prop.format) else None


def _possible_e164(value):
    """Whether a phone is written in E.164 and libphonenumber finds it a possible number."""
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_possible_number(parsed) and value == phonenumbers.format_number(
        parsed, phonenumbers.PhoneNumberFormat.E164)


def clean(schema, properties):
    """{property: [value]} of a mention as FtM reads it: empty values and values FtM cannot
    accept left out, duplicates once, properties left without a value dropped. A property
    (or schema) FtM does not know raises InvalidData, whatever its values."""
    schema = _schema(schema)
    cleaned = {}
    for name, values in properties.items():
        prop = _writable(schema, name)
        kept = []
        for raw in values:
            if raw is None or raw == "":
                continue
            value = _accepted(prop, raw)
            if value is None and prop.type is registry.phone and _possible_e164(raw):
                value = raw  # resolution keys on it: see the module's docstring
            if value is not None and value not in kept:
                kept.append(value)
        if kept:
            cleaned[name] = kept
    return cleaned


def mention_id(key):
    return MENTION_PREFIX + key.replace("/", ".")


def mention_key(ftm_id):
    """The mention key an id of `mention_id` stands for, or None if it names no mention."""
    if not ftm_id.startswith(MENTION_PREFIX):
        return None
    rid, dot, n = ftm_id[len(MENTION_PREFIX):].rpartition(".")
    return f"{rid}/{n}" if dot and rid and n.isdigit() else None


def entity_id(entity_row_id):
    return f"{ENTITY_PREFIX}{entity_row_id}"


def proxy_of(entity_or_mention):
    """The followthemoney EntityProxy of a Mention or an Entity row, holding only values FtM
    validates."""
    if isinstance(entity_or_mention, Mention):
        ftm_id = mention_id(entity_or_mention.key)
    elif isinstance(entity_or_mention, Entity):
        if entity_or_mention.merged_into_id is not None:
            raise ValueError(f"entity {entity_or_mention.id} was merged into {entity_or_mention.merged_into_id}")
        ftm_id = entity_id(entity_or_mention.id)
    else:
        raise TypeError(f"no FollowTheMoney entity for {entity_or_mention!r}")
    return make_proxy(entity_or_mention.schema, ftm_id, entity_or_mention.properties)


def make_proxy(schema, ftm_id, properties):
    """An EntityProxy of `schema` with the values of `properties` FtM validates."""
    proxy = model.make_entity(_schema(schema))
    proxy.id = ftm_id
    for name, values in (properties or {}).items():
        prop = _writable(proxy.schema, name)
        proxy.add(prop, [value for value in (_accepted(prop, raw) for raw in values if raw) if value], cleaned=True)
    return proxy


def seen_proxy(mentions):
    """One reader's view of an entity as one FtM entity: the proxies of the mentions they may
    see merged (never the entity row, which holds every mention's values), with the id of the
    first of them."""
    first, *others = [proxy_of(mention) for mention in mentions]
    for other in others:
        first.merge(other)
    first.id = mention_id(mentions[0].key)
    return first
