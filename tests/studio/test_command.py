"""``planner studio`` and ``planner run --scenario`` as a user runs them."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time

import httpx
import pytest

from planner.cli import main
from planner.records.scenario import Scenario, SiteEdit, write_scenario
from tests.conftest import MINI


@pytest.mark.slow
def test_the_command_prints_its_address_serves_and_stops_on_ctrl_c(tmp_path):
    ws = tmp_path / "mini"
    shutil.copytree(MINI, ws)
    proc = subprocess.Popen([sys.executable, "-m", "planner", "studio", str(ws),
                             "--no-browser"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, encoding="utf-8")
    try:
        url = None
        deadline = time.monotonic() + 60
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            found = re.search(r"http://127\.0\.0\.1:\d+/\?token=[\w-]+", line)
            url = found[0] if found else None
        assert url, "no address printed"
        base, token = url.split("/?token=")
        assert httpx.get(f"{base}/api/state", headers={"X-Planner-Token": token}).status_code \
            == 200
        assert httpx.get(f"{base}/api/state").status_code == 403
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "已停止" in out and "Traceback" not in err


def test_run_with_an_unknown_scenario_is_one_line(tmp_path, capsys):
    ws = tmp_path / "mini"
    shutil.copytree(MINI, ws)
    write_scenario(ws, Scenario(name="甲"))
    assert main(["run", str(ws), "--scenario", "乙", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert "没有名为 '乙' 的方案" in err and "已有：甲" in err and "\n" not in err
    assert main(["run", str(ws), "--scenario", "../x", "--out", str(tmp_path / "o")]) == 2
    assert "方案名称" in capsys.readouterr().err


@pytest.mark.slow
def test_run_with_a_scenario_counts_its_sites(tmp_path, capsys):
    ws = tmp_path / "mini"
    shutil.copytree(MINI, ws)
    write_scenario(ws, Scenario(name="北村", added=[SiteEdit("新增-1", "care_point", 120.58,
                                                             32.37)]))
    out = tmp_path / "o"
    assert main(["run", str(ws), "--scenario", "北村", "--out", str(out), "-q"]) == 0
    import json

    run = json.loads((out / "run.json").read_text("utf-8"))
    assert run["scenario"]["name"] == "北村" and run["scenario"]["added"] == 1
    assert run["inputs"][-1]["file"] == "方案/北村.toml" or any(
        i["file"] == "方案/北村.toml" and i["accepted"] == 1 for i in run["inputs"])
