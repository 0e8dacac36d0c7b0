"""planner: child-care site coverage and child water-safety planning for Chinese counties.

The public API, for notebooks and scripts (the command line is :mod:`planner.cli`):

>>> import planner
>>> settings = planner.load_settings(planner.demo())        # doctest: +SKIP
>>> result = planner.run(planner.demo(), out="outputs/demo")  # doctest: +SKIP
>>> result.run["quota"]                                       # doctest: +SKIP

``run`` runs every stage and writes the outputs; ``load_settings`` builds the one validated
:class:`Settings` of a workspace; ``load_workspace`` loads and validates its layers into a
:class:`Workspace`; ``check`` adds the locate stage (everything ``planner check`` does);
a run returns a :class:`RunResult`. Names are imported on first use, so ``import planner``
stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from planner._version import __version__

#: public name -> the module that holds it
_API = {
    "run": "planner.pipeline",
    "check": "planner.pipeline",
    "RunResult": "planner.results",
    "load_settings": "planner.settings",
    "Settings": "planner.settings",
    "load_workspace": "planner.validate.intake",
    "Workspace": "planner.records.workspace",
    "Ledger": "planner.records.ledger",
    "demo": "planner.datasets",
}

__all__ = [
    "Ledger", "RunResult", "Settings", "Workspace", "__version__", "check", "demo",
    "load_settings", "load_workspace", "run",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from planner.datasets import demo
    from planner.pipeline import check, run
    from planner.records.ledger import Ledger
    from planner.records.workspace import Workspace
    from planner.results import RunResult
    from planner.settings import Settings, load_settings
    from planner.validate.intake import load_workspace


def __getattr__(name: str):
    """Import a public name on first use (PEP 562)."""
    if name in _API:
        value = getattr(importlib.import_module(_API[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'planner' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))
