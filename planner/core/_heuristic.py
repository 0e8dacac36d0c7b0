"""Greedy plus swap (1-opt interchange) heuristics for instances too large for the exact MILP.

Used by :mod:`planner.core.optimise` above ``heuristic_above`` pairs. Every routine respects the
per-group lower/upper counts and the total, works on sparse arrays (no Python loop over
demand-candidate pairs; the loops run over picks and swaps) and returns a *valid bound* on the
optimum so the caller can report the gap:

* maximal covering — the bound ``f(S) + max sum of marginal gains over a set obeying the group
  and total caps``, valid because coverage is submodular (``f(S u T) <= f(S) + sum_{j in T}
  gain_j(S)``) and the best such set is found greedily (the caps form a laminar matroid);
* p-median — a Lagrangian lower bound (assignment constraints relaxed, subgradient ascent);
* set cover — the LP relaxation, rounded up.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

_EPS = 1e-9


def _members(groups: np.ndarray, n_groups: int) -> list[np.ndarray]:
    """Candidate indices of every group (one loop over groups, none over pairs)."""
    order = np.argsort(groups, kind="stable")
    sorted_g = groups[order]
    starts = np.searchsorted(sorted_g, np.arange(n_groups + 1))
    return [order[starts[g] : starts[g + 1]] for g in range(n_groups)]


def _allowed_groups(taken, lo, hi, remaining: int) -> np.ndarray:
    """Groups that may receive the next pick so that every lower count can still be met."""
    need = np.maximum(lo - taken, 0)
    if remaining <= int(need.sum()):
        return need > 0
    return taken < hi


def _capped_top_sum(values, groups, hi, total: int) -> float:
    """Largest sum of non-negative ``values`` with at most ``hi[g]`` per group and ``total``."""
    ok = (groups >= 0) & (values > 0)
    v, g = values[ok], groups[ok]
    if v.size == 0 or total <= 0:
        return 0.0
    order = np.lexsort((-v, g))
    v, g = v[order], g[order]
    first = np.searchsorted(g, g)  # index of each group's first element
    keep = (np.arange(v.size) - first) < hi[g]
    v = v[keep]
    if v.size > total:
        v = np.partition(v, v.size - total)[v.size - total :]
    return float(v.sum())


def _gain_delta(csr: sp.csr_array, rows: np.ndarray, w: np.ndarray, m: int) -> np.ndarray:
    """Per candidate, total weight of ``rows`` it covers."""
    sub = csr[rows]
    return np.bincount(sub.indices, weights=np.repeat(w[rows], np.diff(sub.indptr)), minlength=m)


def greedy_swap_cover(w, cov, groups, lo, hi, total_lo, total_hi, *, time_limit: float = 60.0):
    """Greedy + same-group swap for maximal covering under group and total counts.

    Parameters
    ----------
    w : numpy.ndarray, shape (n,)
        Weight of each demand still to cover.
    cov : scipy.sparse.csr_array of bool, shape (n, m)
        Coverage of the demand by the candidates.
    groups : numpy.ndarray of int, shape (m,)
        Group per candidate, ``-1`` for excluded candidates.
    lo, hi : numpy.ndarray of int, shape (n_groups,)
        Per-group lower and upper counts.
    total_lo, total_hi : int
        Bounds on the total number of picks (``total_hi`` picks are made: coverage is monotone).
    time_limit : float
        Seconds after which the swap phase stops.

    Returns
    -------
    selected : numpy.ndarray of int
    objective : float
        Weight covered by ``selected``.
    bound : float
        Valid upper bound on the optimum.
    """
    t0 = time.perf_counter()
    n, m = cov.shape
    csr = sp.csr_array(cov, dtype=bool)
    csc = csr.tocsc()
    w = np.asarray(w, dtype=float)
    selectable = groups >= 0
    n_groups = lo.size
    unc = np.ones(n, dtype=bool)
    gain = _gain_delta(csr, np.arange(n), w, m)
    chosen = np.zeros(m, dtype=bool)
    taken = np.zeros(n_groups, dtype=np.int64)
    picks = int(total_hi)
    for step in range(picks):
        ok_group = _allowed_groups(taken, lo, hi, picks - step)
        allowed = selectable & ~chosen
        allowed[allowed] = ok_group[groups[allowed]]
        if not allowed.any():
            break
        j = int(np.argmax(np.where(allowed, gain, -np.inf)))
        chosen[j] = True
        taken[groups[j]] += 1
        col = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        newly = col[unc[col]]
        unc[newly] = False
        gain -= _gain_delta(csr, newly, w, m)
    cnt = np.asarray(csr @ chosen.astype(np.int64)).ravel()
    members = _members(np.where(selectable, groups, n_groups), n_groups + 1)[:n_groups]
    improved = True
    while improved and time.perf_counter() - t0 < time_limit:
        improved = False
        for j in np.flatnonzero(chosen):
            pool = members[groups[j]]
            pool = pool[~chosen[pool]]
            if pool.size == 0:
                continue
            col = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
            uniq = col[cnt[col] == 1]
            loss = float(w[uniq].sum())
            extra = _gain_delta(csr, uniq, w, m)
            value = gain[pool] + extra[pool]
            best = int(np.argmax(value))
            if value[best] <= loss + _EPS * max(1.0, loss):
                continue
            k = int(pool[best])
            chosen[j], chosen[k] = False, True
            cnt[col] -= 1
            unc[uniq] = True
            gain += extra
            col_k = csc.indices[csc.indptr[k] : csc.indptr[k + 1]]
            newly = col_k[unc[col_k]]
            unc[newly] = False
            gain -= _gain_delta(csr, newly, w, m)
            cnt[col_k] += 1
            improved = True
    selected = np.flatnonzero(chosen)
    objective = float(w[~unc].sum())
    gain_left = np.where(chosen, 0.0, gain)
    bound = objective + _capped_top_sum(gain_left, groups, hi, int(total_hi))
    return selected, objective, min(bound, float(w.sum()))


def _two_best(n, e_eff, rows, cols, dist, chosen):
    """Nearest and second-nearest service cost per demand, and the nearest source (-1: existing)."""
    on = chosen[cols]
    r = np.concatenate([np.arange(n), rows[on]])
    d = np.concatenate([e_eff, dist[on]])
    s = np.concatenate([np.full(n, -1, dtype=np.int64), cols[on]])
    order = np.lexsort((d, r))
    r, d, s = r[order], d[order], s[order]
    first = np.searchsorted(r, np.arange(n))
    best1, src = d[first], s[first]
    second = first + 1
    has2 = second < r.size
    has2[has2] = r[second[has2]] == np.arange(n)[has2]
    best2 = np.full(n, e_eff.max(initial=0.0))  # unused where the nearest is existing
    best2[has2] = d[second[has2]]
    return best1, src, best2


def greedy_swap_median(
    w, rows, cols, dist, e, m, groups, lo, hi, total_lo, total_hi, *, time_limit: float = 60.0
):
    """Greedy + same-group swap for p-median with existing sites, plus a Lagrangian bound.

    Parameters
    ----------
    w : numpy.ndarray, shape (n,)
        Demand weights.
    rows, cols, dist : numpy.ndarray
        Allowed (demand, candidate) pairs and their distances.
    e : numpy.ndarray, shape (n,)
        Distance to the nearest existing site (``inf`` if none).
    m : int
        Number of candidates.
    groups, lo, hi, total_lo, total_hi, time_limit
        As in :func:`greedy_swap_cover`.

    Returns
    -------
    selected : numpy.ndarray of int
    bound : float
        Valid lower bound on the optimal weighted distance.
    """
    t0 = time.perf_counter()
    n = w.size
    w = np.asarray(w, dtype=float)
    selectable = groups >= 0
    n_groups = lo.size
    big = 10.0 * (float(dist.max(initial=0.0)) + float(e[np.isfinite(e)].max(initial=0.0))) + 1.0
    e_eff = np.where(np.isfinite(e), e, big)
    order = np.argsort(cols, kind="stable")
    rows, cols, dist = rows[order], cols[order], dist[order]
    ptr = np.searchsorted(cols, np.arange(m + 1))
    cur = e_eff.copy()
    chosen = np.zeros(m, dtype=bool)
    taken = np.zeros(n_groups, dtype=np.int64)
    picks = int(total_hi)
    for step in range(picks):
        ok_group = _allowed_groups(taken, lo, hi, picks - step)
        allowed = selectable & ~chosen
        allowed[allowed] = ok_group[groups[allowed]]
        if not allowed.any():
            break
        gain = np.bincount(cols, w[rows] * np.maximum(cur[rows] - dist, 0.0), minlength=m)
        j = int(np.argmax(np.where(allowed, gain, -np.inf)))
        chosen[j] = True
        taken[groups[j]] += 1
        sl = slice(ptr[j], ptr[j + 1])
        np.minimum.at(cur, rows[sl], dist[sl])
    members = _members(np.where(selectable, groups, n_groups), n_groups + 1)[:n_groups]
    entry_group = np.where(selectable[cols], groups[cols], n_groups)
    group_entries = _members(entry_group, n_groups + 1)[:n_groups]
    best1, src, best2 = _two_best(n, e_eff, rows, cols, dist, chosen)
    improved = True
    while improved and time.perf_counter() - t0 < time_limit:
        improved = False
        for j in np.flatnonzero(chosen):
            pool = members[groups[j]]
            pool = pool[~chosen[pool]]
            if pool.size == 0:
                continue
            without = np.where(src == j, best2, best1)
            const = float((w * (without - best1)).sum())
            idx = group_entries[groups[j]]
            idx = idx[~chosen[cols[idx]]]
            if idx.size == 0:
                continue
            r = rows[idx]
            better = w[r] * np.minimum(dist[idx] - without[r], 0.0)
            improve = np.bincount(cols[idx], better, minlength=m)[pool]
            delta = const + improve
            best = int(np.argmin(delta))
            if delta[best] >= -_EPS * max(1.0, float((w * best1).sum())):
                continue
            chosen[j], chosen[int(pool[best])] = False, True
            best1, src, best2 = _two_best(n, e_eff, rows, cols, dist, chosen)
            improved = True
    selected = np.flatnonzero(chosen)
    upper = float((w * best1).sum())
    bound = _lagrangian_median(w, rows, cols, dist, e, m, groups, lo, hi, int(total_hi), upper)
    return selected, bound


def _lagrangian_median(w, rows, cols, dist, e, m, groups, lo, hi, total, upper, iters=150):
    """Lagrangian lower bound of p-median with existing sites (assignment rows relaxed)."""
    n = w.size
    c = w[rows] * dist
    f = np.where(np.isfinite(e), w * np.where(np.isfinite(e), e, 0.0), np.inf)
    lam = f.copy()
    first = np.full(n, np.inf)
    np.minimum.at(first, rows, c)
    lam = np.minimum(lam, first)
    lam[~np.isfinite(lam)] = 0.0
    lam[w == 0] = 0.0
    selectable = groups >= 0
    best = -np.inf
    theta = 2.0
    stall = 0
    for _ in range(iters):
        red = np.minimum(c - lam[rows], 0.0)
        rho = np.bincount(cols, red, minlength=m)
        x = _choose_most_negative(rho, groups, lo, hi, total, selectable)
        u = np.isfinite(f) & (f - lam < 0)
        value = float(lam.sum() + np.minimum(f - lam, 0.0)[np.isfinite(f)].sum() + rho[x].sum())
        if not np.isfinite(best) or value > best + 1e-12 * max(1.0, abs(best)):
            best, stall = value, 0
        else:
            stall += 1
            if stall >= 10:
                theta, stall = theta / 2.0, 0
        z_count = np.bincount(rows, (red < 0) & x[cols], minlength=n)
        s = 1.0 - u - z_count
        s[w == 0] = 0.0
        norm = float((s * s).sum())
        if norm == 0.0 or theta < 1e-6:
            break
        lam = lam + theta * max(upper - value, 1e-9) / norm * s
    return best


def _choose_most_negative(rho, groups, lo, hi, total, selectable) -> np.ndarray:
    """Minimise ``rho @ x`` (``rho <= 0``) over ``lo <= per-group count <= hi``, sum <= total."""
    m = rho.size
    idx = np.flatnonzero(selectable)
    order = idx[np.lexsort((rho[idx], groups[idx]))]
    g = groups[order]
    rank = np.arange(order.size) - np.searchsorted(g, g)
    mandatory = order[rank < lo[g]]
    optional = order[(rank >= lo[g]) & (rank < hi[g])]
    room = max(total - mandatory.size, 0)
    if optional.size > room:
        optional = optional[np.argsort(rho[optional], kind="stable")[:room]]
    x = np.zeros(m, dtype=bool)
    x[mandatory] = True
    x[optional] = True
    return x


def greedy_set_cover(cov, *, time_limit: float = 60.0):
    """Greedy set cover with redundant-site removal and an LP-relaxation lower bound.

    Parameters
    ----------
    cov : scipy.sparse.csr_array of bool, shape (n, m)
        Coverage; every row has at least one candidate.
    time_limit : float
        Seconds allowed for the LP bound.

    Returns
    -------
    selected : numpy.ndarray of int
    bound : float
        Valid lower bound on the minimum number of sites.
    """
    n, m = cov.shape
    csr = sp.csr_array(cov, dtype=bool)
    csc = csr.tocsc()
    ones = np.ones(n)
    gain = _gain_delta(csr, np.arange(n), ones, m)
    unc = np.ones(n, dtype=bool)
    chosen = np.zeros(m, dtype=bool)
    while unc.any():
        j = int(np.argmax(np.where(chosen, -1.0, gain)))
        chosen[j] = True
        col = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        newly = col[unc[col]]
        unc[newly] = False
        gain -= _gain_delta(csr, newly, ones, m)
    cnt = np.asarray(csr @ chosen.astype(np.int64)).ravel()
    for j in np.flatnonzero(chosen)[::-1]:
        col = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        if (cnt[col] >= 2).all():
            chosen[j] = False
            cnt[col] -= 1
    lp = linprog(
        np.ones(m), A_ub=-csr.astype(float), b_ub=-ones, bounds=(0, 1), method="highs",
        options={"time_limit": float(time_limit)},
    )
    bound = float(np.ceil(lp.fun - 1e-6)) if lp.status == 0 else 1.0 if n else 0.0
    return np.flatnonzero(chosen), bound
