"""Access: travel distance from every village to the nearest site of each kind, and coverage.

Geo adapter around :mod:`planner.core.network`. Demand locations (one per village, or
population-weighted points) and sites are projected into the caller's metric CRS,
snapped onto nodes of the road network from which (demand) or to which (sites) the
network can be travelled in the kind's mode (:func:`planner.core.network.reachable_masks`;
snap distances recorded, included in the distance and summarised per layer and mode),
and one multi-source Dijkstra pass per kind gives every
demand location its nearest site. Without a road network the straight-line distance
is used instead and the result says so (``method == "straight_line"``).

Definitions
-----------
- Distance of a demand point = its snap distance + network distance + the site's
  snap distance (straight line when there is no network).
- Village distance with ``demand_points`` = the weight-averaged distance of the
  village's points; the village's children are apportioned to its points by weight
  for the coverage shares (``covshare_<kind>`` = weight share within threshold).
  Villages with no demand point fall back to their polygon's point on surface.
- ``covered_<kind>`` = the village distance is within the kind's threshold.
- Travel time = distance / speed of the kind's mode.
- Unmet need of a kind = children x max(0, distance - threshold), in child-km;
  ``unmet_need`` sums the kinds that have sites; ``unmet_rank`` 1 is the worst.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
from scipy.spatial import cKDTree

from planner._errors import CRSError, InputFileError
from planner.core.network import (
    RoadGraph,
    nearest_source_distance,
    reachable_masks,
    snap_report,
    snap_to_graph,
)
from planner.glossary import CHILD_GROUPS, KINDS
from planner.records.workspace import Workspace
from planner.settings import AccessConfig

VILLAGE_COLUMNS = (
    "village_code", "village_name", "town_code", "town_name",
    "children", "left_behind", "vulnerable", "under5",
)
SITE_COLUMNS = ("facility_id", "kind", "standard")


@dataclass(frozen=True, eq=False)
class AccessResult:
    """Outcome of :func:`compute_access`.

    Attributes
    ----------
    villages : pandas.DataFrame
        One row per village: identity and counts, then per kind ``dist_m_<kind>``,
        ``time_min_<kind>``, ``covered_<kind>``, ``covshare_<kind>``,
        ``nearest_<kind>`` (facility_id), ``unmet_<kind>`` (child-km); the snap
        distances ``snap_m_walk``/``snap_m_drive``; ``unmet_need`` and ``unmet_rank``.
    coverage : pandas.DataFrame
        Long table, one row per (town or county total, kind): ``level``
        (``town``/``county``), ``town_code``, ``town_name``, ``kind``, ``mode``,
        ``threshold_m``, and for each group in children/left_behind/vulnerable the
        total, the number covered (``<group>_covered``) and ``share_<group>``.
    sites : pandas.DataFrame
        ``facility_id``, ``kind``, ``snap_m`` (to the network of the kind's mode).
    method : str
        ``"network"`` or ``"straight_line"``.
    notes : tuple of str
        Plain-language remarks (fallbacks, kinds without sites, ...).
    """

    villages: pd.DataFrame
    coverage: pd.DataFrame
    sites: pd.DataFrame
    method: str
    notes: tuple[str, ...]
    snapping: dict = field(default_factory=dict)

    def ranking(self) -> pd.DataFrame:
        """Villages with unmet need, worst first."""
        v = self.villages
        return v[v["unmet_need"] > 0].sort_values(["unmet_rank"]).reset_index(drop=True)

    def summary(self) -> dict:
        """JSON-ready figures for ``run.json``: method, notes, county shares per kind."""
        county = self.coverage[self.coverage["level"] == "county"]
        shares = {
            row.kind: {g: _json_float(getattr(row, f"share_{g}")) for g in CHILD_GROUPS}
            for row in county.itertuples()
        }
        return {
            "method": self.method,
            "notes": list(self.notes),
            "county_shares": shares,
            "villages_with_unmet_need": int((self.villages["unmet_need"] > 0).sum()),
            "snapping": self.snapping,
        }


def _json_float(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)


def _metric_crs(crs) -> pyproj.CRS:
    c = pyproj.CRS(crs)
    if not c.is_projected:
        raise CRSError(f"access needs a projected metric CRS, got {c.name}; use estimate_utm_crs")
    return c


def _check_layer(gdf, columns, name: str) -> None:
    if gdf.crs is None or not pyproj.CRS(gdf.crs).equals(pyproj.CRS("EPSG:4326")):
        raise CRSError(
            f"{name} layer must be in WGS-84 (EPSG:4326), got {gdf.crs}; convert it first"
        )
    missing = [c for c in columns if c not in gdf.columns]
    if missing:
        raise InputFileError(f"{name} layer lacks column(s) {', '.join(missing)}; add them")


def _demand(villages, demand_points, crs, notes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Demand point xy, owning village row and normalised weight (sums to 1 per village)."""
    n = len(villages)
    surface = villages.geometry.to_crs(crs).representative_point()
    sxy = np.column_stack([surface.x.to_numpy(), surface.y.to_numpy()])
    if demand_points is None:
        return sxy, np.arange(n), np.ones(n)
    _check_layer(demand_points, ("village_code", "weight"), "demand points")
    codes = pd.Index(villages["village_code"].astype(str))
    if not codes.is_unique:
        raise InputFileError("villages layer has duplicate village_code values; make them unique")
    row = codes.get_indexer(demand_points["village_code"].astype(str))
    if (row < 0).any():
        bad = demand_points["village_code"].iloc[int(np.flatnonzero(row < 0)[0])]
        raise InputFileError(f"demand point village_code {bad!r} is not a village; fix the code")
    w = pd.to_numeric(demand_points["weight"], errors="coerce").to_numpy(dtype=float)
    if not np.all(np.isfinite(w)) or (w < 0).any():
        raise InputFileError("demand point weight must be a number >= 0; fix the weight column")
    pts = demand_points.geometry.to_crs(crs)
    if not pts.geom_type.eq("Point").all():
        raise InputFileError("demand points must be Point geometries; fix the demand layer")
    pxy = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
    tot = np.bincount(row, weights=w, minlength=n)
    cnt = np.bincount(row, minlength=n)
    w = np.where(tot[row] > 0, w / np.where(tot[row] > 0, tot[row], 1), 1.0 / cnt[row])
    lone = np.flatnonzero(cnt == 0)
    if lone.size:
        notes.append(f"{lone.size} village(s) without demand points use their polygon's point")
    return np.r_[pxy, sxy[lone]], np.r_[row, lone], np.r_[w, np.ones(lone.size)]


def compute_access(
    villages: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    crs,
    config: AccessConfig,
    graph: RoadGraph | None = None,
    demand_points: gpd.GeoDataFrame | None = None,
) -> AccessResult:
    """Distance and travel time from every village to the nearest site of each kind.

    Parameters
    ----------
    villages : geopandas.GeoDataFrame
        WGS-84 village polygons with :data:`VILLAGE_COLUMNS`.
    sites : geopandas.GeoDataFrame
        WGS-84 site points with ``facility_id``, ``kind`` (one of
        :data:`planner.glossary.KINDS`), ``standard``.
    crs : pyproj.CRS
        Projected metric CRS (the graph's node coordinates are in it).
    config : AccessConfig
        Thresholds, modes and speeds.
    graph : RoadGraph, optional
        Road network in ``crs``; ``None`` (or no edges) -> straight-line distances.
    demand_points : geopandas.GeoDataFrame, optional
        WGS-84 points with ``village_code`` and ``weight`` (see module docstring).

    Returns
    -------
    AccessResult
    """
    crs = _metric_crs(crs)
    _check_layer(villages, VILLAGE_COLUMNS, "villages")
    _check_layer(sites, SITE_COLUMNS, "sites")
    bad = ~sites["kind"].isin(list(KINDS))
    if bad.any():
        raise InputFileError(
            f"sites row {int(np.flatnonzero(bad.to_numpy())[0])}: kind "
            f"{sites['kind'][bad].iloc[0]!r} is unknown; use one of {', '.join(KINDS)}"
        )
    if not sites.geometry.geom_type.eq("Point").all():
        raise InputFileError("sites must be Point geometries; fix the sites layer")
    villages = villages.reset_index(drop=True)
    sites = sites.reset_index(drop=True)
    notes: list[str] = []
    dxy, drow, dw = _demand(villages, demand_points, crs, notes)
    sp_ = sites.geometry.to_crs(crs)
    sxy = np.column_stack([sp_.x.to_numpy(), sp_.y.to_numpy()])
    kinds = sites["kind"].to_numpy()
    nv = len(villages)

    modes = sorted({r.mode for r in config.rules.values()})
    use_net = graph is not None and all(graph.matrix(m).nnz > 0 for m in modes)
    method = "network" if use_net else "straight_line"
    if not use_net:
        why = "no road network was given"
        if graph is not None:
            why = "the road network has no usable edges"
        notes.append(f"straight-line distances used: {why}")
    snaps: dict[str, tuple] = {}
    snapping: dict[str, dict] = {"demand": {}, "sites": {}}
    if use_net:
        for m in modes:
            snaps[m] = _snap_mode(graph, m, dxy, sxy, snapping, notes)

    out = villages.drop(columns=villages.geometry.name).copy()
    site_snap = np.full(len(sites), np.nan)
    for m in modes if use_net else []:
        out[f"snap_m_{m}"] = np.bincount(drow, weights=dw * snaps[m][0][1], minlength=nv)
    children = out["children"].to_numpy(dtype=float)
    unmet_total = np.zeros(nv)
    for kind in KINDS:
        rule = config.rules[kind]
        idx = np.flatnonzero(kinds == kind)
        if idx.size == 0:
            notes.append(f"no {kind} sites: distances are infinite and nobody is covered")
            pd_ = np.full(dxy.shape[0], np.inf)
            near = np.full(dxy.shape[0], -1)
        elif use_net:
            (dnode, dsnap), (snode, ssnap) = snaps[rule.mode]
            site_snap[idx] = ssnap[idx]
            dist, pos = nearest_source_distance(
                graph, sources=snode[idx], offsets=ssnap[idx], mode=rule.mode
            )
            pd_ = dsnap + dist[dnode]
            near = np.where(pos[dnode] >= 0, idx[np.maximum(pos[dnode], 0)], -1)
        else:
            pd_, j = cKDTree(sxy[idx]).query(dxy)
            near = idx[j]
        with np.errstate(invalid="ignore"):
            vd = np.bincount(drow, weights=dw * np.where(np.isinf(pd_), 0, pd_), minlength=nv)
        vd[np.bincount(drow, weights=np.isinf(pd_), minlength=nv) > 0] = np.inf
        within = pd_ <= rule.threshold_m
        out[f"dist_m_{kind}"] = vd
        out[f"time_min_{kind}"] = vd / config.speed_m_per_min(rule.mode)
        out[f"covered_{kind}"] = vd <= rule.threshold_m
        out[f"covshare_{kind}"] = np.bincount(drow, weights=dw * within, minlength=nv)
        out[f"nearest_{kind}"] = _nearest_id(sites["facility_id"], near, drow, dw, nv)
        if idx.size:
            excess = np.maximum(0.0, vd - rule.threshold_m) / 1000.0
            with np.errstate(invalid="ignore"):  # 0 children x inf km = 0
                unmet = np.where(children > 0, children * excess, 0.0)
            unmet_total += unmet
            out[f"unmet_{kind}"] = unmet
        else:
            out[f"unmet_{kind}"] = np.nan
    out["unmet_need"] = unmet_total
    order = np.lexsort((out["village_code"].astype(str).to_numpy(), -unmet_total))
    rank = np.empty(nv, dtype=np.int64)
    rank[order] = np.arange(1, nv + 1)
    out["unmet_rank"] = rank
    site_df = pd.DataFrame(
        {"facility_id": sites["facility_id"], "kind": sites["kind"], "snap_m": site_snap}
    )
    cov = _coverage(out, config)
    return AccessResult(
        villages=out, coverage=cov, sites=site_df, method=method, notes=tuple(notes),
        snapping=snapping if use_net else {},
    )


def _snap_mode(graph: RoadGraph, mode: str, dxy: np.ndarray, sxy: np.ndarray,
               report: dict, notes: list[str]) -> tuple:
    """Snap demand to origin nodes and sites to destination nodes of ``mode``; record how."""
    origin, dest = reachable_masks(graph, mode=mode)
    m = graph.matrix(mode)
    n = graph.n_nodes
    has_edge = (np.diff(m.indptr) > 0) | (np.bincount(m.indices, minlength=n) > 0)
    out = []
    for layer, xy, mask, end in (("demand", dxy, origin, "origin"),
                                 ("sites", sxy, dest, "destination")):
        node, dist = snap_to_graph(xy, graph, mode=mode, end=end)
        near, _ = snap_to_graph(xy, graph, mode=mode, end="any")
        report[layer][mode] = snap_report(dist, nearest_ok=mask[near])
        report[layer][mode]["network_nodes"] = int(has_edge.sum())
        report[layer][mode]["reachable_nodes"] = int(mask.sum())
        moved = report[layer][mode]["moved_to_reachable"]
        if moved:
            what = "demand point(s)" if layer == "demand" else "site(s)"
            notes.append(f"{moved} {what} lie nearest to {mode} roads cut off from the "
                         "network and were snapped to the nearest reachable road instead")
        out.append((node, dist))
    return tuple(out)


def _nearest_id(fid: pd.Series, near: np.ndarray, drow, dw, nv) -> np.ndarray:
    """facility_id of the nearest site of each village's heaviest demand point."""
    order = np.lexsort((-dw, drow))
    first = np.ones(order.size, dtype=bool)
    first[1:] = drow[order][1:] != drow[order][:-1]
    best = np.full(nv, -1)
    best[drow[order][first]] = near[order][first]
    ids = fid.to_numpy(dtype=object)
    return np.where(best >= 0, ids[np.maximum(best, 0)] if ids.size else None, None)


def _coverage(v: pd.DataFrame, config: AccessConfig) -> pd.DataFrame:
    """Per-town and county shares of each group covered, per kind."""
    frames = []
    for kind in KINDS:
        share = v[f"covshare_{kind}"].to_numpy()
        cols = {g: v[g].to_numpy(dtype=float) for g in CHILD_GROUPS}
        cols.update({f"{g}_covered": v[g].to_numpy(dtype=float) * share for g in CHILD_GROUPS})
        df = pd.DataFrame(cols)
        df["town_code"] = v["town_code"].astype(str).to_numpy()
        df["town_name"] = v["town_name"].astype(str).to_numpy()
        town = df.groupby(["town_code", "town_name"], sort=True, as_index=False).sum()
        town.insert(0, "level", "town")
        total = df.drop(columns=["town_code", "town_name"]).sum().to_frame().T
        total.insert(0, "level", "county")
        total.insert(1, "town_code", "")
        total.insert(2, "town_name", "")
        both = pd.concat([town, total], ignore_index=True)
        both.insert(3, "kind", kind)
        both.insert(4, "mode", config.rules[kind].mode)
        both.insert(5, "threshold_m", config.rules[kind].threshold_m)
        frames.append(both)
    cov = pd.concat(frames, ignore_index=True)
    for g in CHILD_GROUPS:
        tot = cov[g].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            safe = np.where(tot > 0, tot, 1.0)
            cov[f"share_{g}"] = np.where(tot > 0, cov[f"{g}_covered"] / safe, np.nan)
    return cov


def demand_points(ws: Workspace) -> gpd.GeoDataFrame | None:
    """Population-weighted demand points (hamlets weighted by children), when given."""
    homes = ws.extra.get("settlements")
    if homes is None or "children" not in homes.columns or "village_code" not in homes.columns:
        return None
    weight = pd.to_numeric(homes["children"], errors="coerce").fillna(0)
    known = homes["village_code"].isin(ws.villages["village_code"])
    return gpd.GeoDataFrame({"village_code": homes["village_code"], "weight": weight},
                            geometry=homes.geometry, crs=homes.crs)[known & (weight > 0)]


def demand_children(villages: gpd.GeoDataFrame, demand_points: gpd.GeoDataFrame | None, *,
                    crs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The demand model of :func:`compute_access` as points: metric xy, owning village row
    and children apportioned to each point (they add up to each village's children).

    Other stages that count "children within reach" (proposals' newly covered children)
    use this so that their figures add up with ``coverage.csv``.
    """
    villages = villages.reset_index(drop=True)
    xy, row, weight = _demand(villages, demand_points, _metric_crs(crs), [])
    children = pd.to_numeric(villages["children"], errors="coerce").fillna(0).to_numpy(float)
    return xy, row, children[row] * weight


def measure_access(ws: Workspace, *, access: AccessConfig, villages: pd.DataFrame,
                   graph: RoadGraph | None, demand: gpd.GeoDataFrame | None
                   ) -> tuple[AccessResult, pd.DataFrame]:
    """The access stage: :func:`compute_access` on the workspace, and ``villages`` (the
    measure stage's villages table) joined with each village's distances.

    ``demand`` is :func:`demand_points` of ``ws``, computed once per run and shared with
    the propose stage. Distances need positions: villages without a geometry (a bare village
    list) and sites without a position are left out and the result says so in its notes; the
    left-out villages' distance columns stay empty (unknown, not far). Without any village
    geometry nothing is measured (``method == "none"``).
    """
    placed = ws.villages[ws.villages.geometry.notna()]
    sites = ws.facilities[ws.facilities.geometry.notna()]
    notes = _unplaced_notes(ws.villages, ws.facilities)
    if placed.empty:
        result = _not_measured(ws.villages, sites, notes)
    else:
        if demand is not None:
            demand = demand[demand["village_code"].isin(placed["village_code"])]
        result = compute_access(placed, sites, crs=ws.crs, config=access, graph=graph,
                                demand_points=demand)
        if notes:
            result = replace(result, notes=(*result.notes, *notes))
    shared = [c for c in result.villages.columns if c in villages.columns and c != "village_code"]
    table = villages.merge(result.villages.drop(columns=shared), on="village_code", how="left")
    table["distance_method"] = result.method
    return result, table


def _unplaced_notes(villages: gpd.GeoDataFrame, sites: gpd.GeoDataFrame) -> list[str]:
    """What the distances lack: villages and sites without a position, approximate sites."""
    notes = []
    lost = int(villages.geometry.isna().sum())
    if lost:
        notes.append(f"{lost} 个村（居）没有村界或位置，未计算距离和服务半径内儿童 / {lost} "
                     "villages have no geometry: no distances or coverage for them")
    how = sites.get("location_method", pd.Series("coordinates", index=sites.index))
    nowhere = int(sites.geometry.isna().sum())
    if nowhere:
        notes.append(f"{nowhere} 个阵地没有位置（所在村无村界），未参与距离计算 / {nowhere} sites "
                     "have no position and are left out of the distances")
    rough = int(how.isin(["village_point", "town_point"]).sum())
    if rough:
        notes.append(f"{rough} 个阵地位置为村（镇）代表点，相关距离为近似值 / {rough} sites "
                     "stand at their village's (town's) representative point: their distances "
                     "are approximate")
    return notes


def _not_measured(villages: gpd.GeoDataFrame, sites: gpd.GeoDataFrame,
                  notes: list[str]) -> AccessResult:
    """The access result of a workspace without any village geometry: nothing measured."""
    cols = ["level", "town_code", "town_name", "kind", "mode", "threshold_m"]
    out = pd.DataFrame(villages.drop(columns=villages.geometry.name))
    out["unmet_need"] = np.nan
    out["unmet_rank"] = pd.array([pd.NA] * len(out), dtype="Int64")
    return AccessResult(
        villages=out, coverage=pd.DataFrame(columns=cols), method="none",
        sites=pd.DataFrame({"facility_id": sites["facility_id"], "kind": sites["kind"],
                            "snap_m": np.nan}),
        notes=("没有村界或村的位置：距离与服务半径内儿童均未计算 / no village geometry: no "
               "distances or coverage were measured", *notes))
