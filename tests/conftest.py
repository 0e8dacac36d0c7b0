"""Shared fixtures: the mini workspace (tests/data/mini) and a copy of it to modify."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"
MINI = DATA / "mini"
DEMO = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A writable copy of the mini workspace."""
    dest = tmp_path / "mini"
    shutil.copytree(MINI, dest)
    return dest


@pytest.fixture(scope="session")
def mini_result(tmp_path_factory):
    """The pipeline run on the mini workspace (outputs written)."""
    from planner.pipeline import run

    out = tmp_path_factory.mktemp("mini_out")
    return run(MINI, out=out, echo=lambda _line: None)


@pytest.fixture(scope="session")
def demo_result(tmp_path_factory):
    """The pipeline run on the bundled demo (outputs written)."""
    from planner.pipeline import run

    out = tmp_path_factory.mktemp("demo_out")
    return run(DEMO, out=out, echo=lambda _line: None)


#: Tests that the default ``python -m pytest`` leaves out (``.ci/run`` runs them with
#: ``-m slow``): besides those marked ``slow`` by hand, every browser and notebook test.
SLOW_MARKERS = {"slow", "browser", "notebook"}


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects and xdist's loadgroup reads groups
def pytest_collection_modifyitems(items):
    """Mark end-to-end tests, slow tests, and keep each session run on one xdist worker.

    Tests that run the whole pipeline (the demo or mini fixtures) are ``e2e``; browser and
    notebook tests are also ``slow``; the tests sharing ``demo_result`` form one xdist group
    (``--dist loadgroup``) so that the demo is run once, not once per worker.
    """
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if {"demo_result", "mini_result"} & fixtures:
            item.add_marker(pytest.mark.e2e)
        if "demo_result" in fixtures:
            item.add_marker(pytest.mark.xdist_group("demo"))
        if SLOW_MARKERS & {mark.name for mark in item.iter_markers()} - {"slow"}:
            item.add_marker(pytest.mark.slow)
