"""One version: the package's ``__version__`` is the one pyproject.toml builds."""

from __future__ import annotations

import tomllib
from pathlib import Path

import planner
from planner._version import __version__

ROOT = Path(__file__).resolve().parent.parent


def test_version_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert __version__ == project["version"] == planner.__version__
    assert all(part.isdigit() for part in __version__.split("."))
