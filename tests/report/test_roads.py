"""Roads drawn offline in map.html: every road edge is on the merged lines."""

import numpy as np
import scipy.sparse as sp
import shapely
from pyproj import CRS

from planner.core.network import RoadGraph
from planner.report._roads import road_lines

UTM = CRS("EPSG:32651")


def test_road_lines_cover_every_edge():
    xy = np.array([[600_000.0, 3_570_000.0], [600_500, 3_570_000], [601_000, 3_570_300],
                   [600_500, 3_570_800], [602_000, 3_571_000]])
    rows, cols = np.array([0, 1, 1, 2]), np.array([1, 2, 3, 4])
    w = np.hypot(*(xy[rows] - xy[cols]).T)
    drive = sp.csr_matrix((w, (rows, cols)), shape=(5, 5))
    graph = RoadGraph(node_xy=xy, walk=drive, drive=drive, n_edges=4)
    lines = road_lines(graph, crs=UTM, simplify_m=0.0)
    assert len(lines) == 1 and lines.crs.to_epsg() == 4326
    metric = lines.to_crs(UTM).geometry.iloc[0]
    assert abs(metric.length - w.sum()) < 5  # every edge once, none twice (1 m grid)
    for a, b in zip(rows, cols, strict=True):
        mid = shapely.Point((xy[a] + xy[b]) / 2)
        assert metric.distance(mid) < 1.5
    empty = RoadGraph(node_xy=xy, walk=sp.csr_matrix((5, 5)), drive=sp.csr_matrix((5, 5)),
                      n_edges=0)
    assert road_lines(empty, crs=UTM) is None and road_lines(None, crs=UTM) is None
