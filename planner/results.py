"""What a run produces: :class:`RunResult`, handed from the stages to the writers, and
:func:`run_record`, the one builder of ``run.json``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from planner.core.network import RoadGraph
from planner.glossary import STATUTORY_QUOTAS, period_label
from planner.locate.quota import QuotaTable
from planner.locate.sites import disagreement_records
from planner.measure.access import AccessResult
from planner.measure.coverage import coverage_story
from planner.measure.history import EarlierRun, change_since
from planner.measure.progress import totals
from planner.propose.water_safety import WaterResult
from planner.records.scenario import Scenario
from planner.records.workspace import Workspace


@dataclass
class RunResult:
    """The validated workspace, the tables of every stage and ``run.json``.

    Attributes
    ----------
    workspace : Workspace
        Validated layers, ledger and metric CRS.
    quota : QuotaTable or None
        The matched quota table (``None`` without ``[quota]``).
    progress : pandas.DataFrame
        Quota progress per town (with ``proposed_*``/``*_after_*`` columns once proposed).
    villages : pandas.DataFrame
        Per village: counts, own sites by kind, access columns.
    run : dict
        The content of ``run.json`` (:func:`run_record`), once the run is complete.
    out : Path or None
        The output folder once written.
    tables : dict
        Further tables (``disagreements``: declared town differs from located town).
    access : AccessResult or None
    proposals : geopandas.GeoDataFrame or None
    water : WaterResult or None
        The water-safety stage's result.
    graph : RoadGraph or None
        The road network the distances were measured on (its lines are drawn on the map).
    staff : dict or None
        County staff totals (``None`` without a staff table).
    findings : list of str
        Findings of validation, the ledger and the quota table.
    roads : dict
        How the road network was obtained (source, counts, clipped ways, OSM water).
    place_summary : dict
        Per kind: what the placement proposed and how (model, status, gap).
    earlier : EarlierRun or None
        The earlier run to report the change since (``planner run --since DIR``).
    scenario : Scenario or None
        The scenario applied to the workspace (``planner run --scenario NAME``).
    """

    workspace: Workspace
    quota: QuotaTable | None
    progress: pd.DataFrame
    villages: pd.DataFrame
    run: dict = field(default_factory=dict)
    out: Path | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    access: AccessResult | None = None
    proposals: gpd.GeoDataFrame | None = None
    water: WaterResult | None = None
    graph: RoadGraph | None = None
    staff: dict | None = None
    findings: list[str] = field(default_factory=list)
    roads: dict = field(default_factory=dict)
    place_summary: dict = field(default_factory=dict)
    earlier: EarlierRun | None = None
    scenario: Scenario | None = None

    @property
    def kinds(self) -> list[str]:
        """The kinds of the quota table (empty without one)."""
        return list(self.quota.kinds) if self.quota is not None else []

    @property
    def as_of(self) -> dt.date:
        """The reporting date: ``[workspace] as_of`` (or ``--as-of``), else today."""
        return self.workspace.settings.as_of or dt.date.today()


def run_record(result: RunResult, *, timings: dict[str, float]) -> dict:
    """``run.json``: inputs read / accepted / rejected per layer, quota totals, coverage,
    proposals, water and the stages' seconds (``timings``), built from ``result`` alone."""
    ws, quota, settings = result.workspace, result.quota, result.workspace.settings
    conflicts = result.tables.get("disagreements")
    quota_totals = totals(result.progress, kinds=result.kinds) if quota else None
    return {
        "workspace": settings.name,
        "county_code": settings.county_code,
        "as_of": result.as_of.isoformat(),
        "period": period_label(result.as_of),
        "issuing_unit": f"{settings.name}民政局",
        "inputs_vintage": input_vintages(settings),
        "metric_crs": ws.crs.to_string(),
        "inputs": ws.ledger.summary(),
        "rejected": len(ws.ledger.rejected),
        "repaired": len(ws.ledger.repairs),
        "towns": len(ws.towns),
        "villages": len(ws.villages),
        "facilities": {k: int(v) for k, v in ws.facilities["kind"].value_counts().items()},
        "quota": quota_totals,
        "since": None if result.earlier is None or not quota_totals else change_since(
            result.earlier, result.progress, quota=quota_totals, kinds=result.kinds),
        "staff": result.staff,
        "quota_defaults": {} if quota is None else {
            kind: {"per_town": STATUTORY_QUOTAS[kind][0], "source": source}
            for kind, source in quota.defaults.items()},
        "quota_matching": quota.matching() if quota else [],
        "towns_without_quota": quota.towns_without_quota if quota else [],
        "located_disagreements": [] if conflicts is None else disagreement_records(conflicts),
        "findings": result.findings,
        "derived": ws.derived,
        "incomplete": ws.ledger.incomplete(),
        "located_by": {k: int(v) for k, v in
                       ws.facilities["location_method"].value_counts().items()}
        if "location_method" in ws.facilities.columns else {},
        "roads": result.roads,
        "access": result.access.summary() if result.access is not None else None,
        "coverage": coverage_story(
            result.villages, method=result.access.method if result.access else None,
            thresholds={k: r.threshold_m for k, r in settings.access.rules.items()}),
        "proposals": {
            "sites": 0 if result.proposals is None else len(result.proposals),
            "by_kind": result.place_summary,
        },
        "water": result.water.summary if result.water is not None else None,
        "scenario": None if result.scenario is None else scenario_record(result.scenario),
        "timings_s": dict(timings),
    }


def scenario_record(scenario: Scenario) -> dict:
    """``run.json`` ``scenario``: its name, the counts of its edits and what it prices."""
    return {"name": scenario.name, "added": len(scenario.added), "moved": len(scenario.moved),
            "removed": len(scenario.removed), "candidates": len(scenario.candidates),
            "water": dict(scenario.water), "prices": dict(scenario.prices)}


def input_vintages(settings) -> list[dict]:
    """When each input is from: its ``vintage`` in ``planner.toml`` or, without one, the
    file's modification date (``source = "file_date"``)."""
    specs = [*settings.layers.values(), *settings.facilities]
    if settings.quota is not None:
        specs.append(settings.quota)
    out = []
    for spec in specs:
        name = getattr(spec, "name", "quota")
        if spec.vintage:
            out.append({"layer": name, "file": spec.path.name, "vintage": spec.vintage,
                        "source": "planner.toml"})
            continue
        try:
            stamp = dt.date.fromtimestamp(spec.path.stat().st_mtime).isoformat()
        except OSError:
            stamp = None
        out.append({"layer": name, "file": spec.path.name, "vintage": stamp,
                    "source": "file_date"})
    return out
