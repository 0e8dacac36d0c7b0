"""Every ``planner.x`` named in planner's docstrings and comments exists.

A reference is a dotted name starting with ``planner.`` inside a string or comment token of
a module under ``planner/`` — bare, in double back-quotes, or in a Sphinx role such as
:func:`planner.core.kits.place` or :class:`~planner.records.ledger.Ledger`. It resolves when
its longest importable module prefix imports and the rest are attributes of it.
"""

from __future__ import annotations

import importlib
import io
import re
import tokenize
import tomllib
from pathlib import Path

import pytest

PLANNER = Path(__file__).resolve().parent.parent / "planner"

#: ``planner.`` then dotted identifiers, not inside a longer name or a path
REFERENCE = re.compile(r"(?<![\w./\\-])planner(?:\.[A-Za-z_]\w*)+")
#: file names that look like references: the workspace settings and the outputs
FILE_NAMES = frozenset({"planner.toml", "planner.gpkg", "planner.qgs", "planner.log"})
_TEXT_TOKENS = {tokenize.COMMENT, tokenize.STRING} | (
    {tokenize.FSTRING_MIDDLE} if hasattr(tokenize, "FSTRING_MIDDLE") else set())


def references_in(source: str) -> list[tuple[int, str]]:
    """(line, dotted name) of every ``planner.`` reference in the strings and comments."""
    found = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in _TEXT_TOKENS:
            for m in REFERENCE.finditer(tok.string):
                if m.group(0) not in FILE_NAMES:
                    line = tok.start[0] + tok.string.count("\n", 0, m.start())
                    found.append((line, m.group(0)))
    return found


def resolves(name: str) -> bool:
    """Whether ``name`` is a module, or an attribute path below its longest module prefix."""
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        module = ".".join(parts[:i])
        try:
            obj = importlib.import_module(module)
        except ModuleNotFoundError as e:
            if e.name is not None and not module.startswith(e.name):
                raise  # the module exists but one of its own imports is missing
            continue
        for attr in parts[i:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


def _all_references() -> list[tuple[str, int, str]]:
    refs = []
    for path in sorted(PLANNER.rglob("*.py")):
        rel = path.relative_to(PLANNER.parent).as_posix()
        refs += [(rel, line, name)
                 for line, name in references_in(path.read_text(encoding="utf-8"))]
    return refs


def test_every_planner_reference_resolves():
    refs = _all_references()
    assert len(refs) > 50  # the scan sees the references (a broken pattern finds none)
    broken = [f"{path}:{line}: {name}" for path, line, name in refs if not resolves(name)]
    assert broken == []


def test_scan_finds_references_in_roles_strings_and_comments():
    source = '''"""Module doc: see :func:`~planner.core.kits.place` and ``planner.glossary``.

    Not references: planner.toml, data/planner.gpkg, my_planner.x, outputs/planner.log.
    """
    x = 1  # as in planner.records.ledger.Ledger.
    y = f"{x} planner.load"
    '''
    assert [name for _, name in references_in(source)] == [
        "planner.core.kits.place", "planner.glossary", "planner.records.ledger.Ledger",
        "planner.load"]
    assert [line for line, _ in references_in(source)] == [1, 1, 5, 6]


@pytest.mark.parametrize(("name", "ok"), [
    ("planner", True),                                  # the package
    ("planner.records.ledger", True),                   # a module
    ("planner.records.ledger.Ledger", True),            # a class in it
    ("planner.core.network.RoadGraph", True),
    ("planner.core.network.RoadGraph.nope", False),     # a missing attribute of a class
    ("planner.network", False),                         # a module that no longer exists
    ("planner.kits.place", False),
    ("planner._ledger.Ledger", False),
    ("planner.report.progress_display", False),         # a function of a submodule
    ("planner.report.tables.progress_display", True),
])
def test_resolves(name, ok):
    assert resolves(name) is ok


def test_place_docstring_example_is_accepted_by_the_settings():
    """The TOML in planner.propose.place's docstring is what [place] and [access] accept."""
    from planner.propose import place
    from planner.settings._access_rules import AccessConfig
    from planner.settings._placement import PlaceConfig

    blocks = re.findall(r"::\n\n((?:    .*\n|\n)+)", place.__doc__)
    text = "\n".join(re.sub(r"(?m)^    ", "", b) for b in blocks)
    data = tomllib.loads(text)
    assert set(data) == {"place", "access"}
    config = PlaceConfig.from_mapping(data["place"], source="place.py")
    assert config.model == data["place"]["model"]
    assert dict(config.weights) == pytest.approx(data["place"]["weights"])
    access = AccessConfig.from_mapping(data["access"], source="place.py")
    assert access.rules["care_point"].threshold_m == data["access"]["care_point"]["threshold_m"]
