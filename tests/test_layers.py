"""The package's shape: foundations below the stages, the stages in pipeline order, no cycle.

Every ``import`` of a ``planner`` module is read from the source (imports inside functions
and under ``TYPE_CHECKING`` included), so a cycle hidden in a function still counts.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "planner"

#: The level of each top-level part of the package: a module may import only its own level
#: or lower ones. Foundations (0) sit below every stage; then the stages in pipeline order;
#: ``results`` hands the stages' output to ``report``; the commands sit on top.
LEVELS = {
    "_errors": 0, "_version": 0, "glossary": 0, "datasets": 0, "_beside": 0, "geo": 0,
    "records": 0, "settings": 0, "core": 0,
    "load": 1, "validate": 2, "locate": 3, "measure": 4, "propose": 5, "results": 6,
    "report": 7,
    "pipeline": 8, "batch": 9, "init": 9, "studio": 9, "cli": 10, "__main__": 11,
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The planner modules ``name`` imports (``from planner.x import y`` is ``planner.x.y``
    when that is a module, else ``planner.x``)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}".rstrip(".")
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in MODULES else base)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _level(module: str) -> int:
    part = _part(module)
    if part not in LEVELS:
        raise AssertionError(f"{module}: give planner.{part} a level in tests/test_layers.py")
    return LEVELS[part]


def test_every_part_has_a_level():
    for module in MODULES:
        if module != "planner":
            _level(module)


def test_the_package_root_imports_nothing_eagerly():
    # ``planner/__init__.py`` exports its API lazily; an eager import would load every stage
    code = "import sys, planner; print(sorted(m for m in sys.modules if m.startswith('planner')))"
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout
    assert shown.strip() == "['planner', 'planner._version']"


def test_the_public_api_resolves():
    import planner

    for name in planner.__all__:
        assert getattr(planner, name) is not None, name


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m != "planner"))
def test_no_import_from_a_later_stage(module):
    later = sorted(t for t in GRAPH[module] if t != "planner" and _level(t) > _level(module))
    assert not later, f"{module} imports a later stage: {later}"


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of ``graph`` (as a list of nodes) or ``None``."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_module_cycle():
    graph = {m: {t for t in ts if t != "planner"} for m, ts in GRAPH.items()}
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))


def test_no_package_cycle():
    packages: dict[str, set[str]] = {}
    for module, targets in GRAPH.items():
        own = _part(module)
        packages.setdefault(own, set()).update(
            _part(t) for t in targets if t != "planner" and _part(t) != own)
    assert _cycle(packages) is None, " -> ".join(_cycle(packages))


def test_the_checker_finds_a_cycle_and_a_later_import():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
    assert _level("planner.validate.intake") < _level("planner.measure.progress")
