"""Synthetic rural road network written as OSM XML, for the offline demo.

The network imitates a plain county in central Jiangsu (如皋): county roads
(``primary`` along a spanning tree of the town centres, ``secondary`` on the other
short links), town roads (``tertiary``) joining each town centre to its villages,
and a jittered grid of lanes (``unclassified``, ``residential``, ``track``,
``footway``) over the villages, running on across village borders and tied to every
village and town centre. Roads cross at grade: wherever two road segments cross,
both get a shared junction node. Canals are crossed only at bridges: county and town
roads always bridge them, lanes keep a crossing only every ``bridge_spacing_m`` along
a canal and wherever a crossing is the sole link between two parts of the network.
The result is one connected network (checked with
:func:`scipy.sparse.csgraph.connected_components`), written deterministically:
nodes and ways in id order, fixed coordinate precision, so a seed gives a
byte-identical file.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import scipy.sparse as sp
import shapely
from scipy.sparse import csgraph
from scipy.spatial import Delaunay, cKDTree
from scipy.spatial.distance import pdist, squareform

from planner._errors import CRSError

_LANES = ("unclassified", "residential", "track", "footway")
_LANE_P = (0.35, 0.35, 0.2, 0.1)
_MAIN = frozenset({"primary", "secondary", "tertiary"})


class _Net:
    """Growing list of nodes (metric xy) and polylines (node-id chains)."""

    def __init__(self) -> None:
        self.xy: list[np.ndarray] = []
        self.n = 0
        self.chains: list[tuple[np.ndarray, str]] = []
        self.fixed: set[int] = set()  # chains never dropped at random (centre links)

    def add_nodes(self, xy: np.ndarray) -> np.ndarray:
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        ids = np.arange(self.n, self.n + len(xy))
        self.xy.append(xy)
        self.n += len(xy)
        return ids

    def road(self, a: int, b: int, highway: str, rng, *, step: float, wiggle: float) -> None:
        """Gently winding road between existing nodes ``a`` and ``b``."""
        xy = np.concatenate(self.xy) if len(self.xy) > 1 else self.xy[0]
        self.xy = [xy]
        pa, pb = xy[a], xy[b]
        d = float(np.hypot(*(pb - pa)))
        k = max(int(d // step), 1)
        t = np.linspace(0.0, 1.0, k + 1)[1:-1]
        if t.size:
            normal = np.array([-(pb - pa)[1], (pb - pa)[0]]) / max(d, 1e-9)
            amp = wiggle * d * rng.uniform(-1, 1)
            off = amp * np.sin(np.pi * t) + rng.normal(0, step * 0.08, t.size)
            mid = self.add_nodes(pa + t[:, None] * (pb - pa) + off[:, None] * normal)
            ids = np.r_[a, mid, b]
        else:
            ids = np.array([a, b])
        self.chains.append((ids, highway))


def _centres(gdf: gpd.GeoDataFrame, crs) -> np.ndarray:
    p = gdf.geometry.to_crs(crs).representative_point()
    return np.column_stack([p.x.to_numpy(), p.y.to_numpy()])


def _mst_pairs(xy: np.ndarray) -> np.ndarray:
    if len(xy) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    t = csgraph.minimum_spanning_tree(sp.csr_matrix(squareform(pdist(xy)) + 1e-9)).tocoo()
    return np.column_stack([t.row, t.col]).astype(np.int64)


def _lane_grid(net: _Net, polys: np.ndarray, centre_ids: np.ndarray, spacing: float,
               rng) -> np.ndarray:
    """Jittered lane grid over all villages; returns the lane node ids.

    Each grid node belongs to the village containing it. Lanes follow the grid rows
    and columns, one chain (one lane type) per village stretch of a row, and the last
    link of a stretch runs on to the first node of the next village, so lanes meet
    across village borders as they do in the plain. Each village centre is tied to
    the nearest lane node of its village (of any village, if its own has none).
    """
    if len(polys) == 0:
        return np.zeros(0, dtype=np.int64)
    x0, y0, x1, y1 = shapely.total_bounds(polys)
    X, Y = np.meshgrid(np.arange(x0 + spacing / 2, x1, spacing),
                       np.arange(y0 + spacing / 2, y1, spacing))
    X = X + rng.uniform(-0.25, 0.25, X.shape) * spacing
    Y = Y + rng.uniform(-0.25, 0.25, Y.shape) * spacing
    pt, poly = shapely.STRtree(polys).query(shapely.points(X.ravel(), Y.ravel()),
                                            predicate="within")
    order = np.lexsort((poly, pt))
    first = np.r_[True, pt[order][1:] != pt[order][:-1]]
    vil = np.full(X.size, -1, dtype=np.int64)
    vil[pt[order][first]] = poly[order][first]
    vil = vil.reshape(X.shape)
    ids = np.full(X.shape, -1, dtype=np.int64)
    ids[vil >= 0] = net.add_nodes(np.column_stack([X[vil >= 0], Y[vil >= 0]]))
    for lines, owner in ((ids, vil), (ids.T, vil.T)):
        for row, own in zip(lines, owner, strict=True):
            _add_runs(net, row, own, rng)
    xy = np.concatenate(net.xy)
    net.xy = [xy]
    lanes = ids[ids >= 0]
    for k, centre in enumerate(centre_ids.tolist()):
        own = ids[vil == k]
        cand = own if own.size else lanes  # a village too small for a grid node
        if cand.size == 0:
            continue
        dist = np.hypot(*(xy[cand] - xy[centre]).T)
        if own.size or dist.min() <= 3.0 * spacing:
            net.fixed.add(len(net.chains))
            net.chains.append((np.array([centre, cand[int(np.argmin(dist))]]), "unclassified"))
    return lanes


def _add_runs(net: _Net, row: np.ndarray, own: np.ndarray, rng) -> None:
    """Lane chains along consecutive grid nodes of one grid row, split by village."""
    seg = np.flatnonzero((row[:-1] >= 0) & (row[1:] >= 0))
    if seg.size == 0:
        return
    lab = own[seg]
    new = np.flatnonzero((np.diff(seg) != 1) | (np.diff(lab) != 0)) + 1
    for run in np.split(seg, new):
        net.chains.append((row[run[0]:run[-1] + 2], str(rng.choice(_LANES, p=_LANE_P))))


def _segments(net: _Net):
    xy = np.concatenate(net.xy)
    u = np.concatenate([c[:-1] for c, _ in net.chains])
    v = np.concatenate([c[1:] for c, _ in net.chains])
    chain = np.concatenate([np.full(len(c) - 1, i) for i, (c, _) in enumerate(net.chains)])
    return xy, u, v, chain


def _prune(xy, u, v, chain, parent, main, fixed, canals, inside, spacing,
           rng) -> tuple[np.ndarray, ...]:
    """Choose bridges and removed segments; return (bridge, removed, crossing) masks.

    Lanes lose ~12 % of their grid links (a link split at road crossings is dropped
    whole: ``parent`` maps each segment to its link) and every canal crossing not
    chosen as a bridge; segments leaving the county are dropped. Removed links that
    are the only way to join two parts of the network are put back (Kruskal order:
    plain links first, then crossings, which become bridges); finally only the
    largest connected part is kept.
    """
    n_seg = u.size
    bridge = np.zeros(n_seg, dtype=bool)
    crossing = np.zeros(n_seg, dtype=bool)
    drop = rng.random(int(parent.max()) + 1 if n_seg else 0) < 0.12
    removed = ~main[chain] & ~fixed[chain] & drop[parent]
    if canals is not None and len(canals):
        segs = shapely.linestrings(np.stack([xy[u], xy[v]], axis=1))
        canal_geoms = np.asarray(canals, dtype=object)
        ci, si = shapely.STRtree(segs).query(canal_geoms, predicate="intersects")
        crossing[si] = True
        along = shapely.line_locate_point(
            canal_geoms[ci], shapely.centroid(shapely.intersection(canal_geoms[ci], segs[si]))
        )
        for c in np.unique(ci):
            sel = np.flatnonzero(ci == c)
            sel = sel[np.argsort(along[sel], kind="stable")]
            last = -np.inf
            for k in sel:
                s = si[k]
                if main[chain[s]] or (along[k] - last >= spacing * rng.uniform(0.7, 1.3)):
                    bridge[s] = True
                    last = along[k] if not main[chain[s]] else last
        removed |= crossing & ~bridge
    outside = ~(inside[u] & inside[v])
    removed &= ~outside
    bridge &= ~removed
    n = xy.shape[0]
    keep = ~removed & ~outside
    g = sp.csr_matrix((np.ones(keep.sum()), (u[keep], v[keep])), shape=(n, n))
    _, label = csgraph.connected_components(g, directed=False)
    parent = np.arange(label.max() + 1)

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    cand = np.flatnonzero(removed)
    for s in cand[np.argsort(crossing[cand], kind="stable")]:
        a, b = find(label[u[s]]), find(label[v[s]])
        if a != b:
            parent[a] = b
            removed[s] = False
            bridge[s] = crossing[s]
    removed |= outside
    keep = ~removed
    g = sp.csr_matrix((np.ones(keep.sum()), (u[keep], v[keep])), shape=(n, n))
    _, label = csgraph.connected_components(g, directed=False)
    big = np.argmax(np.bincount(label[u[keep]]))
    removed |= label[u] != big
    bridge &= ~removed
    return bridge, removed, crossing


def write_synthetic_osm(
    path: str | Path,
    *,
    county,
    villages: gpd.GeoDataFrame,
    towns: gpd.GeoDataFrame,
    crs,
    canals: gpd.GeoSeries | None = None,
    seed: int = 0,
    lane_spacing_m: float = 220.0,
    bridge_spacing_m: float = 2500.0,
) -> dict:
    """Write a synthetic county road network as OSM XML.

    Parameters
    ----------
    path : str or pathlib.Path
        Output ``.osm`` file.
    county : shapely Polygon or MultiPolygon
        WGS-84 county outline; nodes outside it are dropped with their segments.
    villages, towns : geopandas.GeoDataFrame
        WGS-84 polygons (``village_code``, ``town_code``; ``town_code``, ``town_name``).
    crs : pyproj.CRS
        Projected metric CRS in which the network is laid out.
    canals : geopandas.GeoSeries, optional
        WGS-84 LineStrings of canals and rivers, crossed only at bridges.
    seed : int
        Random seed; the file is byte-identical for the same inputs and seed.
    lane_spacing_m : float
        Spacing of the village lane grid (smaller -> more edges).
    bridge_spacing_m : float
        Typical distance between lane bridges along one canal.

    Returns
    -------
    dict
        ``nodes``, ``edges`` (segments), ``ways``, ``bridges``, ``removed_crossings``,
        ``components`` (1) and ``km_by_highway``.
    """
    crs = pyproj.CRS(crs)
    if not crs.is_projected:
        raise CRSError(
            f"write_synthetic_osm needs a projected CRS, got {crs.name}; use estimate_utm_crs"
        )
    rng = np.random.default_rng(seed)
    villages = villages.sort_values("village_code", kind="stable").reset_index(drop=True)
    towns = towns.sort_values("town_code", kind="stable").reset_index(drop=True)
    net = _Net()
    town_ids = net.add_nodes(_centres(towns, crs))
    vil_ids = net.add_nodes(_centres(villages, crs))
    txy = np.concatenate(net.xy)[town_ids]
    # county roads: spanning tree -> primary, other short Delaunay links -> secondary
    tree = {tuple(sorted(p)) for p in _mst_pairs(txy).tolist()}
    extra: set[tuple[int, int]] = set()
    if len(txy) >= 3:
        for simplex in Delaunay(txy).simplices:
            for a, b in ((0, 1), (1, 2), (0, 2)):
                extra.add(tuple(sorted((int(simplex[a]), int(simplex[b])))))
    mst_len = np.mean([np.hypot(*(txy[a] - txy[b])) for a, b in tree]) if tree else 0.0
    for a, b in sorted(tree | extra):
        if (a, b) in tree:
            net.road(town_ids[a], town_ids[b], "primary", rng, step=250.0, wiggle=0.04)
        elif np.hypot(*(txy[a] - txy[b])) <= 1.6 * mst_len:
            net.road(town_ids[a], town_ids[b], "secondary", rng, step=250.0, wiggle=0.05)
    # town roads: per town, spanning tree over the town centre and its village centres
    vt = villages["town_code"].astype(str).to_numpy()
    for t, code in enumerate(towns["town_code"].astype(str)):
        members = np.r_[town_ids[t], vil_ids[vt == code]]
        pts = np.concatenate(net.xy)[members]
        for a, b in _mst_pairs(pts).tolist():
            net.road(members[a], members[b], "tertiary", rng, step=200.0, wiggle=0.06)
    # lane grid over the villages, tied to the village and town centres; then a
    # junction node wherever two roads cross (canals keep their bridges, see _prune)
    polys = villages.geometry.to_crs(crs).to_numpy()
    lanes = _lane_grid(net, polys, vil_ids, lane_spacing_m, rng)
    _link_towns(net, town_ids, lanes, lane_spacing_m)
    n_plain = net.n
    parent = _node_crossings(net)

    xy, u, v, chain = _segments(net)
    highway = np.array([h for _, h in net.chains])
    main = np.isin(highway, list(_MAIN))  # per chain
    fixed = np.isin(np.arange(len(net.chains)), sorted(net.fixed))
    canal_m = None
    if canals is not None:
        canal_m = gpd.GeoSeries(canals, crs="EPSG:4326").to_crs(crs).to_numpy()
    lonlat = np.column_stack(
        pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(xy[:, 0], xy[:, 1])
    )
    inside = shapely.contains_xy(county, lonlat[:, 0], lonlat[:, 1])
    bridge, removed, crossing = _prune(
        xy, u, v, chain, parent, main, fixed, canal_m, inside, bridge_spacing_m, rng
    )
    n_removed = int((crossing & removed).sum())
    u, v, chain, bridge, removed = _unsplit(u, v, chain, bridge, removed, n_plain)
    stats = _write(Path(path), lonlat, u, v, chain, highway, bridge, removed, xy)
    stats["removed_crossings"] = n_removed
    return stats


def _link_towns(net: _Net, town_ids: np.ndarray, grid: np.ndarray, spacing: float) -> None:
    """Tie each town centre (an end of its town roads) to the nearest lane node."""
    if grid.size == 0:
        return
    xy = np.concatenate(net.xy)
    net.xy = [xy]
    d, k = cKDTree(xy[grid]).query(xy[town_ids])
    for t, dist, near in zip(town_ids.tolist(), d.tolist(), grid[k].tolist(), strict=True):
        if dist <= 3.0 * spacing:
            net.fixed.add(len(net.chains))
            net.chains.append((np.array([t, near]), "unclassified"))


def _node_crossings(net: _Net) -> np.ndarray:
    """Give every pair of properly crossing road segments a shared junction node.

    Roads in the plain cross at grade, so each crossing point becomes a new node
    inserted into both chains (ordered along the segment when a segment has several
    crossings). Canals are not roads and keep their bridge-only rule. Returns, for
    each segment of the split chains (in :func:`_segments` order), the index of the
    original segment it is part of.
    """
    xy, u, v, chain = _segments(net)
    segs = shapely.linestrings(np.stack([xy[u], xy[v]], axis=1))
    i, j = shapely.STRtree(segs).query(segs)  # bounding boxes overlap
    keep = (i < j) & (u[i] != u[j]) & (u[i] != v[j]) & (v[i] != u[j]) & (v[i] != v[j])
    i, j = i[keep], j[keep]
    order = np.lexsort((j, i))
    i, j = i[order], j[order]

    def side(p, q, x):  # sign of the turn p -> q -> x
        return (q[:, 0] - p[:, 0]) * (x[:, 1] - p[:, 1]) - (q[:, 1] - p[:, 1]) * (x[:, 0] - p[:, 0])

    a, b, c, d = xy[u[i]], xy[v[i]], xy[u[j]], xy[v[j]]
    # proper crossing: the ends of each segment lie strictly on both sides of the other
    cross = (side(a, b, c) * side(a, b, d) < 0) & (side(c, d, a) * side(c, d, b) < 0)
    i, j, a, c = i[cross], j[cross], a[cross], c[cross]
    r, s = b[cross] - a, d[cross] - c
    ca = c - a
    den = r[:, 0] * s[:, 1] - r[:, 1] * s[:, 0]
    t = np.clip((ca[:, 0] * s[:, 1] - ca[:, 1] * s[:, 0]) / den, 0.0, 1.0)
    w = np.clip((ca[:, 0] * r[:, 1] - ca[:, 1] * r[:, 0]) / den, 0.0, 1.0)
    new = net.add_nodes(a + t[:, None] * r) if i.size else np.zeros(0, dtype=np.int64)
    # every segment contributes its start node (key -1), crossings their node (key t)
    seg = np.r_[np.arange(u.size), i, j]
    key = np.r_[np.full(u.size, -1.0), t, w]
    node = np.r_[u, new, new]
    order = np.lexsort((key, seg))
    seg, node = seg[order], node[order]
    bounds = np.r_[0, np.cumsum([len(ch) - 1 for ch, _ in net.chains])]
    starts = np.searchsorted(seg, bounds)
    net.chains = [(np.r_[node[starts[k]:starts[k + 1]], ch[-1]], hw)
                  for k, (ch, hw) in enumerate(net.chains)]
    return seg


def _unsplit(u, v, chain, bridge, removed, n_plain) -> tuple[np.ndarray, ...]:
    """Drop junction nodes (ids >= ``n_plain``) left on one road when the other was pruned.

    Such a node lies on the straight segment it split, so joining the two halves back
    changes no geometry or length; it only keeps the file small.
    """
    if u.size == 0:
        return u, v, chain, bridge, removed
    keep = ~removed
    deg = np.bincount(np.r_[u[keep], v[keep]], minlength=int(max(u.max(), v.max())) + 1)
    join = np.zeros(u.size, dtype=bool)  # segment k is merged into segment k - 1
    join[1:] = ((u[1:] >= n_plain) & (deg[u[1:]] == 2) & (chain[1:] == chain[:-1])
                & keep[1:] & keep[:-1] & (bridge[1:] == bridge[:-1]))
    head = np.flatnonzero(~join)
    last = np.r_[head[1:] - 1, u.size - 1]
    return u[head], v[last], chain[head], bridge[head], removed[head]


def _write(path: Path, lonlat, u, v, chain, highway, bridge, removed, xy) -> dict:
    """Split chains into ways at removed segments and bridge changes; write OSM XML."""
    n = lonlat.shape[0]
    keep = ~removed
    g = sp.csr_matrix((np.ones(keep.sum()), (u[keep], v[keep])), shape=(n, n))
    used = np.zeros(n, dtype=bool)
    used[u[keep]] = True
    used[v[keep]] = True
    _, label = csgraph.connected_components(g, directed=False)
    comps = np.unique(label[used]).size
    # segments are grouped by chain and in chain order; cut where a way must end
    cut = np.ones(u.size, dtype=bool)
    cut[1:] = (chain[1:] != chain[:-1]) | (bridge[1:] != bridge[:-1]) | removed[:-1] | removed[1:]
    starts = np.flatnonzero(cut)
    new_id = np.zeros(n, dtype=np.int64)
    new_id[used] = np.arange(1, used.sum() + 1)
    lines = ["<?xml version='1.0' encoding='UTF-8'?>",
             '<osm version="0.6" generator="planner._roads_synth">']
    lo, la = lonlat[used, 0], lonlat[used, 1]
    lines.append(f'  <bounds minlat="{la.min():.7f}" minlon="{lo.min():.7f}" '
                 f'maxlat="{la.max():.7f}" maxlon="{lo.max():.7f}"/>' if used.any() else "")
    lines += [f'  <node id="{i}" version="1" lat="{a:.7f}" lon="{o:.7f}"/>'
              for i, a, o in zip(new_id[used], la, lo, strict=True)]
    n_ways = 0
    for segs in np.split(np.arange(u.size), starts[1:]):
        if removed[segs[0]]:
            continue
        refs = np.r_[new_id[u[segs[0]]], new_id[v[segs]]]
        n_ways += 1
        lines.append(f'  <way id="{n_ways}" version="1">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines.append(f'    <tag k="highway" v="{highway[chain[segs[0]]]}"/>')
        if bridge[segs[0]]:
            lines += ['    <tag k="bridge" v="yes"/>', '    <tag k="layer" v="1"/>']
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(x for x in lines if x) + "\n", encoding="utf-8")
    seg_len = np.hypot(*(xy[u] - xy[v]).T)
    km = {h: round(float(seg_len[keep & (highway[chain] == h)].sum()) / 1000, 1)
          for h in sorted(set(highway.tolist()))}
    return {"nodes": int(used.sum()), "edges": int(keep.sum()), "ways": n_ways,
            "bridges": int((bridge & keep).sum()),
            "components": int(comps), "km_by_highway": km}


def synthetic_divisions(
    centre_lonlat: tuple[float, float],
    *,
    size_km: float,
    n_towns: int,
    n_villages: int,
    crs,
    seed: int = 0,
) -> tuple:
    """Square county of Voronoi villages grouped into towns, with two canals (tests, benchmarks).

    Returns
    -------
    tuple
        ``(county, towns, villages, canals)``: WGS-84 polygon, town and village
        GeoDataFrames (columns as :func:`write_synthetic_osm` needs) and a GeoSeries of
        canal LineStrings.
    """
    crs = pyproj.CRS(crs)
    rng = np.random.default_rng(seed)
    to_m = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    cx, cy = to_m.transform(*centre_lonlat)
    h = size_km * 500.0
    box = shapely.box(cx - h, cy - h, cx + h, cy + h)
    seeds = rng.uniform([cx - h, cy - h], [cx + h, cy + h], size=(n_villages, 2))
    cells = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=box)
    cells = shapely.intersection(np.asarray(shapely.get_parts(cells)), box)
    order = cKDTree(seeds).query(shapely.get_coordinates(shapely.point_on_surface(cells)))[1]
    polys = np.empty(n_villages, dtype=object)
    polys[order] = cells
    tseeds = rng.uniform([cx - h, cy - h], [cx + h, cy + h], size=(n_towns, 2))
    town_of = cKDTree(tseeds).query(seeds)[1]
    vil = gpd.GeoDataFrame({
        "village_code": [f"V{i:04d}" for i in range(n_villages)],
        "village_name": [f"村{i}" for i in range(n_villages)],
        "town_code": [f"T{t:02d}" for t in town_of],
        "town_name": [f"镇{t}" for t in town_of],
    }, geometry=list(polys), crs=crs)
    twn = vil.dissolve(by=["town_code", "town_name"], as_index=False)[
        ["town_code", "town_name", "geometry"]]
    canal = [shapely.LineString([(cx - h * 1.1, cy - h * 0.3), (cx + h * 1.1, cy + h * 0.2)]),
             shapely.LineString([(cx + h * 0.25, cy - h * 1.1), (cx - h * 0.1, cy + h * 1.1)])]
    canals = gpd.GeoSeries(canal, crs=crs).to_crs("EPSG:4326")
    county = gpd.GeoSeries([box], crs=crs).to_crs("EPSG:4326").iloc[0]
    return county, twn.to_crs("EPSG:4326"), vil.to_crs("EPSG:4326"), canals
