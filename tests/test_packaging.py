"""The wheel ships every subpackage and the demo workspace (pyproject's explicit list)."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_subpackage_is_listed_for_the_wheel():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "planner").rglob("__init__.py")}
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
    assert config["tool"]["setuptools"]["package-dir"]["planner._data"] == "data"


def test_demo_is_found_in_the_checkout():
    from planner import datasets

    assert datasets.demo() == ROOT / "data"
    assert datasets.reference("divisions").is_file()
