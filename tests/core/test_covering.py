"""Exact reductions and LP-first solves of the covering models, against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from planner.core import _covering, _reduce
from planner.core.optimise import max_cover, set_cover


def _random_cover(seed: int, *, n: int | None = None, m: int | None = None) -> np.ndarray:
    """Small random coverage with duplicate, nested and empty rows and columns."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 15)) if n is None else n
    m = int(rng.integers(4, 11)) if m is None else m
    a = rng.random((n, m)) < rng.uniform(0.15, 0.5)
    if m > 2:
        a[:, rng.integers(m)] = a[:, rng.integers(m)]  # identical columns
        j, k = rng.choice(m, 2, replace=False)
        a[:, j] &= a[:, k]  # column j inside column k
    if n > 2:
        a[rng.integers(n)] = a[rng.integers(n)]  # identical rows
        i, k = rng.choice(n, 2, replace=False)
        a[i] |= a[k]  # row i contains row k
    if rng.random() < 0.3:
        a[:, rng.integers(m)] = False  # a candidate covering nothing
    return a


def _entries(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r, c = np.nonzero(a)
    return r.astype(np.int64), c.astype(np.int64)


def _min_cover(a: np.ndarray) -> int:
    """Fewest columns covering every row that any column covers (itertools over subsets)."""
    need = a.any(axis=1)
    m = a.shape[1]
    for k in range(m + 1):
        for s in itertools.combinations(range(m), k):
            if (a[:, list(s)].any(axis=1) | ~need).all():
                return k
    raise AssertionError("unreachable")


@pytest.mark.parametrize("seed", range(40))
def test_subset_pairs_equal_pairwise_check(seed, monkeypatch):
    a = _random_cover(seed)
    if seed % 2:
        monkeypatch.setattr(_reduce, "_TABLE_MAX", 0)  # the binary-search path
    r, c = _entries(a)
    n, m = a.shape
    got = _reduce._subset_pairs(r, c, n_sets=n, n_elems=m)
    want = {(i, k) for i in range(n) for k in range(n)
            if i != k and a[i].any() and not (a[i] & ~a[k]).any()}
    assert set(zip(got[0].tolist(), got[1].tolist(), strict=True)) == want
    label = np.arange(n) % 2
    got = _reduce._subset_pairs(r, c, n_sets=n, n_elems=m, label=label)
    assert set(zip(got[0].tolist(), got[1].tolist(), strict=True)) == {
        (i, k) for i, k in want if label[i] == label[k]}


@pytest.mark.parametrize("seed", range(60))
def test_set_cover_core_keeps_the_optimum(seed, monkeypatch):
    if seed % 2:
        monkeypatch.setattr(_reduce, "_DENSE_MAX", 0)  # sparse passes only
    a = _random_cover(seed)
    a = a[a.any(axis=1)]
    if not a.size:
        return
    r, c = _entries(a)
    core = _reduce.set_cover_core(r, c, n=a.shape[0], m=a.shape[1])
    sub = np.zeros((core.rows.size, core.cols.size), dtype=bool)
    sub[core.r, core.c] = True
    assert (sub == a[np.ix_(core.rows, core.cols)]).all()
    assert not np.isin(core.forced, core.cols).any()
    assert core.forced.size + _min_cover(sub) == _min_cover(a)
    # any cover of the core plus the forced columns covers every row
    for k in range(core.cols.size + 1):
        for s in itertools.combinations(range(core.cols.size), k):
            if sub[:, list(s)].any(axis=1).all():
                chosen = np.r_[core.forced, core.cols[list(s)]].astype(int)
                assert a[:, chosen].any(axis=1).all()
                break
        else:
            continue
        break


@pytest.mark.parametrize("seed", range(60))
def test_set_cover_equals_brute_force(seed, monkeypatch):
    if seed % 3 == 1:
        monkeypatch.setattr(_covering, "_LP_FIRST_MAX", -1)  # reduced MILP directly
    if seed % 3 == 2:
        monkeypatch.setattr(_reduce, "_WORK_MAX", 0)  # no dominance: essential columns only
        monkeypatch.setattr(_reduce, "_DENSE_MAX", 0)
    if seed % 4 == 0:
        monkeypatch.setattr(_reduce, "_DENSE_MAX", 0)  # sparse passes only
    a = _random_cover(seed)
    sol = set_cover(sp.csr_array(a))
    assert sol.objective == _min_cover(a) == sol.selected.size
    assert sol.status == "optimal" and sol.bound <= sol.objective
    assert a[:, sol.selected].any(axis=1)[a.any(axis=1)].all()


@pytest.mark.parametrize("dense_max", [0, 256])
def test_set_cover_larger_random_instances_agree_with_plain_milp(dense_max, monkeypatch):
    from scipy.optimize import Bounds, LinearConstraint, milp

    monkeypatch.setattr(_reduce, "_DENSE_MAX", dense_max)
    for seed in range(6):
        rng = np.random.default_rng(seed)
        xy = rng.uniform(0, 30, (120, 2))
        a = np.linalg.norm(xy[:, None] - xy[None], axis=2) <= rng.uniform(3, 7)
        sol = set_cover(sp.csr_array(a))
        res = milp(np.ones(120), integrality=np.ones(120), bounds=Bounds(0, 1),
                   constraints=LinearConstraint(a.astype(float), 1, np.inf))
        assert sol.objective == round(res.fun)
        assert a[:, sol.selected].any(axis=1).all()


def _best_cover(w, a, groups, lo, hi, total_lo, total_hi):
    """Largest weight covered over every candidate set obeying the counts (itertools)."""
    m = a.shape[1]
    ok = np.flatnonzero(groups >= 0)
    best = -1.0
    for k in range(total_lo, min(total_hi, ok.size) + 1):
        for s in itertools.combinations(ok.tolist(), k):
            per = np.bincount(groups[list(s)], minlength=lo.size)
            if (per >= lo).all() and (per <= hi).all():
                best = max(best, float(w[a[:, list(s)].any(axis=1)].sum()) if s else 0.0)
    assert m >= 0 and best >= 0
    return best


@pytest.mark.parametrize("seed", range(60))
def test_max_cover_equals_brute_force(seed, monkeypatch):
    if seed % 3 == 1:
        monkeypatch.setattr(_covering, "_LP_FIRST_MAX", -1)
    if seed % 3 == 2:
        monkeypatch.setattr(_reduce, "_WORK_MAX", 0)
    rng = np.random.default_rng(1000 + seed)
    a = _random_cover(seed, m=int(rng.integers(5, 10)))
    n, m = a.shape
    w = rng.integers(0, 30, n).astype(float)
    w[rng.integers(n)] = w[rng.integers(n)]
    covered = rng.random(n) < 0.15
    if seed % 2:  # classic MCLP with a total p
        p = int(rng.integers(1, 4))
        sol = max_cover(w, sp.csr_array(a), p=p, covered=covered)
        best = _best_cover(np.where(covered, 0.0, w), a, np.zeros(m, int), np.zeros(1, int),
                           np.full(1, m), p, p)
        assert sol.selected.size == p
    else:  # per-group counts, an excluded candidate, a group that needs fillers
        groups = rng.integers(0, 3, m)
        groups[:3] = [0, 1, 2]
        groups[rng.integers(3, m)] = -1
        avail = np.bincount(groups[groups >= 0], minlength=3)
        counts = np.minimum(avail, rng.integers(0, 3, 3))
        sol = max_cover(w, sp.csr_array(a), groups=groups, counts=counts, covered=covered)
        best = _best_cover(np.where(covered, 0.0, w), a, groups, counts, counts, 0, m)
        assert (np.bincount(groups[sol.selected], minlength=3) == counts).all()
        assert (groups[sol.selected] >= 0).all()
    assert sol.status == "optimal" and sol.objective == pytest.approx(best)
    assert sol.bound >= sol.objective - 1e-6


def test_max_cover_quota_filled_with_sites_covering_nothing():
    a = np.zeros((4, 5), dtype=bool)
    a[:, 0] = True  # one useful candidate in group 0; group 1 covers nothing
    sol = max_cover(np.ones(4), sp.csr_array(a), groups=[0, 0, 1, 1, 1], counts=[2, 2])
    assert sol.objective == 4.0 and sol.selected.size == 4 and 0 in sol.selected


def test_cover_core_merges_identical_demand_and_keeps_fillers():
    a = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 0]], dtype=bool)
    r, c = _entries(a)
    core = _reduce.cover_core(np.array([1.0, 2.0, 4.0, 8.0]), r, c, m=4,
                              groups=np.array([0, 0, 0, 1]))
    # column 0 lies inside column 1 (same group): a filler; column 3 covers nothing
    assert core.cols.tolist() == [1, 2]
    assert core.fill_groups.tolist() == [0, 1] and core.fill_counts.tolist() == [1, 1]
    assert sorted(core.weights.tolist()) == [3.0, 4.0, 8.0]


def test_set_cover_core_switching_to_dense_passes_matches_sparse(monkeypatch):
    rng = np.random.default_rng(7)
    xy = rng.uniform(0, 40, (300, 2))
    a = np.linalg.norm(xy[:, None] - xy[None], axis=2) <= 5.0  # above _DENSE_MAX at first
    r, c = _entries(a)
    mixed = _reduce.set_cover_core(r, c, n=300, m=300)
    monkeypatch.setattr(_reduce, "_DENSE_MAX", 0)
    sparse = _reduce.set_cover_core(r, c, n=300, m=300)
    for field in ("rows", "cols", "r", "c", "forced"):
        np.testing.assert_array_equal(getattr(mixed, field), getattr(sparse, field))
    assert sparse.rows.size < 256 and set_cover(sp.csr_array(a)).objective > 0
