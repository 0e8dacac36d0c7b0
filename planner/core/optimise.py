"""Exact placement models on arrays: maximal covering, p-median, county budget and set cover.

The numeric core of issue 5. Every model takes plain numpy / scipy.sparse arrays (no geometry):

* ``weights`` — demand weight per demand point (children, weighted), shape ``(n,)``;
* ``coverage`` — boolean ``(n, m)`` sparse matrix, ``True`` where candidate ``j`` covers demand
  ``i`` (build it from a cost matrix with :func:`coverage_from_cost`), or ``cost`` — an ``(n, m)``
  distance matrix, dense or sparse (for a sparse matrix, absent entries mean "unreachable");
* ``groups`` — the group (town index) of every candidate, ``-1`` for a candidate that must never
  be chosen (excluded);
* ``counts`` / ``minimum`` — per-group exact or minimum numbers of new sites;
* ``covered`` (covering models) or ``existing_cost`` (p-median) — what the existing, fixed sites
  already provide, so that existing sites count and are never moved.

Models are solved exactly as mixed-integer programs with :func:`scipy.optimize.milp` (HiGHS) on
sparse constraint matrices assembled without Python loops over pairs. The covering models (maximal
covering, county budget, set cover) are first reduced exactly (:mod:`planner.core._reduce`:
essential and dominated rows and columns, merged demand) and solved "LP first"
(:mod:`planner.core._covering`): the MILP only runs when the LP relaxation does not already prove
the optimum. ``solve_seconds`` includes the reductions. Above ``heuristic_above``
(number of demand-candidate pairs in the model) a greedy-plus-swap heuristic
(:mod:`planner.core._heuristic`) is used instead; its :class:`Solution` says ``method='heuristic'``
and carries a valid bound on the optimum.

Infeasible quotas (a group needs more new sites than it has candidates) raise
:class:`~planner._errors.ModelError`; the GeoDataFrame adapter (:mod:`planner.propose.place`)
caps such quotas beforehand and records a note, so the core itself never silently changes a quota.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint

from planner._errors import ModelError
from planner.core import _covering, _heuristic
from planner.core._milp import (  # noqa: F401 (Solution and the evaluators are public here)
    Limits,
    Solution,
    check_coverage,
    check_mask,
    check_weights,
    closer_pairs,
    count_limits,
    cover_value,
    coverage_from_cost,
    existing_costs,
    group_limits,
    make_solution,
    median_value,
    solve_milp,
    too_big_note,
)

__all__ = [
    "Solution",
    "coverage_from_cost",
    "cover_value",
    "median_value",
    "max_cover",
    "p_median",
    "county_budget",
    "set_cover",
]



#: why a model was not handed to the solver
NOTHING_TO_PLACE = ("nothing to place (no new site asked for, no candidate or no demand left): "
                    "no solver call")


def nothing_to_place(model: str, *, objective: float = 0.0, maximise: bool = True,
                     notes: tuple[str, ...] = ()) -> Solution:
    """The solution of an instance with nothing to choose: no site, no solver call.

    A county whose task is complete (0 missing everywhere), a model without candidates or
    without demand left to serve is trivially optimal with the empty selection; handing it
    to HiGHS would give it an empty or infeasible model.
    """
    return make_solution(np.zeros(0, dtype=np.int64), objective, objective, maximise,
                         status="optimal", method="trivial", times=(0.0, 0.0), model=model,
                         notes=(NOTHING_TO_PLACE, *notes))


def _nothing_to_choose(lim: Limits) -> bool:
    """No new site may or must be chosen under ``lim``."""
    sel = lim.selectable
    room = np.minimum(lim.hi, np.bincount(lim.groups[sel], minlength=lim.hi.size)).sum()
    return lim.total_hi <= 0 or not sel.any() or int(room) == 0


def _cover_model(
    w: np.ndarray,
    cov: sp.csr_array,
    covered: np.ndarray,
    lim: Limits,
    *,
    time_limit: float,
    mip_rel_gap: float,
    heuristic_above: int | None,
    model: str,
) -> Solution:
    if _nothing_to_choose(lim):
        return nothing_to_place(model)
    t0 = time.perf_counter()
    cov = cov @ sp.diags_array(lim.selectable.astype(float))  # excluded candidates cover nothing
    cov = sp.csr_array(cov, dtype=bool)
    cov.eliminate_zeros()
    reach = np.diff(cov.indptr) > 0
    live = np.flatnonzero(~covered & (w > 0) & reach)
    sub = cov[live]
    wl = w[live]
    if heuristic_above is not None and sub.nnz > heuristic_above:
        build = time.perf_counter() - t0
        t1 = time.perf_counter()
        sel, obj, bound = _heuristic.greedy_swap_cover(
            wl, sub, lim.groups, lim.lo, lim.hi, lim.total_lo, lim.total_hi, time_limit=time_limit
        )
        times = (build, time.perf_counter() - t1)
        return make_solution(sel, obj, bound, True, status="heuristic", method="heuristic",
                             times=times, model=model,
                             notes=(too_big_note(sub.nnz, heuristic_above),))
    build = time.perf_counter() - t0
    t1 = time.perf_counter()
    sel, bound, status = _covering.max_cover(wl, sub, lim, time_limit=time_limit,
                                             mip_rel_gap=mip_rel_gap)
    seconds = time.perf_counter() - t1
    obj = float(wl[np.asarray(sub[:, sel].sum(axis=1)).ravel() > 0].sum())
    return make_solution(sel, obj, bound, True, status=status, method="milp",
                         times=(build, seconds), model=model)


def max_cover(
    weights,
    coverage,
    *,
    groups=None,
    counts=None,
    p: int | None = None,
    covered=None,
    time_limit: float = 60.0,
    mip_rel_gap: float = 1e-4,
    heuristic_above: int | None = None,
) -> Solution:
    """Maximal covering: choose new sites maximising the demand weight newly covered.

    Parameters
    ----------
    weights : array_like, shape (n,)
        Demand weights.
    coverage : scipy.sparse matrix or bool array, shape (n, m)
        ``True`` where candidate ``j`` covers demand ``i``.
    groups : array_like of int, shape (m,), optional
        Group of every candidate; ``-1`` excludes a candidate.
    counts : array_like of int, shape (n_groups,), optional
        Exact number of new sites per group (the missing number of each town).
    p : int, optional
        Total number of new sites (with no ``counts``: the classic MCLP).
    covered : array_like of bool, shape (n,), optional
        Demand already covered by existing fixed sites; it adds nothing to the objective.
    time_limit : float
        Solver time limit in seconds.
    mip_rel_gap : float
        Relative MIP gap at which HiGHS stops.
    heuristic_above : int, optional
        Use the greedy-plus-swap heuristic when the model has more demand-candidate pairs.

    Returns
    -------
    Solution
        ``objective`` is the weight newly covered.
    """
    cov = check_coverage(coverage)
    n, m = cov.shape
    w = check_weights(weights, n)
    lim = count_limits(m, groups, counts, p, "max_cover")
    return _cover_model(w, cov, check_mask(covered, n, "covered"), lim, time_limit=time_limit,
                        mip_rel_gap=mip_rel_gap, heuristic_above=heuristic_above,
                        model="max_cover")


def county_budget(
    weights,
    coverage,
    *,
    groups,
    minimum,
    budget: int,
    covered=None,
    time_limit: float = 60.0,
    mip_rel_gap: float = 1e-4,
    heuristic_above: int | None = None,
) -> Solution:
    """County budget: choose ``budget`` new sites anywhere, maximising weight newly covered.

    When ``budget >= sum(minimum)`` every group receives at least its ``minimum`` (its missing
    number) and the rest goes wherever it covers most. When the budget is smaller, no group
    receives more than its minimum: the budget is shared among the groups with a shortfall,
    where it covers most. Parameters are those of :func:`max_cover`, with ``minimum`` the
    per-group minimum and ``budget`` the exact total (capped at the candidates available).
    """
    cov = check_coverage(coverage)
    n, m = cov.shape
    w = check_weights(weights, n)
    mins = np.asarray(minimum, dtype=np.int64)
    selectable = np.asarray(groups) >= 0
    budget = int(min(budget, int(selectable.sum())))
    if budget >= int(mins.sum()):
        lim = group_limits(m, groups, mins, None, budget, budget)
    else:
        lim = group_limits(m, groups, np.zeros_like(mins), mins, budget, budget)
    return _cover_model(w, cov, check_mask(covered, n, "covered"), lim, time_limit=time_limit,
                        mip_rel_gap=mip_rel_gap, heuristic_above=heuristic_above,
                        model="county_budget")


def set_cover(
    coverage,
    *,
    weights=None,
    covered=None,
    groups=None,
    time_limit: float = 60.0,
    mip_rel_gap: float = 1e-4,
    heuristic_above: int | None = None,
) -> Solution:
    """Minimum number of new sites covering every demand point not yet covered.

    Demand with zero weight (when ``weights`` is given) or in ``covered`` needs nothing.
    Demand that no selectable candidate covers cannot be covered: it is left out and counted
    in ``Solution.notes``. ``groups`` only serves to exclude candidates (``-1``).
    """
    cov = check_coverage(coverage)
    n, m = cov.shape
    w = np.ones(n) if weights is None else check_weights(weights, n)
    lim = group_limits(m, groups, None, None, 0, m)
    t0 = time.perf_counter()
    cov = sp.csr_array(cov @ sp.diags_array(lim.selectable.astype(float)), dtype=bool)
    cov.eliminate_zeros()
    need = ~check_mask(covered, n, "covered") & (w > 0)
    reach = np.diff(cov.indptr) > 0
    notes = []
    if (need & ~reach).any():
        notes.append(
            f"{int((need & ~reach).sum())} demand points no candidate covers; left uncovered"
        )
    sub = cov[np.flatnonzero(need & reach)]
    if sub.shape[0] == 0:  # every demand covered already, or none any candidate reaches
        return nothing_to_place("set_cover", maximise=False, notes=tuple(notes))
    if heuristic_above is not None and sub.nnz > heuristic_above:
        build = time.perf_counter() - t0
        t1 = time.perf_counter()
        sel, bound = _heuristic.greedy_set_cover(sub, time_limit=time_limit)
        obj = float(sel.size)
        notes.append(too_big_note(sub.nnz, heuristic_above))
        times = (build, time.perf_counter() - t1)
        return make_solution(sel, obj, bound, False, status="heuristic", method="heuristic",
                             times=times, model="set_cover", notes=tuple(notes))
    build = time.perf_counter() - t0
    t1 = time.perf_counter()
    sel, bound, status = _covering.set_cover(sub, time_limit=time_limit,
                                             mip_rel_gap=mip_rel_gap)
    seconds = time.perf_counter() - t1
    return make_solution(sel, float(sel.size), bound, False, status=status, method="milp",
                         times=(build, seconds), model="set_cover", notes=tuple(notes))


def p_median(
    weights,
    cost,
    *,
    groups=None,
    counts=None,
    p: int | None = None,
    existing_cost=None,
    time_limit: float = 60.0,
    mip_rel_gap: float = 1e-4,
    heuristic_above: int | None = None,
) -> Solution:
    """p-median: choose new sites minimising the weighted distance to the nearest site.

    Parameters
    ----------
    weights : array_like, shape (n,)
        Demand weights.
    cost : numpy.ndarray or scipy.sparse matrix, shape (n, m)
        Distance from demand ``i`` to candidate ``j``; for a sparse matrix absent entries are
        unreachable pairs.
    groups, counts, p, time_limit, mip_rel_gap, heuristic_above
        As in :func:`max_cover`.
    existing_cost : array_like, shape (n,), optional
        Distance from each demand to its nearest existing fixed site (``inf`` if none). Demand
        stays with the existing site unless a new site is strictly closer.

    Returns
    -------
    Solution
        ``objective`` is the total weighted distance to the nearest existing or new site.
    """
    shape = cost.shape
    if len(shape) != 2:
        raise ModelError(f"cost matrix must be 2-D, got shape {shape}")
    n, m = shape
    w = check_weights(weights, n)
    e = existing_costs(existing_cost, n)
    lim = count_limits(m, groups, counts, p, "p_median")
    if _nothing_to_choose(lim):
        unserved = (w > 0) & ~np.isfinite(e)
        notes = ((f"{int(unserved.sum())} demand points have no site and none is to be "
                  "placed"),) if unserved.any() else ()
        return nothing_to_place("p_median", objective=float((w * e)[np.isfinite(e)].sum()),
                                maximise=False, notes=notes)
    t0 = time.perf_counter()
    rows, cols, dist = closer_pairs(cost, e)
    keep = (w[rows] > 0) & lim.selectable[cols]
    rows, cols, dist = rows[keep], cols[keep], dist[keep]
    served = np.bincount(rows, minlength=n) > 0
    lost = (w > 0) & ~np.isfinite(e) & ~served
    if lost.any():
        i = int(np.flatnonzero(lost)[0])
        raise ModelError(
            f"demand point {i} has no existing site and no reachable candidate "
            f"({int(lost.sum())} such points); add candidates or a finite cost"
        )
    if heuristic_above is not None and rows.size > heuristic_above:
        build = time.perf_counter() - t0
        t1 = time.perf_counter()
        sel, bound = _heuristic.greedy_swap_median(
            w, rows, cols, dist, e, m, lim.groups, lim.lo, lim.hi, lim.total_lo, lim.total_hi,
            time_limit=time_limit,
        )
        obj = median_value(w, cost, sel, existing_cost=e)
        times = (build, time.perf_counter() - t1)
        return make_solution(sel, obj, bound, False, status="heuristic", method="heuristic",
                             times=times, model="p_median",
                             notes=(too_big_note(rows.size, heuristic_above),))
    n_pairs = rows.size
    fixed = np.flatnonzero((w > 0) & np.isfinite(e))  # u_i: stay with the existing site
    n_u = fixed.size
    n_vars = m + n_pairs + n_u
    # assignment: sum_j z_ij + u_i = 1 for every demand with positive weight
    active = np.flatnonzero(w > 0)
    row_of = np.full(n, -1, dtype=np.int64)
    row_of[active] = np.arange(active.size)
    assign = sp.csr_array(
        (
            np.ones(n_pairs + n_u),
            (
                np.concatenate([row_of[rows], row_of[fixed]]),
                np.concatenate([m + np.arange(n_pairs), m + n_pairs + np.arange(n_u)]),
            ),
        ),
        shape=(active.size, n_vars),
    )
    # linking: z_ij - x_j <= 0
    r = np.arange(n_pairs)
    link = sp.csr_array(
        (
            np.concatenate([np.ones(n_pairs), -np.ones(n_pairs)]),
            (np.concatenate([r, r]), np.concatenate([m + r, cols])),
        ),
        shape=(n_pairs, n_vars),
    )
    cons = [LinearConstraint(assign, 1.0, 1.0), LinearConstraint(link, -np.inf, 0.0)]
    cons += lim.rows(n_vars)
    c = np.concatenate([np.zeros(m), w[rows] * dist, w[fixed] * e[fixed]])
    integrality = np.concatenate([np.ones(m), np.zeros(n_pairs + n_u)])
    upper = np.concatenate([lim.selectable.astype(float), np.ones(n_pairs + n_u)])
    build = time.perf_counter() - t0
    res, status, seconds = solve_milp(
        c, integrality, Bounds(0.0, upper), cons, time_limit=time_limit, mip_rel_gap=mip_rel_gap
    )
    sel = np.flatnonzero(res.x[:m] > 0.5)
    obj = median_value(w, cost, sel, existing_cost=e)
    bound = None if res.mip_dual_bound is None else float(res.mip_dual_bound)
    return make_solution(sel, obj, bound, False, status=status, method="milp",
                         times=(build, seconds), model="p_median")
