"""Patrol workload: hours per route, the weekly cap per village, routes defined once.

Hours
    A route takes ``length / patrol_speed_kmh`` (12 km/h: an electric bicycle on village
    roads) plus ``patrol_stop_min`` (5 minutes) at each water.
Weekly cap
    A village's patrols of one ISO week (Monday-Sunday) may take at most
    ``patrol_week_hours`` (10 h: about 1.5 h a day for the village's 网格员). Where the
    plan asks for more, patrols are kept in this order until the cap is reached and the
    rest dropped (and counted): first rounds before second rounds (every patrol day keeps
    its first round), routes with 一级 waters before 二级 and 三级, weekends and holidays
    before school days, earlier dates first.
Routes defined once
    ``patrol_routes.csv`` lists each distinct route (village, ordered waters with their
    names, length, hours) under a ``route_id``; ``patrol_plan.csv`` is the calendar:
    date, round and the ``route_id`` to run.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from planner.settings import WaterConfig

_TIER_RANK = {"A": 0, "B": 1, "C": 2}

#: columns of the calendar written as ``patrol_plan.csv``
CALENDAR_COLUMNS = ("date", "weekday", "season", "town_code", "village_code", "round",
                    "route_no", "route_id")


def route_hours(length_m: np.ndarray, stops: np.ndarray, *, config: WaterConfig) -> np.ndarray:
    """Hours one patrol of each route takes (see module doc)."""
    return (np.asarray(length_m, float) / 1000.0 / config.patrol_speed_kmh
            + np.asarray(stops, float) * config.patrol_stop_min / 60.0)


def _route_tier(water_ids: pd.Series, tier: dict[str, str]) -> np.ndarray:
    """Best tier rank (0 = 一级) among each route's waters."""
    uniq, inv = np.unique(water_ids.astype(str).to_numpy(), return_inverse=True)
    parts = pd.Series(uniq).str.split(";").explode()
    rank = parts.map(lambda w: _TIER_RANK.get(tier.get(w, "C"), 2)).groupby(level=0).min()
    return rank.reindex(range(len(uniq))).fillna(2).to_numpy(int)[inv]


def cap_weekly(plan: pd.DataFrame, tier: dict[str, str], *, holidays: set[Any],
               config: WaterConfig) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Drop the lowest-priority patrols beyond ``patrol_week_hours`` per village and week.

    Parameters
    ----------
    plan : DataFrame
        The day-by-day plan (:data:`planner.propose.patrol.PLAN_COLUMNS`).
    tier : dict
        Tier code per water id.
    holidays : set of datetime.date
        Statutory holidays (weekends count as well).

    Returns
    -------
    (plan, summary) : DataFrame, dict
        The kept rows (with ``hours``) in the original order, and run.json figures.
    """
    if len(plan) == 0:
        return plan.assign(hours=np.zeros(0)), {"week_hours_cap": config.patrol_week_hours,
                                                "dropped_patrols": 0, "dropped_by_village": {},
                                                "max_week_hours": 0.0}
    p = plan.reset_index(drop=True).copy()
    p["hours"] = route_hours(p["length_m"], p["stops"], config=config).round(3)
    date = pd.to_datetime(p["date"])
    iso = date.dt.isocalendar()
    week = iso["year"].to_numpy() * 100 + iso["week"].to_numpy()
    rest_day = (date.dt.day_of_week >= 5).to_numpy() | p["date"].isin(holidays).to_numpy()
    order = np.lexsort((p["route_no"].to_numpy(), date.to_numpy(), ~rest_day,
                        _route_tier(p["water_ids"], tier), p["round"].to_numpy(),
                        week, p["village_code"].astype(str).to_numpy()))
    q = p.iloc[order]
    cum = q.groupby([q["village_code"].to_numpy(), week[order]])["hours"].cumsum()
    keep = np.zeros(len(p), dtype=bool)
    keep[order] = (cum <= config.patrol_week_hours + 1e-9).to_numpy()
    kept = p[keep]
    wk = kept.groupby([kept["village_code"].to_numpy(), week[keep]])["hours"].sum()
    summary = {
        "week_hours_cap": config.patrol_week_hours,
        "speed_kmh": config.patrol_speed_kmh, "stop_minutes": config.patrol_stop_min,
        "dropped_patrols": int((~keep).sum()),
        "dropped_by_village": {str(k): int(v) for k, v in
                               p.loc[~keep, "village_code"].value_counts().sort_index().items()},
        "max_week_hours": round(float(wk.max()), 2) if len(wk) else 0.0,
        "median_week_hours": round(float(wk.median()), 2) if len(wk) else 0.0,
    }
    return kept.reset_index(drop=True), summary


def split_plan(plan: pd.DataFrame, names: dict[str, str],
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Distinct routes (``patrol_routes.csv``) and the calendar referring to them
    (``patrol_plan.csv``, :data:`CALENDAR_COLUMNS`).

    ``names`` gives a display name per water id (its name, or type and id).
    """
    key = ["village_code", "water_ids"]
    if len(plan) == 0:
        cols = ["route_id", "town_code", "town_name", "village_code", "village_name",
                "stops", "water_ids", "water_names", "length_m", "hours", "method"]
        return pd.DataFrame(columns=cols), pd.DataFrame(columns=list(CALENDAR_COLUMNS))
    routes = plan.drop_duplicates(key).sort_values(key, kind="stable").reset_index(drop=True)
    routes.insert(0, "route_id", [f"R{i + 1:05d}" for i in range(len(routes))])
    routes["water_names"] = routes["water_ids"].astype(str).str.split(";").map(
        lambda ids: " → ".join(names.get(w, w) for w in ids))
    rid = plan.merge(routes[[*key, "route_id"]], on=key, how="left")["route_id"]
    calendar = plan.assign(route_id=rid.to_numpy())[list(CALENDAR_COLUMNS)]
    cols = ["route_id", "town_code", "town_name", "village_code", "village_name", "stops",
            "water_ids", "water_names", "length_m", "hours", "method"]
    return routes[[c for c in cols if c in routes.columns]], calendar
