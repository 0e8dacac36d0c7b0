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


def pytest_collection_modifyitems(items):
    """Tests that run the whole pipeline (the demo or mini fixtures) are end-to-end."""
    for item in items:
        if {"demo_result", "mini_result"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)
