"""map.html on a phone (390×844) and a laptop (1366×768) in headless Chromium: the map area
is not covered by the layer control, the legend or the title; the layer control is folded,
the legend folds on a phone and fits a laptop's screen; a sensible default of layers, a
metric scale bar and an attribution without Leaflet's flag."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from planner.report._maplayers import FACILITY_PREFIX, LAYER_NAMES, default_kinds, water_layer
from planner.report.webmap import KINDS, layers_from_result, write_map
from tests.report.browser import MAP_JS, browser, open_page

#: points of the map (fractions of its width and height) that must show the map itself
POINTS = [(0.5, 0.5), (0.5, 0.25), (0.5, 0.75), (0.25, 0.4), (0.75, 0.4), (0.25, 0.65),
          (0.75, 0.65)]

_LAYOUT = MAP_JS + """
const box = map.getContainer().getBoundingClientRect();
const covers = '.leaflet-control-container, #pl-legend, #pl-title';
const hits = arguments[0].map(function ([fx, fy]) {
  const x = box.left + fx * box.width, y = box.top + fy * box.height;
  const el = document.elementFromPoint(x, y);
  return {x: x, y: y, tag: el ? el.tagName + '.' + el.className : null,
          pane: !!el && map.getContainer().contains(el) && !el.closest(covers)
                && (el === map.getContainer() || !!el.closest('.leaflet-pane'))};
});
const legend = document.getElementById('pl-legend');
const control = document.querySelector('.leaflet-control-layers');
const title = document.getElementById('pl-title').getBoundingClientRect();
const ctrl = control.getBoundingClientRect();
const checked = Array.from(document.querySelectorAll(
  '.leaflet-control-layers-overlays label')).filter(l => l.querySelector('input').checked)
  .map(l => l.textContent.trim());
return {
  hits: hits, viewport: [window.innerWidth, window.innerHeight],
  map: [box.width, box.height],
  controlExpanded: control.classList.contains('leaflet-control-layers-expanded'),
  controlSize: [ctrl.width, ctrl.height],
  titleClear: title.right <= ctrl.left || title.bottom <= ctrl.top,
  titleInside: title.right <= window.innerWidth,
  legendOpen: legend.open,
  legendFits: legend.scrollHeight <= legend.clientHeight + 1,
  legendInside: legend.getBoundingClientRect().bottom <= window.innerHeight,
  legendText: legend.innerText,
  scale: document.querySelector('.leaflet-control-scale').innerText,
  attribution: document.querySelector('.leaflet-control-attribution').innerHTML,
  checked: checked,
  townLabels: document.querySelectorAll('.town-label').length,
};
"""


@pytest.fixture(scope="module")
def demo_map(demo_result, tmp_path_factory) -> tuple[Path, object]:
    layers = layers_from_result(demo_result)
    page = write_map(layers, tmp_path_factory.mktemp("map") / "map.html",
                     title="如皋市儿童关爱阵地与防溺水地图")
    return page, layers


@pytest.mark.browser
@pytest.mark.parametrize("size", [(390, 844), (1366, 768)], ids=["phone", "laptop"])
def test_map_area_is_visible_not_covered(demo_map, tmp_path, size):
    page, layers = demo_map
    phone = size[0] < 600
    with browser(tmp_path, size=size) as driver:
        open_page(driver, page)
        state = driver.execute_script(_LAYOUT, POINTS)
        shot = tmp_path / f"map_{size[0]}.png"
        driver.save_screenshot(str(shot))
        # a click on 图例 unfolds the legend on a phone; the layer control opens on a tap
        driver.find_element("css selector", "#pl-legend summary").click()
        unfolded = driver.execute_script("return document.getElementById('pl-legend').open")
        assert driver.execute_script("return window.__errors") == []
    shutil.copyfile(shot, Path("/tmp") / shot.name)
    assert state["viewport"] == list(size)
    assert state["map"] == list(size)  # the map fills the page
    covered = [h for h in state["hits"] if not h["pane"]]
    assert not covered, covered
    assert not state["controlExpanded"] and max(state["controlSize"]) < 60
    assert state["titleClear"] and state["titleInside"]
    assert state["legendOpen"] == (not phone) and unfolded == phone
    if not phone:  # on a laptop the legend is open and needs no scrolling
        assert state["legendFits"] and state["legendInside"]
        assert "溺水风险等级" in state["legendText"] and "一级" in state["legendText"]
        assert "二级" not in state["legendText"]  # its layer is off: its row is hidden
    # metric only; no flag in the attribution, a plain "Leaflet"
    assert "km" in state["scale"] and "mi" not in state["scale"] and "ft" not in state["scale"]
    assert "<svg" not in state["attribution"] and "Leaflet" in state["attribution"]
    # on at first: towns, roads, the quota's kinds, the proposals, the top tier of water
    expected = {LAYER_NAMES["towns"], LAYER_NAMES["roads"], LAYER_NAMES["proposed_sites"],
                water_layer("A"), *(FACILITY_PREFIX + KINDS[k][0]
                                    for k in default_kinds(layers))}
    assert set(state["checked"]) == expected
    assert state["townLabels"] == len(layers.towns)


@pytest.mark.browser
def test_legend_follows_the_layers_that_are_on(demo_map, tmp_path):
    page, _layers = demo_map
    toggle = MAP_JS + """
    const label = Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))
      .find(l => l.textContent.trim() === arguments[0]);
    label.querySelector('input').click();
    return document.getElementById('pl-legend').innerText;
    """
    with browser(tmp_path, size=(1366, 768)) as driver:
        open_page(driver, page)
        before = driver.execute_script("return document.getElementById('pl-legend').innerText")
        with_villages = driver.execute_script(toggle, LAYER_NAMES["villages"])
        with_tier_b = driver.execute_script(toggle, water_layer("B"))
        without_towns = driver.execute_script(toggle, LAYER_NAMES["towns"])
        assert driver.execute_script("return window.__errors") == []
    assert "关爱站点服务半径内儿童" not in before and "关爱站点服务半径内儿童" in with_villages
    assert "二级" not in with_villages and "二级" in with_tier_b
    assert "完成率" in with_tier_b and "完成率" not in without_towns.split("溺水")[0]
