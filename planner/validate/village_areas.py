"""Approximate village areas from village-committee points (村委会 locations).

Inside each town, every village gets the part of the town nearer to its point than to any
other village's point of the same town (Voronoi cells in the metric CRS, clipped to the
town). The cells are derived, not surveyed: villages keep ``geometry_source = "voronoi"``
and their point (``seat_lon``/``seat_lat``), which stands for the village where a single
position is needed. A point repeating another village's point of the same town gets no cell
(it cannot be told apart): its village keeps no geometry, and a finding names it.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from planner.geo.crs import WGS84


def _town_cells(points: np.ndarray, town) -> np.ndarray:
    """Cells of distinct ``points`` (metric) clipped to ``town`` (metric), in order."""
    if len(points) == 1:
        return np.array([town], dtype=object)
    cells = shapely.get_parts(shapely.voronoi_polygons(
        shapely.multipoints(points), extend_to=town, ordered=True))
    return shapely.intersection(cells, town)


def cells_from_points(villages: gpd.GeoDataFrame, towns: gpd.GeoDataFrame, *, crs: CRS
                      ) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Villages (WGS-84 points with ``town_code``) with their derived cells as geometry.

    Returns
    -------
    (villages, findings)
        ``seat_lon``/``seat_lat`` hold the points; a village whose point repeats another's
        in its town has no geometry (and is named in the findings).
    """
    out = villages.copy()
    pts = shapely.get_coordinates(villages.geometry.to_numpy())
    out["seat_lon"], out["seat_lat"] = pts[:, 0].round(7), pts[:, 1].round(7)
    metric = villages.geometry.to_crs(crs).to_numpy()
    town_m = dict(zip(towns["town_code"], towns.geometry.to_crs(crs).to_numpy(), strict=True))
    cells = np.full(len(villages), None, dtype=object)
    repeated = []
    codes = villages["town_code"].to_numpy()
    for town in np.unique(codes):
        idx = np.flatnonzero(codes == town)
        xy = shapely.get_coordinates(metric[idx])
        _, first = np.unique(xy.round(3), axis=0, return_index=True)
        first = np.sort(first)
        repeated += list(villages["village_name"].iloc[np.setdiff1d(idx, idx[first])])
        cells[idx[first]] = _town_cells(xy[first], town_m[town])
    empty = np.array([c is None or shapely.is_empty(c) for c in cells])
    cells[empty] = None
    geoms = gpd.GeoSeries(cells, crs=crs).to_crs(WGS84)
    out = out.set_geometry(geoms.set_axis(out.index))
    notes = []
    if repeated:
        notes.append(f"{len(repeated)} 个村的村委会位置与同镇另一村相同，未能推算村界："
                     f"{'、'.join(repeated[:10])} / villages whose point repeats another's: no "
                     "area derived")
    return out, notes
