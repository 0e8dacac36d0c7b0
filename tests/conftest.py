"""Shared fixtures: the mini workspace (tests/data/mini) and a copy of it to modify."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

# Property tests draw the same examples on every run (a fresh clone must not fail by the luck
# of the draw); HYPOTHESIS_PROFILE=explore draws new ones to look for failures.
hypothesis_settings.register_profile("repeatable", derandomize=True)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

DATA = Path(__file__).resolve().parent / "data"
MINI = DATA / "mini"
DEMO = Path(__file__).resolve().parent.parent / "data"

# The tests' outputs are thrown away: GDAL need not wait for SQLite to sync planner.gpkg to
# disk after every layer (about 0.2 s of waiting per layer, 0.7 s per run; same file content).
os.environ.setdefault("OGR_SQLITE_SYNCHRONOUS", "OFF")


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A writable copy of the mini workspace."""
    dest = tmp_path / "mini"
    shutil.copytree(MINI, dest)
    return dest


#: ``planner._beside.can_fork`` as the planner has it, where an xdist worker replaced it
#: (see :func:`pytest_configure`)
_CAN_FORK = None


@contextlib.contextmanager
def forking_stages():
    """Run the stages as a user's run does, forked beside each other where that is safe
    (undoes the serial stages of an xdist worker)."""
    from planner import _beside

    current = _beside.can_fork
    if _CAN_FORK is not None:
        _beside.can_fork = _CAN_FORK
    try:
        yield
    finally:
        _beside.can_fork = current


@pytest.fixture(scope="session")
def mini_result(tmp_path_factory):
    """The pipeline run on the mini workspace (outputs written; stages forked)."""
    from planner.pipeline import run

    out = tmp_path_factory.mktemp("mini_out")
    with forking_stages():
        return run(MINI, out=out, echo=lambda _line: None)


@pytest.fixture(scope="session")
def demo_result(tmp_path_factory):
    """The pipeline run on the bundled demo (outputs written; stages forked)."""
    from planner.pipeline import run

    out = tmp_path_factory.mktemp("demo_out")
    with forking_stages():
        return run(DEMO, out=out, echo=lambda _line: None)


#: Tests the default ``python -m pytest`` leaves out (``.ci/run`` runs them with ``-m slow``):
#: those marked ``slow`` by hand -- each runs the pipeline or the command line on a workspace
#: of its own, in this process or another, or starts a dask cluster -- and, marked here,
#: every browser and notebook test and every test on the bundled demo (``demo_result``, a
#: run of ~25 CPU-s). The default run shares one run of the mini workspace (``mini_result``).
SLOW_MARKERS = {"slow", "browser", "notebook"}


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects and xdist's loadgroup reads groups
def pytest_collection_modifyitems(items):
    """Mark end-to-end tests, slow tests, and keep each session run on one xdist worker.

    Tests that run the whole pipeline (the demo or mini fixtures) are ``e2e``; browser,
    notebook and demo tests are also ``slow``; the tests sharing ``demo_result`` form one
    xdist group (``--dist loadgroup``) so that the demo is run once, not once per worker.
    """
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if {"demo_result", "mini_result"} & fixtures:
            item.add_marker(pytest.mark.e2e)
        if "demo_result" in fixtures:
            item.add_marker(pytest.mark.xdist_group("demo"))
            item.add_marker(pytest.mark.slow)
        if SLOW_MARKERS & {mark.name for mark in item.iter_markers()} - {"slow"}:
            item.add_marker(pytest.mark.slow)


class _LoadgroupNodeIds:
    """Make ``--dist loadgroup`` group again under pytest >= 9.2 (pytest-xdist 3.8).

    xdist's worker appends ``@<group>`` to a grouped test's id by setting ``item._nodeid``,
    which pytest 9.2 no longer reads (the id lives in ``item._id``): every test then counts
    as ungrouped and each worker runs the demo (pytest-dev/pytest-xdist#1386). After xdist's
    hook, this copies the id it meant into the one pytest reports; where xdist or pytest work
    as before it changes nothing.
    """

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items):
        try:
            from _pytest.nodeid import NodeId
        except ImportError:  # a pytest that still reads item._nodeid
            return
        for item in items:
            meant = getattr(item, "_nodeid", None)
            if isinstance(meant, str) and meant != item.nodeid and hasattr(item, "_id"):
                item._id = NodeId.parse(meant)


def pytest_configure(config):
    global _CAN_FORK
    if hasattr(config, "workerinput"):  # an xdist worker: it collects the tests
        config.pluginmanager.register(_LoadgroupNodeIds(), "planner-loadgroup-node-ids")
        # The workers keep both cores busy already: a stage forked beside the next one
        # (planner/_beside.py) only adds a process, about 0.9 CPU-s on each mini run and
        # no speed. So the runs inside a worker take the stages one after the other, with
        # the same results (tests/test_beside.py compares both ways). The session runs
        # above still fork, as a user's run does, and so does every planner started as a
        # process of its own (tests/test_beside.py, tests/test_run_outputs.py).
        from planner import _beside

        _CAN_FORK = _beside.can_fork
        _beside.can_fork = lambda: False
