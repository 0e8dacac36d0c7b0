"""Headless Chromium for the browser tests (Debian's ``/usr/bin/chromium`` and
``/usr/bin/chromedriver`` through selenium), with the network cut off (a dead proxy, pages
from file://) and fontconfig pointed at the planner's CJK font, so that screenshots show
Chinese glyphs."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

PRELOAD = """
window.__alerts = []; window.__errors = [];
window.alert = function (m) { window.__alerts.push(String(m)); };
window.addEventListener('error', function (e) {
  window.__errors.push(String(e.message || e.type) + ' ' + (e.filename || ''));
});
"""

MAP_JS = "const map = window[Object.keys(window).find(k => /^map_[0-9a-f]+$/.test(k))];\n"


@contextlib.contextmanager
def browser(tmp_path: Path, *, size: tuple[int, int] | None = None, loopback: bool = False):
    """Headless Chromium, offline, with the planner's CJK font; ``size``: the viewport
    (width, height) in CSS pixels, a phone's (touch, mobile layout) below 600 wide;
    ``loopback``: pages from a local server (``planner studio``): 127.0.0.1 and localhost
    bypass the dead proxy and the network is not emulated offline, every other address
    still goes to the dead proxy."""
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is absent: apt-get install chromium chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from planner.report._fonts import cjk_font_path

    assert CHROMEDRIVER.exists(), "chromium without chromedriver: apt-get install chromium-driver"
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
        f"<dir>{cjk_font_path().parent}</dir><cachedir>{tmp_path}/fc-cache</cachedir>"
        "</fontconfig>", encoding="utf-8")
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                f"--user-data-dir={tmp_path / 'profile'}", "--proxy-server=127.0.0.1:9",
                "--proxy-bypass-list=" + ("127.0.0.1;localhost" if loopback else "<-loopback>"),
                "--window-size=1400,1000"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=str(CHROMEDRIVER),
                      env=dict(os.environ, FONTCONFIG_FILE=str(conf)))
    driver = webdriver.Chrome(service=service, options=opts)
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
            "offline": not loopback, "latency": 0, "downloadThroughput": -1,
            "uploadThroughput": -1})
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PRELOAD})
        if size is not None:
            width, height = size
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": width, "height": height, "deviceScaleFactor": 1,
                "mobile": width < 600})
            if width < 600:
                driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled",
                                       {"enabled": True, "maxTouchPoints": 5})
        yield driver
    finally:
        driver.quit()


def open_page(driver, page: Path) -> None:
    """Open ``page`` (a file) and check that it loaded without a script error."""
    driver.get(page.resolve().as_uri())
    driver.execute_script("return document.readyState")
    errors = driver.execute_script("return window.__errors")
    severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [] and severe == [], (errors, severe)
    assert driver.execute_script("return typeof L") == "object"
