"""The studio's engine: the workspace read once, a scenario's figures computed by the same
stage functions ``planner run`` calls.

What does not change with a scenario is done once when the studio starts: the workspace is
loaded and validated, the road network read, the quota table matched, the water measured
(:class:`planner.studio.kit_desk.KitDesk`). Every figure of a scenario then comes from the run's
own code on the edited workspace -- :func:`planner.validate.scenario_edits.apply_scenario`,
:func:`planner.locate.sites.locate_facilities`, :func:`planner.measure.measure`,
:func:`planner.measure.access.measure_access`, :func:`planner.measure.coverage.coverage_story`,
:func:`planner.measure.progress.totals` and the budgeted kit choice -- so that ``planner run
--scenario NAME`` prints the same numbers.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planner._errors import ConfigError
from planner.glossary import KINDS, PLACEABLE, SHORT_LABELS
from planner.locate import locate
from planner.locate.quota import QuotaTable
from planner.locate.sites import locate_facilities, locate_points
from planner.measure import Measures, measure
from planner.measure.access import demand_points, measure_access
from planner.measure.coverage import coverage_story
from planner.measure.progress import totals
from planner.pipeline import settings_for
from planner.records.privacy import mask_personal
from planner.records.scenario import Scenario
from planner.records.workspace import Workspace
from planner.settings import Settings
from planner.studio.kit_desk import KitDesk
from planner.validate.intake import check_size, load_workspace
from planner.validate.roads import load_roads
from planner.validate.scenario_edits import apply_scenario, scenario_settings


@dataclass
class Evaluated:
    """A scenario run through the stages up to access: what the figures and the
    suggestions are made from."""

    settings: Settings
    workspace: Workspace
    measured: Measures
    villages: pd.DataFrame
    method: str


class Engine:
    """A workspace read once (module doc); :meth:`evaluate` and :meth:`figures` per
    scenario. Thread-safe: one evaluation at a time."""

    def __init__(self, workspace: str | Path | None = None) -> None:
        settings = settings_for(workspace)
        ws = load_workspace(settings)
        check_size(ws)
        self.settings, self.base = settings, ws
        self.root = Path(settings.root)
        self.graph, self.roads = load_roads(settings, ws, online=False, progress=False)
        self.demand = demand_points(ws)
        self.quota: QuotaTable | None = locate(replace(ws, ledger=ws.ledger.copy()),
                                               settings=settings)
        self.kits = KitDesk(ws, graph=self.graph) if "water" in ws.extra else None
        self.lock = threading.RLock()
        self._sites: OrderedDict[str, dict[str, Any]] = OrderedDict()

    @property
    def kinds(self) -> list[str]:
        """The kinds of the quota table (every kind without one)."""
        return list(self.quota.kinds) if self.quota is not None else list(KINDS)

    def evaluate(self, scenario: Scenario) -> Evaluated:
        """The scenario's workspace located, measured and with access measured (raises the
        run's one-line :class:`planner._errors.PlannerError` for an unusable edit)."""
        with self.lock:
            settings = scenario_settings(self.settings, scenario)
            ws = apply_scenario(replace(self.base, settings=settings), scenario)
            if ws is self.base:
                ws = replace(ws, ledger=ws.ledger.copy())
            _check_placed(ws, scenario)
            ws.facilities = locate_facilities(
                ws.facilities, villages=ws.villages, crs=ws.crs,
                tolerance_m=settings.locate_tolerance_m, aliases=settings.aliases,
                ledger=ws.ledger)
            measured = measure(ws, quota=self.quota, settings=settings)
            access, villages = measure_access(ws, access=settings.access,
                                              villages=measured.villages, graph=self.graph,
                                              demand=self.demand)
            return Evaluated(settings, ws, measured, villages, access.method)

    def figures(self, scenario: Scenario) -> dict[str, Any]:
        """Every figure the studio shows for ``scenario`` (see docs/studio.md). The site
        figures are kept for the last scenarios' sites, so a budget or price change only
        reruns the kit choice."""
        t0 = time.perf_counter()
        settings = scenario_settings(self.settings, scenario)
        key = json.dumps([scenario.to_dict()[k] for k in ("added", "moved", "removed")],
                         sort_keys=True)
        with self.lock:
            if key not in self._sites:
                self._sites[key] = self._site_figures(scenario)
                while len(self._sites) > 16:
                    self._sites.popitem(last=False)
            self._sites.move_to_end(key)
            sites = self._sites[key]
        kits = self.kits.figures(settings.water) if self.kits is not None else None
        sites_yuan = float(sum(settings.place.site_yuan.get(e.kind, 0.0)
                               for e in scenario.added))
        kits_yuan = float(kits["spend_yuan"]) if kits else 0.0
        return {**sites, "kits": kits,
                "cost": {"sites_yuan": sites_yuan, "kits_yuan": kits_yuan,
                         "total_yuan": round(sites_yuan + kits_yuan, 2)},
                "seconds": round(time.perf_counter() - t0, 4)}

    def _site_figures(self, scenario: Scenario) -> dict[str, Any]:
        """The sites, both coverage measures and the annex of ``scenario``."""
        ev = self.evaluate(scenario)
        story = coverage_story(ev.villages, method=ev.method,
                               thresholds={k: r.threshold_m
                                           for k, r in ev.settings.access.rules.items()})
        return {"sites": site_features(ev.workspace.facilities, scenario),
                "coverage": {k: _coverage(k, v) for k, v in story.items()},
                "annex": self._annex(ev.measured.progress)}

    def _annex(self, progress: pd.DataFrame) -> dict[str, Any] | None:
        """The annex table (任务数 / 已建 / 缺口 / 完成率) per town and in total."""
        if self.quota is None:
            return None
        kinds = self.kinds
        rows = []
        for rec in progress.to_dict("records"):
            row = {"town_code": str(rec["town_code"]), "town_name": str(rec["town_name"])}
            for kind in kinds:
                req, built = int(rec[f"required_{kind}"]), int(rec[f"built_{kind}"])
                row[kind] = {"required": req, "built": built,
                             "missing": int(rec[f"missing_{kind}"]),
                             "pct": round(100.0 * built / req, 1) if req else None}
            rows.append(row)
        total = totals(progress, kinds=kinds)
        return {"kinds": kinds, "labels": {k: SHORT_LABELS.get(k, KINDS[k][0]) for k in kinds},
                "rows": rows,
                "total": {k: {"required": total[k]["required"], "built": total[k]["built"],
                              "missing": total[k]["missing"], "pct": total[k]["percent"]}
                          for k in kinds}}

    def placeable(self) -> list[str]:
        """Kinds the studio can suggest places for (quota kinds that can be placed)."""
        return [k for k in self.kinds if k in PLACEABLE]


def _check_placed(ws: Workspace, scenario: Scenario) -> None:
    """Refuse a scenario with an added or moved site that the run could not locate (it
    would be listed in rejected.csv and be missing from every figure), by the locating
    stage's own rule (:func:`planner.locate.sites.locate_points`)."""
    ids = {e.facility_id: e for e in (*scenario.added, *scenario.moved)}
    if not ids:
        return
    edited = ws.facilities[ws.facilities["facility_id"].isin(list(ids))]
    where = locate_points(edited, villages=ws.villages, crs=ws.crs,
                          tolerance_m=ws.settings.locate_tolerance_m)
    for fid in edited.loc[where["located_by"] == "", "facility_id"]:
        edit = ids[fid]
        raise ConfigError(f"阵地位置（{edit.lon:.5f}, {edit.lat:.5f}）不在任何村（居）内，"
                              "请放在村界内 / the site is not inside any village: place it "
                              "inside one")


def _coverage(kind: str, story: dict) -> dict[str, Any]:
    """One kind's two measures in the studio's keys."""
    own, reach = story["own_site"], story.get("within_reach")
    return {"label": KINDS[kind][0],
            "own_site": {"villages": own["villages"], "villages_total": own["villages_total"],
                         "villages_pct": own["share_villages"], "children": own["children"],
                         "children_pct": own["share_children"]},
            "within_reach": None if reach is None else {
                "children": reach["children"], "children_total": reach["children_total"],
                "pct": reach["share_children"], "threshold_m": reach["threshold_m"]}}


def site_features(facilities: gpd.GeoDataFrame, scenario: Scenario) -> dict[str, Any]:
    """The scenario's located sites as a GeoJSON FeatureCollection (WGS-84)."""
    fac = facilities[facilities.geometry.notna()]
    added = {e.facility_id for e in scenario.added}
    moved = {e.facility_id for e in scenario.moved}
    ids = fac["facility_id"].astype(str).to_numpy()
    origin = np.where(np.isin(ids, list(added)), "added",
                      np.where(np.isin(ids, list(moved)), "moved", "base"))
    xs, ys = fac.geometry.x.to_numpy(), fac.geometry.y.to_numpy()
    names = fac["name"].fillna("").astype(str).map(mask_personal)  # a site, never a person
    props = zip(ids, fac["kind"].astype(str), names,
                fac["village_name"].fillna("").astype(str),
                fac["town_name"].fillna("").astype(str), origin, strict=True)
    feats = [{"type": "Feature",
              "geometry": {"type": "Point", "coordinates": [round(float(x), 7),
                                                            round(float(y), 7)]},
              "properties": {"facility_id": i, "kind": k, "label": KINDS.get(k, (k,))[0],
                             "name": n, "village_name": v, "town_name": t, "origin": str(o)}}
             for (i, k, n, v, t, o), x, y in zip(props, xs, ys, strict=True)]
    return {"type": "FeatureCollection", "features": feats}
