"""Small geometric helpers of the water-safety stage (points of layers, town of each)."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely


def layer_xy(gdf: gpd.GeoDataFrame | None, crs: Any) -> np.ndarray:
    """Metric (x, y) of each feature: the point itself or a point on its surface."""
    if gdf is None or len(gdf) == 0:
        return np.zeros((0, 2))
    pts = gdf.geometry.to_crs(crs).to_numpy()
    pts = np.where(shapely.get_type_id(pts) == 0, pts, shapely.point_on_surface(pts))
    return shapely.get_coordinates(pts)


def assign_towns(towns: gpd.GeoDataFrame, geoms: np.ndarray, crs: Any) -> np.ndarray:
    """Index of the town containing (or nearest to) each metric geometry; -1 without towns."""
    if towns is None or len(towns) == 0 or len(geoms) == 0:
        return np.full(len(geoms), -1)
    tree = shapely.STRtree(towns.geometry.to_crs(crs).to_numpy())
    inp, tree_i = tree.query(geoms, predicate="intersects")
    out = np.full(len(geoms), -1)
    out[inp[::-1]] = tree_i[::-1]  # first match wins on shared borders
    rest = np.flatnonzero(out < 0)
    if len(rest):
        inp, tree_i = tree.query_nearest(geoms[rest], all_matches=False)
        out[rest[inp]] = tree_i
    return out
