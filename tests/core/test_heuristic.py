"""The heuristics for models too large for the MILP (planner.core._heuristic): on small random
models every choice is enumerated, and each heuristic answer must obey the quotas, report
its own value truly, and bracket the true optimum with its bound."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from planner.core import _heuristic as heuristic


def _choices(groups, lo, hi, total_lo, total_hi):
    """Every set of candidates obeying the per-group and total counts (itertools)."""
    ok = np.flatnonzero(groups >= 0).tolist()
    for k in range(total_lo, min(total_hi, len(ok)) + 1):
        for s in itertools.combinations(ok, k):
            per = np.bincount(groups[list(s)], minlength=lo.size)
            if (per >= lo).all() and (per <= hi).all():
                yield list(s)


def _model(seed, n=9, m=7, n_groups=3):
    rng = np.random.default_rng(seed)
    a = rng.random((n, m)) < rng.uniform(0.2, 0.5)
    w = rng.integers(0, 30, n).astype(float)
    groups = rng.integers(0, n_groups, m)
    groups[:n_groups] = np.arange(n_groups)
    groups[rng.integers(n_groups, m)] = -1  # an excluded candidate
    avail = np.bincount(groups[groups >= 0], minlength=n_groups)
    lo = np.minimum(avail, rng.integers(0, 2, n_groups))
    hi = np.minimum(avail, lo + rng.integers(0, 2, n_groups))
    return rng, a, w, groups, lo, hi


@pytest.mark.parametrize("seed", range(25))
def test_greedy_swap_cover_brackets_the_optimum(seed):
    _rng, a, w, groups, lo, hi = _model(seed)
    total = int(hi.sum())
    sel, objective, bound = heuristic.greedy_swap_cover(
        w, sp.csr_array(a), groups, lo, hi, int(lo.sum()), total)
    per = np.bincount(groups[sel], minlength=lo.size)
    assert (groups[sel] >= 0).all() and (per >= lo).all() and (per <= hi).all()
    assert objective == pytest.approx(w[a[:, sel].any(axis=1)].sum())  # its value, recounted
    best = max(float(w[a[:, s].any(axis=1)].sum()) if s else 0.0
               for s in _choices(groups, lo, hi, int(lo.sum()), total))
    assert objective <= best + 1e-9 <= bound + 2e-9
    assert bound <= w.sum() + 1e-9


@pytest.mark.parametrize("seed", range(25))
def test_greedy_swap_median_bound_below_the_optimum(seed):
    rng, a, w, groups, lo, hi = _model(seed)
    n, m = a.shape
    dist_full = rng.integers(100, 3000, (n, m)).astype(float)
    rows, cols = np.nonzero(a)  # allowed pairs
    dist = dist_full[rows, cols]
    e = np.where(rng.random(n) < 0.4, rng.integers(100, 4000, n).astype(float), np.inf)
    total = int(hi.sum())
    sel, bound = heuristic.greedy_swap_median(
        w, rows.astype(np.int64), cols.astype(np.int64), dist, e, m, groups, lo, hi,
        int(lo.sum()), total)
    per = np.bincount(groups[sel], minlength=lo.size)
    assert (groups[sel] >= 0).all() and (per >= lo).all() and (per <= hi).all()

    def value(chosen):
        """Weighted distance to the nearest existing or chosen site; None if some weighted
        demand reaches none (the heuristic pays a large penalty there instead)."""
        total_cost = 0.0
        for i in range(n):
            options = [dist_full[i, j] for j in chosen if a[i, j]] + \
                      ([e[i]] if np.isfinite(e[i]) else [])
            if w[i] > 0:
                if not options:
                    return None
                total_cost += w[i] * min(options)
        return total_cost

    values = [v for s in _choices(groups, lo, hi, int(lo.sum()), total)
              if (v := value(s)) is not None]
    if values:
        assert bound <= min(values) + 1e-6
        mine = value(sel.tolist())
        if mine is not None:
            assert min(values) <= mine + 1e-9


@pytest.mark.parametrize("seed", range(25))
def test_greedy_set_cover_covers_with_no_site_to_spare(seed):
    rng = np.random.default_rng(seed)
    n, m = 10, 8
    a = rng.random((n, m)) < rng.uniform(0.15, 0.45)
    a[~a.any(axis=1), rng.integers(m)] = True  # every demand has a candidate
    sel, bound = heuristic.greedy_set_cover(sp.csr_array(a))
    assert a[:, sel].any(axis=1).all()
    for j in sel:  # every chosen site is the only one covering some demand
        rest = [k for k in sel if k != j]
        assert not a[:, rest].any(axis=1).all()
    fewest = next(k for k in range(m + 1) for s in itertools.combinations(range(m), k)
                  if a[:, list(s)].any(axis=1).all())
    assert bound <= fewest <= sel.size


@pytest.mark.parametrize("seed", range(20))
def test_capped_top_sum_is_the_best_capped_subset(seed):
    rng = np.random.default_rng(seed)
    m = 7
    values = np.where(rng.random(m) < 0.2, 0.0, rng.integers(-5, 20, m).astype(float))
    groups = rng.integers(-1, 3, m)
    hi = rng.integers(0, 3, 3)
    total = int(rng.integers(0, 5))
    best = 0.0
    for k in range(total + 1):
        for s in itertools.combinations(np.flatnonzero(groups >= 0).tolist(), k):
            per = np.bincount(groups[list(s)], minlength=3)
            if (per <= hi).all():
                best = max(best, float(np.maximum(values[list(s)], 0).sum()))
    assert heuristic._capped_top_sum(values, groups, hi, total) == pytest.approx(best)


@pytest.mark.parametrize("seed", range(20))
def test_choose_most_negative_is_the_best_choice(seed):
    rng = np.random.default_rng(seed)
    m = 7
    rho = -rng.integers(0, 10, m).astype(float)
    groups = rng.integers(-1, 3, m)
    groups[:3] = [0, 1, 2]
    avail = np.bincount(groups[groups >= 0], minlength=3)
    lo = np.minimum(avail, rng.integers(0, 2, 3))
    hi = np.minimum(avail, lo + rng.integers(0, 3, 3))
    total = int(lo.sum() + rng.integers(0, 3))
    x = heuristic._choose_most_negative(rho, groups, lo, hi, total, groups >= 0)
    per = np.bincount(groups[x], minlength=3)
    assert (groups[x] >= 0).all() and (per >= lo).all() and (per <= hi).all()
    assert x.sum() <= total
    best = min(float(rho[s].sum()) for s in _choices(groups, lo, hi, 0, total))
    assert rho[x].sum() == pytest.approx(best)


def test_allowed_groups_keep_every_lower_count_reachable():
    lo, hi = np.array([2, 0, 1]), np.array([3, 2, 1])
    # 3 picks left and 3 still needed: only the groups that need them
    assert heuristic._allowed_groups(np.array([0, 0, 0]), lo, hi, 3).tolist() == \
        [True, False, True]
    # room to spare: any group below its upper count
    assert heuristic._allowed_groups(np.array([1, 2, 0]), lo, hi, 4).tolist() == \
        [True, False, True]
    members = heuristic._members(np.array([2, 0, 1, 0, 2]), 3)
    assert [g.tolist() for g in members] == [[1, 3], [2], [0, 4]]
