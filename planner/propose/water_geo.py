"""The water stage's geometry, once: layers -> numbers along banks (:class:`WaterGeo`).

Everything geometric the stage needs is measured here, in the metric CRS, on the part of
each water inside the county: banks and their segments, the nearest home and school and the
children within reach of each segment and each water, incidents near them, the reach of a
kit on each segment, where each existing kit sits on a bank, the town of each water and
segment, and the access points of high-consequence waters (one per village and water).
What follows
(:mod:`planner.propose.water_plan`) works on the arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from planner._errors import InputFileError
from planner.core.network import RoadGraph
from planner.core.water_model import segment_reach
from planner.geo.crs import check_metric
from planner.glossary import KIT_ITEMS
from planner.measure.risk import weighted_children
from planner.propose._geo import assign_towns, layer_xy, segment_context, water_context
from planner.propose.water_names import water_locators
from planner.settings import WaterConfig
from planner.validate.water_layer import (
    Banks,
    Segments,
    as_kits,
    as_water,
    bank_points,
    banks,
    split_banks,
)


@dataclass(frozen=True)
class WaterLayers:
    """The layers of one water-safety run (any CRS; ``crs`` is the metric one, ``clip`` the
    county in it, or ``None``)."""

    water: gpd.GeoDataFrame
    kits: gpd.GeoDataFrame | None
    homes: gpd.GeoDataFrame
    schools: gpd.GeoDataFrame | None
    towns: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame | None
    incidents: gpd.GeoDataFrame | None
    roads: gpd.GeoDataFrame | None
    crs: Any
    clip: shapely.Geometry | None = None


@dataclass
class WaterGeo:
    """The measured layers (see the module doc); arrays indexed by water, segment, kit."""

    water: gpd.GeoDataFrame      #: normalised water, metric
    kits: gpd.GeoDataFrame       #: normalised kits, metric
    bank: Banks
    seg: Segments
    seg_water: np.ndarray
    geom: np.ndarray             #: each water's part inside the county
    clipped: dict[str, Any]
    homes: np.ndarray            #: home (x, y)
    counts: np.ndarray           #: children, under5, left_behind per home
    access: np.ndarray           #: homes and schools (x, y)
    seg_home: np.ndarray
    seg_school: np.ndarray
    seg_near: np.ndarray         #: band-weighted children near each segment
    water_ctx: dict[str, np.ndarray]
    water_incidents: np.ndarray
    seg_incidents: np.ndarray
    reach: np.ndarray
    kit_xy: np.ndarray
    kit_bank: np.ndarray         #: bank of each existing kit (-1: not on a bank)
    kit_pos: np.ndarray
    kit_items: np.ndarray        #: (n, 4) items present
    kit_short: np.ndarray        #: rope shorter than min_rope_m
    kit_effective: np.ndarray    #: complete by the one rule (``complete`` of the kit layer)
    water_town: np.ndarray
    seg_town: np.ndarray
    road_xy: np.ndarray
    locator: np.ndarray          #: human locator of each water (planner.propose.water_names)

    @property
    def args(self) -> tuple[np.ndarray, ...]:
        """``(seg_bank, s0, s1, reach, bank_len, bank_closed)`` for planner.core.kits."""
        return (self.seg.bank, self.seg.s0, self.seg.s1, self.reach, self.bank.length,
                self.bank.closed)

    @property
    def attached(self) -> np.ndarray:
        return self.kit_bank >= 0

    def access_distance(self, bank: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """Distance from bank points to the nearest home or school (0 without any)."""
        if len(self.access) == 0 or len(bank) == 0:
            return np.zeros(len(bank))
        pts = shapely.get_coordinates(bank_points(self.bank, bank, pos))
        return cKDTree(self.access).query(pts)[0]


def water_geo(layers: WaterLayers, *, config: WaterConfig,
              graph: RoadGraph | None = None) -> WaterGeo:
    """Measure the layers once (module doc)."""
    crs = check_metric(layers.crs, where="the water-safety CRS")
    wn = as_water(layers.water, source="water layer").to_crs(crs)
    kn = as_kits(layers.kits, source="kits layer", min_rope_m=config.min_rope_m)
    bk = banks(wn, crs=crs, clip=layers.clip)
    seg = split_banks(bk, segment_m=config.segment_m)
    seg_water = bk.water[seg.bank]
    homes = layer_xy(layers.homes, crs)
    counts = np.column_stack([_count(layers.homes, c, required=c == "children")
                              for c in ("children", "under5", "left_behind")])
    wc = weighted_children(*counts.T, config=config)
    schools = layer_xy(layers.schools, crs)
    seg_home, seg_school, seg_near = segment_context(seg, homes, wc, schools, config)
    geom, clipped = _inside(wn, bk, layers.clip, crs=crs)
    w_inc, s_inc = _incidents(layer_xy(layers.incidents, crs), geom, seg, config)
    quiet = (np.isin(wn["type"].to_numpy()[seg_water], config.little_used_types)
             & (seg_home > config.busy_m) & (seg_school > config.busy_m))
    kit_xy = layer_xy(kn, crs)
    kit_bank, kit_pos = _attach(kit_xy, bk, snap_m=config.kit_snap_m)
    items = kn[list(KIT_ITEMS)].to_numpy(dtype=bool).reshape(-1, 4)
    rope = kn["rope_m"].to_numpy(float)
    return WaterGeo(
        water=wn, kits=kn, bank=bk, seg=seg, seg_water=seg_water, geom=geom, clipped=clipped,
        homes=homes, counts=counts,
        access=np.r_[homes, schools] if len(homes) + len(schools) else np.zeros((0, 2)),
        seg_home=seg_home, seg_school=seg_school, seg_near=seg_near,
        water_ctx=water_context(geom, homes, counts, wc, schools, config),
        water_incidents=w_inc, seg_incidents=s_inc,
        reach=segment_reach(quiet, seg.bank, bk.closed, busy_m=config.reach_busy_m,
                            quiet_m=config.reach_quiet_m),
        kit_xy=kit_xy, kit_bank=kit_bank, kit_pos=kit_pos, kit_items=items,
        kit_short=items[:, 2] & (rope < config.min_rope_m),
        kit_effective=kn["complete"].to_numpy(dtype=bool),
        water_town=assign_towns(layers.towns, shapely.point_on_surface(geom), crs),
        seg_town=assign_towns(layers.towns, shapely.points(seg.x, seg.y), crs),
        road_xy=graph.node_xy if graph is not None else np.zeros((0, 2)),
        locator=_locators(wn, geom, layers, crs=crs))


def _locators(wn: gpd.GeoDataFrame, geom: np.ndarray, layers: WaterLayers, *,
              crs: Any) -> np.ndarray:
    """Each water's human locator, by village (by town without villages)."""
    by_village = layers.villages is not None and len(layers.villages) > 0
    return water_locators(geom, names=wn["name"].to_numpy(),
                          type_labels=wn["type_label"].to_numpy(),
                          places=layers.villages if by_village else layers.towns, crs=crs,
                          place_column="village_name" if by_village else "town_name")


def _count(gdf: gpd.GeoDataFrame, col: str, *, required: bool) -> np.ndarray:
    if col not in gdf:
        if required:
            raise InputFileError(f"住户图层缺少 {col} 列 / the settlements layer lacks the "
                                 f"column {col!r}; add the count per row")
        return np.zeros(len(gdf))
    return pd.to_numeric(gdf[col], errors="coerce").fillna(0).clip(lower=0).to_numpy(float)


def _inside(wn: gpd.GeoDataFrame, bk: Banks, clip: shapely.Geometry | None, *,
            crs: Any) -> tuple[np.ndarray, dict[str, Any]]:
    """Each water's part inside ``clip`` (its whole geometry where none is) and how much
    lies outside (``run.json`` ``water.clipped``)."""
    geom = wn.geometry.to_numpy()
    if clip is None:
        return geom, {"clipped_to_county": False}
    inside = shapely.intersection(geom, clip)
    whole = banks(wn, crs=crs)
    n = len(wn)
    out_bank = (np.bincount(whole.water, weights=whole.length, minlength=n)
                - np.bincount(bk.water, weights=bk.length, minlength=n))
    out_area = shapely.area(geom) - shapely.area(inside)
    info = {"clipped_to_county": True,
            "waters_cut": int(((out_bank > 1.0) | (out_area > 1.0)).sum()),
            "bank_km_outside": round(float(out_bank.sum()) / 1000, 2),
            "area_km2_outside": round(float(out_area.sum()) / 1e6, 3)}
    return np.where(shapely.is_empty(inside), geom, inside), info


def _incidents(inc_xy: np.ndarray, geom: np.ndarray, seg: Segments,
               config: WaterConfig) -> tuple[np.ndarray, np.ndarray]:
    """Incidents near each water (its nearest within ``incident_m``) and each segment."""
    w_inc = np.zeros(len(geom), dtype=np.int64)
    s_inc = np.zeros(len(seg.x), dtype=np.int64)
    if len(inc_xy) and len(geom):
        _, wi = shapely.STRtree(geom).query_nearest(
            shapely.points(inc_xy), max_distance=config.incident_m, all_matches=False)
        w_inc = np.bincount(wi, minlength=len(geom))
        near = cKDTree(inc_xy).query_ball_point(np.column_stack([seg.x, seg.y]),
                                                r=config.incident_m, return_length=True)
        s_inc = np.asarray(near, dtype=np.int64)
    return w_inc, s_inc


def _attach(kit_xy: np.ndarray, bk: Banks, *, snap_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Each existing kit's bank (nearest within ``snap_m``, else -1) and position on it."""
    kit_bank = np.full(len(kit_xy), -1)
    kit_pos = np.zeros(len(kit_xy))
    if len(kit_xy) and len(bk.geometry):
        pts = shapely.points(kit_xy)
        ki, bi = shapely.STRtree(bk.geometry).query_nearest(pts, max_distance=snap_m,
                                                            all_matches=False)
        kit_bank[ki] = bi
        kit_pos[ki] = shapely.line_locate_point(bk.geometry[bi], pts[ki])
    return kit_bank, kit_pos


def access_segments(geo: WaterGeo, waters: np.ndarray, *, far_m: float,
                    villages: gpd.GeoDataFrame | None) -> np.ndarray:
    """Segments of ``waters`` (bool per water) where people reach them: per village and
    water, the segment nearest the village's homes and schools within ``far_m`` (per home
    without villages) - one access point per village, not every metre near a house."""
    seg = geo.seg
    on = np.asarray(waters, dtype=bool)[geo.seg_water]
    out = np.zeros(len(on), dtype=bool)
    idx = np.flatnonzero(on)
    if len(idx) == 0 or len(geo.access) == 0:
        return out
    tree = cKDTree(np.column_stack([seg.x[idx], seg.y[idx]]))
    # every segment of these waters within far_m of a home, then the nearest per village
    near = tree.query_ball_point(geo.access, r=far_m)
    home = np.repeat(np.arange(len(near)), [len(n) for n in near])
    if len(home) == 0:
        return out
    s = idx[np.concatenate([np.asarray(n, np.int64) for n in near])]
    d = np.hypot(seg.x[s] - geo.access[home, 0], seg.y[s] - geo.access[home, 1])
    key = pd.DataFrame({"g": _village_of(geo.access, villages, geo.water.crs)[home],
                        "w": geo.seg_water[s], "d": d, "s": s})
    best = key.sort_values(["d", "s"], kind="stable").drop_duplicates(["g", "w"])["s"]
    out[best.to_numpy(np.int64)] = True
    return out


def _village_of(xy: np.ndarray, villages: gpd.GeoDataFrame | None, crs: Any) -> np.ndarray:
    """The village holding each point (its own index without villages)."""
    if villages is None or len(villages) == 0 or len(xy) == 0:
        return np.arange(len(xy))
    polys = villages.geometry.to_crs(crs).to_numpy()
    pi, vi = shapely.STRtree(polys).query(shapely.points(xy), predicate="intersects")
    out = -1 - np.arange(len(xy))  # outside every village: on its own
    out[pi[::-1]] = vi[::-1]
    return out
