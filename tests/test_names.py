"""Names that explain themselves: what a module imports from another is public, every module
has its own basename, and a whole :class:`~planner.settings.Settings` is called ``settings``.

- A private name (``_helper``) is private to its module: another planner module may not
  import it (tests may). A helper used across modules is public, with a docstring, or lives
  in the module that uses it.
- A private module (``planner.report._xlsx``) is private to its package: modules of that
  package (and below) may import it, others go through a public module.
- Module basenames are distinct, ignoring a leading underscore (``water.py`` and
  ``_water.py`` clash) and ``__init__.py``.
- A parameter, attribute or variable annotated ``Settings`` is named ``settings``.

Imports inside functions and under ``TYPE_CHECKING`` count like any other.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "planner"


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def _private(part: str) -> bool:
    return part.startswith("_") and not part.startswith("__")


def _base(node: ast.ImportFrom, name: str, *, package: bool) -> str:
    """The absolute module of ``from <base> import ...`` in module ``name``."""
    base = node.module or ""
    if node.level:
        here = name if package else name.rpartition(".")[0]
        anchor = here.rsplit(".", node.level - 1)[0] if node.level > 1 else here
        base = f"{anchor}.{base}".rstrip(".")
    return base


def _imports(name: str, source: str, *, package: bool) -> list[tuple[int, str, str | None]]:
    """``(line, module, imported name or None)`` of every planner import of module ``name``
    (``package``: an ``__init__.py``); ``from a.b import c`` with ``a.b.c`` a module is
    ``(line, "a.b.c", None)``."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name, None) for a in node.names
                    if a.name.split(".")[0] == "planner"]
        elif isinstance(node, ast.ImportFrom):
            base = _base(node, name, package=package)
            if base.split(".")[0] != "planner":
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                out.append((node.lineno, sub, None) if sub in MODULES
                           else (node.lineno, base, alias.name))
    return out


def _dotted(node: ast.expr) -> str | None:
    """``a.b.c`` of a chain of names, else ``None``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return None if head is None else f"{head}.{node.attr}"
    return None


def _module_attributes(name: str, source: str, *, package: bool) -> list[tuple[int, str, str]]:
    """``(line, module, attribute)`` of every private ``module._attribute`` read in the
    source, where ``module`` is a planner module it imported (``from planner.load import
    osm`` ... ``osm._finish``, or ``import planner.load.osm`` ... ``planner.load.osm._finish``).
    """
    tree = ast.parse(source)
    bound: dict[str, str] = {}  # local name -> planner module
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "planner":
                    bound[a.asname or "planner"] = a.name if a.asname else "planner"
        elif isinstance(node, ast.ImportFrom):
            base = _base(node, name, package=package)
            for a in node.names:
                if f"{base}.{a.name}" in MODULES:
                    bound[a.asname or a.name] = f"{base}.{a.name}"
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            chain = _dotted(node.value)
            head, _, rest = (chain or "").partition(".")
            if head not in bound:
                continue
            module = ".".join(p for p in (bound[head], rest) if p)
            if module in MODULES:
                out.append((node.lineno, module, node.attr))
    return out


def _violations(name: str, source: str, *, where: str, package: bool = False) -> list[str]:
    found = []
    for line, module, attr in _module_attributes(name, source, package=package):
        if module != name:
            found.append(f"{where}:{line}: reads the private name {attr} of {module}")
    for line, module, attr in _imports(name, source, package=package):
        parts = module.split(".")
        for i, part in enumerate(parts):
            owner = ".".join(parts[:i])  # the package a private module belongs to
            if _private(part) and not (name == owner or name.startswith(owner + ".")):
                found.append(f"{where}:{line}: imports {module}, private to {owner}")
                break
        if attr is not None and _private(attr) and module != name:
            found.append(f"{where}:{line}: imports the private name {attr} from {module}")
    return found


def test_no_module_imports_a_private_name_of_another():
    found = [v for name, path in sorted(MODULES.items())
             for v in _violations(name, path.read_text(encoding="utf-8"),
                                  where=str(path.relative_to(PACKAGE.parent)),
                                  package=path.name == "__init__.py")]
    assert not found, ("make these names public (no underscore, with a docstring) or move them "
                       "to the module that uses them:\n" + "\n".join(found))


def test_the_rule_catches_private_imports():
    cases = {
        "from planner.load.osm import _finish": True,
        "from planner.load.osm import assemble_layers": False,
        "from planner.report._xlsx import Book": True,  # outside planner.report
        "from planner.propose._geo import layer_xy": False,  # same package
        "from planner import _errors": False,  # private to planner: everyone's
        "from ._geo import _helper": True,
        "import planner.settings._placement": True,
        "from planner.load import osm\nosm._finish()": True,
        "import planner.load.osm\nplanner.load.osm._finish()": True,
        "from planner.load import osm\nosm.assemble_layers()": False,
    }
    for source, bad in cases.items():
        found = _violations("planner.propose.example", source, where="example.py")
        assert bool(found) == bad, source


def test_module_basenames_are_distinct():
    seen: dict[str, list[str]] = defaultdict(list)
    for path in PACKAGE.rglob("*.py"):
        if path.name != "__init__.py":
            seen[path.stem.lstrip("_")].append(str(path.relative_to(PACKAGE.parent)))
    repeated = {stem: paths for stem, paths in seen.items() if len(paths) > 1}
    assert not repeated, f"module basenames repeat (rename one of each): {repeated}"


def _annotation_name(node: ast.expr | None) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.strip()
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def test_a_whole_settings_is_named_settings():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        where = str(path.relative_to(PACKAGE.parent))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.arg):
                named = [(node.arg, node.annotation, node.lineno)]
            elif isinstance(node, ast.AnnAssign):
                target = node.target
                label = (target.id if isinstance(target, ast.Name) else
                         target.attr if isinstance(target, ast.Attribute) else "")
                named = [(label, node.annotation, node.lineno)]
            else:
                continue
            for label, annotation, line in named:
                if _annotation_name(annotation) in {"Settings", "Settings | None"} \
                        and label != "settings":
                    found.append(f"{where}:{line}: {label}: Settings")
    assert not found, "call a whole Settings `settings`:\n" + "\n".join(found)
