"""Risk, tiers, the risky bank and the kit plan on the measured layers
(:class:`planner.propose.water_geo.WaterGeo`).

* :func:`assess` scores every water and bank segment (:mod:`planner.measure.risk`), cuts the
  tiers (by share of the waters by default) and marks the risky bank
  (:func:`planner.core.water_model.risky_bank`): segments whose hazard reaches the kit
  cut-off; **the access points of high-consequence waters that homes or schools reach**
  (:func:`planner.propose.water_geo.access_segments`: per village, the bank nearest its
  homes and schools), whatever the cut-offs, so that the
  Yangtze where people reach it gets kits under the defaults; and one segment of each risky
  water that would have no kit.
* :func:`plan_kits` places the exact minimum of new kits (:func:`planner.core.kits.place`)
  and chooses within the budget (:mod:`planner.propose.kit_budget`).
* :func:`sensitivity` repeats both with the tier cut-offs 10 % lower and higher
  (``run.json`` ``water.sensitivity``), so that a plan that swings is seen.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from planner.core.kits import Pieces, place, residual, uncovered_length
from planner.core.water_model import per_water, risky_bank
from planner.glossary import KIT_REASONS
from planner.measure.risk import score_components, share_tiers, tiers
from planner.propose.kit_budget import (
    SOURCES,
    BudgetPlan,
    KitActions,
    fix_costs,
    kit_actions,
    plan_budget,
)
from planner.propose.water_geo import WaterGeo, access_segments
from planner.settings import WaterConfig


@dataclass
class Risk:
    """Scores, tiers and the risky bank of one run."""

    seg: dict[str, np.ndarray]     #: score components of each segment (and ``tier``)
    water: dict[str, np.ndarray]   #: score components of each water (and ``tier``)
    large: np.ndarray              #: high-consequence waters
    reached: np.ndarray            #: waters with a home or school within far_m
    share: np.ndarray              #: share of each water's bank not within reach of a kit
    bank_m: np.ndarray             #: bank inside the county per water
    unc_before: np.ndarray         #: per segment, not within reach of an effective kit
    cuts: tuple[float, float, float]
    cut: float                     #: the kit cut-off (lowest cut of the kit tiers)
    risky: np.ndarray
    access: np.ndarray             #: access points of reached high-consequence waters
    rule_waters: np.ndarray        #: waters given a risky segment by the one-kit rule


def assess(geo: WaterGeo, *, config: WaterConfig, villages: Any = None,
           cut_factor: float = 1.0) -> Risk:
    """Scores, tiers and the risky bank (module doc); ``cut_factor`` scales the cut-offs."""
    nw = len(geo.water)
    wtype = geo.water["type"].to_numpy()
    use = geo.attached & geo.kit_effective
    unc = uncovered_length(len(geo.seg.x),
                           *residual(*geo.args, geo.kit_bank[use], geo.kit_pos[use]))
    bank_m = per_water(geo.seg_water, geo.seg.length, nw)
    large = (np.isin(wtype, config.large_types)
             & ((shapely.area(geo.geom) >= config.large_area_m2)
                | (bank_m >= config.large_bank_m)))
    sc = score_components(wtype[geo.seg_water], geo.seg_home, geo.seg_school, geo.seg_near,
                          unc / np.maximum(geo.seg.length, 1e-9), config=config,
                          large=large[geo.seg_water], incidents=geo.seg_incidents)
    share = np.divide(per_water(geo.seg_water, unc, nw), bank_m, out=np.ones(nw),
                      where=bank_m > 0)
    ctx = geo.water_ctx
    wsc = score_components(wtype, ctx["home_m"], ctx["school_m"], ctx["weighted_children"],
                           share, config=config, large=large, incidents=geo.water_incidents)
    reached = np.minimum(ctx["home_m"], ctx["school_m"]) <= config.far_m
    cuts = (config.tier_a, config.tier_b, config.tier_c)
    if config.tier_mode == "share":
        wsc["tier"], cuts = share_tiers(wsc["score"], wsc["exposure"],
                                        ctx["weighted_children"], config=config,
                                        floor=large & reached)
    cuts = tuple(float(c) * cut_factor for c in cuts)
    tcfg = dataclasses.replace(config, tier_a=cuts[0], tier_b=cuts[1], tier_c=cuts[2])
    if config.tier_mode == "score" or cut_factor != 1.0:
        wsc["tier"] = tiers(wsc["score"], config=tcfg)
        if config.large_min_tier in ("A", "B", "C"):  # as share_tiers does
            lift = large & reached & (wsc["tier"] > config.large_min_tier)
            wsc["tier"][lift] = config.large_min_tier
    sc["tier"] = tiers(sc["score"], config=tcfg)
    access = access_segments(geo, large & reached, far_m=config.far_m, villages=villages)
    has_kit = np.zeros(nw, dtype=bool)
    has_kit[geo.bank.water[geo.kit_bank[geo.attached]]] = True
    risky, rule = risky_bank(sc["hazard"], geo.seg_water, cut=tcfg.risky_min, forced=access,
                             water_hazard=wsc["hazard"], water_has_kit=has_kit,
                             water_bank_m=bank_m)
    return Risk(seg=sc, water=wsc, large=large, reached=reached, share=share, bank_m=bank_m,
                unc_before=unc, cuts=cuts, cut=tcfg.risky_min, risky=risky, access=access,
                rule_waters=rule)


@dataclass
class Plan:
    """The kits chosen, and the bank left uncovered after them."""

    budget: BudgetPlan
    new_bank: np.ndarray
    new_pos: np.ndarray
    reason: np.ndarray            #: why each new kit is where it is
    fixed: np.ndarray             #: bool per existing kit: completed / given a rope
    fix_cost: np.ndarray
    unc_after: np.ndarray


#: why a kit of the minimum-kits plan is where it is
REASONS = {"bank": KIT_REASONS["out_of_reach"], "rule": KIT_REASONS["one_kit_rule"],
           "access": KIT_REASONS["access"]}


def plan_kits(geo: WaterGeo, risk: Risk, *, config: WaterConfig,
              minimum: tuple[np.ndarray, np.ndarray] | None = None,
              extras: bool = True, actions: KitActions | None = None) -> Plan:
    """The exact minimum-kits positions (``minimum``, when already known: they depend on
    neither budget nor prices), then the budgeted (or full-coverage) choice; ``extras`` and
    ``actions`` (:func:`kit_model` of the same ``minimum``) as in
    :func:`planner.propose.kit_budget.plan_budget`."""
    nb, npos = minimum if minimum is not None else minimum_kits(geo, risk)
    w = geo.bank.water[nb]
    kind = np.where(np.isin(w, risk.rule_waters), "rule",
                    np.where((risk.large & risk.reached)[w], "access", "bank"))
    fcost = fix_costs(geo.kit_items, geo.kit_short, config=config)
    bp = plan_budget(geo.bank, geo.seg, geo.reach, risk.seg["hazard"], risk.risky,
                     kit_bank=geo.kit_bank, kit_pos=geo.kit_pos, effective=geo.kit_effective,
                     fix_cost=fcost, plan_bank=nb, plan_pos=npos, home_xy=geo.access,
                     road_xy=geo.road_xy, config=config, access=risk.access, extras=extras,
                     actions=actions)
    reason = np.where(bp.new_plan >= 0,
                      np.array([REASONS[k] for k in kind], dtype=object)[
                          np.maximum(bp.new_plan, 0)] if len(kind) else "",
                      np.array([SOURCES[s] for s in bp.new_source], dtype=object))
    fixed = np.zeros(len(geo.kit_bank), dtype=bool)
    fixed[bp.fixed] = True
    keep = (geo.attached & geo.kit_effective) | fixed
    unc = uncovered_length(len(geo.seg.x), *residual(
        *geo.args, np.r_[geo.kit_bank[keep], bp.new_bank].astype(np.int64),
        np.r_[geo.kit_pos[keep], bp.new_pos]))
    return Plan(budget=bp, new_bank=bp.new_bank, new_pos=bp.new_pos,
                reason=np.asarray(reason, dtype=object), fixed=fixed, fix_cost=fcost,
                unc_after=unc)


def kit_model(geo: WaterGeo, risk: Risk, *, config: WaterConfig,
              minimum: tuple[np.ndarray, np.ndarray]) -> KitActions:
    """The actions :func:`plan_kits` chooses among (the same for every budget and price)."""
    nb, npos = minimum
    return kit_actions(geo.bank, geo.seg, geo.reach, risk.seg["hazard"], risk.risky,
                       kit_bank=geo.kit_bank, kit_pos=geo.kit_pos,
                       effective=geo.kit_effective, plan_bank=nb, plan_pos=npos,
                       home_xy=geo.access, road_xy=geo.road_xy, config=config,
                       access=risk.access)


def minimum_kits(geo: WaterGeo, risk: Risk) -> tuple[np.ndarray, np.ndarray]:
    """Fewest new kits bringing every risky metre within reach once every partial kit is
    completed (exact, :func:`planner.core.kits.place`; ties to the kits nearest homes)."""
    r_seg, r_lo, r_hi = residual(*geo.args, geo.kit_bank[geo.attached],
                                 geo.kit_pos[geo.attached])
    keep = risk.risky[r_seg]
    pieces = Pieces(geo.seg.bank[r_seg[keep]], r_lo[keep], r_hi[keep],
                    geo.reach[r_seg[keep]])
    return place(pieces, bank_len=geo.bank.length, bank_closed=geo.bank.closed,
                 cost=geo.access_distance)


def sensitivity(geo: WaterGeo, *, config: WaterConfig, villages: Any = None,
                factors: tuple[float, ...] = (0.9, 1.1)) -> list[dict[str, Any]]:
    """Kits and risk covered with every tier cut-off scaled by each of ``factors``: the
    risky bank, the exact minimum of new kits and the budgeted plan (no curve)."""
    out = []
    quick = dataclasses.replace(config, curve_kits=())
    for f in factors:
        risk = assess(geo, config=config, villages=villages, cut_factor=f)
        plan = plan_kits(geo, risk, config=quick)
        b = plan.budget.summary
        out.append({"cut_factor": f, "kit_cutoff": round(risk.cut, 4),
                    "risky_bank_m": round(float(geo.seg.length[risk.risky].sum()), 1),
                    "min_new_kits": b["full_coverage"]["min_new_kits"],
                    "new_kits": b["new_kits"], "fixed_kits": b["fixed_kits"],
                    "spend_yuan": b["spend_yuan"], "risk_covered_share":
                    b["risk_covered_share"]})
    return out
