"""The pipeline: load -> validate -> locate -> measure -> propose -> report.

:func:`run` executes the stages in order, prints progress, times each stage and writes
the outputs of the contract in DESIGN.md into the output folder.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from planner import datasets
from planner.locate.quota import QuotaTable, read_quota
from planner.locate.sites import disagreements, locate_facilities
from planner.measure.access import AccessConfig, compute_access
from planner.measure.progress import quota_findings, quota_progress, totals
from planner.measure.risk import WaterConfig
from planner.propose.place import PlaceConfig
from planner.propose.sites import propose_for_quota
from planner.report.tables import (
    summary_lines,
    villages_table,
    write_csv,
    write_json,
    write_progress_xlsx,
)
from planner.report.webmap import MapConfig
from planner.settings import Config, load_config
from planner.validate.workspace import Workspace, load_workspace

DEMO = datasets.demo()


@dataclass
class RunResult:
    """What a run produced: the validated workspace, the tables and ``run.json``."""

    workspace: Workspace
    quota: QuotaTable | None
    progress: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame
    run: dict
    out: Path | None
    tables: dict = field(default_factory=dict)
    access: object | None = None
    proposals: gpd.GeoDataFrame | None = None
    water: object | None = None


class _Stages:
    """Prints ``[i/n] stage ...`` lines and records each stage's seconds."""

    def __init__(self, names: list[str], echo: Callable[[str], None]):
        self.names, self.echo, self.seconds = names, echo, {}

    def __call__(self, name: str):
        stages = self

        class _Stage:
            def __enter__(self):
                self.t0 = time.perf_counter()
                i = stages.names.index(name) + 1
                stages.echo(f"[{i}/{len(stages.names)}] {name} ...")

            def __exit__(self, *exc):
                stages.seconds[name] = round(time.perf_counter() - self.t0, 3)
                return False

        return _Stage()


@dataclass(frozen=True)
class StageConfigs:
    """The validated parameter tables of ``planner.toml`` ([place], [water])."""

    access: AccessConfig
    place: PlaceConfig
    water: WaterConfig
    map: object
    water_year: int | None
    water_as_of: dt.date | None


def stage_configs(config: Config) -> StageConfigs:
    """Validate the stage tables up front so that a bad value stops before any work."""
    from planner._errors import ConfigError

    source = str(config.source)
    water = dict(config.sections.get("water", {}))
    year = water.pop("year", None)
    as_of = water.pop("as_of", None)
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        raise ConfigError(f"{source}: water.year = {year!r}; give a year such as 2025")
    if as_of is not None:
        try:
            as_of = as_of if isinstance(as_of, dt.date) else dt.date.fromisoformat(str(as_of))
        except ValueError as exc:
            raise ConfigError(f"{source}: water.as_of = {as_of!r}; give a date such as "
                              "\"2025-06-01\"") from exc
    return StageConfigs(
        access=AccessConfig.from_mapping(config.sections.get("access", {}), source=source),
        place=PlaceConfig.from_mapping(config.sections.get("place", {}), source=source),
        water=WaterConfig.from_mapping(water, source=source),
        map=MapConfig.from_mapping(config.sections.get("map", {}), source=source),
        water_year=year, water_as_of=as_of)


def locate(ws: Workspace, config: Config) -> QuotaTable | None:
    """Locate the facilities in ``ws`` (in place) and read and match the quota table."""
    ws.facilities = locate_facilities(ws.facilities, villages=ws.villages, crs=ws.crs,
                                      tolerance_m=config.locate_tolerance_m,
                                      aliases=config.aliases, ledger=ws.ledger)
    if config.quota is None:
        return None
    return read_quota(config.quota, ws.towns, aliases=config.aliases, ledger=ws.ledger)


def validate(config: Config) -> tuple[Workspace, QuotaTable | None]:
    """Load, validate and locate: everything ``planner check`` does."""
    ws = load_workspace(config)
    return ws, locate(ws, config)


def run(workspace: str | Path | None = None, *, out: str | Path | None = None,
        echo: Callable[[str], None] = print, write: bool = True,
        online: bool = False, show_progress: bool = True) -> RunResult:
    """Run every stage on a workspace and write the outputs.

    Parameters
    ----------
    workspace : path, optional
        Workspace folder or its ``planner.toml``; the bundled demo if omitted.
    out : path, optional
        Output folder; default ``outputs/<workspace name>/`` in the current directory.
    echo : callable
        Where progress lines go (``print`` by default).
    write : bool
        Write the output files (tests of the numbers may skip it).
    online : bool
        Download roads from OpenStreetMap for the county (never done unless asked).
    show_progress : bool
        Show progress bars (on a terminal) while large files are read.
    """
    config = load_config(workspace or DEMO)
    params = stage_configs(config)
    stages = _Stages(["load + validate", "locate", "measure", "roads", "access", "propose",
                      "water", "report", "maps"], echo)
    with stages("load + validate"):
        ws = load_workspace(config)
    with stages("locate"):
        quota = locate(ws, config)
    with stages("measure"):
        progress = quota_progress(ws.towns, villages=ws.villages, facilities=ws.facilities,
                                  quota=quota)
        kinds = list(quota.kinds) if quota else []
        findings = ws.findings + quota_findings(progress, quota=quota)
        vtable = villages_table(ws.villages, ws.facilities)
        conflicts = disagreements(ws.facilities)
    with stages("roads"):
        graph, roads_info = _roads(config, ws, online=online, progress=show_progress)
    with stages("access"):
        access = compute_access(ws.villages, ws.facilities, crs=ws.crs, config=params.access,
                                graph=graph, demand_points=_demand_points(ws))
        vtable = vtable.merge(access.villages.drop(columns=[
            c for c in access.villages.columns if c in vtable.columns and c != "village_code"]),
            on="village_code", how="left")
        vtable["distance_method"] = access.method
    with stages("propose"):
        proposals, place_summary, after = None, {}, progress
        if quota is not None:
            proposals, place_summary, after = propose_for_quota(
                progress, villages=ws.villages, facilities=ws.facilities, quota=quota,
                crs=ws.crs, config=params.place, candidates=ws.extra.get("candidates"),
                cost_for=None if graph is None else _cost_for(graph, params))
    with stages("water"):
        water = _water(ws, params, graph) if "water" in ws.extra else None
    problems = ws.ledger.reconcile()
    if problems:  # a bug, not bad input: the books must balance
        raise RuntimeError("ledger does not balance: " + "; ".join(problems))
    result_run = {
        "workspace": config.name,
        "county_code": config.county_code,
        "metric_crs": ws.crs.to_string(),
        "inputs": ws.ledger.summary(),
        "rejected": len(ws.ledger.rejected),
        "repaired": len(ws.ledger.repairs),
        "towns": len(ws.towns),
        "villages": len(ws.villages),
        "facilities": {k: int(v) for k, v in ws.facilities["kind"].value_counts().items()},
        "quota": totals(progress, kinds=kinds) if quota else None,
        "quota_matching": (quota.table[["quota_town", "town_code", "match"]].to_dict("records")
                           if quota else []),
        "towns_without_quota": quota.towns_without_quota if quota else [],
        "located_disagreements": conflicts.drop(columns=["_row"]).assign(
            row=conflicts["_row"]).to_dict("records"),
        "findings": findings,
        "roads": roads_info,
        "access": access.summary(),
        "proposals": {
            "sites": 0 if proposals is None else len(proposals),
            "by_kind": place_summary,
        },
        "water": water.summary if water is not None else None,
        "timings_s": stages.seconds,
    }
    result = RunResult(workspace=ws, quota=quota, progress=after, villages=vtable,
                       run=result_run, out=None,
                       tables={"disagreements": conflicts}, access=access,
                       proposals=proposals, water=water)
    if write:
        with stages("report"):
            out_dir = Path(out) if out else Path("outputs") / config.name
            out_dir.mkdir(parents=True, exist_ok=True)
            _write(result, out_dir, kinds=kinds)
        with stages("maps"):
            _write_maps(result, out_dir, kinds=kinds, config=params.map)
            result.out = out_dir
        result_run["timings_s"] = stages.seconds
        write_json(result_run, out_dir / "run.json")
        _summary(result, kinds=kinds, echo=echo)
    return result


def _settlements(ws: Workspace) -> gpd.GeoDataFrame:
    """Homes for the water-safety stage: the settlements layer, or one point per village."""
    homes = ws.extra.get("settlements")
    if homes is not None and "children" in homes.columns:
        homes = homes.copy()
        for col in ("children", "under5", "left_behind"):
            if col in homes.columns:
                homes[col] = pd.to_numeric(homes[col], errors="coerce").fillna(0)
        return homes
    points = ws.villages.to_crs(ws.crs).geometry.representative_point().to_crs(ws.villages.crs)
    return gpd.GeoDataFrame(ws.villages[["village_code", "children", "under5", "left_behind"]],
                            geometry=points, crs=ws.villages.crs)


def _water(ws: Workspace, params: StageConfigs, graph):
    from planner.propose.water import water_safety

    return water_safety(ws.extra["water"], kits=ws.extra.get("kits"),
                        settlements=_settlements(ws), schools=ws.extra.get("schools"),
                        towns=ws.towns, villages=ws.villages, crs=ws.crs,
                        config=params.water,
                        graph=None if graph is None else (graph.node_xy, graph.walk),
                        year=params.water_year, today=params.water_as_of)


def _roads(config: Config, ws: Workspace, *, online: bool, progress: bool = False):
    """The road network: downloaded when asked, else the workspace's OSM file, else none.

    The OSM file's water joins ``ws.extra["water"]`` (see :mod:`planner.validate.osm_water`).
    """
    from planner._errors import InputFileError
    from planner.load.osm import fetch_osm, read_osm, road_graph
    from planner.validate.osm_water import add_osm_water

    if online:
        try:
            layers = fetch_osm(ws.county)
        except Exception as exc:  # osmnx raises many network error types
            raise InputFileError(
                f"OpenStreetMap download failed ({type(exc).__name__}); check the internet "
                "connection, or run without --online using [roads] path = a local .osm/.pbf"
            ) from exc
        source = "OpenStreetMap (online)"
    elif config.roads is not None:
        if not config.roads.exists():
            raise InputFileError(f"{config.roads}: file not found ([roads] path); fix the "
                                 "path in planner.toml or remove [roads]")
        layers = read_osm(config.roads, polygon=ws.county, progress=progress)
        source = config.roads.name
    else:
        return None, {"source": None, "note": "no road network: straight-line distances"}
    graph, _ids = road_graph(layers, crs=ws.crs)
    water = add_osm_water(ws.extra, layers.water, crs=ws.crs, ledger=ws.ledger, file=source)
    return graph, {"source": source, "nodes": graph.n_nodes, "edges": int(graph.n_edges),
                   **layers.stats, "water": water}


def _cost_for(graph, params: StageConfigs):
    """kind -> network cost function, in the kind's travel mode (see [access])."""
    from planner.propose.sites import network_cost

    def for_kind(kind: str):
        rule = params.access.rules[kind]
        limit = params.place.threshold(kind) if params.place.model == "max_cover" else np.inf
        return network_cost(graph, mode=rule.mode, limit=limit)

    return for_kind


def _demand_points(ws: Workspace):
    """Population-weighted demand points (hamlets weighted by children), when given."""
    homes = ws.extra.get("settlements")
    if homes is None or "children" not in homes.columns or "village_code" not in homes.columns:
        return None
    weight = pd.to_numeric(homes["children"], errors="coerce").fillna(0)
    known = homes["village_code"].isin(ws.villages["village_code"])
    return gpd.GeoDataFrame({"village_code": homes["village_code"], "weight": weight},
                            geometry=homes.geometry, crs=homes.crs)[known & (weight > 0)]


def _write(result: RunResult, out: Path, *, kinds: list[str]) -> None:
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
    title = f"{ws.config.name}儿童关爱服务阵地建设任务完成情况"
    sheets = {"村（居）": result.villages}
    if result.access is not None:
        sheets["可达性"] = _coverage_sheet(result.access.coverage)
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
        write_csv(w.patrol_plan, out / "patrol_plan.csv")
        path = out / "proposed_kits.geojson"
        path.write_text(w.proposed_kits.to_json(drop_id=True, ensure_ascii=False),
                        encoding="utf-8")
        sheets["物资需求"] = w.requisition
        sheets["防溺水缺口"] = w.gaps_by_town
    _write_gpkg(result, out / "planner.gpkg")
    sheets["位置与申报不符"] = result.tables["disagreements"]
    sheets["被拒记录"] = ws.ledger.rejected_frame()
    write_progress_xlsx(out / "progress.xlsx", title=title, progress=result.progress,
                        kinds=kinds, sheets=sheets, findings=result.run["findings"])


def _write_maps(result: RunResult, out: Path, *, kinds: list[str], config) -> None:
    """map.html (offline folium), the PNG maps and report.html."""
    from planner.report.htmlreport import write_report
    from planner.report.staticmaps import write_static_maps
    from planner.report.tables import progress_display
    from planner.report.webmap import layers_from_result, write_map

    name = result.workspace.config.name
    layers = layers_from_result(result)
    write_map(layers, out / "map.html", config=config, title=f"{name}儿童关爱阵地与防溺水地图")
    pngs = write_static_maps(layers, out, title=name)
    table = progress_display(result.progress, kinds=kinds)[0] if kinds else result.progress
    water = result.water
    write_report(out / "report.html", title=f"{name}儿童关爱服务阵地与防溺水工作进展",
                 progress_table=table, run=result.run, images=pngs,
                 proposals=result.proposals,
                 water_top=None if water is None else water.water_risk,
                 requisition=None if water is None else water.requisition)


def _write_gpkg(result: RunResult, path: Path) -> None:
    """``planner.gpkg``: towns with progress, villages with access, sites, proposals, kits."""
    ws = result.workspace
    if path.exists():
        path.unlink()
    towns = ws.towns.drop(columns=["_row"]).merge(
        result.progress.drop(columns=["town_name"]), on="town_code", how="left")
    villages = ws.villages[["village_code", "geometry"]].merge(result.villages,
                                                                on="village_code")
    layers = {"towns": towns, "villages": villages,
              "facilities": ws.facilities.drop(columns=["_row"])}
    if result.proposals is not None and len(result.proposals):
        layers["proposed_sites"] = result.proposals
    if result.water is not None and len(result.water.proposed_kits):
        layers["proposed_kits"] = result.water.proposed_kits
    for name, frame in layers.items():
        frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=ws.villages.crs)
        frame.columns = [str(c) for c in frame.columns]
        bools = frame.select_dtypes(include=["boolean"]).columns
        frame[bools] = frame[bools].astype(object)
        frame.to_file(path, layer=name, driver="GPKG")


def _after_sheet(progress: pd.DataFrame, *, kinds: list[str]) -> pd.DataFrame:
    """Quota progress as it would be with every proposal built (sheet 建成后进度)."""
    from planner.report.tables import SHORT_LABELS

    cols = {"镇（区、街道）": progress["town_name"]}
    for kind in kinds:
        if f"proposed_{kind}" not in progress.columns:
            continue
        label = SHORT_LABELS.get(kind, kind)
        cols[f"{label}任务数"] = progress[f"required_{kind}"]
        cols[f"{label}已建"] = progress[f"built_{kind}"]
        cols[f"{label}拟新建/升级"] = progress[f"proposed_{kind}"]
        cols[f"{label}建成后缺口"] = progress[f"missing_after_{kind}"]
        cols[f"{label}建成后完成率%"] = progress[f"pct_after_{kind}"]
    return pd.DataFrame(cols)


def _coverage_sheet(coverage: pd.DataFrame) -> pd.DataFrame:
    """The "可达性" sheet: share of children within each kind's threshold, per town."""
    from planner.glossary import kind_label

    out = coverage.copy()
    out.insert(0, "类型", out["kind"].map(kind_label))
    return out


def _proposal_sheet(sites: gpd.GeoDataFrame) -> pd.DataFrame:
    """The "建议选址" sheet: proposals with Chinese headers and coordinates."""
    from planner.glossary import kind_label

    return pd.DataFrame({
        "类型": sites["kind"].map(kind_label), "镇（街道）": sites["town_name"],
        "村（居）": sites["village_name"], "新增覆盖儿童": sites["children_newly_covered"],
        "排序": sites["rank"], "理由": sites["reason"], "方法": sites["method"],
        "经度": sites.geometry.x.round(6), "纬度": sites.geometry.y.round(6),
    })


def _summary(result: RunResult, *, kinds: list[str], echo: Callable[[str], None]) -> None:
    run = result.run
    echo("")
    for line in summary_lines(result.progress, kinds=kinds):
        echo(line)
    echo("")
    if run["quota"]:
        for kind in kinds:
            t = run["quota"][kind]
            echo(f"{kind}: required {t['required']}, built {t['built']}, "
                 f"missing {t['missing']}, {t['percent']}% complete")
    access = run.get("access") or {}
    echo(f"coverage ({access.get('method')}): share of children within reach")
    for kind, shares in (access.get("county_shares") or {}).items():
        parts = ", ".join(f"{g} {100 * v:.1f}%" for g, v in shares.items() if v is not None)
        echo(f"  {kind}: {parts}")
    props = run.get("proposals") or {}
    if props.get("sites"):
        parts = [f"{k} {v.get('proposed', 0)} new" + (f" + {v['upgrades']} upgrades"
                                                      if v.get("upgrades") else "")
                 for k, v in props["by_kind"].items() if "status" in v]
        echo(f"proposed sites: {props['sites']} ({'; '.join(parts)}) -> proposed_sites.geojson")
    water = run.get("water")
    if water:
        tiers = water["risky_waters_by_tier"]
        echo(f"water: {water['water_bodies']} bodies, tier A/B/C {tiers.get('A', 0)}/"
             f"{tiers.get('B', 0)}/{tiers.get('C', 0)}; uncovered risky bank "
             f"{water['uncovered_risky_bank_m_before'] / 1000:.0f} km -> "
             f"{water['uncovered_risky_bank_m_after'] / 1000:.0f} km with "
             f"{water['proposed_kits']} new kits")
    read = sum(i["read"] for i in run["inputs"])
    echo(f"records read {read}, rejected {run['rejected']} (rejected.csv), "
         f"repaired {run['repaired']} (repairs.csv); findings: {len(run['findings'])}")
    echo(f"outputs: {result.out}")
