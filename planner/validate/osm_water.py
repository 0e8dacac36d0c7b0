"""Water bodies from the roads' OpenStreetMap file, alone or merged with a workspace layer.

When a workspace gives no ``[layers.water]`` its water comes from the same OSM file as its
roads (:func:`planner.load.osm.read_osm` reads both in one pass). When it gives one, the
bureau's own layer wins and an OSM feature is added only if it is not already there: an
OSM feature is a *duplicate* when at least ``overlap`` (half) of its bank (a polygon's
outline or a line) lies within ``buffer_m`` (20 m) of the layer's water. Duplicates are
rejected in the ledger with that reason, so read = accepted + rejected still holds.

Types come from the tags (:func:`planner.validate.water_layer.classify_osm`, areas measured in
the workspace's metric CRS); ids are ``osm:way/<id>`` or ``osm:relation/<id>``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.geo.crs import WGS84, check_metric
from planner.glossary import WATER_TYPES
from planner.records.ledger import Ledger
from planner.validate.water_inputs import merge_water
from planner.validate.water_layer import as_water, classify_osm

#: Ledger layer name of the water taken from OpenStreetMap.
LAYER = "water_osm"


def osm_water_layer(water: gpd.GeoDataFrame, *, crs) -> gpd.GeoDataFrame:
    """OSM water features (``OsmLayers.water``) as a typed WGS-84 water layer.

    Parameters
    ----------
    water : geopandas.GeoDataFrame
        ``osm_type``, ``osm_id``, the water tags, ``name`` and geometry, in WGS-84.
    crs : pyproj.CRS
        Metric CRS in which areas are measured.

    Returns
    -------
    geopandas.GeoDataFrame
        ``_row`` (1-based), ``water_id``, ``name``, ``type`` (code), ``type_label``,
        ``source`` (``"osm"``) and geometry.
    """
    crs = check_metric(crs, where="the OSM water layer")
    n = len(water)
    area = shapely.area(water.geometry.to_crs(crs).to_numpy()) if n else np.zeros(0)
    codes = classify_osm(pd.DataFrame(water.drop(columns=water.geometry.name)), area_m2=area)
    ids = [f"osm:{t}/{i}" for t, i in zip(water["osm_type"], water["osm_id"], strict=True)]
    names = water["name"].astype(object).where(water["name"].notna(), "").astype(str)
    return gpd.GeoDataFrame(
        {"_row": np.arange(1, n + 1), "water_id": ids, "name": names.to_numpy(),
         "type": codes, "type_label": [WATER_TYPES[c] for c in codes], "source": "osm"},
        geometry=water.geometry.to_numpy(), crs=water.crs or WGS84, index=pd.RangeIndex(n))


def duplicates(osm: gpd.GeoDataFrame, layer: gpd.GeoDataFrame, *, crs, buffer_m: float = 20.0,
               overlap: float = 0.5) -> np.ndarray:
    """Which OSM features repeat water already in ``layer`` (see the module docstring)."""
    crs = check_metric(crs, where="the water merge")
    if len(osm) == 0 or len(layer) == 0:
        return np.zeros(len(osm), dtype=bool)
    own = shapely.union_all(shapely.buffer(layer.geometry.to_crs(crs).to_numpy(), buffer_m))
    geom = osm.geometry.to_crs(crs).to_numpy()
    parts, idx = shapely.get_parts(geom, return_index=True)
    poly = shapely.get_type_id(parts) == 3
    bank = np.where(poly, shapely.get_exterior_ring(parts), parts)
    total = np.bincount(idx, weights=shapely.length(bank), minlength=len(osm))
    inside = np.bincount(idx, weights=shapely.length(shapely.intersection(bank, own)),
                         minlength=len(osm))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, inside / np.where(total > 0, total, 1.0), 0.0)
    return share >= overlap


def add_osm_water(extra: dict, osm_water: gpd.GeoDataFrame, *, crs, ledger: Ledger,
                  file: str) -> dict:
    """Put the OSM water into ``extra["water"]`` (merged with a layer if there is one).

    Parameters
    ----------
    extra : dict
        The workspace's extra layers (``Workspace.extra``); changed in place.
    osm_water : geopandas.GeoDataFrame
        ``OsmLayers.water`` (already clipped to the county).
    crs : pyproj.CRS
        The workspace's metric CRS.
    ledger : Ledger
        Records the OSM features read, accepted and rejected as duplicates.
    file : str
        Name of the OSM file (for the ledger).

    Returns
    -------
    dict
        JSON-ready figures for ``run.json``: ``read``, ``added``, ``duplicates``, ``by_type``.
    """
    osm = osm_water_layer(osm_water, crs=crs)
    n_read = len(osm)
    ledger.read(LAYER, file, n_read, encoding="osm")
    # the same river as a waterway line and a water area: the line is merged into the area
    if n_read:
        osm, _ = merge_water([osm.assign(source=file)], crs=crs, ledger=ledger, layer=LAYER)
    layer = extra.get("water")
    dup = np.zeros(len(osm), dtype=bool)
    if layer is not None and len(osm):
        dup = duplicates(osm, layer, crs=crs)
        ledger.reject(LAYER, file, osm[dup], "与水域图层重复 / already in the water layer "
                      "(half its bank within 20 m): the layer's record is kept")
    keep = osm[~dup]
    ledger.accept(LAYER, file, len(keep))
    if len(keep):
        cols = ["water_id", "name", "type", "type_label", "source", "geometry"]
        keep = keep.assign(source="osm")
        if layer is not None:
            own = as_water(layer, source="water layer")
            own = own.assign(source=own["source"] if "source" in own else "layer")
            merged = pd.concat([own[cols], keep.to_crs(own.crs)[cols]], ignore_index=True)
        else:
            merged = keep[cols]
        extra["water"] = gpd.GeoDataFrame(merged, geometry="geometry",
                                          crs=keep.crs).reset_index(drop=True)
    return {
        "read": n_read, "added": len(keep), "duplicates": int(dup.sum()),
        "lines_merged_into_areas": n_read - len(osm),
        "merged_with_layer": layer is not None,
        "by_type": {str(k): int(v) for k, v in keep["type"].value_counts().sort_index().items()},
    }
