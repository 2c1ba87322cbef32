"""GeoJSON export (issue 19): a FeatureCollection QGIS opens, points in range, routes drawn
through country centroids and marked approximate, written as the records come."""
import io
import json
import math
from datetime import date

from server.exports.geojson import CENTROIDS_FILE, PROPERTIES, centroids, write_geojson

COUNTRIES_FILE = CENTROIDS_FILE.parents[2] / "reference" / "data" / "codes" / "countries.json"


def _record(rid, **changes):
    return {"rid": rid, "form": "seizure", "date": date(2026, 3, 14), "agency": "LA-DOFI-BK", "country": "LA",
            "handling": "national", "place": "ບ້ານຕົ້ນເຜິ້ງ", "province": "ບໍ່ແກ້ວ", "latitude": 20.2751234567,
            "longitude": 100.0891234567, "route": [], "species": ["Manis javanica"], "quantity_kg": 12.5,
            **changes}


def _write(records, handling="national"):
    out = io.StringIO()
    counts = write_geojson(out, records, handling=handling)
    return counts, out.getvalue(), json.loads(out.getvalue())


def _is_position(position):
    return (isinstance(position, list) and len(position) == 2
            and all(isinstance(n, (int, float)) and not isinstance(n, bool) and math.isfinite(n) for n in position)
            and -180 <= position[0] <= 180 and -90 <= position[1] <= 90)


def _check_collection(collection):
    assert collection["type"] == "FeatureCollection"
    for feature in collection["features"]:
        assert feature["type"] == "Feature"
        geometry, properties = feature["geometry"], feature["properties"]
        assert set(PROPERTIES) | {"geometry_kind"} <= set(properties)
        if geometry["type"] == "Point":
            assert _is_position(geometry["coordinates"])
            assert properties["geometry_kind"] == "seizure point"
        else:
            lines = [geometry["coordinates"]] if geometry["type"] == "LineString" else geometry["coordinates"]
            assert geometry["type"] in ("LineString", "MultiLineString")
            for line in lines:
                assert len(line) >= 2
                assert all(_is_position(position) for position in line)
                # No leg the long way round: a line crossing 180° is cut there (RFC 7946 §3.1.9).
                assert all(abs(b[0] - a[0]) <= 180 for a, b in zip(line, line[1:]))
            assert properties["geometry_kind"] == "route"
            assert isinstance(properties["approximate"], bool)


def _features(collection, rid):
    return {f["geometry"]["type"]: f for f in collection["features"] if f["properties"]["rid"] == rid}


def test_points_routes_and_properties():
    records = [
        # Seized in Laos on the way from Nigeria to Viet Nam: a point, and a line through it.
        _record("r-through", route=[{"role": "origin", "country": "NG"}, {"role": "transit", "country": "LA"},
                                    {"role": "destination", "country": "VN"}]),
        # Stops listed destination first: the line still runs from the origin.
        _record("r-unordered", latitude=None, longitude=None, country="VN",
                route=[{"role": "destination", "country": "CN"}, {"role": "origin", "country": "VN"}]),
        _record("r-at-home", route=[{"role": "origin", "country": "LA"}, {"role": "destination", "country": "la"}]),
        _record("r-nowhere", latitude=None, longitude=None),
    ]
    counts, _, collection = _write(records, handling="agency")
    _check_collection(collection)
    assert collection["wildledger"]["handling"] == "agency"
    assert collection["wildledger"]["generated_at"]
    kinds = [f["geometry"]["type"] for f in collection["features"]]
    assert counts == {"points": kinds.count("Point"), "routes": kinds.count("LineString"), "skipped": 1}
    assert counts["points"] == 2 and counts["routes"] == 2

    through = _features(collection, "r-through")
    point = through["Point"]
    assert point["geometry"]["coordinates"] == [100.089123, 20.275123]
    assert point["properties"]["date"] == "2026-03-14"
    assert point["properties"]["species"] == ["Manis javanica"]
    assert point["properties"]["quantity_kg"] == 12.5
    line = through["LineString"]
    assert line["properties"]["route_countries"] == ["NG", "LA", "VN"]
    assert line["geometry"]["coordinates"] == [list(centroids()["NG"]), point["geometry"]["coordinates"],
                                               list(centroids()["VN"])]
    assert line["properties"]["approximate"] is True

    unordered = _features(collection, "r-unordered")
    assert set(unordered) == {"LineString"}
    assert unordered["LineString"]["properties"]["route_countries"] == ["VN", "CN"]
    assert unordered["LineString"]["geometry"]["coordinates"] == [list(centroids()["VN"]), list(centroids()["CN"])]

    assert set(_features(collection, "r-at-home")) == {"Point"}  # a route within one country is no line
    assert not _features(collection, "r-nowhere")


def test_out_of_range_coordinates_are_not_drawn():
    records = [_record("r-lat", latitude=120.0, longitude=100.0),
               _record("r-lon", latitude=20.0, longitude=-180.5),
               _record("r-nan", latitude=float("nan"), longitude=100.0),
               _record("r-text", latitude="north", longitude=100.0),
               # Its own point is wrong, but its route is not: the line uses Laos's centroid instead.
               _record("r-route", latitude=-91.0, longitude=100.0,
                       route=[{"role": "origin", "country": "LA"}, {"role": "destination", "country": "TH"}])]
    counts, _, collection = _write(records)
    _check_collection(collection)
    assert counts == {"points": 0, "routes": 1, "skipped": 4}
    (line,) = collection["features"]
    assert line["properties"]["rid"] == "r-route"
    assert line["geometry"]["coordinates"] == [list(centroids()["LA"]), list(centroids()["TH"])]


def test_a_country_without_a_centroid_is_left_out_and_marked():
    records = [_record("r-gap", route=[{"role": "origin", "country": "XX"}, {"role": "transit", "country": "VN"},
                                       {"role": "destination", "country": "CN"}], latitude=None, longitude=None),
               _record("r-short", route=[{"role": "origin", "country": "XX"}, {"role": "destination", "country": "VN"}],
                       latitude=None, longitude=None)]
    counts, _, collection = _write(records)
    _check_collection(collection)
    assert counts == {"points": 0, "routes": 1, "skipped": 1}
    (line,) = collection["features"]
    assert line["properties"]["route_countries"] == ["XX", "VN", "CN"]
    assert len(line["geometry"]["coordinates"]) == 2
    assert line["properties"]["approximate"] is True


def test_lao_and_han_are_written_as_text():
    records = [_record("r-cn", country="CN", agency="CN-HG-DX", place="东兴口岸", province="广西",
                       route=[{"role": "origin", "country": "LA"}, {"role": "destination", "country": "CN"}]),
               _record("r-la")]
    _, text, collection = _write(records)
    assert "东兴口岸" in text and "ບ້ານຕົ້ນເຜິ້ງ" in text  # not \u escapes: readable in any editor
    places = {f["properties"]["place"] for f in collection["features"]}
    assert places == {"东兴口岸", "ບ້ານຕົ້ນເຜິ້ງ"}
    assert {f["properties"]["province"] for f in collection["features"]} == {"广西", "ບໍ່ແກ້ວ"}


def test_every_country_has_a_centroid_in_range():
    codes = {item["key"] for item in json.loads(COUNTRIES_FILE.read_text(encoding="utf-8"))["items"]}
    data = json.loads(CENTROIDS_FILE.read_text(encoding="utf-8"))
    assert "approximate" in data["source"].lower() and "by hand" in data["source"]
    assert codes <= set(centroids())
    assert all(_is_position(list(position)) for position in centroids().values())


class _Sink:
    """A text file that remembers how much was written, to see features leave before the end."""

    def __init__(self):
        self.parts = []

    def write(self, text):
        self.parts.append(text)
        return len(text)


def test_twenty_thousand_records_are_streamed():
    sink = _Sink()
    n = 20_000

    def records():
        for i in range(n):
            if i and i % 1000 == 0:
                # Features of the records already given have been written: nothing waits for the end.
                assert sum(part.count('"type":"Feature",') for part in sink.parts) == i
            kind = i % 4
            yield _record(f"r-{i}", latitude=None if kind in (1, 3) else 10 + (i % 50) * 0.5,
                          longitude=None if kind in (1, 3) else 100 + (i % 30) * 0.25,
                          route=[{"role": "origin", "country": "MY"}, {"role": "destination", "country": "LA"}]
                          if kind in (1, 2) else [])

    counts = write_geojson(sink, records(), handling=None)
    assert counts == {"points": n // 2, "routes": n // 2, "skipped": n // 4}
    collection = json.loads("".join(sink.parts))
    assert len(collection["features"]) == n
    assert collection["wildledger"]["handling"] is None
    _check_collection(collection)


def test_a_route_across_the_pacific_is_cut_at_180_degrees():
    # Totoaba maw from Mexico through the United States to China: the shorter way crosses the
    # Pacific, so the line is cut at the antimeridian into two parts that meet there.
    records = [_record("r-pacific", latitude=None, longitude=None, country="CN",
                       route=[{"role": "origin", "country": "MX"}, {"role": "transit", "country": "US"},
                              {"role": "destination", "country": "CN"}])]
    counts, _, collection = _write(records)
    _check_collection(collection)
    geometry = _features(collection, "r-pacific")["MultiLineString"]["geometry"]
    americas, asia = geometry["coordinates"]
    assert americas[:2] == [list(centroids()["MX"]), list(centroids()["US"])]
    assert americas[-1][0] == -180 and asia[0][0] == 180 and americas[-1][1] == asia[0][1]
    assert asia[-1] == list(centroids()["CN"])
    us, cn = centroids()["US"], centroids()["CN"]
    assert min(us[1], cn[1]) <= asia[0][1] <= max(us[1], cn[1])
    assert counts["routes"] == 1
