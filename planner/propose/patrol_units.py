"""Patrol units: the village that patrols each water, the villages' seats, and the
run.json summary of the plan (see :func:`planner.propose.water_safety.water_safety`)."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner._errors import InputFileError
from planner.core.network import RoadGraph
from planner.propose._geo import assign_towns as _assign_towns
from planner.propose._geo import layer_xy as _xy
from planner.propose.patrol import patrol_calendar, patrol_plan
from planner.propose.patrol_hours import cap_weekly, split_plan
from planner.settings import WaterConfig


def patrol_units(pw: pd.DataFrame, villages: gpd.GeoDataFrame | None,
                  towns: gpd.GeoDataFrame, crs: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each water's patrol unit (``village_code``) and the units' seats (see water_safety).

    A water belongs to the village containing (or nearest to) its patrol access point
    ``x, y``: the stop the route visits, so that a canal crossing many villages is patrolled
    by the village where its access point lies.
    """
    if villages is None or len(villages) == 0:
        xy = _xy(towns, crs).reshape(-1, 2)
        code = (towns["town_code"].astype(str).to_numpy() if len(towns)
                else np.zeros(0, dtype=object))
        name = (towns["town_name"].astype(str).to_numpy() if len(towns)
                else np.zeros(0, dtype=object))
        if not len(code):  # no towns either: one unit around the waters' mean point
            code, name = np.array([""], dtype=object), np.array([""], dtype=object)
            pts = pw[["x", "y"]].to_numpy(float)
            pts = pts[np.isfinite(pts).all(axis=1)]
            xy = pts.mean(axis=0)[None, :] if len(pts) else np.zeros((1, 2))
        seats = pd.DataFrame({"village_code": code, "village_name": name, "town_code": code,
                              "town_name": name, "x": xy[:, 0], "y": xy[:, 1]})
        return pw.assign(village_code=pw["town_code"]), seats
    if "village_code" not in villages.columns:
        raise InputFileError("villages layer lacks the column 'village_code'; add the "
                             "village code per row")
    xy = _xy(villages, crs)
    code = villages["village_code"].astype(str).to_numpy()
    seats = pd.DataFrame({"village_code": code, "x": xy[:, 0], "y": xy[:, 1]})
    seats["village_name"] = (villages["village_name"].astype(str).to_numpy()
                             if "village_name" in villages.columns else code)
    if "town_code" in villages.columns:
        seats["town_code"] = villages["town_code"].astype(str).to_numpy()
        seats["town_name"] = (villages["town_name"].astype(str).to_numpy()
                              if "town_name" in villages.columns else "")
    else:  # the town containing the seat
        t = _assign_towns(towns, shapely.points(xy), crs)
        for col in ("town_code", "town_name"):
            vals = towns[col].astype(str).to_numpy() if len(towns) else np.zeros(0, object)
            seats[col] = np.where(t >= 0, vals[np.maximum(t, 0)] if len(vals) else "", "")
    v = _assign_towns(villages, shapely.points(pw["x"].to_numpy(), pw["y"].to_numpy()), crs)
    return pw.assign(village_code=code[v] if len(v) else np.zeros(0, dtype=object)), seats


def patrol_summary(plan: pd.DataFrame, *, year: int, network: bool) -> dict[str, Any]:
    """run.json "water" / "patrol": routes, total / mean / max km, villages, year."""
    km = plan["length_m"].to_numpy(dtype=float) / 1000 if len(plan) else np.zeros(0)
    return {"routes": int(len(plan)), "route_km": round(float(km.sum()), 1),
            "mean_route_km": round(float(km.mean()), 2) if len(km) else 0.0,
            "max_route_km": round(float(km.max()), 2) if len(km) else 0.0,
            "villages_with_patrols": int(plan["village_code"].nunique()) if len(plan) else 0,
            "year": int(year), "road_network": bool(network)}


def plan_patrols_for(pw: pd.DataFrame | None, *, villages: gpd.GeoDataFrame | None,
                     towns: gpd.GeoDataFrame, crs: Any, year: int, config: WaterConfig,
                     graph: RoadGraph | None) -> tuple:
    """The season's patrols of the waters ``pw`` (``None``: no patrol plan).

    Parameters
    ----------
    pw : DataFrame or None
        ``water_id, name, type_label, town_code, town_name, tier, score, x, y`` (metric
        access point) per water body.
    villages, towns, crs, year, config, graph
        As in :func:`planner.propose.water_safety.water_safety`.

    Returns
    -------
    (ranking, plan, routes, calendar, cap)
        The per-town ranking and the route plan of :func:`.patrol.patrol_plan` with the
        weekly cap applied (:func:`.patrol_hours.cap_weekly`), each distinct route once
        (``routes``) and the calendar referring to it, and the cap's summary; empty frames,
        ``None`` and ``{}`` without a plan.
    """
    if pw is None:
        return pd.DataFrame(), pd.DataFrame(), None, None, {}
    pw, seats = patrol_units(pw, villages, towns, crs)
    ranking, plan = patrol_plan(pw, seats, year=year, config=config, graph=graph)
    cal = patrol_calendar(year, config=config)
    tiers = dict(zip(pw["water_id"], pw["tier"], strict=True))
    plan, cap = cap_weekly(plan, tiers, holidays=set(cal.loc[cal["holiday"], "date"]),
                           config=config)
    name = pw["name"].fillna("").astype(str)
    label = name.where(name.str.len() > 0, pw["type_label"] + pw["water_id"])
    routes, calendar = split_plan(plan, dict(zip(pw["water_id"], label, strict=True)))
    cap |= {"distinct_routes": int(len(routes)), "calendar": cal.attrs["calendar"]}
    return ranking, plan, routes, calendar, cap
