"""QGIS styles in planner.gpkg: one default QML per layer, colours and categories of the map."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET

import geopandas as gpd
import pyogrio
import shapely

from planner.report._maplayers import KIND_STYLE, TIER_COLOURS
from planner.report._qgis import _rgba, add_styles, qml


def _styles(path) -> dict[str, tuple]:
    with sqlite3.connect(path) as con:
        return {r[0]: r[1:] for r in con.execute(
            "SELECT f_table_name, f_geometry_column, styleQML, useAsDefault FROM layer_styles")}


def test_every_map_layer_gets_its_default_style(tmp_path) -> None:
    path = tmp_path / "p.gpkg"
    box = shapely.box(120.5, 32.3, 120.6, 32.4)
    gpd.GeoDataFrame({"town_code": ["1"]}, geometry=[box], crs=4326).to_file(path, layer="towns")
    gpd.GeoDataFrame({"kind": ["care_home", "care_point"]},
                     geometry=[shapely.Point(120.55, 32.35), shapely.Point(120.56, 32.36)],
                     crs=4326).to_file(path, layer="facilities")
    gpd.GeoDataFrame({"tier": ["A", "C"]}, geometry=[box, shapely.LineString(
        [(120.5, 32.3), (120.6, 32.4)])], crs=4326).to_file(path, layer="water_risk")
    gpd.GeoDataFrame({"x": [1]}, geometry=[box], crs=4326).to_file(path, layer="other")
    assert add_styles(path) == 3
    assert add_styles(path) == 3  # written again, not twice
    styles = _styles(path)
    assert set(styles) == {"towns", "facilities", "water_risk"}
    assert all(use == 1 for _col, _doc, use in styles.values())
    fac = ET.fromstring(styles["facilities"][1].split("'SYSTEM'>", 1)[1])
    renderer = fac.find("renderer-v2")
    assert renderer.get("type") == "categorizedSymbol" and renderer.get("attr") == "kind"
    cats = {c.get("value"): c.get("label") for c in renderer.iter("category")}
    assert cats["care_home"] == '儿童"关爱之家"'
    colour = {o.get("value") for o in fac.iter("Option") if o.get("name") == "color"}
    assert _rgba(KIND_STYLE["care_home"][0]) in colour
    assert fac.find(".//layer").get("class") == "SimpleMarker"
    water = ET.fromstring(styles["water_risk"][1].split("'SYSTEM'>", 1)[1])
    assert {c.get("value") for c in water.iter("category")} == set(TIER_COLOURS)
    assert water.find(".//layer").get("class") == "SimpleFill"
    # the table is registered, and the feature layers still read as before
    with sqlite3.connect(path) as con:
        kind = con.execute("SELECT data_type FROM gpkg_contents WHERE table_name = "
                           "'layer_styles'").fetchone()
    assert kind == ("attributes",)
    assert {"towns", "facilities", "water_risk", "other"} <= {n for n, _ in
                                                              pyogrio.list_layers(path)}


def test_line_layers_are_dashed_lines() -> None:
    doc = qml("patrol_routes", "line")
    assert 'class="SimpleLine"' in doc and 'value="dash"' in doc
    assert qml("unknown_table", "point") is None
    assert _rgba("#ffffff00") == "255,255,255,0"


def test_demo_geopackage_has_styles(demo_result) -> None:
    styles = _styles(demo_result.out / "planner.gpkg")
    assert {"towns", "villages", "facilities", "water_risk", "kits", "patrol_routes"} <= \
        set(styles)


def test_styles_table_reads_cleanly_with_gdal(tmp_path) -> None:
    path = tmp_path / "p.gpkg"
    gpd.GeoDataFrame({"kind": ["care_home"]}, geometry=[shapely.Point(120.5, 32.3)],
                     crs=4326).to_file(path, layer="facilities")
    add_styles(path)
    styles = pyogrio.read_dataframe(path, layer="layer_styles")  # warnings are errors here
    assert list(styles["f_table_name"]) == ["facilities"]
