"""Water and kit layers as ``planner run`` and ``planner check`` both validate them.

* **Several water files.** ``[layers.water]`` names one file, ``[[layers.water]]`` (an array
  of tables) several - lines and polygons, each with its own datum and fields. Each file is
  normalised once (:func:`water_file`: type codes from a ``type`` column or OSM tags, ids,
  the file and row of every record); ids repeated across files are prefixed with the file's
  name, ids repeated within a file get their row (``W7#12``).
* **The same water drawn twice** (:func:`merge_water`): a line lying for at least half its
  length inside a polygon (within :data:`INSIDE_TOLERANCE_M`) is that polygon's centre line
  (a river drawn as line and as area) and is merged into it; a polygon at least half of
  which (of the smaller of the two) overlaps a polygon of an earlier file, or a line running
  for at least half its length along a line of an earlier file (within
  :data:`DUPLICATE_BUFFER_M`), is the same water from two sources. The repeated record is
  rejected in the ledger naming the one kept, which takes its name if it has none. Polygons
  of one file that overlap are the file's own drawing: they are kept, and listed as a
  finding.
* **Findings** (:func:`water_findings`): a water polygon larger than the county (a national
  or provincial small-scale layer: only its part inside the county is measured, see
  :func:`planner.validate.water_layer.banks`), and a layer far coarser than the villages
  (the mean distance between its vertices above :data:`COARSE_SHARE` of the villages'
  typical width: bank distances to homes are then unreliable).
* **Kits** (:func:`kit_file`) are normalised once, with the file named in every message.
"""

from __future__ import annotations

from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.records.ledger import Ledger
from planner.validate.water_layer import normalise_kits, normalise_water

#: a layer whose mean vertex spacing exceeds this share of the villages' median width is
#: far coarser than the villages (1:4 million hydrography: a vertex every 1-3 km)
COARSE_SHARE: Final[float] = 0.25
#: tolerance (m) within which a line counts as lying along a line of another file
DUPLICATE_BUFFER_M: Final[float] = 20.0
#: tolerance (m) within which a line counts as lying inside a polygon (a ditch running into
#: a pond has only its end there)
INSIDE_TOLERANCE_M: Final[float] = 2.0
#: share of a line (or of the smaller polygon) that makes two records the same water
DUPLICATE_SHARE: Final[float] = 0.5
#: overlaps of polygons smaller than this share (of the smaller) are not reported
OVERLAP_NOTE_SHARE: Final[float] = 0.01


def water_file(frame: gpd.GeoDataFrame, *, file: str, crs: Any) -> gpd.GeoDataFrame:
    """One water file normalised (``water_id, name, type, type_label, source, _row``,
    geometry, WGS-84); OSM-tagged files are typed with their areas in the metric ``crs``.

    Raises
    ------
    InputFileError
        Naming ``file`` when it has neither a type column nor OSM tags, or a bad geometry.
    """
    out = normalise_water(frame, source=file, metric_crs=crs)
    out["source"] = file
    out["_row"] = (frame["_row"].to_numpy() if "_row" in frame
                   else np.arange(1, len(frame) + 1))
    return out.to_crs("EPSG:4326")


def merge_water(files: list[gpd.GeoDataFrame], *, crs: Any, ledger: Ledger,
                layer: str = "water") -> tuple[gpd.GeoDataFrame, list[str]]:
    """Several normalised water files as one layer, the same water kept once (module doc).

    Returns
    -------
    (water, findings) : GeoDataFrame, list of str
        The kept records (ids unique) and the findings on overlaps.
    """
    if not files:
        return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs="EPSG:4326")), []
    water = gpd.GeoDataFrame(pd.concat(files, ignore_index=True), crs="EPSG:4326")
    repeated = water["water_id"].duplicated(keep=False) & (water["source"].nunique() > 1)
    water.loc[repeated, "water_id"] = (water.loc[repeated, "source"].map(_stem) + ":"
                                       + water.loc[repeated, "water_id"])
    again = water["water_id"].duplicated(keep=False)  # an id repeated within one file
    water.loc[again, "water_id"] = (water.loc[again, "water_id"] + "#"
                                    + water.loc[again, "_row"].astype(str))
    geom = water.geometry.to_crs(crs).to_numpy()
    dup, partial = _duplicates(geom, water["source"].to_numpy())
    rows = np.flatnonzero(dup >= 0)
    for file in pd.unique(water["source"].to_numpy()[rows]):
        sel = rows[water["source"].to_numpy()[rows] == file]
        ledger.reject_each(layer, file, water.iloc[sel], [
            f"同一水域重复（与 {water['source'].iat[k]} 第 {water['_row'].iat[k]} 行） / the "
            f"same water as {water['source'].iat[k]} row {water['_row'].iat[k]} (a line "
            "inside its polygon, or drawn in two files): that record is kept"
            for k in dup[sel]])
    # a name travels to the record kept (a named river line merged into an unnamed area)
    names = water["name"].fillna("").astype(str).to_numpy().copy()
    take = rows[(names[rows] != "") & (names[dup[rows]] == "")]
    names[dup[take[::-1]]] = names[take[::-1]]
    water["name"] = names
    findings = []
    if len(partial):
        i, j = partial[0]
        findings.append(
            f"{water['source'].iat[j]} 第 {water['_row'].iat[j]} 行等 {len(partial)} 处水域面与"
            f"其他水域面重叠（如与 {water['source'].iat[i]} 第 {water['_row'].iat[i]} 行），"
            f"各自的岸线分别计算；请核对是否重复绘制 / {water['source'].iat[j]} row "
            f"{water['_row'].iat[j]} and {len(partial) - 1} more water polygons overlap "
            "another (their banks are measured separately): check for water drawn twice")
    keep = dup < 0
    return water[keep].reset_index(drop=True), findings


def _stem(file: str) -> str:
    return file.rsplit(".", 1)[0]


def _duplicates(geom: np.ndarray, source: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per record the earlier record it repeats (-1 if none), and the pairs of polygons that
    overlap only in part (see the module doc)."""
    n = len(geom)
    dup = np.full(n, -1)
    kind = shapely.get_type_id(geom)
    poly = np.isin(kind, (3, 6))
    line = np.isin(kind, (1, 2, 5))
    pi = np.flatnonzero(poly)
    partial = np.zeros((0, 2), dtype=np.int64)
    if len(pi):
        # polygons over polygons: the later (or the one inside) repeats the earlier
        tree = shapely.STRtree(geom[pi])
        a, b = tree.query(geom[pi], predicate="intersects")
        a, b = pi[a], pi[b]
        keep = a < b
        a, b = a[keep], b[keep]
        share = (shapely.area(shapely.intersection(geom[a], geom[b]))
                 / np.maximum(np.minimum(shapely.area(geom[a]), shapely.area(geom[b])), 1e-9))
        same = (share >= DUPLICATE_SHARE) & (source[a] != source[b])
        _first(dup, b[same], a[same])
        note = ~same & (share >= OVERLAP_NOTE_SHARE)
        partial = np.column_stack([a[note], b[note]])
        # lines inside polygons: a river's centre line beside its area
        li = np.flatnonzero(line)
        if len(li):
            zone = shapely.buffer(geom[pi], INSIDE_TOLERANCE_M)
            la, za = shapely.STRtree(zone).query(geom[li], predicate="intersects")
            inside = shapely.length(shapely.intersection(geom[li][la], zone[za]))
            share = inside / np.maximum(shapely.length(geom[li][la]), 1e-9)
            hit = share >= DUPLICATE_SHARE
            _first(dup, li[la[hit]], pi[za[hit]])
    # lines along lines of another file
    li = np.flatnonzero(line & (dup < 0))
    if len(li) > 1:
        zone = shapely.buffer(geom[li], DUPLICATE_BUFFER_M)
        a, b = shapely.STRtree(zone).query(geom[li], predicate="intersects")
        keep = (li[b] < li[a]) & (source[li[a]] != source[li[b]])
        a, b = a[keep], b[keep]
        share = (shapely.length(shapely.intersection(geom[li][a], zone[b]))
                 / np.maximum(shapely.length(geom[li][a]), 1e-9))
        hit = share >= DUPLICATE_SHARE
        _first(dup, li[a[hit]], li[b[hit]])
    return dup, partial


def _first(dup: np.ndarray, later: np.ndarray, kept: np.ndarray) -> None:
    """Mark ``later[k]`` as repeating ``kept[k]`` (the earliest kept record wins) unless it
    is marked already."""
    order = np.lexsort((kept, later))
    later, kept = later[order], kept[order]
    first = np.r_[True, later[1:] != later[:-1]] if len(later) else np.zeros(0, bool)
    later, kept = later[first], kept[first]
    new = dup[later] < 0
    dup[later[new]] = kept[new]


def water_findings(water: gpd.GeoDataFrame, *, county_m: shapely.Geometry,
                   villages: gpd.GeoDataFrame, crs: Any) -> list[str]:
    """A polygon larger than the county, a layer far coarser than the villages (module
    doc); one Chinese-first line each, naming the file (and row)."""
    if len(water) == 0:
        return []
    out = []
    geom = water.geometry.to_crs(crs).to_numpy()
    area = shapely.area(geom)
    county_area = float(shapely.area(county_m))
    big = np.flatnonzero(area > county_area)
    if len(big):
        k = big[0]
        out.append(
            f"{water['source'].iat[k]} 第 {water['_row'].iat[k]} 行：水域面积 "
            f"{area[k] / 1e6:,.0f} 平方公里，大于县域（{county_area / 1e6:,.0f} 平方公里）"
            f"{'等 ' + str(len(big)) + ' 处' if len(big) > 1 else ''}，多为小比例尺全国/全省"
            "图层，只计县内部分；建议换用县级水域图层 / "
            f"{water['source'].iat[k]} row {water['_row'].iat[k]}: a water polygon larger "
            "than the county: only its part inside the county is measured; use a county-scale "
            "water layer")
    placed = villages[villages.geometry.notna()] if len(villages) else villages
    area = shapely.area(placed.geometry.to_crs(crs).to_numpy()) if len(placed) else []
    width = float(np.median(np.sqrt(area))) if len(area) else 0.0
    for file in pd.unique(water["source"]):
        sel = (water["source"] == file).to_numpy()
        spacing = _spacing(geom[sel])
        if width > 0 and spacing > COARSE_SHARE * width:
            out.append(
                f"{file}：水域边界平均每 {spacing:,.0f} 米才有一个节点，村（居）宽约 "
                f"{width:,.0f} 米——图层远比村界粗，岸线到住户的距离不可靠；建议换用大比例尺"
                f"（如 1:1 万）或 OpenStreetMap 水域 / {file}: the water layer is far coarser "
                f"than the villages (a vertex every {spacing:,.0f} m, villages about "
                f"{width:,.0f} m across): bank distances are unreliable; use a finer layer")
    return out


def _spacing(geom: np.ndarray) -> float:
    """Mean distance between consecutive vertices of the outlines and lines (m)."""
    rings = np.where(np.isin(shapely.get_type_id(geom), (3, 6)), shapely.boundary(geom), geom)
    length = shapely.length(rings)
    parts = shapely.get_num_geometries(rings)
    steps = np.maximum(shapely.get_num_coordinates(rings) - parts, 1)
    return float(length.sum() / steps.sum())


def kit_file(frame: gpd.GeoDataFrame, *, file: str, min_rope_m: float) -> gpd.GeoDataFrame:
    """The kit layer normalised once (:func:`planner.validate.water_layer.normalise_kits`,
    every message naming ``file``; ``complete`` by the planner's one rule with
    ``[water] min_rope_m``), with the file and row of each kit."""
    out = normalise_kits(frame, source=file, min_rope_m=min_rope_m)
    out["_row"] = (frame["_row"].to_numpy() if "_row" in frame
                   else np.arange(1, len(frame) + 1))
    return out
