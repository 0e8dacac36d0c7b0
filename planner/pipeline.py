"""The stage order: load -> validate -> locate -> measure -> roads -> access -> propose ->
water -> report. Each stage lives in its subpackage; this module only runs them in order,
times them and decides what runs beside what (:mod:`planner._beside`).

Where a stage may run in a forked child, what needs nothing of the stage before runs beside
it: the pass over the OSM file beside load .. measure; access and propose (which the water
stage does not need, nor they it) beside the water stage, followed by the maps that need no
water; the other maps beside the tables. The results and files are the same either way.
``run.json`` is built by :func:`planner.results.run_record`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import geopandas as gpd
import pandas as pd

from planner import datasets
from planner._beside import Beside
from planner.core.network import RoadGraph
from planner.glossary import STAGE_LABELS
from planner.load.osm import scan_osm
from planner.locate import locate
from planner.locate.quota import QuotaTable
from planner.measure import Measures, measure
from planner.measure.access import AccessResult, demand_points, measure_access
from planner.measure.history import EarlierRun, read_earlier
from planner.propose.new_sites import propose_stage
from planner.propose.water_safety import water_stage
from planner.records.outputs import OutputFolder, default_folder
from planner.records.scenario import Scenario, read_scenario
from planner.records.workspace import Workspace
from planner.report.summary import print_summary
from planner.report.tables import write_json
from planner.report.write import EarlyMaps, draw_early_maps, map_layers, write_maps, write_tables
from planner.results import RunResult, run_record
from planner.settings import Settings, load_settings
from planner.validate.intake import check_size, load_workspace
from planner.validate.roads import load_roads
from planner.validate.scenario_edits import apply_scenario, scenario_settings

STAGES = ("load + validate", "locate", "measure", "roads", "access", "propose", "water",
          "report", "maps")


def stage_line(name: str) -> str:
    """The terminal line of a stage starting, Chinese first: ``[1/9] 读入与校验 ...``."""
    return f"[{STAGES.index(name) + 1}/{len(STAGES)}] {STAGE_LABELS[name]} ..."


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
            self.echo(stage_line(name))

    @contextmanager
    def __call__(self, name: str):
        t0 = time.perf_counter()
        self.echo(stage_line(name))
        try:
            yield
        finally:
            self.seconds[name] = round(time.perf_counter() - t0, 3)


def settings_for(workspace: str | Path | None) -> Settings:
    """The validated settings of a workspace folder (or its ``planner.toml``); the demo if
    ``workspace`` is ``None``."""
    return load_settings(workspace if workspace is not None else datasets.demo())


def check(settings: Settings) -> tuple[Workspace, QuotaTable | None]:
    """Load, validate and locate: everything ``planner check`` does."""
    ws = load_workspace(settings)
    return ws, locate(ws, settings=settings)


def _read(settings: Settings, stages: _Stages, scenario: Scenario | None = None
          ) -> tuple[Workspace, QuotaTable | None, Measures]:
    """The load + validate (with the scenario's edits), locate and measure stages."""
    with stages("load + validate"):
        ws = load_workspace(settings)
        check_size(ws)
        if scenario is not None:
            ws = apply_scenario(ws, scenario)
    with stages("locate"):
        quota = locate(ws, settings=settings)
    with stages("measure"):
        measured = measure(ws, quota=quota, settings=settings)
    return ws, quota, measured


class _Side(NamedTuple):
    """What :func:`_access_and_propose` hands back to the run."""

    access: AccessResult
    villages: pd.DataFrame
    proposals: gpd.GeoDataFrame | None
    place_summary: dict
    after: pd.DataFrame
    early: EarlyMaps | None
    seconds: dict[str, float]


def _access_and_propose(ws: Workspace, *, settings: Settings, quota: QuotaTable | None,
                        measured: Measures, graph: RoadGraph | None,
                        out_dir: Path | None) -> _Side:
    """The access and propose stages, then (with ``out_dir``) the maps that need no water;
    each one's seconds."""
    seconds = {}
    demand = demand_points(ws)
    t0 = time.perf_counter()
    access, villages = measure_access(ws, access=settings.access, villages=measured.villages,
                                      graph=graph, demand=demand)
    seconds["access"] = round(time.perf_counter() - t0, 3)
    t0 = time.perf_counter()
    proposals, place_summary, after = propose_stage(
        ws, settings=settings, quota=quota, progress=measured.progress, graph=graph,
        demand=demand)
    seconds["propose"] = round(time.perf_counter() - t0, 3)
    early = None
    if out_dir is not None:
        t0 = time.perf_counter()
        before = RunResult(workspace=ws, quota=quota, progress=after, villages=villages,
                           access=access, proposals=proposals, graph=graph)
        early = draw_early_maps(before, out_dir)
        seconds["maps"] = time.perf_counter() - t0
    return _Side(access, villages, proposals, place_summary, after, early, seconds)


def _water(ws: Workspace, *, settings: Settings, graph: RoadGraph | None, side: Beside):
    """The water stage (``None`` without water), cancelling ``side`` if it fails."""
    try:
        return water_stage(ws, settings, graph) if "water" in ws.extra else None
    except BaseException:
        side.cancel()
        raise


def _report(result: RunResult, *, settings: Settings, stages: _Stages, out_dir: Path,
            early: EarlyMaps | None, early_seconds: float) -> None:
    """Write the tables (and, beside them, the maps), then ``run.json`` with the report
    stages' seconds."""
    shown = map_layers(result)  # for the maps and planner.gpkg alike
    maps = Beside(lambda: write_maps(result, out_dir, config=settings.map, early=early,
                                     layers=shown))
    try:
        with stages("report"):
            write_tables(result, out_dir, layers=shown, early=early)
        with stages("maps"):
            maps.wait()
    except BaseException:
        maps.cancel()
        raise
    # the maps' own time (both parts), not the wait for them
    drawn = maps.seconds if maps.forked else stages.seconds["maps"]
    stages.seconds["maps"] = round(early_seconds + drawn, 3)
    result.out = out_dir
    result.run["timings_s"] = stages.ordered()
    write_json(result.run, out_dir / "run.json")


def run(workspace: str | Path | None = None, *, out: str | Path | None = None,
        echo: Callable[[str], None] = print, write: bool = True,
        online: bool = False, show_progress: bool = True,
        as_of: dt.date | None = None, since: str | Path | None = None,
        scenario: str | None = None) -> RunResult:
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
    as_of : date, optional
        The reporting date (overrides ``[workspace] as_of``; default today).
    since : path, optional
        An earlier run's output folder: the change since then goes into ``run.json``
        (``since``), the report and the annex.
    scenario : str, optional
        A scenario saved in the workspace (``方案/<name>.toml``, made in ``planner studio``):
        its site edits, kit budget and unit prices apply; outputs default to
        ``outputs/<workspace>-<scenario>/``.
    """
    settings = settings_for(workspace)
    if as_of is not None:
        settings = replace(settings, as_of=as_of)
    chosen = None
    if scenario is not None:
        chosen = read_scenario(settings.root, scenario)
        settings = scenario_settings(settings, chosen)
    earlier = read_earlier(since) if since is not None else None
    # refused (a user's files), locked and staged before any stage runs; the outputs
    # replace the earlier ones only when every file is written
    outputs = None
    if write:
        name = settings.name if chosen is None else f"{settings.name}-{chosen.name}"
        outputs = OutputFolder(Path(out) if out else default_folder(name),
                               info={"workspace": settings.name,
                                     "county_code": settings.county_code})
        outputs.open()
    try:
        return _run(settings, outputs=outputs, echo=echo, online=online,
                    show_progress=show_progress, earlier=earlier, scenario=chosen)
    except BaseException as exc:
        if outputs is not None:
            outputs.abort(exc)  # a full disk is one line
        raise


def _run(settings: Settings, *, outputs: OutputFolder | None, echo: Callable[[str], None],
         online: bool, show_progress: bool, earlier: EarlierRun | None = None,
         scenario: Scenario | None = None) -> RunResult:
    """The stages of :func:`run`, writing into the staging folder of ``outputs``."""
    stages = _Stages(echo)
    # the OSM file's pass needs no workspace: on 2 cores it runs beside load .. measure
    scan = None
    if settings.roads is not None and settings.roads.is_file() and not online:
        scan = Beside(lambda: scan_osm(settings.roads, progress=show_progress))
    try:
        ws, quota, measured = _read(settings, stages, scenario)
    except BaseException:
        if scan is not None:
            scan.cancel()
        raise
    with stages("roads"):
        graph, roads_info = load_roads(settings, ws, online=online, progress=show_progress,
                                       scanned=None if scan is None else scan.wait())
    out_dir = None if outputs is None else outputs.staging
    # access and propose need no water stage and it needs neither: on 2 cores they run
    # beside it in a forked child, which then draws the maps that need no water
    stages.announce("access", "propose")
    side = Beside(lambda: _access_and_propose(ws, settings=settings, quota=quota,
                                              measured=measured, graph=graph,
                                              out_dir=out_dir))
    with stages("water"):
        water = _water(ws, settings=settings, graph=graph, side=side)
    access, villages, proposals, place_summary, after, early, seconds = side.wait()
    stages.seconds |= {k: v for k, v in seconds.items() if k != "maps"}
    problems = ws.ledger.reconcile()
    if problems:  # a bug, not bad input: the books must balance
        raise RuntimeError("ledger does not balance: " + "; ".join(problems))
    result = RunResult(workspace=ws, quota=quota, progress=after, villages=villages,
                       tables={"disagreements": measured.disagreements}, access=access,
                       proposals=proposals, water=water, graph=graph, staff=measured.staff,
                       findings=measured.findings, roads=roads_info,
                       place_summary=place_summary, earlier=earlier, scenario=scenario)
    result.run = run_record(result, timings=stages.ordered())
    if out_dir is None:
        return result
    _report(result, settings=settings, stages=stages, out_dir=out_dir, early=early,
            early_seconds=seconds["maps"])
    result.out = outputs.commit()
    print_summary(result, echo=echo)
    return result
