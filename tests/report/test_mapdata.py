"""The compact layer data of map.html: geometries and popup columns survive the round trip.

:func:`decode_geometries` and :func:`decode_column` mirror ``plGeoms`` and ``plCol`` of
``planner/report/_assets/map.js`` (the browser tests in ``test_webmap.py`` check that the
page itself draws the same).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from planner.report._leaflet import (
    cell,
    column,
    encode_geometries,
    simplify_metric,
    varints,
)


def page_layers(page: str) -> list[tuple[dict, dict]]:
    """The (data, spec) of every ``plLayer`` call in a written map.html."""
    out, decoder, at = [], json.JSONDecoder(), 0
    while (at := page.find("= plLayer(", at)) >= 0:
        data, end = decoder.raw_decode(page, at + len("= plLayer("))
        end = page.index(",", end) + 1
        while page[end].isspace():
            end += 1
        spec, at = decoder.raw_decode(page, end)
        out.append((data, spec))
    return out


def decode_ints(text: str) -> list[int]:
    """The integers of ``plInts`` text."""
    out, z, shift = [], 0, 0
    for ch in text:
        b = ord(ch) - 63
        z |= (b & 31) << shift
        if b & 32:
            shift += 5
            continue
        out.append(-((z + 1) // 2) if z % 2 else z // 2)
        z, shift = 0, 0
    return out


def decode_geometries(g: dict) -> list[shapely.Geometry]:
    """The geometries of ``plGeoms`` data (as the browser decodes them)."""
    g = {**g, **{k: decode_ints(g[k]) for k in ("c", "n", "f", "r") if k in g}}
    steps = np.asarray(g["c"], dtype=np.int64).reshape(-1, 2)
    xy = np.cumsum(steps, axis=0) / g["s"]
    at = {"c": 0, "n": 0, "r": 0, "p": 0}

    def take(key: str, values: list | None = None) -> int:
        at[key] += 1
        return 1 if values is None else values[at[key] - 1]

    def run(closed: bool) -> list:
        k = take("n", g["n"])
        pts = [tuple(p) for p in xy[at["c"]:at["c"] + k]]
        at["c"] += k
        return pts + pts[:1] if closed else pts

    def part() -> shapely.Geometry:
        t = g["t"] if len(g["t"]) == 1 else g["t"][at["p"]]
        at["p"] += 1
        if t == "P":
            at["c"] += 1
            return shapely.Point(xy[at["c"] - 1])
        if t == "L":
            return shapely.LineString(run(False))
        rings = [run(True) for _ in range(take("r", g.get("r")))]
        return shapely.Polygon(rings[0], rings[1:])

    out = []
    for i in range(g["m"]):
        parts = [part() for _ in range(g["f"][i] if "f" in g else 1)]
        if len(parts) == 1:
            out.append(parts[0])
        elif len({p.geom_type for p in parts}) == 1:
            out.append(getattr(shapely, "Multi" + parts[0].geom_type)(parts))
        else:
            out.append(shapely.GeometryCollection(parts))
    assert at["c"] == len(xy) and at["n"] == len(g["n"])
    return out


def decode_column(col: object, n: int) -> list:
    """The values of one ``plCol`` column."""
    if isinstance(col, list):
        return col
    if "q" in col:
        return np.cumsum(decode_ints(col["q"])).tolist()
    if "x" in col:
        out = [None] * n
        for i, v in zip(np.cumsum(decode_ints(col["x"])), col["d"], strict=True):
            out[i] = v
        return out
    return [col["d"][c] for c in decode_ints(col["i"])] if "i" in col else col["d"] * n


def test_geometries_round_trip():
    hole = shapely.Polygon([(0, 0), (0.01, 0), (0.01, 0.01), (0, 0.01)],
                           [[(0.002, 0.002), (0.004, 0.002), (0.004, 0.004)]])
    geoms = np.array([
        shapely.Point(120.123456, 32.1),
        shapely.LineString([(120.1, 32.1), (120.2, 32.15), (120.25, 32.1)]),
        shapely.affinity.translate(hole, 120, 32),
        shapely.MultiPolygon([shapely.box(120, 32, 120.01, 32.01),
                              shapely.affinity.translate(hole, 120.5, 32)]),
        shapely.MultiLineString([[(120, 32), (120.1, 32)], [(121, 33), (121.1, 33.2)]]),
        shapely.GeometryCollection([shapely.Point(120, 32),
                                    shapely.LineString([(120, 32), (120.3, 32.3)])]),
        shapely.MultiPoint([(120, 32), (120.00001, 32.00002)]),
    ], dtype=object)
    data = encode_geometries(geoms)
    assert data["s"] == 10**5 and decode_ints(data["f"]) == [1, 1, 1, 2, 2, 2, 2]
    assert decode_ints(data["r"]) == [2, 1, 2]  # one per area unless it has holes
    back = decode_geometries(json.loads(json.dumps(data)))
    for a, b in zip(geoms, back, strict=True):
        assert a.geom_type == b.geom_type
        assert shapely.equals_exact(shapely.normalize(a), shapely.normalize(b), 1e-5 / 2 + 1e-12)
    points = np.array([shapely.Point(120.1234567, 32.7654321), shapely.Point(-3.5, -0.25)])
    data = encode_geometries(points)
    assert data["s"] == 10**6 and data["t"] == "P" and "f" not in data and data["n"] == ""
    back = decode_geometries(data)
    assert [(p.x, p.y) for p in back] == [(120.123457, 32.765432), (-3.5, -0.25)]


def test_varints():
    values = [0, 1, -1, 15, 16, -16, -17, 511, 512, 2**40, -(2**40), 120_123_456]
    text = varints(values)
    assert decode_ints(text) == values
    assert set(text) <= {chr(c) for c in range(63, 127)}
    assert len(varints([15, -16])) == 2 and len(varints([16, 511])) == 4
    # Google's own example: -179.9832104 (1e5) -> `~oia@`
    assert varints([-17998321]) == "`~oia@"
    assert varints([]) == ""


def test_simplification_is_metric():
    # zig-zags of 0.4 m go, a 3 m bend stays; an area it would collapse keeps its outline
    lat = 32.0
    m = 1 / 111_320  # degrees of latitude in a metre
    line = shapely.LineString([(120 + i * 10 * m, lat + (0.4 * m if i % 2 else 0))
                               for i in range(20)] + [(120.003, lat + 3 * m)])
    tiny = shapely.box(120.0, lat, 120.0 + 0.5 * m, lat + 0.5 * m)
    point = shapely.Point(120.5, 32.5)
    utm = pyproj.CRS("EPSG:32651")
    out = simplify_metric(np.array([line, tiny, point], dtype=object), 1.0, crs=utm)
    assert shapely.get_num_coordinates(out[0]) == 3
    assert shapely.equals_exact(out[1], tiny, 1e-9) and out[2] is point
    assert out[0].hausdorff_distance(line) < 1.0 * m * 1.2


@pytest.mark.parametrize("values", [
    ["甲镇", "乙镇", "甲镇", None, "甲镇", "甲镇"],  # dictionary
    [f"W{i:06d}" for i in range(50)],  # plain
    [None] * 40 + ["东河", "西塘"],  # sparse
    ["是"] * 7,  # constant
    [np.nan] * 3,
    [1, 2, 3, np.nan, 1.25, True, False, 1e7, "", float("inf")],
    list(range(1, 30)) + [-5, 12],  # whole numbers
    [f"T{i % 20}" for i in range(200)],  # dictionary, codes of two characters
])
def test_columns_round_trip(values):
    n = len(values)
    shown = [int(v) if isinstance(v, int) and not isinstance(v, bool) else cell(v)
             for v in values]
    col = column(pd.Series(values, dtype=object))
    assert decode_column(json.loads(json.dumps(col)), n) == shown
    if n == 42:
        assert set(col) == {"d", "x"}
    if n == 31:
        assert set(col) == {"q"}
    if n in (6, 200):
        assert set(col) == {"d", "i"}
    if n == 7:
        assert col == {"d": ["是"]}


def test_simplification_needs_a_metric_crs():
    from planner._errors import CRSError

    line = shapely.LineString([(120.0, 32.0), (120.01, 32.01)])
    with pytest.raises(CRSError, match="display simplification"):
        simplify_metric(np.array([line], dtype=object), 1.0, crs=pyproj.CRS("EPSG:4326"))
