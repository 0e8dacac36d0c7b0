"""Synthesise town and village polygons that tile a real county outline.

Used only to build demo and benchmark workspaces. A jittered grid of points fills the
county (in a metric CRS); towns are grown as a capacity-constrained power diagram on the
points (each town's share of points proportional to its number of villages), made
contiguous, and then the same is done for the villages inside each town. Polygons are
unions of the points' Voronoi cells, so villages tile their town and towns tile the county
exactly.
"""

from __future__ import annotations

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

POINTS_PER_UNIT = 60


def grid_points(polygon, *, n: int, rng: np.random.Generator) -> np.ndarray:
    """About ``n`` jittered grid points inside ``polygon`` (metric coordinates)."""
    minx, miny, maxx, maxy = polygon.bounds
    step = np.sqrt(polygon.area / n)
    xs = np.arange(minx + step / 2, maxx, step)
    ys = np.arange(miny + step / 2, maxy, step)
    gx, gy = np.meshgrid(xs, ys)
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    pts += rng.uniform(-0.35 * step, 0.35 * step, size=pts.shape)
    inside = shapely.contains_xy(polygon, pts[:, 0], pts[:, 1])
    return pts[inside]


def _neighbours(pts: np.ndarray, step: float):
    pairs = cKDTree(pts).query_pairs(1.6 * step, output_type="ndarray")
    return pairs[:, 0], pairs[:, 1]


def power_partition(pts: np.ndarray, targets: np.ndarray, *, rng: np.random.Generator,
                    iterations: int = 60) -> np.ndarray:
    """Split points into ``len(targets)`` compact groups with sizes near ``targets``.

    Seeds start far apart; each iteration assigns points by power distance
    (``|p - s|^2 - w``), moves weights toward the target sizes and seeds to centroids.
    """
    k = len(targets)
    if k == 1:
        return np.zeros(len(pts), dtype=np.int64)
    share = targets / targets.sum() * len(pts)
    seeds = [pts[rng.integers(len(pts))]]
    dmin = np.full(len(pts), np.inf)
    for _ in range(k - 1):
        dmin = np.minimum(dmin, ((pts - seeds[-1]) ** 2).sum(axis=1))
        seeds.append(pts[int(np.argmax(dmin))])
    seeds = np.array(seeds)
    weights = np.zeros(k)
    scale = ((pts.max(axis=0) - pts.min(axis=0)) ** 2).sum() / k
    label = np.zeros(len(pts), dtype=np.int64)
    px, py = pts[:, :1], pts[:, 1:]
    for it in range(iterations):
        # x and y apart: bit-identical to summing (p - s)**2 over the last axis, 3x faster
        d = ((px - seeds[:, 0]) ** 2 + (py - seeds[:, 1]) ** 2) - weights
        label = np.argmin(d, axis=1)
        counts = np.bincount(label, minlength=k)
        weights += 0.5 * scale * (share - counts) / np.maximum(share, 1) / (1 + it / 10)
        for j in np.flatnonzero(counts):
            seeds[j] = pts[label == j].mean(axis=0)
    return label


def make_contiguous(pts: np.ndarray, label: np.ndarray, *, step: float,
                    rounds: int = 8) -> np.ndarray:
    """Hand each label's detached fragments to the neighbouring label they touch most."""
    if len(pts) < 2:
        return label
    a, b = _neighbours(pts, step)
    n = len(pts)
    label = label.copy()
    for _ in range(rounds):
        same = label[a] == label[b]
        graph = coo_matrix((np.ones(same.sum()), (a[same], b[same])), shape=(n, n))
        _, comp = connected_components(graph, directed=False)
        size = np.bincount(comp)
        biggest = np.zeros(label.max() + 1, dtype=np.int64)
        order = np.lexsort((size[comp], label))
        biggest[label[order]] = comp[order]
        stray = comp != biggest[label]
        if not stray.any():
            break
        cross = ~same & (stray[a] | stray[b])
        src = np.concatenate([a[cross], b[cross]])
        dst = np.concatenate([b[cross], a[cross]])
        ok = stray[src] & ~stray[dst]
        if not ok.any():
            break
        label[src[ok]] = label[dst[ok]]
    return label


def cells(pts: np.ndarray, polygon) -> np.ndarray:
    """Voronoi cell of every point, clipped to ``polygon``, in the points' order."""
    vor = shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=polygon.envelope.buffer(
        1000.0))
    parts = shapely.get_parts(vor)
    tree = shapely.STRtree(parts)
    idx_pt, idx_cell = tree.query(shapely.points(pts), predicate="within")
    ordered = np.empty(len(pts), dtype=object)
    ordered[idx_pt] = parts[idx_cell]
    out = shapely.intersection(ordered, polygon)
    mixed = np.flatnonzero(shapely.get_type_id(out) == 7)  # a cell touching the outline
    out[mixed] = [polygonal(g) for g in out[mixed]]
    return out


def polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """``geom`` made valid, keeping only its polygons (make_valid and intersections may
    leave stray lines or points)."""
    parts = shapely.get_parts(shapely.make_valid(geom))
    return shapely.union_all(parts[np.isin(shapely.get_type_id(parts), (3, 6))])


def dissolve(cell_geoms: np.ndarray, label: np.ndarray, k: int) -> list:
    """Union of the cells of each label, as clean polygons."""
    out = []
    for j in range(k):
        geom = shapely.coverage_union_all(cell_geoms[label == j])
        clean = geom.is_valid and shapely.get_type_id(geom) in (3, 6)
        out.append(geom if clean else polygonal(geom))
    return out


def tile(polygon, *, villages_per_town: list[int], rng: np.random.Generator) -> tuple[
    list, list[list]
]:
    """Tile ``polygon`` into towns and villages.

    Returns
    -------
    (towns, villages)
        ``towns[t]`` is a polygon; ``villages[t][v]`` the polygons of town ``t``'s villages.
    """
    counts = np.asarray(villages_per_town, dtype=float)
    for density in (1, 2, 4, 8):  # denser if a town got fewer points than villages
        n_pts = int(density * POINTS_PER_UNIT * counts.sum())
        pts = grid_points(polygon, n=n_pts, rng=rng)
        step = np.sqrt(polygon.area / n_pts)
        town = power_partition(pts, counts, rng=rng)
        town = _fill_empty(make_contiguous(pts, town, step=step), len(counts))
        if (np.bincount(town, minlength=len(counts)) >= counts).all():
            break
    cell = cells(pts, polygon)
    village_polys: list[list] = []
    for t, nv in enumerate(villages_per_town):
        sel = np.flatnonzero(town == t)
        sizes = np.clip(rng.lognormal(0.0, 0.3, size=nv), 0.5, 2.0)
        lab = power_partition(pts[sel], sizes, rng=rng)
        lab = make_contiguous(pts[sel], lab, step=step)
        lab = _fill_empty(lab, nv)
        village_polys.append(dissolve(cell[sel], lab, nv))
    towns = [shapely.coverage_union_all(np.array(v, dtype=object)) for v in village_polys]
    return towns, village_polys


def _fill_empty(label: np.ndarray, k: int) -> np.ndarray:
    """Give any label left without points one point from the largest label."""
    label = label.copy()
    for j in range(k):
        if not (label == j).any():
            big = np.bincount(label, minlength=k).argmax()
            label[np.flatnonzero(label == big)[0]] = j
    return label
