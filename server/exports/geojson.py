"""GeoJSON (RFC 7946) for QGIS, ArcGIS and web maps: a point where a record was made, and a line
from country to country along its route. Written feature by feature as the records come."""
import json
from datetime import datetime, timezone
from decimal import Decimal
from functools import cache
from pathlib import Path

CENTROIDS_FILE = Path(__file__).with_name("data") / "country_centroids.json"
PROPERTIES = ("rid", "form", "date", "agency", "country", "handling", "place", "province", "species", "quantity_kg")
# An officer may list the stops in any order; the line is drawn origin first, destination last.
ROLE_ORDER = {"origin": 0, "transit": 1, "destination": 2}
DECIMALS = 6  # about 10 cm: finer than any phone's fix, coarse enough to keep the file small


@cache
def centroids():
    """ISO-2 code -> (longitude, latitude) of the country's approximate centre."""
    data = json.loads(CENTROIDS_FILE.read_text(encoding="utf-8"))
    return {code: (lon, lat) for code, (lon, lat) in data["centroids"].items()}


def _position(longitude, latitude):
    """[lon, lat] rounded, or None when the pair is not a place on Earth (missing, not a number,
    NaN or out of range: a swapped or mistyped pair must not end up on the map)."""
    if isinstance(longitude, bool) or isinstance(latitude, bool):
        return None
    try:
        lon, lat = float(longitude), float(latitude)
    except (TypeError, ValueError):
        return None
    # Comparisons with NaN are false, so NaN fails here as well.
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    return [round(lon, DECIMALS), round(lat, DECIMALS)]


def _code(value):
    return str(value).strip().upper() if value else None


def _route(record, own):
    """(countries, positions, approximate) along the record's route, or None when the route
    does not leave one country or fewer than two vertices can be placed."""
    stops = sorted(record.get("route") or (), key=lambda stop: ROLE_ORDER.get(stop.get("role"), 1))
    countries = []
    for stop in stops:
        code = _code(stop.get("country"))
        # "VN, VN" (seized at the border of the country it came from) is one stop, not a leg.
        if code and (not countries or countries[-1] != code):
            countries.append(code)
    if len(set(countries)) < 2:
        return None
    here = _code(record.get("country"))
    known = centroids()
    positions, approximate = [], False
    for code in countries:
        if code == here and own:
            position = own
        elif code in known:
            position, approximate = list(known[code]), True
        else:
            approximate = True
            continue
        if not positions or positions[-1] != position:
            positions.append(position)
    if len(positions) < 2:
        return None
    return countries, positions, approximate


def _cut_at_antimeridian(positions):
    """The route as one or more lines (RFC 7946 §3.1.9). Each leg goes the shorter way round the
    globe, as a crossing of the Pacific does (Mexico to China): where that way crosses 180°, the
    line is cut there, so that no map draws it the long way round through Europe."""
    parts, part = [], [positions[0]]
    for (lon0, lat0), (lon1, lat1) in zip(positions, positions[1:]):
        if abs(lon1 - lon0) > 180:
            east = lon1 < lon0  # eastwards across 180°, into negative longitudes
            edge = 180 if east else -180
            unwrapped = lon1 + (360 if east else -360)
            lat = round(lat0 + (lat1 - lat0) * (edge - lon0) / (unwrapped - lon0), DECIMALS)
            part.append([edge, lat])
            parts.append(part)
            part = [[-edge, lat]]
        part.append([lon1, lat1])
    parts.append(part)
    return parts


def _line(positions):
    parts = _cut_at_antimeridian(positions)
    if len(parts) == 1:
        return {"type": "LineString", "coordinates": parts[0]}
    return {"type": "MultiLineString", "coordinates": parts}


def _value(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _properties(record, kind):
    properties = {name: _value(record.get(name)) for name in PROPERTIES}
    properties["geometry_kind"] = kind
    return properties


def _json(value):
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _dump(value):
    # ensure_ascii=False: Lao and Han stay readable in the file (it is UTF-8, as RFC 7946 requires).
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json)


def write_geojson(out, records, *, handling):
    """Write one FeatureCollection to `out` (a UTF-8 text file): a Point per record that has a
    valid latitude/longitude, a LineString per record whose route crosses a border (vertices:
    the countries' centroids, or the record's own point for the country it was made in;
    "approximate" when any vertex is a centroid or was left out for want of one; cut into a
    MultiLineString where it crosses 180°). The collection
    carries "wildledger": {"handling", "generated_at"}, a foreign member as RFC 7946 allows.

    Returns {"points", "routes", "skipped"}; skipped counts the records that gave neither."""
    counts = {"points": 0, "routes": 0, "skipped": 0}
    header = {"type": "FeatureCollection",
              "wildledger": {"handling": handling,
                             "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}}
    # The header is written by hand around the features so that they never have to be held at once.
    out.write(_dump(header)[:-1] + ',"features":[')
    first = True

    def feature(geometry, properties):
        nonlocal first
        out.write(("\n" if first else ",\n") + _dump({"type": "Feature", "geometry": geometry,
                                                       "properties": properties}))
        first = False

    for record in records:
        own = _position(record.get("longitude"), record.get("latitude"))
        if own:
            feature({"type": "Point", "coordinates": own}, _properties(record, "seizure point"))
            counts["points"] += 1
        route = _route(record, own)
        if route:
            countries, positions, approximate = route
            properties = _properties(record, "route")
            properties["route_countries"] = countries
            properties["approximate"] = approximate
            feature(_line(positions), properties)
            counts["routes"] += 1
        if not own and not route:
            counts["skipped"] += 1
    out.write("\n]}\n")
    return counts
