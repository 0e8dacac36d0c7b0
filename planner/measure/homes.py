"""Homes for the drowning-risk measures: where the children live, as points with counts.

* **With a settlements layer** (points with ``children`` and optional ``under5``,
  ``left_behind``) those points are the homes, except that **a point inside water is never a
  home**: one at most :data:`SHORE_M` (30 m) inside a water's edge is put on the shore (1 m
  outside the nearest point of the edge: a datum shift or an outline drawn a little wide);
  one deeper in (a village point in a reservoir) is no home, and its children are spread
  over its village's area outside water (below).
* **Without one** (the fallback) each village's children are spread evenly over its area
  outside water: the points of a square grid of ``home_grid_m`` (200 m) inside the village
  polygon and outside every water polygon, each carrying an equal share of the village's
  counts; a village too small for a grid point gets one point on the surface of its area
  outside water. No single representative point decides a village's exposure, and a
  village point that happens to fall in a reservoir no longer makes it the county's top
  risk. A village wholly covered by water has no home (its children are counted in
  ``run.json`` ``water.homes.children_without_home``).

``run.json`` → ``water.homes`` states which method was used and its figures; the report
says it too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.geo.crs import WGS84

#: the counts a home carries
COUNTS: Final[tuple[str, ...]] = ("children", "under5", "left_behind")
#: a settlement point at most this far inside water is put on the shore (a datum shift or
#: a water outline drawn a little wide); deeper in, it is no home (module doc)
SHORE_M: Final[float] = 30.0


@dataclass
class Homes:
    """Home points (WGS-84, ``village_code`` and :data:`COUNTS`) and how they were made."""

    points: gpd.GeoDataFrame
    info: dict[str, Any] = field(default_factory=dict)


def water_homes(*, settlements: gpd.GeoDataFrame | None, villages: gpd.GeoDataFrame,
                water: gpd.GeoDataFrame | None, crs: Any, grid_m: float) -> Homes:
    """Homes from the settlements layer (points in water spread over their village) or,
    without one, children spread over each village's area outside water (module doc)."""
    vill = villages.to_crs(crs)
    placed = vill.geometry.notna().to_numpy() & ~vill.geometry.is_empty.to_numpy()
    unplaced = float(_num(vill[~placed], "children").sum())
    vill = vill[placed].reset_index(drop=True)  # a village of a bare list has no area
    wet = _water_polygons(water, crs)
    if settlements is not None and "children" in settlements.columns and len(settlements):
        return _from_settlements(settlements, vill, wet, crs=crs, grid_m=grid_m)
    homes = _spread_villages(vill, wet, crs=crs, grid_m=grid_m)
    homes.info["children_without_home"] += int(round(unplaced))
    return homes


def _spread_villages(vill: gpd.GeoDataFrame, wet: np.ndarray, *, crs: Any,
                     grid_m: float) -> Homes:
    """The fallback: each village's children spread over its area outside water."""
    counts = np.column_stack([_num(vill, c) for c in COUNTS])
    pts, owner = spread_points(vill.geometry.to_numpy(), wet, grid_m=grid_m)
    homes = _share(pts, owner, counts, vill["village_code"].astype(str).to_numpy(), crs)
    lost = counts[np.setdiff1d(np.arange(len(vill)), owner), 0].sum()
    return Homes(homes, {"method": "village_area_grid", "grid_m": grid_m,
                         "points": int(len(homes)), "villages": int(len(vill)),
                         "children_without_home": int(round(float(lost)))})


def _num(frame: pd.DataFrame, col: str) -> np.ndarray:
    if col not in frame:
        return np.zeros(len(frame))
    return pd.to_numeric(frame[col], errors="coerce").fillna(0).clip(lower=0).to_numpy(float)


def _water_polygons(water: gpd.GeoDataFrame | None, crs: Any) -> np.ndarray:
    """The water polygons (metric); lines have no area to live in."""
    if water is None or len(water) == 0:
        return np.zeros(0, dtype=object)
    geom = water.geometry.to_crs(crs).to_numpy()
    return geom[np.isin(shapely.get_type_id(geom), (3, 6))]


def spread_points(areas: np.ndarray, wet: np.ndarray, *, grid_m: float
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Grid points (spacing ``grid_m``) in each metric polygon of ``areas`` outside the
    polygons ``wet``, and the index of the area of each; an area with no grid point gets
    one point on the surface of its part outside water (none if it is all water)."""
    if len(areas) == 0:
        return np.zeros((0, 2)), np.zeros(0, np.int64)
    box = shapely.bounds(areas)
    x0, y0 = box[:, 0].min(), box[:, 1].min()
    x1, y1 = box[:, 2].max(), box[:, 3].max()
    xs = np.arange(np.floor(x0 / grid_m) * grid_m + grid_m / 2, x1, grid_m)
    ys = np.arange(np.floor(y0 / grid_m) * grid_m + grid_m / 2, y1, grid_m)
    gx, gy = np.meshgrid(xs, ys)
    grid = shapely.points(gx.ravel(), gy.ravel())
    pi, ai = shapely.STRtree(areas).query(grid, predicate="within")
    pi, first = np.unique(pi, return_index=True)  # a point on a shared border: one village
    pts, owner = grid[pi], ai[first]
    dry = ~_in_any(pts, wet)
    pts, owner = pts[dry], owner[dry]
    empty = np.setdiff1d(np.arange(len(areas)), owner)
    if len(empty):
        extra, which = _surface_points(areas[empty], wet)
        pts, owner = np.r_[pts, extra], np.r_[owner, empty[which]]
    order = np.argsort(owner, kind="stable")
    return shapely.get_coordinates(pts[order]), owner[order].astype(np.int64)


def _in_any(points: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    """Whether each point lies inside (or on) any of ``polygons``."""
    out = np.zeros(len(points), dtype=bool)
    if len(points) and len(polygons):
        hit, _ = shapely.STRtree(polygons).query(points, predicate="intersects")
        out[hit] = True
    return out


def _surface_points(areas: np.ndarray, wet: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A point on the surface of each area's part outside water (skipped if none)."""
    tree = shapely.STRtree(wet) if len(wet) else None
    out, which = [], []
    for i, area in enumerate(areas):
        near = wet[tree.query(area, predicate="intersects")] if tree is not None else []
        dry = shapely.difference(area, shapely.union_all(near)) if len(near) else area
        if not shapely.is_empty(dry) and shapely.area(dry) > 0:
            out.append(shapely.point_on_surface(dry))
            which.append(i)
    return np.array(out, dtype=object), np.array(which, dtype=np.int64)


def _share(xy: np.ndarray, owner: np.ndarray, counts: np.ndarray, codes: np.ndarray,
           crs: Any) -> gpd.GeoDataFrame:
    """Home points carrying equal shares of their owner's counts (WGS-84)."""
    per = np.bincount(owner, minlength=len(counts))
    share = counts[owner] / np.maximum(per[owner], 1)[:, None]
    return gpd.GeoDataFrame(
        {"village_code": codes[owner], **{c: share[:, j] for j, c in enumerate(COUNTS)}},
        geometry=gpd.GeoSeries(shapely.points(xy), crs=crs).to_crs(WGS84), crs=WGS84)


def _from_settlements(settlements: gpd.GeoDataFrame, vill: gpd.GeoDataFrame, wet: np.ndarray,
                      *, crs: Any, grid_m: float) -> Homes:
    """The settlements as homes; those inside water spread over their village (module doc)."""
    pts = settlements.geometry.to_crs(crs).to_numpy()
    pts = np.where(shapely.get_type_id(pts) == 0, pts, shapely.point_on_surface(pts))
    counts = np.column_stack([_num(settlements, c) for c in COUNTS])
    pts, shored = _to_shore(pts, wet)
    wet_home = _in_any(pts, wet)
    codes = vill["village_code"].astype(str).to_numpy()
    own = gpd.GeoDataFrame({"village_code": _village_of(pts, vill, settlements),
                            **{c: counts[:, j] for j, c in enumerate(COUNTS)}},
                           geometry=gpd.GeoSeries(pts, crs=crs).to_crs(WGS84), crs=WGS84)
    info = {"method": "settlements", "points": int((~wet_home).sum()),
            "moved_to_shore": int(shored), "in_water": int(wet_home.sum()),
            "children_without_home": 0}
    if not wet_home.any():
        return Homes(own, info)
    # children of homes in water: spread over their village's area outside water
    moved = own[wet_home]
    vi = pd.Series(np.arange(len(codes)), index=codes)
    vidx = vi.reindex(moved["village_code"].to_numpy()).to_numpy()
    known = ~pd.isna(vidx)
    vidx = vidx[known].astype(np.int64)
    per = np.zeros((len(codes), len(COUNTS)))
    np.add.at(per, vidx, counts[wet_home][known])
    need = np.unique(vidx)
    xy, owner = spread_points(vill.geometry.to_numpy()[need], wet, grid_m=grid_m)
    spread = _share(xy, need[owner], per, codes, crs) if len(owner) else own.iloc[:0]
    got = np.isin(need, need[owner])
    lost = counts[wet_home][~known, 0].sum() + per[need[~got], 0].sum()
    info |= {"points": int((~wet_home).sum() + len(spread)),
             "children_moved_out_of_water": int(round(float(counts[wet_home, 0].sum()
                                                              - lost))),
             "children_without_home": int(round(float(lost)))}
    homes = pd.concat([own[~wet_home], spread], ignore_index=True)
    return Homes(gpd.GeoDataFrame(homes, geometry="geometry", crs=WGS84), info)


def _to_shore(pts: np.ndarray, wet: np.ndarray) -> tuple[np.ndarray, int]:
    """Points inside water within :data:`SHORE_M` of its edge moved just outside it (1 m
    beyond the nearest point of the edge); how many were moved."""
    if len(pts) == 0 or len(wet) == 0:
        return pts, 0
    pi, wi = shapely.STRtree(wet).query(pts, predicate="within")
    pi, first = np.unique(pi, return_index=True)
    wi = wi[first]
    edge = shapely.boundary(wet[wi])
    depth = shapely.distance(pts[pi], edge)
    near = depth <= SHORE_M
    pi, wi, edge = pi[near], wi[near], edge[near]
    shore = shapely.get_coordinates(shapely.line_interpolate_point(
        edge, shapely.line_locate_point(edge, pts[pi])))
    here = shapely.get_coordinates(pts[pi])
    away = shore - here
    centre = shapely.get_coordinates(shapely.centroid(wet[wi]))
    away = np.where(np.hypot(*away.T)[:, None] > 1e-9, away, shore - centre)
    step = away / np.maximum(np.hypot(*away.T), 1e-9)[:, None]
    out = pts.copy()
    out[pi] = shapely.points(shore + step * 1.0)
    return out, int(len(pi))


def _village_of(pts: np.ndarray, vill: gpd.GeoDataFrame,
                settlements: gpd.GeoDataFrame) -> np.ndarray:
    """Each settlement's village: its declared ``village_code``, else the village holding
    (or nearest to) it."""
    if "village_code" in settlements.columns:
        return settlements["village_code"].astype(str).to_numpy()
    codes = vill["village_code"].astype(str).to_numpy()
    if len(codes) == 0:
        return np.full(len(pts), "", dtype=object)
    _, vi = shapely.STRtree(vill.geometry.to_numpy()).query_nearest(pts, all_matches=False)
    return codes[vi]
