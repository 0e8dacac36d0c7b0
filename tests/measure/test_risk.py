"""Risk scoring: config validation, documented factors, monotonicity (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner._errors import ConfigError
from planner.measure.risk import (
    WaterConfig,
    band,
    exposure,
    score_components,
    share_tiers,
    tiers,
    weighted_children,
)

CFG = WaterConfig()
TYPES = ["pond", "ditch", "canal", "river", "lake", "reservoir", "construction_pit", "well",
         "other"]


def test_defaults_follow_the_design_table() -> None:
    w = CFG.type_weights
    assert (w["pond"], w["ditch"], w["construction_pit"], w["well"], w["river"],
            w["reservoir"]) == (0.30, 0.21, 0.12, 0.12, 0.10, 0.09)
    assert (CFG.near_m, CFG.far_m, CFG.reach_busy_m, CFG.reach_quiet_m) == (100, 500, 50, 250)
    assert CFG.patrol["A"].peak_per_day == 2 and CFG.patrol["A"].base_per_week == 3
    assert CFG.flood_season == ("06-01", "09-30")
    assert CFG.type_factor["pond"] == 1.0 and CFG.type_factor["ditch"] == pytest.approx(0.7)


def test_from_mapping_overrides_and_validates() -> None:
    cfg = WaterConfig.from_mapping(
        {"near_m": 80, "type_weights": {"canal": 0.15}, "patrol": {"A": {"peak_per_day": 3}},
         "holidays": ["2025-05-31", "10-01"], "kit_tiers": ["A"], "rope_m": 25},
        source="ws/planner.toml")
    assert cfg.near_m == 80.0 and cfg.type_weights["canal"] == 0.15
    assert cfg.type_weights["pond"] == 0.30
    assert cfg.patrol["A"].peak_per_day == 3 and cfg.patrol["A"].base_per_week == 3
    assert cfg.risky_min == cfg.tier_a and cfg.rope_m == 25.0
    assert WaterConfig.from_mapping(None, source="x") == WaterConfig()


@pytest.mark.parametrize("bad", [
    {"near_m": 600}, {"nearm": 1}, {"type_weights": {"sea": 0.2}}, {"tier_a": 5},
    {"reach_busy_m": -1}, {"season": ["05-01"]}, {"holidays": ["2025-13-01"]},
    {"patrol": {"A": {"peak_per_week": 9}}}, {"patrol": {"A": {"often": 1}}},
    {"kit_tiers": ["Z"]}, {"little_used_types": ["sea"]}, {"segment_m": 0},
    {"inspection_days": 2.5}, {"band_mid": 1.5},
])
def test_from_mapping_rejects_bad_values(bad: dict) -> None:
    with pytest.raises(ConfigError, match=r"planner.toml \[water\]"):
        WaterConfig.from_mapping(bad, source="planner.toml")


def test_hand_computed_score() -> None:
    # a ditch 80 m from homes, school 300 m away, 60 weighted children, half its bank covered
    c = score_components(np.array(["ditch"]), np.array([80.0]), np.array([300.0]),
                         np.array([60.0]), np.array([0.5]), config=CFG)
    e = 0.2 + 0.8 * (1 - np.exp(-60 / 100))
    assert c["type_factor"][0] == pytest.approx(0.7)
    assert c["proximity"][0] == 1.0 and c["school_band"][0] == 0.6
    assert c["exposure"][0] == pytest.approx(e)
    assert c["protection"][0] == pytest.approx(0.75)
    assert c["hazard"][0] == pytest.approx(100 * 0.7 * e)
    assert c["score"][0] == pytest.approx(100 * 0.7 * e * 0.75)


def test_bands_tiers_and_weights() -> None:
    np.testing.assert_allclose(band(np.array([0, 100, 100.01, 500, 501, np.inf]), config=CFG),
                               [1, 1, 0.6, 0.6, 0.2, 0.2])
    assert list(tiers(np.array([60, 59.9, 30, 10, 9.99]), config=CFG)) == \
        ["A", "B", "B", "C", "N"]
    np.testing.assert_allclose(weighted_children(np.array([10]), np.array([2]), np.array([4]),
                                                 config=CFG), [14.0])
    assert exposure(np.array([0.0]), config=CFG)[0] == pytest.approx(CFG.exposure_floor)


_base = st.tuples(
    st.sampled_from(TYPES), st.floats(0, 2000), st.floats(0, 2000), st.floats(0, 500),
    st.floats(0, 1))


def _score(t, home, school, kids, unc) -> float:
    return float(score_components(np.array([t]), np.array([home]), np.array([school]),
                                  np.array([kids]), np.array([unc]), config=CFG)["score"][0])


@settings(max_examples=200, deadline=None)
@given(_base, st.floats(0, 2000), st.floats(0.01, 300), st.floats(0, 1))
def test_score_rises_when_a_factor_worsens(base, closer, more_kids, less_cover) -> None:
    t, home, school, kids, unc = base
    s0 = _score(t, home, school, kids, unc)
    # nearer homes or schools, more children, less protection, riskier type: never lower
    assert _score(t, max(home - closer, 0), school, kids, unc) >= s0
    assert _score(t, home, max(school - closer, 0), kids, unc) >= s0
    assert _score(t, home, school, kids, min(unc + less_cover, 1.0)) >= s0
    assert _score("pond", home, school, kids, unc) >= s0
    # more (weighted) children always raises the score strictly
    assert _score(t, home, school, kids + more_kids, unc) > s0 or \
        CFG.type_factor[t] == 0


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 50), st.integers(0, 20), st.integers(0, 20), st.integers(1, 10))
def test_under5_and_left_behind_weigh_more(children, under5, left, extra) -> None:
    base = weighted_children(np.array([children]), np.array([under5]), np.array([left]),
                             config=CFG)
    more_u5 = weighted_children(np.array([children + extra]), np.array([under5 + extra]),
                                np.array([left]), config=CFG)
    more_plain = weighted_children(np.array([children + extra]), np.array([under5]),
                                   np.array([left]), config=CFG)
    more_left = weighted_children(np.array([children + extra]), np.array([under5]),
                                  np.array([left + extra]), config=CFG)
    assert more_u5[0] > more_plain[0] > base[0]
    assert more_left[0] > more_plain[0]


def test_crossing_into_the_100m_band_raises_the_tier() -> None:
    far = score_components(np.array(["pond"]), np.array([120.0]), np.array([np.inf]),
                           np.array([150.0]), np.array([1.0]), config=CFG)
    near = score_components(np.array(["pond"]), np.array([90.0]), np.array([np.inf]),
                            np.array([150.0]), np.array([1.0]), config=CFG)
    assert near["score"][0] > far["score"][0]
    assert (far["tier"][0], near["tier"][0]) == ("B", "A")


def test_budget_prices_and_tier_settings() -> None:
    cfg = WaterConfig.from_mapping({"budget_yuan": 50_000, "max_new_kits": 40,
                                    "prices": {"sign": 200, "rope": 60}}, source="t")
    assert cfg.budget_yuan == 50_000.0 and cfg.max_new_kits == 40
    assert cfg.item_prices == (200.0, 150.0, 60.0, 200.0)
    assert cfg.kit_price == 200 + 150 + 60 + 200 + 300
    # rope priced per metre by default: 30 m at ¥3
    assert WaterConfig().item_prices[2] == 90.0
    for bad, match in (({"prices": {"sign": 1, "buoy": 2}}, "water.prices.*'buoy'"),
                       ({"prices": {"sign": -1}}, "prices"),
                       ({"placement": "all"}, "placement"),
                       ({"tier_a_share": 0.6, "tier_b_share": 0.5}, "tier shares"),
                       ({"calendar": "lunar"}, "calendar"),
                       ({"large_min_tier": "D"}, "large_min_tier"),
                       ({"max_new_kits": 2.5}, "max_new_kits"),
                       ({"budget": 5}, "unknown key 'budget'")):
        with pytest.raises(ConfigError, match=match):
            WaterConfig.from_mapping(bad, source="t")


def test_share_tiers_by_rank_and_exposure() -> None:
    score = np.array([50.0, 50.0, 90.0, 10.0, 0.0, 30.0, 30.0, 20.0, 5.0, 40.0])
    expo = np.array([0.5, 0.9, 0.3, 0.2, 0.2, 0.4, 0.4, 0.3, 0.2, 0.6])
    cfg = WaterConfig(tier_a_share=0.1, tier_b_share=0.2, tier_c_share=0.3)
    tier, cuts = share_tiers(score, expo, np.zeros(10), config=cfg)
    # ranks: 90 | 50 (more exposed), 50 | 40, 30, 30 | the rest
    assert tier.tolist() == ["B", "B", "A", "N", "N", "C", "C", "N", "N", "C"]
    assert cuts == (90.0, 50.0, 30.0)
    # a water with score 0 is never tiered, even when shares would reach it
    t2, _ = share_tiers(score, expo, np.zeros(10),
                        config=WaterConfig(tier_a_share=0.5, tier_b_share=0.5, tier_c_share=0))
    assert t2[4] == "N" and (t2 != "N").sum() == 9
    lifted, _ = share_tiers(score, expo, np.zeros(10), config=cfg,
                            floor=np.arange(10) == 8)
    assert lifted[8] == "A" and (lifted == "A").sum() == 2
