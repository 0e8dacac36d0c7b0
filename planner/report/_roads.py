"""The workspace's roads as map lines, so that ``map.html`` shows roads offline (no tiles)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import scipy.sparse as sp
import shapely

from planner.core.network import RoadGraph


def road_lines(graph: RoadGraph | None, *, crs, simplify_m: float = 5.0
               ) -> gpd.GeoDataFrame | None:
    """The drive network (the walk network where there is no drive edge) as one merged
    MultiLineString in WGS-84, simplified by ``simplify_m`` metres; ``None`` without roads."""
    if graph is None:
        return None
    mat = graph.drive if graph.drive.nnz else graph.walk
    if mat.nnz == 0:
        return None
    coo = sp.triu(mat + mat.T, k=1).tocoo()
    seg = np.stack([graph.node_xy[coo.row], graph.node_xy[coo.col]], axis=1)
    merged = shapely.line_merge(shapely.multilinestrings(shapely.linestrings(seg)))
    # plain Douglas-Peucker per line: topology-preserving simplification of a whole road
    # network costs most of a second and nothing on a map
    merged = shapely.simplify(merged, simplify_m, preserve_topology=False)
    out = gpd.GeoDataFrame({"name": ["道路"]}, geometry=[merged], crs=crs).to_crs("EPSG:4326")
    # about 1 m: the page stays small (coordinates are written with 5 decimals)
    return out.set_geometry(shapely.transform(out.geometry.to_numpy(), lambda c: np.round(c, 5)))
