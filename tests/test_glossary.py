"""The glossary is the one home of kinds, tiers and water types: every per-kind, per-tier
or per-type table elsewhere is keyed by exactly the glossary's codes."""

from planner import glossary
from planner.glossary import COVERAGE_DEFAULTS, KINDS, PLACEABLE, SHORT_LABELS, TIERS, WATER_TYPES
from planner.measure.access import KINDS as ACCESS_KINDS
from planner.report._maplayers import KIND_STYLE, TIER_STYLE
from planner.settings import AccessConfig, PlaceConfig, WaterConfig


def test_per_kind_tables_cover_the_glossary_kinds():
    assert set(COVERAGE_DEFAULTS) == set(KINDS)
    assert set(SHORT_LABELS) == set(KINDS)
    assert set(KIND_STYLE) == set(KINDS)
    assert set(ACCESS_KINDS) == set(KINDS)
    assert set(PLACEABLE) <= set(KINDS)


def test_defaults_come_from_the_glossary():
    access, place = AccessConfig(), PlaceConfig()
    for kind, (metres, mode) in COVERAGE_DEFAULTS.items():
        assert access.rules[kind].threshold_m == metres and access.rules[kind].mode == mode
        assert place.threshold(kind) == metres


def test_tiers_and_water_types():
    assert {t: label for t, (label, _c) in TIER_STYLE.items()} == TIERS
    assert set(WaterConfig().type_weights) <= set(WATER_TYPES)


def test_labels():
    assert glossary.kind_label("care_point") == KINDS["care_point"][0]
    assert glossary.kind_code("儿童之家") == "care_point"
