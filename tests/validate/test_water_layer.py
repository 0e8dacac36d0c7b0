"""Water and kit layers as inputs: classification, normalisation, banks and segments.

Classification and segmentation are checked against plain per-row Python on small inputs.
"""

from __future__ import annotations

import itertools
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import CRS

from planner._errors import CRSError, InputFileError
from planner.glossary import KIT_ITEMS, WATER_TYPES
from planner.validate.water_layer import (
    LAKE_MIN_M2,
    bank_points,
    banks,
    classify_osm,
    normalise_kits,
    normalise_water,
    split_banks,
    water_type_codes,
)

UTM = CRS.from_epsg(32651)
X0, Y0 = 250_000.0, 3_580_000.0


def _gdf(geoms, crs=UTM, **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(cols, geometry=list(geoms), crs=crs)


# -- classification -------------------------------------------------------------------------

def test_classify_osm_tags() -> None:
    tags = pd.DataFrame({
        "natural": ["water", "water", "water", None, None, None, "water", None, "wood"],
        "water": ["pond", "lake", None, None, None, None, "river", None, None],
        "waterway": [None, None, None, "canal", "drain", "stream", None, None, None],
        "landuse": [None, None, None, None, None, None, None, "reservoir", None],
    })
    assert list(classify_osm(tags)) == ["pond", "lake", "pond", "canal", "ditch", "ditch",
                                        "river", "reservoir", "other"]
    assert list(classify_osm(pd.DataFrame({"waterway": ["river"]}))) == ["river"]


#: what a mapper writes -> the type it means, per key (a few per table, written out by hand)
_MEANS = {
    "waterway": {"river": "river", "canal": "canal", "stream": "ditch", "drain": "ditch",
                 "brook": "ditch", "tidal_channel": "river"},
    "water": {"pond": "pond", "fishpond": "pond", "lake": "lake", "reservoir": "reservoir",
              "river": "river", "moat": "canal", "sea": "coast"},
    "landuse": {"reservoir": "reservoir", "basin": "pond", "aquaculture": "pond",
                "construction": "other"},
    "natural": {"coastline": "coast", "bay": "coast"},
}


def _classify_by_hand(row: dict, area: float) -> str:
    """waterway wins over water over landuse over natural; bare natural=water by area."""
    for key in ("waterway", "water", "landuse", "natural"):
        value = str(row.get(key) or "").strip().lower()
        if value in _MEANS[key]:
            return _MEANS[key][value]
    if str(row.get("natural") or "").strip().lower() == "water":
        return "lake" if area >= LAKE_MIN_M2 else "pond"
    return "other"


_tag = {key: st.one_of(st.none(), st.sampled_from(sorted(values)),
                       st.sampled_from(["water", "wood", "yes", "", " River ", "LAKE"]))
        for key, values in _MEANS.items()}


@settings(max_examples=50, deadline=None)
@given(rows=st.lists(st.fixed_dictionaries(_tag), min_size=1, max_size=12),
       areas=st.lists(st.sampled_from([0.0, 1.0, LAKE_MIN_M2 - 1, LAKE_MIN_M2, 1e7]),
                      min_size=12, max_size=12))
def test_classify_osm_equals_per_row_rules(rows, areas):
    tags = pd.DataFrame(rows, columns=list(_MEANS))
    area = np.array(areas[: len(rows)])
    assert list(classify_osm(tags, area_m2=area)) == [
        _classify_by_hand(r, a) for r, a in zip(rows, area, strict=True)]
    # without areas every bare natural=water is a pond
    assert list(classify_osm(tags)) == [_classify_by_hand(r, 0.0) for r in rows]


def test_type_codes_accept_labels_and_reject_unknown() -> None:
    codes = water_type_codes(pd.Series(["坑塘", "沟渠", "明渠/运河", "Pond", "水库", None]),
                             source="w.csv")
    assert list(codes) == ["pond", "ditch", "canal", "pond", "reservoir", "other"]
    assert list(water_type_codes(pd.Series(["海岸/近岸海域", "滩涂"]), source="w.csv")) == [
        "coast", "coast"]
    with pytest.raises(InputFileError, match=r"w.csv row 2: unknown water type '温泉'"):
        water_type_codes(pd.Series(["河流", "温泉"]), source="w.csv")


def test_every_code_and_label_of_the_glossary_is_its_own_type() -> None:
    codes = list(WATER_TYPES)
    labels = list(WATER_TYPES.values())
    assert list(water_type_codes(pd.Series(codes), source="w")) == codes
    assert list(water_type_codes(pd.Series(labels), source="w")) == codes
    assert list(water_type_codes(pd.Series([f"  {c.upper()} " for c in codes]),
                                 source="w")) == codes


# -- normalisation --------------------------------------------------------------------------

def test_normalise_water_layer() -> None:
    poly = shapely.box(0, 0, 10, 10)
    line = shapely.LineString([(0, 0), (100, 0)])
    out = normalise_water(_gdf([poly, line], type=["坑塘", "river"]))
    assert list(out.columns) == ["water_id", "name", "type", "type_label", "geometry"]
    assert list(out["type_label"]) == ["坑塘", "河流"] and out["water_id"].iat[0] == "W000001"
    osm = normalise_water(_gdf([poly, line], natural=["water", None],
                               waterway=[None, "ditch"]))
    assert list(osm["type"]) == ["pond", "ditch"]
    with pytest.raises(InputFileError, match="row 2: water geometry must be a polygon or line"):
        normalise_water(_gdf([poly, shapely.Point(0, 0)], type=["pond", "pond"]))
    with pytest.raises(InputFileError, match="neither a 'type' column nor OSM tags"):
        normalise_water(_gdf([poly]))


def test_normalise_water_keeps_ids_names_and_geometry() -> None:
    geoms = [shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(2, 2, 3, 3)]),
             shapely.MultiLineString([[(0, 0), (5, 0)], [(6, 0), (9, 0)]]),
             shapely.box(10, 10, 20, 20)]
    water = _gdf(geoms, water_id=[7, "H-2", "x"], name=["东塘", None, "河"],
                 type=["pond", "沟渠", "湖泊"])
    water.index = [30, 10, 20]                          # any index in, 0..n-1 out
    out = normalise_water(water, source="water.gpkg")
    assert list(out["water_id"]) == ["7", "H-2", "x"]
    assert list(out["name"]) == ["东塘", "", "河"]
    assert list(out["type"]) == ["pond", "ditch", "lake"]
    assert list(out.index) == [0, 1, 2] and out.crs == UTM
    assert all(a.equals(b) for a, b in zip(out.geometry, geoms, strict=True))


@pytest.mark.parametrize("geom", [shapely.Polygon(), None])
def test_normalise_water_rejects_empty_geometry(geom) -> None:
    with pytest.raises(InputFileError, match="water.gpkg row 2: .*polygon or line, got"):
        normalise_water(_gdf([shapely.box(0, 0, 1, 1), geom], type=["pond", "pond"]),
                        source="water.gpkg")


def test_normalise_water_needs_a_crs() -> None:
    with pytest.raises(InputFileError, match="water.gpkg has no CRS"):
        normalise_water(_gdf([shapely.box(0, 0, 1, 1)], crs=None, type=["pond"]),
                        source="water.gpkg")


def test_normalise_kits() -> None:
    pts = [shapely.Point(0, 0), shapely.Point(1, 1)]
    k = normalise_kits(_gdf(pts, has_sign=["是", "1"], has_lifebuoy=["否", "true"],
                            has_rope=[1, 1], has_pole=["yes", "有"],
                            last_inspected=["2025-05-01", None]))
    assert list(k["complete"]) == [False, True]
    assert pd.isna(k["last_inspected"].iat[1]) and k["kit_id"].iat[0] == "K000001"
    plain = normalise_kits(_gdf(pts))
    assert plain["complete"].all()
    assert len(normalise_kits(None)) == 0
    with pytest.raises(InputFileError, match="row 1: column 'has_rope' value 'maybe'"):
        normalise_kits(_gdf(pts, has_rope=["maybe", "1"]))


def test_kit_complete_iff_all_four_items_for_every_combination() -> None:
    combos = list(itertools.product([True, False], repeat=len(KIT_ITEMS)))
    spellings = {True: ["1", "是", "TRUE", "1.0", "√"], False: ["0", "否", "no", "", "×"]}
    cols = {item: [spellings[c[i]][j % 5] for j, c in enumerate(combos)]
            for i, item in enumerate(KIT_ITEMS)}
    pts = [shapely.Point(j, 0) for j in range(len(combos))]
    k = normalise_kits(_gdf(pts, **cols))
    for i, item in enumerate(KIT_ITEMS):
        assert k[item].tolist() == [c[i] for c in combos]
    assert k["complete"].tolist() == [all(c) for c in combos]


def test_kit_layer_listing_some_items_lacks_the_others() -> None:
    k = normalise_kits(_gdf([shapely.Point(0, 0)], has_sign=[True], rope_m=["30 m"]))
    assert k[list(KIT_ITEMS)].iloc[0].tolist() == [True, False, False, False]
    assert not k["complete"].iat[0] and math.isnan(k["rope_m"].iat[0])
    with pytest.raises(InputFileError, match="kits.csv row 2: a kit must be a point"):
        normalise_kits(_gdf([shapely.Point(0, 0), shapely.box(0, 0, 1, 1)]), source="kits.csv")
    with pytest.raises(InputFileError, match="kits.csv has no CRS"):
        normalise_kits(_gdf([shapely.Point(0, 0)], crs=None), source="kits.csv")


# -- banks and segments ---------------------------------------------------------------------

def test_banks_and_segments() -> None:
    ring = shapely.box(X0, Y0, X0 + 100, Y0 + 50)  # perimeter 300 m
    multi = shapely.MultiPolygon([shapely.box(X0, Y0 + 500, X0 + 10, Y0 + 510),
                                  shapely.box(X0 + 50, Y0 + 500, X0 + 60, Y0 + 510)])
    line = shapely.LineString([(X0, Y0 + 1000), (X0 + 120, Y0 + 1000)])
    w = normalise_water(_gdf([ring, multi, line], type=["pond", "pond", "ditch"]))
    b = banks(w, crs=UTM)
    assert list(b.water) == [0, 1, 1, 2] and list(b.closed) == [True, True, True, False]
    np.testing.assert_allclose(b.length, [300, 40, 40, 120])
    s = split_banks(b, segment_m=50)
    assert np.bincount(s.bank).tolist() == [6, 1, 1, 3]
    np.testing.assert_allclose(np.bincount(s.bank, weights=s.length), b.length)
    assert (s.length <= 50 + 1e-9).all()
    d = shapely.distance(shapely.points(s.x, s.y), b.geometry[s.bank])
    assert d.max() < 1e-6
    with pytest.raises(CRSError, match="geographic"):
        banks(w, crs="EPSG:4326")


def test_bank_of_a_pond_with_an_island_is_its_outer_shore() -> None:
    pond = shapely.box(X0, Y0, X0 + 100, Y0 + 100).difference(
        shapely.box(X0 + 40, Y0 + 40, X0 + 60, Y0 + 60))
    b = banks(normalise_water(_gdf([pond], type=["pond"])), crs=UTM)
    np.testing.assert_allclose(b.length, [400.0])


def test_banks_measured_in_the_metric_crs() -> None:
    """A layer in WGS-84 gets the bank lengths of the same shapes drawn in metres."""
    shapes = [shapely.box(X0, Y0, X0 + 80, Y0 + 30),
              shapely.LineString([(X0, Y0 + 500), (X0 + 300, Y0 + 900)])]
    wgs = gpd.GeoSeries(shapes, crs=UTM).to_crs("EPSG:4326")
    b = banks(normalise_water(_gdf(wgs, crs="EPSG:4326", type=["pond", "river"])), crs=UTM)
    np.testing.assert_allclose(b.length, [220.0, 500.0], rtol=1e-7)


_bank_shapes = st.lists(st.tuples(st.booleans(), st.floats(1.0, 400.0), st.floats(1.0, 300.0)),
                        min_size=1, max_size=5)


@settings(max_examples=60, deadline=None)
@given(shapes=_bank_shapes, segment_m=st.floats(5.0, 250.0))
def test_segments_equal_a_per_bank_loop(shapes, segment_m):
    geoms = [shapely.box(X0, Y0 + 1000 * i, X0 + w, Y0 + 1000 * i + h) if closed
             else shapely.LineString([(X0, Y0 + 1000 * i), (X0 + w, Y0 + 1000 * i + h)])
             for i, (closed, w, h) in enumerate(shapes)]
    b = banks(normalise_water(_gdf(geoms, type=["pond"] * len(geoms))), crs=UTM)
    s = split_banks(b, segment_m=segment_m)
    i = 0
    for k, line in enumerate(b.geometry):
        n = max(1, math.ceil(line.length / segment_m - 1e-9))
        assert (s.bank[i:i + n] == k).all()
        edges = [line.length * j / n for j in range(n + 1)]
        np.testing.assert_allclose(s.s0[i:i + n], edges[:-1], atol=1e-6)
        np.testing.assert_allclose(s.s1[i:i + n], edges[1:], atol=1e-6)
        assert s.s1[i + n - 1] == line.length           # the last segment ends on the bank's end
        for j in range(n):
            mid = line.interpolate(0.5 * (edges[j] + edges[j + 1]))
            assert math.hypot(mid.x - s.x[i + j], mid.y - s.y[i + j]) < 1e-6
        i += n
    assert i == len(s.bank) and (s.length <= segment_m + 1e-6).all()


def test_segment_length_must_be_positive() -> None:
    b = banks(normalise_water(_gdf([shapely.box(X0, Y0, X0 + 10, Y0 + 10)], type=["pond"])),
              crs=UTM)
    with pytest.raises(InputFileError, match="segment length must be positive"):
        split_banks(b, segment_m=0)


def test_bank_points_wrap_on_rings_and_stop_at_line_ends() -> None:
    ring = shapely.box(X0, Y0, X0 + 100, Y0 + 50)
    line = shapely.LineString([(X0, Y0 + 500), (X0 + 120, Y0 + 500)])
    b = banks(normalise_water(_gdf([ring, line], type=["pond", "ditch"])), crs=UTM)
    which = np.array([0, 0, 1, 1, 1])
    pos = np.array([10.0, 310.0, -5.0, 60.0, 500.0])
    got = shapely.get_coordinates(bank_points(b, which, pos))
    expected = [b.geometry[0].interpolate(10.0), b.geometry[0].interpolate(10.0),
                shapely.Point(X0, Y0 + 500), shapely.Point(X0 + 60, Y0 + 500),
                shapely.Point(X0 + 120, Y0 + 500)]
    np.testing.assert_allclose(got, shapely.get_coordinates(expected), atol=1e-6)
