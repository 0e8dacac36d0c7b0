"""The ``[water]`` table: defaults as the module documents them (prices, a kit ≈ ¥1,040, the
budget ≈ 290 kits), derived figures against hand sums, every bad value refused in one line
naming the key."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner._errors import ConfigError
from planner.glossary import WATER_TYPES
from planner.settings import DEFAULT_PATROL, PatrolFrequency, WaterConfig
from planner.settings import _water_rules as rules

SOURCE = "planner.toml"


def test_documented_default_prices_and_budget():
    """The module docstring's figures: a sign ¥300, a lifebuoy ¥150, rope ¥3/m (30 m: ¥90),
    a pole ¥200, installation ¥300, so a new kit ≈ ¥1,040 and ¥300,000 ≈ 290 kits."""
    config = WaterConfig.from_mapping(None, source=SOURCE)
    assert config == WaterConfig()
    doc = " ".join(rules.__doc__.split())
    for figure in ("sign with post ¥300", "lifebuoy (国标 2.5 kg) ¥150", "¥3 per metre",
                   "(30 m: ¥90", "rescue pole ¥200", "new point ¥300", "≈ ¥1,040",
                   "¥300,000 a year (about 290 new kits)"):
        assert figure in doc, figure
    assert config.item_prices == (300.0, 150.0, 3.0 * 30, 200.0)
    assert config.kit_price == 300 + 150 + 90 + 200 + 300 == 1040
    assert round(config.budget_yuan / config.kit_price, -1) == 290
    assert config.max_new_kits is None and config.placement == "budget"


def test_a_rope_priced_per_rope_and_other_lengths():
    per_rope = WaterConfig.from_mapping({"prices": {"rope": 120}}, source=SOURCE)
    assert per_rope.item_prices[2] == 120.0 and per_rope.kit_price == 300 + 150 + 120 + 200 + 300
    longer = WaterConfig.from_mapping({"rope_m": 40, "prices": {"installation": 0}},
                                      source=SOURCE)
    assert longer.item_prices[2] == 3.0 * 40 and longer.kit_price == 300 + 150 + 120 + 200


@given(weights=st.dictionaries(st.sampled_from(sorted(WATER_TYPES)),
                               st.floats(min_value=0.0, max_value=5.0), max_size=4))
def test_type_factor_is_weight_over_the_largest(weights):
    table = {**rules.DEFAULT_TYPE_WEIGHTS, **weights}
    if max(table.values()) <= 0:
        return
    config = WaterConfig.from_mapping({"type_weights": weights}, source=SOURCE)
    top = max(table.values())
    assert set(config.type_factor) == set(WATER_TYPES)
    for code in WATER_TYPES:
        assert config.type_factor[code] == pytest.approx(table.get(code, 0.0) / top)
    assert max(config.type_factor.values()) == pytest.approx(1.0)


@pytest.mark.parametrize(("tiers", "expected"), [(["A", "B"], 30.0), (["A"], 60.0),
                                                 (["C", "A"], 10.0)])
def test_risky_from_the_lowest_cut_off_of_the_kit_tiers(tiers, expected):
    config = WaterConfig.from_mapping({"kit_tiers": tiers}, source=SOURCE)
    assert config.risky_min == expected
    assert WaterConfig.from_mapping({"kit_tiers": []}, source=SOURCE).risky_min == float("inf")


def test_patrols_per_tier_start_from_the_defaults():
    config = WaterConfig.from_mapping(
        {"patrol": {"A": {"peak_per_day": 3}, "B": {"bonus": 0}}}, source=SOURCE)
    assert config.patrol["A"] == PatrolFrequency(3, 7, 3, 1)
    assert config.patrol["B"] == PatrolFrequency(1, 7, 2, 0)
    assert config.patrol["C"] == DEFAULT_PATROL["C"]


def test_dates_and_text_keys():
    config = WaterConfig.from_mapping(
        {"season": ["04-15", "10-15"], "holidays": ["05-01", "2025-10-06"],
         "little_used_types": "canal", "placement": "full", "calendar": "fixed",
         "max_new_kits": 20, "curve_kits": [10, 20.0]}, source=SOURCE)
    assert config.season == ("04-15", "10-15")
    assert config.holidays == ("05-01", "2025-10-06")
    assert config.little_used_types == ("canal",)
    assert (config.placement, config.calendar, config.max_new_kits) == ("full", "fixed", 20)
    assert config.curve_kits == (10, 20)


@pytest.mark.parametrize(("table", "message"), [
    ({"near": 100}, r"\[water\]: unknown key 'near'; valid keys are "),
    ({"near_m": -1}, r"\[water\] near_m = -1 is invalid; expected a value like 100\.0"),
    ({"near_m": "100 m"}, r"near_m = '100 m' is invalid"),
    ({"near_m": 600}, r"need 0 < near_m <= far_m \(got 600\.0, 500\.0\)"),
    ({"reach_busy_m": 300}, r"need 0 < reach_busy_m <= reach_quiet_m"),
    ({"tier_b": 70}, r"need tier_a >= tier_b >= tier_c >= 0"),
    ({"band_mid": 1.5}, r"need 1 >= band_near >= band_mid"),
    ({"incident_weight": 2}, r"incident_weight must be in \[0, 1\]"),
    ({"exposure_floor": 1.2}, r"exposure_floor and protected_factor must be in \[0, 1\]"),
    ({"kit_tiers": ["A", "D"]}, r"tier 'D' unknown; use A, B or C"),
    ({"little_used_types": ["swamp"]}, r"little_used_types has unknown type 'swamp'"),
    ({"large_types": ["sea"]}, r"large_types has unknown type 'sea'"),
    ({"type_weights": {"swamp": 0.2}}, r"\[water\]\.type_weights: unknown type 'swamp'"),
    ({"type_weights": {t: 0 for t in WATER_TYPES}}, r"type_weights = .* is invalid"),
    ({"patrol_tiers": ["A", "B", "C"], "patrol": {"A": {"peak_per_week": 8}}},
     r"\[water\] patrol = .* is invalid"),
    ({"patrol": {"A": {"per_day": 2}}}, r"\[water\] patrol = .* is invalid"),
    ({"placement": "greedy"}, r"placement = 'greedy'; use \"budget\" or \"full\""),
    ({"placement": 1}, r"placement = 1 is invalid"),
    ({"tier_mode": "rank"}, r"tier_mode = 'rank'; use \"share\" or \"score\""),
    ({"calendar": "lunar"}, r"calendar = 'lunar'; use \"chinese_calendar\" or \"fixed\""),
    ({"large_min_tier": "D"}, r"large_min_tier = 'D'; use A, B, C or N"),
    ({"tier_a_share": 0.5, "tier_b_share": 0.4, "tier_c_share": 0.2},
     r"tier shares must be >= 0 and sum to at most 1"),
    ({"curve_kits": [0, 10]}, r"curve_kits must be positive kit counts"),
    ({"curve_kits": [1.5]}, r"curve_kits = \[1\.5\] is invalid"),
    ({"max_new_kits": 2.5}, r"max_new_kits = 2\.5 is invalid"),
    ({"max_new_kits": True}, r"max_new_kits = True is invalid"),
    ({"inspection_days": -7}, r"inspection_days = -7 is invalid"),
    ({"segment_m": 0}, r"segment_m must be positive"),
    ({"season": ["06-01"]}, r"season = \['06-01'\] is invalid"),
    ({"flood_season": ["06-01", "02-30"]}, r"flood_season = .* is invalid"),
    ({"holidays": ["2025-02-29"]}, r"holidays = .* is invalid"),
    ({"holidays": ["5-1"]}, r"holidays = .* is invalid"),
    ({"prices": {"buoy": 100}}, r"\[water\.prices\]: unknown key 'buoy'; valid keys are sign"),
    ({"prices": {"sign": -1}}, r"\[water\] prices = .* is invalid"),
    ({"budget_yuan": float("inf")}, r"budget_yuan = inf is invalid"),
])
def test_bad_values_are_refused_in_one_line(table, message):
    with pytest.raises(ConfigError, match=message) as info:
        WaterConfig.from_mapping(table, source=SOURCE)
    text = str(info.value)
    assert text.startswith("planner.toml [water") and "\n" not in text


def test_each_default_written_out_reads_back_unchanged():
    """Writing any field's default into ``[water]`` gives the same settings: the validation
    accepts every default, and reads each back as the type the planner uses."""
    config = WaterConfig()
    for name in config.__dataclass_fields__:
        default = getattr(config, name)
        value = ({k: vars(v) for k, v in default.items()} if name == "patrol"
                 else list(default) if isinstance(default, tuple) else default)
        if value is None:  # max_new_kits: no cap, written by leaving the key out
            continue
        read = WaterConfig.from_mapping({name: value}, source=SOURCE)
        assert read == config and type(getattr(read, name)) is type(default), name
