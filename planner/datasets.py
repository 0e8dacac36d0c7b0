"""The bundled data: the 如皋市 demo workspace and the real Jiangsu reference data.

In a source checkout both live in the repository's ``data/`` folder (the demo workspace is
``data/planner.toml`` with its layers in ``data/boundaries/``, ``data/facilities/`` ...;
the reference data in ``data/reference/``). A wheel carries the same files inside the
package as ``planner/_data/``, so ``planner run`` works offline from any folder.

Examples
--------
>>> from planner import datasets
>>> (datasets.demo() / "planner.toml").is_file()
True
"""

from __future__ import annotations

from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent / "data"
_PACKAGED = Path(__file__).resolve().parent / "_data"

#: The reference files and what they hold (provenance: ``data/README.md``).
REFERENCE_FILES = {
    "divisions": "jiangsu_divisions.csv",
    "outlines": "jiangsu_counties_gcj02.geojson",
    "rugao_allocation": "rugao_2021_allocation.csv",
}


def _root() -> Path:
    for root in (_CHECKOUT, _PACKAGED):
        if (root / "planner.toml").is_file():
            return root
    raise FileNotFoundError(
        f"the bundled demo is missing (looked in {_CHECKOUT} and {_PACKAGED}); "
        "reinstall planner, or give a workspace folder")


def demo() -> Path:
    """The folder of the bundled demo workspace (如皋市); holds its ``planner.toml``."""
    return _root()


#: the bundled examples besides the demo: name -> what it shows (``planner run --example``)
EXAMPLES = {
    "bureau": "如皋市 as a bureau keeps it: village list without geometry, town layer with "
              "names only, a site ledger mostly without coordinates",
}


def example(name: str) -> Path:
    """The folder of a bundled example workspace (``bureau``); holds its ``planner.toml``."""
    if name not in EXAMPLES:
        raise KeyError(f"unknown example {name!r}; one of {sorted(EXAMPLES)}")
    return _root() / "examples" / name


def reference(name: str) -> Path:
    """Path of one reference file: ``divisions``, ``outlines`` or ``rugao_allocation``."""
    if name not in REFERENCE_FILES:
        raise KeyError(f"unknown reference file {name!r}; one of {sorted(REFERENCE_FILES)}")
    return _root() / "reference" / REFERENCE_FILES[name]
