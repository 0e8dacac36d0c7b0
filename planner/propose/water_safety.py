"""Water safety end to end: risk ranking, "四个一" gaps, budgeted kit placement, requisition,
village actions, patrols.

Kits: the minimum-kits full-coverage plan (:func:`planner.core.kits.place`) is computed
first; within ``[water] budget_yuan`` new kits (at access points and the plan's positions),
completions and rope repairs then compete on value per yuan (:mod:`planner.propose.kit_budget`),
unless ``placement = "full"``. ``water_actions.xlsx`` lists what each village is to do
(:mod:`planner.propose.actions`).

:func:`water_safety` is the pipeline's entry point. It turns the workspace layers into numbers
along banks (:mod:`planner.validate.water_layer`), scores them (:mod:`planner.measure.risk`),
places kits exactly (:mod:`planner.core.kits`) and plans patrols (:mod:`planner.propose.patrol`).
Distances are measured in the metric CRS the caller gives. Bank-segment distances are taken
from the segment midpoint (an error of at most ``segment_m / 2``); water-body distances are exact.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from planner._beside import Beside
from planner._errors import InputFileError
from planner.core.kits import Pieces, place, requisition, residual, uncovered_length
from planner.core.network import RoadGraph
from planner.geo.crs import check_metric
from planner.glossary import KIT_ITEMS, KIT_REASONS, TIERS
from planner.measure.homes import water_homes
from planner.measure.risk import (
    risk_explanation,
    score_components,
    share_tiers,
    tiers,
    weighted_children,
)
from planner.propose._geo import assign_towns as _assign_towns
from planner.propose._geo import layer_xy as _xy
from planner.propose._geo import segment_context as _segment_context
from planner.propose._geo import water_context as _water_context
from planner.propose.actions import water_actions
from planner.propose.kit_budget import SOURCES, fix_costs, plan_budget
from planner.propose.patrol import coming_season_year
from planner.propose.patrol_units import patrol_summary, plan_patrols_for
from planner.records.workspace import Workspace
from planner.settings import Settings, WaterConfig
from planner.validate.water_layer import (
    Banks,
    Segments,
    as_kits,
    as_water,
    bank_points,
    banks,
    split_banks,
)

_FACTORS = ("type_factor", "home_band", "school_band", "proximity", "exposure", "protection",
            "hazard", "score")


@dataclass
class WaterResult:
    """Tables of the water-safety stage (file names as in docs/outputs.md)."""

    water_risk: pd.DataFrame          #: water_risk.csv
    segments: pd.DataFrame            #: per bank segment scores (e.g. water_segments.csv)
    gaps_by_town: pd.DataFrame        #: risky / uncovered bank length per town
    proposed_kits: gpd.GeoDataFrame   #: proposed_kits.geojson (WGS-84)
    requisition: pd.DataFrame         #: requisition.csv and a progress.xlsx sheet
    patrol_waters: pd.DataFrame       #: per-town patrol ranking
    patrol_plan: pd.DataFrame         #: patrol_plan.csv
    summary: dict[str, Any] = field(default_factory=dict)   #: run.json "water"
    timings: dict[str, float] = field(default_factory=dict)
    actions: gpd.GeoDataFrame | None = None   #: water_actions.xlsx (planner.propose.actions)
    route_table: pd.DataFrame | None = None       #: patrol_routes.csv (each route once)
    patrol_calendar: pd.DataFrame | None = None   #: patrol_plan.csv (date -> route_id)
    risk_notes: list[tuple[str, str, str]] = field(default_factory=list)  #: 评分说明
    water_geometry: gpd.GeoDataFrame | None = None  #: water_id + the part in the county


def _count(gdf: gpd.GeoDataFrame, col: str, *, required: bool, source: str) -> np.ndarray:
    if col not in gdf:
        if required:
            raise InputFileError(f"{source} lacks the column {col!r}; add the count per row")
        return np.zeros(len(gdf))
    return pd.to_numeric(gdf[col], errors="coerce").fillna(0).clip(lower=0).to_numpy(float)


def _clip_info(wn: gpd.GeoDataFrame, bk: Banks, clip: shapely.Geometry | None, *,
               crs: Any) -> dict[str, Any]:
    """How much of the water lies outside the county (``run.json`` ``water.clipped``)."""
    if clip is None:
        return {"clipped_to_county": False}
    whole = banks(wn, crs=crs)
    n = len(wn)
    out_bank = (np.bincount(whole.water, weights=whole.length, minlength=n)
                - np.bincount(bk.water, weights=bk.length, minlength=n))
    geom = wn.geometry.to_numpy()
    out_area = shapely.area(geom) - shapely.area(shapely.intersection(geom, clip))
    return {"clipped_to_county": True,
            "waters_cut": int(((out_bank > 1.0) | (out_area > 1.0)).sum()),
            "bank_km_outside": round(float(out_bank.sum()) / 1000, 2),
            "area_km2_outside": round(float(out_area.sum()) / 1e6, 3)}


def _run_starts(keys: np.ndarray) -> np.ndarray:
    """Indices where a run of equal ``keys`` starts (empty for no keys)."""
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])


def _ring_reach(bank: Banks, seg: Segments, reach: np.ndarray) -> np.ndarray:
    """Closed banks take their smallest segment reach (see planner.core.kits)."""
    if len(reach) == 0:
        return reach
    starts = np.flatnonzero(np.r_[True, seg.bank[1:] != seg.bank[:-1]])
    ring_min = np.minimum.reduceat(reach, starts)
    per_seg = np.repeat(ring_min, np.diff(np.r_[starts, len(reach)]))
    return np.where(bank.closed[seg.bank], per_seg, reach)


def water_safety(water: gpd.GeoDataFrame, *, kits: gpd.GeoDataFrame | None,
                 settlements: gpd.GeoDataFrame, schools: gpd.GeoDataFrame | None,
                 towns: gpd.GeoDataFrame, crs: Any, config: WaterConfig,
                 graph: RoadGraph | None = None,
                 villages: gpd.GeoDataFrame | None = None,
                 year: int | None = None, today: dt.date | None = None,
                 plan_patrols: bool = True,
                 incidents: gpd.GeoDataFrame | None = None,
                 roads: gpd.GeoDataFrame | None = None,
                 clip: shapely.Geometry | None = None) -> WaterResult:
    """Risk ranking, gaps, exact kit placement, requisition and patrol plan.

    Parameters
    ----------
    water : GeoDataFrame
        Water layer (see :func:`planner.validate.water_layer.normalise_water`), any CRS.
    kits : GeoDataFrame or None
        Existing kits (see :func:`planner.validate.water_layer.normalise_kits`).
    settlements : GeoDataFrame
        Homes as points with ``children`` and optional ``under5``, ``left_behind`` counts.
    schools : GeoDataFrame or None
        Schools (points).
    towns : GeoDataFrame
        ``town_code, town_name`` polygons.
    crs : pyproj.CRS
        Metric CRS for every distance (CRSError if geographic).
    config : WaterConfig
        The ``[water]`` settings.
    graph : RoadGraph or None
        Road network in ``crs`` for patrol routes; straight-line without.
    villages : GeoDataFrame or None
        ``village_code`` (and ``village_name``, ``town_code``, ``town_name``) polygons, the
        patrol units: each water body goes to the village containing (or nearest to) its
        patrol access point (the bank point nearest a home) and is patrolled from the
        village seat (the polygon's representative point). Without villages each town is
        one unit, from its own representative point, and the plan's village columns repeat
        the town's.
    year, today : optional
        Patrol season year (default: ``today``'s) and the date kit inspections are judged
        against (default: the current date).
    plan_patrols : bool
        Skip the patrol plan when False (benchmarks).
    incidents : GeoDataFrame or None
        Past drowning incidents (points): each raises the hazard of the nearest water
        within ``incident_m`` and of the bank segments within ``incident_m`` (counts only).
    roads : GeoDataFrame or None
        Road segments (``highway``, ``name``), WGS-84: each action's landmark.
    clip : shapely geometry or None
        The county (metric ``crs``): banks, areas, distances and the high-consequence flag
        are measured on the part of each water inside it (see
        :func:`planner.validate.water_layer.banks`).
    """
    crs = check_metric(crs, where="the water-safety CRS")
    today = today or dt.date.today()
    year = year or coming_season_year(today, season=config.season)
    tm: dict[str, float] = {}
    t0 = time.perf_counter()
    wn = as_water(water, source="water layer")
    kn = as_kits(kits, source="kits layer")
    wn = wn.to_crs(crs)
    bk = banks(wn, crs=crs, clip=clip)
    seg = split_banks(bk, segment_m=config.segment_m)
    seg_water = bk.water[seg.bank]
    wtype = wn["type"].to_numpy()
    homes = _xy(settlements, crs)
    counts = np.column_stack([
        _count(settlements, "children", required=True, source="settlements layer"),
        _count(settlements, "under5", required=False, source="settlements layer"),
        _count(settlements, "left_behind", required=False, source="settlements layer")])
    wc = weighted_children(counts[:, 0], counts[:, 1], counts[:, 2], config=config)
    school_xy = _xy(schools, crs)
    tm["banks"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    seg_home, seg_school, seg_near = _segment_context(seg, homes, wc, school_xy, config)
    wgeom = wn.geometry.to_numpy()
    clip_info = _clip_info(wn, bk, clip, crs=crs)
    if clip is not None:
        inside = shapely.intersection(wgeom, clip)
        wgeom = np.where(shapely.is_empty(inside), wgeom, inside)
    wctx = _water_context(wgeom, homes, counts, wc, school_xy, config)
    inc_xy = _xy(incidents, crs)
    w_inc = np.zeros(len(wgeom), dtype=np.int64)
    s_inc = np.zeros(len(seg.x), dtype=np.int64)
    if len(inc_xy) and len(wgeom):
        ii, wi = shapely.STRtree(wgeom).query_nearest(
            shapely.points(inc_xy), max_distance=config.incident_m, all_matches=False)
        w_inc = np.bincount(wi, minlength=len(wgeom))
        near = cKDTree(inc_xy).query_ball_point(np.column_stack([seg.x, seg.y]),
                                                r=config.incident_m, return_length=True)
        s_inc = np.asarray(near, dtype=np.int64)
    quiet = (np.isin(wtype[seg_water], config.little_used_types)
             & (seg_home > config.busy_m) & (seg_school > config.busy_m))
    reach = _ring_reach(bk, seg, np.where(quiet, config.reach_quiet_m, config.reach_busy_m))
    # existing kits: attach to the nearest bank within kit_snap_m
    kit_pts = shapely.points(_xy(kn, crs)) if len(kn) else np.zeros(0, dtype=object)
    kit_bank = np.full(len(kn), -1)
    kit_pos = np.zeros(len(kn))
    if len(kn) and len(bk.geometry):
        ki, bi = shapely.STRtree(bk.geometry).query_nearest(
            kit_pts, max_distance=config.kit_snap_m, all_matches=False)
        kit_bank[ki] = bi
        kit_pos[ki] = shapely.line_locate_point(bk.geometry[bi], kit_pts[ki])
    attached = kit_bank >= 0
    complete = kn["complete"].to_numpy(dtype=bool)
    # a rope shorter than min_rope_m does not count: the kit needs a new rope
    short = kn["has_rope"].to_numpy(dtype=bool) & (kn["rope_m"].to_numpy(float)
                                                   < config.min_rope_m)
    effective = complete & ~short
    seg_len = seg.length
    args = (seg.bank, seg.s0, seg.s1, reach, bk.length, bk.closed)
    use = attached & effective
    tg = time.perf_counter()
    r_seg, r_lo, r_hi = residual(*args, kit_bank[use], kit_pos[use])
    gap_t = time.perf_counter() - tg
    unc_before = uncovered_length(len(seg_len), r_seg, r_lo, r_hi)
    nw = len(wn)
    w_len = np.bincount(seg_water, weights=seg_len, minlength=nw)
    large = (np.isin(wtype, config.large_types)
             & ((shapely.area(wgeom) >= config.large_area_m2) | (w_len >= config.large_bank_m)))
    sc = score_components(wtype[seg_water], seg_home, seg_school, seg_near,
                          unc_before / seg_len, config=config, large=large[seg_water],
                          incidents=s_inc)
    w_unc = np.bincount(seg_water, weights=unc_before, minlength=nw)
    share = np.divide(w_unc, w_len, out=np.ones(nw), where=w_len > 0)
    wsc = score_components(wtype, wctx["home_m"], wctx["school_m"],
                           wctx["weighted_children"], share, config=config, large=large,
                           incidents=w_inc)
    tcfg = config
    if config.tier_mode == "share":
        reached = np.minimum(wctx["home_m"], wctx["school_m"]) <= config.far_m
        wsc["tier"], cuts = share_tiers(wsc["score"], wsc["exposure"],
                                        wctx["weighted_children"], config=config,
                                        floor=large & reached)
        tcfg = dataclasses.replace(config, tier_a=cuts[0], tier_b=cuts[1], tier_c=cuts[2])
        sc["tier"] = tiers(sc["score"], config=tcfg)
    risky = sc["hazard"] >= tcfg.risky_min
    # minimum one kit per risky water body (鞍山 2023): a risky water without any kit and
    # without a risky segment gets its most hazardous segment counted as risky bank, so the
    # minimum-kits plan and the budget see it
    on_water = np.zeros(nw, dtype=bool)
    on_water[bk.water[kit_bank[attached]]] = True
    on_water[seg_water[risky]] = True
    rule = np.flatnonzero((wsc["hazard"] >= tcfg.risky_min) & ~on_water & (w_len > 0))
    if len(rule):
        o = np.lexsort((-sc["hazard"], seg_water))
        first = o[_run_starts(seg_water[o])]
        risky[first[np.isin(seg_water[first], rule)]] = True
    tm["risk"] = time.perf_counter() - t0 - gap_t
    gap_risk = gap_t

    # the patrol plan needs only the tiers: it is planned in a forked child (where that is
    # safe, see planner._beside) while the kits are placed and the budget solved here
    w_town = _assign_towns(towns, shapely.point_on_surface(wgeom), crs)
    pw = None
    if plan_patrols:
        best_seg = np.lexsort((seg_home, seg_water))
        best_seg = best_seg[_run_starts(seg_water[best_seg])]
        ax, ay = np.full(nw, np.nan), np.full(nw, np.nan)
        ax[seg_water[best_seg]], ay[seg_water[best_seg]] = seg.x[best_seg], seg.y[best_seg]
        pw = pd.DataFrame({"water_id": wn["water_id"].to_numpy(), "name": wn["name"].to_numpy(),
                           "type_label": wn["type_label"].to_numpy(),
                           "town_code": _codes(towns, "town_code", w_town),
                           "town_name": _codes(towns, "town_name", w_town),
                           "tier": wsc["tier"], "score": wsc["score"].round(3), "x": ax, "y": ay})
        pw = pw[np.isfinite(ax)]
    patrols = Beside(lambda: plan_patrols_for(pw, villages=villages, towns=towns, crs=crs,
                                              year=year, config=config, graph=graph))

    t0 = time.perf_counter()
    # pieces still uncovered once partial kits are completed, on risky segments only
    tg = time.perf_counter()
    r_seg, r_lo, r_hi = residual(*args, kit_bank[attached], kit_pos[attached])
    gap_t += time.perf_counter() - tg
    keep = risky[r_seg]
    pieces = Pieces(seg.bank[r_seg[keep]], r_lo[keep], r_hi[keep], reach[r_seg[keep]])
    access = np.r_[homes, school_xy] if len(homes) + len(school_xy) else np.zeros((0, 2))
    atree = cKDTree(access) if len(access) else None

    def cost(b: np.ndarray, pos: np.ndarray) -> np.ndarray:
        if atree is None or len(b) == 0:
            return np.zeros(len(b))
        return atree.query(shapely.get_coordinates(bank_points(bk, b, pos)))[0]

    nb, npos = place(pieces, bank_len=bk.length, bank_closed=bk.closed, cost=cost)
    reason = np.where(np.isin(bk.water[nb], rule), KIT_REASONS["one_kit_rule"],
                      KIT_REASONS["out_of_reach"]).astype(object)
    items = kn[list(KIT_ITEMS)].to_numpy(dtype=bool)
    fcost = fix_costs(items, short, config=config)
    road_xy = graph.node_xy if graph is not None else np.zeros((0, 2))
    bp = plan_budget(bk, seg, reach, sc["hazard"], risky, kit_bank=kit_bank, kit_pos=kit_pos,
                     effective=effective, fix_cost=fcost, plan_bank=nb, plan_pos=npos,
                     home_xy=access, road_xy=road_xy, config=config)
    reason = np.where(bp.new_plan >= 0, reason[np.maximum(bp.new_plan, 0)] if len(reason)
                      else "", pd.Series(bp.new_source).map(SOURCES).to_numpy())
    nb, npos = bp.new_bank, bp.new_pos
    fixed = np.zeros(len(kn), dtype=bool)
    fixed[bp.fixed] = True
    all_b = np.r_[kit_bank[use | fixed], nb].astype(np.int64)
    all_p = np.r_[kit_pos[use | fixed], npos]
    tg = time.perf_counter()
    a_seg, a_lo, a_hi = residual(*args, all_b, all_p)
    unc_after = uncovered_length(len(seg_len), a_seg, a_lo, a_hi)
    gap_t2 = time.perf_counter() - tg
    tm["placement"] = time.perf_counter() - t0 - gap_t2 - (gap_t - gap_risk)
    tm["gaps"] = gap_t + gap_t2

    t0 = time.perf_counter()
    town_code = (towns["town_code"].astype(str).to_numpy() if len(towns)
                 else np.zeros(0, dtype=object))
    town_name = (towns["town_name"].astype(str).to_numpy() if len(towns)
                 else np.zeros(0, dtype=object))

    def tcode(i: np.ndarray) -> np.ndarray:
        return _codes(towns, "town_code", i)

    def tname(i: np.ndarray) -> np.ndarray:
        return _codes(towns, "town_name", i)

    s_town = _assign_towns(towns, shapely.points(seg.x, seg.y), crs)
    risky_len = np.where(risky, seg_len, 0.0)
    rb = np.where(risky, unc_before, 0.0)
    ra = np.where(risky, unc_after, 0.0)
    n_new_w = np.bincount(bk.water[nb], minlength=nw)
    ex_c = np.bincount(bk.water[kit_bank[attached & effective]], minlength=nw)
    ex_p = np.bincount(bk.water[kit_bank[attached & ~effective]], minlength=nw)
    water_risk = pd.DataFrame({
        "water_id": wn["water_id"].to_numpy(), "name": wn["name"].to_numpy(),
        "type": wtype, "type_label": wn["type_label"].to_numpy(),
        "town_code": tcode(w_town), "town_name": tname(w_town),
        "bank_m": w_len.round(1), "area_m2": shapely.area(wgeom).round(1),
        "home_m": wctx["home_m"].round(1), "school_m": wctx["school_m"].round(1),
        "children_500": wctx["children_500"], "under5_500": wctx["under5_500"],
        "left_behind_500": wctx["left_behind_500"],
        "weighted_children": wctx["weighted_children"].round(2),
        "type_weight": [config.type_weights.get(t, 0.0) for t in wtype],
        **{k: np.round(wsc[k], 4) for k in _FACTORS},
        "uncovered_share": share.round(4),
        "tier": wsc["tier"], "tier_label": [TIERS[t] for t in wsc["tier"]],
        "risky_bank_m": np.bincount(seg_water, weights=risky_len, minlength=nw).round(1),
        "uncovered_risky_m_before": np.bincount(seg_water, weights=rb, minlength=nw).round(1),
        "uncovered_risky_m_after": np.bincount(seg_water, weights=ra, minlength=nw).round(1),
        "kits_complete": ex_c, "kits_partial": ex_p, "kits_new": n_new_w,
    })
    water_risk["high_consequence"] = large
    water_risk["incidents"] = w_inc
    water_risk = water_risk.sort_values(["tier", "score", "exposure", "weighted_children",
                                         "water_id"], ascending=[True, False, False, False, True],
                                        kind="stable").reset_index(drop=True)
    water_risk.insert(0, "rank", np.arange(1, nw + 1))
    segments = pd.DataFrame({
        "water_id": wn["water_id"].to_numpy()[seg_water], "bank": seg.bank,
        "s0_m": seg.s0.round(2), "s1_m": seg.s1.round(2), "x": seg.x, "y": seg.y,
        "town_code": tcode(s_town), "home_m": seg_home.round(1),
        "school_m": seg_school.round(1), "weighted_children": seg_near.round(2),
        "reach_m": reach, **{k: np.round(sc[k], 4) for k in _FACTORS}, "tier": sc["tier"],
        "risky": risky, "uncovered_m_before": unc_before.round(2),
        "uncovered_m_after": unc_after.round(2),
    })
    gaps = (pd.DataFrame({"town_code": tcode(s_town), "town_name": tname(s_town),
                          "risky_bank_m": risky_len, "uncovered_risky_m_before": rb,
                          "uncovered_risky_m_after": ra})
            .groupby(["town_code", "town_name"], as_index=False).sum().round(1))

    # proposed kits: new ones and existing partial ones to complete
    new_pts = bank_points(bk, nb, npos)
    nearest_access = cost(nb, npos)
    new_town = _assign_towns(towns, new_pts, crs)
    part = fixed
    part_town = _assign_towns(towns, kit_pts[part], crs) if part.any() else np.zeros(0, int)
    items = items & ~(short[:, None] & (np.arange(4) == 2))  # a short rope is replaced
    nn, npart = len(nb), int(part.sum())
    wlabel = (wn["type_label"] + " " + wn["water_id"] + "（"
              + pd.Series(wsc["tier"]).map(TIERS).to_numpy() + "）").to_numpy()
    ptype = wlabel[bk.water[nb]]
    geoms = np.r_[new_pts, kit_pts[part]] if nn + npart else np.zeros(0, dtype=object)
    need_items = np.r_[np.ones((nn, 4), bool), ~items[part]].reshape(-1, 4)
    pwater = np.r_[bk.water[nb], np.where(kit_bank[part] >= 0,
                                          bk.water[np.maximum(kit_bank[part], 0)], -1)]
    proposed = gpd.GeoDataFrame({
        "kit_id": np.r_[[f"NK{i + 1:06d}" for i in range(nn)],
                        kn["kit_id"].to_numpy()[part]].astype(object),
        "status": np.r_[np.full(nn, "new", object),
                        np.where(complete[part], "repair_rope", "complete_existing")],
        "cost_yuan": np.r_[np.full(nn, config.kit_price), fcost[part]],
        "water_id": np.where(pwater >= 0, wn["water_id"].to_numpy()[np.maximum(pwater, 0)], ""),
        "water_type": np.where(pwater >= 0, wtype[np.maximum(pwater, 0)], ""),
        "town_code": np.r_[tcode(new_town), tcode(part_town)],
        "town_name": np.r_[tname(new_town), tname(part_town)],
        "bank_pos_m": np.r_[npos, kit_pos[part]].round(1),
        "reach_m": np.r_[_reach_at(seg, reach, nb, npos), np.full(npart, np.nan)],
        "nearest_home_or_school_m": np.r_[nearest_access, np.full(npart, np.nan)].round(1),
        **{f"need_{c[4:]}": need_items[:, j] for j, c in enumerate(KIT_ITEMS)},
        "reason": np.r_[(pd.Series(ptype, dtype=object) + "：" + reason).to_numpy(),
                        np.where(complete[part], KIT_REASONS["short_rope"],
                                 KIT_REASONS["partial"])],
    }, geometry=gpd.GeoSeries(geoms, crs=crs).to_crs("EPSG:4326"))
    req_town = np.r_[proposed["town_code"].to_numpy()]
    req = requisition(req_town, np.r_[np.ones(nn, bool), np.zeros(npart, bool)],
                      np.r_[np.zeros((nn, 4), bool), items[part]].reshape(-1, 4),
                      rope_m=config.rope_m)
    names = dict(zip(town_code, town_name, strict=True))
    req.insert(1, "town_name", req["town_code"].map(names).fillna(""))
    yuan = proposed.groupby("town_code")["cost_yuan"].sum()
    req["cost_yuan"] = req["town_code"].map(yuan).fillna(0.0).round(2)
    tm["report"] = time.perf_counter() - t0

    ranking, plan, routes, calendar, cap = patrols.wait()
    tm["patrol"] = patrols.seconds

    ins = pd.to_datetime(kn["last_inspected"])
    overdue = (ins.isna() | ((pd.Timestamp(today) - ins).dt.days > config.inspection_days))
    actions = water_actions(
        proposed=proposed, kits=kn, overdue=overdue.to_numpy(bool),
        kit_water=np.where(attached, bk.water[np.maximum(kit_bank, 0)], -1)
        if len(bk.water) else np.full(len(kn), -1),
        fixable=attached & ~effective, fix_cost=fcost, funded_fix=fixed, short_rope=short,
        water=wn[["water_id", "name", "type_label"]], tier=wsc["tier"], villages=villages,
        crs=crs, inspection_yuan=config.prices["inspection"], roads=roads)
    tier_counts = pd.Series(wsc["tier"]).value_counts()
    summary = {
        "water_bodies": int(nw), "bank_segments": int(len(seg_len)),
        "risky_waters_by_tier": {t: int(tier_counts.get(t, 0)) for t in ("A", "B", "C")},
        "risky_bank_m": round(float(risky_len.sum()), 1),
        "uncovered_risky_bank_m_before": round(float(rb.sum()), 1),
        "uncovered_risky_bank_m_after": round(float(ra.sum()), 1),
        "existing_kits": {"complete": int(complete.sum()), "partial": int((~complete).sum()),
                          "short_rope": int((complete & short).sum()),
                          "not_on_a_bank": int((~attached).sum()),
                          "inspection_overdue": int(overdue.sum())},
        "proposed_kits": int(nn), "completed_kits": int(npart),
        "one_kit_rule_waters": int(len(rule)),
        "clipped": clip_info,
        "tier_mode": config.tier_mode,
        "tier_cutoffs": {t: round(float(v), 4) if np.isfinite(v) else None for t, v in
                         zip("ABC", (tcfg.tier_a, tcfg.tier_b, tcfg.tier_c), strict=True)},
        "budget": bp.summary, "budget_curve": bp.curve, "scenarios": bp.scenarios,
        "inspections": {"as_of": today.isoformat(), "interval_days": config.inspection_days,
                        "overdue": int(overdue.sum())},
        "requisition": {k: (float(req[k].sum()) if k == "rope_m" else int(req[k].sum()))
                        for k in ("signs", "lifebuoys", "ropes", "rope_m", "poles")},
        "patrol": patrol_summary(plan, year=year, network=graph is not None) | cap,
    }
    return WaterResult(water_risk=water_risk, segments=segments, gaps_by_town=gaps,
                       proposed_kits=proposed, requisition=req, patrol_waters=ranking,
                       patrol_plan=plan, summary=summary, timings=tm, actions=actions,
                       route_table=routes, patrol_calendar=calendar,
                       risk_notes=risk_explanation(config),
                       water_geometry=gpd.GeoDataFrame(
                           {"water_id": wn["water_id"].to_numpy()},
                           geometry=gpd.GeoSeries(wgeom, crs=crs).to_crs("EPSG:4326")))


def _codes(towns: gpd.GeoDataFrame, column: str, i: np.ndarray) -> np.ndarray:
    """``towns[column]`` of town index ``i`` ("" where -1)."""
    values = towns[column].astype(str).to_numpy() if len(towns) else np.zeros(0, object)
    return np.where(i >= 0, values[np.maximum(i, 0)] if len(values) else "", "")


def _reach_at(seg: Segments, reach: np.ndarray, bank: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Reach of the segment at (bank, pos); a bank's segments have equal length."""
    if len(bank) == 0:
        return np.zeros(0)
    starts = np.flatnonzero(np.r_[True, seg.bank[1:] != seg.bank[:-1]])
    first = np.full(int(seg.bank.max()) + 1, 0)
    first[seg.bank[starts]] = starts
    count = np.bincount(seg.bank, minlength=len(first))
    idx = first[bank] + np.clip(
        np.floor(pos / np.maximum(seg.s1[first[bank]] - seg.s0[first[bank]], 1e-9)),
        0, count[bank] - 1).astype(np.int64)
    return reach[idx]


def water_stage(ws: Workspace, settings: Settings, graph: RoadGraph | None) -> WaterResult:
    """The water-safety stage on a validated workspace (its ``water`` layer must exist).

    Waters are measured on their part inside the county, with the tolerance that decided
    which records lie in it (``[validate] locate_tolerance_m``)."""
    county = gpd.GeoSeries([ws.county], crs="EPSG:4326").to_crs(ws.crs).iloc[0]
    clip = shapely.buffer(county, settings.locate_tolerance_m)
    homes = water_homes(settlements=ws.extra.get("settlements"), villages=ws.villages,
                        water=ws.extra["water"], crs=ws.crs, grid_m=settings.water.home_grid_m)
    result = water_safety(ws.extra["water"], kits=ws.extra.get("kits"),
                          settlements=homes.points, schools=ws.extra.get("schools"),
                          towns=ws.towns, villages=ws.villages, crs=ws.crs,
                          config=settings.water, graph=graph,
                          year=settings.water_year, today=settings.water_as_of,
                          incidents=ws.extra.get("incidents"), roads=ws.extra.get("roads"),
                          clip=clip)
    result.summary["homes"] = homes.info
    return result
