"""Budgeted kit placement on arrays: most risk-weighted bank within reach for a budget.

The model (budgeted maximum coverage)::

    maximise   sum_i v_i y_i
    subject to y_i <= sum_j A_ij x_j          (an element counts once something covers it)
               sum_j c_j x_j <= B             (budget, yuan)
               sum_j n_j x_j <= K             (optional cap on the number of counted actions)
               x_j in {0, 1},  0 <= y_i <= 1

Actions ``j`` are new kits at candidate bank positions, completions of partial kits and
repairs of short-rope kits, each with its own cost ``c_j``; they compete on value per yuan
inside one model. Elements ``i`` are *elementary pieces* of uncovered risky bank: the bank
is cut at every end of every action's reach, so that each piece is either wholly within
reach of an action or not at all, and its value is ``hazard x length`` (the same segment
model as the minimum-kits plan, :mod:`planner.core.kits`). Pieces covered by the same set of
actions are merged (values summed), which leaves the optimum unchanged.

Solved with :func:`scipy.optimize.milp` (HiGHS) in up to three steps: the LP relaxation
(its value is an upper bound, and on these models almost every action comes out at 0 or 1);
*LP-and-fix*, a small MILP over the actions the relaxation leaves fractional, the others
fixed at their 0/1 values; and, only when that answer (or the greedy one, whichever is
better) is not within ``mip_rel_gap`` of the bound, the whole MILP, whose dual bound then
tightens the gap. The answer is never worse than the greedy's.
Above ``exact_max`` non-zeros a lazy greedy on marginal value per yuan (and per counted
action when their number is capped) is used instead
(``method = "greedy"``), compared with the best single affordable action (the classic
``(1 - 1/e) / 2`` guarantee of Khuller, Moss & Naor 1999), and its gap is stated against a
valid upper bound: the fractional knapsack of the actions' stand-alone values (coverage is
submodular, so the optimum never exceeds it).

No plan buys what adds nothing, and ties go to the cheaper plan: the objective carries a
cost term far below any difference of value (it steers the relaxation), every answer is
pruned of actions that add nothing (:func:`planner.core.budget_steps.prune`), and a
second, lexicographic solve finds the cheapest plan covering the same risk (a weighted set
cover of the elements the first plan covers; ``tie_break = "cheapest"`` when proven). When
the cheapest plan covering everything (the ``full`` plan,
:func:`planner.core.budget_steps.cheapest_cover`) fits the budget it is the answer, and the
rest of the budget is left unspent.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from planner._errors import ModelError
from planner.core.budget_steps import (
    cheapest_cover,
    covered_value,
    greedy_budget,
    knapsack_bound,
    prune,
)
from planner.core.kits import expand_ranges

__all__ = ["BudgetSolution", "budget_cover", "covered_value", "elements"]

_ROUND = 1e-6  # metres: breakpoints closer than this are one


@dataclass(frozen=True)
class BudgetSolution:
    """Result of :func:`budget_cover`.

    Attributes
    ----------
    selected : ndarray
        Sorted indices of the chosen actions.
    objective : float
        Value covered by ``selected`` (recomputed from the arrays).
    bound : float
        A valid upper bound on the optimum.
    gap : float
        ``(bound - objective) / bound`` (0 when the bound is 0).
    status : str
        ``optimal`` (gap 0), ``within_gap`` (gap at most the requested ``mip_rel_gap``),
        ``time_limit``, ``node_limit`` or ``heuristic``.
    method : str
        ``milp``, ``greedy`` or ``trivial`` (nothing to gain - no uncovered risk, or no
        affordable action that covers any - so no solver was called).
    cost : float
        Total cost of ``selected``.
    seconds : float
        Wall time.
    tie_break : str
        How ties were settled: ``cheapest`` (the cheapest plan covering the same risk,
        proven),
        ``full_coverage`` (the cheapest full cover was affordable), ``pruned`` (no action
        that adds nothing is kept; a cheaper plan of equal value was not ruled out).
    """

    selected: np.ndarray
    objective: float
    bound: float
    gap: float
    status: str
    method: str
    cost: float
    seconds: float
    tie_break: str = "pruned"


def elements(seg_value: np.ndarray, seg_start: np.ndarray, piece_seg: np.ndarray,
             piece_lo: np.ndarray, piece_hi: np.ndarray, pair_action: np.ndarray,
             pair_seg: np.ndarray,
             pair_lo: np.ndarray, pair_hi: np.ndarray, *, n_actions: int,
             ) -> tuple[np.ndarray, sp.csr_array, float]:
    """Elementary pieces of uncovered bank, their values and which actions cover them.

    Parameters
    ----------
    seg_value, seg_start : ndarray
        Value per metre of each segment (hazard) and its start position on its bank.
    piece_seg, piece_lo, piece_hi : ndarray
        Uncovered pieces ``[lo, hi]`` of risky segments (disjoint within a segment).
    pair_action, pair_seg, pair_lo, pair_hi : ndarray
        Part ``[lo, hi]`` of segment ``pair_seg`` within reach of action ``pair_action``
        (e.g. from :func:`planner.core.kits.kit_pairs`).
    n_actions : int
        Number of actions (columns).

    Returns
    -------
    (values, cover, unreachable) : ndarray, csr_array (n_elements, n_actions), float
        Merged elements (one per distinct set of covering actions), their values, and the
        value of uncovered pieces no action reaches.
    """
    piece_seg = np.asarray(piece_seg, dtype=np.int64)
    pair_seg = np.asarray(pair_seg, dtype=np.int64)
    if len(piece_seg) == 0:  # nothing uncovered: no element, whatever the actions
        return np.zeros(0), sp.csr_array((0, n_actions), dtype=np.int8), 0.0
    seg_start = np.asarray(seg_start, dtype=float)
    span = 1.0 + max(np.max(np.asarray(piece_hi) - seg_start[piece_seg], initial=0.0),
                     np.max(np.asarray(pair_hi) - seg_start[pair_seg], initial=0.0))

    def key(seg: np.ndarray, x: np.ndarray) -> np.ndarray:
        # positions local to their segment keep the keys precise
        return seg * span + (np.asarray(x, dtype=float) - seg_start[seg])

    plo, phi = key(piece_seg, piece_lo), key(piece_seg, piece_hi)
    order = np.argsort(plo, kind="stable")
    plo, phi, pseg = plo[order], phi[order], piece_seg[order]
    brk = np.unique(np.round(np.r_[plo, phi, key(pair_seg, pair_lo), key(pair_seg, pair_hi)]
                             / _ROUND) * _ROUND)
    a, b = brk[:-1], brk[1:]
    mid = 0.5 * (a + b)
    k = np.searchsorted(plo, mid, side="right") - 1
    inside = (k >= 0) & (mid < phi[np.maximum(k, 0)]) & (b - a > 0)
    a, b, mid, k = a[inside], b[inside], mid[inside], k[inside]
    value = (b - a) * np.asarray(seg_value, dtype=float)[pseg[k]]
    lo_i = np.searchsorted(mid, key(pair_seg, pair_lo), side="left")
    hi_i = np.searchsorted(mid, key(pair_seg, pair_hi), side="right")
    pair, el = expand_ranges(lo_i, hi_i)
    act = np.asarray(pair_action, dtype=np.int64)[pair]
    cover = sp.csr_array((np.ones(len(el), dtype=np.int8), (el, act)),
                         shape=(len(mid), n_actions))
    cover.sum_duplicates()
    cover.data[:] = 1
    reached = np.diff(cover.indptr) > 0
    unreachable = float(value[~reached].sum())
    cover, value = cover[np.flatnonzero(reached)], value[reached]
    # merge rows with the same set of actions (two independent random hashes)
    rng = np.random.default_rng(0)
    h = cover.astype(float) @ rng.random((n_actions, 2))
    _, grp = np.unique(np.round(h, 9), axis=0, return_inverse=True)
    grp = np.asarray(grp).ravel()
    first = np.full(grp.max(initial=-1) + 1, -1)
    first[grp[::-1]] = np.arange(len(grp))[::-1]
    merged = cover[first].tocsr()
    return np.bincount(grp, weights=value, minlength=len(first)), merged, unreachable



def fits_full(values: np.ndarray, cover: sp.csr_array, cost: np.ndarray, *, budget: float,
              counted: np.ndarray, kmax: float, full: np.ndarray) -> bool:
    """Whether the full plan ``full`` is within the budget and the cap and covers every
    reachable element (then it is the budgeted answer, :func:`budget_cover`)."""
    cover = sp.csr_array(cover, dtype=float)
    values = np.asarray(values, dtype=float)
    full = np.asarray(full, dtype=np.int64)
    reachable = float(values[np.diff(cover.indptr) > 0].sum())
    return bool(np.asarray(cost, dtype=float)[full].sum() <= budget
                and np.asarray(counted, dtype=bool)[full].sum() <= kmax
                and covered_value(values, cover, full) >= reachable * (1 - 1e-12))


def budget_cover(values: np.ndarray, cover: sp.csr_array, cost: np.ndarray, *,
                 budget: float, max_count: int | None = None,
                 counted: np.ndarray | None = None, time_limit: float = 60.0,
                 exact_max: int = 100_000, mip_rel_gap: float = 1e-4,
                 node_limit: int | None = None,
                 full: np.ndarray | None = None) -> BudgetSolution:
    """Choose actions maximising the covered value within ``budget`` (see module doc).

    Parameters
    ----------
    values : ndarray (n,)
        Element values (>= 0).
    cover : sparse (n, m)
        Non-zero where action ``j`` covers element ``i``.
    cost : ndarray (m,)
        Cost of each action (>= 0).
    budget : float
        Spending limit (``inf`` for none).
    max_count, counted : optional
        At most ``max_count`` of the actions flagged in ``counted`` (default: all).
    time_limit, exact_max, mip_rel_gap : optional
        HiGHS time limit (seconds), the model size (non-zeros of ``cover``) above which the
        greedy heuristic is used, and the relative gap at which the search stops (default
        0.01 %, HiGHS's; the achieved gap is always returned).
    node_limit : int, optional
        Branch-and-bound nodes after which HiGHS stops (``status = "node_limit"``): unlike
        the time limit it gives the same answer however busy the machine is.
    full : ndarray, optional
        The cheapest plan covering every element (:func:`cheapest_cover`): when the budget
        and the cap allow it, it is the answer (``method = "full_coverage"``), and what the
        budget leaves over is left unspent.
    """
    t0 = time.perf_counter()
    values = np.asarray(values, dtype=float)
    cost = np.asarray(cost, dtype=float)
    cover = sp.csr_array(cover, dtype=float)
    n, m = cover.shape
    if len(values) != n or len(cost) != m:
        raise ModelError(f"budget_cover: {len(values)} values and {len(cost)} costs for a "
                         f"{n} x {m} cover matrix; give one value per row, one cost per column")
    if (values < 0).any() or (cost < 0).any():
        raise ModelError("budget_cover: values and costs must be >= 0")
    counted = np.ones(m, bool) if counted is None else np.asarray(counted, dtype=bool)
    kmax = np.inf if max_count is None else float(max_count)
    single = np.asarray(cover.T @ values).ravel()
    if not ((single > 0) & (cost <= budget) & (~counted | (kmax >= 1))).any():
        # nothing to gain (no need, or nothing affordable): no kit, no solver call
        return _finish(np.zeros(0, np.int64), values, cover, cost, 0.0, "optimal", "trivial",
                       t0, tie="cheapest")
    reachable = float(values[np.diff(cover.indptr) > 0].sum())
    if full is not None and fits_full(values, cover, cost, budget=budget, counted=counted,
                                      kmax=kmax, full=full):
        return _finish(np.asarray(full, dtype=np.int64), values, cover, cost, reachable,
                       "optimal", "full_coverage", t0, tie="full_coverage")
    bound = min(reachable, knapsack_bound(single, cost, budget, counted, kmax))
    if cover.nnz > exact_max:
        sel = prune(values, cover, cost, greedy_budget(values, cover, cost, budget, counted,
                                                       kmax))
        return _finish(sel, values, cover, cost, bound, "heuristic", "greedy", t0,
                       tie="pruned")
    best, bound, status = _solve(values, cover, cost, budget=budget, counted=counted,
                                 kmax=kmax, bound=bound, time_limit=time_limit,
                                 mip_rel_gap=mip_rel_gap, node_limit=node_limit)
    best = prune(values, cover, cost, best)
    # ties go to the cheaper plan: the cheapest plan covering the same risk
    x = np.zeros(m)
    x[best] = 1.0
    same = cheapest_cover(np.where(cover @ x > 0, values, 0.0), cover, cost, start=best,
                          counted=counted, max_count=kmax, time_limit=time_limit,
                          node_limit=node_limit, mip_rel_gap=1e-9)
    tie = "cheapest" if same.status == "optimal" else "pruned"
    if same.cost < cost[best].sum() - 1e-9:
        best = same.selected
    return _finish(best, values, cover, cost, bound, status, "milp", t0, tie=tie)


def _solve(values: np.ndarray, cover: sp.csr_array, cost: np.ndarray, *, budget: float,
           counted: np.ndarray, kmax: float, bound: float, time_limit: float,
           mip_rel_gap: float, node_limit: int | None) -> tuple[np.ndarray, float, str]:
    """The most value within the budget: LP relaxation, LP-and-fix, then (if not yet
    within ``mip_rel_gap`` of the bound) the whole MILP. Returns (selection, bound,
    status: "" when within the gap)."""
    n = cover.shape[0]
    single = np.asarray(cover.T @ values).ravel()
    # only actions that cover something and are affordable enter the model
    use = np.flatnonzero((single > 0) & (cost <= budget))
    sub, cost_u, counted_u = cover[:, use], cost[use], counted[use]
    m = len(use)
    # a cost term far below any value difference steers the relaxation to the cheaper
    # of equal plans and away from actions that add nothing
    eps = 1e-9 * float(values.sum()) / max(float(cost_u.sum()), 1.0)
    c = np.r_[eps * cost_u, -values]
    rows = [sp.hstack([-sub, sp.eye_array(n, format="csr")], format="csr")]
    lo, hi = [np.full(n, -np.inf)], [np.zeros(n)]
    if np.isfinite(budget):
        rows.append(sp.csr_array(np.r_[cost_u, np.zeros(n)][None, :]))
        lo.append([-np.inf])
        hi.append([budget])
    if np.isfinite(kmax):
        rows.append(sp.csr_array(np.r_[counted_u.astype(float), np.zeros(n)][None, :]))
        lo.append([-np.inf])
        hi.append([kmax])
    cons = LinearConstraint(sp.vstack(rows, format="csr"), np.concatenate(lo),
                            np.concatenate(hi))
    integrality = np.r_[np.ones(m), np.zeros(n)]
    box = Bounds(np.zeros(m + n), np.ones(m + n))
    # 1. LP relaxation: a valid bound, and nearly integral on these models
    relax = milp(c, integrality=np.zeros(m + n), bounds=box, constraints=cons,
                 options={"time_limit": float(time_limit), "disp": False})
    best = greedy_budget(values, cover, cost, budget, counted, kmax)
    if relax.x is not None and relax.status == 0:
        bound = min(bound, (-float(relax.fun) + eps * float(cost_u.sum())) * (1 + 1e-9))
        # 2. LP-and-fix: actions at 0 or 1 in the relaxation are fixed, a small MILP
        #    decides the fractional rest
        lo_b, hi_b = np.zeros(m + n), np.ones(m + n)
        x = relax.x[:m]
        lo_b[:m][x > 1 - 1e-6] = 1.0
        hi_b[:m][x < 1e-6] = 0.0
        fix = milp(c, integrality=integrality, bounds=Bounds(lo_b, hi_b), constraints=cons,
                   options={"time_limit": float(time_limit), "mip_rel_gap": mip_rel_gap,
                            "disp": False})
        if fix.x is not None:
            best = _better(values, cover, use[np.flatnonzero(fix.x[:m] > 0.5)], best)
    if _gap(values, cover, best, bound) <= mip_rel_gap:
        return best, bound, ""
    # 3. the whole MILP, when the quick answer is not within the gap
    res = milp(c, integrality=integrality, bounds=box, constraints=cons,
               # HiGHS presolve costs seconds on these models and gains nothing
               options={"time_limit": float(time_limit), "mip_rel_gap": mip_rel_gap,
                        "presolve": False, "disp": False,
                        **({"node_limit": int(node_limit)} if node_limit else {})})
    if res.x is None:
        return best, bound, "heuristic"
    dual = getattr(res, "mip_dual_bound", None)
    if dual is not None and np.isfinite(dual):
        bound = min(bound, (-float(dual) + eps * float(cost_u.sum())) * (1 + 1e-9))
    status = {0: "", 1: "time_limit"}.get(res.status, "node_limit")
    return _better(values, cover, use[np.flatnonzero(res.x[:m] > 0.5)], best), bound, status


def _gap(values: np.ndarray, cover: sp.csr_array, sel: np.ndarray, bound: float) -> float:
    obj = covered_value(values, cover, sel)
    return (bound - obj) / bound if bound > 0 else 0.0


def _better(values: np.ndarray, cover: sp.csr_array, a: np.ndarray, b: np.ndarray
            ) -> np.ndarray:
    """The selection of ``a`` and ``b`` that covers more (``a`` on a tie)."""
    return a if covered_value(values, cover, a) >= covered_value(values, cover, b) else b


def _finish(sel: np.ndarray, values: np.ndarray, cover: sp.csr_array, cost: np.ndarray,
            bound: float, status: str, method: str, t0: float, *, tie: str) -> BudgetSolution:
    obj = covered_value(values, cover, sel)
    bound = max(bound, obj)
    gap = (bound - obj) / bound if bound > 0 else 0.0
    if not status:  # solved to the requested gap: "optimal" only when nothing is left
        status = "optimal" if gap <= 1e-7 else "within_gap"
    return BudgetSolution(selected=np.asarray(sel, dtype=np.int64), objective=obj,
                          bound=bound, gap=float(gap), status=status, method=method,
                          cost=float(cost[sel].sum()), seconds=time.perf_counter() - t0,
                          tie_break=tie)
