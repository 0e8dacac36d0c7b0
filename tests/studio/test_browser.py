"""The studio's page in a headless browser, on a copy of the bundled demo: place a site and
see the annex change, move the kit budget and see the spend change, save, reload, compare
and load scenarios, bad requests shown in the page, two tabs kept consistent, sites moved and
removed on the map, suggestions, and names from the data shown as text, never as HTML.

One studio server (in this process, in a thread) serves every test of the module; each test
starts from the workspace as it is (a ``reset`` edit) and names its own scenarios. The
browser is Debian's Chromium (``tests/report/browser.py``), allowed to reach the loopback
server only: every other address goes to a dead proxy.
"""

from __future__ import annotations

import json
import re
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.report.browser import PRELOAD, browser

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("studio")]

#: a village name that is HTML (the page must show it as text; no white space, which the
#: planner takes out of names)
HOSTILE = "<svg/onload=alert(1)>村"
CJK = re.compile(r"[\u4e00-\u9fff]")
WAIT_S = 60.0


# ------------------------------------------------------------------------- the server


class Api:
    """The studio's HTTP API as the page calls it (token in ``X-Planner-Token``)."""

    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.page = url
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.token = urllib.parse.parse_qs(parts.query)["token"][0]

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, object]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.origin + path, data=data, method=method, headers={
            "X-Planner-Token": self.token, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

    def get(self, path: str):
        status, data = self.call("GET", path)
        assert status == 200, (path, status, data)
        return data

    def edit(self, **op):
        status, data = self.call("POST", "/api/edit", {"rev": self.get("/api/state")["rev"],
                                                       **op})
        assert status == 200, (op, status, data)
        return data

    def reset(self):
        return self.edit(op="reset")


def _hostile_village(ws: Path) -> str:
    """Rename one village of the copy to :data:`HOSTILE`; its code."""
    import geopandas as gpd

    path = ws / "boundaries" / "villages.shp"
    villages = gpd.read_file(path, encoding="GBK")
    code = str(villages["XZQDM"].iloc[0])
    villages.loc[villages.index[0], "XZQMC"] = HOSTILE
    villages.to_file(path, encoding="GBK")
    return code


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """The studio serving a copy of the demo (one village named :data:`HOSTILE`)."""
    from planner.datasets import demo
    from planner.studio.server import start_background

    ws = tmp_path_factory.mktemp("studio") / "如皋市"
    shutil.copytree(demo(), ws, ignore=shutil.ignore_patterns("examples", "__pycache__"))
    _hostile_village(ws)
    server = start_background(ws)
    try:
        api = Api(server.url)
        api.workspace = ws
        yield api
    finally:
        server.stop()


@pytest.fixture
def api(studio):
    """The studio, its scenario reset to the workspace as it is."""
    studio.reset()
    return studio


# ------------------------------------------------------------------------- the page


def wait(driver, check, what: str, timeout: float = WAIT_S):
    """Poll ``check(driver)`` until it is truthy; its value (fails naming ``what``)."""
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        try:
            last = check(driver)
        except Exception as exc:  # noqa: BLE001 -- stale elements while the page redraws
            last = exc
        else:
            if last:
                return last
        time.sleep(0.1)
    errors = driver.execute_script("return window.__errors")
    raise AssertionError(f"timed out waiting for {what} (last: {last!r}; errors: {errors})")


def js(driver, script: str, *args):
    return driver.execute_script(script, *args)


def text(driver, selector: str) -> str:
    return js(driver, "const e = document.querySelector(arguments[0]);"
                      "return e ? e.textContent.trim() : null;", selector)


def number(s: str) -> float:
    """A figure as the page writes it (thousands separators, ``%``, units)."""
    return float(re.sub(r"[^0-9.\-]", "", s))


def fmt(x: float) -> str:
    """A number as the page formats it (zh-CN, thousands separators, at most 2 decimals)."""
    s = f"{x:,.2f}".rstrip("0").rstrip(".")
    return s


def open_studio(driver, api: Api) -> None:
    """Open the page and wait until it has drawn the server's state, without a script error
    and without a request anywhere but the studio."""
    driver.get(api.page)
    wait(driver, lambda d: js(d, "return document.body.dataset.ready === 'true'"), "the page")
    assert js(driver, "return window.__errors") == []
    severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == [], severe
    elsewhere = js(driver, "return performance.getEntriesByType('resource')"
                           ".map(e => e.name).filter(u => !u.startsWith(location.origin))")
    assert elsewhere == [], elsewhere


def healthy(driver) -> None:
    """No script error, no alert() box, no HTML injected from a server string."""
    assert js(driver, "return window.__errors") == []
    assert js(driver, "return window.__alerts") == []
    assert js(driver, "return document.querySelectorAll("
                      "'svg[onload], img[onerror], #panel img, #panel svg').length") == 0


def annex_cell(driver, town_code: str, kind: str, field: str) -> int:
    got = text(driver, f'#annex-table tr[data-town-code="{town_code}"] '
                       f'td[data-kind="{kind}"][data-field="{field}"]')
    assert got is not None, (town_code, kind, field)
    return int(number(got))


def set_budget(driver, yuan: float) -> None:
    """Type a budget into #budget-input as a person does (the change event on Tab)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = driver.find_element(By.ID, "budget-input")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(str(int(yuan)), Keys.TAB)


def spend_changed(driver, before: str):
    now = text(driver, "#kit-spend")
    return now if now not in (before, "—", None) else None


def click_map(driver, lon: float, lat: float, zoom: float = 15) -> None:
    """Centre the map on (lon, lat) and click there with the mouse."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    x, y, w, h = js(driver, """
        const m = studio.map; m.setView([arguments[1], arguments[0]], arguments[2],
                                        {animate: false});
        const p = m.latLngToContainerPoint([arguments[1], arguments[0]]);
        const s = m.getSize(); return [p.x, p.y, s.x, s.y];""", lon, lat, zoom)
    target = driver.find_element(By.ID, "map")
    ActionChains(driver).move_to_element_with_offset(
        target, round(x - w / 2), round(y - h / 2)).click().perform()


def empty_spot(api: Api, kind: str = "care_point") -> dict:
    """A point well inside a village with no site of ``kind``, far from every site, and the
    village's town code in the annex table."""
    import shapely
    from shapely.geometry import shape
    from shapely.ops import polylabel

    base, state = api.get("/api/base"), api.get("/api/state")
    sites = [f["geometry"]["coordinates"] for f in state["figures"]["sites"]["features"]]
    own = shapely.points([c for c, f in zip(sites, state["figures"]["sites"]["features"],
                                            strict=True)
                          if f["properties"]["kind"] == kind])
    everything = shapely.multipoints(sites)
    towns = {r["town_name"]: r["town_code"] for r in state["figures"]["annex"]["rows"]}
    best = None
    for feat in base["villages"]["features"]:
        props = feat["properties"]
        poly = shape(feat["geometry"])
        if props["town_name"] not in towns or HOSTILE in props["village_name"]:
            continue
        if shapely.contains(poly, own).any():
            continue
        part = max(getattr(poly, "geoms", [poly]), key=lambda g: g.area)
        point = polylabel(part, tolerance=1e-4)
        room = min(point.distance(part.exterior), point.distance(everything))
        if best is None or room > best[0]:
            best = (room, point, props)
    assert best is not None, "every village of the demo has a care point"
    room, point, props = best
    return {"lon": round(point.x, 6), "lat": round(point.y, 6),
            "town_code": towns[props["town_name"]], "village_name": props["village_name"],
            "room_deg": room}


def added_ids(api: Api) -> list[str]:
    return [f["properties"]["facility_id"]
            for f in api.get("/api/state")["figures"]["sites"]["features"]
            if f["properties"]["origin"] == "added"]


# ------------------------------------------------------------------------- the tests


def test_placing_a_site_raises_the_towns_built_count(api, tmp_path):
    spot = empty_spot(api)
    with browser(tmp_path, loopback=True) as driver:
        open_studio(driver, api)
        town = spot["town_code"]
        built = annex_cell(driver, town, "care_point", "built")
        total = annex_cell(driver, "total", "care_point", "built")
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import Select

        Select(driver.find_element(By.ID, "kind-select")).select_by_value("care_point")
        driver.find_element(By.ID, "mode-add").click()
        assert driver.find_element(By.ID, "mode-add").get_attribute("aria-pressed") == "true"
        click_map(driver, spot["lon"], spot["lat"])
        wait(driver, lambda d: annex_cell(d, town, "care_point", "built") == built + 1,
             "the town's built care points to rise by one")
        assert annex_cell(driver, "total", "care_point", "built") == total + 1
        missing = annex_cell(driver, town, "care_point", "missing")
        required = annex_cell(driver, town, "care_point", "required")
        assert missing == max(required - built - 1, 0)
        # the new site is on the map, where it was clicked, green (added)
        assert js(driver, "return document.querySelectorAll("
                          "'#map .site-dot.origin-added').length") == 1
        state = api.get("/api/state")
        (added,) = state["scenario"]["added"]
        assert added["kind"] == "care_point"
        assert abs(added["lon"] - spot["lon"]) < 2e-4 and abs(added["lat"] - spot["lat"]) < 2e-4
        # the page shows the server's figures as the server sends them
        row = next(r for r in state["figures"]["annex"]["rows"] if r["town_code"] == town)
        assert annex_cell(driver, town, "care_point", "built") == row["care_point"]["built"]
        pct = row["care_point"]["pct"]
        shown = text(driver, f'#annex-table tr[data-town-code="{town}"] '
                             'td[data-kind="care_point"][data-field="pct"]')
        assert shown == (f"{pct:g}%" if pct is not None else "—")
        cov = state["figures"]["coverage"]["care_point"]
        assert text(driver, '#coverage-table tr[data-kind="care_point"] .cov-own .pct') == \
            f"{cov['own_site']['villages_pct']:g}%"
        healthy(driver)


def test_budget_changes_the_kit_spend(api, tmp_path):
    from selenium.webdriver.common.by import By

    base = api.get("/api/base")
    if not base["has_water"]:
        pytest.skip("the demo copy has no water layer")
    with browser(tmp_path, loopback=True) as driver:
        open_studio(driver, api)
        before = text(driver, "#kit-spend")
        state = api.get("/api/state")
        assert before == fmt(state["figures"]["kits"]["spend_yuan"])
        shown = driver.find_element(By.ID, "budget-input").get_attribute("value")
        budget = float(shown)
        assert budget == state["figures"]["kits"]["budget_yuan"]
        new = 50_000 if budget > 60_000 else budget + 100_000
        set_budget(driver, new)
        after = wait(driver, lambda d: spend_changed(d, before), "#kit-spend to change")
        state = api.get("/api/state")
        assert state["scenario"]["water"]["budget_yuan"] == new
        kits = state["figures"]["kits"]
        assert after == fmt(kits["spend_yuan"])
        assert number(after) <= new
        assert text(driver, "#kit-new") == fmt(kits["new_kits"])
        assert text(driver, "#kit-remaining") == fmt(kits["remaining_yuan"])
        assert text(driver, "#cost-total") == fmt(state["figures"]["cost"]["total_yuan"])
        # thousands separators
        assert "," in after or number(after) < 1000
        healthy(driver)


def test_scenarios_saved_reloaded_compared_and_loaded(api, tmp_path):
    from selenium.webdriver.common.by import By

    first, second = "方案甲", "方案乙_2"
    with browser(tmp_path, loopback=True) as driver:
        open_studio(driver, api)
        before = text(driver, "#kit-spend")
        set_budget(driver, 120_000)
        wait(driver, lambda d: spend_changed(d, before), "the spend of the first budget")
        name = driver.find_element(By.ID, "scenario-name")
        name.clear()
        name.send_keys(first)
        driver.find_element(By.ID, "save-scenario").click()
        wait(driver, lambda d: text(d, f'#compare-table thead th[data-name="{first}"]'),
             "the first scenario in the comparison")
        saved = {"spend": text(driver, "#kit-spend"),
                 "annex": text(driver, "#annex-table"),
                 "coverage": text(driver, "#coverage-table"),
                 "cost": text(driver, "#cost-total")}
        assert text(driver, "#scenario-current") == first
        assert (api.workspace / "方案" / f"{first}.toml").is_file()

        # a second scenario: another budget and a site taken from the next-best list
        set_budget(driver, 60_000)
        wait(driver, lambda d: spend_changed(d, saved["spend"]), "the second budget's spend")
        driver.find_element(By.ID, "next-best-btn").click()
        wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#next-best-list .add-next"),
             "the next-best list")
        rev = js(driver, "return studio.rev")
        driver.find_element(By.CSS_SELECTOR, "#next-best-list .add-next").click()
        wait(driver, lambda d: js(d, "return studio.rev") > rev, "the next-best site added")
        name.clear()
        name.send_keys(second)
        driver.find_element(By.ID, "save-scenario").click()
        wait(driver, lambda d: text(d, f'#compare-table thead th[data-name="{second}"]'),
             "the second scenario in the comparison")

        # reload: both saved scenarios side by side
        driver.refresh()
        open_studio(driver, api)
        names = wait(driver, lambda d: js(d, "return [...document.querySelectorAll("
                                             "'#compare-table thead th[data-name]')]"
                                             ".map(e => e.dataset.name)"), "the comparison")
        assert {first, second} <= set(names)

        def cell(row, scenario):
            return text(driver, f'#compare-table tr[data-row="{row}"] '
                                f'td[data-name="{scenario}"]')

        assert cell("sites_added", first) == "0"
        assert cell("sites_added", second) == "1"
        assert cell("cost_yuan", first) != cell("cost_yuan", second)
        listed = {it["name"]: it for it in api.get("/api/scenarios")["items"]}
        assert cell("cost_yuan", first) == fmt(listed[first]["cost_yuan"]) + " 元"
        for kind, value in listed[second]["quota_pct"].items():
            assert cell(f"quota-{kind}", second) == ("—" if value is None else f"{value:g}%")
        # export and print links name the scenario (escaped in the URL) and carry the token
        href = js(driver, "return document.querySelector("
                          "'#compare-table a.annex-link[data-name=\"' + arguments[0] + '\"]')"
                          ".href", first)
        assert urllib.parse.quote(first) in href and "annex.xlsx" in href
        href = js(driver, "return document.querySelector("
                          "'#compare-table a.print-link[data-name=\"' + arguments[0] + '\"]')"
                          ".href", first)
        assert "/print?" in href and f"token={api.token}" in href

        # load the first: the same figures as when it was saved
        driver.find_element(
            By.CSS_SELECTOR, f'#compare-table button.load-scenario[data-name="{first}"]').click()
        wait(driver, lambda d: text(d, "#scenario-current") == first
             and text(d, "#kit-spend") == saved["spend"], "the first scenario loaded")
        wait(driver, lambda d: text(d, "#annex-table") == saved["annex"], "its annex table")
        assert text(driver, "#coverage-table") == saved["coverage"]
        assert text(driver, "#cost-total") == saved["cost"]
        assert driver.find_element(By.ID, "budget-input").get_attribute("value") == "120000"
        assert js(driver, "return document.querySelectorAll('#map .site-dot.origin-added')"
                          ".length") == 0
        healthy(driver)


def test_a_bad_scenario_name_is_refused_in_the_page(api, tmp_path):
    from selenium.webdriver.common.by import By

    root = api.workspace.parent
    saved = sorted((api.workspace / "方案").glob("*")) if (api.workspace / "方案").exists() \
        else []
    with browser(tmp_path, loopback=True) as driver:
        open_studio(driver, api)
        name = driver.find_element(By.ID, "scenario-name")
        name.clear()
        name.send_keys("../<img src=x onerror=alert(1)>")
        driver.find_element(By.ID, "save-scenario").click()
        message = wait(driver, lambda d: d.find_element(By.ID, "message").is_displayed()
                       and text(d, "#message-text"), "the message bar")
        assert CJK.search(message), message
        assert js(driver, "return document.querySelectorAll('#message *').length") == 2
        healthy(driver)
        assert not [p for p in root.rglob("*") if "img" in p.name or "onerror" in p.name]
        assert sorted((api.workspace / "方案").glob("*")) == saved

        # the page keeps working: the message closes, an edit goes through
        driver.find_element(By.ID, "message-close").click()
        assert not driver.find_element(By.ID, "message").is_displayed()
        before = text(driver, "#kit-spend")
        set_budget(driver, 70_000)
        wait(driver, lambda d: spend_changed(d, before), "an edit after the refusal")
        healthy(driver)


def test_an_edit_outside_every_village_is_refused_in_the_page(api, tmp_path):
    from selenium.webdriver.common.by import By

    base = api.get("/api/base")
    (south, west), (north, east) = base["bounds"]
    with browser(tmp_path, loopback=True) as driver:
        open_studio(driver, api)
        rev = js(driver, "return studio.rev")
        driver.find_element(By.ID, "mode-add").click()
        # far outside the county (still on the map)
        click_map(driver, west - 0.3, south - 0.3, zoom=12)
        message = wait(driver, lambda d: d.find_element(By.ID, "message").is_displayed()
                       and text(d, "#message-text"), "the refusal")
        assert CJK.search(message), message
        assert js(driver, "return studio.rev") == rev
        assert api.get("/api/state")["scenario"]["added"] == []
        healthy(driver)


def test_two_tabs_stay_consistent_and_a_stale_edit_redraws(api, tmp_path):
    from selenium.webdriver.common.by import By

    if not api.get("/api/base")["has_water"]:
        pytest.skip("the demo copy has no water layer")
    with browser(tmp_path, loopback=True) as driver:
        open_studio(driver, api)
        one = driver.current_window_handle
        driver.switch_to.new_window("tab")
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PRELOAD})
        open_studio(driver, api)
        before = text(driver, "#kit-spend")
        set_budget(driver, 150_000)
        spend = wait(driver, lambda d: spend_changed(d, before), "the spend in tab two")
        driver.switch_to.window(one)
        wait(driver, lambda d: text(d, "#kit-spend") == spend, "tab one to follow", 15)
        assert driver.find_element(By.ID, "budget-input").get_attribute("value") == "150000"

        # an edit from a page that has not seen the latest revision: refused (409), the
        # message shown, the page drawn from the state the server returned
        js(driver, """studio.rev -= 1; const b = document.getElementById('budget-input');
                      b.value = '90000'; b.dispatchEvent(new Event('change'));""")
        message = wait(driver, lambda d: d.find_element(By.ID, "message").is_displayed()
                       and text(d, "#message-text"), "the stale-revision message")
        assert CJK.search(message), message
        assert "msg-warn" in driver.find_element(By.ID, "message").get_attribute("class")
        state = api.get("/api/state")
        assert state["scenario"]["water"]["budget_yuan"] == 150_000
        wait(driver, lambda d: js(d, "return studio.rev") == state["rev"], "the server's rev")
        assert driver.find_element(By.ID, "budget-input").get_attribute("value") == "150000"
        assert text(driver, "#kit-spend") == spend
        healthy(driver)


def test_sites_dragged_and_removed_on_the_map(api, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    spot = empty_spot(api)
    api.edit(op="add", kind="care_point", lon=spot["lon"], lat=spot["lat"])
    (fid,) = added_ids(api)
    with browser(tmp_path, loopback=True) as driver:
        open_studio(driver, api)
        js(driver, "studio.map.setView([arguments[1], arguments[0]], 16, {animate: false})",
           spot["lon"], spot["lat"])
        marker = wait(driver, lambda d: d.find_element(
            By.CSS_SELECTOR, "#map .site-dot.origin-added"), "the added site")
        rev = js(driver, "return studio.rev")
        # a short drag (~70 m at zoom 16): still inside the village
        ActionChains(driver).click_and_hold(marker).move_by_offset(10, 5) \
            .move_by_offset(10, 5).release().perform()
        wait(driver, lambda d: js(d, "return studio.rev") > rev, "the move to be saved")

        def where():
            for f in api.get("/api/state")["figures"]["sites"]["features"]:
                if f["properties"]["facility_id"] == fid:
                    return f["geometry"]["coordinates"]
            return None

        lon, lat = where()
        assert lon > spot["lon"] and lat < spot["lat"]  # right and down on the screen
        assert abs(lon - spot["lon"]) < 0.003 and abs(lat - spot["lat"]) < 0.003

        # click the site: a popup with 移除
        marker = driver.find_element(By.CSS_SELECTOR, "#map .site-dot.origin-added")
        ActionChains(driver).click(marker).perform()
        button = wait(driver, lambda d: d.find_element(By.CSS_SELECTOR,
                                                       ".leaflet-popup .remove-site"),
                      "the popup")
        assert js(driver, "return document.querySelector('.leaflet-popup .remove-site')"
                          ".textContent") == "移除"
        popup = text(driver, ".leaflet-popup-content")
        assert "方案新增" in popup
        button.click()
        wait(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, "#map .site-dot.origin-added"),
             "the site to go")
        assert added_ids(api) == []

        # candidates: 标记候选点 puts a square on the map
        driver.find_element(By.ID, "mode-candidate").click()
        click_map(driver, spot["lon"], spot["lat"], zoom=14)
        wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".candidate-icon"),
             "the candidate")
        assert len(api.get("/api/state")["scenario"]["candidates"]) == 1
        healthy(driver)


def test_suggestion_cancelled_then_run_and_applied(api, tmp_path):
    from selenium.webdriver.common.by import By

    with browser(tmp_path, loopback=True) as driver:
        open_studio(driver, api)
        # cancelled at once: the page says so and can start again
        driver.find_element(By.ID, "suggest-btn").click()
        assert driver.find_element(By.ID, "suggest-cancel").is_displayed()
        driver.find_element(By.ID, "suggest-cancel").click()
        assert text(driver, "#suggest-status") == "已取消"
        assert driver.find_element(By.ID, "suggest-btn").is_enabled()
        assert not driver.find_element(By.ID, "suggest-cancel").is_displayed()

        # run to the end: status and gap per kind, sites listed, then applied
        driver.find_element(By.ID, "suggest-btn").click()
        status = wait(driver, lambda d: d.find_element(By.ID, "suggest-apply").is_displayed()
                      and text(d, "#suggest-status"), "the suggestion", 120)
        assert "建议" in status and ("最优" in status or "差距" in status
                                     or CJK.search(status)), status
        assert not driver.find_element(By.ID, "suggest-cancel").is_displayed()
        listed = len(driver.find_elements(By.CSS_SELECTOR, "#suggest-list li"))
        assert len(driver.find_elements(By.CSS_SELECTOR, ".suggest-icon")) == listed
        # new sites (an existing care home upgraded to the standard adds none)
        n = len(driver.find_elements(By.CSS_SELECTOR, "#suggest-list li:not(.upgrade)"))
        assert n > 0
        driver.find_element(By.ID, "suggest-apply").click()
        wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR,
                                                   "#map .site-dot.origin-added")) == n,
             "the suggested sites on the map")
        added = api.get("/api/state")["scenario"]["added"]
        assert len(added) == n
        healthy(driver)
    # the page's suggestion is the command line's placement for the same workspace
    from planner.pipeline import run

    result = run(api.workspace, write=False, echo=lambda _line: None, show_progress=False)
    props = result.proposals[result.proposals["method"] != "upgrade"].to_crs("EPSG:4326")
    cli = sorted((k, round(p.x, 5), round(p.y, 5))
                 for k, p in zip(props["kind"], props.geometry, strict=True))
    assert sorted((a["kind"], round(a["lon"], 5), round(a["lat"], 5)) for a in added) == cli


def test_names_from_the_data_are_text_not_html(api, tmp_path):
    from shapely.geometry import shape
    from shapely.ops import polylabel

    (village,) = [f for f in api.get("/api/base")["villages"]["features"]
                  if f["properties"]["village_name"] == HOSTILE]
    poly = shape(village["geometry"])
    point = polylabel(max(getattr(poly, "geoms", [poly]), key=lambda g: g.area), 1e-4)
    api.edit(op="add", kind="care_point", lon=round(point.x, 6), lat=round(point.y, 6))
    with browser(tmp_path, loopback=True) as driver:
        open_studio(driver, api)
        shown = js(driver, """
            let out = null;
            studio.layers.villages.eachLayer(l => {
              if (l.feature.properties.village_name.includes('<svg')) {
                l.openTooltip(l.getBounds().getCenter());
                out = document.querySelector('.leaflet-tooltip').textContent;
              }
            });
            return out;""")
        assert shown is not None and HOSTILE in shown, shown
        # a site in that village: its popup names the village as text
        names = js(driver, """
            const out = [];
            studio.layers.sites.eachLayer(m => {
              if ((m.feature.properties.village_name || '').includes('<svg')) {
                m.openPopup();
                out.push(document.querySelector('.leaflet-popup-content').textContent);
              }
            });
            return out;""")
        assert names and all(HOSTILE in n for n in names), names
        healthy(driver)


def test_annex_export_and_printable_map(api, tmp_path):
    from openpyxl import load_workbook
    from selenium.webdriver.common.by import By

    name = "打印方案"
    spot = empty_spot(api)
    api.edit(op="add", kind="care_point", lon=spot["lon"], lat=spot["lat"])
    status, state = api.call("POST", "/api/scenarios",
                             {"name": name, "rev": api.get("/api/state")["rev"]})
    assert status == 200, state
    total = state["figures"]["annex"]["total"]
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with browser(tmp_path, loopback=True) as driver:
        driver.execute_cdp_cmd("Page.setDownloadBehavior",
                               {"behavior": "allow", "downloadPath": str(downloads)})
        open_studio(driver, api)
        link = wait(driver, lambda d: d.find_element(
            By.CSS_SELECTOR, f'#compare-table a.annex-link[data-name="{name}"]'),
            "the export link")
        assert link.text == "导出附表"
        link.click()
        book = wait(driver, lambda d: [p for p in downloads.glob("*.xlsx")], "the workbook")[0]
        time.sleep(0.5)  # written in full
        workbook = load_workbook(book, read_only=True)
        try:  # a read-only workbook holds its file open until closed
            cells = [str(c) for ws in workbook.worksheets
                     for row in ws.iter_rows(values_only=True) for c in row if c is not None]
        finally:
            workbook.close()
        assert name in "".join(cells)
        healthy(driver)

        # the printable map: the scenario's figures, sites on the map, nothing to edit
        href = driver.find_element(
            By.CSS_SELECTOR, f'#compare-table a.print-link[data-name="{name}"]'
        ).get_attribute("href")
        driver.get(href)
        wait(driver, lambda d: js(d, "return document.body.dataset.ready === 'true'"),
             "the printable page")
        assert text(driver, "#print-scenario") == name
        for kind, figures in total.items():
            assert annex_cell(driver, "total", kind, "built") == figures["built"]
        assert js(driver, "return document.querySelectorAll("
                          "'#map .site-dot.origin-added').length") == 1
        assert js(driver, "return document.querySelectorAll("
                          "'#map .leaflet-marker-draggable').length") == 0
        assert text(driver, "#cost-total") == fmt(state["figures"]["cost"]["total_yuan"])
        healthy(driver)
