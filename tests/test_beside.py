"""The maps drawn in a forked child beside the tables (and the patrols planned beside the
budget): same files, same figures, errors come back to the parent, and the serial
fallback where forking is not safe.

Each check runs in a fresh interpreter: earlier tests leave threads behind in the test
process (dask's), and a process with threads never forks its stages.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from planner import pipeline

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")


def _env(**env: str) -> dict[str, str]:
    """This environment without a ``PLANNER_SERIAL`` of the caller's, plus ``env``."""
    return {k: v for k, v in os.environ.items() if k != "PLANNER_SERIAL"} | env


def _python(code: str, **env: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT,
                          env=_env(**env), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_child_writes_returns_and_raises(tmp_path):
    out = _python(f"""
        import os
        from pathlib import Path
        from planner._beside import Beside
        from planner._errors import InputFileError
        target = Path({str(tmp_path)!r}) / "out.txt"
        job = Beside(lambda: (target.write_text(str(os.getpid()), encoding="utf-8"), 7)[1])
        assert job.forked
        assert job.wait() == 7 and job.seconds >= 0.0
        assert target.read_text(encoding="utf-8") != str(os.getpid())  # the child wrote it

        def fail():
            raise InputFileError("towns.shp, row 3: no geometry; draw it or drop the row")

        try:
            Beside(fail).wait()
        except InputFileError as exc:
            print(exc)
    """)
    assert out == "towns.shp, row 3: no geometry; draw it or drop the row"


def test_serial_when_threads_or_asked():
    out = _python("""
        import threading
        from planner._beside import Beside
        print(Beside(lambda: None).forked)
        stop = threading.Event()
        other = threading.Thread(target=stop.wait)
        other.start()
        job = Beside(lambda: threading.current_thread().name)
        print(job.forked, job.wait())  # run in the parent, on wait
        stop.set()
        other.join()
    """, PLANNER_SERIAL="1")
    assert out.splitlines() == ["False", "False MainThread"]
    out = _python("""
        from planner._beside import Beside
        print(Beside(lambda: None).forked)
    """)
    assert out == "True"


@pytest.mark.slow
def test_forked_and_serial_runs_write_the_same(tmp_path):
    """The demo (with water, so the patrols are forked too), run both ways."""
    runs = {}
    for mode, env in (("forked", {}), ("serial", {"PLANNER_SERIAL": "1"})):
        done = subprocess.run([sys.executable, "-m", "planner", "run", "--out",
                               str(tmp_path / mode), "-q"], cwd=ROOT, env=_env(**env),
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        runs[mode] = json.loads((tmp_path / mode / "run.json").read_text(encoding="utf-8"))
    forked, serial = tmp_path / "forked", tmp_path / "serial"
    assert sorted(p.name for p in forked.iterdir()) == sorted(p.name for p in serial.iterdir())
    for run in runs.values():
        assert set(run.pop("timings_s")) == set(pipeline.STAGES)
    assert _untimed(runs["forked"]) == _untimed(runs["serial"])
    for name in ("report.html", "map_quota.png", "map_coverage.png", "map_water_risk.png",
                 "budget_curve.png", "progress.csv", "villages.csv", "coverage.csv",
                 "water_risk.csv", "patrol_plan.csv", "patrol_routes.csv",
                 "proposed_kits.geojson", "proposed_sites.geojson"):
        assert (forked / name).read_bytes() == (serial / name).read_bytes(), name


def _untimed(value):
    """``value`` without the solver timings (``*seconds`` keys), which differ run to run."""
    if isinstance(value, dict):
        return {k: _untimed(v) for k, v in value.items() if not str(k).endswith("seconds")}
    if isinstance(value, list):
        return [_untimed(v) for v in value]
    return value


def test_bad_osm_file_read_beside_is_one_line(tmp_path):
    """The OSM file is scanned in a child while the workspace is read: a broken file still
    gives the one-line input error naming it, at the roads stage, and exit code 2."""
    ws = tmp_path / "ws"
    shutil.copytree(ROOT / "tests" / "data" / "mini", ws)
    (ws / "roads.osm").write_text("<osm><node id='1' lat='x'", encoding="utf-8")
    toml = ws / "planner.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + '\n[roads]\npath = "roads.osm"\n',
                    encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "planner", "run", str(ws), "--out",
                           str(tmp_path / "out")], cwd=ROOT, env=_env(), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "roads.osm" in lines[0] and "Traceback" not in done.stderr
    assert "[4/9] 道路" in done.stdout and "[5/9]" not in done.stdout
