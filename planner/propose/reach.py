"""Children newly within reach of proposed sites, measured with the access stage's demand
model (settlements weighted by children where given, as in ``coverage.csv``), so that the
proposals' "新增覆盖儿童" add up to the change in ``coverage.csv``.

"Within reach" is the access definition: a demand point is covered by a site when its
distance -- snap + network + the site's snap, or the straight line without a network -- is
at most the kind's coverage distance (``[access.<kind>] threshold_m``).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from planner.core.network import RoadGraph, component_mask, distances_within, snap
from planner.measure.access import demand_children


def _xy(points: gpd.GeoSeries) -> np.ndarray:
    if not len(points):
        return np.zeros((0, 2))
    pts = points.representative_point() if not points.geom_type.eq("Point").all() else points
    return np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])


def reach(demand_xy: np.ndarray, site_xy: np.ndarray, *, threshold: float,
          graph: RoadGraph | None = None, mode: str = "walk") -> sp.csc_array:
    """Boolean sparse ``(demand, site)`` matrix: the site is within ``threshold`` metres.

    Network distances (as in :func:`planner.measure.access.compute_access`) when ``graph``
    has edges in ``mode``, else straight-line metres.
    """
    n, k = len(demand_xy), len(site_xy)
    if n == 0 or k == 0:
        return sp.csc_array((n, k), dtype=bool)
    if graph is not None and graph.matrix(mode).nnz > 0:
        mask = component_mask(graph, mode=mode)
        d_node, d_off = snap(demand_xy, node_xy=graph.node_xy, node_mask=mask)
        s_node, s_off = snap(site_xy, node_xy=graph.node_xy, node_mask=mask)
        dist = distances_within(graph, sources=s_node, targets=d_node, limit=threshold,
                                mode=mode, source_offsets=s_off, target_offsets=d_off)
        coo = sp.coo_array(dist)
        rows, cols = coo.row, coo.col
    else:
        pairs = cKDTree(demand_xy).sparse_distance_matrix(cKDTree(site_xy), threshold,
                                                          output_type="ndarray")
        rows, cols = pairs["i"], pairs["j"]  # exact zeros included
    data = np.ones(len(rows), dtype=bool)
    return sp.csc_array((data, (rows, cols)), shape=(n, k))


def whole_children(values: np.ndarray) -> np.ndarray:
    """Fractional children per site as whole numbers adding up to the rounded total
    (largest remainders), so that no table's sum differs from the total it is shown with."""
    values = np.asarray(values, dtype=float)
    base = np.floor(values)
    rest = int(round(float(values.sum()))) - int(base.sum())
    if rest > 0:
        base[np.argsort(-(values - base), kind="stable")[:rest]] += 1
    return base.astype(np.int64)


def newly_covered(sites: gpd.GeoDataFrame, *, villages: gpd.GeoDataFrame,
                  existing: gpd.GeoDataFrame, demand_points: gpd.GeoDataFrame | None,
                  crs, threshold: float, graph: RoadGraph | None = None,
                  mode: str = "walk") -> np.ndarray:
    """Children newly within reach of each site of ``sites``, in their order (rank).

    A child counts for the first site (in order) that brings it within reach and not at
    all if an ``existing`` site already reaches it, so the values add up to the change in
    children within reach once every site is built.

    Parameters
    ----------
    sites, existing : GeoDataFrame
        WGS-84 proposed sites (in rank order) and the existing sites of the same kind.
    villages, demand_points : GeoDataFrame
        The access stage's demand model (see :func:`planner.measure.access.demand_children`).
    crs : pyproj.CRS
        The workspace's metric CRS.
    threshold : float
        The kind's coverage distance in metres; ``graph``/``mode`` as in :func:`reach`.

    Returns
    -------
    numpy.ndarray
        Float children per site (apportioned children are fractional).
    """
    dxy, _row, kids = demand_children(villages, demand_points, crs=crs)
    exist = reach(dxy, _xy(existing.geometry.to_crs(crs)), threshold=threshold, graph=graph,
                  mode=mode)
    covered = np.zeros(len(dxy), dtype=bool)
    covered[sp.coo_array(exist).row] = True
    new = reach(dxy, _xy(sites.geometry.to_crs(crs)), threshold=threshold, graph=graph,
                mode=mode)
    out = np.zeros(len(sites))
    for j in range(len(sites)):  # per proposal, vectorised over demand points
        rows = new.indices[new.indptr[j]:new.indptr[j + 1]]
        fresh = rows[~covered[rows]]
        out[j] = kids[fresh].sum()
        covered[fresh] = True
    return out
