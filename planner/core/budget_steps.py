"""Steps of the budgeted kit choice (:mod:`planner.core.budget`): bounds, the greedy, pruning,
the cheapest full cover and the cheapest plan of a given value.

Every routine works on the same arrays: element values ``v`` (>= 0), a sparse ``cover``
(elements x actions, non-zero where an action brings an element within reach) and action
costs ``c`` (yuan). Coverage is counted once per element however many actions reach it.

``prune``
    drops chosen actions that add nothing (every element they reach is reached by another
    chosen action), dearest first: no plan ever buys a kit worth nothing.
``cheapest_cover``
    the cheapest set of actions reaching every element of positive value (weighted set
    cover, ``min c.x  s.t.  A x >= 1``), solved with HiGHS: the LP relaxation (a lower bound,
    integral on most bank models since an action reaches a run of consecutive pieces of one
    bank), then the MILP stopped after ``node_limit`` nodes; the answer is never worse than
    the ``start`` plan (e.g. the exact minimum-kits plan of :func:`planner.core.kits.place`
    with every partial kit completed), and its gap against the bound is stated.
    With ``values`` zeroed outside the elements a budgeted plan covers, it is the second,
    lexicographic step of the budgeted choice: the cheapest plan covering the same risk, so
    that ties go to the cheaper plan.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

__all__ = ["CoverPlan", "cheapest_cover", "covered_value",
           "greedy_budget", "knapsack_bound", "prune"]


def covered_value(values: np.ndarray, cover: sp.csr_array, selected: np.ndarray) -> float:
    """Sum of the values of elements covered by at least one selected action."""
    x = np.zeros(cover.shape[1])
    x[np.asarray(selected, dtype=np.int64)] = 1.0
    return float(np.asarray(values, float)[(cover @ x) > 0].sum())


def knapsack_bound(single: np.ndarray, cost: np.ndarray, budget: float,
                   counted: np.ndarray, max_count: float) -> float:
    """Fractional knapsack of stand-alone values ``single``: an upper bound on the optimum
    (coverage is submodular, so no plan covers more than the sum of its actions' values)."""
    free = cost <= 0
    bound = float(single[free].sum())
    c, v = cost[~free], single[~free]
    order = np.argsort(-(v / c), kind="stable")
    cum = np.cumsum(c[order])
    take = cum <= budget
    bound_b = bound + float(v[order][take].sum())
    nxt = int(take.sum())
    if nxt < len(order):
        rest = budget - (cum[nxt - 1] if nxt else 0.0)
        bound_b += float(v[order][nxt] * rest / c[order][nxt])
    if np.isfinite(max_count):
        top = np.sort(single[counted])[::-1][:int(max_count)].sum()
        bound_b = min(bound_b, float(single[~counted].sum() + top))
    return bound_b


def greedy_budget(values: np.ndarray, cover: sp.csr_array, cost: np.ndarray, budget: float,
                  counted: np.ndarray, max_count: float) -> np.ndarray:
    """Lazy greedy on marginal value per unit of the binding resources (yuan as a share of
    the budget plus count as a share of the cap), then the best single action if better."""
    csc = cover.tocsc()
    weight = ((cost / budget if np.isfinite(budget) and budget > 0 else 0.0)
              + (counted / max_count if np.isfinite(max_count) and max_count > 0 else 0.0))
    weight = np.broadcast_to(np.asarray(weight, dtype=float), cost.shape)
    done = np.zeros(len(values), dtype=bool)

    def gain(j: int) -> float:
        rows = csc.indices[csc.indptr[j]:csc.indptr[j + 1]]
        return float(values[rows[~done[rows]]].sum())

    single = np.asarray(cover.T @ values).ravel()
    # equal ratios: the cheaper action first
    ratio = np.where(weight > 0, single / np.maximum(weight, 1e-300), np.inf)
    heap = [(-r, cost[j], j) for j, r in enumerate(ratio) if single[j] > 0]
    heapq.heapify(heap)
    spent, count, chosen = 0.0, 0, []
    while heap:
        _, _, j = heapq.heappop(heap)
        if spent + cost[j] > budget or (counted[j] and count + 1 > max_count):
            continue
        g = gain(j)
        if g <= 0:
            continue
        r = g / weight[j] if weight[j] > 0 else np.inf
        if heap and r < -heap[0][0] - 1e-12:
            heapq.heappush(heap, (-r, cost[j], j))
            continue
        chosen.append(j)
        spent += cost[j]
        count += int(counted[j])
        rows = csc.indices[csc.indptr[j]:csc.indptr[j + 1]]
        done[rows] = True
    sel = np.array(sorted(chosen), dtype=np.int64)
    ok = (cost <= budget) & (~counted | (max_count >= 1))
    if ok.any():
        best = int(np.argmax(np.where(ok, single, -1.0)))
        if single[best] > covered_value(values, cover, sel):
            sel = np.array([best], dtype=np.int64)
    return sel


def prune(values: np.ndarray, cover: sp.csr_array, cost: np.ndarray,
          selected: np.ndarray) -> np.ndarray:
    """``selected`` without the actions that add nothing, dearest dropped first.

    An action adds nothing when every element of positive value it reaches is reached by
    another action still chosen. The covered value is unchanged; every action left covers
    some value no other chosen action covers.
    """
    sel = np.asarray(selected, dtype=np.int64)
    if len(sel) == 0:
        return sel
    csc = sp.csc_array(cover)
    x = np.zeros(cover.shape[1])
    x[sel] = 1.0
    count = np.asarray(cover @ x).ravel()
    keep = np.ones(len(sel), dtype=bool)
    for i in np.lexsort((sel, -cost[sel])):
        j = sel[i]
        rows = csc.indices[csc.indptr[j]:csc.indptr[j + 1]]
        rows = rows[values[rows] > 0]
        if (count[rows] >= 2).all():
            keep[i] = False
            count[rows] -= 1
    return np.sort(sel[keep])


@dataclass(frozen=True)
class CoverPlan:
    """The cheapest full cover (:func:`cheapest_cover`).

    Attributes
    ----------
    selected : ndarray
        Sorted indices of the chosen actions.
    cost, bound, gap : float
        Its cost, a valid lower bound on the cheapest cost and ``(cost - bound) / cost``.
    status : str
        ``optimal``, ``within_gap``, ``node_limit``, ``time_limit`` or ``start`` (the
        solver found nothing better than the ``start`` plan in its limits).
    """

    selected: np.ndarray
    cost: float
    bound: float
    gap: float
    status: str


def cheapest_cover(values: np.ndarray, cover: sp.csr_array, cost: np.ndarray, *,
                   start: np.ndarray | None = None, counted: np.ndarray | None = None,
                   max_count: float = np.inf, time_limit: float = 60.0,
                   node_limit: int | None = None, mip_rel_gap: float = 1e-4,
                   exact_max: int = 100_000) -> CoverPlan:
    """Cheapest actions reaching every element of positive value (see module doc).

    Elements no action reaches are ignored. With ``max_count``, at most that many of the
    actions flagged in ``counted`` (``start`` must respect it). Above ``exact_max``
    non-zeros only the LP bound and the better of ``start`` and a greedy cover are used
    (``status = "start"``).
    """
    values = np.asarray(values, dtype=float)
    cost = np.asarray(cost, dtype=float)
    cover = sp.csr_array(cover, dtype=float)
    need = np.flatnonzero((values > 0) & (np.diff(cover.indptr) > 0))
    if len(need) == 0:
        return CoverPlan(np.zeros(0, np.int64), 0.0, 0.0, 0.0, "optimal")
    a = cover[need]
    m = a.shape[1]
    best = np.asarray(start, dtype=np.int64) if start is not None else None
    if not np.isfinite(max_count):
        greedy = _greedy_cover(a, cost)
        if best is None or _cost(cost, greedy) < _cost(cost, best):
            best = greedy
    cons = [LinearConstraint(a, np.ones(len(need)), np.full(len(need), np.inf))]
    if np.isfinite(max_count):
        flag = np.ones(m) if counted is None else np.asarray(counted, dtype=float)
        cons.append(LinearConstraint(flag[None, :], -np.inf, max_count))
    opts = {"time_limit": float(time_limit), "disp": False}
    relax = milp(cost, integrality=np.zeros(m), bounds=Bounds(0, 1), constraints=cons,
                 options=opts)
    bound = float(relax.fun) if relax.status == 0 else 0.0
    status = "start"
    if a.nnz <= exact_max and (best is None
                               or _cost(cost, best) > bound * (1 + mip_rel_gap) + 1e-9):
        res = milp(cost, integrality=np.ones(m), bounds=Bounds(0, 1), constraints=cons,
                   options=opts | {"mip_rel_gap": mip_rel_gap,
                                   **({"node_limit": int(node_limit)} if node_limit else {})})
        if res.x is not None:
            sel = np.flatnonzero(res.x > 0.5)
            if best is None or _cost(cost, sel) < _cost(cost, best):
                best = sel
            status = {0: "", 1: "time_limit"}.get(res.status, "node_limit")
        dual = getattr(res, "mip_dual_bound", None)
        if dual is not None and np.isfinite(dual):
            bound = max(bound, float(dual))
    elif a.nnz <= exact_max:
        status = ""
    if best is None:  # no plan found within the limits
        return CoverPlan(np.zeros(0, np.int64), np.inf, bound, np.inf, status or "start")
    best = prune(values, cover, cost, best)
    total = _cost(cost, best)
    bound = min(bound, total)
    gap = (total - bound) / total if total > 0 else 0.0
    if not status:
        status = "optimal" if gap <= 1e-7 else "within_gap"
    return CoverPlan(np.sort(best), total, bound, float(gap), status)


def _cost(cost: np.ndarray, sel: np.ndarray) -> float:
    return float(cost[np.asarray(sel, dtype=np.int64)].sum())


def _greedy_cover(a: sp.csr_array, cost: np.ndarray) -> np.ndarray:
    """Greedy weighted set cover of every row of ``a`` (least cost per newly covered row)."""
    csc = sp.csc_array(a)
    done = np.zeros(a.shape[0], dtype=bool)
    size = np.diff(csc.indptr).astype(float)
    heap = [(cost[j] / size[j], j) for j in range(a.shape[1]) if size[j] > 0]
    heapq.heapify(heap)
    chosen = []
    while heap and not done.all():
        r, j = heapq.heappop(heap)
        rows = csc.indices[csc.indptr[j]:csc.indptr[j + 1]]
        new = int((~done[rows]).sum())
        if new == 0:
            continue
        rr = cost[j] / new
        if heap and rr > heap[0][0] + 1e-12:
            heapq.heappush(heap, (rr, j))
            continue
        chosen.append(j)
        done[rows] = True
    return np.array(sorted(chosen), dtype=np.int64)
