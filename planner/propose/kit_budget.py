"""Budgeted water-safety actions: candidates, costs, the budgeted choice and the budget curve.

Adapter between the water-safety stage (:mod:`planner.propose.water_safety`) and the numeric core
(:mod:`planner.core.budget`). Three kinds of action compete on value per yuan:

``new``
    a new "四个一" kit (sign, lifebuoy, rope of ``rope_m``, pole, installation) at a
    candidate bank position. Candidates are *access points* - the bank point nearest each
    home or school within ``busy_m`` and nearest each road node within ``kit_snap_m``
    (where people reach the water) - plus the positions of the minimum-kits plan
    (:func:`planner.core.kits.place`), so that full coverage is always within the choice.
``complete``
    an existing kit missing items gets only its missing items (and ``repair`` labour).
``repair``
    an existing complete kit with a rope shorter than ``min_rope_m`` gets a new rope.

The value of an action is the hazard-weighted risky bank length it brings within reach
(hazard x metres, uncovered by the existing effective kits). Kit counts and yuan are
reported for every point of the budget curve.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
import shapely
from scipy.spatial import cKDTree

from planner.core.budget import (
    BudgetSolution,
    budget_cover,
    covered_value,
    elements,
    fits_full,
)
from planner.core.budget_steps import CoverPlan, cheapest_cover, prune
from planner.core.kits import kit_pairs, residual
from planner.propose.kit_scenarios import Reach, fix_first, scenario
from planner.settings import WaterConfig
from planner.validate.water_layer import Banks, Segments

#: why a candidate exists (``reason`` of a proposed kit)
SOURCES = {"home": "近住户/学校的岸边", "road": "道路到达岸边处", "plan": "全覆盖方案点位"}


@dataclass
class BudgetPlan:
    """The chosen actions and the figures behind them."""

    new_bank: np.ndarray          #: bank of each chosen new kit
    new_pos: np.ndarray           #: arc-length position of each chosen new kit
    new_source: np.ndarray        #: key of :data:`SOURCES` per chosen new kit
    new_plan: np.ndarray          #: index into the minimum-kits plan, -1 for access points
    fixed: np.ndarray             #: indices (into the kit layer) of kits completed/repaired
    solution: BudgetSolution | None
    curve: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    #: what the budget buys under each plan (:mod:`planner.propose.kit_scenarios`)
    scenarios: list[dict[str, Any]] = field(default_factory=list)


def fix_costs(items: np.ndarray, short_rope: np.ndarray, *, config: WaterConfig) -> np.ndarray:
    """Cost per existing kit of its missing items, a new rope if short, plus labour (0 when
    nothing is missing)."""
    need = ~np.asarray(items, dtype=bool).reshape(-1, 4)
    need[:, 2] |= np.asarray(short_rope, dtype=bool)
    cost = need @ np.asarray(config.item_prices, dtype=float)
    return np.where(need.any(axis=1), cost + config.prices["repair"], 0.0)


def access_candidates(bk: Banks, seg: Segments, risky: np.ndarray, points: np.ndarray, *,
                      within_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Bank point nearest each of ``points`` (x, y) whose nearest risky segment lies within
    ``within_m``; duplicates (same bank, within 1 m) dropped."""
    idx = np.flatnonzero(risky)
    if len(idx) == 0 or len(points) == 0:
        return np.zeros(0, np.int64), np.zeros(0)
    d, j = cKDTree(np.column_stack([seg.x[idx], seg.y[idx]])).query(
        points, distance_upper_bound=within_m)
    ok = np.isfinite(d)
    b = seg.bank[idx[j[ok]]]
    pos = shapely.line_locate_point(bk.geometry[b], shapely.points(points[ok]))
    key = np.unique(np.column_stack([b, np.round(pos)]), axis=0)
    return key[:, 0].astype(np.int64), key[:, 1]


@dataclass
class KitActions:
    """The actions that compete for the budget and the risk each brings within reach: all
    that depends on neither the budget nor the prices (:func:`kit_actions`)."""

    fixable: np.ndarray           #: existing kits that a completion or repair makes effective
    source: np.ndarray            #: key of :data:`SOURCES` per new-kit candidate
    act_bank: np.ndarray          #: bank of each action (candidates, then fixable kits)
    act_pos: np.ndarray           #: arc-length position of each action
    is_new: np.ndarray            #: the action is a new kit
    values: np.ndarray            #: hazard-weighted metres of each element
    cover: sp.csr_array           #: (elements, actions): the action brings it within reach
    must: np.ndarray              #: value of each element at access points (first bought)
    total: float                  #: all the risk, the part no action reaches included
    reach: Reach                  #: the same elements in metres
    n_access: int                 #: candidates from homes and roads (before the plan's)
    _full: dict = field(default_factory=dict, repr=False)

    @property
    def nc(self) -> int:
        """Number of new-kit candidates."""
        return len(self.source)

    def full_cover(self, cost: np.ndarray, **kw: Any) -> CoverPlan:
        """The cheapest plan covering every risky metre at ``cost`` (kept per prices: a
        budget change needs it again)."""
        key = (cost.tobytes(), tuple(sorted(kw.items())))
        if key not in self._full:
            start = np.r_[np.flatnonzero(self.source == "plan"),
                          self.nc + np.arange(len(self.fixable))].astype(np.int64)
            self._full = {key: cheapest_cover(self.values, self.cover, cost, start=start,
                                              **kw)} | dict(list(self._full.items())[-7:])
        return self._full[key]


def kit_actions(bk: Banks, seg: Segments, reach: np.ndarray, hazard: np.ndarray,
                risky: np.ndarray, *, kit_bank: np.ndarray, kit_pos: np.ndarray,
                effective: np.ndarray, plan_bank: np.ndarray, plan_pos: np.ndarray,
                home_xy: np.ndarray, road_xy: np.ndarray, config: WaterConfig,
                access: np.ndarray | None = None) -> KitActions:
    """The actions of :func:`plan_budget` (parameters as there)."""
    args = (seg.bank, seg.s0, seg.s1, reach, bk.length, bk.closed)
    eff = (kit_bank >= 0) & effective
    fixable = np.flatnonzero((kit_bank >= 0) & ~effective)
    r_seg, r_lo, r_hi = residual(*args, kit_bank[eff], kit_pos[eff])
    keep = risky[r_seg]
    r_seg, r_lo, r_hi = r_seg[keep], r_lo[keep], r_hi[keep]
    hb, hp = access_candidates(bk, seg, risky, home_xy, within_m=config.busy_m)
    rb, rp = access_candidates(bk, seg, risky, road_xy, within_m=config.kit_snap_m)
    cand_bank = np.r_[hb, rb, plan_bank].astype(np.int64)
    cand_pos = np.r_[hp, rp, plan_pos]
    source = np.r_[np.full(len(hb), "home"), np.full(len(rb), "road"),
                   np.full(len(plan_bank), "plan")].astype(object)
    nc = len(cand_bank)
    act_bank = np.r_[cand_bank, kit_bank[fixable]].astype(np.int64)
    act_pos = np.r_[cand_pos, kit_pos[fixable]]
    pa, ps, plo, phi = kit_pairs(*args, act_bank, act_pos)
    values, cover, unreachable = elements(hazard, seg.s0, r_seg, r_lo, r_hi, pa, ps, plo, phi,
                                          n_actions=len(act_bank))
    # the same elements measured in metres: the risky bank each plan leaves out of reach
    metres, _, unreachable_m = elements(np.ones(len(hazard)), seg.s0, r_seg, r_lo, r_hi, pa,
                                        ps, plo, phi, n_actions=len(act_bank))
    must = (elements(np.where(access, hazard, 0.0), seg.s0, r_seg, r_lo, r_hi, pa, ps, plo,
                     phi, n_actions=len(act_bank))[0]
            if access is not None and len(values) else np.zeros(len(values)))
    return KitActions(fixable=fixable, source=source, act_bank=act_bank, act_pos=act_pos,
                      is_new=np.r_[np.ones(nc, bool), np.zeros(len(fixable), bool)],
                      values=values, cover=cover, must=must,
                      total=float(values.sum() + unreachable),
                      reach=Reach(metres, cover, unreachable_m), n_access=len(hb) + len(rb))


def plan_budget(bk: Banks, seg: Segments, reach: np.ndarray, hazard: np.ndarray,
                risky: np.ndarray, *, kit_bank: np.ndarray, kit_pos: np.ndarray,
                effective: np.ndarray, fix_cost: np.ndarray, plan_bank: np.ndarray,
                plan_pos: np.ndarray, home_xy: np.ndarray, road_xy: np.ndarray,
                config: WaterConfig, access: np.ndarray | None = None,
                extras: bool = True, actions: KitActions | None = None) -> BudgetPlan:
    """Choose new kits, completions and repairs for the budget (see module doc).

    Parameters
    ----------
    bk, seg, reach, hazard, risky
        Banks, their segments, each segment's reach, hazard and risky flag.
    kit_bank, kit_pos, effective, fix_cost
        Existing kits (bank ``-1`` when not on a bank), whether each already protects
        (complete, rope long enough) and the cost to make it so.
    plan_bank, plan_pos
        The minimum-kits full-coverage plan (new kits only).
    home_xy, road_xy
        Homes and schools, road nodes (metric x, y) for access-point candidates.
    access : ndarray of bool, optional
        Segments at the access points of high-consequence waters people reach: the budget
        brings them within reach first (:func:`access_first`).
    extras : bool
        Also the budget curve and the plan-by-plan scenarios of the report (a planning
        studio asking for the budgeted choice alone leaves them out; the choice is the same).
    actions : KitActions, optional
        :func:`kit_actions` of the same arguments, when already made (they depend on
        neither the budget nor the prices).
    """
    act = actions if actions is not None else kit_actions(
        bk, seg, reach, hazard, risky, kit_bank=kit_bank, kit_pos=kit_pos,
        effective=effective, plan_bank=plan_bank, plan_pos=plan_pos, home_xy=home_xy,
        road_xy=road_xy, config=config, access=access)
    fixable, source, act_bank, act_pos, is_new = (act.fixable, act.source, act.act_bank,
                                                  act.act_pos, act.is_new)
    values, cover, must, total, reach, nc = (act.values, act.cover, act.must, act.total,
                                             act.reach, act.nc)
    cost = np.r_[np.full(nc, config.kit_price), fix_cost[fixable]]
    kw = {"time_limit": config.budget_time_limit, "exact_max": config.budget_exact_max,
          "node_limit": config.budget_node_limit, "mip_rel_gap": config.budget_gap}
    # the cheapest plan covering every risky metre, never worse than the exact minimum
    # kits (interval stabbing, every partial kit completed)
    full = act.full_cover(cost, **kw)
    if config.placement == "full":
        sol, sel = None, full.selected
    else:
        sol, first = access_first(values, must, cover, cost, budget=config.budget_yuan,
                                  max_count=config.max_new_kits, counted=is_new,
                                  full=full.selected, **kw)
        sel = sol.selected
    curve = budget_curve(values, cover, cost, full, total=total, kits=config.curve_kits,
                         is_new=is_new, reach=reach, **kw) if extras else []
    scenarios = []
    if sol is not None and extras:
        common = {"values": values, "cover": cover, "cost": cost, "is_new": is_new,
                  "total": total, "budget": float(config.budget_yuan), "reach": reach}
        def new_step(v, m, c, k, **a):  # the new kits by the budgeted choice's rule
            return access_first(v, m, c, k, counted=np.ones(c.shape[1], bool), **a, **kw)[0]

        ff, *how = fix_first(values, cover, cost, is_new=is_new, budget=config.budget_yuan,
                             max_new=config.max_new_kits, full=full.selected, must=must,
                             new_step=new_step, **kw)
        scenarios = [scenario("optimal", sol.selected, status=sol.status, method=sol.method,
                              gap=sol.gap, **common),
                     scenario("fix_first", ff, status=how[0], method=how[1], gap=how[2],
                              **common)]
    new = sel[sel < nc]
    fixed = fixable[sel[sel >= nc] - nc]
    got = covered_value(values, cover, sel)
    spend = float(cost[sel].sum())
    summary = {
        "placement": config.placement,
        "budget_yuan": float(config.budget_yuan) if config.placement == "budget" else None,
        "max_new_kits": config.max_new_kits,
        "prices_yuan": dict(config.prices), "new_kit_yuan": config.kit_price,
        "spend_yuan": round(spend, 2),
        "remaining_yuan": (round(config.budget_yuan - spend, 2)
                           if config.placement == "budget" else None),
        "new_kits": int(len(new)), "fixed_kits": int(len(fixed)),
        "candidates": {k: int((source == k).sum()) for k in SOURCES} | {
            "fixable_kits": int(len(fixable))},
        "risk_total": round(total, 1), "risk_covered": round(got, 1),
        "risk_covered_share": round(got / total, 4) if total > 0 else 1.0,
        "elements": int(cover.shape[0]), "nonzeros": int(cover.nnz),
        **({"status": sol.status, "method": sol.method, "gap": round(sol.gap, 6),
            "bound": round(sol.bound, 1), "seconds": round(sol.seconds, 2),
            "tie_break": sol.tie_break} if sol else
           {"status": full.status, "method": "cheapest_cover", "gap": round(full.gap, 6)}),
        "full_coverage": _full_summary(full, is_new=is_new, n_min=len(plan_bank))
        | {"risky_bank_m_out_of_reach": reach.out_of_reach(full.selected)},
        "access_points": _access_summary(must, cover, cost, sel,
                                         first if sol else np.zeros(0, np.int64)),
    }
    plan_idx = np.r_[np.full(act.n_access, -1), np.arange(nc - act.n_access)]
    return BudgetPlan(new_bank=act_bank[new], new_pos=act_pos[new], new_source=source[new],
                      new_plan=plan_idx[new].astype(np.int64),
                      fixed=fixed, solution=sol, curve=curve, summary=summary,
                      scenarios=scenarios)


def access_first(values: np.ndarray, must: np.ndarray, cover: sp.csr_array,
                 cost: np.ndarray, *, budget: float, max_count: int | None,
                 counted: np.ndarray, full: np.ndarray, **kw: Any,
                 ) -> tuple[BudgetSolution, np.ndarray]:
    """The budgeted choice with the access points of high-consequence waters first.

    ``must`` is the value of each element at such access points. When the budget reaches
    the full plan it is the answer; otherwise the cheapest actions covering every access
    point are bought first (as many of them as the budget allows, most value first), then
    the rest of the budget is spent on the most value (:func:`budget_cover` on what is left).
    The status and gap are those of the second step, on what the first left.

    Returns
    -------
    (solution, first) : BudgetSolution, ndarray
        The whole choice and the actions bought for the access points.
    """
    cap = np.inf if max_count is None else float(max_count)
    if not (must > 0).any() or fits_full(values, cover, cost, budget=budget, counted=counted,
                                         kmax=cap, full=full):
        # the whole choice at once (the full plan when it fits): no access points first
        return budget_cover(values, cover, cost, budget=budget, max_count=max_count,
                            counted=counted, full=full, **kw), np.zeros(0, np.int64)
    plan = cheapest_cover(must, cover, cost, counted=counted, max_count=cap, **kw)
    first = plan.selected
    if not np.isfinite(plan.cost) or plan.cost > budget:
        first = budget_cover(must, cover, cost, budget=budget, max_count=max_count,
                             counted=counted, **kw).selected
    x = np.zeros(cover.shape[1])
    x[first] = 1.0
    left = np.where(cover @ x > 0, 0.0, values)
    rest = budget_cover(left, cover, cost, budget=budget - float(cost[first].sum()),
                        max_count=None if max_count is None
                        else int(max_count - counted[first].sum()), counted=counted, **kw)
    sel = prune(values, cover, cost, np.union1d(first, rest.selected))
    got = covered_value(values, cover, sel)
    bound = got + max(rest.bound - rest.objective, 0.0)
    return dataclasses.replace(
        rest, selected=sel, objective=got, bound=bound,
        gap=(bound - got) / bound if bound > 0 else 0.0, cost=float(cost[sel].sum()),
        method=f"access_first+{rest.method}"), first


def _access_summary(must: np.ndarray, cover: sp.csr_array, cost: np.ndarray,
                    sel: np.ndarray, first: np.ndarray) -> dict[str, Any]:
    """``run.json``: the risk at the access points of high-consequence waters, the share
    the plan brings within reach, and the yuan bought for them first."""
    need = float(must.sum())
    got = covered_value(must, cover, sel) if len(sel) and need else 0.0
    return {"risk": round(need, 1), "covered_share": round(got / need, 4) if need else 1.0,
            "first_yuan": round(float(cost[first].sum()), 2)}


def budget_curve(values: np.ndarray, cover: sp.csr_array, cost: np.ndarray,
                 full: CoverPlan, *, total: float, kits: tuple[int, ...],
                 time_limit: float, exact_max: int,
                 node_limit: int | None = None,
                 mip_rel_gap: float = 1e-4, is_new: np.ndarray | None = None,
                 reach: Reach | None = None) -> list[dict[str, Any]]:
    """Risk covered against actions (new kits + completed/repaired) and yuan.

    One point per count in ``kits`` below the number of actions of the full plan (unlimited
    yuan, at most that many actions), then the full plan (the cheapest covering every risky
    metre). A point never covers less than the one before (its selection is feasible for a
    larger count and kept if the solver returns less within its limits: ``status`` then
    says ``carried``). With ``is_new`` (new-kit actions) and ``reach``, each point also
    splits its actions into new and fixed kits and states the risky metres left out of
    reach.
    """
    out: list[dict[str, Any]] = []
    prev: np.ndarray | None = None
    prev_val = -1.0
    for k in sorted(set(kits)):
        if k >= len(full.selected):
            break
        sol = budget_cover(values, cover, cost, budget=np.inf, max_count=k,
                           time_limit=time_limit, exact_max=exact_max, node_limit=node_limit,
                           mip_rel_gap=mip_rel_gap, full=full.selected)
        sel, val, status = sol.selected, sol.objective, sol.status
        if prev is not None and val < prev_val:
            sel, val, status = prev, prev_val, "carried"
        out.append(_point(k, sel, val, cost, total, status, sol.method,
                          (sol.bound - val) / sol.bound if sol.bound > 0 else 0.0)
                   | _split(sel, is_new, reach) | {"seconds": round(sol.seconds, 2)})
        prev, prev_val = sel, val
    val = covered_value(values, cover, full.selected)
    out.append(_point(len(full.selected), full.selected, val, cost, total, "full_coverage",
                      "cheapest_cover", 0.0) | _split(full.selected, is_new, reach)
               | {"yuan_gap": round(full.gap, 6)})
    return out


def _split(sel: np.ndarray, is_new: np.ndarray | None, reach: Reach | None) -> dict[str, Any]:
    """New and fixed kits of a curve point, and the risky metres it leaves out of reach."""
    out: dict[str, Any] = {}
    if is_new is not None:
        new = int(np.asarray(is_new, bool)[sel].sum())
        out |= {"new_kits": new, "fixed_kits": int(len(sel) - new)}
    if reach is not None:
        out["risky_bank_m_out_of_reach"] = reach.out_of_reach(sel)
    return out


def _full_summary(full: CoverPlan, *, is_new: np.ndarray, n_min: int) -> dict[str, Any]:
    """``run.json`` figures of the full-coverage plan: its kits and yuan, how sure the
    yuan are, and the exact minimum of new kits (interval stabbing) it is measured against."""
    new = int(is_new[full.selected].sum())
    return {"new_kits": new, "fixed_kits": int(len(full.selected) - new),
            "yuan": round(full.cost, 2), "status": full.status, "gap": round(full.gap, 6),
            "bound_yuan": round(full.bound, 2), "min_new_kits": int(n_min),
            "min_new_kits_method": "interval_stabbing"}


def _point(k: int, sel: np.ndarray, val: float, cost: np.ndarray, total: float,
           status: str, method: str, gap: float) -> dict[str, Any]:
    return {"max_kits": int(k), "kits": int(len(sel)), "yuan": round(float(cost[sel].sum()), 2),
            "risk_covered": round(float(val), 1),
            "risk_covered_share": round(float(val / total), 4) if total > 0 else 1.0,
            "status": status, "method": method, "gap": round(float(max(gap, 0.0)), 6)}
