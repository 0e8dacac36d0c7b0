"""Patrol plan for risky waters: frequencies by tier and date, a season calendar, daily routes.

A day is a *peak* day in the flood season (汛期, June-September by default) or the summer
holiday; weekends and public holidays add each tier's ``bonus`` patrols (突出加强汛期和周末、
节假日等关键节点防范). ``x per week`` patrols fall on evenly spread weekdays
(``floor(i * 7 / x)``: 3/week = Mon, Wed, Fri). A water patrolled ``n`` times on a day is in
rounds ``1..n``; each (town, day, round) is one route from the town centre over the waters'
access points and back, ordered by nearest neighbour then improved by 2-opt, measured over the
road network when one is given (snapped to the nearest nodes; the snapping distances are
added) or straight-line otherwise.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from planner._errors import ModelError
from planner.risk import TIERS, WaterConfig

_DIJKSTRA_CHUNK = 64


def _in_range(dates: pd.DatetimeIndex, span: tuple[str, str]) -> np.ndarray:
    md = dates.strftime("%m-%d").to_numpy()
    lo, hi = span
    return (md >= lo) & (md <= hi) if lo <= hi else (md >= lo) | (md <= hi)


def patrol_calendar(year: int, *, config: WaterConfig) -> pd.DataFrame:
    """One row per day of the patrol season of ``year``.

    Returns
    -------
    DataFrame
        ``date, weekday (0 = Monday), flood, summer, weekend, holiday, peak``.
    """
    lo, hi = config.season
    start = dt.date(year, int(lo[:2]), int(lo[3:]))
    end = dt.date(year + (hi < lo), int(hi[:2]), int(hi[3:]))
    dates = pd.date_range(start, end, freq="D")
    iso = dates.strftime("%Y-%m-%d")
    md = dates.strftime("%m-%d")
    hol = {h for h in config.holidays}
    holiday = np.array([(a in hol) or (b in hol) for a, b in zip(iso, md, strict=True)],
                       dtype=bool)
    flood, summer = _in_range(dates, config.flood_season), _in_range(dates, config.summer_holiday)
    return pd.DataFrame({
        "date": dates.date, "weekday": dates.day_of_week.to_numpy(), "flood": flood,
        "summer": summer, "weekend": dates.day_of_week.to_numpy() >= 5, "holiday": holiday,
        "peak": flood | summer,
    })


def _weekly(per_week: int) -> np.ndarray:
    """Weekday mask (7,) for ``per_week`` evenly spread patrols."""
    mask = np.zeros(7, dtype=bool)
    mask[(np.arange(per_week) * 7) // max(per_week, 1)] = per_week > 0
    return mask


def patrols_per_day(tier: np.ndarray, calendar: pd.DataFrame, *,
                    config: WaterConfig) -> np.ndarray:
    """Patrols of each water (columns) on each calendar day (rows), from its tier."""
    tier = np.asarray(tier, dtype=object)
    out = np.zeros((len(calendar), len(tier)), dtype=np.int64)
    wd = calendar["weekday"].to_numpy()
    peak = calendar["peak"].to_numpy()
    extra = (calendar["weekend"] | calendar["holiday"]).to_numpy()
    for code in config.patrol_tiers:
        f = config.patrol[code]
        peak_n = (np.full(len(wd), f.peak_per_day) if f.peak_per_day > 0
                  else _weekly(f.peak_per_week)[wd].astype(np.int64))
        base_n = _weekly(f.base_per_week)[wd].astype(np.int64)
        n = np.where(peak, peak_n, base_n) + np.where(extra, f.bonus, 0)
        out[:, tier == code] = n[:, None]
    return out


def tour(dist: np.ndarray, *, passes: int = 20) -> tuple[np.ndarray, float]:
    """Closed tour from node 0 over all nodes: nearest neighbour, then 2-opt.

    Parameters
    ----------
    dist : ndarray (n, n)
        Distances (may be asymmetric; optimised on the symmetric mean, measured on ``dist``).
    passes : int
        Maximum 2-opt passes.

    Returns
    -------
    (order, length) : ndarray, float
        Visiting order starting with 0 (the return to 0 is implied) and the closed length.
    """
    n = len(dist)
    if n <= 1:
        return np.zeros(n, dtype=np.int64), 0.0
    if not np.isfinite(dist).all():
        raise ModelError("patrol route: a stop is unreachable; give finite distances")
    d = 0.5 * (dist + dist.T)
    seen = np.zeros(n, dtype=bool)
    order = np.zeros(n, dtype=np.int64)
    seen[0] = True
    for i in range(1, n):
        row = np.where(seen, np.inf, d[order[i - 1]])
        order[i] = int(np.argmin(row))
        seen[order[i]] = True
    t = np.r_[order, 0]
    for _ in range(passes):
        improved = False
        for i in range(1, n - 1):
            j = np.arange(i + 1, n)
            delta = (d[t[i - 1], t[j]] + d[t[i], t[j + 1]]
                     - d[t[i - 1], t[i]] - d[t[j], t[j + 1]])
            best = int(np.argmin(delta))
            if delta[best] < -1e-9:
                jj = j[best]
                t[i:jj + 1] = t[i:jj + 1][::-1].copy()
                improved = True
        if not improved:
            break
    order = t[:-1]
    return order, float(dist[t[:-1], t[1:]].sum())


def stop_distances(xy: np.ndarray, *, graph: tuple[np.ndarray, sp.csr_matrix] | None,
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise distances between stops (metric ``xy``) and a mask of road-measured pairs.

    With ``graph = (node_xy, csr)`` the stops snap to their nearest nodes and Dijkstra runs
    from those nodes only; pairs the network cannot join fall back to straight-line.
    """
    xy = np.asarray(xy, dtype=float)
    straight = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    if graph is None or len(xy) == 0:
        return straight, np.zeros(straight.shape, dtype=bool)
    node_xy, csr = graph
    snap_d, node = cKDTree(node_xy).query(xy)
    uniq, inv = np.unique(node, return_inverse=True)
    net = np.empty((len(uniq), len(uniq)))
    for c in range(0, len(uniq), _DIJKSTRA_CHUNK):
        rows = dijkstra(csr, directed=True, indices=uniq[c:c + _DIJKSTRA_CHUNK])
        net[c:c + _DIJKSTRA_CHUNK] = rows[:, uniq]
    full = net[inv][:, inv] + snap_d[:, None] + snap_d[None, :]
    np.fill_diagonal(full, 0.0)
    road = np.isfinite(full)
    return np.where(road, full, straight), road


def patrol_plan(waters: pd.DataFrame, centres: pd.DataFrame, *, year: int,
                config: WaterConfig,
                graph: tuple[np.ndarray, sp.csr_matrix] | None = None,
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-town ranked patrol waters and the day-by-day routes of a season.

    Parameters
    ----------
    waters : DataFrame
        ``water_id, town_code, tier, score, x, y`` (metric access point) per water body;
        only tiers in ``config.patrol_tiers`` are patrolled.
    centres : DataFrame
        ``town_code, town_name, x, y`` (metric) where each town's patrols start and end.
    year : int
        Season year.
    graph : (node_xy, csr) or None
        Road network in the same metric CRS.

    Returns
    -------
    (ranking, plan) : DataFrame, DataFrame
        ``ranking``: patrolled waters per town with rank, tier and season patrol count;
        ``plan``: ``town_code, town_name, date, day_type, round, n_waters, route_m,
        route_kind, waters`` (ordered water ids).
    """
    cal = patrol_calendar(year, config=config)
    w = waters[waters["tier"].isin(config.patrol_tiers)].copy()
    w["_tier_rank"] = w["tier"].map({"A": 0, "B": 1, "C": 2})
    w = w.sort_values(["town_code", "_tier_rank", "score", "water_id"],
                      ascending=[True, True, False, True], kind="stable")
    w["rank_in_town"] = w.groupby("town_code").cumcount() + 1
    per_day = patrols_per_day(w["tier"].to_numpy(), cal, config=config)
    w["tier_label"] = w["tier"].map(TIERS)
    w["patrols_in_season"] = per_day.sum(axis=0)
    ranking = w.drop(columns=["_tier_rank"]).reset_index(drop=True)
    day_type = np.select(
        [cal["holiday"], cal["weekend"]], ["节假日", "周末"], "工作日").astype(object)
    day_type = np.where(cal["summer"], "暑假·" + day_type,
                        np.where(cal["flood"], "汛期·" + day_type, day_type))
    cen = centres.set_index("town_code")
    rows = []
    town_codes = w["town_code"].to_numpy()
    for town in pd.unique(town_codes):
        cols = np.flatnonzero(town_codes == town)
        if town not in cen.index:
            continue
        c = cen.loc[town]
        stops = np.r_[[[float(c["x"]), float(c["y"])]], w[["x", "y"]].to_numpy()[cols]]
        dist, road = stop_distances(stops, graph=graph)
        cache: dict[tuple[int, ...], tuple[np.ndarray, float, bool]] = {}
        counts = per_day[:, cols]
        ids = w["water_id"].to_numpy()[cols]
        for d in range(len(cal)):
            for rnd in range(1, int(counts[d].max(initial=0)) + 1):
                sel = np.flatnonzero(counts[d] >= rnd)
                key = tuple(sel.tolist())
                if key not in cache:
                    sub = np.r_[0, sel + 1]
                    order, length = tour(dist[np.ix_(sub, sub)], passes=config.two_opt_passes)
                    legs = np.r_[order, 0]
                    on_road = bool(road[np.ix_(sub, sub)][legs[:-1], legs[1:]].all())
                    cache[key] = (sel[order[1:] - 1], length, on_road)
                seq, length, on_road = cache[key]
                rows.append((town, str(c["town_name"]), cal["date"].iat[d], day_type[d], rnd,
                             len(seq), round(length, 1),
                             "road" if on_road else ("straight-line" if graph is None
                                                     else "road+straight-line"),
                             ";".join(ids[seq])))
    plan = pd.DataFrame(rows, columns=["town_code", "town_name", "date", "day_type", "round",
                                       "n_waters", "route_m", "route_kind", "waters"])
    return ranking, plan
