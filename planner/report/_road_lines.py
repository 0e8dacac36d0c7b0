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
    MultiLineString in WGS-84, simplified by ``simplify_m`` metres; ``None`` without roads.

    Edges are merged into chains between junctions, each chain simplified on its own (so
    junctions stay where they are), then chains are joined end to end through junctions
    into as few lines as :func:`trails` finds: the same roads, fewer and longer lines.
    """
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
    chains = shapely.get_parts(shapely.simplify(merged, simplify_m, preserve_topology=False))
    lines = trails(chains)
    out = gpd.GeoDataFrame({"name": ["道路"]}, geometry=[shapely.multilinestrings(lines)],
                           crs=crs).to_crs("EPSG:4326")
    # about 1 m: the page stays small (coordinates are written with 5 decimals)
    return out.set_geometry(shapely.transform(out.geometry.to_numpy(), lambda c: np.round(c, 5)))


def trails(chains: np.ndarray) -> np.ndarray:
    """Lines joined end to end where they meet, each line used once, in one direction or
    the other: greedy walks from the odd junctions first (an Euler-path heuristic).

    Parameters
    ----------
    chains : array of LineString
        Lines whose ends meet exactly where they are joined.

    Returns
    -------
    array of LineString
        As many lines as walks (about half the number of odd junctions on a road network).
    """
    xy, which = shapely.get_coordinates(chains, return_index=True)
    if len(xy) == 0:
        return np.asarray(chains)
    size = np.bincount(which, minlength=len(chains))
    last = np.cumsum(size) - 1
    first = last - size + 1
    tips = np.concatenate([xy[first], xy[last]])
    _, node = np.unique(tips[:, 0] + 1j * tips[:, 1], return_inverse=True)  # exact matches
    n = len(chains)
    # per node, the chains that end there (CSR); start from odd nodes, then the others
    incident = np.argsort(node, kind="stable")
    ptr = np.searchsorted(node[incident], np.arange(node.max() + 2))
    degree = np.diff(ptr)
    edge = (incident % n).tolist()
    tail, head, ptr_l = node[:n].tolist(), node[n:].tolist(), ptr.tolist()
    at = ptr_l[:-1]
    used = bytearray(n)
    walks: list[list[int]] = []  # chain i forwards as i, backwards as ~i
    for start in np.flatnonzero(degree % 2).tolist() + np.flatnonzero(degree % 2 == 0).tolist():
        while True:
            cur, walk = start, []
            while True:
                i, stop = at[cur], ptr_l[cur + 1]
                while i < stop and used[edge[i]]:
                    i += 1
                at[cur] = i
                if i == stop:
                    break
                e = edge[i]
                used[e] = 1
                if tail[e] == cur:
                    walk.append(e)
                    cur = head[e]
                else:
                    walk.append(~e)
                    cur = tail[e]
            if not walk:
                break
            walks.append(walk)
    # the coordinates of each walk: its chains in turn, without the repeated junctions
    steps = np.array([s for w in walks for s in w])
    line_of = np.repeat(np.arange(len(walks)), [len(w) for w in walks])
    chain = np.where(steps >= 0, steps, ~steps)
    lead = np.r_[True, line_of[1:] != line_of[:-1]]  # a walk's first chain keeps its start
    take = size[chain] - ~lead
    pos = np.arange(take.sum()) - np.repeat(np.cumsum(take) - take, take)
    skip = np.repeat(~lead, take)
    rev = np.repeat(steps < 0, take)
    k = pos + skip
    index = np.where(rev, np.repeat(last[chain], take) - k, np.repeat(first[chain], take) + k)
    return shapely.linestrings(xy[index], indices=np.repeat(line_of, take))
