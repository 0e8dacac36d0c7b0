"""Patrol plan for risky waters: frequencies by tier and date, a season calendar, daily routes.

Who patrols
    Village cadres / 网格员 patrol the waters of their own village (肥东 practice: all risky
    waters 3/week, key waters 2/week); in the flood season and summer holiday the top tier
    is patrolled twice a day (景德镇昌江区 river-chief notice). The patrol *unit* is therefore
    a village: every route starts and ends at the village seat (its representative point)
    and visits only that village's waters. Waters are still ranked per town.

When
    A day is a *peak* day in the flood season (汛期, June-September by default) or the summer
    holiday; weekends and public holidays add each tier's ``bonus`` patrols (突出加强汛期和
    周末、节假日等关键节点防范). ``x per week`` patrols fall on evenly spread weekdays
    (``floor(i * 7 / x)``: 3/week = Mon, Wed, Fri). A water patrolled ``n`` times on a day is
    in rounds ``1..n``.

Routes
    For each (village, day, round) the due waters are ordered into one closed tour from the
    seat (nearest neighbour, then 2-opt). If that tour has more than ``patrol_max_stops``
    stops or is longer than ``patrol_max_km``, it is cut into consecutive pieces of the tour
    (*route first, cluster second*, Beasley 1983): the cut points are chosen by dynamic
    programming so that every piece, run from the seat and back, respects both caps, with
    the fewest routes and then the shortest total; each piece is then improved by 2-opt.
    A single water whose round trip alone is longer than ``patrol_max_km`` gets a route of its
    own (over the cap: it cannot be shorter). Distances are measured over the road network
    when one is given (stops snapped to their nearest nodes, the snapping distances added;
    pairs the network cannot join fall back to straight-line) or straight-line otherwise.
    The seat may use any of its 5 nearest nodes within 300 m, the one from which the
    village's waters are nearest in total (the single nearest node can lie on a road with no
    junction nearby). ``method`` is ``network`` when every leg of a route was measured on
    the network, else ``straight_line``.

Work
    Each village's pairwise stop distances are computed once, over all its patrolled waters
    (Dijkstra from the village's stops only, bounded by a search radius that grows until
    every reachable stop is found, so the result is exact); each day uses the submatrix of
    its due waters, and days with the same set of due waters reuse the same routes.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from planner._errors import ModelError
from planner.core.network import RoadGraph
from planner.glossary import TIERS
from planner.propose._patrol_net import PatrolNetwork, point_distances, stop_distances
from planner.settings import WaterConfig

__all__ = ["PLAN_COLUMNS", "patrol_calendar", "patrol_plan", "patrols_per_day", "split_tour",
           "stop_distances", "tour"]

_WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")

#: columns of ``patrol_plan.csv``
PLAN_COLUMNS = ("date", "weekday", "season", "town_code", "town_name", "village_code",
                "village_name", "round", "route_no", "stops", "water_ids", "length_m", "method")


def _in_range(dates: pd.DatetimeIndex, span: tuple[str, str]) -> np.ndarray:
    md = dates.strftime("%m-%d").to_numpy()
    lo, hi = span
    return (md >= lo) & (md <= hi) if lo <= hi else (md >= lo) | (md <= hi)


def coming_season_year(today: dt.date, *, season: tuple[str, str]) -> int:
    """The year of the next patrol season not yet over on ``today`` (``season`` is a
    ``("MM-DD", "MM-DD")`` range): this year's until its last day, then next year's."""
    lo, hi = season
    end = dt.date(today.year + (hi < lo), int(hi[:2]), int(hi[3:]))
    if hi < lo and today < dt.date(today.year, int(hi[:2]), int(hi[3:])):
        return today.year - 1  # inside a season that began last year
    return today.year if today <= end else today.year + 1


def patrol_calendar(year: int, *, config: WaterConfig) -> pd.DataFrame:
    """One row per day of the patrol season of ``year``.

    Returns
    -------
    DataFrame
        ``date, weekday (0 = Monday), flood, summer, weekend, holiday, makeup_workday,
        peak``. ``holiday`` is a statutory day off and ``makeup_workday`` a weekend day
        worked instead (调休, not a weekend for patrols), both from the ``chinesecalendar``
        package when ``config.calendar`` says so and it covers the year, else ``holiday``
        comes from ``config.holidays`` -- plus, for a year the library does not cover yet
        (the State Council publishes each year's notice late in the year before), 端午 and
        中秋 from the lunar calendar (``lunardate``), with 调休 unknown.
        ``attrs["calendar"]`` says which: ``chinese_calendar``, ``lunar`` or ``fixed``.
    """
    lo, hi = config.season
    start = dt.date(year, int(lo[:2]), int(lo[3:]))
    end = dt.date(year + (hi < lo), int(hi[:2]), int(hi[3:]))
    dates = pd.date_range(start, end, freq="D")
    official = _statutory(dates) if config.calendar == "chinese_calendar" else None
    makeup = np.zeros(len(dates), dtype=bool)
    if official is not None:
        holiday, makeup = official
        source = "chinese_calendar"
    else:  # the fixed list, and for a year the library has no notice for yet 端午 and 中秋
        holiday = _fixed_holidays(dates, config.holidays)
        source = "fixed"
        if config.calendar == "chinese_calendar":
            holiday |= _lunar_festivals(dates)
            source = "lunar"
    flood, summer = _in_range(dates, config.flood_season), _in_range(dates, config.summer_holiday)
    cal = pd.DataFrame({
        "date": dates.date, "weekday": dates.day_of_week.to_numpy(), "flood": flood,
        "summer": summer, "weekend": (dates.day_of_week.to_numpy() >= 5) & ~makeup,
        "holiday": holiday, "makeup_workday": makeup, "peak": flood | summer,
    })
    cal.attrs["calendar"] = source
    return cal


def _fixed_holidays(dates: pd.DatetimeIndex, listed: tuple[str, ...]) -> np.ndarray:
    """Whether each date is on the ``holidays`` list (``MM-DD`` or ``YYYY-MM-DD``)."""
    listed = set(listed)
    iso = dates.strftime("%Y-%m-%d").to_numpy()
    md = dates.strftime("%m-%d").to_numpy()
    return np.isin(iso, list(listed)) | np.isin(md, list(listed))


#: lunar (month, day) of the festivals in a patrol season: 端午 and 中秋 (one statutory day
#: off each; the days joined to them by 调休 are only known from the year's notice)
LUNAR_FESTIVALS = {"端午节": (5, 5), "中秋节": (8, 15)}


def lunar_festival_dates(year: int) -> dict[str, dt.date]:
    """The Gregorian dates of 端午 and 中秋 in ``year`` (the maintained ``lunardate``
    package)."""
    from lunardate import LunarDate

    return {name: LunarDate(year, m, d).to_solar_date()
            for name, (m, d) in LUNAR_FESTIVALS.items()}


def _lunar_festivals(dates: pd.DatetimeIndex) -> np.ndarray:
    """Whether each date is 端午 or 中秋 of its year."""
    days = {d for y in set(dates.year) for d in lunar_festival_dates(int(y)).values()}
    return np.isin(dates.date, list(days))


def _statutory(dates: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray] | None:
    """(statutory day off, 调休 working weekend day) per date from the maintained
    ``chinesecalendar`` package (State Council notices); None for a year it lacks."""
    import chinese_calendar

    try:
        detail = [chinese_calendar.get_holiday_detail(d) for d in dates.date]
        work = np.array([chinese_calendar.is_workday(d) for d in dates.date], dtype=bool)
    except NotImplementedError:
        return None
    holiday = np.array([name is not None and off for off, name in detail], dtype=bool)
    return holiday, work & (dates.day_of_week.to_numpy() >= 5)


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


def _two_opt(d: np.ndarray, t: np.ndarray, passes: int) -> np.ndarray:
    """Best-improvement 2-opt on the closed sequence ``t`` (first == last) under symmetric ``d``.

    Each step reverses the segment ``t[i..j]`` that shortens the tour most; it stops when no
    reversal helps or after ``passes * n`` reversals.
    """
    n = len(t) - 1
    t = t.copy()
    if n < 4:
        return t
    i = np.arange(1, n - 1)
    j = np.arange(2, n)
    valid = j[None, :] > i[:, None]
    for _ in range(passes * n):
        a, b = t[i - 1], t[i]
        c, e = t[j], t[j + 1]
        delta = (d[a[:, None], c[None, :]] + d[b[:, None], e[None, :]]
                 - d[a, b][:, None] - d[c, e][None, :])
        delta[~valid] = 0.0
        k = int(np.argmin(delta))
        if delta.flat[k] >= -1e-9:
            break
        ii, jj = i[k // len(j)], j[k % len(j)]
        t[ii:jj + 1] = t[ii:jj + 1][::-1].copy()
    return t


def _closed_length(dist: np.ndarray, order: np.ndarray) -> float:
    return float(dist[order[:-1], order[1:]].sum() + dist[order[-1], order[0]])


def tour(dist: np.ndarray, *, passes: int = 20) -> tuple[np.ndarray, float]:
    """Closed tour from node 0 over all nodes: nearest neighbour, then 2-opt.

    Parameters
    ----------
    dist : ndarray (n, n)
        Distances (may be asymmetric; optimised on the symmetric mean, measured on ``dist``).
    passes : int
        2-opt stops after ``passes * n`` reversals (it usually stops earlier, when no
        reversal shortens the tour).

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
    order = _two_opt(d, np.append(order, 0), passes)[:-1]
    return order, _closed_length(dist, order)


def split_tour(dist: np.ndarray, order: np.ndarray, *, max_stops: int,
               max_m: float) -> list[np.ndarray]:
    """Cut a closed tour from node 0 into consecutive pieces that respect the caps.

    Each piece is run 0 -> its stops in tour order -> 0. The cut points minimise the number
    of pieces, then their total length (dynamic programming over the tour, Beasley 1983),
    subject to at most ``max_stops`` stops and at most ``max_m`` metres per piece; a single
    stop whose round trip exceeds ``max_m`` is a piece of its own.

    Parameters
    ----------
    dist : ndarray (n, n)
        Distances, node 0 the seat.
    order : ndarray
        Tour as returned by :func:`tour` (starting with 0).
    max_stops : int
        Stops per piece (>= 1).
    max_m : float
        Length per piece in metres.

    Returns
    -------
    list of ndarray
        The stops (indices into ``dist``, without 0) of each piece, in tour order.
    """
    if max_stops < 1:
        raise ModelError(f"patrol split: max_stops = {max_stops}; give at least 1")
    seq = np.asarray(order)[1:]
    n = len(seq)
    if n == 0:
        return []
    if n <= max_stops and _closed_length(dist, np.asarray(order)) <= max_m + 1e-6:
        return [seq.copy()]
    out_leg = dist[0, seq].tolist()
    in_leg = dist[seq, 0].tolist()
    path = [0.0, *np.cumsum(dist[seq[:-1], seq[1:]]).tolist()]
    inf = float("inf")
    best: list[tuple[float, float]] = [(0.0, 0.0)] + [(inf, inf)] * n  # first k stops
    cut = [0] * (n + 1)
    for j in range(n):
        for i in range(j, max(-1, j - max_stops), -1):
            c = out_leg[i] + path[j] - path[i] + in_leg[j]
            if c > max_m + 1e-6 and i != j:
                continue
            cand = (best[i][0] + 1, best[i][1] + c)
            if cand < best[j + 1]:
                best[j + 1], cut[j + 1] = cand, i
    pieces = []
    k = n
    while k > 0:
        pieces.append(seq[cut[k]:k])
        k = cut[k]
    return pieces[::-1]


def _routes(dist: np.ndarray, road: np.ndarray, *, config: WaterConfig, network: bool,
            ) -> list[tuple[np.ndarray, float, str]]:
    """Routes from node 0 over every other node of ``dist``: (stops, length, method)."""
    order, _ = tour(dist, passes=config.two_opt_passes)
    pieces = split_tour(dist, order, max_stops=config.patrol_max_stops,
                        max_m=1000.0 * config.patrol_max_km)
    d = 0.5 * (dist + dist.T)
    out = []
    for piece in pieces:
        closed = np.concatenate(([0], piece))
        length = _closed_length(dist, closed)
        if len(pieces) > 1 and len(piece) > 2:  # re-optimise a piece cut from the tour
            again = closed[_two_opt(d[np.ix_(closed, closed)], np.append(np.arange(len(closed)), 0),
                                    config.two_opt_passes)[:-1]]
            if _closed_length(dist, again) < length - 1e-9:
                closed, length = again, _closed_length(dist, again)
        on_road = bool(road[closed[:-1], closed[1:]].all() and road[closed[-1], 0])
        out.append((closed[1:], length,
                    "network" if network and on_road else "straight_line"))
    return out


def patrol_plan(waters: pd.DataFrame, seats: pd.DataFrame, *, year: int,
                config: WaterConfig,
                graph: RoadGraph | None = None,
                reuse: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-town ranked patrol waters and the day-by-day village routes of a season.

    Parameters
    ----------
    waters : DataFrame
        ``water_id, town_code, village_code, tier, score, x, y`` (metric access point) per
        water body; only tiers in ``config.patrol_tiers`` are patrolled.
    seats : DataFrame
        ``village_code, village_name, town_code, town_name, x, y`` (metric): where each
        village's patrols start and end.
    year : int
        Season year.
    config : WaterConfig
        Frequencies, calendar, ``patrol_max_stops``, ``patrol_max_km``, ``two_opt_passes``.
    graph : RoadGraph or None
        Road network in the same metric CRS.
    reuse : bool
        Reuse each village's distance matrix and the routes of identical due sets; False
        recomputes both for every (village, day, round) (same results, for checking).

    Returns
    -------
    (ranking, plan) : DataFrame, DataFrame
        ``ranking``: patrolled waters per town with ``rank_in_town``, village, tier and
        season patrol count; ``plan``: the columns :data:`PLAN_COLUMNS`, one row per route
        (``water_ids`` in visiting order, ``;``-joined; ``length_m`` seat to seat).
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
    seat = seats.drop_duplicates("village_code").set_index("village_code")
    lost = ~w["village_code"].isin(seat.index)
    if lost.any():
        raise ModelError(f"patrol plan: water {w['water_id'].iat[int(np.argmax(lost))]} is "
                         f"in village {w['village_code'].iat[int(np.argmax(lost))]!r}, which "
                         "has no seat; give every village a row in seats")
    vname = seat.loc[w["village_code"], "village_name"].astype(str).to_numpy()
    if "village_name" in w.columns:
        w["village_name"] = vname
    else:
        w.insert(w.columns.get_loc("village_code") + 1, "village_name", vname)
    ranking = w.drop(columns=["_tier_rank"]).reset_index(drop=True)

    season = np.where(cal["summer"], "暑假", np.where(cal["flood"], "汛期", "平时"))
    weekday = np.array(_WEEKDAYS, dtype=object)[cal["weekday"].to_numpy()]
    net = PatrolNetwork(graph) if graph is not None else None
    ids_all = w["water_id"].astype(str).to_numpy()
    xy_all = w[["x", "y"]].to_numpy(dtype=float)
    vcodes = w["village_code"].to_numpy()
    units = seat.loc[pd.unique(vcodes)].reset_index()
    units = units.sort_values(["town_code", "village_code"], kind="stable")
    routes: list[tuple[int, int, int, int, str, float, str]] = []  # unit, round, no, ...
    day_of: list[np.ndarray] = []     # per (unit, day, route): the day ...
    route_of: list[np.ndarray] = []   # ... and the row of ``routes``
    for u, (code, sx, sy) in enumerate(units[["village_code", "x", "y"]].itertuples(
            index=False)):
        cols = np.flatnonzero(vcodes == code)
        stops = np.r_[[[float(sx), float(sy)]], xy_all[cols]]
        dist_all, road_all, seat_node = point_distances(stops, net, choose_seat=True)
        ids = ids_all[cols]
        cache: dict[frozenset[int], list[tuple[int, int, str, float, str]]] = {}
        patterns, which = np.unique(per_day[:, cols], axis=0, return_inverse=True)
        first = np.zeros(len(patterns), dtype=np.int64)
        count = np.zeros(len(patterns), dtype=np.int64)
        for k, pat in enumerate(patterns):
            first[k] = len(routes)
            for rnd in range(1, int(pat.max(initial=0)) + 1):
                sel = np.flatnonzero(pat >= rnd)
                key = frozenset(sel.tolist())
                if key not in cache or not reuse:
                    sub = np.concatenate(([0], sel + 1))
                    dist, road = ((dist_all[np.ix_(sub, sub)], road_all[np.ix_(sub, sub)])
                                  if reuse else point_distances(stops[sub], net,
                                                                seat_node=seat_node)[:2])
                    found = _routes(dist, road, config=config, network=net is not None)
                    cache[key] = [(no, len(p), ";".join(ids[sel[p - 1]]), round(length, 1), m)
                                  for no, (p, length, m) in enumerate(found, start=1)]
                routes.extend((u, rnd, *r) for r in cache[key])
            count[k] = len(routes) - first[k]
        n = count[np.ravel(which)]
        start = np.repeat(first[np.ravel(which)], n)
        day_of.append(np.repeat(np.arange(len(cal)), n))
        route_of.append(start + np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n))
    cols_r = list(zip(*routes, strict=True)) if routes else [[]] * 7
    day = np.concatenate(day_of) if day_of else np.zeros(0, dtype=np.int64)
    ri = np.concatenate(route_of) if route_of else np.zeros(0, dtype=np.int64)
    unit = np.asarray(cols_r[0], dtype=np.int64)[ri]
    plan = pd.DataFrame({
        "date": cal["date"].to_numpy()[day], "weekday": weekday[day], "season": season[day],
        **{c: units[c].astype(str).to_numpy()[unit]
           for c in ("town_code", "town_name", "village_code", "village_name")},
        "round": np.asarray(cols_r[1], dtype=np.int64)[ri],
        "route_no": np.asarray(cols_r[2], dtype=np.int64)[ri],
        "stops": np.asarray(cols_r[3], dtype=np.int64)[ri],
        "water_ids": np.asarray(cols_r[4], dtype=object)[ri],
        "length_m": np.asarray(cols_r[5], dtype=float)[ri],
        "method": np.asarray(cols_r[6], dtype=object)[ri],
    }, columns=list(PLAN_COLUMNS))
    return ranking, plan
