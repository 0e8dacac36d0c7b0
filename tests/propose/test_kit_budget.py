"""The budgeted water-safety plan end to end: spend, curve, tiers, high-consequence waters."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest
import shapely

from planner.measure.risk import WaterConfig
from planner.propose.kit_budget import fix_costs
from planner.propose.water_safety import water_safety
from scripts.synth.water import synth_water
from tests.propose.test_water_safety import UTM, _county, _gdf

BUDGET = WaterConfig(budget_yuan=30_000.0, curve_kits=(5, 10, 20))


def _run(cfg: WaterConfig, seed: int = 1):
    c = _county(seed=seed)
    lay = synth_water(c["county"], villages=c["villages"], settlements=c["settlements"],
                      crs=UTM, seed=seed)
    return water_safety(lay["water"], kits=lay["kits"], settlements=c["settlements"],
                        schools=lay["schools"], towns=c["towns"], villages=c["villages"],
                        crs=UTM, config=cfg,
                        year=2025, today=dt.date(2025, 6, 1), plan_patrols=False)


@pytest.fixture(scope="module")
def budgeted():
    return _run(BUDGET)


def test_spend_within_budget_and_costs_add_up(budgeted) -> None:
    b = budgeted.summary["budget"]
    pk = budgeted.proposed_kits
    assert 0 < b["spend_yuan"] <= BUDGET.budget_yuan
    assert b["remaining_yuan"] == pytest.approx(BUDGET.budget_yuan - b["spend_yuan"])
    assert pk["cost_yuan"].sum() == pytest.approx(b["spend_yuan"])
    assert (pk.loc[pk["status"] == "new", "cost_yuan"] == BUDGET.kit_price).all()
    assert budgeted.requisition["cost_yuan"].sum() == pytest.approx(b["spend_yuan"])
    assert b["status"] in ("optimal", "time_limit", "node_limit", "heuristic") and b["gap"] >= 0
    assert 0 < b["risk_covered"] <= b["bound"] + 1e-6


def test_curve_is_non_decreasing_and_ends_at_the_minimum_kits_plan(budgeted) -> None:
    curve = budgeted.summary["budget_curve"]
    cov = [p["risk_covered"] for p in curve]
    assert cov == sorted(cov) and [p["kits"] for p in curve] == sorted(p["kits"] for p in curve)
    for p in curve[:-1]:
        assert p["kits"] <= p["max_kits"]
        assert p["status"] in ("optimal", "carried") or p["gap"] > 0
    last = curve[-1]
    assert last["status"] == "full_coverage" and last["risk_covered_share"] == 1.0
    # the minimum-kits plan: same number of actions and the same risk covered
    full = _run(dataclasses.replace(BUDGET, placement="full"))
    fb = full.summary["budget"]
    assert last["kits"] == fb["new_kits"] + fb["fixed_kits"]
    assert last["risk_covered"] == pytest.approx(fb["risk_covered"], rel=1e-6)
    assert full.summary["uncovered_risky_bank_m_after"] == 0


def test_unlimited_budget_covers_all_risky_bank() -> None:
    res = _run(dataclasses.replace(BUDGET, budget_yuan=1e9, curve_kits=()))
    b = res.summary["budget"]
    assert b["risk_covered_share"] == pytest.approx(1.0)
    assert res.summary["uncovered_risky_bank_m_after"] == pytest.approx(0, abs=0.5)


def test_max_new_kits_caps_new_kits() -> None:
    res = _run(dataclasses.replace(BUDGET, budget_yuan=1e9, max_new_kits=3, curve_kits=()))
    assert (res.proposed_kits["status"] == "new").sum() <= 3


def test_tier_shares_follow_the_settings(budgeted) -> None:
    # without the floor for high-consequence waters the shares are exact
    wr = _run(dataclasses.replace(BUDGET, large_min_tier="N", curve_kits=())).water_risk
    n = len(wr)
    counts = wr["tier"].value_counts()
    assert counts.get("A", 0) == np.ceil(0.05 * n - 1e-9)
    assert counts.get("A", 0) + counts.get("B", 0) == np.ceil(0.20 * n - 1e-9)
    assert counts.get("C", 0) == np.ceil(0.50 * n - 1e-9) - np.ceil(0.20 * n - 1e-9)
    # with it, only high-consequence waters join 一级, and tiers follow the ranking
    lifted = budgeted.water_risk
    extra = set(lifted.loc[lifted["tier"] == "A", "water_id"]) - set(
        wr.loc[wr["tier"] == "A", "water_id"])
    assert lifted.set_index("water_id").loc[list(extra), "high_consequence"].all()
    order = lifted["tier"].map({"A": 0, "B": 1, "C": 2, "N": 3}).to_numpy()
    assert (np.diff(order) >= 0).all()


def test_fix_costs_only_charge_missing_items() -> None:
    cfg = WaterConfig()
    items = np.array([[True, False, True, True], [True] * 4, [True] * 4, [False] * 4])
    cost = fix_costs(items, np.array([False, False, True, False]), config=cfg)
    p = cfg.prices
    assert cost.tolist() == [p["lifebuoy"] + p["repair"], 0.0,
                             p["rope_per_m"] * cfg.rope_m + p["repair"],
                             cfg.kit_price - p["installation"] + p["repair"]]


def test_large_river_near_homes_ranks_above_a_lonely_pond() -> None:
    c = _county(n_towns=1, villages_per_town=1, homes_per_village=4, seed=3)
    home = c["settlements"].to_crs(UTM).geometry.iloc[0]
    river = shapely.box(home.x - 6000, home.y + 150, home.x + 6000, home.y + 1150)  # 12 km²
    pond = shapely.box(home.x + 2000, home.y - 3000, home.x + 2040, home.y - 2960)
    water = _gdf([river, pond], type=["river", "pond"], water_id=["R", "P"])
    kw = dict(kits=None, settlements=c["settlements"], schools=None, towns=c["towns"], crs=UTM,
              year=2025, today=dt.date(2025, 6, 1), plan_patrols=False)
    res = water_safety(water, config=WaterConfig(), **kw)
    wr = res.water_risk.set_index("water_id")
    assert wr.loc["R", "high_consequence"] and not wr.loc["P", "high_consequence"]
    assert wr.loc["R", "rank"] < wr.loc["P", "rank"] and wr.loc["R", "tier"] == "A"
    plain = water_safety(water, config=WaterConfig(large_types=()), **kw)
    assert plain.water_risk.set_index("water_id").loc["R", "type_factor"] < 1.0
    # without the rule the river's score is lower than with it
    assert plain.water_risk.set_index("water_id").loc["R", "score"] < wr.loc["R", "score"]


def test_actions_list_every_kit_and_reconcile_with_the_budget(budgeted, tmp_path) -> None:
    from openpyxl import load_workbook

    from planner.report.water_actions import write_actions_xlsx

    a = budgeted.actions
    s = budgeted.summary
    assert (a["action"] == "new").sum() == s["proposed_kits"]
    assert (a["action"] == "inspect").sum() == s["existing_kits"]["inspection_overdue"]
    fix = a[a["action"].isin(["complete", "repair_rope"])]
    assert fix["funded"].sum() == s["completed_kits"]
    assert a.loc[a["funded"] & (a["action"] != "inspect"), "cost_yuan"].sum() == \
        pytest.approx(s["budget"]["spend_yuan"])
    assert a["village_code"].str.len().gt(0).all()
    assert a["lon"].between(-180, 180).all() and a["lat"].between(-90, 90).all()
    assert (fix["detail"].str.len() > 0).all()
    # within a village, 一级 waters first
    rank = a["tier_label"].map({"一级": 0, "二级": 1, "三级": 2, "未分级": 3}).fillna(4)
    assert all(rank[g.index].is_monotonic_increasing for _, g in a.groupby("village_code"))
    path = tmp_path / "water_actions.xlsx"
    write_actions_xlsx(a, path, title="测试", curve=s["budget_curve"],
                       notes=budgeted.risk_notes)
    wb = load_workbook(path, read_only=True)
    assert wb.sheetnames == ["村级行动清单", "逾期检查", "器材不全", "预算曲线", "评分说明"]
    notes = dict((f, v) for f, _, v in budgeted.risk_notes)
    assert notes["风险等级"] == "一级 5%、二级 15%、三级 30%"
    assert notes["距离 P"] == "1 / 0.6 / 0.2"
    assert wb["逾期检查"].max_row == 2 + (a["action"] == "inspect").sum()


def test_past_incidents_raise_the_hazard_of_their_water() -> None:
    c = _county(n_towns=1, villages_per_town=1, homes_per_village=4, seed=3)
    home = c["settlements"].to_crs(UTM).geometry.iloc[0]
    ponds = [shapely.box(home.x + 300, home.y, home.x + 340, home.y + 40),
             shapely.box(home.x - 900, home.y, home.x - 860, home.y + 40)]
    water = _gdf(ponds, type=["pond", "pond"], water_id=["P1", "P2"])
    at = shapely.Point(home.x + 350, home.y + 20)   # 10 m from P1, far from P2
    far = shapely.Point(home.x + 2000, home.y + 2000)
    kw = dict(kits=None, settlements=c["settlements"], schools=None, towns=c["towns"], crs=UTM,
              config=WaterConfig(), year=2025, today=dt.date(2025, 6, 1), plan_patrols=False)
    none = water_safety(water, **kw).water_risk.set_index("water_id")
    two = water_safety(water, incidents=_gdf([at, at, far], age_band=["5-9", "0-4", "10-14"]),
                       **kw).water_risk.set_index("water_id")
    assert two.loc["P1", "incidents"] == 2 and two.loc["P2", "incidents"] == 0
    assert two.loc["P1", "hazard"] == pytest.approx(
        100 - (100 - none.loc["P1", "hazard"]) * 0.5 ** 2, abs=1e-3)
    assert two.loc["P2", "hazard"] == pytest.approx(none.loc["P2", "hazard"])
    assert "age_band" not in two.columns


@pytest.mark.parametrize("placement", ["budget", "full"])
def test_nothing_needed_gives_no_kit_and_no_crash(placement, monkeypatch) -> None:
    """A pond wholly within reach of a complete kit, an empty water layer, water with a kit
    and nothing else: 0 kits, nothing spent, no solver call."""
    import planner.core.budget as budget

    def boom(*args, **kwargs):
        raise AssertionError("the solver must not be called")

    monkeypatch.setattr(budget, "milp", boom)
    c = _county(n_towns=1, villages_per_town=1, homes_per_village=4, seed=3)
    home = c["settlements"].to_crs(UTM).geometry.iloc[0]
    pond = shapely.box(home.x + 20, home.y, home.x + 40, home.y + 20)  # 80 m of bank
    kit = _gdf([shapely.Point(home.x + 20, home.y + 10)])
    kw = dict(settlements=c["settlements"], schools=None, towns=c["towns"],
              villages=c["villages"], crs=UTM,
              config=WaterConfig(placement=placement, curve_kits=(1, 5)), year=2025,
              today=dt.date(2025, 6, 1))
    for water, kits in ((_gdf([pond], type=["pond"]), kit), (_gdf([], type=[]), None),
                        (_gdf([], type=[]), kit)):
        res = water_safety(water, kits=kits, **kw)
        b = res.summary["budget"]
        assert res.summary["proposed_kits"] == res.summary["completed_kits"] == 0
        assert b["spend_yuan"] == 0 and len(res.proposed_kits) == 0
        assert res.summary["uncovered_risky_bank_m_after"] == 0
        assert res.requisition["cost_yuan"].sum() == 0
