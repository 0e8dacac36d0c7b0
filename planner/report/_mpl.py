"""Geometries onto matplotlib axes as a few collections, built from shapely 2 arrays.

geopandas' ``plot`` makes one patch per polygon in a Python loop; here the coordinates
of all polygons (or lines) come out of shapely in one call and become a single
``PathCollection`` (or ``LineCollection``), one path per feature, holes kept. Shapes
are first simplified to half a pixel of the printed map (in the metric CRS the maps are
drawn in), which leaves the picture unchanged and the paths much shorter.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.path import Path

_POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)
_LINEAR = (shapely.GeometryType.LINESTRING, shapely.GeometryType.MULTILINESTRING,
           shapely.GeometryType.LINEARRING)


def pixel_tolerance(ax, bounds: Sequence[float]) -> float:
    """Half a pixel of ``ax``, in the units of ``bounds`` (x0, y0, x1, y1), assuming the
    axes show ``bounds`` with an equal aspect."""
    fig = ax.get_figure()
    pos = ax.get_position()
    px = min(pos.width * fig.get_figwidth(), pos.height * fig.get_figheight()) * fig.dpi
    span = max(bounds[2] - bounds[0], bounds[3] - bounds[1])
    return 0.5 * span / max(px, 1.0)


def _per_feature(value, n: int) -> list:
    """A colour or width for each of ``n`` features (one given for all, or one each)."""
    if isinstance(value, str) or value is None or np.ndim(value) == 0:
        return [value] * n
    if len(value) != n:
        raise ValueError(f"{len(value)} styles for {n} features")
    return list(value)


def _polygon_paths(geoms: np.ndarray) -> tuple[list[Path], np.ndarray]:
    """One compound path per polygon part (exterior and holes) and the index of the
    input geometry each part came from."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    rings, ring_owner = shapely.get_rings(parts, return_index=True)
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    per_ring = np.bincount(coord_ring, minlength=len(rings))
    starts = np.concatenate([[0], np.cumsum(per_ring)[:-1]])
    codes = np.full(len(coords), Path.LINETO, dtype=Path.code_type)
    keep = per_ring > 0
    codes[starts[keep]] = Path.MOVETO
    codes[(starts + per_ring - 1)[keep]] = Path.CLOSEPOLY
    per_part = np.bincount(ring_owner, weights=per_ring, minlength=len(parts)).astype(int)
    cut = np.cumsum(per_part)[:-1]
    paths = [Path(v, c) for v, c in zip(np.split(coords, cut), np.split(codes, cut),
                                         strict=True)]
    return paths, owner


def _line_parts(geoms: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """The vertex arrays of every line part and the index of its input geometry."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    coords, idx = shapely.get_coordinates(parts, return_index=True)
    per_part = np.bincount(idx, minlength=len(parts))
    return np.split(coords, np.cumsum(per_part)[:-1]), owner


def add_geometries(ax, geoms, *, facecolor="none", edgecolor="none", linewidth=0.0,
                   alpha: float | None = None, tolerance: float = 0.0,
                   zorder: float = 1.0) -> None:
    """Draw polygons (filled, with edges) and lines (edges only) of ``geoms`` on ``ax``.

    Parameters
    ----------
    ax : matplotlib Axes
        Axes in the same (metric) CRS as ``geoms``.
    geoms : array of shapely geometries
        Polygons, lines or their multi-parts; points and empty shapes are skipped.
    facecolor, edgecolor : colour or sequence of colours
        One for all features or one per feature (lines take ``edgecolor``).
    linewidth : float or sequence of floats
        Edge width in points, one for all or one per feature.
    alpha : float, optional
        Opacity of the fill and edges.
    tolerance : float
        Simplify shapes to this distance first (see :func:`pixel_tolerance`); 0 keeps
        them as they are.
    zorder : float
        Drawing order of the collections.
    """
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    if not n:
        return
    if tolerance > 0:
        geoms = shapely.simplify(geoms, tolerance, preserve_topology=True)
    faces, edges, widths = (_per_feature(v, n) for v in (facecolor, edgecolor, linewidth))
    kind = shapely.get_type_id(geoms)
    live = ~shapely.is_empty(geoms)
    poly = np.flatnonzero(np.isin(kind, _POLYGONAL) & live)
    if len(poly):
        paths, owner = _polygon_paths(geoms[poly])
        src = poly[owner]
        coll = PathCollection(paths, facecolors=[faces[i] for i in src],
                              edgecolors=[edges[i] for i in src],
                              linewidths=[widths[i] for i in src], alpha=alpha,
                              zorder=zorder)
        ax.add_collection(coll, autolim=True)
    line = np.flatnonzero(np.isin(kind, _LINEAR) & live)
    if len(line):
        segments, owner = _line_parts(geoms[line])
        src = line[owner]
        colours = [edges[i] if edges[i] != "none" else faces[i] for i in src]
        coll = LineCollection(segments, colors=colours, linewidths=[widths[i] for i in src],
                              alpha=alpha, zorder=zorder)
        ax.add_collection(coll, autolim=True)
    ax.set_aspect("equal")
    ax.autoscale_view()


def add_outlines(ax, geoms, *, color: str, linewidth: float, tolerance: float = 0.0,
                 zorder: float = 1.0) -> None:
    """The boundaries of polygons ``geoms`` as lines (the outline of each area)."""
    geoms = np.asarray(geoms, dtype=object)
    if tolerance > 0:
        geoms = shapely.simplify(geoms, tolerance, preserve_topology=True)
    add_geometries(ax, shapely.boundary(geoms), edgecolor=color, linewidth=linewidth,
                   zorder=zorder)
