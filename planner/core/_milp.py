"""The shared pieces of the placement MILPs: the :class:`Solution` type, input checks,
solver limits, HiGHS calls and objective evaluation (see :mod:`planner.core.optimise`)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import LinearConstraint, milp

from planner._errors import ModelError

#: HiGHS status code of :func:`scipy.optimize.milp` -> the status a :class:`Solution` reports
HIGHS_STATUS = {0: "optimal", 1: "time_limit", 2: "infeasible", 3: "unbounded"}


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
class Limits:
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


def group_limits(
    m: int,
    groups: np.ndarray | None,
    lo: np.ndarray | None,
    hi: np.ndarray | None,
    total_lo: int,
    total_hi: int,
) -> Limits:
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
    return Limits(groups, lo, hi, int(total_lo), int(min(total_hi, cap)))


def check_weights(weights: np.ndarray, n: int) -> np.ndarray:
    """``weights`` as a flat float array of ``n`` finite, non-negative demand weights.

    Raises
    ------
    ModelError
        If the size is wrong or a weight is negative or not finite.
    """
    w = np.asarray(weights, dtype=float).ravel()
    if w.size != n:
        raise ModelError(f"weights has {w.size} entries but there are {n} demand points")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ModelError("demand weights must be finite and non-negative; check children counts")
    return w


def check_mask(mask: np.ndarray | None, n: int, name: str) -> np.ndarray:
    """``mask`` as a flat boolean array of ``n`` entries (all ``False`` when ``None``).

    Raises
    ------
    ModelError
        If the size is wrong (``name`` names the argument in the message).
    """
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


def check_coverage(coverage, n: int | None = None) -> sp.csr_array:
    """``coverage`` as a boolean CSR array without stored zeros.

    Raises
    ------
    ModelError
        If ``n`` is given and the matrix does not have ``n`` rows (demand points).
    """
    cov = sp.csr_array(coverage, dtype=bool)
    cov.eliminate_zeros()
    if n is not None and cov.shape[0] != n:
        raise ModelError(f"coverage has {cov.shape[0]} rows but there are {n} demand points")
    return cov


def cover_value(weights, coverage, selected, *, covered=None) -> float:
    """Weight of demand newly covered by ``selected`` (demand in ``covered`` excluded)."""
    cov = check_coverage(coverage)
    w = np.asarray(weights, dtype=float)
    hit = np.asarray(cov[:, np.asarray(selected, dtype=np.int64)].sum(axis=1)).ravel() > 0
    return float(w[hit & ~check_mask(covered, w.size, "covered")].sum())


def closer_pairs(cost, existing: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
    best = existing_costs(existing_cost, w.size)
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


def existing_costs(existing_cost, n: int) -> np.ndarray:
    """Distance of each of ``n`` demands to its nearest existing site (``inf`` for none or NaN).

    Raises
    ------
    ModelError
        If ``existing_cost`` does not have ``n`` entries.
    """
    if existing_cost is None:
        return np.full(n, np.inf)
    e = np.asarray(existing_cost, dtype=float).ravel().copy()
    if e.size != n:
        raise ModelError(f"existing_cost has {e.size} entries but there are {n} demand points")
    e[np.isnan(e)] = np.inf
    return e


def solve_milp(c, integrality, bounds, constraints, *, time_limit, mip_rel_gap, presolve=True):
    """Solve one model with :func:`scipy.optimize.milp` (HiGHS).

    Returns
    -------
    tuple
        ``(result, status, seconds)``: the scipy result, the status word of
        :data:`HIGHS_STATUS` (``"error"`` for any other code) and the solve time.

    Raises
    ------
    ModelError
        If the solver returns no solution at all.
    """
    options = {"time_limit": float(time_limit), "mip_rel_gap": float(mip_rel_gap), "disp": False,
               "presolve": bool(presolve)}
    t0 = time.perf_counter()
    res = milp(c, integrality=integrality, bounds=bounds, constraints=constraints, options=options)
    seconds = time.perf_counter() - t0
    status = HIGHS_STATUS.get(res.status, "error")
    if res.x is None:
        raise ModelError(
            f"MILP solver returned no solution ({status}: {res.message}); "
            "raise time_limit_s or check the quotas"
        )
    return res, status, seconds


def make_solution(sel, obj, bound, maximise, *, status, method, times, model, notes=()) -> Solution:
    """A :class:`Solution` with its relative gap; heuristic results are labelled as such."""
    if method == "heuristic":
        notes = (*notes, "greedy + swap heuristic: not proven optimal, see bound and gap")
    gap = relative_gap(obj, bound, maximise)
    return Solution(np.sort(sel), float(obj), status, gap, method, bound, *times, model, notes)


def too_big_note(pairs: int, limit: int) -> str:
    """The note of a model solved by the heuristic because it has more than ``limit`` pairs."""
    return f"{pairs} demand-candidate pairs > heuristic_above = {limit}"


def count_limits(m, groups, counts, p, model) -> Limits:
    """:class:`Limits` of a model with exact per-group ``counts`` and/or a total ``p``.

    Raises
    ------
    ModelError
        If neither is given (``model`` names the model), or as :func:`group_limits`.
    """
    if counts is None and p is None:
        raise ModelError(f"{model} needs per-group counts or a total p; give one of them")
    if counts is None:
        return group_limits(m, groups, None, None, int(p), int(p))
    cnt = np.asarray(counts, dtype=np.int64)
    return group_limits(m, groups, cnt, cnt, 0 if p is None else p, m if p is None else p)


def relative_gap(objective: float, bound: float | None, maximise: bool) -> float | None:
    """Relative distance between ``objective`` and the solver's ``bound`` (``None`` without
    a finite bound)."""
    if bound is None or not np.isfinite(bound):
        return None
    diff = bound - objective if maximise else objective - bound
    return max(0.0, float(diff)) / max(abs(objective), abs(bound), 1e-12)
