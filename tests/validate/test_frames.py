"""Validation: per-row datums, swapped coordinates, invalid and empty geometry."""

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.geo.datum import wgs84_to_bd09, wgs84_to_gcj02
from planner.records.ledger import Ledger
from planner.settings import LayerSpec
from planner.validate.frames import clean_geometries, nonnegative_ints, points_from_table


def _table(rows):
    frame = pd.DataFrame(rows, columns=["x", "y", "datum"]).astype(str)
    frame.insert(0, "_row", range(2, len(frame) + 2))
    return frame


def _spec(tmp_path, **kw):
    return LayerSpec(name="facilities", path=tmp_path / "f.csv", x="x", y="y", **kw)


def test_per_row_datums_are_converted(tmp_path):
    lon, lat = 120.55, 32.35
    g = wgs84_to_gcj02(lon, lat)
    b = wgs84_to_bd09(lon, lat)
    frame = _table([[g[0], g[1], "GCJ-02"], [b[0], b[1], "BD-09"], [lon, lat, "WGS84"],
                    [g[0], g[1], ""]])
    ledger = Ledger()
    ledger.read("facilities", "f.csv", len(frame))
    out = points_from_table(frame, _spec(tmp_path, datum="gcj02", datum_column="datum"), ledger)
    xy = shapely.get_coordinates(out.geometry.to_numpy())
    assert np.abs(xy - [lon, lat]).max() < 1e-7  # about 1 cm
    assert out["_datum"].tolist() == ["gcj02", "bd09", "wgs84", "gcj02"]


def test_swapped_coordinates_are_swapped_back_with_a_note(tmp_path):
    frame = _table([[32.35, 120.55, "WGS84"]])
    ledger = Ledger()
    ledger.read("facilities", "f.csv", 1)
    out = points_from_table(frame, _spec(tmp_path, datum="wgs84"), ledger)
    assert out.geometry.x.iloc[0] == 120.55
    assert "swapped" in ledger.repairs[0]["note"]


def test_bad_coordinates_and_unknown_datum_rejected_with_row(tmp_path):
    frame = _table([["", "32.3", "WGS84"], ["120.5", "32.3", "Xian80"], ["10", "10", "WGS84"]])
    ledger = Ledger()
    ledger.read("facilities", "f.csv", 3)
    out = points_from_table(frame, _spec(tmp_path, datum="wgs84", datum_column="datum"), ledger)
    assert out.empty
    assert [r["row"] for r in ledger.rejected] == [2, 3, 4]
    assert "unknown datum" in ledger.rejected[1]["reason"]


def test_self_intersecting_polygon_repaired_and_empty_rejected(tmp_path):
    bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    square = shapely.box(0, 0, 1, 1)
    frame = gpd.GeoDataFrame({"_row": [1, 2, 3]}, geometry=[bowtie, square, None])
    spec = LayerSpec(name="villages", path=tmp_path / "v.shp")
    ledger = Ledger()
    ledger.read("villages", "v.shp", 3)
    out = clean_geometries(frame, spec, ledger, kind="polygon")
    assert out["_row"].tolist() == [1, 2]
    assert out.geometry.is_valid.all()
    assert "Self-intersection" in ledger.repairs[0]["note"]
    assert ledger.rejected[0]["row"] == 3


def test_wrong_geometry_type_rejected(tmp_path):
    frame = gpd.GeoDataFrame({"_row": [1]}, geometry=[shapely.Point(0, 0)])
    ledger = Ledger()
    ledger.read("towns", "t", 1)
    out = clean_geometries(frame, LayerSpec(name="towns", path=tmp_path / "t"), ledger,
                           kind="polygon")
    assert out.empty and "not a polygon" in ledger.rejected[0]["reason"]


def test_counts_must_be_whole_nonnegative(tmp_path):
    frame = pd.DataFrame({"_row": [2, 3, 4, 5], "n": ["3", "-1", "2.5", "x"]})
    ledger = Ledger()
    ledger.read("children", "c.csv", 4)
    out = nonnegative_ints(frame, ["n"], LayerSpec(name="children", path=tmp_path / "c.csv"),
                           ledger)
    assert out["n"].tolist() == [3]
    assert [r["row"] for r in ledger.rejected] == [3, 4, 5]
