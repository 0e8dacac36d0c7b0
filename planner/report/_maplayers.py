"""The layers of a run's maps (:class:`MapLayers`, :func:`layers_from_result`), their styles,
colours and Chinese names, and the figures popups and legends show.

No folium here: ``planner.gpkg`` and the PNG maps use these layers without the web map;
:mod:`planner.report._mapdraw` draws them on ``map.html``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner._errors import ConfigError
from planner.geo.crs import choose_metric_crs
from planner.glossary import KINDS, KIT_ITEMS, TIERS
from planner.report._road_lines import road_lines
from planner.results import RunResult


@dataclass
class MapLayers:
    """What the map and the static maps draw; all layers in WGS-84 (EPSG:4326).

    ``towns``, ``villages`` and ``facilities`` are required; every other layer is optional
    (``None``: the layer is left out and reports say "not computed").
    """

    towns: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    proposed_sites: gpd.GeoDataFrame | None = None
    water: gpd.GeoDataFrame | None = None
    kits: gpd.GeoDataFrame | None = None
    proposed_kits: gpd.GeoDataFrame | None = None
    patrol_routes: gpd.GeoDataFrame | None = None
    roads: gpd.GeoDataFrame | None = None
    #: the workspace's metric CRS (distances, display simplification, the static maps'
    #: scale bar); ``None``: chosen from the towns as a workspace's is
    crs: Any = None

    def __post_init__(self) -> None:
        if self.crs is None:
            self.crs = choose_metric_crs(self.towns.geometry)


# ---------------------------------------------------------------- building the layers


#: layer key -> name in the layer control (facilities get one layer per kind)
LAYER_NAMES: dict[str, str] = {
    "towns": "镇（街道）任务完成率", "villages": "村（居）关爱站点覆盖",
    "proposed_sites": "拟新建阵地",
    "water": "溺水风险水域", "kits": "现有“四个一”设施", "proposed_kits": "拟新增“四个一”设施",
    "patrol_routes": "巡查路线", "roads": "道路",
}
FACILITY_PREFIX = "现有阵地："

#: completion bins (lower bound %, colour, label); towns without a quota are grey
COMPLETION_BINS: tuple[tuple[float, str, str], ...] = (
    (100.0, "#1a9850", "100%"), (80.0, "#a6d96a", "80%–99.9%"),
    (60.0, "#fee08b", "60%–79.9%"), (0.0, "#f46d43", "低于60%"),
)
NO_QUOTA = ("#d9d9d9", "无任务")
COVER_COLOURS = {True: "#1b9e77", False: "#fdae61"}
#: share of a village's children within reach of a care point -> (label, colour)
REACH_STYLE: dict[str, tuple[str, str]] = {
    "all": ("儿童全部在服务半径内", "#1b9e77"), "part": ("部分儿童在服务半径内", "#a6d96a"),
    "none": ("儿童均在服务半径外", "#fdae61"),
}

#: facility kind -> (colour, shape)
KIND_STYLE: dict[str, tuple[str, str]] = {
    "care_home": ("#e41a1c", "square"), "care_point": ("#377eb8", "circle"),
    "protection_station": ("#4daf4a", "triangle"), "welfare_station": ("#984ea3", "diamond"),
    "guidance_center": ("#ff7f00", "star"), "protection_center": ("#a65628", "hexagon"),
    "social_org": ("#f781bf", "cross"),
}
#: water risk tier code -> (Chinese label, colour)
TIER_COLOURS: dict[str, str] = {"A": "#67001f", "B": "#d6604d", "C": "#4393c3", "N": "#969696"}
TIER_STYLE: dict[str, tuple[str, str]] = {t: (TIERS[t], TIER_COLOURS[t]) for t in TIERS}
_TIER_CODES = {label: code for code, (label, _c) in TIER_STYLE.items()}


def water_layer(tier: str) -> str:
    """The layer-control name of the waters of risk tier ``tier`` (a layer per tier, the
    top tier shown when the map opens)."""
    return f"{LAYER_NAMES['water']}：{TIER_STYLE[tier][0]}"


PATROL_COLOUR = "#6a3d9a"


# ---------------------------------------------------------------- figures shared with reports

def quota_kinds(towns: pd.DataFrame) -> list[str]:
    """Kinds that carry a quota in a progress-like table (``required_<kind>`` columns)."""
    return [k for k in KINDS if f"required_{k}" in towns.columns]


def town_completion(towns: pd.DataFrame, *, kind: str | None = None) -> pd.Series:
    """Per town, the completion rate (%) of ``kind`` (default: the village-level kind, else
    the first quota kind); NaN where the town has no quota. Kinds are never averaged."""
    kinds = quota_kinds(towns)
    if kind is None and kinds:
        kind = next((k for k in kinds if KINDS[k][1] == "village"), kinds[0])
    if kind is None or f"pct_{kind}" not in towns.columns:
        return pd.Series(np.nan, index=towns.index, dtype=float)
    return towns[f"pct_{kind}"].astype(float).round(1)


def completion_colour(value: float) -> str:
    """Colour of a completion rate (%) in :data:`COMPLETION_BINS`; grey for NaN."""
    if value is None or not np.isfinite(value):
        return NO_QUOTA[0]
    return next(c for low, c, _l in COMPLETION_BINS if value >= low)


def village_covered(villages: pd.DataFrame) -> tuple[pd.Series, bool]:
    """Per village the map key of its care-point coverage, and whether that key is the
    "within reach" measure (``covshare_care_point`` from the access stage: ``all``/
    ``part``/``none`` of its children within reach, see :data:`REACH_STYLE`) rather than
    "has its own site" (``True``/``False``, see :data:`COVER_COLOURS`)."""
    if "covshare_care_point" in villages.columns:
        share = villages["covshare_care_point"].fillna(0.0).astype(float)
        key = np.where(share >= 1.0 - 1e-9, "all", np.where(share > 1e-9, "part", "none"))
        return pd.Series(key, index=villages.index), True
    if "has_care_point" in villages.columns:
        return villages["has_care_point"].fillna(False).astype(bool), False
    raise ConfigError("villages layer has neither covshare_care_point nor has_care_point; "
                      "build it with layers_from_result")


def tier_code(value: object) -> str:
    """Tier code A/B/C/N from a code or its Chinese label."""
    text = str(value).strip()
    return text if text in TIER_STYLE else _TIER_CODES.get(text, "N")


def default_kinds(layers: MapLayers) -> list[str]:
    """The facility kinds shown when the map opens: the quota's kinds that have a place
    (care points and care homes in the annex), else every kind; the rest are one click
    away in the layer control."""
    kinds = [k for k in quota_kinds(layers.towns) if (layers.facilities["kind"] == k).any()]
    return kinds or list(pd.unique(layers.facilities["kind"]))


# ---------------------------------------------------------------- a run's layers


def layers_from_result(result: RunResult, *, roads: bool = True) -> MapLayers:
    """The map layers of a run: towns with progress, villages with their own care point and
    (after the access stage) coverage and distances, sites, proposals, water and kits, and
    (with ``roads``) the lines of the road network.

    Parts a run did not compute (``access``, ``proposals``, ``water`` of ``None``) are left
    out of the map.
    """
    ws = result.workspace
    prog = pd.DataFrame(result.progress).drop(columns=["town_name", "geometry"], errors="ignore")
    towns = ws.towns[["town_code", "town_name", "geometry"]].merge(
        prog.drop_duplicates("town_code"), on="town_code", how="left")
    vcols = ["village_code", "village_name", "town_name", "children", "left_behind",
             "vulnerable", "geometry"]
    villages = ws.villages[[c for c in vcols if c in ws.villages.columns]]
    villages = villages[villages.geometry.notna()].copy()  # a village list is not drawn
    villages["has_care_point"] = villages["village_code"].isin(
        result.villages.loc[result.villages["has_care_point"], "village_code"])
    if result.access is not None:
        keep = ("covered_", "covshare_", "dist_m_")
        extra = [c for c in result.access.villages.columns
                 if c.startswith(keep) and c not in villages.columns]
        villages = villages.merge(result.access.villages[["village_code", *extra]],
                                  on="village_code", how="left")
    fac = ws.facilities
    facilities = fac[[c for c in ("facility_id", "name", "kind", "standard", "town_name",
                                  "village_name", "location_method", "geometry")
                      if c in fac.columns]]
    facilities = facilities[facilities.geometry.notna()].copy()  # no place, not drawn
    water = result.water
    water_layer = _water(water, ws.extra.get("water"))
    return MapLayers(
        towns=gpd.GeoDataFrame(towns, geometry="geometry", crs=ws.towns.crs),
        villages=gpd.GeoDataFrame(villages, geometry="geometry", crs=ws.villages.crs),
        facilities=facilities, proposed_sites=_proposals(result.proposals),
        water=water_layer,
        kits=_kits(getattr(water, "kits", None) if water is not None
                   else ws.extra.get("kits")),
        proposed_kits=None if water is None else water.proposed_kits,
        roads=road_lines(result.graph, crs=ws.crs) if roads else None,
        patrol_routes=_patrol_lines(getattr(water, "route_table", None), water_layer,
                                    ws.villages),
        crs=ws.crs,
    )


def _patrol_lines(routes: pd.DataFrame | None, water: gpd.GeoDataFrame | None,
                  villages: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """Each patrol route as a line: village seat -> its waters in patrol order -> seat.

    A sketch of the order (straight legs between a representative point of each water);
    the route's length and hours are the road-network figures of ``patrol_routes.csv``.
    """
    if routes is None or len(routes) == 0 or water is None or len(water) == 0:
        return None
    pts = water.geometry.representative_point()
    wxy = dict(zip(water["water_id"].astype(str), zip(pts.x, pts.y, strict=True),
                   strict=True))
    vp = villages.to_crs("EPSG:4326")
    seat_pt = vp.geometry.representative_point()
    seats = dict(zip(vp["village_code"].astype(str), zip(seat_pt.x, seat_pt.y, strict=True),
                     strict=True))
    lines, keep = [], []
    for i, (code, ids) in enumerate(zip(routes["village_code"].astype(str),
                                        routes["water_ids"].astype(str), strict=True)):
        stops = [wxy[w] for w in ids.split(";") if w in wxy]
        seat = seats.get(code)
        coords = ([seat] if seat else []) + stops + ([seat] if seat else [])
        if len(coords) >= 2:
            lines.append(shapely.LineString(coords))
            keep.append(i)
    if not keep:
        return None
    cols = [c for c in ("route_id", "town_name", "village_name", "stops", "length_m", "hours",
                        "method") if c in routes.columns]
    return gpd.GeoDataFrame(routes.iloc[keep][cols].reset_index(drop=True),
                            geometry=lines, crs="EPSG:4326")


def _proposals(value: Any) -> gpd.GeoDataFrame | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        value = list(value.values())
    if not isinstance(value, list | tuple):
        value = [value]
    parts = [getattr(v, "sites", v) for v in value]
    parts = [p.to_crs("EPSG:4326") for p in parts if isinstance(p, gpd.GeoDataFrame)]
    if not parts:
        return None
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs="EPSG:4326")


def _water(water: Any, raw: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    risk = getattr(water, "water_risk", None)
    if risk is None:
        return None
    if isinstance(risk, gpd.GeoDataFrame):
        return risk.to_crs("EPSG:4326")
    geoms = getattr(water, "water_geometry", None)  # the part inside the county
    if geoms is None:
        if raw is None:
            return None
        from planner.validate.water_layer import as_water

        geoms = as_water(raw)[["water_id", "geometry"]]
    geoms = geoms[["water_id", "geometry"]].to_crs("EPSG:4326")
    return gpd.GeoDataFrame(risk.merge(geoms, on="water_id", how="inner"), crs="EPSG:4326")


def _kits(raw: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    if raw is None:
        return None
    from planner.validate.water_layer import as_kits

    kits = as_kits(raw).to_crs("EPSG:4326").drop(columns="_row", errors="ignore")
    # "complete": the planner's one rule (planner.core.water_model.complete_kits)
    items = kits[list(KIT_ITEMS)].to_numpy(dtype=bool)
    names = np.array(list(KIT_ITEMS.values()))
    short = items.all(axis=1) & ~kits["complete"].to_numpy(dtype=bool)
    kits["missing"] = ["、".join(names[~row]) + ("救生绳长度不足" if s else "")
                       for row, s in zip(items, short, strict=True)]
    return kits
