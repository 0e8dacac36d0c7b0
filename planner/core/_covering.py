"""Exact solution of the reduced covering models (set cover, maximal covering).

Both models are first reduced exactly (:mod:`planner.core._reduce`). What is left is solved
"LP first": the LP relaxation is solved with HiGHS (:func:`scipy.optimize.milp` without
integer variables) and, when it already proves the optimum, the MILP is never started:

* set cover — a greedy cover (plain, then guided by the LP values) with redundant sites
  removed is optimal when its size equals the LP bound rounded up;
* maximal covering — an LP optimum with integral site variables is optimal.

Otherwise the reduced MILP is solved by HiGHS as before, with the same gap and time limit.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint

from planner.core import _reduce
from planner.core._milp import Limits, solve_milp

_INT_TOL = 1e-6
_LP_FIRST_MAX = 200_000  # entries of the reduced model above which the MILP runs directly
_PRESOLVE_MIN = 20_000  # smaller LPs are solved faster without HiGHS's presolve


def _entries(mat: sp.csr_array) -> tuple[np.ndarray, np.ndarray]:
    """Entries ``(row, col)`` of a boolean CSR matrix, sorted by row then column."""
    mat = sp.csr_array(mat, dtype=bool)
    mat.sum_duplicates()
    mat.sort_indices()
    rows = np.repeat(np.arange(mat.shape[0], dtype=np.int64), np.diff(mat.indptr))
    return rows, mat.indices.astype(np.int64)


def _lp(c: np.ndarray, bounds: Bounds, cons, *, time_limit: float, entries: int):
    """The LP relaxation, or ``None`` if HiGHS does not solve it to optimality in time
    (HiGHS's presolve only for models with more than ``_PRESOLVE_MIN`` entries)."""
    res, status, _ = solve_milp(c, np.zeros(c.size), bounds, cons, time_limit=time_limit,
                                mip_rel_gap=0.0, presolve=entries > _PRESOLVE_MIN)
    return res if status == "optimal" else None


def _greedy(r: np.ndarray, c: np.ndarray, n: int, m: int,
            score: np.ndarray | None = None) -> np.ndarray:
    """Greedy cover of every row (most new rows per pick, times ``score``), then redundant
    picks removed; boolean mask of the chosen columns."""
    r_ptr = _reduce.row_pointers(r, n)
    tc, tr = _reduce.transpose_entries(r, c, m)
    c_ptr = _reduce.row_pointers(tc, m)
    gain = np.diff(c_ptr).astype(float)
    factor = np.ones(m) if score is None else score + 1e-3
    unc = np.ones(n, dtype=bool)
    chosen = np.zeros(m, dtype=bool)
    left = n
    while left:  # one step per pick
        j = int(np.argmax(np.where(chosen, -1.0, gain * factor)))
        chosen[j] = True
        rows = tr[c_ptr[j] : c_ptr[j + 1]]
        newly = rows[unc[rows]]
        unc[newly] = False
        left -= newly.size
        cols = c[_reduce.ragged_range(r_ptr[newly], r_ptr[newly + 1] - r_ptr[newly])]
        gain -= np.bincount(cols, minlength=m)
    times = np.bincount(r[chosen[c]], minlength=n)
    size = np.diff(c_ptr)
    for j in np.flatnonzero(chosen)[np.argsort(size[chosen], kind="stable")]:
        rows = tr[c_ptr[j] : c_ptr[j + 1]]
        if (times[rows] >= 2).all():
            chosen[j] = False
            times[rows] -= 1
    return chosen


def set_cover(sub: sp.csr_array, *, time_limit: float, mip_rel_gap: float):
    """Minimum number of columns covering every row of ``sub`` (every row has a column).

    Returns
    -------
    selected : numpy.ndarray of int
    bound : float or None
        Lower bound on the optimum.
    status : str
        ``'optimal'`` or ``'time_limit'``.
    """
    t0 = time.perf_counter()
    n, m = sub.shape
    r, c = _entries(sub)
    core = _reduce.set_cover_core(r, c, n=n, m=m)
    n_c, m_c = core.rows.size, core.cols.size
    if n_c == 0:
        return core.forced, float(core.forced.size), "optimal"
    a = sp.csr_array((np.ones(core.r.size), core.c, _reduce.row_pointers(core.r, n_c)),
                     shape=(n_c, m_c))
    bounds, cons = Bounds(0.0, 1.0), [LinearConstraint(a, 1.0, np.inf)]
    best = None
    if core.r.size <= _LP_FIRST_MAX:
        lp = _lp(np.ones(m_c), bounds, cons, time_limit=time_limit, entries=core.r.size)
        if lp is not None:
            low = float(np.ceil(lp.fun - _INT_TOL))
            for score in (None, lp.x):
                pick = _greedy(core.r, core.c, n_c, m_c, score)
                if best is None or pick.sum() < best.sum():
                    best = pick
                if best.sum() <= low:
                    sel = np.concatenate([core.forced, core.cols[best]])
                    return np.sort(sel), float(core.forced.size + low), "optimal"
    left = max(time_limit - (time.perf_counter() - t0), 1e-3)
    res, status, _ = solve_milp(np.ones(m_c), np.ones(m_c), bounds, cons, time_limit=left,
                                mip_rel_gap=mip_rel_gap)
    pick = res.x > 0.5
    if best is not None and best.sum() < pick.sum():
        pick = best
    bound = None if res.mip_dual_bound is None else core.forced.size + float(res.mip_dual_bound)
    return np.sort(np.concatenate([core.forced, core.cols[pick]])), bound, status


def _count_rows(var_groups: np.ndarray, lim: Limits):
    """Group and total counts over the site variables (the first ``var_groups.size``) as
    ``(row, col, lower, upper)``; counts every candidate could meet anyway are left out."""
    k = var_groups.size
    avail = np.bincount(lim.groups[lim.selectable], minlength=lim.lo.size)
    tight = np.flatnonzero((lim.lo > 0) | (lim.hi < avail))
    at = np.full(lim.lo.size, -1, dtype=np.int64)
    at[tight] = np.arange(tight.size)
    use = np.flatnonzero(at[var_groups] >= 0)
    rows, cols = [at[var_groups[use]]], [use]
    lower, upper = [lim.lo[tight].astype(float)], [lim.hi[tight].astype(float)]
    if lim.total_lo > 0 or lim.total_hi < int(avail.sum()):
        rows.append(np.full(k, tight.size))
        cols.append(np.arange(k))
        lower.append(np.array([float(lim.total_lo)]))
        upper.append(np.array([float(lim.total_hi)]))
    return (np.concatenate(rows), np.concatenate(cols), np.concatenate(lower),
            np.concatenate(upper))


def max_cover(w: np.ndarray, sub: sp.csr_array, lim: Limits, *, time_limit: float,
              mip_rel_gap: float):
    """Sites obeying the counts of ``lim`` that maximise the weight of the rows they cover.

    Returns
    -------
    selected : numpy.ndarray of int
    bound : float or None
        Upper bound on the optimum.
    status : str
        ``'optimal'`` or ``'time_limit'``.
    """
    t0 = time.perf_counter()
    r, c = _entries(sub)
    core = _reduce.cover_core(w, r, c, m=sub.shape[1], groups=lim.groups)
    k, f, n = core.cols.size, core.fill_groups.size, core.weights.size
    n_vars = k + f + n
    g_row, g_col, g_lo, g_hi = _count_rows(
        np.concatenate([lim.groups[core.cols], core.fill_groups]), lim)
    z = k + f + np.arange(n)  # z_i <= sum of the sites covering row i; count rows after
    mat = sp.csr_array(
        (np.concatenate([np.ones(n), -np.ones(core.r.size), np.ones(g_row.size)]),
         (np.concatenate([np.arange(n), core.r, n + g_row]), np.concatenate([z, core.c, g_col]))),
        shape=(n + g_lo.size, n_vars),
    )
    cons = LinearConstraint(mat, np.r_[np.full(n, -np.inf), g_lo], np.r_[np.zeros(n), g_hi])
    cost = np.concatenate([np.zeros(k + f), -core.weights])
    bounds = Bounds(0.0, np.concatenate([np.ones(k), core.fill_counts, np.ones(n)]))
    x = None
    if core.r.size <= _LP_FIRST_MAX:
        lp = _lp(cost, bounds, cons, time_limit=time_limit, entries=core.r.size)
        if lp is not None:
            sites = lp.x[: k + f]
            if np.abs(sites - np.round(sites)).max(initial=0.0) <= _INT_TOL:
                x, bound, status = np.round(sites), 0.0 - float(lp.fun), "optimal"
    if x is None:
        left = max(time_limit - (time.perf_counter() - t0), 1e-3)
        integrality = np.concatenate([np.ones(k + f), np.zeros(n)])
        res, status, _ = solve_milp(cost, integrality, bounds, cons, time_limit=left,
                                    mip_rel_gap=mip_rel_gap)
        x = np.round(res.x[: k + f])
        bound = None if res.mip_dual_bound is None else 0.0 - float(res.mip_dual_bound)
    fill = [core.fillers[i][: int(x[k + i])] for i in range(f)]  # one step per group
    return np.sort(np.concatenate([core.cols[x[:k] > 0.5], *fill])), bound, status
