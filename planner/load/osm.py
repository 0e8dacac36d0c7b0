"""OpenStreetMap roads and water: local .osm / .osm.pbf / .osm.bz2 / .osm.gz, or online.

Every reader returns the same :class:`OsmLayers`:

- ``roads`` — one row per *segment* between two consecutive way nodes, in the
  legal direction of travel for one-way ways (``u`` -> ``v``), with columns
  :data:`ROAD_COLUMNS` (OSM node ids, way id, ``highway``, ``oneway`` (bool), the
  access tags of :data:`ACCESS_RULES`, ``name``) and a WGS-84 two-point LineString;
- ``nodes`` — OSM node id (index) -> ``lon``, ``lat`` of every road node;
- ``water`` — WGS-84 GeoDataFrame of water features with ``osm_type``
  (``way``/``relation``), ``osm_id``, ``natural``, ``water``, ``waterway``,
  ``landuse``, ``name`` and geometry (Polygon/MultiPolygon for areas,
  LineString for rivers, canals, ditches and coastlines);
- ``stats`` — what a clipped extract lacked (``ways_cut``, ``missing_nodes``, ...).

Local files are read in one streaming pass by pyosmium (libosmium parses XML, PBF and
their bzip2/gzip forms); the one-way and polygon rules are osmnx's own, so a local file
gives the same tables as the online path (:func:`planner.load.online.fetch_osm`, osmnx +
Overpass). Extracts
cut from a larger map (regional downloads, ``osmium extract``) refer to nodes that are not
in the file: such a way is cut at every missing node (its segments that touch one are
dropped, the rest kept) and the cuts are counted in ``stats``.

:func:`road_graph` measures every segment in the caller's metric CRS, applies
:data:`ACCESS_RULES` per travel mode and builds a :class:`planner.core.network.RoadGraph`.

Clipping to a county polygon keeps segments whose two end nodes lie inside the
polygon, and water features that intersect it (their geometry is not cut).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

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
    "natural": ["water", "wetland", "coastline", "bay", "strait"],
    "water": True,
    "waterway": ["river", "canal", "stream", "ditch", "drain", "riverbank", "dock",
                 "tidal_channel"],
    "landuse": ["reservoir", "basin", "aquaculture"],
}
WATER_COLUMNS = ["osm_type", "osm_id", "natural", "water", "waterway", "landuse", "name"]
#: Per-mode access tags read from every highway way.
ACCESS_TAGS = ("access", "foot", "vehicle", "motor_vehicle", "motorcar")
ROAD_COLUMNS = ["u", "v", "osm_way_id", "highway", "oneway", "bridge", *ACCESS_TAGS, "name"]
#: Suffixes of local OSM files.
XML_SUFFIXES = (".osm", ".xml", ".osm.bz2", ".osm.gz", ".xml.bz2", ".xml.gz")
OSM_SUFFIXES = (*XML_SUFFIXES, ".pbf")

#: highway values that are not usable roads at all.
NOT_ROADS = frozenset(
    {"proposed", "construction", "abandoned", "disused", "razed", "platform", "raceway",
     "bus_stop", "elevator", "rest_area", "services", "no", "emergency_bay"}
)
#: highway values pedestrians may not use.
NO_WALK = frozenset({"motorway", "motorway_link", "bus_guideway", "busway"})
#: highway values cars may not use. ``track`` stays drivable: rural tracks
#: (机耕路) in Jiangsu carry cars and tricycles.
NO_DRIVE = frozenset(
    {"footway", "path", "pedestrian", "steps", "cycleway", "bridleway", "corridor",
     "via_ferrata", "trail", "crossing", "bus_guideway", "busway"}
)
#: access values that close a way to a mode.
CLOSED_ACCESS = frozenset({"no", "private", "use_sidepath"})
#: Which tags decide each mode, most specific first: the first one present on a way decides
#: (a value in :data:`CLOSED_ACCESS` closes the way to that mode, any other value opens it),
#: after the highway class (:data:`NO_WALK`, :data:`NO_DRIVE`) has been applied.
ACCESS_RULES: dict[str, tuple[str, ...]] = {
    "walk": ("foot", "access"),
    "drive": ("motorcar", "motor_vehicle", "vehicle", "access"),
}

# osmnx's rules (osmnx.graph._add_paths), applied verbatim.
_ONEWAY_VALUES = frozenset({"yes", "true", "1", "-1", "reverse", "T", "F"})
_REVERSED_VALUES = frozenset({"-1", "reverse", "T"})
#: The tags of a way kept as road columns besides ``highway`` and ``oneway``.
WAY_ATTRS = ("bridge", *ACCESS_TAGS, "name")
_UNDEFINED = 2147483647  # libosmium's undefined fixed-point coordinate


@dataclass(frozen=True, eq=False)
class OsmLayers:
    """Roads and water read from one OSM source (see the module docstring)."""

    roads: gpd.GeoDataFrame
    nodes: pd.DataFrame
    water: gpd.GeoDataFrame
    source: str
    stats: dict = field(default_factory=dict)


def _polygon_rules() -> dict:
    try:  # osmnx's own table, so local files and the online path agree
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


def _is_water(tags) -> bool:
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


def empty_water() -> gpd.GeoDataFrame:
    """A water frame with no rows: the :data:`WATER_COLUMNS`, WGS-84."""
    return gpd.GeoDataFrame(
        {c: pd.Series(dtype=object) for c in WATER_COLUMNS}, geometry=[], crs=WGS84
    )


def water_frame(records: list[dict], geoms: list) -> gpd.GeoDataFrame:
    """Water features as a WGS-84 frame of :data:`WATER_COLUMNS` (missing tags as ``None``).

    Parameters
    ----------
    records : list of dict
        One dict of ``osm_type``, ``osm_id`` and water tags per feature.
    geoms : list of shapely geometries
        The features' WGS-84 geometries, in the order of ``records``.
    """
    if not records:
        return empty_water()
    df = pd.DataFrame(records)
    for c in WATER_COLUMNS:
        if c not in df:
            df[c] = None
    df = df[WATER_COLUMNS].astype({"osm_id": np.int64})
    return gpd.GeoDataFrame(df, geometry=geoms, crs=WGS84)


def _water_tags(tags) -> dict[str, str | None]:
    return {k: tags.get(k) for k in WATER_COLUMNS[2:]}


class _Collector:
    """Accumulates one streaming pass: way nodes as flat lists, water as shapes."""

    def __init__(self) -> None:
        self.refs = array("q")  # compact: a province's extract has tens of millions
        self.x = array("i")
        self.y = array("i")
        self.counts = array("q")
        self.ways: list[tuple] = []
        self.recs: list[dict] = []
        self.geoms: list = []
        self.water_cut = 0
        self.relations = 0
        self.wkb = None

    def way(self, obj) -> None:
        tags = obj.tags  # single look-ups are cheaper than copying every tag
        hw = tags.get("highway")
        water = _is_water(tags)
        if hw is None and not water:
            return
        refs, xs, ys = [], [], []
        for n in obj.nodes:
            refs.append(n.ref)
            xs.append(n.x)
            ys.append(n.y)
        if hw is not None and hw not in NOT_ROADS:
            self.refs.extend(refs)
            self.x.extend(xs)
            self.y.extend(ys)
            self.counts.append(len(refs))
            oneway = tags.get("oneway")
            self.ways.append((obj.id, hw, oneway in _ONEWAY_VALUES
                              or tags.get("junction") == "roundabout",
                              oneway in _REVERSED_VALUES, *(tags.get(k) for k in WAY_ATTRS)))
        if water:
            self._water_way(obj.id, {t.k: t.v for t in tags}, refs, xs, ys)

    def _water_way(self, way_id, tags, refs, xs, ys) -> None:
        xy = np.column_stack([xs, ys]).astype(float).reshape(-1, 2)
        ok = (xy[:, 0] != _UNDEFINED) & (xy[:, 1] != _UNDEFINED)
        lonlat = xy / 1e7
        if ok.all():
            closed = len(refs) > 2 and refs[0] == refs[-1]
            geom = (shapely.Polygon(lonlat) if closed and _closed_way_is_polygon(tags)
                    else shapely.LineString(lonlat) if len(refs) > 1 else None)
        else:  # clipped: keep the runs of present nodes as lines
            self.water_cut += 1
            run = np.cumsum(~ok)[ok]
            parts = [lonlat[ok][run == r] for r in np.unique(run)]
            parts = [q for q in parts if len(q) > 1]
            geom = (None if not parts else shapely.LineString(parts[0]) if len(parts) == 1
                    else shapely.MultiLineString(parts))
        if geom is not None:
            self.geoms.append(geom)
            self.recs.append({"osm_type": "way", "osm_id": way_id, **_water_tags(tags)})

    def area(self, obj) -> None:
        import osmium

        if not _is_water(obj.tags):
            return
        if self.wkb is None:
            self.wkb = osmium.geom.WKBFactory()
        try:
            g = shapely.from_wkb(bytes.fromhex(self.wkb.create_multipolygon(obj)))
        except RuntimeError:  # members missing from a clipped extract
            return
        self.geoms.append(g.geoms[0] if len(g.geoms) == 1 else g)
        self.recs.append({"osm_type": "relation", "osm_id": obj.orig_id(),
                          **_water_tags(obj.tags)})

    def roads(self) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
        """Segments (vectorised over every way node), road nodes and the cut counts."""
        refs = np.frombuffer(self.refs, dtype=np.int64) if self.refs else np.zeros(0, np.int64)
        xy = np.column_stack([np.frombuffer(self.x, dtype=np.int32) if self.x else [],
                              np.frombuffer(self.y, dtype=np.int32) if self.y else []]
                             ).astype(np.int64).reshape(-1, 2)
        counts = (np.frombuffer(self.counts, dtype=np.int64) if self.counts
                  else np.zeros(0, np.int64))
        way = np.repeat(np.arange(counts.size), counts)
        ok = (xy[:, 0] != _UNDEFINED) & (xy[:, 1] != _UNDEFINED)
        attrs = pd.DataFrame(self.ways, columns=["osm_way_id", "highway", "oneway", "reverse",
                                                 *WAY_ATTRS])
        # osmnx drops repeated consecutive nodes of a way before pairing them
        dup = np.zeros(refs.size, dtype=bool)
        dup[1:] = (refs[1:] == refs[:-1]) & (way[1:] == way[:-1])
        refs, ok, way, xy = refs[~dup], ok[~dup], way[~dup], xy[~dup]
        pair = (way[1:] == way[:-1]) & ok[1:] & ok[:-1]
        a, b, w = refs[:-1][pair], refs[1:][pair], way[:-1][pair]
        rev = attrs["reverse"].to_numpy(dtype=bool)[w]
        u, v = np.where(rev, b, a), np.where(rev, a, b)
        df = attrs.drop(columns="reverse").iloc[w].reset_index(drop=True)
        df.insert(0, "u", u)
        df.insert(1, "v", v)
        df = df[df["u"] != df["v"]]
        ids, first = np.unique(refs[ok], return_index=True)
        ll = xy[ok][first] / 1e7
        nodes = pd.DataFrame({"lon": ll[:, 0], "lat": ll[:, 1]},
                             index=pd.Index(ids, name="osm_id"))
        nodes = nodes.loc[np.unique(np.r_[df["u"].to_numpy(), df["v"].to_numpy()])]
        cut = np.unique(way[~ok])
        stats = {"ways_cut": int(cut.size), "missing_nodes": int(np.unique(refs[~ok]).size)}
        return df[ROAD_COLUMNS], nodes, stats

    def water(self) -> gpd.GeoDataFrame:
        return water_frame(self.recs, self.geoms)

    def stats(self) -> dict:
        built = sum(r["osm_type"] == "relation" for r in self.recs)
        return {"water_ways_cut": self.water_cut,
                "water_relations_incomplete": max(self.relations - built, 0)}


def assemble_layers(roads: tuple[pd.DataFrame, pd.DataFrame, dict], water: gpd.GeoDataFrame,
                     polygon, source: str, *, stats: dict | None = None) -> OsmLayers:
    """Clip, sort and put geometry on the segments, nodes and water of one source.

    Parameters
    ----------
    roads : tuple
        ``(segments, nodes, stats)``: forward segments with :data:`ROAD_COLUMNS`, node
        ``lon``/``lat`` indexed by OSM id, and the reader's counts.
    water : GeoDataFrame
        Water features (:func:`water_frame`).
    polygon : shapely geometry or None
        WGS-84 county polygon to clip to (``None``: no clipping).
    source : str
        What was read (a file name or ``"online"``).
    stats : dict, optional
        Further counts of the reader, added to :attr:`OsmLayers.stats`.
    """
    df, nodes, road_stats = roads
    df = df.astype({"u": np.int64, "v": np.int64, "osm_way_id": np.int64, "oneway": bool})
    if polygon is not None:
        inside = shapely.contains_xy(polygon, nodes["lon"].to_numpy(), nodes["lat"].to_numpy())
        nodes = nodes[inside]
        ok = df["u"].isin(nodes.index) & df["v"].isin(nodes.index)
        df = df[ok.to_numpy()]
        nodes = nodes.loc[np.unique(np.r_[df["u"].to_numpy(), df["v"].to_numpy()])]
        if len(water):
            water = water[shapely.intersects(water.geometry.to_numpy(), polygon)]
    df = df.sort_values(["osm_way_id", "u", "v"], kind="stable").reset_index(drop=True)
    nodes = nodes.sort_index()
    pu = nodes.loc[df["u"], ["lon", "lat"]].to_numpy()
    pv = nodes.loc[df["v"], ["lon", "lat"]].to_numpy()
    geom = shapely.linestrings(np.stack([pu, pv], axis=1)) if len(df) else []
    roads_gdf = gpd.GeoDataFrame(df, geometry=geom, crs=WGS84)
    water = water.sort_values(["osm_type", "osm_id"], kind="stable").reset_index(drop=True)
    return OsmLayers(roads=roads_gdf, nodes=nodes, water=water, source=source,
                     stats={**road_stats, **(stats or {})})


class OsmScan(NamedTuple):
    """What one pass over an OSM file found, before clipping (see :func:`scan_osm`)."""

    roads: tuple[pd.DataFrame, pd.DataFrame, dict]
    water: gpd.GeoDataFrame
    source: str
    stats: dict


def read_osm(path: str | Path, *, polygon=None, progress: bool = False) -> OsmLayers:
    """Read roads and water from a local OSM file with pyosmium, clipped extracts included.

    Parameters
    ----------
    path : str or pathlib.Path
        ``.osm``, ``.osm.pbf``, ``.osm.bz2`` or ``.osm.gz`` (an extract larger than the
        county is fine, and so is one clipped from a larger map).
    polygon : shapely Polygon or MultiPolygon, optional
        WGS-84 county polygon to clip to (``None`` keeps everything).
    progress : bool
        Show a progress bar (tqdm, on a terminal only) while the file is read.

    Returns
    -------
    OsmLayers
        ``stats`` counts the ways cut at nodes missing from the file (``ways_cut``), those
        nodes (``missing_nodes``) and the water relations that could not be assembled.

    Raises
    ------
    InputFileError
        If the file is missing, has an unknown suffix or cannot be parsed.
    """
    return clip_scan(scan_osm(path, progress=progress), polygon=polygon)


def clip_scan(scan: OsmScan, *, polygon=None) -> OsmLayers:
    """The layers of a :func:`scan_osm` clipped to the WGS-84 ``polygon`` (see
    :func:`read_osm`)."""
    return assemble_layers(scan.roads, scan.water, polygon, scan.source, stats=scan.stats)


def scan_osm(path: str | Path, *, progress: bool = False) -> OsmScan:
    """The pass of :func:`read_osm` over the file, without clipping: it needs no
    workspace, so it can run while the workspace is read (:func:`clip_scan` clips it)."""
    import osmium
    from tqdm import tqdm

    p = _check_path(path, OSM_SUFFIXES)
    acc = _Collector()
    keys = ("highway", *WATER_TAGS)
    _stop_monitor(tqdm)
    bar = tqdm(desc=f"OSM {p.name}", unit=" objects", unit_scale=True, mininterval=0.5,
               disable=None if progress else True, leave=False)
    try:
        with bar:
            # pass 1: ways (roads, water ways) with node locations; water relations counted
            fp = (osmium.FileProcessor(str(p)).with_locations()
                  .with_filter(osmium.filter.KeyFilter(*keys)))
            for i, obj in enumerate(fp):
                if obj.is_way():
                    acc.way(obj)
                elif obj.is_relation() and obj.tags.get("type") == "multipolygon":
                    acc.relations += _is_water(obj.tags)
                if not i % 4096:
                    bar.update(4096)
            if acc.relations:  # pass 2 (only then): libosmium assembles the multipolygons
                fp = (osmium.FileProcessor(str(p)).with_locations()
                      .with_areas(osmium.filter.KeyFilter(*WATER_TAGS))
                      .with_filter(osmium.filter.KeyFilter(*WATER_TAGS)))
                for i, obj in enumerate(fp):
                    if obj.is_area() and not obj.from_way():
                        acc.area(obj)
                    if not i % 4096:
                        bar.update(4096)
    except RuntimeError as exc:  # libosmium's parse errors (bad XML, truncated PBF ...)
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputFileError(
            f"cannot read OSM file {p}: {reason}; check it is OSM XML or PBF "
            "(.osm, .osm.pbf, .osm.bz2, .osm.gz) and not truncated") from exc
    return OsmScan(acc.roads(), acc.water(), _source_kind(p), acc.stats())


def read_osm_xml(path: str | Path, *, polygon=None, progress: bool = False) -> OsmLayers:
    """Read an OSM XML file (``.osm``, ``.osm.bz2``, ``.osm.gz``); see :func:`read_osm`."""
    return read_osm(_check_path(path, XML_SUFFIXES), polygon=polygon, progress=progress)


def read_osm_pbf(path: str | Path, *, polygon, progress: bool = False) -> OsmLayers:
    """Read an ``.osm.pbf`` extract; see :func:`read_osm`."""
    return read_osm(_check_path(path, (".pbf",)), polygon=polygon, progress=progress)


def _source_kind(p: Path) -> str:
    return "pbf" if p.name.lower().endswith(".pbf") else "xml"


def road_graph(layers: OsmLayers, *, crs) -> tuple[RoadGraph, np.ndarray]:
    """Measure the roads in a metric CRS and build a :class:`~planner.core.network.RoadGraph`.

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
        :func:`mode_permissions`.
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
    length = np.hypot(x[u] - x[v], y[u] - y[v])  # each segment is straight between two nodes
    walk, drive = mode_permissions(roads)
    graph = build_graph(
        u, v, length, n_nodes=node_ids.size, node_xy=np.column_stack([x, y]),
        oneway=roads["oneway"].to_numpy(dtype=bool), walk=walk, drive=drive,
    )
    return graph, node_ids


def mode_permissions(roads: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Whether each segment may be walked and driven, from its highway class and access tags.

    The highway class decides first (:data:`NO_WALK`, :data:`NO_DRIVE`); then, per mode, the
    most specific tag of :data:`ACCESS_RULES` present on the way: a value in
    :data:`CLOSED_ACCESS` closes it (``foot=no``, ``motor_vehicle=private``, ``access=no``),
    any other value (``yes``, ``designated``, ``destination`` ...) keeps it open, so that
    ``access=private`` + ``foot=yes`` is walkable but not drivable.

    Parameters
    ----------
    roads : pandas.DataFrame
        Rows of :data:`ROAD_COLUMNS` (missing tag columns count as absent).

    Returns
    -------
    walk, drive : numpy.ndarray of bool
    """
    n = len(roads)
    hw = roads["highway"].astype(str)
    out = []
    for mode, blocked in (("walk", NO_WALK), ("drive", NO_DRIVE)):
        decided = pd.Series([None] * n, index=roads.index, dtype=object)
        for tag in ACCESS_RULES[mode]:
            if tag in roads:
                decided = decided.fillna(roads[tag].astype(object).where(roads[tag].notna()))
        closed = decided.isin(CLOSED_ACCESS).to_numpy()
        out.append(~hw.isin(blocked).to_numpy() & ~closed)
    return out[0], out[1]


def _stop_monitor(bar_class) -> None:
    """Stop tqdm's monitor thread (started with any bar, even a disabled one): the bar is
    updated often enough without it, and a single-threaded process may later fork its
    writers (see :mod:`planner._beside`)."""
    bar_class.monitor_interval = 0
    if bar_class.monitor is not None:
        bar_class.monitor.exit()
        bar_class.monitor = None
