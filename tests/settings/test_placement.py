"""The ``[place]`` table: model, solver limits, demand weights (a village's weight checked
against a child-by-child count), and the coverage distance living in ``[access]`` only."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner._errors import ConfigError, InputFileError
from planner.glossary import COVERAGE_DEFAULTS
from planner.settings import PlaceConfig

SOURCE = "planner.toml"
GROUPS = ("left_behind", "vulnerable", "under5")


def test_defaults():
    config = PlaceConfig.from_mapping({}, source=SOURCE)
    assert config == PlaceConfig()
    assert config.model == "max_cover" and config.time_limit_s == 60.0
    assert dict(config.weights) == {"children": 1.0, "left_behind": 1.0, "vulnerable": 2.0,
                                    "under5": 1.0}
    for kind, (threshold, _mode) in COVERAGE_DEFAULTS.items():
        assert config.threshold(kind) == threshold


def test_keys_are_read():
    config = PlaceConfig.from_mapping(
        {"model": "p_median", "time_limit_s": 5, "mip_rel_gap": 0.01, "heuristic_above": 0,
         "weights": {"vulnerable": 3, "under5": 1.5}}, source=SOURCE)
    assert (config.model, config.time_limit_s, config.mip_rel_gap, config.heuristic_above) \
        == ("p_median", 5.0, 0.01, 0)
    assert dict(config.weights) == {"children": 1.0, "left_behind": 1.0, "vulnerable": 3.0,
                                    "under5": 1.5}


def _child_by_child(village: dict, weights: dict) -> float:
    """Weight of a village counted one child at a time: ``w_children`` each, and a child of
    a group counts that group's weight instead (its extra added once per group it is in)."""
    total = 0.0
    for _ in range(int(village.get("children", 0))):
        total += weights["children"]
    for group in GROUPS:
        for _ in range(int(village.get(group, 0))):
            total += weights[group] - weights["children"]
    return total


counts = st.integers(min_value=0, max_value=40)


@given(data=st.data(), present=st.sets(st.sampled_from(GROUPS)),
       base=st.sampled_from([0.5, 1.0, 2.0]),
       extra=st.fixed_dictionaries({g: st.sampled_from([0.0, 0.5, 1.0, 3.0]) for g in GROUPS}))
def test_demand_weights_equal_a_child_by_child_count(data, present, base, extra):
    """Villages with the ``present`` group columns (a missing column counts zero)."""
    columns = ["children", *sorted(present)]
    villages = data.draw(st.lists(st.fixed_dictionaries({c: counts for c in columns}),
                                  min_size=1, max_size=8))
    weights = {"children": base, **{g: base + extra[g] for g in GROUPS}}
    config = PlaceConfig.from_mapping({"weights": weights}, source=SOURCE)
    frame = pd.DataFrame(villages, columns=columns)
    expected = [_child_by_child(village, weights) for village in villages]
    np.testing.assert_allclose(config.demand_weights(frame), expected)


def test_demand_weight_of_a_village_without_group_columns():
    config = PlaceConfig()
    frame = pd.DataFrame({"village_code": ["1", "2"], "children": [10, 0]})
    np.testing.assert_array_equal(config.demand_weights(frame), [10.0, 0.0])
    bad = pd.DataFrame({"children": [3, -1]})
    with pytest.raises(InputFileError, match="villages column children must hold counts"):
        config.demand_weights(bad)
    blank = pd.DataFrame({"children": [3, 2], "vulnerable": [1, None]})  # weighted 2, not 1
    with pytest.raises(InputFileError, match="villages column vulnerable must hold counts"):
        config.demand_weights(blank)


@pytest.mark.parametrize(("table", "error", "message"), [
    ({"model": "greedy"}, ConfigError, r"place\.model = 'greedy'; use one of"),
    ({"time_limit_s": 0}, ConfigError, r"place\.time_limit_s = 0 must be > 0"),
    ({"mip_rel_gap": math.nan}, ConfigError, r"place\.mip_rel_gap = nan is not a number"),
    ({"time_limit_s": True}, ConfigError, r"place\.time_limit_s = True is not a number"),
    ({"heuristic_above": 1.5}, ConfigError, r"heuristic_above = 1\.5; give a whole number"),
    ({"heuristic_above": -1}, ConfigError, r"heuristic_above = -1; give a whole number"),
    ({"weights": 2}, ConfigError, r"place\.weights must be a table"),
    ({"weights": {"boys": 1}}, ConfigError, r"unknown key place\.weights\.boys"),
    ({"weights": {"children": 2}}, ConfigError,
     r"place\.weights\.left_behind = 1 is below children = 2; group weights can only add"),
    ({"weights": {"under5": 0}}, ConfigError, r"place\.weights\.under5 = 0 must be > 0"),
    ({"threshold_m": 800}, ConfigError, r"\[access\.<kind>\] threshold_m"),
    ({"radius": 800}, ConfigError, r"unknown key place\.radius; use one of model, "),
])
def test_bad_values_are_refused_in_one_line(table, error, message):
    with pytest.raises(error, match=message) as info:
        PlaceConfig.from_mapping(table, source=SOURCE)
    assert str(info.value).startswith("planner.toml: ") and "\n" not in str(info.value)


def test_place_must_be_a_table_and_an_unknown_kind_has_no_distance():
    with pytest.raises(ConfigError, match=r"\[place\] must be a table"):
        PlaceConfig.from_mapping([], source=SOURCE)
    with pytest.raises(ConfigError, match=r"add \[access\.school\] threshold_m"):
        PlaceConfig().threshold("school")
