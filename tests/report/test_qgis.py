"""QGIS styles in planner.gpkg: one default QML per layer, with symbols of the layer's
geometry type, the map's colours and classes, labels and the fields' Chinese aliases."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET

import geopandas as gpd
import pyogrio
import shapely

from planner.report._maplayers import KIND_STYLE, TIER_COLOURS
from planner.report._qgis import _rgba, add_styles, qml

BOX = shapely.box(120.5, 32.3, 120.6, 32.4)
LINE = shapely.LineString([(120.5, 32.3), (120.6, 32.4)])


def _styles(path) -> dict[str, tuple]:
    with sqlite3.connect(path) as con:
        return {r[0]: r[1:] for r in con.execute(
            "SELECT f_table_name, f_geometry_column, styleQML, useAsDefault FROM layer_styles")}


def _doc(text: str) -> ET.Element:
    return ET.fromstring(text.split("'SYSTEM'>", 1)[1])


def _props(symbol: ET.Element) -> dict[str, str]:
    return {p.get("k"): p.get("v") for p in symbol.iter("prop")}


def test_every_map_layer_gets_its_default_style(tmp_path) -> None:
    path = tmp_path / "p.gpkg"
    gpd.GeoDataFrame({"town_code": ["1"], "town_name": ["甲镇"], "pct_care_point": [85.0]},
                     geometry=[BOX], crs=4326).to_file(path, layer="towns")
    gpd.GeoDataFrame({"kind": ["care_home", "care_point"]},
                     geometry=[shapely.Point(120.55, 32.35), shapely.Point(120.56, 32.36)],
                     crs=4326).to_file(path, layer="facilities")
    gpd.GeoDataFrame({"tier": ["A", "C"], "name": ["东河", ""]}, geometry=[LINE, LINE],
                     crs=4326).to_file(path, layer="water_lines")
    gpd.GeoDataFrame({"x": [1]}, geometry=[BOX], crs=4326).to_file(path, layer="other")
    aliases = {"towns": {"fid": "要素编号", "town_code": "镇（街道）代码",
                         "town_name": "镇（街道）", "pct_care_point": "完成率"}}
    assert add_styles(path, aliases) == 3
    assert add_styles(path, aliases) == 3  # written again, not twice
    styles = _styles(path)
    assert set(styles) == {"towns", "facilities", "water_lines"}
    assert all(use == 1 for _col, _doc_text, use in styles.values())
    fac = _doc(styles["facilities"][1])
    rules = {r.get("filter"): r.get("label") for r in fac.iter("rule")}
    assert rules == {"\"kind\" = 'care_home'": '儿童"关爱之家"',
                     "\"kind\" = 'care_point'": "村（居）儿童关爱站点"}  # no ELSE: all named
    assert _rgba(KIND_STYLE["care_home"][0]) in {_props(s)["color"] for s in fac.iter("symbol")}
    assert {s.get("type") for s in fac.iter("symbol")} == {"marker"}
    assert fac.findtext("layerGeometryType") == "0"
    water = _doc(styles["water_lines"][1])
    assert {s.get("type") for s in water.iter("symbol")} == {"line"}
    assert {_props(s)["line_color"] for s in water.iter("symbol")} == \
        {_rgba(TIER_COLOURS["A"]), _rgba(TIER_COLOURS["C"])}
    assert water.get("labelsEnabled") == "1"
    assert water.find(".//text-style").get("fieldName") == "name"
    assert water.find("renderer-v2").get("enableorderby") == "1"  # 一级 drawn on top
    towns = _doc(styles["towns"][1])
    assert {a.get("field"): a.get("name") for a in towns.iter("alias")} == aliases["towns"]
    filters = [r.get("filter") for r in towns.iter("rule")]
    assert filters[0] == '"pct_care_point" >= 100' and filters[-1] == "ELSE"
    assert towns.find(".//text-style").get("fieldName") == "town_name"
    # the table is registered, and the feature layers still read as before
    with sqlite3.connect(path) as con:
        kind = con.execute("SELECT data_type FROM gpkg_contents WHERE table_name = "
                           "'layer_styles'").fetchone()
    assert kind == ("attributes",)
    assert {"towns", "facilities", "water_lines", "other"} <= {n for n, _ in
                                                               pyogrio.list_layers(path)}


def test_symbols_follow_the_geometry_type() -> None:
    fields = {"fid": "要素编号", "tier": "风险等级", "name": "名称"}
    for geometry, symbol, cls in (("point", "marker", "SimpleMarker"),
                                  ("line", "line", "SimpleLine"),
                                  ("polygon", "fill", "SimpleFill")):
        doc = _doc(qml("water_areas", geometry, fields, values={"tier": {"A", "N"}}))
        assert {s.get("type") for s in doc.iter("symbol")} == {symbol}
        assert {layer.get("class") for layer in doc.iter("layer")} == {cls}
    doc = qml("patrol_routes", "line", {"route_id": "路线编号"})
    assert 'class="SimpleLine"' in doc and 'v="dash"' in doc
    assert qml("unknown_table", "point", {}) is None
    assert _rgba("#ffffff00") == "255,255,255,0"


def test_unknown_values_fall_into_an_else_rule() -> None:
    doc = _doc(qml("proposed_kits", "point", {"status": "状态"},
                   values={"status": {"new", "something_else", None}}))
    rules = [(r.get("label"), r.get("filter")) for r in doc.iter("rule")]
    assert rules == [("新设", "\"status\" = 'new'"), ("其他", "ELSE")]


def test_kits_by_completeness_and_villages_by_coverage() -> None:
    kits = _doc(qml("kits", "point", {"kit_id": "设施编号", "complete": "是否齐全"}))
    assert [r.get("filter") for r in kits.iter("rule")] == ['"complete"', "ELSE"]
    villages = _doc(qml("villages", "polygon", {"covshare_care_point": "覆盖占比"}))
    assert [r.get("label") for r in villages.iter("rule")] == [
        "儿童全部在服务半径内", "部分儿童在服务半径内", "儿童均在服务半径外"]


def test_styles_table_reads_cleanly_with_gdal(tmp_path) -> None:
    path = tmp_path / "p.gpkg"
    gpd.GeoDataFrame({"kind": ["care_home"]}, geometry=[shapely.Point(120.5, 32.3)],
                     crs=4326).to_file(path, layer="facilities")
    add_styles(path, {})
    styles = pyogrio.read_dataframe(path, layer="layer_styles")  # warnings are errors here
    assert list(styles["f_table_name"]) == ["facilities"]
