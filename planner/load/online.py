"""Roads and water downloaded with osmnx (``planner run --online``), as :class:`OsmLayers`.

Local files are read by :func:`planner.load.osm.read_osm` (pyosmium); this module is the
online path only, imported on request (osmnx is slow to import).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from planner._errors import InputFileError
from planner.load.osm import (
    ACCESS_TAGS,
    NOT_ROADS,
    ROAD_COLUMNS,
    WATER_COLUMNS,
    WATER_TAGS,
    WAY_ATTRS,
    OsmLayers,
    assemble_layers,
    empty_water,
    water_frame,
)


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

    tags = list(ox.settings.useful_tags_way)
    ox.settings.useful_tags_way = list(dict.fromkeys([*tags, *ACCESS_TAGS]))
    try:
        G = ox.graph_from_polygon(
            polygon, network_type="all", simplify=False, retain_all=True, truncate_by_edge=False
        )
        feats = ox.features_from_polygon(polygon, tags=WATER_TAGS)
    except Exception as exc:  # network / Overpass failures
        raise InputFileError(
            f"online OpenStreetMap download failed: {exc}; retry later or use a local .osm/.osm.pbf"
        ) from exc
    finally:
        ox.settings.useful_tags_way = tags
    return assemble_layers(_graph_rows(G), _features_to_water(feats), polygon, "online")


def _graph_rows(G) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
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
        if d["highway"] in NOT_ROADS or u == v:
            continue
        rows.append((u, v, way, d["highway"], bool(d.get("oneway", False)),
                     *(d.get(k) for k in WAY_ATTRS)))
    df = pd.DataFrame(rows, columns=["u", "v", "osm_way_id", "highway", "oneway", *WAY_ATTRS])
    used = np.unique(np.r_[df["u"].to_numpy(dtype=np.int64), df["v"].to_numpy(dtype=np.int64)])
    coords = {n: (float(d["x"]), float(d["y"])) for n, d in G.nodes(data=True)}
    ll = np.array([coords[i] for i in used], dtype=float).reshape(-1, 2)
    nodes = pd.DataFrame({"lon": ll[:, 0], "lat": ll[:, 1]}, index=pd.Index(used, name="osm_id"))
    return df[ROAD_COLUMNS], nodes, {"ways_cut": 0, "missing_nodes": 0}


def _features_to_water(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if gdf is None or len(gdf) == 0:
        return empty_water()
    gdf = gdf.reset_index()
    gdf = gdf[gdf["element"].isin(["way", "relation"])]
    recs = [
        {"osm_type": e, "osm_id": i, **{k: (None if pd.isna(gdf[k].iloc[j]) else gdf[k].iloc[j])
                                       for k in WATER_COLUMNS[2:] if k in gdf}}
        for j, (e, i) in enumerate(zip(gdf["element"], gdf["id"], strict=True))
    ]
    return water_frame(recs, list(gdf.geometry))
