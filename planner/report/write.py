"""Write a run's outputs: the tables (CSV, GeoJSON, GeoPackage, ``progress.xlsx``) and the
maps and report (``map.html``, PNG maps, ``report.html``). Every file name and what it
holds: docs/outputs.md."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import geopandas as gpd
import pandas as pd

from planner.propose.patrol import patrol_calendar
from planner.report._gpkg import write_gpkg
from planner.report._maplayers import MapLayers, layers_from_result
from planner.report.annex import heading, write_annex
from planner.report.patrol_sheets import write_patrol_sheets
from planner.report.safe import write_geojson
from planner.report.tables import incomplete_notice, outside_quota, staff_display, write_csv
from planner.report.water_actions import write_actions_xlsx
from planner.results import RunResult
from planner.settings import MapConfig


def write_tables(result: RunResult, out: Path, *, layers: MapLayers | None = None,
                 early: EarlyMaps | None = None) -> None:
    """CSV, GeoJSON, ``planner.gpkg`` and ``progress.xlsx`` of a run into ``out``;
    ``layers``: the run's map layers (without roads) if already made; ``early``: what
    :func:`draw_early_maps` drew (its road lines go into ``planner.gpkg``; drawn here
    if not given)."""
    ws = result.workspace
    write_csv(result.progress, out / "progress.csv")
    write_csv(result.villages, out / "villages.csv")
    if result.access is not None:
        write_csv(result.access.coverage, out / "coverage.csv")
    write_csv(ws.ledger.rejected_frame(), out / "rejected.csv")
    write_csv(ws.ledger.repairs_frame(), out / "repairs.csv")
    fac = ws.facilities.drop(columns=["geometry"]).assign(
        lon=ws.facilities.geometry.x.round(6), lat=ws.facilities.geometry.y.round(6))
    write_csv(fac.rename(columns={"_file": "file", "_row": "row", "_datum": "datum"}),
              out / "facilities.csv")
    if result.proposals is not None:
        path = out / "proposed_sites.geojson"
        write_geojson(_in_output_crs(result.proposals, ws.settings.map.output_crs), path)
    if result.water is not None:
        w = result.water
        write_csv(w.water_risk, out / "water_risk.csv")
        write_csv(w.requisition, out / "requisition.csv")
        if w.route_table is not None:  # each route once, and the calendar referring to it
            write_csv(w.route_table, out / "patrol_routes.csv")
            write_csv(w.patrol_calendar, out / "patrol_plan.csv")
            _patrol_sheets(w, out / "patrol_sheets.xlsx", settings=ws.settings)
        else:
            write_csv(w.patrol_plan, out / "patrol_plan.csv")
        path = out / "proposed_kits.geojson"
        write_geojson(_in_output_crs(w.proposed_kits, ws.settings.map.output_crs), path)
        if w.actions is not None:
            write_actions_xlsx(w.actions, out / "water_actions.xlsx", title=heading(result),
                               water=w.summary, notes=w.risk_notes)
    _write_gpkg(result, out, layers=layers, early=early)
    if result.quota is not None and result.quota.vintages is not None:
        write_csv(result.quota.vintages, out / "town_matching.csv")
    write_annex(result, out / "progress.xlsx")


class EarlyMaps(NamedTuple):
    """What :func:`draw_early_maps` made: the PNG maps and the road lines of ``map.html``."""

    pngs: list[Path]
    roads: gpd.GeoDataFrame | None


def draw_early_maps(result: RunResult, out: Path) -> EarlyMaps:
    """The maps that need no water stage: ``map_quota.png``, ``map_coverage.png`` and the
    road lines of ``map.html`` (so they can be drawn while the water stage runs)."""
    from planner.report._road_lines import road_lines
    from planner.report.staticmaps import write_static_maps
    layers = map_layers(result)
    pngs = write_static_maps(layers, out, title=heading(result),
                             maps=("quota", "coverage"))
    return EarlyMaps(pngs=pngs, roads=road_lines(result.graph, crs=result.workspace.crs))


def map_layers(result: RunResult) -> MapLayers:
    """The layers of a run's maps and of ``planner.gpkg``, without the road lines (those
    come with :func:`draw_early_maps`)."""
    return layers_from_result(result, roads=False)


def write_maps(result: RunResult, out: Path, *, config: MapConfig,
               early: EarlyMaps | None = None, layers: MapLayers | None = None) -> None:
    """map.html (offline folium), the PNG maps and report.html; ``early``: what
    :func:`draw_early_maps` drew already (drawn here if not given); ``layers``: the
    run's :func:`map_layers` if already made."""
    kinds = result.kinds
    from planner.report.findings import action_groups
    from planner.report.htmlreport import write_report
    from planner.report.staticmaps import write_static_maps
    from planner.report.webmap import write_map

    early = early if early is not None else draw_early_maps(result, out)
    name = heading(result)
    layers = replace(layers if layers is not None else map_layers(result), roads=early.roads)
    write_map(layers, out / "map.html", config=config, title=f"{name}儿童关爱阵地与防溺水地图")
    pngs = [*early.pngs, *write_static_maps(layers, out, title=name, maps=("water",))]
    curve = (result.water.summary.get("budget_curve") if result.water is not None else None)
    if curve:
        from planner.report.budgetchart import FILE, budget_chart

        pngs.append(budget_chart(result.water.summary, out / FILE, title=name))
    table = report_table(result) if kinds else result.progress
    water = result.water
    write_report(out / "report.html", title=f"{name}儿童关爱服务阵地建设与防溺水工作进展",
                 progress_table=table, run=result.run, images=pngs,
                 proposals=result.proposals,
                 water_top=None if water is None else water.water_risk,
                 requisition=None if water is None else water.requisition,
                 progress=result.progress, villages=result.villages,
                 water_actions=None if water is None else water.actions,
                 actions=action_groups(result),
                 staff_table=staff_display(result.progress)[0] if result.run.get("staff")
                 else None,
                 notice=incomplete_notice(result.workspace.ledger.incomplete()),
                 derived=[d["label"] for d in result.workspace.derived.values()
                          if d.get("label")])


def report_table(result: RunResult) -> pd.DataFrame:
    """The annex table as the report shows it on A4 portrait: the boundary town names, the
    超额 columns only where a town has any, a short label for the units without a quota."""
    from planner.report.tables import progress_display

    outside = outside_quota(result.run, result.progress)
    if outside is not None:
        outside = {**outside, "label": f"其他镇级单位（{len(result.run['towns_without_quota'])}"
                                       " 个，无任务）"}
    table = progress_display(result.progress.assign(quota_town=result.progress["town_name"]),
                             kinds=result.kinds, outside=outside)[0]
    empty = [c for c in table.columns if str(c).endswith("|超额")
             and not pd.to_numeric(table[c], errors="coerce").fillna(0).any()]
    return table.drop(columns=empty)


def _write_gpkg(result: RunResult, out: Path, *, layers: MapLayers | None,
                early: EarlyMaps | None) -> None:
    """``planner.gpkg`` with the run's map layers and road lines."""
    from planner.report._road_lines import road_lines

    roads = (early.roads if early is not None
             else road_lines(result.graph, crs=result.workspace.crs))
    layers = replace(layers if layers is not None else map_layers(result), roads=roads)
    write_gpkg(result, out / "planner.gpkg", layers=layers,
               crs=result.workspace.settings.map.output_crs)


def _in_output_crs(frame: gpd.GeoDataFrame, crs: str) -> gpd.GeoDataFrame:
    """``frame`` in ``[map] output_crs`` (WGS-84 by default, EPSG:4490 CGCS2000 on
    request)."""
    if frame.crs is not None and not frame.crs.equals(crs):
        return frame.to_crs(crs)
    return frame


def _patrol_sheets(water, path: Path, *, settings) -> None:
    """``patrol_sheets.xlsx``: the whole season, one page per village."""
    patrol = water.summary.get("patrol") or {}
    year = int(patrol["year"])
    write_patrol_sheets(water.route_table, water.patrol_calendar, path, title=settings.name,
                        days=patrol_calendar(year, config=settings.water), year=year,
                        calendar=patrol.get("calendar", "fixed"),
                        dropped=patrol.get("dropped_by_village"))
