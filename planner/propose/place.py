"""Propose new sites: the GeoDataFrame adapter around :mod:`planner.core.optimise`.

Demand is one point per village (its polygon's representative point, computed in the metric
CRS) weighted by its children (see :meth:`PlaceConfig.demand_weights`). Candidates are, by
default, the same village points — so a proposal always lies inside its village and town —
except villages that already hold a site of the kind; a workspace may give a candidate layer
instead (points; rows with a true ``exclude`` column or a non-empty ``exclude_reason`` are
excluded, points outside every village are dropped with a note). Existing sites of the kind are
fixed: demand they already cover adds nothing (maximal covering), or they keep serving demand
unless a new site is closer (p-median). They are never moved or proposed again.

Distances are straight-line metres in the caller's metric CRS unless ``cost`` gives network
distances. Quotas the candidates cannot meet (a town missing more sites than it has candidates)
are capped at the number of candidates, with a note in ``summary['notes']`` and ``capped`` in
the per-town counts.

Config (``[place]`` in ``planner.toml``)::

    [place]
    model = "max_cover"          # or "p_median"
    time_limit_s = 60
    mip_rel_gap = 1e-4
    heuristic_above = 5000000    # demand-candidate pairs above which greedy + swap is used
    [place.weights]              # weight of one child of each group
    children = 1.0
    left_behind = 1.0
    vulnerable = 2.0
    under5 = 1.0

The coverage distance of a kind is not a ``[place]`` key (``place.threshold_m`` is refused):
it is set once, as ``[access.<kind>] threshold_m``, and used by coverage and placement alike::

    [access.care_point]
    threshold_m = 1000
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import scipy.sparse as sp
from scipy.spatial import cKDTree

from planner._errors import InputFileError, ModelError
from planner.core import optimise
from planner.geo.crs import check_metric
from planner.records.privacy import scrub_document
from planner.settings import PlaceConfig, village_counts

_VILLAGE_COLUMNS = ("village_code", "village_name", "town_code", "town_name", "children")
_DENSE_LIMIT = 25_000_000  # above this many pairs, p-median uses the k nearest candidates
_K_NEAREST = 50
SITE_COLUMNS = (
    "kind", "town_code", "town_name", "village_code", "village_name", "children_newly_covered",
    "weighted_gain", "distance_saved_km", "rank", "reason", "method", "source", "candidate",
)  # fmt: skip


@dataclass(frozen=True)
class Proposal:
    """Proposed new sites of one kind.

    Attributes
    ----------
    sites : GeoDataFrame
        WGS-84 points with the columns of ``SITE_COLUMNS``; ``rank`` 1 is the site that adds
        most on its own, and ``children_newly_covered`` / ``distance_saved_km`` are marginal in
        rank order, so they sum to the totals.
    summary : dict
        JSON-ready: model, kind, status, objective, gap, method, bound, times, counts per town,
        notes.
    """

    sites: gpd.GeoDataFrame
    summary: dict

    def write_geojson(self, path: str | Path) -> Path:
        """Write ``sites`` as UTF-8 GeoJSON (``proposed_sites.geojson``) and return the path."""
        path = Path(path)
        text = self.sites.to_json(drop_id=True, ensure_ascii=False)
        path.write_text(scrub_document(text), encoding="utf-8")
        return path


@dataclass
class _Problem:
    """Arrays of one placement problem, with the tables to map results back."""

    kind: str
    threshold: float
    weights: np.ndarray
    children: np.ndarray
    demand_xy: np.ndarray
    cand: pd.DataFrame  # town_code, town_name, village_code, village_name, source, candidate
    cand_xy: np.ndarray
    groups: np.ndarray  # town index per candidate, -1 excluded
    towns: pd.Index
    town_names: pd.Series
    exist_xy: np.ndarray
    cost: Callable | np.ndarray | sp.sparray | None
    crs: pyproj.CRS
    notes: list[str]

    def distances(self, *, radius: float | None) -> tuple[object, np.ndarray]:
        """(demand x candidate cost, distance to the nearest existing site per demand)."""
        if callable(self.cost):
            cand = self.cost(self.demand_xy, self.cand_xy)
            exist = self.cost(self.demand_xy, self.exist_xy) if len(self.exist_xy) else None
            return cand, _row_min(exist, len(self.demand_xy))
        if self.cost is not None:
            n_c = len(self.cand_xy)
            matrix = sp.csc_array(self.cost) if sp.issparse(self.cost) else np.asarray(self.cost)
            return matrix[:, :n_c], _row_min(matrix[:, n_c:], len(self.demand_xy))
        exist = np.full(len(self.demand_xy), np.inf)
        if len(self.exist_xy):
            exist = cKDTree(self.exist_xy).query(self.demand_xy)[0]
        tree = cKDTree(self.cand_xy)
        n, m = len(self.demand_xy), len(self.cand_xy)
        if radius is not None:
            pairs = cKDTree(self.demand_xy).sparse_distance_matrix(
                tree, radius, output_type="ndarray"
            )
            return sp.csr_array((pairs["v"], (pairs["i"], pairs["j"])), shape=(n, m)), exist
        if n * m <= _DENSE_LIMIT:
            diff = self.demand_xy[:, None, :] - self.cand_xy[None, :, :]
            return np.sqrt((diff**2).sum(axis=2)), exist
        k = min(_K_NEAREST, m)
        d, j = tree.query(self.demand_xy, k=k)
        self.notes.append(f"p-median restricted to the {k} nearest candidates of each village")
        return sp.csr_array((d.ravel(), (np.repeat(np.arange(n), k), j.ravel())), (n, m)), exist


def _row_min(matrix, n: int) -> np.ndarray:
    if matrix is None or matrix.shape[1] == 0:
        return np.full(n, np.inf)
    if sp.issparse(matrix):
        coo = sp.coo_array(matrix)
        out = np.full(n, np.inf)
        np.minimum.at(out, coo.row, coo.data)
        return out
    return np.asarray(matrix, dtype=float).min(axis=1)


def _check_layer(gdf, columns, name: str) -> None:
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.crs is None:
        raise InputFileError(f"{name} must be a GeoDataFrame with a CRS; load it with planner.load")
    missing = [c for c in columns if c not in gdf.columns]
    if missing:
        raise InputFileError(f"{name} layer lacks column(s) {', '.join(missing)}; add them")


def _xy(geoms: gpd.GeoSeries) -> np.ndarray:
    return np.column_stack([geoms.x.to_numpy(), geoms.y.to_numpy()]) if len(geoms) else (
        np.zeros((0, 2))
    )


def _prepare(villages, *, kind, existing, crs, config, candidates, cost) -> _Problem:
    crs = check_metric(crs, where="the placement CRS")
    _check_layer(villages, _VILLAGE_COLUMNS, "villages")
    _check_layer(existing, ("kind",), "existing sites")
    threshold = config.threshold(kind)
    notes: list[str] = []
    vil = villages.reset_index(drop=True)
    vm = vil.to_crs(crs)
    demand_xy = _xy(vm.geometry.representative_point())
    towns = pd.Index(pd.unique(vil["town_code"].astype(str)))
    town_names = vil.drop_duplicates("town_code").set_index(
        vil.drop_duplicates("town_code")["town_code"].astype(str)
    )["town_name"]
    ex = existing[existing["kind"] == kind].to_crs(crs)
    if not ex.geom_type.eq("Point").all():
        ex = ex.set_geometry(ex.geometry.representative_point())
    exist_xy = _xy(ex.geometry)
    attrs = ["village_code", "village_name", "town_code", "town_name"]
    if candidates is None:
        if cost is not None and not callable(cost):
            raise ModelError(
                "a cost matrix needs an explicit candidate layer (its column order); "
                "pass candidates or a callable cost"
            )
        cand = vil[attrs].copy()
        cand["source"], cand["candidate"] = "village", None
        cand_xy = demand_xy.copy()
        hosts = gpd.sjoin(ex[["geometry"]], vm[["geometry"]], predicate="intersects")
        excluded = np.zeros(len(cand), dtype=bool)
        excluded[np.unique(hosts["index_right"].to_numpy())] = True
        if excluded.any():
            notes.append(f"{int(excluded.sum())} villages already hold a {kind}: not candidates")
    else:
        cand, cand_xy, excluded, keep = _candidate_layer(candidates, vm, crs, attrs, notes)
        if cost is not None and not callable(cost):
            cost = _select_columns(cost, keep, len(candidates), len(exist_xy))
    groups = towns.get_indexer(cand["town_code"].astype(str)).astype(np.int64)
    groups[excluded] = -1
    return _Problem(
        kind, threshold, config.demand_weights(vil), village_counts(vil, "children"), demand_xy,
        cand.reset_index(drop=True), cand_xy, groups, towns, town_names, exist_xy, cost, crs,
        notes,
    )  # fmt: skip


def _candidate_layer(candidates, vm, crs, attrs, notes):
    """Locate candidate points in villages; returns table, xy, excluded mask, kept rows."""
    _check_layer(candidates, (), "candidates")
    cm = candidates.reset_index(drop=True).to_crs(crs)
    if not cm.geom_type.eq("Point").all():
        raise InputFileError("candidates must be Point geometries; convert them to points")
    hit = gpd.sjoin(cm[["geometry"]], vm[[*attrs, "geometry"]], predicate="intersects")
    hit = hit[~hit.index.duplicated(keep="first")].sort_index()
    keep = hit.index.to_numpy()
    if len(keep) < len(cm):
        notes.append(f"{len(cm) - len(keep)} candidates lie outside every village: dropped")
    cand = hit[attrs].copy()
    cand["source"], cand["candidate"] = "candidate", keep
    excluded = np.zeros(len(keep), dtype=bool)
    if "exclude" in cm.columns:
        excluded |= cm["exclude"].fillna(False).astype(bool).to_numpy()[keep]
    if "exclude_reason" in cm.columns:
        reason = cm["exclude_reason"].fillna("").astype(str).str.strip().to_numpy()[keep]
        excluded |= reason != ""
    if excluded.any():
        notes.append(f"{int(excluded.sum())} candidates excluded by the candidate layer")
    return cand, _xy(cm.geometry.iloc[keep]), excluded, keep


def _select_columns(cost, keep: np.ndarray, n_cand: int, n_exist: int):
    if cost.shape[1] != n_cand + n_exist:
        raise ModelError(
            f"cost matrix has {cost.shape[1]} columns, expected {n_cand} candidates + "
            f"{n_exist} existing sites; rebuild it in that order"
        )
    cols = np.r_[keep, n_cand + np.arange(n_exist)]
    return sp.csc_array(cost)[:, cols] if sp.issparse(cost) else np.asarray(cost)[:, cols]


def _counts_per_town(prob: _Problem, missing: Mapping[str, int]):
    """Per-town quota array (capped at the candidates available) and per-town rows."""
    want = np.zeros(len(prob.towns), dtype=np.int64)
    for code, k in missing.items():
        if isinstance(k, bool) or int(k) != k or k < 0:
            raise ModelError(f"missing count of town {code} is {k!r}; give a whole number >= 0")
        idx = prob.towns.get_indexer([str(code)])[0]
        if idx < 0:
            if k:
                prob.notes.append(f"town {code} has no villages: its {k} missing sites skipped")
            continue
        want[idx] = int(k)
    avail = np.bincount(prob.groups[prob.groups >= 0], minlength=len(prob.towns))
    counts = np.minimum(want, avail)
    for i in np.flatnonzero(counts < want):
        prob.notes.append(
            f"town {prob.towns[i]} misses {want[i]} but has {avail[i]} candidates: "
            f"capped at {avail[i]}; add candidates to place the rest"
        )
    return want, counts


def _solution_summary(prob: _Problem, sol: optimise.Solution, model: str, want, counts) -> dict:
    per = np.bincount(prob.groups[sol.selected], minlength=len(prob.towns))
    towns = {
        code: {
            "town_name": str(prob.town_names.get(code, "")),
            "missing": int(want[i]) if want is not None else None,
            "proposed": int(per[i]),
            "capped": bool(want is not None and counts[i] < want[i]),
        }
        for i, code in enumerate(prob.towns)
    }
    return {
        "kind": prob.kind, "model": model, "status": sol.status, "method": sol.method,
        "objective": sol.objective, "bound": sol.bound, "gap": sol.mip_gap,
        "build_seconds": round(sol.build_seconds, 4), "solve_seconds": round(sol.solve_seconds, 4),
        "threshold_m": prob.threshold, "crs": prob.crs.to_string(), "n_demand": len(prob.weights),
        "n_candidates": int((prob.groups >= 0).sum()), "n_excluded": int((prob.groups < 0).sum()),
        "n_existing": len(prob.exist_xy), "proposed": int(sol.selected.size), "towns": towns,
        "notes": [*prob.notes, *sol.notes],
    }  # fmt: skip


def _sites(prob: _Problem, sol: optimise.Solution, cost, exist_cost) -> tuple:
    """Rank the chosen sites greedily by marginal gain and build the WGS-84 table."""
    sel = sol.selected
    if sel.size == 0:  # nothing placed: no distances needed
        empty = gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in SITE_COLUMNS},
                                 geometry=gpd.GeoSeries([], crs=4326), crs=4326)
        return empty, {"children_newly_covered": 0,
                       "distance_saved_km": 0.0 if sol.model == "p_median" else None}
    sub = sp.csc_array(cost)[:, sel] if sp.issparse(cost) else np.asarray(cost)[:, sel]
    dense = sub.toarray() if sp.issparse(sub) else sub
    if sp.issparse(sub):
        dense[dense == 0] = np.inf
        coo = sp.coo_array(sub)
        dense[coo.row, coo.col] = coo.data  # restore explicit zeros
    best = exist_cost.copy()
    covered = best <= prob.threshold
    order, gains, kids, saved = [], [], [], []
    left = list(range(sel.size))
    for _ in range(sel.size):  # loop over proposals, vectorised over demand
        near = np.minimum(best[:, None], dense[:, left])
        cov = (dense[:, left] <= prob.threshold) & ~covered[:, None]
        w_gain = prob.weights @ cov
        had = np.isfinite(best)
        d_gain = prob.weights[had] @ (best[had, None] - near[had])
        served = prob.weights[~had] @ np.isfinite(near[~had])  # demand with no site before
        if sol.model == "p_median":
            pick = int(np.lexsort((-w_gain, -d_gain, -served))[0])
        else:
            pick = int(np.lexsort((-d_gain, -w_gain))[0])
        j = left.pop(pick)
        order.append(j)
        gains.append(float(w_gain[pick]))
        kids.append(int(round(float(prob.children @ cov[:, pick]))))
        saved.append(float(d_gain[pick]) / 1000.0)
        covered |= dense[:, j] <= prob.threshold
        best = np.minimum(best, dense[:, j])
    chosen = sel[np.asarray(order, dtype=np.int64)]
    table = prob.cand.iloc[chosen].reset_index(drop=True)
    table.insert(0, "kind", prob.kind)
    table["children_newly_covered"] = np.asarray(kids, dtype=np.int64)
    table["weighted_gain"] = np.round(gains, 3)
    table["distance_saved_km"] = np.round(saved, 3) if sol.model == "p_median" else np.nan
    table["rank"] = np.arange(1, chosen.size + 1)
    table["reason"] = [_reason(k, s, sol.model) for k, s in zip(kids, saved, strict=True)]
    table["method"] = sol.method
    xy = prob.cand_xy[chosen]
    geom = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=prob.crs).to_crs(4326)
    sites = gpd.GeoDataFrame(table[list(SITE_COLUMNS)], geometry=geom.values, crs=4326)
    extra = {
        "children_newly_covered": int(sum(kids)),
        "distance_saved_km": round(float(sum(saved)), 3) if sol.model == "p_median" else None,
    }
    return sites, extra


def _reason(kids: int, saved_km: float, model: str) -> str:
    text = f"新增覆盖儿童 {kids} 人"
    if model == "p_median":
        text += f"；儿童加权距离减少 {saved_km:.1f} 公里"
    return text


def _run(prob: _Problem, sol: optimise.Solution, cost, exist, model, want, counts) -> Proposal:
    sites, extra = _sites(prob, sol, cost, exist)
    summary = _solution_summary(prob, sol, model, want, counts)
    summary.update(extra)
    return Proposal(sites, json.loads(json.dumps(summary, default=_json_default)))


def _json_default(x):
    if isinstance(x, np.generic):
        return x.item()
    raise TypeError(f"not JSON serialisable: {type(x).__name__}")


def _solver_kw(config: PlaceConfig) -> dict:
    return {
        "time_limit": config.time_limit_s,
        "mip_rel_gap": config.mip_rel_gap,
        "heuristic_above": config.heuristic_above,
    }


def propose_sites(
    villages: gpd.GeoDataFrame,
    *,
    kind: str,
    existing: gpd.GeoDataFrame,
    missing_per_town: Mapping[str, int],
    crs,
    config: PlaceConfig,
    candidates: gpd.GeoDataFrame | None = None,
    cost: Callable | np.ndarray | sp.sparray | None = None,
) -> Proposal:
    """Fill every town's quota: exactly its missing number of new sites of ``kind``.

    Parameters
    ----------
    villages : GeoDataFrame
        Village polygons (WGS-84) with village_code, village_name, town_code, town_name,
        children and optionally left_behind, vulnerable, under5.
    kind : str
        Kind of site (``care_point``, ``care_home``, ``protection_station`` ...).
    existing : GeoDataFrame
        Existing sites (WGS-84) with a ``kind`` column; those of ``kind`` are fixed.
    missing_per_town : mapping
        town_code -> number of new sites to place.
    crs : pyproj.CRS or str
        Metric CRS for distances (:class:`~planner._errors.CRSError` if geographic).
    config : PlaceConfig
        Model, weights, thresholds and solver settings.
    candidates : GeoDataFrame, optional
        Candidate points (WGS-84); default: the village points.
    cost : callable or matrix, optional
        ``cost(origins_xy, destinations_xy) -> (n, k)`` distances in metres (dense or sparse,
        absent = unreachable), or a matrix of villages x (candidates + existing sites of
        ``kind``) in input order. Default: straight-line metres in ``crs``.

    Returns
    -------
    Proposal
    """
    prob = _prepare(
        villages, kind=kind, existing=existing, crs=crs, config=config,
        candidates=candidates, cost=cost,
    )  # fmt: skip
    want, counts = _counts_per_town(prob, missing_per_town)
    if int(counts.sum()) == 0:  # the task is complete, or no candidate: no distance, no solver
        sol = optimise.nothing_to_place(config.model, maximise=config.model == "max_cover")
        return _run(prob, sol, None, None, config.model, want, counts)
    if config.model == "max_cover":
        dist, exist = prob.distances(radius=prob.threshold)
        sol = optimise.max_cover(
            prob.weights, optimise.coverage_from_cost(dist, prob.threshold), groups=prob.groups,
            counts=counts, covered=exist <= prob.threshold, **_solver_kw(config),
        )  # fmt: skip
    else:
        dist, exist = prob.distances(radius=None)
        sol = optimise.p_median(
            prob.weights, dist, groups=prob.groups, counts=counts, existing_cost=exist,
            **_solver_kw(config),
        )  # fmt: skip
    return _run(prob, sol, dist, exist, config.model, want, counts)


def propose_budget(
    villages: gpd.GeoDataFrame,
    *,
    kind: str,
    existing: gpd.GeoDataFrame,
    missing_per_town: Mapping[str, int],
    budget: int,
    crs,
    config: PlaceConfig,
    candidates: gpd.GeoDataFrame | None = None,
    cost: Callable | np.ndarray | sp.sparray | None = None,
) -> Proposal:
    """County budget: ``budget`` new sites, each town at least its missing number where the
    budget allows (see :func:`planner.core.optimise.county_budget`), maximising coverage.

    Parameters are those of :func:`propose_sites` plus ``budget``.
    """
    if isinstance(budget, bool) or int(budget) != budget or budget < 0:
        raise ModelError(f"budget = {budget!r}; give a whole number of new sites >= 0")
    prob = _prepare(
        villages, kind=kind, existing=existing, crs=crs, config=config,
        candidates=candidates, cost=cost,
    )  # fmt: skip
    want, counts = _counts_per_town(prob, missing_per_town)
    if int(budget) == 0 or not (prob.groups >= 0).any():
        sol = optimise.nothing_to_place("county_budget")
        return _run(prob, sol, None, None, "county_budget", want, counts)
    dist, exist = prob.distances(radius=prob.threshold)
    sol = optimise.county_budget(
        prob.weights, optimise.coverage_from_cost(dist, prob.threshold), groups=prob.groups,
        minimum=counts, budget=int(budget), covered=exist <= prob.threshold, **_solver_kw(config),
    )  # fmt: skip
    return _run(prob, sol, dist, exist, "county_budget", want, counts)


def propose_full_cover(
    villages: gpd.GeoDataFrame,
    *,
    kind: str,
    existing: gpd.GeoDataFrame,
    crs,
    config: PlaceConfig,
    towns: list[str] | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    cost: Callable | np.ndarray | sp.sparray | None = None,
) -> Proposal:
    """Fewest new sites so that every child of ``towns`` (default: the county) is within the
    kind's threshold of a site; candidates are taken from those towns only.

    Villages with no children need nothing; villages no candidate can reach are listed in
    ``summary['notes']``. Other parameters are those of :func:`propose_sites`.
    """
    prob = _prepare(
        villages, kind=kind, existing=existing, crs=crs, config=config,
        candidates=candidates, cost=cost,
    )  # fmt: skip
    weights = prob.weights.copy()
    if towns is not None:
        codes = {str(t) for t in towns}
        unknown = codes.difference(prob.towns)
        if unknown:
            raise ModelError(f"town(s) {sorted(unknown)} have no villages; fix the town codes")
        in_scope = prob.towns.isin(list(codes))
        prob.groups[(prob.groups >= 0) & ~in_scope[np.maximum(prob.groups, 0)]] = -1
        weights[~villages.reset_index(drop=True)["town_code"].astype(str).isin(codes)] = 0.0
    dist, exist = prob.distances(radius=prob.threshold)
    sol = optimise.set_cover(
        optimise.coverage_from_cost(dist, prob.threshold), weights=weights, groups=prob.groups,
        covered=exist <= prob.threshold, **_solver_kw(config),
    )  # fmt: skip
    return _run(prob, sol, dist, exist, "set_cover", None, None)
