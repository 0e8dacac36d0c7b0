"""The stage order: load -> validate -> locate -> measure -> roads -> access -> propose ->
water -> report. Each stage lives in its subpackage; this module only runs them in order,
times them and assembles ``run.json``.

Where a stage may run in a forked child (:mod:`planner._beside`), what needs nothing of the
stage before runs beside it: the pass over the OSM file beside load .. measure; access and
propose (which the water stage does not need, nor they it) beside the water stage, followed
by the maps that need no water; the other maps beside the tables. The results and
files are the same either way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import geopandas as gpd
import pandas as pd

from planner import datasets
from planner._beside import Beside
from planner.core.network import RoadGraph
from planner.load.osm import scan_osm
from planner.locate.quota import QuotaTable, read_quota
from planner.locate.sites import disagreements, locate_facilities
from planner.measure.access import AccessResult, compute_access, demand_points
from planner.measure.coverage import coverage_story
from planner.measure.progress import quota_findings, quota_progress, totals
from planner.measure.staff import with_staff
from planner.propose.new_sites import cost_by_kind, propose_for_quota
from planner.propose.water_safety import water_stage
from planner.records.workspace import Workspace
from planner.report.summary import print_summary
from planner.report.tables import villages_table, write_json
from planner.report.write import (
    EarlyMaps,
    draw_early_maps,
    map_layers,
    write_maps,
    write_tables,
)
from planner.results import RunResult
from planner.settings import Settings, load_settings
from planner.validate.intake import check_size, load_workspace
from planner.validate.roads import load_roads

STAGES = ("load + validate", "locate", "measure", "roads", "access", "propose", "water",
          "report", "maps")


class _Stages:
    """Prints ``[i/n] stage ...`` lines and records each stage's seconds."""

    def __init__(self, echo: Callable[[str], None]):
        self.echo, self.seconds = echo, {}

    def ordered(self) -> dict[str, float]:
        """The seconds of the stages run so far, in stage order."""
        return {name: self.seconds[name] for name in STAGES if name in self.seconds}

    def announce(self, *names: str) -> None:
        """Print the lines of stages that start now and are timed elsewhere."""
        for name in names:
            self.echo(f"[{STAGES.index(name) + 1}/{len(STAGES)}] {name} ...")

    @contextmanager
    def __call__(self, name: str):
        t0 = time.perf_counter()
        self.echo(f"[{STAGES.index(name) + 1}/{len(STAGES)}] {name} ...")
        try:
            yield
        finally:
            self.seconds[name] = round(time.perf_counter() - t0, 3)


def settings_for(workspace: str | Path | None) -> Settings:
    """The validated settings of a workspace folder (or its ``planner.toml``); the demo if
    ``workspace`` is ``None``."""
    return load_settings(workspace if workspace is not None else datasets.demo())


def locate(ws: Workspace, settings: Settings) -> QuotaTable | None:
    """Locate the facilities in ``ws`` (in place) and read and match the quota table."""
    ws.facilities = locate_facilities(ws.facilities, villages=ws.villages, crs=ws.crs,
                                      tolerance_m=settings.locate_tolerance_m,
                                      aliases=settings.aliases, ledger=ws.ledger)
    if settings.quota is None:
        return None
    return read_quota(settings.quota, ws.towns, aliases=settings.aliases, ledger=ws.ledger)


def check(settings: Settings) -> tuple[Workspace, QuotaTable | None]:
    """Load, validate and locate: everything ``planner check`` does."""
    ws = load_workspace(settings)
    return ws, locate(ws, settings)


def _read(settings: Settings, stages: _Stages) -> tuple:
    """The load + validate, locate and measure stages."""
    with stages("load + validate"):
        ws = load_workspace(settings)
        check_size(ws)
    with stages("locate"):
        quota = locate(ws, settings)
    with stages("measure"):
        progress = quota_progress(ws.towns, villages=ws.villages, facilities=ws.facilities,
                                  quota=quota)
        progress, staff = with_staff(progress, ws.villages, ws.extra.get("staff"),
                                     children_per_director=settings.children_per_director)
        kinds = list(quota.kinds) if quota else []
        findings = ws.findings + ws.ledger.findings() + quota_findings(progress, quota=quota)
        vtable = villages_table(ws.villages, ws.facilities)
        conflicts = disagreements(ws.facilities)
    return ws, quota, progress, staff, kinds, findings, vtable, conflicts


class _Side(NamedTuple):
    """What :func:`_access_and_propose` returns to the run."""

    access: AccessResult
    vtable: pd.DataFrame
    proposals: gpd.GeoDataFrame | None
    place_summary: dict
    after: pd.DataFrame
    early: EarlyMaps | None
    seconds: dict[str, float]


def _access_and_propose(ws: Workspace, settings: Settings, *, quota: QuotaTable | None,
                        progress: pd.DataFrame, vtable: pd.DataFrame,
                        graph: RoadGraph | None, out_dir: Path | None) -> _Side:
    """The access and propose stages, then (with ``out_dir``) the maps that need no water;
    each one's seconds."""
    seconds = {}
    t0 = time.perf_counter()
    access = compute_access(ws.villages, ws.facilities, crs=ws.crs, config=settings.access,
                            graph=graph, demand_points=demand_points(ws))
    vtable = vtable.merge(access.villages.drop(columns=[
        c for c in access.villages.columns if c in vtable.columns and c != "village_code"]),
        on="village_code", how="left")
    vtable["distance_method"] = access.method
    seconds["access"] = round(time.perf_counter() - t0, 3)
    t0 = time.perf_counter()
    proposals, place_summary, after = None, {}, progress
    if quota is not None:
        proposals, place_summary, after = propose_for_quota(
            progress, villages=ws.villages, facilities=ws.facilities, quota=quota,
            crs=ws.crs, config=settings.place, candidates=ws.extra.get("candidates"),
            cost_for=None if graph is None else cost_by_kind(graph, settings),
            access=settings.access, demand_points=demand_points(ws), graph=graph)
    seconds["propose"] = round(time.perf_counter() - t0, 3)
    early = None
    if out_dir is not None:
        t0 = time.perf_counter()
        before = RunResult(workspace=ws, quota=quota, progress=after, villages=vtable, run={},
                           out=None, access=access, proposals=proposals, graph=graph)
        early = draw_early_maps(before, out_dir)
        seconds["maps"] = time.perf_counter() - t0
    return _Side(access, vtable, proposals, place_summary, after, early, seconds)


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
    settings = settings_for(workspace)
    stages = _Stages(echo)
    # the OSM file's pass needs no workspace: on 2 cores it runs beside load .. measure
    scan = None
    if settings.roads is not None and settings.roads.is_file() and not online:
        scan = Beside(lambda: scan_osm(settings.roads, progress=show_progress))
    try:
        ws, quota, progress, staff, kinds, findings, vtable, conflicts = _read(
            settings, stages)
    except BaseException:
        if scan is not None:
            scan.cancel()
        raise
    with stages("roads"):
        graph, roads_info = load_roads(settings, ws, online=online, progress=show_progress,
                                       scanned=None if scan is None else scan.wait())
    out_dir = (Path(out) if out else Path("outputs") / settings.name) if write else None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    # access and propose need no water stage and it needs neither: on 2 cores they run
    # beside it in a forked child, which then draws the maps that need no water
    stages.announce("access", "propose")
    side = Beside(lambda: _access_and_propose(
        ws, settings, quota=quota, progress=progress, vtable=vtable, graph=graph,
        out_dir=out_dir))
    with stages("water"):
        try:
            water = water_stage(ws, settings, graph) if "water" in ws.extra else None
        except BaseException:
            side.cancel()
            raise
    access, vtable, proposals, place_summary, after, early, seconds = side.wait()
    stages.seconds |= {k: v for k, v in seconds.items() if k != "maps"}
    problems = ws.ledger.reconcile()
    if problems:  # a bug, not bad input: the books must balance
        raise RuntimeError("ledger does not balance: " + "; ".join(problems))
    result_run = {
        "workspace": settings.name,
        "county_code": settings.county_code,
        "metric_crs": ws.crs.to_string(),
        "inputs": ws.ledger.summary(),
        "rejected": len(ws.ledger.rejected),
        "repaired": len(ws.ledger.repairs),
        "towns": len(ws.towns),
        "villages": len(ws.villages),
        "facilities": {k: int(v) for k, v in ws.facilities["kind"].value_counts().items()},
        "quota": totals(progress, kinds=kinds) if quota else None,
        "staff": staff,
        "quota_matching": (quota.table[["quota_town", "town_code", "match"]].to_dict("records")
                           if quota else []),
        "towns_without_quota": quota.towns_without_quota if quota else [],
        "located_disagreements": conflicts.drop(columns=["_row"]).assign(
            row=conflicts["_row"]).to_dict("records"),
        "findings": findings,
        "roads": roads_info,
        "access": access.summary(),
        "coverage": coverage_story(
            vtable, method=access.method,
            thresholds={k: r.threshold_m for k, r in settings.access.rules.items()}),
        "proposals": {
            "sites": 0 if proposals is None else len(proposals),
            "by_kind": place_summary,
        },
        "water": water.summary if water is not None else None,
        "timings_s": stages.ordered(),
    }
    result = RunResult(workspace=ws, quota=quota, progress=after, villages=vtable,
                       run=result_run, out=None,
                       tables={"disagreements": conflicts}, access=access,
                       proposals=proposals, water=water, graph=graph)
    if out_dir is not None:
        shown = map_layers(result)  # for the maps and planner.gpkg alike
        # the other maps are drawn in a forked child while the tables are written
        maps = Beside(lambda: write_maps(result, out_dir, config=settings.map, early=early,
                                         layers=shown))
        try:
            with stages("report"):
                write_tables(result, out_dir, layers=shown)
            with stages("maps"):
                maps.wait()
        except BaseException:
            maps.cancel()
            raise
        if maps.forked:  # the maps' own time (both parts), not the wait for them
            stages.seconds["maps"] = round(seconds["maps"] + maps.seconds, 3)
        else:
            stages.seconds["maps"] = round(stages.seconds["maps"] + seconds["maps"], 3)
        result.out = out_dir
        result_run["timings_s"] = stages.ordered()
        write_json(result_run, out_dir / "run.json")
        print_summary(result, echo=echo)
    return result
