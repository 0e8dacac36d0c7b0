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
sparse constraint matrices assembled without Python loops over pairs. Above ``heuristic_above``
(number of demand-candidate pairs in the model) a greedy-plus-swap heuristic
(:mod:`planner._heuristic`) is used instead; its :class:`Solution` says ``method='heuristic'``
and carries a valid bound on the optimum.

Infeasible quotas (a group needs more new sites than it has candidates) raise
:class:`~planner._errors.ModelError`; the GeoDataFrame adapter (:mod:`planner.place`) caps such
quotas beforehand and records a note, so the core itself never silently changes a quota.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from planner._errors import ModelError
from planner.core import _heuristic

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

_STATUS = {0: "optimal", 1: "time_limit", 2: "infeasible", 3: "unbounded"}


@dataclass(frozen=True)
class Solution:
    """Result of one placement model.

    Attributes
    ----------
    selected : numpy.ndarray
        Sorted indices of the chosen candidates.
    objective : float
        Objective value of ``selected``, evaluated directly from the arrays: weight newly
        covered (``max_cover``, ``county_budget``), weighted distance (``p_median``) or number of
        sites (``set_cover``).
    status : str
        ``'optimal'``, ``'time_limit'`` (best solution found in time), ``'heuristic'``.
    mip_gap : float or None
        Relative gap between ``objective`` and ``bound``.
    method : str
        ``'milp'`` or ``'heuristic'``.
    bound : float or None
        A valid bound on the optimum: upper bound for maximisation, lower bound for
        minimisation (HiGHS dual bound, or the heuristic's own bound).
    build_seconds, solve_seconds : float
        Wall time to build the model and to solve it.
    model : str
        Name of the model.
    notes : tuple of str
        Anything the caller should report (demand that cannot be covered, fall-backs).
    """

    selected: np.ndarray
    objective: float
    status: str
    mip_gap: float | None
    method: str
    bound: float | None
    build_seconds: float
    solve_seconds: float
    model: str = ""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Limits:
    """Per-group lower/upper counts and total bounds on the number of chosen candidates."""

    groups: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    total_lo: int
    total_hi: int

    @property
    def selectable(self) -> np.ndarray:
        return self.groups >= 0

    def rows(self, n_vars: int) -> list[LinearConstraint]:
        """Constraints on the first ``m`` variables (the candidates) of an ``n_vars`` model."""
        m = self.groups.size
        idx = np.flatnonzero(self.selectable)
        g_mat = sp.csr_array(
            (np.ones(idx.size), (self.groups[idx], idx)), shape=(self.lo.size, n_vars)
        )
        total = sp.csr_array(
            (np.ones(idx.size), (np.zeros(idx.size, dtype=np.int64), idx)), shape=(1, n_vars)
        )
        out = []
        if self.lo.size:
            out.append(LinearConstraint(g_mat, self.lo.astype(float), self.hi.astype(float)))
        if self.total_lo > 0 or self.total_hi < m:
            out.append(LinearConstraint(total, self.total_lo, self.total_hi))
        return out


def _limits(
    m: int,
    groups: np.ndarray | None,
    lo: np.ndarray | None,
    hi: np.ndarray | None,
    total_lo: int,
    total_hi: int,
) -> _Limits:
    """Validate group arrays and check the quotas can be met by the candidates available."""
    if groups is None:
        groups = np.zeros(m, dtype=np.int64)
        lo = np.zeros(1, dtype=np.int64) if lo is None else lo
        hi = np.full(1, m, dtype=np.int64) if hi is None else hi
    groups = np.asarray(groups, dtype=np.int64).ravel()
    if groups.size != m:
        raise ModelError(
            f"groups has {groups.size} entries but there are {m} candidates; "
            "give one group id per candidate"
        )
    n_groups = int(groups.max(initial=-1)) + 1
    lo = np.zeros(n_groups, dtype=np.int64) if lo is None else np.asarray(lo, dtype=np.int64)
    if hi is None:
        hi = np.full(lo.size, m, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    if lo.size < n_groups or hi.size != lo.size:
        raise ModelError(
            f"per-group counts have {lo.size} entries but group ids go up to {n_groups - 1}; "
            "give one count per group"
        )
    if (lo < 0).any() or (hi < lo).any():
        raise ModelError("per-group counts must be non-negative integers; fix the quota table")
    avail = np.bincount(groups[groups >= 0], minlength=lo.size)
    short = np.flatnonzero(avail < lo)
    if short.size:
        g = int(short[0])
        raise ModelError(
            f"group {g} needs {int(lo[g])} new sites but has only {int(avail[g])} candidates "
            f"({short.size} groups short in all); add candidates or lower the quota"
        )
    cap = int(np.minimum(hi, avail).sum())
    if total_lo > cap or int(lo.sum()) > total_hi:
        raise ModelError(
            f"total of {total_lo}..{total_hi} new sites cannot meet per-group counts "
            f"(minimum {int(lo.sum())}, at most {cap}); change the budget or the quotas"
        )
    return _Limits(groups, lo, hi, int(total_lo), int(min(total_hi, cap)))


def _weights(weights: np.ndarray, n: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float).ravel()
    if w.size != n:
        raise ModelError(f"weights has {w.size} entries but there are {n} demand points")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ModelError("demand weights must be finite and non-negative; check children counts")
    return w


def _mask(mask: np.ndarray | None, n: int, name: str) -> np.ndarray:
    if mask is None:
        return np.zeros(n, dtype=bool)
    out = np.asarray(mask, dtype=bool).ravel()
    if out.size != n:
        raise ModelError(f"{name} has {out.size} entries but there are {n} demand points")
    return out


def coverage_from_cost(cost, threshold: float) -> sp.csr_array:
    """Boolean coverage matrix ``cost <= threshold``.

    Parameters
    ----------
    cost : numpy.ndarray or scipy.sparse matrix, shape (n, m)
        Distances. For a sparse matrix, absent entries are unreachable pairs and stored entries
        (explicit zeros included) are distances.
    threshold : float
        Service radius, in the units of ``cost``.

    Returns
    -------
    scipy.sparse.csr_array of bool, shape (n, m)
    """
    if sp.issparse(cost):
        coo = sp.coo_array(cost)
        keep = coo.data <= threshold
        return sp.csr_array(
            (np.ones(int(keep.sum()), dtype=bool), (coo.row[keep], coo.col[keep])),
            shape=coo.shape,
        )
    arr = np.asarray(cost, dtype=float)
    if arr.ndim != 2:
        raise ModelError(f"cost matrix must be 2-D, got shape {arr.shape}")
    return sp.csr_array(arr <= threshold)


def _coverage(coverage, n: int | None = None) -> sp.csr_array:
    cov = sp.csr_array(coverage, dtype=bool)
    cov.eliminate_zeros()
    if n is not None and cov.shape[0] != n:
        raise ModelError(f"coverage has {cov.shape[0]} rows but there are {n} demand points")
    return cov


def cover_value(weights, coverage, selected, *, covered=None) -> float:
    """Weight of demand newly covered by ``selected`` (demand in ``covered`` excluded)."""
    cov = _coverage(coverage)
    w = np.asarray(weights, dtype=float)
    hit = np.asarray(cov[:, np.asarray(selected, dtype=np.int64)].sum(axis=1)).ravel() > 0
    return float(w[hit & ~_mask(covered, w.size, "covered")].sum())


def _pairs(cost, existing: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, col, distance) of the pairs strictly closer than the existing sites."""
    if sp.issparse(cost):
        coo = sp.coo_array(cost)
        rows, cols, dist = coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data
        keep = dist < existing[rows]
        return rows[keep], cols[keep], dist[keep].astype(float)
    arr = np.asarray(cost, dtype=float)
    rows, cols = np.nonzero(arr < existing[:, None])
    return rows.astype(np.int64), cols.astype(np.int64), arr[rows, cols]


def median_value(weights, cost, selected, *, existing_cost=None) -> float:
    """Weighted distance of every demand to its nearest existing or selected site."""
    w = np.asarray(weights, dtype=float)
    best = _existing(existing_cost, w.size)
    sel = np.asarray(selected, dtype=np.int64)
    if sel.size:
        sub = sp.csc_array(cost)[:, sel] if sp.issparse(cost) else np.asarray(cost)[:, sel]
        if sp.issparse(sub):
            sub = sp.coo_array(sub)
            np.minimum.at(best, sub.row, sub.data)
        else:
            best = np.minimum(best, np.asarray(sub, dtype=float).min(axis=1))
    pos = w > 0
    return float((w[pos] * best[pos]).sum())


def _existing(existing_cost, n: int) -> np.ndarray:
    if existing_cost is None:
        return np.full(n, np.inf)
    e = np.asarray(existing_cost, dtype=float).ravel().copy()
    if e.size != n:
        raise ModelError(f"existing_cost has {e.size} entries but there are {n} demand points")
    e[np.isnan(e)] = np.inf
    return e


def _solve(c, integrality, bounds, constraints, *, time_limit, mip_rel_gap):
    options = {"time_limit": float(time_limit), "mip_rel_gap": float(mip_rel_gap), "disp": False}
    t0 = time.perf_counter()
    res = milp(c, integrality=integrality, bounds=bounds, constraints=constraints, options=options)
    seconds = time.perf_counter() - t0
    status = _STATUS.get(res.status, "error")
    if res.x is None:
        raise ModelError(
            f"MILP solver returned no solution ({status}: {res.message}); "
            "raise time_limit_s or check the quotas"
        )
    return res, status, seconds


def _result(sel, obj, bound, maximise, *, status, method, times, model, notes=()) -> Solution:
    """A :class:`Solution` with its relative gap; heuristic results are labelled as such."""
    if method == "heuristic":
        notes = (*notes, "greedy + swap heuristic: not proven optimal, see bound and gap")
    gap = _gap(obj, bound, maximise)
    return Solution(np.sort(sel), float(obj), status, gap, method, bound, *times, model, notes)


def _big(pairs: int, limit: int) -> str:
    return f"{pairs} demand-candidate pairs > heuristic_above = {limit}"


def _count_limits(m, groups, counts, p, model) -> _Limits:
    if counts is None and p is None:
        raise ModelError(f"{model} needs per-group counts or a total p; give one of them")
    if counts is None:
        return _limits(m, groups, None, None, int(p), int(p))
    cnt = np.asarray(counts, dtype=np.int64)
    return _limits(m, groups, cnt, cnt, 0 if p is None else p, m if p is None else p)


def _gap(objective: float, bound: float | None, maximise: bool) -> float | None:
    if bound is None or not np.isfinite(bound):
        return None
    diff = bound - objective if maximise else objective - bound
    return max(0.0, float(diff)) / max(abs(objective), abs(bound), 1e-12)


def _cover_model(
    w: np.ndarray,
    cov: sp.csr_array,
    covered: np.ndarray,
    lim: _Limits,
    *,
    time_limit: float,
    mip_rel_gap: float,
    heuristic_above: int | None,
    model: str,
) -> Solution:
    t0 = time.perf_counter()
    m = cov.shape[1]
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
        return _result(sel, obj, bound, True, status="heuristic", method="heuristic",
                       times=times, model=model, notes=(_big(sub.nnz, heuristic_above),))
    k = live.size
    link = sp.hstack([-sub.astype(float), sp.eye_array(k, format="csr")], format="csr")
    cons = [LinearConstraint(link, -np.inf, 0.0), *lim.rows(m + k)]
    c = np.concatenate([np.zeros(m), -wl])
    integrality = np.concatenate([np.ones(m), np.zeros(k)])
    upper = np.concatenate([lim.selectable.astype(float), np.ones(k)])
    build = time.perf_counter() - t0
    res, status, seconds = _solve(
        c, integrality, Bounds(0.0, upper), cons, time_limit=time_limit, mip_rel_gap=mip_rel_gap
    )
    sel = np.flatnonzero(res.x[:m] > 0.5)
    obj = float(wl[np.asarray(sub[:, sel].sum(axis=1)).ravel() > 0].sum())
    bound = None if res.mip_dual_bound is None else -float(res.mip_dual_bound)
    return _result(sel, obj, bound, True, status=status, method="milp", times=(build, seconds),
                   model=model)


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
    cov = _coverage(coverage)
    n, m = cov.shape
    w = _weights(weights, n)
    lim = _count_limits(m, groups, counts, p, "max_cover")
    return _cover_model(w, cov, _mask(covered, n, "covered"), lim, time_limit=time_limit,
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
    cov = _coverage(coverage)
    n, m = cov.shape
    w = _weights(weights, n)
    mins = np.asarray(minimum, dtype=np.int64)
    selectable = np.asarray(groups) >= 0
    budget = int(min(budget, int(selectable.sum())))
    if budget >= int(mins.sum()):
        lim = _limits(m, groups, mins, None, budget, budget)
    else:
        lim = _limits(m, groups, np.zeros_like(mins), mins, budget, budget)
    return _cover_model(w, cov, _mask(covered, n, "covered"), lim, time_limit=time_limit,
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
    cov = _coverage(coverage)
    n, m = cov.shape
    w = np.ones(n) if weights is None else _weights(weights, n)
    lim = _limits(m, groups, None, None, 0, m)
    t0 = time.perf_counter()
    cov = sp.csr_array(cov @ sp.diags_array(lim.selectable.astype(float)), dtype=bool)
    cov.eliminate_zeros()
    need = ~_mask(covered, n, "covered") & (w > 0)
    reach = np.diff(cov.indptr) > 0
    notes = []
    if (need & ~reach).any():
        notes.append(
            f"{int((need & ~reach).sum())} demand points no candidate covers; left uncovered"
        )
    sub = cov[np.flatnonzero(need & reach)]
    if heuristic_above is not None and sub.nnz > heuristic_above:
        build = time.perf_counter() - t0
        t1 = time.perf_counter()
        sel, bound = _heuristic.greedy_set_cover(sub, time_limit=time_limit)
        obj = float(sel.size)
        notes.append(_big(sub.nnz, heuristic_above))
        times = (build, time.perf_counter() - t1)
        return _result(sel, obj, bound, False, status="heuristic", method="heuristic",
                       times=times, model="set_cover", notes=tuple(notes))
    cons = [LinearConstraint(sub.astype(float), 1.0, np.inf)] if sub.shape[0] else []
    build = time.perf_counter() - t0
    res, status, seconds = _solve(
        np.ones(m), np.ones(m), Bounds(0.0, lim.selectable.astype(float)), cons,
        time_limit=time_limit, mip_rel_gap=mip_rel_gap,
    )
    sel = np.flatnonzero(res.x > 0.5)
    bound = None if res.mip_dual_bound is None else float(res.mip_dual_bound)
    obj = float(sel.size)
    return _result(sel, obj, bound, False, status=status, method="milp", times=(build, seconds),
                   model="set_cover", notes=tuple(notes))


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
    w = _weights(weights, n)
    e = _existing(existing_cost, n)
    lim = _count_limits(m, groups, counts, p, "p_median")
    t0 = time.perf_counter()
    rows, cols, dist = _pairs(cost, e)
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
        return _result(sel, obj, bound, False, status="heuristic", method="heuristic",
                       times=times, model="p_median", notes=(_big(rows.size, heuristic_above),))
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
    res, status, seconds = _solve(
        c, integrality, Bounds(0.0, upper), cons, time_limit=time_limit, mip_rel_gap=mip_rel_gap
    )
    sel = np.flatnonzero(res.x[:m] > 0.5)
    obj = median_value(w, cost, sel, existing_cost=e)
    bound = None if res.mip_dual_bound is None else float(res.mip_dual_bound)
    return _result(sel, obj, bound, False, status=status, method="milp", times=(build, seconds),
                   model="p_median")
