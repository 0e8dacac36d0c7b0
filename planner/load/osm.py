"""OpenStreetMap roads and water: local .osm XML, local .osm.pbf, or online (only on request).

Every reader returns the same :class:`OsmLayers`:

- ``roads`` — one row per *segment* between two consecutive way nodes, in the
  legal direction of travel for one-way ways (``u`` -> ``v``), with columns
  ``u``, ``v`` (OSM node ids), ``osm_way_id``, ``highway``, ``oneway`` (bool),
  ``bridge``, ``access``, ``name`` and a WGS-84 two-point LineString;
- ``nodes`` — OSM node id (index) -> ``lon``, ``lat`` of every road node;
- ``water`` — WGS-84 GeoDataFrame of water features with ``osm_type``
  (``way``/``relation``), ``osm_id``, ``natural``, ``water``, ``waterway``,
  ``landuse``, ``name`` and geometry (Polygon/MultiPolygon for areas,
  LineString for rivers, canals and ditches).

The XML reader uses :func:`osmnx.graph_from_xml` and :func:`osmnx.features_from_xml`;
osmnx cannot read PBF, so :func:`read_osm_pbf` uses pyosmium and applies
osmnx's own one-way and polygon rules, so both give identical tables for the
same data. :func:`road_graph` measures every segment in the caller's metric CRS
and builds a :class:`planner.network.RoadGraph`.

Clipping to a county polygon keeps segments whose two end nodes lie inside the
polygon, and water features that intersect it (their geometry is not cut).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby, pairwise
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from planner._errors import CRSError, InputFileError
from planner.core.network import RoadGraph, build_graph

WGS84 = "EPSG:4326"

#: Tags that select water features (for the water-safety work).
WATER_TAGS: dict[str, bool | list[str]] = {
    "natural": ["water", "wetland"],
    "water": True,
    "waterway": ["river", "canal", "stream", "ditch", "drain", "riverbank", "dock"],
    "landuse": ["reservoir", "basin", "aquaculture"],
}
WATER_COLUMNS = ["osm_type", "osm_id", "natural", "water", "waterway", "landuse", "name"]
ROAD_COLUMNS = ["u", "v", "osm_way_id", "highway", "oneway", "bridge", "access", "name"]

#: highway values that are not usable roads at all.
NOT_ROADS = frozenset(
    {"proposed", "construction", "abandoned", "disused", "razed", "platform", "raceway",
     "bus_stop", "elevator", "rest_area", "services", "no", "emergency_bay"}
)
#: highway values pedestrians may not use.
NO_WALK = frozenset({"motorway", "motorway_link"})
#: highway values cars may not use. ``track`` stays drivable: rural tracks
#: (机耕路) in Jiangsu carry cars and tricycles.
NO_DRIVE = frozenset(
    {"footway", "path", "pedestrian", "steps", "cycleway", "bridleway", "corridor", "via_ferrata"}
)
#: access values that close a way to everyone.
CLOSED_ACCESS = frozenset({"no", "private"})

# osmnx's rules (osmnx.graph._add_paths), applied verbatim to PBF ways.
_ONEWAY_VALUES = frozenset({"yes", "true", "1", "-1", "reverse", "T", "F"})
_REVERSED_VALUES = frozenset({"-1", "reverse", "T"})
_WAY_TAGS = ("highway", "oneway", "junction", "bridge", "access", "name")


@dataclass(frozen=True, eq=False)
class OsmLayers:
    """Roads and water read from one OSM source (see the module docstring)."""

    roads: gpd.GeoDataFrame
    nodes: pd.DataFrame
    water: gpd.GeoDataFrame
    source: str


def _polygon_rules() -> dict:
    try:  # osmnx's own table, so XML (osmnx) and PBF (pyosmium) agree
        from osmnx.features import _POLYGON_FEATURES
    except ImportError:  # pragma: no cover - osmnx moved it
        _POLYGON_FEATURES = {
            "natural": {"polygon": "blocklist", "values": {"coastline", "tree_row"}},
            "landuse": {"polygon": "all"},
            "waterway": {"polygon": "passlist", "values": {"boatyard", "dam", "dock", "riverbank"}},
        }
    return _POLYGON_FEATURES


def _closed_way_is_polygon(tags: dict[str, str]) -> bool:
    """osmnx's rule: a closed way is a polygon if one of its tags says so."""
    if tags.get("area") == "no":
        return False
    for key, value in tags.items():
        rule = _polygon_rules().get(key)
        if rule is None:
            continue
        kind = rule["polygon"]
        if kind == "all":
            return True
        if kind == "passlist" and value in rule["values"]:
            return True
        if kind == "blocklist" and value not in rule["values"]:
            return True
    return False


def _is_water(tags: dict[str, str]) -> bool:
    for key, allowed in WATER_TAGS.items():
        value = tags.get(key)
        if value is not None and (allowed is True or value in allowed):
            return True
    return False


def _check_path(path: str | Path, suffixes: tuple[str, ...]) -> Path:
    p = Path(path)
    if not p.is_file():
        raise InputFileError(f"OSM file {p} not found; check the roads path in planner.toml")
    if not p.name.lower().endswith(suffixes):
        raise InputFileError(f"OSM file {p} should end with {' or '.join(suffixes)}; rename it")
    return p


def _empty_water() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {c: pd.Series(dtype=object) for c in WATER_COLUMNS}, geometry=[], crs=WGS84
    )


def _finish(
    way_rows: list[tuple], coords: dict[int, tuple[float, float]], water: gpd.GeoDataFrame,
    polygon, source: str,
) -> OsmLayers:
    """Turn (u, v, way_id, highway, oneway, bridge, access, name) rows into OsmLayers."""
    rows = [r for r in way_rows if r[3] not in NOT_ROADS and r[0] != r[1]]
    df = pd.DataFrame(rows, columns=ROAD_COLUMNS)
    df = df.astype({"u": np.int64, "v": np.int64, "osm_way_id": np.int64, "oneway": bool})
    ids = np.unique(np.r_[df["u"].to_numpy(), df["v"].to_numpy()])
    lonlat = np.array([coords[i] for i in ids], dtype=float).reshape(-1, 2)
    nodes = pd.DataFrame(
        {"lon": lonlat[:, 0], "lat": lonlat[:, 1]}, index=pd.Index(ids, name="osm_id")
    )
    if polygon is not None:
        inside = shapely.contains_xy(polygon, lonlat[:, 0], lonlat[:, 1])
        nodes = nodes[inside]
        ok = df["u"].isin(nodes.index) & df["v"].isin(nodes.index)
        df = df[ok.to_numpy()]
        nodes = nodes.loc[np.unique(np.r_[df["u"].to_numpy(), df["v"].to_numpy()])]
        if len(water):
            water = water[shapely.intersects(water.geometry.to_numpy(), polygon)]
    df = df.sort_values(["osm_way_id", "u", "v"], kind="stable").reset_index(drop=True)
    pu = nodes.loc[df["u"], ["lon", "lat"]].to_numpy()
    pv = nodes.loc[df["v"], ["lon", "lat"]].to_numpy()
    geom = shapely.linestrings(np.stack([pu, pv], axis=1)) if len(df) else []
    roads = gpd.GeoDataFrame(df, geometry=geom, crs=WGS84)
    water = water.sort_values(["osm_type", "osm_id"], kind="stable").reset_index(drop=True)
    return OsmLayers(roads=roads, nodes=nodes.sort_index(), water=water, source=source)


def _water_frame(records: list[dict], geoms: list) -> gpd.GeoDataFrame:
    if not records:
        return _empty_water()
    df = pd.DataFrame(records)
    for c in WATER_COLUMNS:
        if c not in df:
            df[c] = None
    df = df[WATER_COLUMNS].astype({"osm_id": np.int64})
    return gpd.GeoDataFrame(df, geometry=geoms, crs=WGS84)


def _graph_rows(G) -> tuple[list[tuple], dict[int, tuple[float, float]]]:
    """Forward segments of an osmnx MultiDiGraph (its added reverse twins dropped)."""
    rows = []
    for u, v, d in G.edges(data=True):
        if d.get("reversed", False) is True:
            continue
        if "highway" not in d:  # osmnx's XML graph holds every way, waterways too
            continue
        way = d.get("osmid")
        if isinstance(way, list) or isinstance(d["highway"], list):
            raise InputFileError("OSM graph is simplified; build it with simplify=False")
        rows.append(
            (u, v, way, d["highway"], bool(d.get("oneway", False)), d.get("bridge"),
             d.get("access"), d.get("name"))
        )
    coords = {n: (float(d["x"]), float(d["y"])) for n, d in G.nodes(data=True)}
    return rows, coords


def _features_to_water(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if gdf is None or len(gdf) == 0:
        return _empty_water()
    gdf = gdf.reset_index()
    gdf = gdf[gdf["element"].isin(["way", "relation"])]
    recs = [
        {"osm_type": e, "osm_id": i, **{k: (None if pd.isna(gdf[k].iloc[j]) else gdf[k].iloc[j])
                                       for k in WATER_COLUMNS[2:] if k in gdf}}
        for j, (e, i) in enumerate(zip(gdf["element"], gdf["id"], strict=True))
    ]
    return _water_frame(recs, list(gdf.geometry))


def read_osm_xml(path: str | Path, *, polygon=None) -> OsmLayers:
    """Read roads and water from an OSM XML file with osmnx.

    Parameters
    ----------
    path : str or pathlib.Path
        ``.osm`` (or ``.xml``) file.
    polygon : shapely Polygon or MultiPolygon, optional
        WGS-84 county polygon to clip to.

    Returns
    -------
    OsmLayers
    """
    import osmnx as ox

    p = _check_path(path, (".osm", ".xml"))
    try:
        G = ox.graph_from_xml(p, simplify=False, retain_all=True, bidirectional=False)
    except Exception as exc:  # osmnx raises several types on bad XML
        raise InputFileError(f"cannot read OSM XML {p}: {exc}; check the file is OSM XML") from exc
    rows, coords = _graph_rows(G)
    try:
        feats = ox.features_from_xml(p, tags=WATER_TAGS)
    except ox._errors.InsufficientResponseError:
        feats = None
    return _finish(rows, coords, _features_to_water(feats), polygon, "xml")


def read_osm_pbf(path: str | Path, *, polygon) -> OsmLayers:
    """Read roads and water from an ``.osm.pbf`` extract with pyosmium, clipped to ``polygon``.

    Parameters
    ----------
    path : str or pathlib.Path
        ``.osm.pbf`` file (an extract larger than the county is fine).
    polygon : shapely Polygon or MultiPolygon or None
        WGS-84 county polygon to clip to (``None`` keeps everything).

    Returns
    -------
    OsmLayers
        Identical to :func:`read_osm_xml` on the same data.
    """
    import osmium

    p = _check_path(path, (".pbf",))
    wkb = osmium.geom.WKBFactory()
    rows: list[tuple] = []
    coords: dict[int, tuple[float, float]] = {}
    recs: list[dict] = []
    geoms: list = []
    keys = ("highway", *WATER_TAGS)
    fp = osmium.FileProcessor(str(p)).with_locations().with_areas(osmium.filter.KeyFilter(*keys))
    fp = fp.with_filter(osmium.filter.KeyFilter(*keys))
    try:
        for obj in fp:
            if obj.is_way():
                tags = {t.k: t.v for t in obj.tags}
                refs = [n.ref for n in obj.nodes]
                lonlat = [(n.lon, n.lat) for n in obj.nodes]
                if "highway" in tags:
                    rows.extend(_pbf_way_rows(obj.id, tags, refs, lonlat, coords))
                if _is_water(tags):
                    closed = len(refs) > 2 and refs[0] == refs[-1]
                    if closed and _closed_way_is_polygon(tags):
                        geoms.append(shapely.Polygon(lonlat))
                    else:
                        geoms.append(shapely.LineString(lonlat))
                    recs.append({"osm_type": "way", "osm_id": obj.id, **_water_tags(tags)})
            elif obj.is_area() and not obj.from_way():
                tags = {t.k: t.v for t in obj.tags}
                if _is_water(tags):
                    g = shapely.from_wkb(bytes.fromhex(wkb.create_multipolygon(obj)))
                    geoms.append(g.geoms[0] if len(g.geoms) == 1 else g)
                    recs.append(
                        {"osm_type": "relation", "osm_id": obj.orig_id(), **_water_tags(tags)}
                    )
    except RuntimeError as exc:
        raise InputFileError(f"cannot read OSM PBF {p}: {exc}; check the file is .osm.pbf") from exc
    return _finish(rows, coords, _water_frame(recs, geoms), polygon, "pbf")


def _water_tags(tags: dict[str, str]) -> dict[str, str | None]:
    return {k: tags.get(k) for k in WATER_COLUMNS[2:]}


def _pbf_way_rows(way_id, tags, refs, lonlat, coords) -> list[tuple]:
    """Segments of one highway way, with osmnx's one-way and reversal rules."""
    for r, ll in zip(refs, lonlat, strict=True):
        coords[r] = ll
    nodes = [k for k, _ in groupby(refs)]
    oneway = tags.get("oneway") in _ONEWAY_VALUES or tags.get("junction") == "roundabout"
    if oneway and tags.get("oneway") in _REVERSED_VALUES:
        nodes.reverse()
    extra = (tags.get("bridge"), tags.get("access"), tags.get("name"))
    return [(a, b, way_id, tags["highway"], oneway, *extra) for a, b in pairwise(nodes)]


def fetch_osm(polygon) -> OsmLayers:
    """Download roads and water for ``polygon`` with osmnx (network access; only on request).

    Parameters
    ----------
    polygon : shapely Polygon or MultiPolygon
        WGS-84 county polygon.

    Returns
    -------
    OsmLayers
    """
    import osmnx as ox

    try:
        G = ox.graph_from_polygon(
            polygon, network_type="all", simplify=False, retain_all=True, truncate_by_edge=False
        )
        feats = ox.features_from_polygon(polygon, tags=WATER_TAGS)
    except Exception as exc:  # network / Overpass failures
        raise InputFileError(
            f"online OpenStreetMap download failed: {exc}; retry later or use a local .osm/.osm.pbf"
        ) from exc
    rows, coords = _graph_rows(G)
    return _finish(rows, coords, _features_to_water(feats), polygon, "online")


def road_graph(layers: OsmLayers, *, crs) -> tuple[RoadGraph, np.ndarray]:
    """Measure the roads in a metric CRS and build a :class:`~planner.network.RoadGraph`.

    Parameters
    ----------
    layers : OsmLayers
        Output of one of the readers.
    crs : pyproj.CRS
        Projected (metric) CRS, e.g. from ``estimate_utm_crs``.

    Returns
    -------
    graph : RoadGraph
        Node ``i`` is OSM node ``node_ids[i]``; edge lengths are the projected
        segment lengths in metres. Walk/drive permissions follow
        :data:`NO_WALK`, :data:`NO_DRIVE` and :data:`CLOSED_ACCESS`.
    node_ids : numpy.ndarray
        OSM node id of each graph node (sorted).
    """
    crs = pyproj.CRS(crs)
    if not crs.is_projected:
        raise CRSError(
            f"road_graph needs a projected metric CRS, got {crs.name}; use estimate_utm_crs"
        )
    tr = pyproj.Transformer.from_crs(WGS84, crs, always_xy=True)
    node_ids = layers.nodes.index.to_numpy(dtype=np.int64)
    x, y = tr.transform(layers.nodes["lon"].to_numpy(), layers.nodes["lat"].to_numpy())
    roads = layers.roads
    u = np.searchsorted(node_ids, roads["u"].to_numpy())
    v = np.searchsorted(node_ids, roads["v"].to_numpy())
    geom = shapely.transform(
        roads.geometry.to_numpy(), lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1]))
    )
    length = shapely.length(geom)
    hw = roads["highway"].astype(str)
    closed = roads["access"].isin(CLOSED_ACCESS).to_numpy()
    walk = ~hw.isin(NO_WALK).to_numpy() & ~closed
    drive = ~hw.isin(NO_DRIVE).to_numpy() & ~closed
    graph = build_graph(
        u, v, length, n_nodes=node_ids.size, node_xy=np.column_stack([x, y]),
        oneway=roads["oneway"].to_numpy(dtype=bool), walk=walk, drive=drive,
    )
    return graph, node_ids
