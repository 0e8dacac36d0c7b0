"""Take the README's screenshot of ``planner studio``, ``docs/studio.png``.

    python scripts/studio_screenshot.py [--out docs/studio.png]

Starts the studio on a copy of the bundled demo (the studio writes saved scenarios into the
workspace, the copy is thrown away), makes a small plan through the studio's own API -- two
care points in the villages with the most children and none, a candidate point, a smaller kit
budget, saved as 方案甲 beside a second scenario 方案乙 -- opens the page in headless Chromium
(``tests/report/browser.py``, Debian's chromium + chromedriver, nothing but the local server
reachable), lists the next best places and saves the screenshot. Needs the test extras
(selenium).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planner.datasets import demo  # noqa: E402
from planner.studio.server import start_background  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


class _Api:
    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.token = urllib.parse.parse_qs(parts.query)["token"][0]

    def __call__(self, method: str, path: str, body: dict | None = None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.origin + path, data=data, method=method, headers={
            "X-Planner-Token": self.token, "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=120) as resp:
            return json.loads(resp.read())

    def edit(self, **op):
        return self("POST", "/api/edit", {"rev": self("GET", "/api/state")["rev"], **op})

    def save(self, name: str):
        return self("POST", "/api/scenarios", {"name": name,
                                               "rev": self("GET", "/api/state")["rev"]})


def _plan(api: _Api) -> None:
    """Two scenarios; 方案甲 current."""
    api.edit(op="budget", budget_yuan=150_000)
    api.save("方案乙")
    api.edit(op="reset")
    spots = _villages_without_care_point(api)
    for lon, lat in spots[:2]:
        api.edit(op="add", kind="care_point", lon=lon, lat=lat)
    lon, lat = spots[2]
    api.edit(op="candidate", lon=lon, lat=lat)
    api.edit(op="budget", budget_yuan=200_000)
    api.save("方案甲")


def _villages_without_care_point(api: _Api) -> list[tuple[float, float]]:
    """A point inside each village without a care point, most children first."""
    from shapely.geometry import shape
    from shapely.ops import polylabel

    base, state = api("GET", "/api/base"), api("GET", "/api/state")
    hosts = {(f["properties"]["town_name"], f["properties"]["village_name"])
             for f in state["figures"]["sites"]["features"]
             if f["properties"]["kind"] == "care_point"}
    free = [f for f in base["villages"]["features"]
            if (f["properties"]["town_name"], f["properties"]["village_name"]) not in hosts]
    free.sort(key=lambda f: -(f["properties"].get("children") or 0))
    out = []
    for f in free:
        poly = shape(f["geometry"])
        part = max(getattr(poly, "geoms", [poly]), key=lambda g: g.area)
        p = polylabel(part, tolerance=1e-4)
        out.append((round(p.x, 6), round(p.y, 6)))
    return out


def screenshot(out: Path) -> Path:
    from selenium.webdriver.common.by import By

    from tests.report.browser import browser

    with tempfile.TemporaryDirectory(prefix="studio-shot-") as tmp:
        tmp = Path(tmp)
        ws = tmp / "如皋市"
        shutil.copytree(demo(), ws, ignore=shutil.ignore_patterns("examples", "__pycache__"))
        server = start_background(ws)
        try:
            api = _Api(server.url)
            _plan(api)
            with browser(tmp, size=(1500, 940), loopback=True) as driver:
                driver.get(server.url)
                deadline = time.monotonic() + 60
                while driver.execute_script("return document.body.dataset.ready") != "true":
                    if time.monotonic() > deadline:
                        raise SystemExit("the studio page did not load")
                    time.sleep(0.2)
                driver.find_element(By.ID, "next-best-btn").click()
                while not driver.find_elements(By.CSS_SELECTOR, "#next-best-list li"):
                    time.sleep(0.2)
                driver.execute_script(
                    "studio.fit();"
                    "document.getElementById('panel').scrollTop = 0;")
                time.sleep(1.0)
                errors = driver.execute_script("return window.__errors")
                if errors:
                    raise SystemExit(f"script errors on the page: {errors}")
                out.parent.mkdir(parents=True, exist_ok=True)
                driver.save_screenshot(str(out))
        finally:
            server.stop()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "studio.png")
    args = parser.parse_args(argv)
    print(screenshot(args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
