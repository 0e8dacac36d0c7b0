"""Propose: turn each town's quota shortfall into chosen sites.

For every quota kind that has a location (care points, care homes, workstations) the
missing number of each town is filled by :func:`planner.propose.place.propose_sites`. A care-home
quota that asks for the provincial standard is first met by upgrading the town's existing
non-standard care home, which needs no new site. Organisations (``social_org``) have no
site to choose and are reported as missing only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from planner.core.network import RoadGraph, distances_within, reachable_masks, snap
from planner.geo.crs import WGS84
from planner.glossary import PLACEABLE
from planner.locate.quota import QuotaTable
from planner.propose.place import propose_sites
from planner.propose.reach import newly_covered, whole_children
from planner.settings import AccessConfig, PlaceConfig

if TYPE_CHECKING:
    from planner.records.workspace import Workspace
    from planner.settings import Settings


def network_cost(graph: RoadGraph, *, mode: str, limit: float
                 ) -> Callable[[np.ndarray, np.ndarray], object]:
    """A cost function for :func:`planner.propose.place.propose_sites` over the road network.

    Origins (demand) and destinations (sites) in metric x/y are snapped to nodes from which /
    to which the network can be travelled in ``mode`` (see
    :func:`planner.core.network.reachable_masks`) and their snap distances added; pairs farther than
    ``limit`` metres are left out of the sparse result (unreachable for covering models).
    """
    o_mask, d_mask = reachable_masks(graph, mode=mode)

    def cost(origin_xy: np.ndarray, dest_xy: np.ndarray):
        o_node, o_off = snap(origin_xy, node_xy=graph.node_xy, node_mask=o_mask)
        d_node, d_off = snap(dest_xy, node_xy=graph.node_xy, node_mask=d_mask)
        return distances_within(graph, sources=d_node, targets=o_node, limit=limit, mode=mode,
                                source_offsets=d_off, target_offsets=o_off)

    return cost


def _upgrades(progress: pd.DataFrame, facilities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One upgrade per town that lacks a provincial-standard care home but has a basic one."""
    need = progress[(progress["missing_care_home"] > 0)
                    & (progress["all_care_home"] > progress["counted_care_home"])]
    basic = facilities[(facilities["kind"] == "care_home")
                       & (facilities["standard"] != "provincial")
                       & facilities["town_code"].isin(need["town_code"])]
    first = basic.drop_duplicates("town_code")
    return gpd.GeoDataFrame({
        "kind": "care_home", "town_code": first["town_code"].to_numpy(),
        "town_name": first["town_name"].to_numpy(),
        "village_code": first["village_code"].to_numpy(),
        "village_name": first["village_name"].to_numpy(),
        "children_newly_covered": 0, "rank": 0,
        "reason": [f"现有“{n}”升级达到省级标准" for n in first["name"]],
        "method": "upgrade", "source": "existing",
    }, geometry=first.geometry.to_numpy(), crs=WGS84)


def propose_for_quota(progress: pd.DataFrame, *, villages: gpd.GeoDataFrame,
                      facilities: gpd.GeoDataFrame, quota: QuotaTable, crs: CRS,
                      place: PlaceConfig, access: AccessConfig | None = None,
                      candidates: gpd.GeoDataFrame | None = None,
                      demand_points: gpd.GeoDataFrame | None = None,
                      graph: RoadGraph | None = None,
                      ) -> tuple[gpd.GeoDataFrame, dict, pd.DataFrame]:
    """Proposals for every placeable quota kind.

    Parameters
    ----------
    progress : DataFrame
        The progress table (``missing_<kind>`` per town_code).
    place : PlaceConfig
        ``[place]``: model, weights, solver limits.
    access : AccessConfig, optional
        ``[access]``: with it each site's ``children_newly_covered`` is re-measured with the
        demand model of ``coverage.csv`` (:func:`planner.propose.reach.newly_covered`), so the
        proposals' figures add up to the change in ``coverage.csv``; it also gives each
        kind's travel mode on the road network.
    demand_points : GeoDataFrame, optional
        The access stage's demand points (:func:`planner.measure.access.demand_points`).
    graph : RoadGraph, optional
        The road network: distances for placement and re-measuring are network distances
        in each kind's travel mode (straight-line metres when ``None``).

    Returns
    -------
    (sites, summary, after)
        All proposed sites (WGS-84), a JSON-ready summary per kind, and the progress table
        with ``proposed_<kind>``, ``missing_after_<kind>`` and ``pct_after_<kind>``.
    """
    frames, summary = [], {}
    after = progress.copy()
    for kind in quota.kinds:
        if kind not in PLACEABLE:
            summary[kind] = {"proposed": 0, "notes": ["no site to place for this kind: "
                                                      "organisations are reported as missing"]}
            continue
        missing = after.set_index("town_code")[f"missing_{kind}"].astype(int)
        upgrades = None
        if kind == "care_home" and quota.standards.get(kind) == "provincial":
            upgrades = _upgrades(after, facilities)
            missing = missing.sub(upgrades["town_code"].value_counts(), fill_value=0)
            missing = missing.clip(lower=0).astype(int)
        proposal = propose_sites(villages, kind=kind, existing=facilities, crs=crs,
                                 missing_per_town=missing.to_dict(), config=place,
                                 candidates=candidates,
                                 cost=_network_cost(graph, kind=kind, place=place,
                                                    access=access))
        sites = proposal.sites
        extra = {}
        if access is not None and len(sites):
            sites, extra = _remeasure(sites, kind=kind, villages=villages, crs=crs,
                                      facilities=facilities, access=access,
                                      demand_points=demand_points, graph=graph)
        if upgrades is not None and len(upgrades):
            sites = pd.concat([upgrades, sites], ignore_index=True)
            sites["rank"] = np.arange(1, len(sites) + 1)  # upgrades first: no new site
        frames.append(sites)
        summary[kind] = {**proposal.summary, **extra,
                         "upgrades": 0 if upgrades is None else len(upgrades)}
        count = sites.groupby("town_code").size()
        proposed = after["town_code"].map(count).fillna(0).astype(np.int64)
        after[f"proposed_{kind}"] = proposed
        req = after[f"required_{kind}"]
        done = np.minimum(after[f"built_{kind}"] + proposed, req)
        after[f"missing_after_{kind}"] = (req - done).clip(lower=0)
        after[f"pct_after_{kind}"] = (100.0 * done / req.where(req > 0)).round(1).fillna(100.0)
    sites = (gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry",
                              crs=WGS84) if frames else
             gpd.GeoDataFrame(columns=["kind", "town_code", "geometry"], geometry="geometry",
                              crs=WGS84))
    return sites, summary, after


def _remeasure(sites: gpd.GeoDataFrame, *, kind: str, villages, crs, facilities,
               access: AccessConfig, demand_points, graph) -> tuple[gpd.GeoDataFrame, dict]:
    """Sites with ``children_newly_covered`` and ``reason`` from the access demand model."""
    rule = access.rules[kind]
    kids = newly_covered(sites, villages=villages, crs=crs,
                         existing=facilities[facilities["kind"] == kind],
                         demand_points=demand_points, threshold=rule.threshold_m,
                         graph=graph, mode=rule.mode)
    sites = sites.copy()
    sites["children_newly_covered"] = whole_children(kids)
    saved = sites["distance_saved_km"] if "distance_saved_km" in sites else None
    sites["reason"] = [
        f"新增服务半径内儿童 {k} 人" + (f"；儿童加权距离减少 {d:.1f} 公里"
                                  if saved is not None and np.isfinite(d) else "")
        for k, d in zip(sites["children_newly_covered"],
                        saved if saved is not None else np.zeros(len(sites)), strict=True)]
    return sites, {"children_newly_covered": int(sites["children_newly_covered"].sum()),
                   "children_newly_covered_model": "coverage.csv demand model",
                   "mode": rule.mode}


def _network_cost(graph: RoadGraph | None, *, kind: str, place: PlaceConfig,
                  access: AccessConfig | None):
    """The network cost of ``kind`` for :func:`propose_sites` (``None``: straight-line):
    the kind's travel mode from ``[access.<kind>]``, bounded by its coverage distance for
    max cover."""
    if graph is None:
        return None
    mode = access.rules[kind].mode if access is not None else "drive"
    limit = place.threshold(kind) if place.model == "max_cover" else np.inf
    return network_cost(graph, mode=mode, limit=limit)


def propose_stage(ws: Workspace, *, settings: Settings, quota: QuotaTable | None,
                  progress: pd.DataFrame, graph: RoadGraph | None,
                  demand: gpd.GeoDataFrame | None
                  ) -> tuple[gpd.GeoDataFrame | None, dict, pd.DataFrame]:
    """The propose stage on a workspace: :func:`propose_for_quota` with the run's settings,
    road network and demand points; without a quota table nothing is proposed
    (``(None, {}, progress)``)."""
    if quota is None:
        return None, {}, progress
    placed = ws.villages[ws.villages.geometry.notna()]
    if placed.empty:  # a bare village list: where to build cannot be said
        return None, {kind: {"proposed": 0, "notes": [NO_PLACE]} for kind in quota.kinds}, \
            progress
    if demand is not None:
        demand = demand[demand["village_code"].isin(placed["village_code"])]
    sites, summary, after = propose_for_quota(
        progress, villages=placed, facilities=ws.facilities[ws.facilities.geometry.notna()],
        quota=quota, crs=ws.crs, place=settings.place, access=settings.access,
        candidates=ws.extra.get("candidates"), demand_points=demand, graph=graph)
    if len(placed) < len(ws.villages):
        note = (f"{len(ws.villages) - len(placed)} 个村（居）没有村界或位置，不作候选也不计需求 / "
                "villages without geometry are neither candidates nor demand")
        for kind_summary in summary.values():
            kind_summary.setdefault("notes", []).append(note)
    return sites, summary, after


#: why no site is proposed in a workspace whose villages have no geometry
NO_PLACE = ("村（居）没有村界或位置，无法选址；各镇缺口见任务进度表 / the villages have no "
            "geometry: no sites can be placed; the missing numbers are in the annex")
