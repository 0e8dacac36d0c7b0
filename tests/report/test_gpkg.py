"""planner.gpkg as GDAL and QGIS read it: one geometry type per layer, a style with symbols
of that type, a Chinese alias for every field, typed fields and no internal ones."""

from __future__ import annotations

import ctypes
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from planner.report._fields import public, typed
from planner.report._gpkg import WATER_LAYERS, by_geometry_type, field_aliases

#: GDAL's geometry type name -> the symbol a style must draw it with
SYMBOLS = {"Point": "marker", "MultiPoint": "marker", "MultiLineString": "line",
           "MultiPolygon": "fill"}


def test_mixed_geometries_split_by_type_and_promoted_to_multi() -> None:
    square = shapely.box(0, 0, 1, 1)
    line = shapely.LineString([(0, 0), (1, 1)])
    frame = gpd.GeoDataFrame({"water_id": ["a", "b", "c", "d", "e", "f", "g"]}, geometry=[
        square, shapely.MultiPolygon([square, shapely.box(2, 2, 3, 3)]), line,
        shapely.MultiLineString([line, shapely.LineString([(2, 2), (3, 3)])]),
        shapely.Point(5, 5), shapely.GeometryCollection([shapely.box(4, 4, 5, 5), line]),
        None], crs=4326)
    parts = by_geometry_type(frame)
    assert set(parts) == {"polygon", "line", "point"}
    assert list(parts["polygon"]["water_id"]) == ["a", "b", "f"]
    assert set(parts["polygon"].geom_type) == {"MultiPolygon"}
    assert list(parts["line"]["water_id"]) == ["c", "d", "f"]
    assert set(parts["line"].geom_type) == {"MultiLineString"}
    assert list(parts["point"].geom_type) == ["Point"]  # single points stay points
    assert parts["polygon"].geometry.iloc[1].equals(frame.geometry.iloc[1])
    assert set(WATER_LAYERS) == set(parts)


def test_a_layer_keeps_its_own_geometry_type() -> None:
    from planner.report._gpkg import fit_layer

    square, line = shapely.box(0, 0, 1, 1), shapely.LineString([(0, 0), (1, 1)])
    towns = gpd.GeoDataFrame({"town_code": ["1", "2"]}, geometry=[
        square, shapely.GeometryCollection([shapely.box(2, 2, 3, 3), line])], crs=4326)
    fitted = fit_layer(towns)  # a repaired town with a stray line: the polygon stays
    assert list(fitted.geom_type) == ["MultiPolygon", "MultiPolygon"]
    assert list(fitted["town_code"]) == ["1", "2"]


def test_codes_as_text_counts_as_integers_and_no_internal_fields() -> None:
    frame = pd.DataFrame({"town_code": [320682001.0, np.nan], "water_id": [1, 2],
                          "children": [12.0, np.nan], "built_care_point": [3.0, 4.0],
                          "pct_care_point": [100.0, 50.0], "children_500": [3.5, 2.0],
                          "rank": [1.0, 2.0], "_row": [1, 2], "name": ["甲", "乙"]})
    out = public(typed(frame))
    assert out["town_code"].iloc[0] == "320682001" and out["town_code"].isna().iloc[1]
    assert list(out["water_id"]) == ["1", "2"]
    assert str(out["children"].dtype) == "Int64" and out["children"].isna().tolist() == \
        [False, True]
    assert str(out["built_care_point"].dtype) == "Int64"
    assert out["pct_care_point"].dtype == float  # a rate stays a rate
    assert out["children_500"].dtype == float  # a count that is not whole stays as it is
    assert "_row" not in out.columns
    names = frame[["name", "pct_care_point"]]
    assert typed(names) is names  # nothing to change: the frame itself


def test_every_field_gets_a_unique_alias() -> None:
    aliases = field_aliases(["fid", "tier", "tier_label", "town_name", "mystery"])
    assert aliases["fid"] == "要素编号" and aliases["tier"] == "风险等级"
    assert len(set(aliases.values())) == len(aliases)
    assert aliases["mystery"] == "mystery"  # an unknown field keeps its name as alias


# ---------------------------------------------------------------- the demo's planner.gpkg

def _gdal_alternative_names(path: Path, layer: str) -> dict[str, str]:
    """Field -> alternative name as GDAL (pyogrio's own library) reads them."""
    libs = sorted((Path(pyogrio.__file__).parent.parent / "pyogrio.libs").glob("libgdal*"))
    if not libs:
        pytest.skip("pyogrio without its bundled GDAL library")
    g = ctypes.CDLL(str(libs[0]))
    vp, cp = ctypes.c_void_p, ctypes.c_char_p
    for name, res, args in (("GDALOpenEx", vp, [cp, ctypes.c_uint, vp, vp, vp]),
                            ("GDALDatasetGetLayerByName", vp, [vp, cp]),
                            ("OGR_L_GetLayerDefn", vp, [vp]),
                            ("OGR_FD_GetFieldCount", ctypes.c_int, [vp]),
                            ("OGR_FD_GetFieldDefn", vp, [vp, ctypes.c_int]),
                            ("OGR_Fld_GetNameRef", cp, [vp]),
                            ("OGR_Fld_GetAlternativeNameRef", cp, [vp]),
                            ("GDALClose", None, [vp])):
        getattr(g, name).restype, getattr(g, name).argtypes = res, args
    g.GDALAllRegister()
    ds = g.GDALOpenEx(str(path).encode(), 0x04, None, None, None)  # GDAL_OF_VECTOR
    assert ds, path
    try:
        defn = g.OGR_L_GetLayerDefn(g.GDALDatasetGetLayerByName(ds, layer.encode()))
        fields = [g.OGR_FD_GetFieldDefn(defn, i) for i in range(g.OGR_FD_GetFieldCount(defn))]
        return {g.OGR_Fld_GetNameRef(f).decode(): g.OGR_Fld_GetAlternativeNameRef(f).decode()
                for f in fields}
    finally:
        g.GDALClose(ds)


def test_demo_geopackage_as_gdal_and_qgis_read_it(demo_result) -> None:
    path = demo_result.out / "planner.gpkg"
    layers = dict(pyogrio.list_layers(path))
    assert {"county", "towns", "villages", "roads", "facilities", "water_areas",
            "water_lines", "kits", "proposed_kits", "patrol_routes"} <= set(layers)
    assert "water_risk" not in layers
    with sqlite3.connect(path) as con:
        styles = dict(con.execute("SELECT f_table_name, styleQML FROM layer_styles "
                                  "WHERE useAsDefault = 1"))
        aliases: dict[str, dict[str, str]] = {}
        for table, column, name in con.execute(
                "SELECT table_name, column_name, name FROM gpkg_data_columns"):
            aliases.setdefault(table, {})[column] = name
        version = con.execute("PRAGMA user_version").fetchone()[0]
        types = {t: {r[1]: r[2] for r in con.execute(f'PRAGMA table_info("{t}")')}
                 for t in layers if t != "layer_styles"}
    assert version == 10200  # GeoPackage 1.2: read without a warning by GDAL >= 2.3
    for name, declared in layers.items():
        if name == "layer_styles":
            continue
        # one geometry type per layer: declared, and every feature of it
        assert declared in SYMBOLS, (name, declared)
        frame = pyogrio.read_dataframe(path, layer=name)
        assert set(frame.geom_type) == {declared}, name
        # a default style whose every symbol is of the layer's kind
        doc = ET.fromstring(styles[name].split("'SYSTEM'>", 1)[1])
        kinds = {s.get("type") for s in doc.find("renderer-v2").iter("symbol")}
        assert kinds == {SYMBOLS[declared]}, name
        assert doc.findtext("layerGeometryType") == {"marker": "0", "line": "1",
                                                     "fill": "2"}[SYMBOLS[declared]]
        # an alias for every field, in gpkg_data_columns (GDAL reads it) and in the style
        fields = [c for c in types[name] if c != "geom"]
        assert not [c for c in fields if c.startswith("_")], name
        assert set(aliases[name]) == set(fields), name
        assert all(aliases[name][c] != c for c in fields), name
        qml = {a.get("field"): a.get("name") for a in doc.iter("alias")}
        assert qml == aliases[name], name
        assert _gdal_alternative_names(path, name) == {
            c: a for c, a in aliases[name].items() if c != "fid"}, name
    # counts as integers, codes as text
    assert types["towns"]["built_care_point"] == "INTEGER"
    assert types["towns"]["required_care_point"] == "INTEGER"
    assert types["towns"]["town_code"] == "TEXT"
    assert types["water_lines"]["kits_new"] == "INTEGER"
    # the canals are lines, drawn by a line symbol, and the top tier is among them
    lines = pyogrio.read_dataframe(path, layer="water_lines", columns=["tier", "name"])
    assert (lines["tier"] == "A").any()
    towns = ET.fromstring(styles["towns"].split("'SYSTEM'>", 1)[1])
    assert towns.find(".//text-style").get("fieldName") == "town_name"
    assert len(list(towns.iter("rule"))) == 5  # four completion bins and 无任务


# ---------------------------------------------------------------- CGCS2000 output

def test_output_crs_setting() -> None:
    from planner._errors import ConfigError
    from planner.settings import MapConfig

    def crs(value):
        return MapConfig.from_mapping({"output_crs": value}, source="t.toml").output_crs

    assert MapConfig.from_mapping(None, source="t.toml").output_crs == "EPSG:4326"
    assert crs("epsg:4490") == "EPSG:4490" and crs("EPSG:4549") == "EPSG:4549"
    assert crs(4326) == "EPSG:4326"
    for bad in ("EPSG:3857", "EPSG:4214", "EPSG:32651", "不是坐标系"):
        with pytest.raises(ConfigError, match="output_crs") as err:
            crs(bad)
        assert "t.toml" in str(err.value) and "EPSG:4490" in str(err.value)


@pytest.mark.slow  # a whole run of its own
def test_cgcs2000_output(mini, mini_result, tmp_path) -> None:
    """``[map] output_crs = "EPSG:4490"``: planner.gpkg and the GeoJSON say CGCS2000, with
    the same coordinates as the default WGS-84 run (the two agree within centimetres)."""
    import json

    from planner.pipeline import run

    toml = mini / "planner.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + '\n[map]\noutput_crs = "EPSG:4490"\n',
                    encoding="utf-8")
    result = run(mini, out=tmp_path / "out", echo=lambda _line: None)
    path, base = result.out / "planner.gpkg", mini_result.out / "planner.gpkg"
    with sqlite3.connect(path) as con:
        srs = {r[0] for r in con.execute("SELECT srs_id FROM gpkg_geometry_columns")}
        org = con.execute("SELECT organization, organization_coordsys_id FROM "
                          "gpkg_spatial_ref_sys WHERE srs_id = 4490").fetchone()
    assert srs == {4490} and org == ("EPSG", 4490)
    names = [n for n, _g in pyogrio.list_layers(path) if n != "layer_styles"]
    assert names == [n for n, _g in pyogrio.list_layers(base) if n != "layer_styles"]
    for name in names:
        ours, theirs = (pyogrio.read_dataframe(p, layer=name) for p in (path, base))
        assert ours.crs.to_epsg() == 4490 and theirs.crs.to_epsg() == 4326
        assert shapely.equals_exact(ours.geometry.values, theirs.geometry.values,
                                    tolerance=1e-9).all(), name
    ours, theirs = (json.loads((d / "proposed_sites.geojson").read_text(encoding="utf-8"))
                    for d in (result.out, mini_result.out))
    assert ours["crs"] == {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}}
    assert "crs" not in theirs  # RFC 7946: WGS-84, no crs member
    assert [f["geometry"] for f in ours["features"]] == \
        [f["geometry"] for f in theirs["features"]]
    assert ours["features"]


def test_demo_qgis_project(demo_result) -> None:
    """planner.qgs: every layer of planner.gpkg by a relative path, with the same style and
    aliases, the layers map.html opens with switched on, a metric project CRS."""
    path = demo_result.out / "planner.qgs"
    doc = ET.parse(path).getroot()
    tables = [n for n, _g in pyogrio.list_layers(demo_result.out / "planner.gpkg")
              if n != "layer_styles"]
    layers = {m.findtext("datasource").split("layername=")[1]: m
              for m in doc.iter("maplayer")}
    assert set(layers) == set(tables)
    assert all(m.findtext("datasource").startswith("./planner.gpkg|") for m in layers.values())
    with sqlite3.connect(demo_result.out / "planner.gpkg") as con:
        styles = dict(con.execute("SELECT f_table_name, styleQML FROM layer_styles"))
    for table, layer in layers.items():
        style = ET.fromstring(styles[table].split("'SYSTEM'>", 1)[1])
        assert ET.tostring(layer.find("renderer-v2")) == ET.tostring(style.find("renderer-v2"))
        assert ET.tostring(layer.find("aliases")) == ET.tostring(style.find("aliases"))
    checked = {n.get("source").split("layername=")[1]: n.get("checked")
               for n in doc.iter("layer-tree-layer")}
    assert checked["towns"] == "Qt::Checked" and checked["kits"] == "Qt::Unchecked"
    assert doc.findtext("projectCrs/spatialrefsys/authid") == demo_result.run["metric_crs"]
    assert doc.findtext("properties/SpatialRefSys/ProjectionsEnabled") == "1"
    # the layer panel lists the top layer first: the county outline is at the bottom
    assert [n.get("source").split("layername=")[1] for n in doc.iter("layer-tree-layer")
            ][-1] == "county"


def test_aliases_written_twice_are_recorded_once_and_leave_the_data(tmp_path) -> None:
    """``add_aliases`` twice: one row per field, one extension row, the layer's data as
    written (read back by :func:`table_aliases`)."""
    from planner.report._gpkg import add_aliases, table_aliases

    path = tmp_path / "planner.gpkg"
    villages = gpd.GeoDataFrame(
        {"village_code": ["1", "2"], "village_name": ["东村", "西村"], "children": [12, 30],
         "sites_care_point": [1, 0], "my_note": ["a", "b"]},
        geometry=[shapely.Point(120.5, 32.3), shapely.Point(120.6, 32.4)], crs=4326)
    villages.to_file(path, layer="villages", driver="GPKG")
    aliases = {"villages": field_aliases([c for c in villages.columns if c != "geometry"])}
    assert aliases["villages"]["my_note"] == "my_note"
    for _ in range(2):
        assert add_aliases(path, aliases) == len(aliases["villages"])
    with sqlite3.connect(path) as con:
        rows = set(con.execute("SELECT table_name, column_name, name FROM gpkg_data_columns"))
        ext = con.execute("SELECT COUNT(*) FROM gpkg_extensions WHERE table_name = "
                          "'gpkg_data_columns'").fetchone()[0]
    assert rows == {("villages", c, a) for c, a in aliases["villages"].items()} and ext == 1
    assert table_aliases(path) == aliases
    back = gpd.read_file(path, layer="villages")
    for column in ("village_code", "village_name", "children", "my_note"):
        assert back[column].tolist() == villages[column].tolist()
