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
    write_actions_xlsx(a, path, title="测试", water=s,
                       notes=budgeted.risk_notes)
    wb = load_workbook(path)  # not read-only: no file left open
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


def _line_count(pieces: list[tuple[float, float, float]]) -> int:
    """Fewest points stabbing every [p - r, p + r], p in the pieces [a, b] (reach r), on a
    line: plain loops, the leftmost uncovered point first."""
    pieces = sorted(pieces)
    count, i, c = 0, 0, pieces[0][0] if pieces else 0.0
    while i < len(pieces):
        k = min([c + pieces[i][2]] + [a + r for a, _, r in pieces[i + 1:]])
        count += 1
        while i < len(pieces):
            a, b, r = pieces[i]
            start = max(a, c)
            if start > k + r + 1e-9:
                c = start
                break
            if b > k + r + 1e-9:
                c = k + r
                break
            i += 1
            if i < len(pieces):
                c = pieces[i][0]
    return count


def _ring_count(pieces: list[tuple[float, float, float]], length: float) -> int:
    """On a ring: the best line count over every cut at a piece start (a whole ring:
    ceil(L / 2r))."""
    r = pieces[0][2]
    merged = []
    for a, b, rr in sorted(pieces):
        if merged and a <= merged[-1][1] + 1e-9:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]), rr)
        else:
            merged.append((a, b, rr))
    if merged[0][0] <= 1e-9 and merged[-1][1] >= length - 1e-9 and len(merged) > 1:
        merged = [(merged[-1][0] - length, merged[0][1], r)] + merged[1:-1]
    if len(merged) == 1 and merged[0][1] - merged[0][0] >= length - 1e-9:
        return int(np.ceil(length / (2 * r) - 1e-9))
    best = None
    for cut, _, _ in merged:
        rot = sorted(((a - cut) % length, (a - cut) % length + (b - a), rr)
                     for a, b, rr in merged)
        n = _line_count(rot)
        best = n if best is None else min(best, n)
    return best


@pytest.mark.parametrize("seed", [1, 2, 5])
def test_full_plan_count_equals_an_independent_interval_cover_count(seed) -> None:
    from planner.validate.water_layer import banks, normalise_water

    c = _county(seed=seed)
    lay = synth_water(c["county"], villages=c["villages"], settlements=c["settlements"],
                      crs=UTM, seed=seed)
    res = water_safety(lay["water"], kits=None, settlements=c["settlements"],
                       schools=lay["schools"], towns=c["towns"], crs=UTM,
                       config=WaterConfig(placement="full"), year=2025,
                       today=dt.date(2025, 6, 1), plan_patrols=False)
    b = banks(normalise_water(lay["water"]), crs=UTM)
    seg = res.segments[res.segments["risky"]]
    want = 0
    for bank, g in seg.groupby("bank"):
        pieces = list(zip(g["s0_m"], g["s1_m"], g["reach_m"], strict=True))
        want += (_ring_count(pieces, float(b.length[bank])) if b.closed[bank]
                 else _line_count(pieces))
    full = res.summary["budget"]["full_coverage"]
    assert want > 20
    assert full["min_new_kits"] == want
    assert res.summary["proposed_kits"] == full["new_kits"] == want
    assert full["status"] in ("optimal", "within_gap") and full["fixed_kits"] == 0


def _stage_arrays(lay, res):
    """Banks, segments (with reach, hazard, risky from the stage) and the bank and position
    of every proposed kit and every existing complete kit with a long enough rope."""
    from planner.validate.water_layer import banks, normalise_kits, normalise_water

    b = banks(normalise_water(lay["water"]), crs=UTM)
    s = res.segments
    tree = shapely.STRtree(b.geometry)

    def on_bank(points):
        if len(points) == 0:
            return np.zeros(0, np.int64), np.zeros(0)
        _, j = tree.query_nearest(points, all_matches=False)
        return j, shapely.line_locate_point(b.geometry[j], points)

    kn = normalise_kits(lay["kits"]).to_crs(UTM)
    good = kn["complete"].to_numpy() & ~(kn["rope_m"].to_numpy(float) < BUDGET.min_rope_m)
    pk = res.proposed_kits.to_crs(UTM)
    eb, ep = on_bank(kn.geometry.to_numpy()[good])
    nb, npos = on_bank(pk.geometry.to_numpy())
    args = (s["bank"].to_numpy(), s["s0_m"].to_numpy(), s["s1_m"].to_numpy(),
            s["reach_m"].to_numpy(), b.length, b.closed)
    weight = np.where(s["risky"], s["hazard"], 0.0)
    return args, weight, (eb, ep), (nb, npos)


def test_no_chosen_kit_adds_nothing_and_a_large_budget_buys_the_full_plan() -> None:
    from planner.core.kits import residual, uncovered_length

    c = _county(seed=1)
    lay = synth_water(c["county"], villages=c["villages"], settlements=c["settlements"],
                      crs=UTM, seed=1)

    def run(budget):
        cfg = dataclasses.replace(BUDGET, budget_yuan=budget, curve_kits=())
        return water_safety(lay["water"], kits=lay["kits"], settlements=c["settlements"],
                            schools=lay["schools"], towns=c["towns"], crs=UTM, config=cfg,
                            year=2025, today=dt.date(2025, 6, 1), plan_patrols=False)

    full_yuan = run(1e9).summary["budget"]["full_coverage"]["yuan"]
    for budget in (0.3 * full_yuan, full_yuan - 500, full_yuan, full_yuan + 777, 10 * full_yuan):
        res = run(budget)
        b = res.summary["budget"]
        assert b["spend_yuan"] <= budget + 1e-6
        assert b["remaining_yuan"] == pytest.approx(budget - b["spend_yuan"])
        if budget >= full_yuan:
            assert b["spend_yuan"] == pytest.approx(full_yuan)
            assert b["risk_covered_share"] == 1.0 and b["method"] == "full_coverage"
        # every chosen kit covers some risky bank that nothing else chosen covers
        args, weight, (eb, ep), (nb, npos) = _stage_arrays(lay, res)
        everything = np.ones(len(nb), dtype=bool)
        left = [uncovered_length(len(weight), *residual(
            *args, np.r_[eb, nb[keep]], np.r_[ep, npos[keep]])) @ weight
            for keep in [everything, *(everything & (np.arange(len(nb)) != j)
                                       for j in range(len(nb)))]]
        assert (np.array(left[1:]) > left[0] + 1e-6).all(), budget
