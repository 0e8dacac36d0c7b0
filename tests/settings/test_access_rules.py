"""The ``[access]`` table: per kind one coverage distance and travel mode (defaults from the
glossary), walking and driving speeds, every bad value or key refused in one line."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner._errors import ConfigError
from planner.glossary import COVERAGE_DEFAULTS, KINDS
from planner.settings import AccessConfig, KindRule

SOURCE = "planner.toml"


def test_defaults_are_the_glossary_rules_for_every_kind():
    for config in (AccessConfig(), AccessConfig.from_mapping({}, source=SOURCE)):
        assert set(config.rules) == set(KINDS) == set(COVERAGE_DEFAULTS)
        for kind, (threshold, mode) in COVERAGE_DEFAULTS.items():
            assert config.rules[kind] == KindRule(threshold, mode)
        assert (config.walk_speed_kmh, config.drive_speed_kmh) == (4.5, 30.0)


def test_a_kind_overridden_leaves_the_others_at_their_defaults():
    config = AccessConfig.from_mapping(
        {"care_point": {"threshold_m": 800}, "care_home": {"mode": "walk"},
         "drive_speed_kmh": 25}, source=SOURCE)
    assert config.rules["care_point"] == KindRule(800.0, COVERAGE_DEFAULTS["care_point"][1])
    assert config.rules["care_home"] == KindRule(COVERAGE_DEFAULTS["care_home"][0], "walk")
    for kind in set(KINDS) - {"care_point", "care_home"}:
        assert config.rules[kind] == KindRule(*COVERAGE_DEFAULTS[kind])
    assert (config.walk_speed_kmh, config.drive_speed_kmh) == (4.5, 25.0)
    assert isinstance(config.rules["care_point"].threshold_m, float)


@pytest.mark.parametrize(("mode", "kmh"), [("walk", 4.5), ("drive", 30.0)])
def test_speed_in_metres_per_minute(mode, kmh):
    config = AccessConfig()
    # km/h -> m/min: a kilometre is 1000 m, an hour 60 minutes
    assert config.speed_m_per_min(mode) == pytest.approx(kmh * 1000 / 60)
    assert AccessConfig.from_mapping({"walk_speed_kmh": 6}, source=SOURCE) \
        .speed_m_per_min("walk") == pytest.approx(100.0)


@given(threshold=st.floats(min_value=1e-3, max_value=1e7, allow_nan=False),
       mode=st.sampled_from(["walk", "drive"]), kind=st.sampled_from(sorted(KINDS)))
def test_any_positive_distance_and_either_mode_is_kept(threshold, mode, kind):
    config = AccessConfig.from_mapping({kind: {"threshold_m": threshold, "mode": mode}},
                                       source=SOURCE)
    assert config.rules[kind] == KindRule(threshold, mode)


@pytest.mark.parametrize("bad", [0, -5, math.nan, math.inf, True, "1000", None, [1000]])
def test_a_bad_distance_or_speed_is_refused(bad):
    with pytest.raises(ConfigError, match=r"access\.care_point\.threshold_m = .* is invalid; "
                                          r"give a positive number"):
        AccessConfig.from_mapping({"care_point": {"threshold_m": bad}}, source=SOURCE)
    with pytest.raises(ConfigError, match=r"planner\.toml: access\.walk_speed_kmh"):
        AccessConfig.from_mapping({"walk_speed_kmh": bad}, source=SOURCE)


@pytest.mark.parametrize(("table", "message"), [
    ({"care_point": {"mode": "bike"}}, r"access\.care_point\.mode = 'bike'; use 'walk' or"),
    ({"care_point": {"radius": 500}},
     r"unknown key access\.care_point\.radius; use threshold_m or mode"),
    ({"care_point": 1000}, r"access\.care_point must be a table"),
    ({"care_points": {"threshold_m": 500}},
     r"unknown key access\.care_points; use one of walk_speed_kmh, drive_speed_kmh, care_"),
    ({"threshold_m": 500}, r"unknown key access\.threshold_m"),
])
def test_bad_keys_and_modes_are_refused_in_one_line(table, message):
    with pytest.raises(ConfigError, match=message) as info:
        AccessConfig.from_mapping(table, source=SOURCE)
    assert str(info.value).startswith("planner.toml: ") and "\n" not in str(info.value)


def test_access_must_be_a_table():
    with pytest.raises(ConfigError, match=r"\[access\] must be a table"):
        AccessConfig.from_mapping(1000, source=SOURCE)


def test_the_settings_are_frozen():
    config = AccessConfig()
    with pytest.raises(TypeError):
        config.rules["care_point"] = KindRule(1.0, "walk")
    with pytest.raises(AttributeError):
        config.walk_speed_kmh = 5.0
