"""``planner run`` and its output folder as users and accidents meet it: the output folder
set to the workspace, a workspace name holding ``../``, two runs at once, ``kill -9`` in the
middle, SIGTERM and Ctrl-C with forked stages running, a re-run without the water layer.

Runs are real ``planner`` processes on the mini workspace (a few seconds each).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from planner.records.outputs import MANIFEST, is_complete

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.e2e


def _env() -> dict[str, str]:
    return os.environ | {"PYTHONPATH": str(ROOT)}


def _planner(*args: str, cwd: Path = ROOT, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "planner", "-q", *args], cwd=cwd,
                          env=_env(), capture_output=True, text=True, timeout=300, **kw)


def _start(*args: str, cwd: Path = ROOT) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "planner", *args], cwd=cwd, env=_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _one_line(done) -> str:
    err = done.stderr if isinstance(done.stderr, str) else done.stderr.read()
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def _with_water(ws: Path) -> Path:
    water = gpd.GeoDataFrame({"type": ["坑塘", "沟渠"]}, geometry=[
        shapely.box(120.51, 32.31, 120.512, 32.312),
        shapely.LineString([(120.50, 32.30), (120.53, 32.33)])], crs=4326)
    water.to_file(ws / "water.gpkg")
    toml = ws / "planner.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        "[quota]", '[layers.water]\npath = "water.gpkg"\n\n[quota]'), encoding="utf-8")
    return ws


@pytest.mark.parametrize("where", ["workspace", "parent", "input file"])
def test_an_output_folder_holding_the_users_files_is_refused(mini, where):
    out = {"workspace": mini, "parent": mini.parent,
           "input file": mini / "facilities.csv"}[where]
    before = _snapshot(mini)
    done = _planner("run", str(mini), "--out", str(out))
    assert done.returncode == 2
    assert "--out" in _one_line(done)
    assert _snapshot(mini) == before  # facilities.csv (an input) is not overwritten
    assert sorted(p.name for p in mini.parent.iterdir()) == ["mini"]


@pytest.mark.slow  # whole runs in processes of their own
def test_a_workspace_name_with_dot_dots_stays_in_outputs(mini, tmp_path):
    toml = mini / "planner.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        'name = "测试县"', 'name = "../../逃逸"'), encoding="utf-8")
    cwd = tmp_path / "here"
    cwd.mkdir()
    done = _planner("run", str(mini), cwd=cwd)
    assert done.returncode == 0, done.stderr
    written = [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("run.json")]
    assert len(written) == 1 and written[0].startswith("here/outputs/")
    assert not (tmp_path / "逃逸").exists() and not (tmp_path.parent / "逃逸").exists()


@pytest.mark.slow  # whole runs in processes of their own
def test_a_rerun_without_water_leaves_no_water_file(mini, tmp_path):
    out = tmp_path / "out"
    _with_water(mini)
    assert _planner("run", str(mini), "--out", str(out)).returncode == 0
    assert (out / "water_risk.csv").is_file() and is_complete(out)
    toml = mini / "planner.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        '[layers.water]\npath = "water.gpkg"\n', ""), encoding="utf-8")
    assert _planner("run", str(mini), "--out", str(out)).returncode == 0
    names = {p.name for p in out.iterdir()}
    assert not names & {"water_risk.csv", "requisition.csv", "proposed_kits.geojson",
                        "patrol_plan.csv", "water_actions.xlsx", "map_water_risk.png"}
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert set(manifest["files"]) == names - {MANIFEST}
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["water"] is None


def _wait_for(predicate, *, seconds: float = 120) -> None:
    end = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError("timed out")
        time.sleep(0.05)


def _staging(out: Path) -> list[Path]:
    return [p for p in out.parent.iterdir() if ".planner-new-" in p.name]


@pytest.mark.slow  # whole runs in processes of their own
def test_two_runs_at_once_the_second_is_refused(mini, tmp_path):
    out = tmp_path / "out"
    first = _start("run", str(mini), "--out", str(out))
    try:
        _wait_for(lambda: _staging(out))
        second = _planner("run", str(mini), "--out", str(out))
        assert second.returncode == 2
        assert "another run" in _one_line(second)
    finally:
        assert first.wait(timeout=300) == 0, first.stderr.read()
        first.stderr.close()
    assert is_complete(out)


@pytest.mark.slow  # whole runs in processes of their own
def test_kill_9_mid_run_leaves_the_earlier_complete_set(mini, tmp_path):
    out = tmp_path / "out"
    assert _planner("run", str(mini), "--out", str(out)).returncode == 0
    before = _snapshot(out)
    proc = _start("run", str(mini), "--out", str(out))
    _wait_for(lambda: any(any(p.iterdir()) for p in _staging(out)))  # it writes
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    proc.stderr.close()
    assert _snapshot(out) == before and is_complete(out)
    assert _planner("run", str(mini), "--out", str(out)).returncode == 0  # lock taken over
    assert not _staging(out) and is_complete(out)


def _group_size(pgid: int) -> int:
    """How many processes of group ``pgid`` are alive (from /proc)."""
    n = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        n += fields[0] != "Z" and int(fields[2]) == pgid
    return n


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow  # whole runs in processes of their own
@pytest.mark.skipif(not hasattr(os, "fork") or not Path("/proc/self/stat").exists(),
                    reason="forked stages need fork; the test counts them in /proc")
@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_ends_the_run_and_its_forked_stages_in_one_line(mini, tmp_path, sig, code):
    out = tmp_path / "out"
    ws = _with_water(mini)  # water, so access + propose run in a forked child beside it
    assert _planner("run", str(ws), "--out", str(out)).returncode == 0
    before = _snapshot(out)
    proc = _start("run", str(ws), "--out", str(out))
    _wait_for(lambda: _group_size(proc.pid) >= 2)  # a forked stage is running
    target = proc.pid if sig == signal.SIGTERM else -proc.pid  # Ctrl-C: the whole group
    os.kill(target, sig) if target > 0 else os.killpg(proc.pid, sig)
    assert proc.wait(timeout=60) == code
    line = _one_line(proc)
    proc.stderr.close()
    assert "earlier outputs are unchanged" in line
    _wait_for(lambda: not _group_alive(proc.pid), seconds=10)  # no child writes on
    assert _snapshot(out) == before and not _staging(out)


@pytest.mark.slow  # whole runs in processes of their own
def test_the_demo_output_folder_of_an_earlier_version_is_taken_over(mini, tmp_path):
    """Outputs written before the manifest existed are recognised by their run.json."""
    out = tmp_path / "out"
    assert _planner("run", str(mini), "--out", str(out)).returncode == 0
    (out / MANIFEST).unlink()
    shutil.copy(out / "progress.csv", out / "map_extra.png")  # an old map name
    assert _planner("run", str(mini), "--out", str(out)).returncode == 0
    assert not (out / "map_extra.png").exists() and is_complete(out)


@pytest.mark.slow  # whole runs in processes of their own
@pytest.mark.skipif(not hasattr(os, "fork") or not Path("/proc/self/stat").exists(),
                    reason="forked stages need fork; the test counts them in /proc")
def test_kill_9_of_the_parent_alone_ends_its_forked_stages(mini, tmp_path):
    """The OOM killer takes the parent only: its forked stages end too, writing nothing."""
    out = tmp_path / "out"
    ws = _with_water(mini)
    proc = _start("run", str(ws), "--out", str(out))
    _wait_for(lambda: _group_size(proc.pid) >= 2)
    os.kill(proc.pid, signal.SIGKILL)  # the parent only, not its group
    proc.wait(timeout=60)
    proc.stderr.close()
    _wait_for(lambda: not _group_alive(proc.pid), seconds=10)
    assert not out.exists()  # no complete set before: nothing
    assert _planner("run", str(ws), "--out", str(out)).returncode == 0
    assert is_complete(out) and not _staging(out)
