"""Roads drawn offline in map.html: every road edge is on the merged lines."""

import numpy as np
import pytest
import scipy.sparse as sp
import shapely
from pyproj import CRS

from planner.core.network import RoadGraph
from planner.report._road_lines import road_lines, trails

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


def _segments(lines) -> list:
    xy, which = shapely.get_coordinates(lines, return_index=True)
    same = which[1:] == which[:-1]
    pairs = np.stack([xy[:-1][same], xy[1:][same]], axis=1).tolist()
    return sorted(tuple(sorted(map(tuple, p))) for p in pairs)


def test_trails_join_chains_through_junctions():
    # a 4 x 4 grid of 100 m blocks (24 edges between 16 junctions), a loop and a lone road
    grid = [shapely.LineString([(x * 100, y * 100), (x * 100 + dx * 100, y * 100 + dy * 100)])
            for x in range(4) for y in range(4) for dx, dy in ((1, 0), (0, 1))
            if x + dx < 4 and y + dy < 4]
    loop = shapely.LineString([(1000, 0), (1100, 0), (1100, 100), (1000, 0)])
    lone = shapely.LineString([(2000, 0), (2050, 10), (2100, 0)])
    chains = np.array([*grid, loop, lone, shapely.LineString([(1000, 0), (950, -50)])])
    out = trails(chains)
    assert _segments(out) == _segments(chains)  # every segment once, in either direction
    # 8 odd junctions on the grid's sides: 4 walks at best (greedy: a few more); the loop
    # and its tail make one
    assert len(out) <= 8 < len(chains)
    assert shapely.length(out).sum() == pytest.approx(shapely.length(chains).sum())
    assert len(trails(np.array([], dtype=object))) == 0
