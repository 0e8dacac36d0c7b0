"""Water safety end to end: risk ranking, "四个一" gaps, budgeted kit placement, requisition,
village actions, patrols - the thin adapter of the stage.

:func:`run_water` runs the steps in order, each short and in its own module: measure the
layers once (:func:`planner.propose.water_geo.water_geo`: banks inside the county, homes,
schools, incidents, existing kits on banks), score them and mark the risky bank
(:func:`planner.propose.water_plan.assess`), place the exact minimum of kits and choose
within the budget (:func:`planner.propose.water_plan.plan_kits`), measure how the plan moves
with the tier cut-offs (:func:`planner.propose.water_plan.sensitivity`), build the tables
(:mod:`planner.propose.water_tables`) and the village actions
(:mod:`planner.propose.actions`), while the patrol plan is made beside them
(:mod:`planner.propose.patrol_units`). :func:`water_safety` is the same with the layers as
keyword arguments; :func:`water_stage` runs it on a validated workspace.

Distances are measured in the metric CRS the caller gives. Bank-segment distances are taken
from the segment midpoint (an error of at most ``segment_m / 2``); water-body distances are
exact.
"""

from __future__ import annotations

import datetime as dt
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner._beside import Beside
from planner.core.network import RoadGraph
from planner.core.water_model import first_of_each
from planner.measure.homes import water_homes
from planner.measure.risk import risk_explanation
from planner.propose._geo import assign_towns
from planner.propose.actions import water_actions
from planner.propose.patrol import coming_season_year
from planner.propose.patrol_units import patrol_summary, plan_patrols_for
from planner.propose.water_geo import WaterGeo, WaterLayers, water_geo
from planner.propose.water_plan import Risk, assess, plan_kits, sensitivity
from planner.propose.water_tables import (
    codes,
    gaps_table,
    proposed_table,
    requisition_table,
    segment_table,
    summary,
    water_risk_table,
)
from planner.records.workspace import Workspace
from planner.settings import Settings, WaterConfig


@dataclass
class WaterResult:
    """Tables of the water-safety stage (file names as in docs/outputs.md)."""

    water_risk: pd.DataFrame          #: water_risk.csv
    segments: pd.DataFrame            #: per bank segment scores (e.g. water_segments.csv)
    gaps_by_town: pd.DataFrame        #: risky / uncovered bank length per town
    proposed_kits: gpd.GeoDataFrame   #: proposed_kits.geojson (WGS-84)
    requisition: pd.DataFrame         #: requisition.csv and a progress.xlsx sheet
    patrol_waters: pd.DataFrame       #: per-town patrol ranking
    patrol_plan: pd.DataFrame         #: patrol_plan.csv
    summary: dict[str, Any] = field(default_factory=dict)   #: run.json "water"
    timings: dict[str, float] = field(default_factory=dict)
    actions: gpd.GeoDataFrame | None = None   #: water_actions.xlsx (planner.propose.actions)
    route_table: pd.DataFrame | None = None       #: patrol_routes.csv (each route once)
    patrol_calendar: pd.DataFrame | None = None   #: patrol_plan.csv (date -> route_id)
    risk_notes: list[tuple[str, str, str]] = field(default_factory=list)  #: 评分说明
    water_geometry: gpd.GeoDataFrame | None = None  #: water_id + the part in the county
    kits: gpd.GeoDataFrame | None = None  #: existing kits, normalised (WGS-84)


class _Clock:
    """Seconds per step (``WaterResult.timings``)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str):
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t0


def run_water(layers: WaterLayers, *, config: WaterConfig, graph: RoadGraph | None = None,
              year: int | None = None, today: dt.date | None = None,
              plan_patrols: bool = True) -> WaterResult:
    """Risk ranking, gaps, exact kit placement, requisition and patrol plan (module doc);
    ``year`` and ``today`` as in :func:`water_safety`."""
    today = today or dt.date.today()
    year = year or coming_season_year(today, season=config.season)
    clock = _Clock()
    with clock("banks"):
        geo = water_geo(layers, config=config, graph=graph)
    with clock("risk"):
        risk = assess(geo, config=config, villages=layers.villages)
    patrol_input = _patrol_waters(geo, risk, towns=layers.towns) if plan_patrols else None
    patrols = Beside(lambda: plan_patrols_for(patrol_input, villages=layers.villages,
                                              towns=layers.towns, crs=geo.water.crs,
                                              year=year, config=config, graph=graph))
    with clock("placement"):
        plan = plan_kits(geo, risk, config=config)
    with clock("sensitivity"):
        moves = sensitivity(geo, config=config, villages=layers.villages)
    with clock("report"):
        tables = _tables(geo, risk, plan, layers=layers, config=config, today=today)
    ranking, patrol_plan, routes, calendar, cap = patrols.wait()
    clock.seconds["patrol"] = patrols.seconds
    tables["summary"] |= {"sensitivity": moves,
                          "patrol": patrol_summary(patrol_plan, year=year,
                                                   network=graph is not None) | cap}
    return WaterResult(**tables, patrol_waters=ranking, patrol_plan=patrol_plan,
                       timings=clock.seconds, route_table=routes, patrol_calendar=calendar,
                       risk_notes=risk_explanation(config),
                       water_geometry=gpd.GeoDataFrame(
                           {"water_id": geo.water["water_id"].to_numpy()},
                           geometry=gpd.GeoSeries(geo.geom, crs=geo.water.crs)
                           .to_crs("EPSG:4326")),
                       kits=geo.kits.to_crs("EPSG:4326"))


def _tables(geo: WaterGeo, risk: Risk, plan: Any, *, layers: WaterLayers,
            config: WaterConfig, today: dt.date) -> dict[str, Any]:
    """The stage's tables and its summary (without patrols)."""
    towns, crs = layers.towns, geo.water.crs
    proposed = proposed_table(geo, risk, plan, towns=towns, config=config,
                              assign=lambda pts: assign_towns(towns, pts, crs))
    req = requisition_table(proposed, geo, plan, towns=towns, config=config)
    ins = pd.to_datetime(geo.kits["last_inspected"])
    overdue = (ins.isna() | ((pd.Timestamp(today) - ins).dt.days
                             > config.inspection_days)).to_numpy(bool)
    attached = geo.attached
    actions = water_actions(
        proposed=proposed, kits=geo.kits, overdue=overdue,
        kit_water=np.where(attached, geo.bank.water[np.maximum(geo.kit_bank, 0)], -1)
        if len(geo.bank.water) else np.full(len(geo.kits), -1),
        fixable=attached & ~geo.kit_effective, fix_cost=plan.fix_cost, funded_fix=plan.fixed,
        short_rope=geo.kit_short,
        water=geo.water[["water_id", "type_label"]].assign(name=geo.locator),
        tier=risk.water["tier"], villages=layers.villages, crs=crs,
        inspection_yuan=config.prices["inspection"], roads=layers.roads)
    return {"water_risk": water_risk_table(geo, risk, plan, towns=towns, config=config),
            "segments": segment_table(geo, risk, plan, towns=towns),
            "gaps_by_town": gaps_table(geo, risk, plan, towns=towns),
            "proposed_kits": proposed, "requisition": req, "actions": actions,
            "summary": summary(geo, risk, plan, req=req, overdue=overdue, config=config)
            | {"inspections": {"as_of": today.isoformat(),
                               "interval_days": config.inspection_days,
                               "overdue": int(overdue.sum())}}}


def _patrol_waters(geo: WaterGeo, risk: Risk, *, towns: gpd.GeoDataFrame) -> pd.DataFrame:
    """Each water's tier, score and patrol access point (its bank nearest a home)."""
    nw = len(geo.water)
    best = first_of_each(geo.seg_water, geo.seg_home)
    ax, ay = np.full(nw, np.nan), np.full(nw, np.nan)
    ax[geo.seg_water[best]], ay[geo.seg_water[best]] = geo.seg.x[best], geo.seg.y[best]
    frame = pd.DataFrame({
        "water_id": geo.water["water_id"].to_numpy(), "name": geo.locator,
        "type_label": geo.water["type_label"].to_numpy(),
        "town_code": codes(towns, "town_code", geo.water_town),
        "town_name": codes(towns, "town_name", geo.water_town),
        "tier": risk.water["tier"], "score": risk.water["score"].round(3), "x": ax, "y": ay})
    return frame[np.isfinite(ax)]


def water_safety(water: gpd.GeoDataFrame, *, kits: gpd.GeoDataFrame | None,
                 settlements: gpd.GeoDataFrame, schools: gpd.GeoDataFrame | None,
                 towns: gpd.GeoDataFrame, crs: Any, config: WaterConfig,
                 graph: RoadGraph | None = None,
                 villages: gpd.GeoDataFrame | None = None,
                 year: int | None = None, today: dt.date | None = None,
                 plan_patrols: bool = True,
                 incidents: gpd.GeoDataFrame | None = None,
                 roads: gpd.GeoDataFrame | None = None,
                 clip: shapely.Geometry | None = None) -> WaterResult:
    """Risk ranking, gaps, exact kit placement, requisition and patrol plan.

    Parameters
    ----------
    water : GeoDataFrame
        Water layer (see :func:`planner.validate.water_layer.normalise_water`), any CRS.
    kits : GeoDataFrame or None
        Existing kits (see :func:`planner.validate.water_layer.normalise_kits`).
    settlements : GeoDataFrame
        Homes as points with ``children`` and optional ``under5``, ``left_behind`` counts.
    schools : GeoDataFrame or None
        Schools (points).
    towns : GeoDataFrame
        ``town_code, town_name`` polygons.
    crs : pyproj.CRS
        Metric CRS for every distance (CRSError if geographic).
    config : WaterConfig
        The ``[water]`` settings.
    graph : RoadGraph or None
        Road network in ``crs`` for patrol routes; straight-line without.
    villages : GeoDataFrame or None
        ``village_code`` (and ``village_name``, ``town_code``, ``town_name``) polygons, the
        patrol units: each water body goes to the village containing (or nearest to) its
        patrol access point (the bank point nearest a home) and is patrolled from the
        village seat (the polygon's representative point). Without villages each town is
        one unit, from its own representative point, and the plan's village columns repeat
        the town's.
    year, today : optional
        Patrol season year (default: ``today``'s) and the date kit inspections are judged
        against (default: the current date).
    plan_patrols : bool
        Skip the patrol plan when False (benchmarks).
    incidents : GeoDataFrame or None
        Past drowning incidents (points): each raises the hazard of the nearest water
        within ``incident_m`` and of the bank segments within ``incident_m`` (counts only).
    roads : GeoDataFrame or None
        Road segments (``highway``, ``name``), WGS-84: each action's landmark.
    clip : shapely geometry or None
        The county (metric ``crs``): banks, areas, distances and the high-consequence flag
        are measured on the part of each water inside it (see
        :func:`planner.validate.water_layer.banks`).
    """
    layers = WaterLayers(water=water, kits=kits, homes=settlements, schools=schools,
                         towns=towns, villages=villages, incidents=incidents, roads=roads,
                         crs=crs, clip=clip)
    return run_water(layers, config=config, graph=graph, year=year, today=today,
                     plan_patrols=plan_patrols)


def stage_layers(ws: Workspace, settings: Settings) -> tuple[WaterLayers, Any]:
    """The water stage's layers of a validated workspace (and the homes it derived).

    Waters are measured on their part inside the county, with the tolerance that decided
    which records lie in it (``[validate] locate_tolerance_m``)."""
    county = gpd.GeoSeries([ws.county], crs="EPSG:4326").to_crs(ws.crs).iloc[0]
    clip = shapely.buffer(county, settings.locate_tolerance_m)
    homes = water_homes(settlements=ws.extra.get("settlements"), villages=ws.villages,
                        water=ws.extra["water"], crs=ws.crs, grid_m=settings.water.home_grid_m)
    placed = ws.villages[ws.villages.geometry.notna()]  # a bare list has no village areas
    layers = WaterLayers(water=ws.extra["water"], kits=ws.extra.get("kits"),
                         homes=homes.points, schools=ws.extra.get("schools"), towns=ws.towns,
                         villages=placed if len(placed) else None,
                         incidents=ws.extra.get("incidents"),
                         roads=ws.extra.get("roads"), crs=ws.crs, clip=clip)
    return layers, homes


def water_stage(ws: Workspace, settings: Settings, graph: RoadGraph | None) -> WaterResult:
    """The water-safety stage on a validated workspace (its ``water`` layer must exist)."""
    layers, homes = stage_layers(ws, settings)
    result = run_water(layers, config=settings.water, graph=graph, year=settings.water_year,
                       today=settings.water_as_of)
    result.summary["homes"] = homes.info
    return result
