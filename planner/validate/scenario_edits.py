"""A scenario applied to a loaded workspace and its settings, before the sites are located.

``planner run --scenario NAME`` and ``planner studio`` both go through these two functions, so
that a scenario's figures are the same wherever they are computed:

- :func:`scenario_settings`: the kit budget and unit prices (kit items, new sites) of the
  scenario replace those of ``planner.toml``;
- :func:`apply_scenario`: sites removed (listed in ``rejected.csv`` with the scenario's name
  as the reason, so the books still balance), moved (the new position decides the village)
  and added (a record of the scenario file, located like any other site), and the marked
  candidate places added to the candidate layer.
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import geopandas as gpd
import pandas as pd
import shapely

from planner._errors import ConfigError
from planner.glossary import KINDS, STANDARD_KINDS
from planner.records.ledger import WITHDRAWN
from planner.records.scenario import FOLDER, Scenario, SiteEdit
from planner.records.workspace import Workspace
from planner.settings import DEFAULT_PRICES, Settings

#: the ``location_method`` of a site placed by the scenario (its position is exact)
_PLACED = "coordinates"


def scenario_file(scenario: Scenario) -> str:
    """The file name a scenario's records carry in the ledger and ``rejected.csv``."""
    return f"{FOLDER}/{scenario.name or '未保存'}.toml"


def scenario_settings(settings: Settings, scenario: Scenario) -> Settings:
    """``settings`` with the scenario's kit budget and unit prices (unknown price keys
    refused with the keys that exist)."""
    site_keys = {f"site_{k}": k for k in settings.place.site_yuan}
    bad = set(scenario.prices) - set(DEFAULT_PRICES) - set(site_keys)
    if bad:
        raise ConfigError(f"{scenario_file(scenario)}: 未知单价 {', '.join(sorted(bad))}；可用 "
                          f"{', '.join([*DEFAULT_PRICES, *site_keys])} / unknown price keys")
    water = settings.water
    kit = {k: v for k, v in scenario.prices.items() if k in DEFAULT_PRICES}
    if kit:
        water = replace(water, prices=MappingProxyType({**water.prices, **kit}))
    if "budget_yuan" in scenario.water:
        water = replace(water, budget_yuan=float(scenario.water["budget_yuan"]))
    sites = {site_keys[k]: v for k, v in scenario.prices.items() if k in site_keys}
    place = settings.place
    if sites:
        place = replace(place, site_yuan=MappingProxyType({**place.site_yuan, **sites}))
    return replace(settings, water=water, place=place)


def _check_kind(edit: SiteEdit, *, where: str) -> None:
    if edit.kind not in KINDS:
        raise ConfigError(f"{where}: 阵地类型 {edit.kind!r} 未知；可用 {', '.join(KINDS)} / "
                          "unknown site kind")


def _points(edits: list[SiteEdit]) -> gpd.GeoSeries:
    return gpd.GeoSeries(shapely.points([e.lon for e in edits], [e.lat for e in edits]),
                         crs="EPSG:4326")


def _added_rows(scenario: Scenario, columns: pd.Index, *, file: str) -> gpd.GeoDataFrame:
    """The scenario's new sites as records of the facilities layer (before locating)."""
    for edit in scenario.added:
        _check_kind(edit, where=file)
    n = len(scenario.added)
    kinds = [e.kind for e in scenario.added]
    rows = pd.DataFrame({
        "_row": range(1, n + 1),
        "name": [f"{KINDS[k][0]}（方案新增）" for k in kinds],
        "kind": kinds,
        # a site built under a plan is built to the standard its kind has
        "standard": ["provincial" if k in STANDARD_KINDS else "basic" for k in kinds],
        "_datum": "wgs84", "_file": file, "location_method": _PLACED,
        "facility_id": [e.facility_id for e in scenario.added]})
    for col in columns:
        if col not in rows.columns and col != "geometry":
            rows[col] = ""
    return gpd.GeoDataFrame(rows, geometry=_points(scenario.added).to_numpy(), crs="EPSG:4326")


def apply_scenario(ws: Workspace, scenario: Scenario) -> Workspace:
    """The workspace with the scenario's site edits and candidates (see module doc); ``ws``
    itself is left as it was. Every id the scenario names must be a site of the workspace."""
    if scenario.is_empty():
        return ws
    file = scenario_file(scenario)
    fac = ws.facilities
    ids = set(fac["facility_id"])
    named = [*scenario.removed, *(m.facility_id for m in scenario.moved)]
    unknown = [i for i in named if i not in ids]
    if unknown:
        raise ConfigError(f"{file}: 阵地 {unknown[0]!r} 不在当前阵地表中（共 {len(unknown)} 个）；"
                          "请在规划工作台重新编辑该方案 / the scenario names a site the "
                          "workspace no longer has")
    clash = ids & {a.facility_id for a in scenario.added}
    if clash:
        raise ConfigError(f"{file}: 新增阵地编号 {sorted(clash)[0]!r} 与已有阵地重复 / an added "
                          "site reuses an existing id")
    ledger = ws.ledger.copy()
    gone = fac["facility_id"].isin(scenario.removed)
    for src, rows in fac[gone].groupby("_file"):
        ledger.reject("facilities", src, rows,
                      f"{WITHDRAWN}（方案“{scenario.name or '未保存'}”） / removed in the "
                      "scenario")
    fac = fac[~gone].copy()
    if scenario.moved:
        where = {m.facility_id: m for m in scenario.moved}
        hit = fac["facility_id"].isin(list(where))
        moves = [where[i] for i in fac.loc[hit, "facility_id"]]
        fac.loc[hit, "geometry"] = _points(moves).to_numpy()
        fac.loc[hit, "location_method"] = _PLACED
        for col in ("declared_village", "declared_village_code"):
            if col in fac.columns:  # the new position decides the village
                fac.loc[hit, col] = ""
    if scenario.added:
        added = _added_rows(scenario, fac.columns, file=file)
        ledger.read("facilities", file, len(added), encoding="utf-8",
                    shown=("name", "kind", "standard"))
        fac = pd.concat([fac, added[[c for c in fac.columns if c in added.columns]]],
                        ignore_index=True)
    extra = dict(ws.extra)
    if scenario.candidates:
        marked = gpd.GeoDataFrame({"source": "scenario"},
                                  index=range(len(scenario.candidates)),
                                  geometry=_points(scenario.candidates).to_numpy(),
                                  crs="EPSG:4326")
        old = extra.get("candidates")
        extra["candidates"] = marked if old is None else pd.concat(
            [old.to_crs("EPSG:4326"), marked], ignore_index=True)
    return replace(ws, facilities=gpd.GeoDataFrame(fac, geometry="geometry", crs="EPSG:4326"),
                   extra=extra, ledger=ledger)
