"""map.html: layers, offline assets, escaping, the AMap GCJ-02 shift, and a headless browser.

The browser tests drive Debian's chromium (``/usr/bin/chromium`` + ``/usr/bin/chromedriver``)
through selenium with the network cut off (a dead proxy, pages from file://), and point its
fontconfig at the planner's CJK font so that the screenshot shows Chinese glyphs.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from planner._errors import ConfigError
from planner.geo.datum import wgs84_to_gcj02
from planner.report._maplayers import default_kinds
from planner.report.webmap import (
    LAYER_NAMES,
    MapConfig,
    MapLayers,
    layer_names,
    layers_from_result,
    write_map,
)
from tests.report.browser import MAP_JS as _MAP
from tests.report.browser import browser as _browser
from tests.report.browser import open_page as _open
from tests.report.test_mapdata import decode_geometries, page_layers

HOSTILE = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")
SCREENSHOT = Path("/tmp/map_screenshot.png")


def full_layers(result, *, hostile: bool = False, synthetic: bool = False) -> MapLayers:
    """The demo's layers, with small made-up optional layers (proposals, water, kits,
    patrols) near its villages wherever the run has none (all of them if ``synthetic`` or
    ``hostile``), so that every layer of the map is drawn."""
    layers = layers_from_result(result)
    v = layers.villages.to_crs(result.workspace.crs)
    pts = v.geometry.representative_point()
    uncovered = v.index[~v["has_care_point"]][:4]
    assert len(uncovered) == 4
    names = list(HOSTILE) if hostile else ["东河", "西塘"]
    proposed = gpd.GeoDataFrame({
        "kind": ["care_point", "care_point", "care_point", "social_org"],
        "town_name": v.loc[uncovered, "town_name"].to_numpy(),
        "village_name": v.loc[uncovered, "village_name"].to_numpy(),
        "children_newly_covered": [40, 31, 12, 80], "rank": [1, 2, 3, 1],
        "reason": ["覆盖最多未覆盖儿童"] * 4}, geometry=pts[uncovered].to_numpy(), crs=v.crs)
    p = pts.to_numpy()
    water = gpd.GeoDataFrame({
        "water_id": ["W1", "W2", "W3", "W4"], "name": [names[0], names[1], "", "北沟"],
        "type_label": ["坑塘", "坑塘", "河流", "沟渠"], "tier": ["A", "B", "C", "N"],
        "score": [81.5, 40.2, 12.0, 0.0], "rank": [1, 2, 3, 4],
        "town_name": v["town_name"].iloc[[0, 1, 2, 3]].to_numpy()},
        geometry=[shapely.Point(p[0].x + 150, p[0].y).buffer(120),
                  shapely.Point(p[1].x + 150, p[1].y).buffer(90),
                  shapely.LineString([(p[2].x, p[2].y), (p[2].x + 2500, p[2].y + 900)]),
                  shapely.LineString([(p[3].x, p[3].y - 300), (p[3].x + 1200, p[3].y - 200)])],
        crs=v.crs)
    kits = gpd.GeoDataFrame({
        "kit_id": ["K1", "K2", names[0] if hostile else "K3"], "complete": [True, False, False],
        "missing": ["", "救生圈", "救生杆、救生绳"]},
        geometry=[shapely.Point(p[0].x + 280, p[0].y), shapely.Point(p[1].x + 250, p[1].y),
                  shapely.Point(p[2].x + 600, p[2].y + 200)], crs=v.crs)
    new_kits = gpd.GeoDataFrame({
        "kit_id": ["NK000001", "NK000002"], "status": ["new", "complete_existing"],
        "water_id": ["W1", "W2"], "town_name": v["town_name"].iloc[[0, 1]].to_numpy(),
        "reason": ["坑塘 W1 (一级): 岸线无救生设施", "partial kit: add the missing items"]},
        geometry=[shapely.Point(p[0].x + 30, p[0].y), shapely.Point(p[1].x + 60, p[1].y)],
        crs=v.crs)
    routes = gpd.GeoDataFrame({
        "town_name": v["town_name"].iloc[[0, 5]].to_numpy(), "date": ["2025-07-05"] * 2,
        "round": [1, 1], "length_m": [5400.0, 8100.0]},
        geometry=[shapely.LineString([(q.x, q.y) for q in p[:3]]),
                  shapely.LineString([(q.x, q.y) for q in p[5:9]])], crs=v.crs)
    if hostile:
        fac = layers.facilities.copy()
        fac.loc[fac.index[0], "name"] = HOSTILE[0]
        fac.loc[fac.index[1], "name"] = HOSTILE[1]
        fac.loc[fac.index[2], "village_name"] = HOSTILE[1]
        layers.facilities = fac
        layers.villages.loc[layers.villages.index[0], "village_name"] = HOSTILE[0]
        layers.towns.loc[layers.towns.index[0], "town_name"] = HOSTILE[1]
    for key, frame in (("proposed_sites", proposed), ("water", water), ("kits", kits),
                       ("proposed_kits", new_kits), ("patrol_routes", routes)):
        if synthetic or hostile or getattr(layers, key) is None:
            setattr(layers, key, frame.to_crs("EPSG:4326"))
    return layers


# ---------------------------------------------------------------- without a browser

def test_map_config_validation():
    assert MapConfig.from_mapping(None, source="t.toml") == MapConfig(basemap="none")
    assert MapConfig.from_mapping({"basemap": "AMap"}, source="t.toml").basemap == "amap"
    ok = MapConfig.from_mapping({"basemap": "tianditu", "tianditu_key": "abc123DEF456"},
                                source="t.toml")
    assert ok.tianditu_key == "abc123DEF456"
    bad = [({"basemap": "google"}, "basemap"), ({"basemap": "tianditu"}, "tianditu_key"),
           ({"basemap": "osm", "zoom": 3}, "unknown"),
           ({"basemap": "tianditu", "tianditu_key": "k\"><script>"}, "tianditu_key")]
    for table, word in bad:
        with pytest.raises(ConfigError, match=word) as err:
            MapConfig.from_mapping(table, source="t.toml")
        assert "t.toml" in str(err.value) and "\n" not in str(err.value)


def test_layers_from_result_takes_optional_parts(demo_result):
    # a result from before the access / propose / water stages
    layers = layers_from_result(replace(demo_result, access=None, proposals=None, water=None))
    assert layers.proposed_sites is None and layers.water is None
    assert (layers.kits is None) == ("kits" not in demo_result.workspace.extra)  # an input
    assert len(layers.towns) == len(demo_result.workspace.towns)
    assert "pct_care_point" in layers.towns and "has_care_point" in layers.villages
    assert layers.villages["has_care_point"].sum() == demo_result.villages["has_care_point"].sum()

    class _Access:
        villages = pd.DataFrame({"village_code": demo_result.villages["village_code"],
                                 "covered_care_point": True, "covshare_care_point": 1.0,
                                 "dist_m_care_point": 120.0})

    class _Proposal:
        sites = full_layers(demo_result, synthetic=True).proposed_sites

    more = layers_from_result(replace(demo_result, access=_Access(), water=None,
                                      proposals={"care_point": _Proposal()}))
    assert more.villages["covered_care_point"].all()
    assert (more.villages["covshare_care_point"] == 1.0).all()
    assert len(more.proposed_sites) == 4 and more.proposed_sites.crs.to_epsg() == 4326
    real = layers_from_result(demo_result)  # whatever the pipeline computes today
    for key in ("proposed_sites", "water", "kits", "proposed_kits", "patrol_routes"):
        frame = getattr(real, key)
        assert frame is None or (frame.crs.to_epsg() == 4326 and frame.geometry.notna().all())
    if getattr(demo_result, "water", None) is not None:
        assert len(real.water) == len(demo_result.water.water_risk)


def test_map_is_self_contained(demo_result, tmp_path):
    layers = full_layers(demo_result, synthetic=True)
    page = write_map(layers, tmp_path / "map.html", title="如皋市").read_text(encoding="utf-8")
    assert not re.search(r"<(script|link)\b[^>]*\b(src|href)\s*=", page), "external asset"
    for host in ("jsdelivr", "cdnjs", "code.jquery", "bootstrapcdn", "unpkg"):
        assert host not in page
    assert "L.tileLayer" not in page
    for name in layer_names(layers):
        assert (name in page or json.dumps(name)[1:-1] in page
                or json.dumps(name, ensure_ascii=False)[1:-1] in page)
    assert layers.roads is not None  # the demo's roads.osm, drawn without tiles
    # towns, villages, roads, 7 kinds, proposals, water by tier (4), kits, new kits, patrols
    assert len(layer_names(layers)) == 2 + 1 + 7 + 1 + 4 + 3
    assert LAYER_NAMES["roads"] in layer_names(layers)


def test_hostile_names_are_escaped_in_source(demo_result, tmp_path):
    page = write_map(full_layers(demo_result, hostile=True), tmp_path / "map.html",
                     title="<script>alert(2)</script>").read_text(encoding="utf-8")
    for raw in (*HOSTILE, "<script>alert(2)", "onerror=alert(1)>"):
        assert raw not in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page


def test_template_syntax_in_a_name_is_not_evaluated(demo_result, tmp_path):
    layers = full_layers(demo_result, hostile=True)
    layers.towns.loc[layers.towns.index[1], "town_name"] = "{{ 7*7 }}镇{% if 1 %}x{% endif %}"
    page = write_map(layers, tmp_path / "map.html",
                     title="{{ 6*7 }}县").read_text(encoding="utf-8")
    assert "{{ 6*7 }}县" in page and "42县" not in page
    assert "49镇" not in page and "49\\u9547" not in page  # data and label, not evaluated
    assert "{{ 7*7 }}镇{% if 1 %}x{% endif %}" in page  # the popup data, as written
    assert "\\u0026#123;\\u0026#123; 7*7" in page  # the town label: braces as entities


def _one_point_layers(lon: float, lat: float) -> MapLayers:
    square = shapely.box(lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01)
    towns = gpd.GeoDataFrame({"town_code": ["1"], "town_name": ["甲镇"]}, geometry=[square],
                             crs=4326)
    villages = gpd.GeoDataFrame({"village_code": ["11"], "village_name": ["甲村"],
                                 "town_name": ["甲镇"], "children": [5], "left_behind": [1],
                                 "vulnerable": [0], "has_care_point": [True]},
                                geometry=[square], crs=4326)
    fac = gpd.GeoDataFrame({"name": ["甲村儿童之家"], "kind": ["care_point"],
                            "standard": ["basic"], "town_name": ["甲镇"],
                            "village_name": ["甲村"]}, geometry=[shapely.Point(lon, lat)],
                           crs=4326)
    return MapLayers(towns=towns, villages=villages, facilities=fac)


def _drawn_points(page: str) -> list[tuple[float, float]]:
    return [(g.x, g.y) for data, _spec in page_layers(page)
            for g in decode_geometries(data["g"]) if g.geom_type == "Point"]


@pytest.mark.parametrize("basemap", ["amap", "none", "osm", "tianditu"])
def test_amap_draws_gcj02(tmp_path, basemap):
    lon, lat = 120.567891, 32.345678
    config = MapConfig.from_mapping({"basemap": basemap, "tianditu_key": "0123456789abcdef"},
                                    source="t.toml")
    page = write_map(_one_point_layers(lon, lat), tmp_path / "m.html", config=config,
                     title="t").read_text(encoding="utf-8")
    glon, glat = (float(np.round(c, 6)) for c in wgs84_to_gcj02(lon, lat))
    assert abs(glon - lon) > 1e-3 and abs(glat - lat) > 1e-4  # the shift is visible
    expected = (glon, glat) if basemap == "amap" else (lon, lat)
    assert _drawn_points(page) == [expected]
    tiles = {"amap": "autonavi.com", "osm": "tile.openstreetmap.org",
             "tianditu": "tk=0123456789abcdef", "none": None}[basemap]
    assert (tiles in page) if tiles else ("L.tileLayer(" not in page)


# ---------------------------------------------------------------- in headless chromium

_POPUPS = _MAP + """
const out = {popups: [], tooltips: [], markers: []};
const shown = [];
map.eachLayer(function (layer) { if (layer.feature) { shown.push(layer); } });
shown.forEach(function (layer) {
  const ll = layer.getLatLng ? layer.getLatLng() : layer.getBounds().getCenter();
  if (layer.getLatLng) { out.markers.push([ll.lng, ll.lat]); }
  layer.fire('click', {latlng: ll}, true);  // as a click does: the GeoJSON layer's popup
  const last = sel => { const all = document.querySelectorAll(sel);  // closed ones fade out
                        return all.length ? all[all.length - 1].innerText : ''; };
  out.popups.push(last('.leaflet-popup-content'));
  map.closePopup();
  layer.fire('mouseover', {latlng: ll}, true);
  out.tooltips.push(last('.leaflet-tooltip'));
  layer.fire('mouseout', {latlng: ll}, true);
});
out.injected = document.querySelectorAll('img[src="x"], .leaflet-popup-content script').length;
return out;
"""


@pytest.mark.browser
def test_map_in_offline_browser(demo_result, tmp_path):
    layers = full_layers(demo_result)
    page = write_map(layers, tmp_path / "map.html", title="如皋市儿童关爱阵地与防溺水地图")
    with _browser(tmp_path) as driver:
        _open(driver, page)
        control = driver.execute_script(
            "return document.querySelector('.leaflet-control-layers').textContent")
        for name in layer_names(layers):
            assert name in control, f"layer {name} missing from the layer control"
        legend = driver.execute_script("return document.getElementById('pl-legend').innerText")
        assert "镇（街道）村（居）儿童关爱站点完成率" in legend and "溺水风险等级" in legend
        loaded = driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)")
        assert all(u.startswith(("file:", "data:")) for u in loaded), loaded
        # every toggle works without a script error; switch the villages on for the picture
        driver.execute_script("document.querySelector('.leaflet-control-layers')"
                              ".classList.add('leaflet-control-layers-expanded')")
        boxes = driver.find_elements("css selector", ".leaflet-control-layers-selector")
        assert len(boxes) == len(layer_names(layers))
        for box in boxes:
            box.click()
            box.click()
        shot = tmp_path / "map.png"
        driver.save_screenshot(str(shot))
        # the villages view, then a close-up of the kits
        for name in (LAYER_NAMES["villages"], LAYER_NAMES["towns"], LAYER_NAMES["kits"],
                     LAYER_NAMES["proposed_kits"], LAYER_NAMES["patrol_routes"]):
            driver.find_element("xpath", f"//span[normalize-space(.)='{name}']/../input").click()
        n_markers = driver.execute_script("return document.querySelectorAll('.pm').length")
        shown = layers.facilities["kind"].isin(default_kinds(layers)).sum()
        assert shown < len(layers.facilities)  # the other kinds start hidden
        assert n_markers == shown + len(layers.proposed_sites)
        driver.save_screenshot(str(tmp_path / "villages.png"))
        lon, lat = layers.proposed_kits.geometry.iloc[0].coords[0]
        driver.execute_script(_MAP + f"map.setView([{lat}, {lon}], 15, {{animate: false}});")
        driver.save_screenshot(str(tmp_path / "kits.png"))
        assert driver.execute_script("return window.__errors") == []
        assert driver.execute_script("return window.__alerts") == []
    assert shot.stat().st_size > 50_000
    for name in ("map", "villages", "kits"):
        with contextlib.suppress(OSError):
            shutil.copyfile(tmp_path / f"{name}.png",
                            SCREENSHOT.with_name(SCREENSHOT.stem.replace("map", name) + ".png"))


@pytest.mark.browser
def test_hostile_names_show_as_text_in_browser(demo_result, tmp_path):
    page = write_map(full_layers(demo_result, hostile=True), tmp_path / "map.html",
                     title=HOSTILE[0])
    with _browser(tmp_path) as driver:
        _open(driver, page)
        seen = driver.execute_script(_POPUPS)
        title = driver.execute_script("return document.getElementById('pl-title').innerText")
        assert driver.execute_script("return window.__alerts") == []
        assert driver.execute_script("return window.__errors") == []
    assert seen["injected"] == 0 and title == HOSTILE[0]
    assert len(set(seen["popups"])) > 300 and all(seen["popups"])
    popups, tips = "\n".join(seen["popups"]), "\n".join(seen["tooltips"])
    for raw in HOSTILE:
        assert raw in popups and raw in tips


@pytest.mark.browser
def test_amap_point_in_browser(tmp_path):
    lon, lat = 120.567891, 32.345678
    page = write_map(_one_point_layers(lon, lat), tmp_path / "m.html",
                     config=MapConfig(basemap="amap"), title="高德底图")
    with _browser(tmp_path) as driver:
        driver.get(page.resolve().as_uri())
        markers = driver.execute_script(_POPUPS)["markers"]
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert len(markers) == 1
    assert markers[0] == pytest.approx([float(glon), float(glat)], abs=1e-6)


_LAYERS = _MAP + """
const overlays = window[Object.keys(window).find(k => /^layer_control_\\w+_layers$/.test(k))]
  .overlays;
const out = {};
Object.entries(overlays).forEach(function ([name, layer]) {
  const entry = {name: name, layer: layer};
  const feats = [];
  entry.layer.eachLayer(function (sub) {
    if (sub instanceof L.GeoJSON) { sub.eachLayer(l => feats.push(l)); }
  });
  const first = feats[feats.length - 1], info = {count: feats.length};  // on top
  if (first && first.getPopup()) {
    const ll = first.getLatLng ? first.getLatLng() : first.getBounds().getCenter();
    map.addLayer(entry.layer);
    first.fire('click', {latlng: ll}, true);
    info.popup = first.getPopup().getElement()
      .querySelector('.leaflet-popup-content').innerText;
    map.closePopup();
    first.fire('mouseover', {latlng: ll}, true);
    info.tooltip = first.getTooltip().getElement().innerText;
    first.fire('mouseout', {latlng: ll}, true);
  }
  info.shapes = feats.slice(0, 40).map(l => l.feature.geometry);
  info.vertices = feats.reduce((n, l) => n + (l.getLatLngs ? l.getLatLngs().flat(3).length
                                                             : 1), 0);
  out[entry.name] = info;
});
return out;
"""


@pytest.mark.browser
def test_layers_popups_and_shapes_in_browser(demo_result, tmp_path):
    """The demo's own layers: every feature drawn once in its layer, the popup and tooltip
    of the riskiest water, and shapes within a metre or so of the data."""
    from planner.glossary import KINDS
    from planner.report._maplayers import FACILITY_PREFIX, TIER_STYLE, tier_code, water_layer

    layers = layers_from_result(demo_result)
    page = write_map(layers, tmp_path / "map.html", title="如皋市")
    with _browser(tmp_path) as driver:
        _open(driver, page)
        seen = driver.execute_script(_LAYERS)
        assert driver.execute_script("return window.__errors") == []
    tiers = np.array([tier_code(t) for t in layers.water["tier"]])
    expected = {LAYER_NAMES["towns"]: len(layers.towns),
                LAYER_NAMES["villages"]: len(layers.villages), LAYER_NAMES["roads"]: 1,
                LAYER_NAMES["kits"]: len(layers.kits),
                LAYER_NAMES["proposed_sites"]: len(layers.proposed_sites),
                LAYER_NAMES["proposed_kits"]: len(layers.proposed_kits),
                LAYER_NAMES["patrol_routes"]: len(layers.patrol_routes)}
    expected.update({water_layer(t): int((tiers == t).sum()) for t in set(tiers)})
    for kind, n in layers.facilities["kind"].value_counts().items():
        expected[FACILITY_PREFIX + KINDS[kind][0]] = n
    assert {name: info["count"] for name, info in seen.items()} == expected
    roads = layers.roads.geometry.iloc[0]
    assert seen[LAYER_NAMES["roads"]]["vertices"] == shapely.get_num_coordinates(roads)
    # water by tier, 一级 (drawn last, on top): the last A of the data is the last drawn
    water = seen[water_layer("A")]
    top = layers.water[tiers == "A"].iloc[-1]
    heading = top["name"] or top["water_id"]
    tier = TIER_STYLE[top["tier"]][0]
    assert water["tooltip"] == f"{heading}（{tier}）"
    assert water["popup"].split("\n") == [
        heading, f"位置\t{top['locator']}", f"类型\t{top['type_label']}",
        f"风险等级\t{tier}", f"风险分（0–100）\t{top['score']:,.1f}",
        f"风险排序\t{top['rank']}", f"所属镇（街道）\t{top['town_name']}"]
    town = seen[LAYER_NAMES["towns"]]
    assert town["popup"].split("\n")[0] == layers.towns["town_name"].iloc[-1]
    assert town["tooltip"].startswith(layers.towns["town_name"].iloc[-1])
    # shapes: the browser's geometries are the data's, simplified by about a metre
    utm = layers.towns.estimate_utm_crs()
    for name, frame in ((water_layer("A"), layers.water[tiers == "A"]),
                        (LAYER_NAMES["villages"], layers.villages),
                        (LAYER_NAMES["patrol_routes"], layers.patrol_routes),
                        (LAYER_NAMES["kits"], layers.kits)):
        drawn = gpd.GeoSeries([shapely.geometry.shape(g)
                               for g in seen[name]["shapes"]], crs=4326)
        data = frame.geometry.iloc[:len(drawn)].to_crs(utm).to_numpy()
        gap = shapely.hausdorff_distance(drawn.to_crs(utm).to_numpy(), data)
        assert len(drawn) == 40 and gap.max() < 1.5, (name, gap.max())

def test_kit_popups_list_contents_and_dates(demo_result, tmp_path):
    from planner.report._mapdraw import _date

    layers = full_layers(demo_result, synthetic=True)
    layers.kits = layers.kits.assign(has_sign=[True, True, False],
                                     has_lifebuoy=[True, False, True],
                                     last_inspected=["2024-06-03", None, "2024-05-20"])
    page = write_map(layers, tmp_path / "m.html", title="t").read_text(encoding="utf-8")
    for text in ("最近检查日期", "2024-06-03", "警示牌、救生圈", "是否齐全"):
        assert text in page or json.dumps(text)[1:-1] in page, text
    assert _date(None) is None and _date("2024-06-03 10:00") == "2024-06-03"


def test_demo_patrol_routes_are_drawn_in_patrol_order(demo_result) -> None:
    layers = layers_from_result(demo_result)
    routes = demo_result.water.route_table
    lines = layers.patrol_routes
    assert lines is not None and len(lines) == len(routes)
    first = lines.iloc[0]
    row = routes.iloc[0]
    assert first["route_id"] == row["route_id"] and first["stops"] == row["stops"]
    coords = list(first.geometry.coords)
    assert len(coords) == row["stops"] + 2 and coords[0] == coords[-1]  # seat -> waters -> seat
    water = layers.water.set_index("water_id")
    ids = row["water_ids"].split(";")
    assert shapely.Point(coords[1]).equals(water.loc[ids[0], "geometry"].representative_point())
    assert LAYER_NAMES["patrol_routes"] in layer_names(layers)
