"""The glossary is the one home of kinds, tiers, water types, kit items, staff roles and child
groups: every per-kind, per-tier or per-type table elsewhere is keyed by exactly the
glossary's codes, and no other module spells one of their Chinese labels."""

import ast
from pathlib import Path

import pytest

from planner import glossary
from planner.glossary import (
    CHILD_FIELDS,
    CHILD_GROUPS,
    COVERAGE_DEFAULTS,
    KINDS,
    KIT_ITEM_COUNTS,
    KIT_ITEMS,
    MODES,
    PLACEABLE,
    QUOTA_LABELS,
    ROAD_CLASSES,
    SHORT_LABELS,
    STAFF_ROLES,
    STANDARDS,
    TIERS,
    WATER_TYPE_ALIASES,
    WATER_TYPES,
)
from planner.report._maplayers import KIND_STYLE, TIER_STYLE
from planner.settings import AccessConfig, PlaceConfig, WaterConfig

PACKAGE = Path(glossary.__file__).resolve().parent

#: Every Chinese label the glossary owns.
LABELS = {
    *(label for label, _level in KINDS.values()), *SHORT_LABELS.values(),
    *QUOTA_LABELS.values(), *KIT_ITEMS.values(), *STAFF_ROLES.values(), *TIERS.values(),
    *WATER_TYPES.values(), *STANDARDS.values(), *MODES.values(), *ROAD_CLASSES.values(),
    *CHILD_GROUPS.values(), *CHILD_FIELDS.values(),
}
#: (module, label) pairs allowed outside the glossary: headers that happen to be a label on
#: their own, not a table of labels. Keep it short.
ALLOWED: set[tuple[str, str]] = {
    # the children template's headers, which the bureau fills in (儿童数 ... 5岁以下)
    ("init.py", CHILD_FIELDS["children"]), ("init.py", CHILD_FIELDS["under5"]),
}


def test_per_kind_tables_cover_the_glossary_kinds():
    assert set(COVERAGE_DEFAULTS) == set(KINDS)
    assert set(SHORT_LABELS) == set(KINDS)
    assert set(KIND_STYLE) == set(KINDS)
    assert set(PLACEABLE) <= set(KINDS)
    assert set(QUOTA_LABELS) <= set(KINDS)


def test_defaults_come_from_the_glossary():
    access, place = AccessConfig(), PlaceConfig()
    for kind, (metres, mode) in COVERAGE_DEFAULTS.items():
        assert access.rules[kind].threshold_m == metres and access.rules[kind].mode == mode
        assert mode in MODES
        assert place.threshold(kind) == metres


def test_tiers_and_water_types():
    assert {t: label for t, (label, _c) in TIER_STYLE.items()} == TIERS
    assert set(WaterConfig().type_weights) <= set(WATER_TYPES)
    assert set(WATER_TYPE_ALIASES.values()) <= set(WATER_TYPES)
    assert [glossary.tier_word(t) for t in "ABCN"] == ["一级", "二级", "三级", ""]


def test_kit_items_and_groups():
    assert list(KIT_ITEMS.values()) == ["警示牌", "救生圈", "救生绳", "救生杆"]
    assert list(KIT_ITEM_COUNTS) == list(KIT_ITEMS)
    assert set(CHILD_GROUPS) <= set(CHILD_FIELDS)
    assert list(STAFF_ROLES.values()) == ["儿童主任", "儿童督导员"]


def test_labels():
    assert glossary.kind_label("care_point") == KINDS["care_point"][0]
    assert glossary.kind_code("儿童之家") == "care_point"


def _strings(path: Path) -> list[tuple[int, str]]:
    """Every string constant of a module but the pieces of f-strings (sentences)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    pieces = {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr)
              for v in node.values}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in pieces]


@pytest.mark.parametrize("path", sorted(p for p in PACKAGE.rglob("*.py")
                                        if p.name != "glossary.py"),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_but_the_glossary_spells_a_label(path):
    """A string equal to a glossary label outside ``glossary.py`` is a second table of labels
    (or a piece of one): import the glossary's table instead. Sentences, headers with units
    and templates (one long string) do not match and need no exception."""
    module = str(path.relative_to(PACKAGE))
    found = [f"{module}:{line}: {text!r}" for line, text in _strings(path)
             if text in LABELS and (module, text) not in ALLOWED]
    assert not found, "labels spelled outside planner/glossary.py:\n" + "\n".join(found)
