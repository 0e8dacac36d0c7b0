"""Place one kind of site across many counties at once: one quota MILP per city or for the
whole province (``planner batch --place city|province``).

A county run places its own towns' missing sites against its own children. Here the
finished counties of a batch are pooled: every village of every county with a quota for
the kind is demand (weight = children) and a candidate site; each town must receive
exactly its missing number of new sites (``missing_<kind>`` of its ``progress.csv``); a
village within the kind's threshold of an existing site of the kind is already covered.
The objective, children newly within the threshold, is solved by
:func:`planner.core.optimise.max_cover` (HiGHS), so a site may serve children across a
county line. Distances are straight-line in one UTM zone for the whole area (scale error
under 0.2% across Jiangsu), not over roads.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

from planner._errors import ConfigError
from planner.core.optimise import max_cover
from planner.settings import PlaceConfig

LEVELS = ("city", "province")


def pooled_villages(folders: Sequence[Path], *, kind: str) -> tuple[gpd.GeoDataFrame,
                                                                    gpd.GeoDataFrame]:
    """Villages (with town_code, children, missing of their town) and existing sites of
    ``kind`` of every county folder whose quota has ``kind``."""
    import pyogrio

    villages, sites = [], []
    for folder in folders:
        folder = Path(folder)
        progress = pd.read_csv(folder / "progress.csv", dtype={"town_code": str},
                               encoding="utf-8-sig")
        if f"missing_{kind}" not in progress.columns:
            continue
        missing = progress.dropna(subset=["town_code"]).set_index("town_code")[
            f"missing_{kind}"]
        vil = pyogrio.read_dataframe(folder / "planner.gpkg", layer="villages",
                                     columns=["village_code", "town_code", "children"])
        vil["missing"] = vil["town_code"].map(missing).fillna(0).astype(np.int64)
        vil["county_code"] = str(vil["village_code"].iloc[0])[:6] if len(vil) else ""
        villages.append(vil.to_crs(4326))
        fac = pyogrio.read_dataframe(folder / "planner.gpkg", layer="facilities",
                                     columns=["kind"])
        sites.append(fac[fac["kind"] == kind].to_crs(4326))
    if not villages:
        raise ConfigError(f"--place: no county of the batch has a quota for {kind}; give "
                          f"workspaces with a [quota] table that has {kind}, or leave --place "
                          "out")
    vil = gpd.GeoDataFrame(pd.concat(villages, ignore_index=True), crs=4326)
    fac = gpd.GeoDataFrame(pd.concat(sites, ignore_index=True), crs=4326)
    return vil, fac


def place_across(folders: Sequence[Path], *, kind: str = "care_home", level: str = "province",
                 config: PlaceConfig | None = None) -> tuple[gpd.GeoDataFrame, dict]:
    """Choose new sites of ``kind`` for every town's shortfall, one MILP per city or one
    for the province.

    Returns
    -------
    (sites, summary)
        The chosen sites (WGS-84 points at village seats, with town, county and children
        newly covered) and, per solved area, the model's status, objective and gap.
    """
    if level not in LEVELS:
        raise ConfigError(f"--place {level!r}: use one of {', '.join(LEVELS)}")
    config = config or PlaceConfig()
    vil, fac = pooled_villages(folders, kind=kind)
    crs = vil.estimate_utm_crs()
    seats = vil.geometry.representative_point()  # a point inside each village (WGS-84)
    xy = _xy(seats.to_crs(crs))
    site_xy = _xy(fac.to_crs(crs).geometry) if len(fac) else np.empty((0, 2))
    threshold = config.threshold(kind)
    area = vil["county_code"].str[:4] if level == "city" else pd.Series("all", index=vil.index)
    chosen, runs = [], []
    for name, idx in area.groupby(area).groups.items():
        idx = np.asarray(idx)
        picked, run = _solve(vil.iloc[idx], xy[idx], site_xy, threshold=threshold,
                             config=config)
        chosen.append(idx[picked["candidate"]] if len(picked) else np.empty(0, int))
        runs.append({"area": name, **run})
        vil.loc[vil.index[idx[picked["candidate"]]], "newly"] = picked["newly"].to_numpy()
    rows = np.concatenate(chosen).astype(int)
    out = vil.iloc[rows][["county_code", "town_code", "village_code"]].copy()
    out["kind"] = kind
    out["children_newly_covered"] = vil["newly"].iloc[rows].fillna(0).to_numpy()
    out["method"] = f"max_cover per town, one model per {level}"
    sites = gpd.GeoDataFrame(out.reset_index(drop=True), geometry=seats.iloc[rows].to_numpy(),
                             crs=4326)
    summary = {"kind": kind, "level": level, "threshold_m": threshold,
               "villages": len(vil), "towns": int(vil["town_code"].nunique()),
               "sites": len(sites), "areas": runs,
               "objective": float(sum(r["objective"] for r in runs))}
    return sites, summary


def _xy(points: gpd.GeoSeries) -> np.ndarray:
    return np.column_stack([points.x.to_numpy(), points.y.to_numpy()])


def _solve(vil: pd.DataFrame, xy: np.ndarray, site_xy: np.ndarray, *, threshold: float,
           config: PlaceConfig) -> tuple[pd.DataFrame, dict]:
    """One max-cover model over ``vil``: towns are the groups, their missing the counts."""
    towns, group = np.unique(vil["town_code"].to_numpy(), return_inverse=True)
    counts = vil.groupby(group)["missing"].first().reindex(range(towns.size)).to_numpy()
    sizes = np.bincount(group, minlength=towns.size)
    counts = np.minimum(counts, sizes)  # never more sites than villages in a town
    cov = _coverage(xy, threshold)
    covered = (cKDTree(site_xy).query(xy, distance_upper_bound=threshold)[0] <= threshold
               if len(site_xy) else np.zeros(len(xy), bool))
    weights = pd.to_numeric(vil["children"], errors="coerce").fillna(0).to_numpy(float)
    sol = max_cover(weights, cov, groups=group, counts=counts, covered=covered,
                    time_limit=config.time_limit_s, mip_rel_gap=config.mip_rel_gap,
                    heuristic_above=config.heuristic_above)
    sel = np.asarray(sol.selected, dtype=int)
    newly = _newly(cov, sel, covered, weights)
    run = {"status": sol.status, "method": sol.method, "objective": float(sol.objective),
           "gap": sol.mip_gap, "sites": int(sel.size), "villages": len(xy),
           "seconds": round(sol.build_seconds + sol.solve_seconds, 3)}
    return pd.DataFrame({"candidate": sel, "newly": newly}), run


def _coverage(xy: np.ndarray, threshold: float) -> sp.csr_array:
    """Village ``i`` covered by a site at village ``j`` when they are within ``threshold``
    metres (every village covers itself)."""
    tree = cKDTree(xy)
    pairs = tree.sparse_distance_matrix(tree, threshold, output_type="coo_matrix")
    n = len(xy)
    cov = sp.csr_array((np.ones(pairs.nnz, dtype=bool), (pairs.row, pairs.col)), shape=(n, n))
    return (cov + sp.identity(n, dtype=bool, format="csr")).tocsr()


def _newly(cov, sel: np.ndarray, covered: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Children first covered by each chosen site, in the order chosen (no double counts)."""
    seen = covered.copy()
    out = np.zeros(sel.size)
    cov = cov.tocsc()
    for k, j in enumerate(sel):
        rows = cov.indices[cov.indptr[j]:cov.indptr[j + 1]]
        fresh = rows[~seen[rows]]
        out[k] = weights[fresh].sum()
        seen[fresh] = True
    return out
