"""Patrol plan: calendar, frequencies by tier and day, village routes (2-opt, caps, network)."""

from __future__ import annotations

import datetime as dt
import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import shapely
from pyproj import CRS

from planner._errors import ConfigError, ModelError
from planner.core.network import RoadGraph
from planner.measure.risk import WaterConfig
from planner.propose.patrol import (
    PLAN_COLUMNS,
    coming_season_year,
    lunar_festival_dates,
    patrol_calendar,
    patrol_plan,
    patrols_per_day,
    split_tour,
    stop_distances,
    tour,
)
from planner.propose.water_safety import water_safety

CFG = WaterConfig()


def test_calendar_flags() -> None:
    cal = patrol_calendar(2025, config=CFG).set_index("date")
    assert len(cal) == 153  # 1 May - 30 Sep
    d = dt.date
    assert cal.loc[d(2025, 5, 1), "holiday"] and not cal.loc[d(2025, 5, 1), "peak"]
    assert cal.loc[d(2025, 6, 1), "flood"] and cal.loc[d(2025, 6, 1), "peak"]
    assert cal.loc[d(2025, 7, 15), "summer"] and not cal.loc[d(2025, 6, 30), "summer"]
    assert cal.loc[d(2025, 5, 10), "weekend"] and cal.loc[d(2025, 5, 10), "weekday"] == 5
    cfg = WaterConfig.from_mapping({"holidays": ["2025-05-31"], "season": ["12-01", "01-31"],
                                    "calendar": "fixed"}, source="t")
    cal = patrol_calendar(2025, config=cfg).set_index("date")
    assert len(cal) == 62 and not cal["holiday"].any()
    cal = patrol_calendar(2025, config=WaterConfig.from_mapping(
        {"holidays": ["2025-05-31"], "calendar": "fixed"}, source="t")).set_index("date")
    assert cal.loc[d(2025, 5, 31), "holiday"] and cal["holiday"].sum() == 1
    assert cal.attrs["calendar"] == "fixed"


def test_statutory_holidays_and_makeup_days_come_from_the_calendar_library() -> None:
    cal = patrol_calendar(2025, config=CFG).set_index("date")
    assert cal.attrs["calendar"] == "chinese_calendar"
    d = dt.date
    # 端午 2025: 31 May - 2 June off (State Council notice 国办发明电〔2024〕12号)
    assert cal.loc[[d(2025, 5, 31), d(2025, 6, 1), d(2025, 6, 2)], "holiday"].all()
    assert not cal.loc[d(2025, 6, 3), "holiday"]
    # 国庆/中秋 2025 (1-8 October off, outside the season): Sunday 28 September worked (调休)
    assert cal.loc[d(2025, 9, 28), "makeup_workday"] and not cal.loc[d(2025, 9, 28), "weekend"]
    assert not cal.loc[d(2025, 9, 27), "makeup_workday"] and cal.loc[d(2025, 9, 27), "weekend"]
    # a year the library does not cover: the fixed list plus 端午 and 中秋 (lunar), 调休
    # unknown
    far = patrol_calendar(2099, config=CFG)
    assert far.attrs["calendar"] == "lunar" and not far["makeup_workday"].any()


# the days off of the State Council notices inside the season (05-01 .. 09-30), and the
# weekend days worked instead (调休): 国办发明电〔2024〕12号 (2025), 国办发明电〔2025〕7号 (2026)
NOTICES = {
    2025: (["05-01", "05-02", "05-03", "05-04", "05-05", "05-31", "06-01", "06-02"],
           ["09-28"]),
    2026: (["05-01", "05-02", "05-03", "05-04", "05-05", "06-19", "06-20", "06-21",
            "09-25", "09-26", "09-27"], ["05-09", "09-20"]),
}


@pytest.mark.parametrize("year", sorted(NOTICES))
def test_holidays_equal_the_state_council_notices(year) -> None:
    cal = patrol_calendar(year, config=CFG)
    md = pd.to_datetime(cal["date"]).dt.strftime("%m-%d")
    off, worked = NOTICES[year]
    assert md[cal["holiday"]].tolist() == off
    assert md[cal["makeup_workday"]].tolist() == worked


def test_a_year_beyond_the_library_has_duanwu_and_zhongqiu_off() -> None:
    cal = patrol_calendar(2027, config=CFG)
    assert cal.attrs["calendar"] == "lunar"
    off = set(pd.to_datetime(cal.loc[cal["holiday"], "date"]).dt.strftime("%m-%d"))
    # 2027: 端午 is lunar 5/5 = 9 June, 中秋 lunar 8/15 = 15 September; 劳动节 1-5 May
    assert off == {"05-01", "05-02", "05-03", "05-04", "05-05", "06-09", "09-15"}
    assert lunar_festival_dates(2027) == {"端午节": dt.date(2027, 6, 9),
                                          "中秋节": dt.date(2027, 9, 15)}
    fixed = patrol_calendar(2027, config=WaterConfig.from_mapping({"calendar": "fixed"},
                                                                  source="t"))
    assert fixed.attrs["calendar"] == "fixed" and fixed["holiday"].sum() == 5


@pytest.mark.parametrize(("today", "season", "year"), [
    (dt.date(2026, 12, 4), ("05-01", "09-30"), 2027),   # this year's season is over
    (dt.date(2026, 9, 30), ("05-01", "09-30"), 2026),   # its last day
    (dt.date(2026, 2, 1), ("05-01", "09-30"), 2026),    # not begun yet
    (dt.date(2027, 1, 15), ("11-01", "02-28"), 2026),   # inside a season begun last year
    (dt.date(2027, 3, 1), ("11-01", "02-28"), 2027),    # the next one begins in November
])
def test_the_plan_is_for_the_coming_season(today, season, year) -> None:
    assert coming_season_year(today, season=season) == year


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


def _road(node_xy: np.ndarray, csr: sp.csr_matrix) -> RoadGraph:
    """A walk network as the planner's one road-graph type."""
    csr = sp.csr_matrix(csr)
    return RoadGraph(node_xy=np.asarray(node_xy, dtype=float), walk=csr, drive=csr,
                     n_edges=int(csr.nnz))


def _line_graph() -> RoadGraph:
    # nodes 0-1-2 on a road along y=0 (0, 100, 200 m); node 3 isolated at (0, 500)
    xy = np.array([[0.0, 0.0], [100.0, 0.0], [200.0, 0.0], [0.0, 500.0]])
    rows, cols, w = [0, 1, 1, 2], [1, 0, 2, 1], [100.0, 100.0, 100.0, 100.0]
    return _road(xy, sp.csr_matrix((w, (rows, cols)), shape=(4, 4)))


def test_stop_distances_over_the_network() -> None:
    stops = np.array([[0.0, 10.0], [200.0, 5.0], [0.0, 480.0]])
    dist, road = stop_distances(stops, graph=_line_graph())
    assert dist[0, 1] == pytest.approx(10 + 200 + 5)
    assert road[0, 1] and not road[0, 2]
    assert dist[0, 2] == pytest.approx(470.0)  # unreachable node: straight line
    dist, road = stop_distances(stops, graph=None)
    assert dist[0, 1] == pytest.approx(np.hypot(200, 5)) and not road.any()


def _seats(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["village_code", "village_name", "town_code",
                                       "town_name", "x", "y"])


def test_patrol_plan_routes_and_ranking() -> None:
    waters = pd.DataFrame({
        "water_id": ["W1", "W2", "W3", "W4"], "town_code": ["T1", "T1", "T1", "T1"],
        "village_code": ["V1"] * 4,
        "tier": ["A", "B", "C", "N"], "score": [80.0, 40.0, 15.0, 2.0],
        "x": [0.0, 200.0, 100.0, 50.0], "y": [10.0, 5.0, 0.0, 0.0]})
    seats = _seats(("V1", "一村", "T1", "一镇", 100.0, 0.0))
    ranking, plan = patrol_plan(waters, seats, year=2025, config=CFG, graph=_line_graph())
    assert list(plan.columns) == list(PLAN_COLUMNS)
    assert ranking["water_id"].tolist() == ["W1", "W2", "W3"]
    assert ranking["rank_in_town"].tolist() == [1, 2, 3]
    assert (ranking["village_name"] == "一村").all()
    day = plan[plan["date"] == dt.date(2025, 7, 2)].sort_values("round")
    assert day["round"].tolist() == [1, 2]
    assert day["weekday"].tolist() == ["周三"] * 2 and day["season"].tolist() == ["暑假"] * 2
    assert sorted(day.iloc[0]["water_ids"].split(";")) == ["W1", "W2", "W3"]
    assert day.iloc[1]["water_ids"] == "W1" and day.iloc[1]["stops"] == 1
    # seat (node 1) -> W1 (node 0, 10 m off) and back: 2 * (100 + 10)
    assert day.iloc[1]["length_m"] == pytest.approx(220.0)
    assert set(plan["method"]) == {"network"} and (plan["route_no"] == 1).all()
    assert set(plan.loc[plan["date"] == dt.date(2025, 6, 2), "season"]) == {"汛期"}
    assert set(plan.loc[plan["date"] == dt.date(2025, 5, 7), "season"]) == {"平时"}
    assert ranking.set_index("water_id").loc["W1", "patrols_in_season"] == \
        plan["water_ids"].str.split(";").apply(lambda w: "W1" in w).sum()
    _, plan = patrol_plan(waters, seats, year=2025, config=CFG)
    assert set(plan["method"]) == {"straight_line"}
    with pytest.raises(ModelError, match="no seat"):
        patrol_plan(waters.assign(village_code="V9"), seats, year=2025, config=CFG)


def _grid_graph(n: int = 6, step: float = 400.0, seed: int = 0,
                ) -> tuple[np.ndarray, sp.csr_matrix, nx.Graph]:
    """A jittered n x n grid of roads with some edges removed (symmetric)."""
    rng = np.random.default_rng(seed)
    xy = np.array([(i * step, j * step) for i in range(n) for j in range(n)], float)
    xy += rng.uniform(-40, 40, xy.shape)
    g = nx.Graph()
    g.add_nodes_from(range(n * n))
    for i in range(n):
        for j in range(n):
            a = i * n + j
            for b in ((i + 1) * n + j if i + 1 < n else None, a + 1 if j + 1 < n else None):
                if b is not None and rng.random() > 0.2:
                    g.add_edge(a, b, weight=float(np.hypot(*(xy[a] - xy[b])) * 1.1))
    rows, cols, w = [], [], []
    for a, b, d in g.edges(data="weight"):
        rows += [a, b]
        cols += [b, a]
        w += [d, d]
    return xy, sp.csr_matrix((w, (rows, cols)), shape=(n * n, n * n)), g


def _village_waters(seed: int, n_villages: int = 2, per_village: int = 14,
                    spread: float = 900.0, centres: np.ndarray | None = None,
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    if centres is None:
        centres = [(800.0 + 700 * v, 1000.0) for v in range(n_villages)]
    seats = _seats(*[(f"V{v}", f"{v}村", "T1", "一镇", *c) for v, c in enumerate(centres)])
    rows = []
    for v, (cx, cy) in enumerate(centres):
        for k in range(per_village):
            rows.append((f"W{v}{k:02d}", "T1", f"V{v}", "ABC"[k % 3], float(rng.uniform(10, 90)),
                         cx + rng.uniform(-spread, spread), cy + rng.uniform(-spread, spread)))
    waters = pd.DataFrame(rows, columns=["water_id", "town_code", "village_code", "tier",
                                         "score", "x", "y"])
    return waters, seats


def _legs(seat: np.ndarray, stops: np.ndarray, node_xy: np.ndarray, g: nx.Graph) -> float:
    """Independent closed length seat -> stops -> seat: snapping + networkx shortest paths."""
    pts = np.r_[seat[None, :], stops, seat[None, :]]
    near = np.argmin(np.hypot(pts[:, None, 0] - node_xy[None, :, 0],
                              pts[:, None, 1] - node_xy[None, :, 1]), axis=1)
    total = 0.0
    for a, b in itertools.pairwise(range(len(pts))):
        total += (np.hypot(*(pts[a] - node_xy[near[a]])) + np.hypot(*(pts[b] - node_xy[near[b]]))
                  + nx.shortest_path_length(g, near[a], near[b], weight="weight"))
    return total


def test_route_lengths_match_networkx_and_every_due_water_once() -> None:
    node_xy, csr, g = _grid_graph()
    # seats 5 m from a node: no other node within 300 m, so the seat uses the nearest one
    waters, seats = _village_waters(1, centres=node_xy[[14, 21]] + 5.0)
    cfg = WaterConfig.from_mapping({"patrol_max_stops": 6, "patrol_max_km": 6}, source="t")
    ranking, plan = patrol_plan(waters, seats, year=2025, config=cfg, graph=_road(node_xy, csr))
    assert set(plan["method"]) == {"network"}
    xy = waters.set_index("water_id")[["x", "y"]]
    seat_xy = seats.set_index("village_code")[["x", "y"]]
    sample = plan.drop_duplicates(["village_code", "water_ids"])
    for r in sample.itertuples():
        ids = r.water_ids.split(";")
        assert r.stops == len(ids)
        want = _legs(seat_xy.loc[r.village_code].to_numpy(float), xy.loc[ids].to_numpy(float),
                     node_xy, g)
        assert r.length_m == pytest.approx(want, abs=0.06)
    # every due water exactly once per (village, date, round), nothing else
    cal = patrol_calendar(2025, config=cfg)
    due = patrols_per_day(ranking["tier"].to_numpy(), cal, config=cfg)
    seen = plan.assign(w=plan["water_ids"].str.split(";")).explode("w")
    assert not seen.duplicated(["village_code", "date", "round", "w"]).any()
    got = seen.groupby(["date", "w"])["round"].agg(["size", "max"])
    want = pd.DataFrame(due, index=cal["date"], columns=ranking["water_id"]).stack()
    want = want[want > 0]
    assert got["size"].to_dict() == want.to_dict() and (got["max"] == got["size"]).all()
    assert (seen["village_code"] == seen["w"].str[1].radd("V")).all()


def test_split_respects_the_caps() -> None:
    waters, seats = _village_waters(2, n_villages=3, per_village=30, spread=2500)
    cfg = WaterConfig.from_mapping({"patrol_max_stops": 7, "patrol_max_km": 9}, source="t")
    _, plan = patrol_plan(waters, seats, year=2025, config=cfg)
    assert plan["stops"].max() <= 7
    over = plan[plan["length_m"] > 9000]
    assert (over["stops"] == 1).all()  # only a water whose round trip alone is over the cap
    xy = waters.set_index("water_id")
    s = seats.set_index("village_code")
    for r in over.drop_duplicates("water_ids").itertuples():
        w = xy.loc[r.water_ids]
        assert 2 * np.hypot(w.x - s.loc[r.village_code, "x"],
                            w.y - s.loc[r.village_code, "y"]) == pytest.approx(r.length_m, abs=.1)
    split = plan.groupby(["village_code", "date", "round"])["route_no"].max()
    assert split.max() > 1
    assert (plan["length_m"].mean() < 9000)


def test_split_tour_is_optimal_for_its_tour() -> None:
    rng = np.random.default_rng(5)
    for _ in range(8):
        xy = np.r_[[[0.0, 0.0]], rng.uniform(-3000, 3000, (8, 2))]
        d = np.hypot(*(xy[:, None] - xy[None, :]).transpose(2, 0, 1))
        order, _ = tour(d)
        seq = order[1:]

        def cost(p: np.ndarray, d: np.ndarray = d) -> float:
            return float(d[0, p[0]] + d[p[:-1], p[1:]].sum() + d[p[-1], 0])

        best = None
        for k in range(0, len(seq)):
            for cuts in itertools.combinations(range(1, len(seq)), k):
                pieces = np.split(seq, cuts)
                if all(len(p) <= 3 and (cost(p) <= 7000 or len(p) == 1) for p in pieces):
                    key = (len(pieces), sum(cost(p) for p in pieces))
                    best = key if best is None or key < best else best
        pieces = split_tour(d, order, max_stops=3, max_m=7000)
        assert np.concatenate(pieces).tolist() == seq.tolist()
        assert len(pieces) == best[0]
        assert sum(cost(p) for p in pieces) == pytest.approx(best[1])
    with pytest.raises(ModelError, match="max_stops"):
        split_tour(d, order, max_stops=0, max_m=1.0)


def test_reuse_does_not_change_the_plan() -> None:
    node_xy, csr, _ = _grid_graph(seed=3)
    waters, seats = _village_waters(4, per_village=10)
    cfg = WaterConfig.from_mapping({"patrol_max_stops": 5, "patrol_max_km": 5}, source="t")
    for graph in (_road(node_xy, csr), None):
        _, fast = patrol_plan(waters, seats, year=2025, config=cfg, graph=graph)
        _, slow = patrol_plan(waters, seats, year=2025, config=cfg, graph=graph, reuse=False)
        pd.testing.assert_frame_equal(fast, slow)


def test_seat_uses_a_better_nearby_node() -> None:
    # the seat sits on node 3, a spur joined to the road only 2 km away; node 0 is 50 m off
    xy = np.array([[0.0, 50.0], [300.0, 50.0], [1000.0, 50.0], [0.0, 0.0]])
    rows, cols = [0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]
    w = [300.0, 300.0, 700.0, 700.0, 1000.0, 1000.0]
    graph = _road(xy, sp.csr_matrix((w, (rows, cols)), shape=(4, 4)))
    waters = pd.DataFrame({"water_id": ["W1"], "town_code": ["T1"], "village_code": ["V1"],
                           "tier": ["A"], "score": [90.0], "x": [300.0], "y": [60.0]})
    _, plan = patrol_plan(waters, _seats(("V1", "一村", "T1", "一镇", 0.0, 0.0)), year=2025,
                          config=CFG, graph=graph)
    assert plan["length_m"].iat[0] == pytest.approx(2 * (50 + 300 + 10))


def test_patrol_caps_are_validated() -> None:
    assert CFG.patrol_max_stops == 25 and CFG.patrol_max_km == 15.0
    for bad in ({"patrol_max_stops": 0}, {"patrol_max_km": 0}, {"patrol_max_stops": 2.5}):
        with pytest.raises(ConfigError, match="patrol_max"):
            WaterConfig.from_mapping(bad, source="t")


UTM = CRS.from_epsg(32651)


def test_water_safety_patrols_by_village() -> None:
    x0, y0 = 250_000.0, 3_580_000.0
    box = shapely.box
    villages = gpd.GeoDataFrame(
        {"village_code": ["V1", "V2"], "village_name": ["东村", "西村"],
         "town_code": ["T1", "T1"], "town_name": ["一镇", "一镇"]},
        geometry=[box(x0, y0, x0 + 2000, y0 + 2000), box(x0 + 2000, y0, x0 + 4000, y0 + 2000)],
        crs=UTM).to_crs(4326)
    towns = gpd.GeoDataFrame({"town_code": ["T1"], "town_name": ["一镇"]},
                             geometry=[box(x0, y0, x0 + 4000, y0 + 2000)], crs=UTM).to_crs(4326)
    ponds = [box(x0 + x, y0 + 900, x0 + x + 40, y0 + 940) for x in (300, 800, 1500, 2600, 3300)]
    # a canal from village 1 into village 2: its access point (nearest a home) is in V2
    ponds.append(box(x0 + 1000, y0 + 1500, x0 + 3800, y0 + 1512))
    water = gpd.GeoDataFrame({"water_id": [f"W{i}" for i in range(6)],
                              "type": ["pond"] * 5 + ["canal"]}, geometry=ponds, crs=UTM)
    homes = gpd.GeoDataFrame({"children": [30] * 6},
                             geometry=shapely.points([(x0 + x + 20, y0 + 960) for x in
                                                      (300, 800, 1500, 2600, 3300)]
                                                     + [(x0 + 3700, y0 + 1530)]), crs=UTM)
    kw = dict(kits=None, settlements=homes.to_crs(4326), schools=None, towns=towns, crs=UTM,
              config=WaterConfig(tier_mode="score"), year=2025,
              today=dt.date(2025, 6, 1))
    res = water_safety(water.to_crs(4326), villages=villages, **kw)
    plan = res.patrol_plan
    seen = plan.assign(w=plan["water_ids"].str.split(";")).explode("w")
    where = seen.groupby("w")["village_code"].agg(set).to_dict()
    assert where == {"W0": {"V1"}, "W1": {"V1"}, "W2": {"V1"}, "W3": {"V2"}, "W4": {"V2"},
                     "W5": {"V2"}}
    assert set(plan["village_name"]) == {"东村", "西村"} and set(plan["town_code"]) == {"T1"}
    s = res.summary["patrol"]
    assert s["routes"] == len(plan) and s["villages_with_patrols"] == 2
    assert s["route_km"] == pytest.approx(plan["length_m"].sum() / 1000, abs=0.1)
    assert s["max_route_km"] <= 15 and 0 < s["mean_route_km"] <= s["max_route_km"]
    assert s["road_network"] is False and s["year"] == 2025
    assert (res.patrol_waters["village_code"].isin(["V1", "V2"])).all()
    # without villages each town is one unit
    plan = water_safety(water.to_crs(4326), **kw).patrol_plan
    assert set(plan["village_code"]) == {"T1"} and set(plan["village_name"]) == {"一镇"}
