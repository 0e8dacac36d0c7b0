"""Patrol plan: calendar, frequencies by tier and day, routes (2-opt, road network)."""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from planner._errors import ModelError
from planner.patrol import patrol_calendar, patrol_plan, patrols_per_day, stop_distances, tour
from planner.risk import WaterConfig

CFG = WaterConfig()


def test_calendar_flags() -> None:
    cal = patrol_calendar(2025, config=CFG).set_index("date")
    assert len(cal) == 153  # 1 May - 30 Sep
    d = dt.date
    assert cal.loc[d(2025, 5, 1), "holiday"] and not cal.loc[d(2025, 5, 1), "peak"]
    assert cal.loc[d(2025, 6, 1), "flood"] and cal.loc[d(2025, 6, 1), "peak"]
    assert cal.loc[d(2025, 7, 15), "summer"] and not cal.loc[d(2025, 6, 30), "summer"]
    assert cal.loc[d(2025, 5, 10), "weekend"] and cal.loc[d(2025, 5, 10), "weekday"] == 5
    cfg = WaterConfig.from_mapping({"holidays": ["2025-05-31"], "season": ["12-01", "01-31"]},
                                   source="t")
    cal = patrol_calendar(2025, config=cfg).set_index("date")
    assert len(cal) == 62 and not cal["holiday"].any()
    cal = patrol_calendar(2025, config=WaterConfig.from_mapping(
        {"holidays": ["2025-05-31"]}, source="t")).set_index("date")
    assert cal.loc[d(2025, 5, 31), "holiday"] and cal["holiday"].sum() == 1


def test_frequencies_by_tier_and_day() -> None:
    cal = patrol_calendar(2025, config=CFG)
    n = pd.DataFrame(patrols_per_day(np.array(["A", "B", "C", "N"]), cal, config=CFG),
                     columns=list("ABCN"), index=cal["date"])
    d = dt.date
    # peak season weekday (Tue 1 July): A twice, B once, C Mon/Wed/Fri only
    assert n.loc[d(2025, 7, 1)].tolist() == [2, 1, 0, 0]
    assert n.loc[d(2025, 7, 2)].tolist() == [2, 1, 1, 0]
    # peak weekend: one more for A and B
    assert n.loc[d(2025, 7, 5)].tolist() == [3, 2, 0, 0]
    # off-peak May week of 12-18 May: A 3 weekdays + 2 weekend bonus; B 2 + 2; C 1
    week = n.loc[d(2025, 5, 12):d(2025, 5, 18)].sum()
    assert week.tolist() == [5, 4, 1, 0]
    # the Labour Day holiday (Thu 1 May: B's 2/week falls on Mon and Thu) adds the bonus
    assert n.loc[d(2025, 5, 1)].tolist() == [1, 2, 0, 0]


def test_two_opt_finds_convex_order() -> None:
    rng = np.random.default_rng(0)
    ang = np.sort(rng.uniform(0, 2 * np.pi, 12))
    xy = np.c_[np.cos(ang), np.sin(ang)] * 1000
    perm = rng.permutation(12)
    d = np.hypot(*(xy[perm][:, None] - xy[perm][None, :]).transpose(2, 0, 1))
    order, length = tour(d)
    assert sorted(order.tolist()) == list(range(12)) and order[0] == 0
    hull = np.hypot(*np.diff(np.r_[xy, xy[:1]], axis=0).T).sum()
    assert length == pytest.approx(hull)
    assert length == pytest.approx(d[order, np.r_[order[1:], order[0]]].sum())


def test_tour_matches_brute_force_on_small_sets() -> None:
    rng = np.random.default_rng(4)
    for _ in range(10):
        xy = rng.uniform(0, 1000, (6, 2))
        d = np.hypot(*(xy[:, None] - xy[None, :]).transpose(2, 0, 1))
        _, length = tour(d)
        best = min(d[np.r_[0, p], np.r_[p, 0]].sum()
                   for p in itertools.permutations(range(1, 6)))
        assert length <= best * 1.10 + 1e-9  # 2-opt: near optimal on tiny sets
        assert length >= best - 1e-9


def test_tour_rejects_unreachable() -> None:
    with pytest.raises(ModelError, match="unreachable"):
        tour(np.array([[0, np.inf], [np.inf, 0]]))


def _line_graph() -> tuple[np.ndarray, sp.csr_matrix]:
    # nodes 0-1-2 on a road along y=0 (0, 100, 200 m); node 3 isolated at (0, 500)
    xy = np.array([[0.0, 0.0], [100.0, 0.0], [200.0, 0.0], [0.0, 500.0]])
    rows, cols, w = [0, 1, 1, 2], [1, 0, 2, 1], [100.0, 100.0, 100.0, 100.0]
    return xy, sp.csr_matrix((w, (rows, cols)), shape=(4, 4))


def test_stop_distances_over_the_network() -> None:
    stops = np.array([[0.0, 10.0], [200.0, 5.0], [0.0, 480.0]])
    dist, road = stop_distances(stops, graph=_line_graph())
    assert dist[0, 1] == pytest.approx(10 + 200 + 5)
    assert road[0, 1] and not road[0, 2]
    assert dist[0, 2] == pytest.approx(470.0)  # unreachable node: straight line
    dist, road = stop_distances(stops, graph=None)
    assert dist[0, 1] == pytest.approx(np.hypot(200, 5)) and not road.any()


def test_patrol_plan_routes_and_ranking() -> None:
    waters = pd.DataFrame({
        "water_id": ["W1", "W2", "W3", "W4"], "town_code": ["T1", "T1", "T1", "T1"],
        "tier": ["A", "B", "C", "N"], "score": [80.0, 40.0, 15.0, 2.0],
        "x": [0.0, 200.0, 100.0, 50.0], "y": [10.0, 5.0, 0.0, 0.0]})
    centres = pd.DataFrame({"town_code": ["T1"], "town_name": ["一镇"], "x": [100.0],
                            "y": [0.0]})
    ranking, plan = patrol_plan(waters, centres, year=2025, config=CFG, graph=_line_graph())
    assert ranking["water_id"].tolist() == ["W1", "W2", "W3"]
    assert ranking["rank_in_town"].tolist() == [1, 2, 3]
    day = plan[plan["date"] == dt.date(2025, 7, 2)].sort_values("round")
    assert day["round"].tolist() == [1, 2]
    assert sorted(day.iloc[0]["waters"].split(";")) == ["W1", "W2", "W3"]
    assert day.iloc[1]["waters"] == "W1"
    # centre (node 1) -> W1 (node 0, 10 m off) and back: 2 * (100 + 10)
    assert day.iloc[1]["route_m"] == pytest.approx(220.0)
    assert set(plan["route_kind"]) == {"road"}
    assert (plan["n_waters"] > 0).all()
    assert ranking.set_index("water_id").loc["W1", "patrols_in_season"] == \
        plan["waters"].str.split(";").apply(lambda w: "W1" in w).sum()
