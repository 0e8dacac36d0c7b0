"""The maps drawn in a forked child beside the tables: same files, same figures, errors
come back to the parent, and the serial fallback where forking is not safe."""

from __future__ import annotations

import json
import threading

import pytest

from planner import pipeline
from planner._beside import Beside, can_fork
from planner._errors import InputFileError

pytestmark = pytest.mark.skipif(not can_fork(), reason="needs fork, single-threaded")


def test_child_writes_and_reports_its_time(tmp_path):
    target = tmp_path / "out.txt"
    job = Beside(lambda: target.write_text("如皋", encoding="utf-8"))
    assert job.forked
    assert job.wait() >= 0.0
    assert target.read_text(encoding="utf-8") == "如皋"


def test_child_error_is_raised_in_the_parent():
    def fail():
        raise InputFileError("towns.shp, row 3: no geometry; draw the town or drop the row")

    job = Beside(fail)
    with pytest.raises(InputFileError, match="row 3: no geometry"):
        job.wait()


def test_serial_when_threads_or_asked(monkeypatch, tmp_path):
    monkeypatch.setenv("PLANNER_SERIAL", "1")
    assert not Beside(lambda: None).forked
    monkeypatch.delenv("PLANNER_SERIAL")
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        job = Beside(lambda: (tmp_path / "x").touch())
        assert not job.forked and not (tmp_path / "x").exists()
        job.wait()  # runs here, in the parent
        assert (tmp_path / "x").exists()
    finally:
        stop.set()
        other.join()


@pytest.mark.slow
def test_forked_and_serial_runs_write_the_same(mini, tmp_path, monkeypatch):
    forked = tmp_path / "forked"
    pipeline.run(mini, out=forked, echo=lambda _s: None, show_progress=False)
    monkeypatch.setenv("PLANNER_SERIAL", "1")
    serial = tmp_path / "serial"
    pipeline.run(mini, out=serial, echo=lambda _s: None, show_progress=False)
    assert sorted(p.name for p in forked.iterdir()) == sorted(p.name for p in serial.iterdir())
    runs = [json.loads((d / "run.json").read_text(encoding="utf-8")) for d in (forked, serial)]
    for run in runs:
        assert set(run.pop("timings_s")) == set(pipeline.STAGES)
    assert _untimed(runs[0]) == _untimed(runs[1])
    for name in ("report.html", "map_quota.png", "map_coverage.png"):
        assert (forked / name).read_bytes() == (serial / name).read_bytes(), name


def _untimed(value):
    """``value`` without the solver timings (``*seconds`` keys), which differ run to run."""
    if isinstance(value, dict):
        return {k: _untimed(v) for k, v in value.items() if not str(k).endswith("seconds")}
    if isinstance(value, list):
        return [_untimed(v) for v in value]
    return value
