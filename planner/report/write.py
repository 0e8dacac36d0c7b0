"""Write a run's outputs: the tables (CSV, GeoJSON, GeoPackage, ``progress.xlsx``) and the
maps and report (``map.html``, PNG maps, ``report.html``). Every file name and what it
holds: docs/outputs.md."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import geopandas as gpd
import pandas as pd

from planner.glossary import SHORT_LABELS, kind_label
from planner.propose.patrol import patrol_calendar
from planner.report._gpkg import add_aliases
from planner.report._labels import for_people
from planner.report._maplayers import MapLayers, layers_from_result
from planner.report._qgis import add_styles
from planner.report.patrol_sheets import write_patrol_sheets
from planner.report.safe import safe_frame
from planner.report.tables import incomplete_notice, write_csv, write_progress_xlsx
from planner.report.water_actions import write_actions_xlsx
from planner.results import RunResult
from planner.settings import MapConfig


def write_tables(result: RunResult, out: Path, *, layers: MapLayers | None = None) -> None:
    """CSV, GeoJSON, ``planner.gpkg`` and ``progress.xlsx`` of a run into ``out``;
    ``layers``: the run's map layers (without roads) if already made."""
    kinds = result.kinds
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
    today = dt.date.today()
    sheets = {"村（居）": for_people(result.villages[
        [c for c in _VILLAGE_SHEET if c in result.villages.columns]])}
    if result.run.get("staff"):
        sheets["儿童工作队伍"] = for_people(result.progress[["town_name", *STAFF_COLUMNS]])
    if result.run.get("coverage"):
        sheets["覆盖情况"] = coverage_sheet(result.run["coverage"])
    if result.access is not None:
        sheets["可达性"] = for_people(result.access.coverage)
    if result.proposals is not None:
        sheets["建成后进度"] = _after_sheet(result.progress, kinds=kinds)
        path = out / "proposed_sites.geojson"
        path.write_text(result.proposals.to_json(drop_id=True, ensure_ascii=False),
                        encoding="utf-8")
        sheets["建议选址"] = _proposal_sheet(result.proposals)
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
        path.write_text(w.proposed_kits.to_json(drop_id=True, ensure_ascii=False),
                        encoding="utf-8")
        if w.actions is not None:
            write_actions_xlsx(w.actions, out / "water_actions.xlsx", title=ws.settings.name,
                               water=w.summary, notes=w.risk_notes)
        sheets["物资需求"] = for_people(w.requisition)
        sheets["防溺水缺口"] = for_people(w.gaps_by_town)
    _write_gpkg(result, out / "planner.gpkg", layers=layers)
    sheets["位置与申报不符"] = for_people(result.tables["disagreements"])
    if result.quota is not None and result.quota.vintages is not None:
        sheets["镇名对照"] = result.quota.vintages
        write_csv(result.quota.vintages, out / "town_matching.csv")
    sheets["被拒记录"] = for_people(ws.ledger.rejected_frame())
    write_progress_xlsx(out / "progress.xlsx", title=f"{ws.settings.name}{today.year}年",
                        progress=result.progress, kinds=kinds, sheets=sheets,
                        findings=result.run["findings"], unit=f"{ws.settings.name}民政局",
                        date=today, notes=task_notes(result.run),
                        notice=incomplete_notice(ws.ledger.incomplete()))


#: the staff columns of the progress table (planner.measure.staff)
STAFF_COLUMNS = ("directors_required", "directors", "directors_missing",
                 "villages_without_director", "supervisors_required", "supervisors",
                 "supervisors_missing", "staff", "trained", "pct_trained")

#: the people-facing columns of the "村（居）" sheet (every column is in villages.csv)
_VILLAGE_SHEET = ("village_code", "village_name", "town_name", "children", "left_behind",
                  "vulnerable", "under5", "sites_care_point", "sites_care_home",
                  "has_care_point", "dist_m_care_point", "covshare_care_point",
                  "dist_m_care_home", "unmet_need", "unmet_rank")


def task_notes(run: dict) -> list[str]:
    """The notes under the task sheets: how built is counted; the county's coverage."""
    notes = ["注：1. 已建：村（居）儿童关爱站点按有站点的村（居）计（同一村（居）多个站点"
             "计 1 个），其他阵地按达到任务标准的个数计；超过任务数的部分列入“超额”，不计入完成率；"
             "完成率 = 已建 ÷ 任务数。"]
    story = (run.get("coverage") or {}).get("care_point")
    if story:
        own, reach = story["own_site"], story.get("within_reach")
        text = (f"2. 全县（市、区）本村有关爱站点的村（居）{own['villages']}/"
                f"{own['villages_total']} 个（{own['share_villages']}%，含不在任务表中的"
                "镇级单位）")
        if reach:
            text += (f"；关爱站点服务半径内儿童 {reach['children']:,}/"
                     f"{reach['children_total']:,} 人（{reach['share_children']}%）")
        notes.append(text + "。")
    return notes


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
    pngs = write_static_maps(layers, out, title=result.workspace.settings.name,
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
    from planner.report.htmlreport import write_report
    from planner.report.staticmaps import write_static_maps
    from planner.report.tables import progress_display
    from planner.report.webmap import write_map

    early = early if early is not None else draw_early_maps(result, out)
    name = result.workspace.settings.name
    layers = replace(layers if layers is not None else map_layers(result), roads=early.roads)
    write_map(layers, out / "map.html", config=config, title=f"{name}儿童关爱阵地与防溺水地图")
    pngs = [*early.pngs, *write_static_maps(layers, out, title=name, maps=("water",))]
    curve = (result.water.summary.get("budget_curve") if result.water is not None else None)
    if curve:
        from planner.report.budgetchart import FILE, budget_chart

        pngs.append(budget_chart(result.water.summary, out / FILE, title=name))
    table = progress_display(result.progress, kinds=kinds)[0] if kinds else result.progress
    water = result.water
    write_report(out / "report.html", title=f"{name}儿童关爱服务阵地与防溺水工作进展",
                 progress_table=table, run=result.run, images=pngs,
                 proposals=result.proposals,
                 water_top=None if water is None else water.water_risk,
                 requisition=None if water is None else water.requisition,
                 progress=result.progress, villages=result.villages,
                 actions=None if water is None else water.actions,
                 notice=incomplete_notice(result.workspace.ledger.incomplete()),
                 derived=[d["label"] for d in result.workspace.derived.values()
                          if d.get("label")])


def _write_gpkg(result: RunResult, path: Path, *, layers: MapLayers | None = None) -> None:
    """``planner.gpkg``: every map layer -- towns with progress, villages with access,
    sites, proposals, water risk, existing and proposed kits, patrol routes (when run)."""
    ws = result.workspace
    if path.exists():
        path.unlink()
    towns = ws.towns.drop(columns=["_row"]).merge(
        result.progress.drop(columns=["town_name"]), on="town_code", how="left")
    villages = ws.villages[["village_code", "geometry"]].merge(result.villages,
                                                                on="village_code")
    frames = {"towns": towns, "villages": villages,
              "facilities": ws.facilities.drop(columns=["_row"])}
    if result.proposals is not None and len(result.proposals):
        frames["proposed_sites"] = result.proposals
    if result.water is not None and len(result.water.proposed_kits):
        frames["proposed_kits"] = result.water.proposed_kits
    if result.water is not None and result.water.actions is not None \
            and len(result.water.actions):
        frames["water_actions"] = result.water.actions
    shown = layers if layers is not None else map_layers(result)
    for name in ("water", "kits", "patrol_routes"):
        frame = getattr(shown, name)
        if frame is not None and len(frame):
            frames["water_risk" if name == "water" else name] = frame.to_crs(ws.villages.crs)
    for name, frame in frames.items():
        frame = gpd.GeoDataFrame(safe_frame(frame, formulas=False), geometry="geometry",
                                 crs=ws.villages.crs)
        frame.columns = [str(c) for c in frame.columns]
        bools = frame.select_dtypes(include=["boolean"]).columns
        frame[bools] = frame[bools].astype(object)
        frame.to_file(path, layer=name, driver="GPKG")
    add_aliases(path)
    add_styles(path)


def coverage_sheet(story: dict) -> pd.DataFrame:
    """The "覆盖情况" sheet: the two coverage measures of ``run.json["coverage"]``."""
    rows = []
    for kind, s in story.items():
        own, reach = s["own_site"], s.get("within_reach")
        rows.append({"类型": kind_label(kind), "口径": own["name"],
                     "村（居）": f"{own['villages']}/{own['villages_total']}",
                     "村（居）占比": own["share_villages"], "儿童（人）": own["children"],
                     "儿童总数（人）": own["children_total"],
                     "儿童占比": own["share_children"], "说明": "站点位于本村（居）内"})
        if reach:
            how = {"network": "路网距离", "straight_line": "直线距离"}.get(reach["method"], "")
            dist = f"{reach['threshold_m']:.0f} 米" if reach.get("threshold_m") else ""
            rows.append({"类型": kind_label(kind), "口径": reach["name"], "村（居）": None,
                         "村（居）占比": None, "儿童（人）": reach["children"],
                         "儿童总数（人）": reach["children_total"],
                         "儿童占比": reach["share_children"],
                         "说明": f"住处到最近站点的{how}不超过{dist}"})
    return pd.DataFrame(rows)


def _after_sheet(progress: pd.DataFrame, *, kinds: list[str]) -> pd.DataFrame:
    """Quota progress as it would be with every proposal built (sheet 建成后进度)."""
    cols = {"镇（区、街道）": progress["town_name"]}
    for kind in kinds:
        if f"proposed_{kind}" not in progress.columns:
            continue
        label = SHORT_LABELS.get(kind, kind)
        cols[f"{label}任务数"] = progress[f"required_{kind}"]
        cols[f"{label}已建"] = progress[f"built_{kind}"]
        cols[f"{label}拟新建/升级"] = progress[f"proposed_{kind}"]
        cols[f"{label}建成后缺口"] = progress[f"missing_after_{kind}"]
        cols[f"{label}建成后完成率"] = progress[f"pct_after_{kind}"]
    return pd.DataFrame(cols)


_METHODS = {"upgrade": "升级现有", "milp": "整数规划", "heuristic": "启发式"}


def _proposal_sheet(sites: gpd.GeoDataFrame) -> pd.DataFrame:
    """The "建议选址" sheet: proposals with Chinese headers and coordinates."""
    return pd.DataFrame({
        "类型": sites["kind"].map(kind_label), "镇（街道）": sites["town_name"],
        "村（居）": sites["village_name"], "新增服务半径内儿童": sites["children_newly_covered"],
        "排序": sites["rank"], "理由": sites["reason"],
        "方法": sites["method"].map(lambda m: _METHODS.get(m, m)),
        "经度": sites.geometry.x.round(6), "纬度": sites.geometry.y.round(6),
    })


def _patrol_sheets(water, path: Path, *, settings) -> None:
    """``patrol_sheets.xlsx``: the whole season, one page per village."""
    patrol = water.summary.get("patrol") or {}
    year = int(patrol["year"])
    write_patrol_sheets(water.route_table, water.patrol_calendar, path, title=settings.name,
                        days=patrol_calendar(year, config=settings.water), year=year,
                        calendar=patrol.get("calendar", "fixed"),
                        dropped=patrol.get("dropped_by_village"))
