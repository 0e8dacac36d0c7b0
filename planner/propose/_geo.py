"""Geometric helpers of the water-safety stage: points of layers, the town of each, and the
distances and child counts around bank segments and water bodies."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from planner.glossary import ROAD_CLASSES
from planner.measure.risk import band
from planner.settings import WaterConfig
from planner.validate.water_layer import Segments


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
    polys = towns.geometry.to_crs(crs).to_numpy()
    # the towns query a tree of the geometries: each town is prepared once, which is
    # several times faster than testing every point against unprepared towns
    town_i, inp = shapely.STRtree(geoms).query(polys, predicate="intersects")
    first = np.full(len(geoms), len(polys))
    np.minimum.at(first, inp, town_i)  # the first town wins on shared borders
    out = np.where(first < len(polys), first, -1)
    rest = np.flatnonzero(out < 0)
    if len(rest):
        inp, tree_i = shapely.STRtree(polys).query_nearest(geoms[rest], all_matches=False)
        out[rest[inp]] = tree_i
    return out


def _nearest(tree_xy: np.ndarray, xy: np.ndarray) -> np.ndarray:
    if len(tree_xy) == 0:
        return np.full(len(xy), np.inf)
    return cKDTree(tree_xy).query(xy)[0]


def segment_context(seg: Segments, homes: np.ndarray, wc: np.ndarray, schools: np.ndarray,
                     cfg: WaterConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per segment midpoint: nearest home and school (m) and band-weighted children."""
    xy = np.column_stack([seg.x, seg.y])
    home_m = _nearest(homes, xy)
    school_m = _nearest(schools, xy)
    near = np.zeros(len(xy))
    if len(homes):
        pairs = cKDTree(xy).sparse_distance_matrix(cKDTree(homes), cfg.far_m,
                                                   output_type="ndarray")
        near = np.bincount(pairs["i"], weights=wc[pairs["j"]] * band(pairs["v"], config=cfg),
                           minlength=len(xy))
    return home_m, school_m, near


def water_context(wgeom: np.ndarray, homes: np.ndarray, counts: np.ndarray, wc: np.ndarray,
                   schools: np.ndarray, cfg: WaterConfig) -> dict[str, np.ndarray]:
    """Per water body: nearest home and school (m), weighted and plain child counts."""
    n = len(wgeom)
    out = {"home_m": np.full(n, np.inf), "school_m": np.full(n, np.inf),
           "weighted_children": np.zeros(n)}
    for k in ("children_500", "under5_500", "left_behind_500"):
        out[k] = np.zeros(n)
    for key, xy in (("home_m", homes), ("school_m", schools)):
        if len(xy):
            pts = shapely.points(xy)
            inp, tree_i = shapely.STRtree(pts).query_nearest(wgeom, all_matches=False)
            out[key][inp] = shapely.distance(wgeom[inp], pts[tree_i])
    if len(homes):
        pts = shapely.points(homes)
        h, w = shapely.STRtree(wgeom).query(pts, predicate="dwithin", distance=cfg.far_m)
        d = shapely.distance(pts[h], wgeom[w])
        out["weighted_children"] = np.bincount(w, weights=wc[h] * band(d, config=cfg),
                                               minlength=n)
        for j, k in enumerate(("children_500", "under5_500", "left_behind_500")):
            out[k] = np.bincount(w, weights=counts[h, j], minlength=n)
    return out


def nearest_road(points: np.ndarray, roads: gpd.GeoDataFrame | None, crs: Any, *,
                 max_m: float = 500.0) -> np.ndarray:
    """A landmark for each metric point: the nearest road within ``max_m``, by its name
    (else its class), and how far it is, e.g. "近S334（约 40 米）" or "近乡村道路（约 15 米）";
    "" where no road is that near (or there are no roads)."""
    out = np.full(len(points), "", dtype=object)
    if roads is None or len(roads) == 0 or len(points) == 0:
        return out
    points = np.asarray(points)
    if points.dtype != object:  # (n, 2) coordinates
        points = shapely.points(points.astype(float).reshape(-1, 2))
    geoms = roads.geometry.to_crs(crs).to_numpy()
    tree = shapely.STRtree(geoms)
    idx, dist = tree.query_nearest(points, max_distance=max_m, return_distance=True,
                                   all_matches=False)
    pi, ri = idx
    names = (roads["name"].astype(object).where(roads["name"].notna(), None).to_numpy()
             if "name" in roads.columns else np.full(len(roads), None, dtype=object))
    kinds = (roads["highway"].astype(str).map(ROAD_CLASSES).fillna("道路").to_numpy()
             if "highway" in roads.columns else np.full(len(roads), "道路", dtype=object))
    label = np.where(pd.isna(names[ri]), kinds[ri], names[ri])
    out[pi] = [f"近{lab}（约 {d:.0f} 米）" for lab, d in zip(label, dist, strict=True)]
    return out
