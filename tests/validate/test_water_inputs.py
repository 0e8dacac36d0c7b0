"""Water and kit layers validated as run and check both do: several files, the same water
drawn twice, findings for a coarse layer or a polygon larger than the county, every message
naming its file."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from planner._errors import InputFileError
from planner.records.ledger import Ledger
from planner.settings import load_settings
from planner.validate.intake import load_workspace
from planner.validate.water_inputs import merge_water, water_file, water_findings

UTM = "EPSG:32651"
#: the mini workspace's county, 120.50-120.60 E, 32.30-32.40 N, in metres
COUNTY = gpd.GeoSeries([shapely.box(120.5, 32.3, 120.6, 32.4)], crs=4326).to_crs(UTM).iloc[0]
X0, Y0 = COUNTY.bounds[:2]


def _file(geoms, file, **cols):
    frame = gpd.GeoDataFrame({"_row": range(1, len(geoms) + 1), **cols}, geometry=list(geoms),
                             crs=UTM)
    return water_file(frame, file=file, crs=UTM)


def test_the_same_river_as_line_and_polygon_is_merged_across_and_within_files():
    river = shapely.box(X0 + 1000, Y0 + 1000, X0 + 1200, Y0 + 6000)     # 200 m wide area
    centre = shapely.LineString([(X0 + 1100, Y0 + 900), (X0 + 1100, Y0 + 6100)])
    ditch = shapely.LineString([(X0 + 1200, Y0 + 3000), (X0 + 1800, Y0 + 3000)])  # runs in
    pond = shapely.box(X0 + 3000, Y0 + 3000, X0 + 3100, Y0 + 3100)
    pond_again = shapely.affinity.translate(pond, 10, 5)                 # the other file's
    pond_near = shapely.affinity.translate(pond, 80, 0)                  # overlaps 20 %
    areas = _file([river, pond, pond_near], "面.shp", type=["河流", "坑塘", "坑塘"])
    lines = _file([centre, ditch, shapely.affinity.translate(centre, 8, 0)], "线.shp",
                  type=["河流", "沟渠", "河流"])
    again = _file([pond_again], "osm.gpkg", type=["pond"])
    ledger = Ledger()
    for f, n in (("面.shp", 3), ("线.shp", 3), ("osm.gpkg", 1)):
        ledger.read("water", f, n)
    water, findings = merge_water([areas, lines, again], crs=UTM, ledger=ledger)
    # kept: the river area, both ponds of 面.shp, the ditch; the centre lines and the
    # second file's pond are the same water
    assert sorted(zip(water["source"], water["_row"], strict=True)) == [
        ("线.shp", 2), ("面.shp", 1), ("面.shp", 2), ("面.shp", 3)]
    rejected = {(r["file"], r["row"]): r["reason"] for r in ledger.rejected}
    assert set(rejected) == {("线.shp", 1), ("线.shp", 3), ("osm.gpkg", 1)}
    assert "面.shp 第 1 行" in rejected[("线.shp", 1)]
    assert "面.shp 第 2 行" in rejected[("osm.gpkg", 1)]
    assert water["water_id"].is_unique  # W000001 of each file got its file's name
    # the two ponds of one file that overlap in part are the file's own: a finding
    assert len(findings) == 1 and findings[0].startswith("面.shp 第 3 行")


def test_a_polygon_larger_than_the_county_and_a_coarse_layer_are_findings():
    villages = gpd.GeoDataFrame(
        geometry=[shapely.box(X0 + i * 2000, Y0, X0 + (i + 1) * 2000, Y0 + 2000)
                  for i in range(4)], crs=UTM)
    # a 1:4M river: a few vertices 3 km apart, wider than the county
    yangtze = shapely.Polygon([(X0 - 30_000, Y0 - 2000), (X0 - 27_000, Y0 + 5000),
                               (X0 + 40_000, Y0 + 5000), (X0 + 43_000, Y0 - 2000)])
    coarse = _file([yangtze.buffer(8000, quad_segs=1)], "hyd4m.shp", type=["河流"])
    fine = _file([shapely.box(X0 + 100, Y0 + 100, X0 + 140, Y0 + 140).buffer(5)], "ponds.shp",
                 type=["坑塘"])
    found = water_findings(coarse, county_m=COUNTY, villages=villages, crs=UTM)
    assert len(found) == 2
    assert found[0].startswith("hyd4m.shp 第 1 行：水域面积") and "大于县域" in found[0]
    assert found[1].startswith("hyd4m.shp：水域边界平均每") and "远比村界粗" in found[1]
    assert water_findings(fine, county_m=COUNTY, villages=villages, crs=UTM) == []


def _workspace(mini: Path, water_toml: str, files: dict[str, gpd.GeoDataFrame]) -> Path:
    for name, frame in files.items():
        frame.to_file(mini / name)
    (mini / "planner.toml").write_text(
        (mini / "planner.toml").read_text(encoding="utf-8") + water_toml, encoding="utf-8")
    return mini


def test_several_water_files_and_check_validates_them(mini):
    lines = gpd.GeoDataFrame({"类型": ["河流", "沟渠"]}, geometry=[
        shapely.LineString([(120.52, 32.31), (120.52, 32.39)]),
        shapely.LineString([(120.55, 32.35), (120.57, 32.35)])], crs=4326)
    areas = gpd.GeoDataFrame({"type": ["河流", "坑塘"]}, geometry=[
        shapely.box(120.519, 32.305, 120.521, 32.395),
        shapely.box(120.58, 32.38, 120.581, 32.381)], crs=4326)
    ws_dir = _workspace(mini, """
[[layers.water]]
path = "water_lines.gpkg"
fields = { type = "类型" }

[[layers.water]]
path = "water_areas.gpkg"
""", {"water_lines.gpkg": lines, "water_areas.gpkg": areas})
    settings = load_settings(ws_dir)
    assert [s.path.name for s in settings.water_layers] == ["water_lines.gpkg",
                                                             "water_areas.gpkg"]
    ws = load_workspace(settings)
    water = ws.extra["water"]
    # the river's line lies inside the later file's area: the line is merged into it
    assert sorted(water["source"]) == ["water_areas.gpkg", "water_areas.gpkg",
                                       "water_lines.gpkg"]
    assert set(water["type"]) == {"river", "pond", "ditch"}
    counts = {(s["file"]): s for s in ws.ledger.summary() if s["layer"] == "water"}
    assert counts["water_lines.gpkg"]["rejected"] == 1
    assert all(c["read"] == c["accepted"] + c["rejected"] for c in counts.values())


def test_check_names_the_water_file_without_types(mini):
    plain = gpd.GeoDataFrame({"名称": ["某塘"]},
                             geometry=[shapely.box(120.58, 32.38, 120.581, 32.381)], crs=4326)
    ws_dir = _workspace(mini, '\n[layers.water]\npath = "塘.gpkg"\n', {"塘.gpkg": plain})
    with pytest.raises(InputFileError, match=r"^塘\.gpkg：没有水域类型列"):
        load_workspace(load_settings(ws_dir))


def test_check_names_the_kit_file_and_row(mini):
    (mini / "kits.csv").write_text("经度,纬度,救生绳\n120.55,32.35,有\n120.56,32.36,也许\n",
                                   encoding="utf-8")
    ws_dir = _workspace(mini, '\n[layers.kits]\npath = "kits.csv"\nx = "经度"\ny = "纬度"\n'
                        'fields = { has_rope = "救生绳" }\n', {})
    with pytest.raises(InputFileError, match=r"^kits\.csv 第 3 行：has_rope 列的值 '也许'"):
        load_workspace(load_settings(ws_dir))


def test_real_osm_river_as_line_and_area_is_one_named_water():
    """A real extract (Beijing 海淀, tests/data/README.md): 小月河 is mapped as a named
    waterway=river line and as an unnamed natural=water/water=river area; it is one water,
    the area, carrying the line's name."""
    from planner.load.osm import read_osm
    from planner.validate.osm_water import add_osm_water

    layers = read_osm(Path(__file__).parents[1] / "data" / "haidian.osm.bz2")
    assert sorted(layers.water.geometry.geom_type) == ["LineString", "Polygon"]
    extra, ledger = {}, Ledger()
    info = add_osm_water(extra, layers.water, crs="EPSG:32650", ledger=ledger,
                         file="haidian.osm.bz2")
    assert info["lines_merged_into_areas"] == 1 and info["added"] == 1
    water = extra["water"]
    assert list(water["name"]) == ["小月河"] and list(water["type"]) == ["river"]
    assert water.geometry.iloc[0].geom_type == "Polygon"
    assert not ledger.reconcile() and "haidian.osm.bz2 第 2 行" in ledger.rejected[0]["reason"]
