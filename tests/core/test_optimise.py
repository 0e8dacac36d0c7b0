"""Numeric core of issue 5: exact models against enumeration, spopt and the heuristic."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from planner._errors import ModelError
from planner.core.optimise import (
    county_budget,
    coverage_from_cost,
    max_cover,
    p_median,
    set_cover,
)


def _instance(seed: int, n: int = 14, m: int = 9, n_groups: int = 3):
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 10, (n, 2))
    cand = rng.uniform(0, 10, (m, 2))
    cost = np.linalg.norm(demand[:, None, :] - cand[None, :, :], axis=2)
    weights = rng.integers(0, 50, n).astype(float)
    groups = np.sort(rng.integers(0, n_groups, m))
    groups[:n_groups] = np.arange(n_groups)  # every group has a candidate
    return rng, cost, weights, np.sort(groups)


def _subsets(groups, lo, hi, total_lo=0, total_hi=None):
    """Every candidate set obeying per-group counts lo..hi and the total, by enumeration."""
    m = groups.size
    total_hi = m if total_hi is None else total_hi
    for r in range(m + 1):
        for combo in itertools.combinations(range(m), r):
            per = np.bincount(groups[list(combo)], minlength=lo.size)
            if (per >= lo).all() and (per <= hi).all() and total_lo <= r <= total_hi:
                yield list(combo)


def _cover(weights, cost, threshold, sel, covered):
    hit = (cost[:, sel] <= threshold).any(axis=1) if sel else np.zeros(len(weights), bool)
    return weights[hit & ~covered].sum()


def _median(weights, cost, sel, existing):
    best = existing.copy()
    if sel:
        best = np.minimum(best, cost[:, sel].min(axis=1))
    return (weights * best).sum()


@pytest.mark.parametrize("seed", range(6))
def test_max_cover_quota_equals_enumeration(seed):
    rng, cost, w, groups = _instance(seed)
    counts = np.array([1, 2, 1])
    covered = rng.random(w.size) < 0.2
    cov = coverage_from_cost(cost, 3.0)
    sol = max_cover(w, cov, groups=groups, counts=counts, covered=covered)
    best = max(_cover(w, cost, 3.0, s, covered) for s in _subsets(groups, counts, counts))
    assert sol.method == "milp" and sol.status == "optimal"
    assert sol.objective == pytest.approx(best)
    assert (np.bincount(groups[sol.selected], minlength=3) == counts).all()
    assert sol.bound >= sol.objective - 1e-6
    assert sol.build_seconds >= 0 and sol.solve_seconds >= 0


@pytest.mark.parametrize("seed", range(6))
def test_p_median_quota_with_existing_equals_enumeration(seed):
    rng, cost, w, groups = _instance(seed)
    counts = np.array([1, 1, 1])
    existing = np.where(rng.random(w.size) < 0.5, rng.uniform(0, 6, w.size), np.inf)
    sol = p_median(w, cost, groups=groups, counts=counts, existing_cost=existing)
    best = min(_median(w, cost, s, existing) for s in _subsets(groups, counts, counts))
    assert sol.objective == pytest.approx(best)
    assert (np.bincount(groups[sol.selected], minlength=3) == counts).all()


@pytest.mark.parametrize("budget", [2, 5])
def test_county_budget_equals_enumeration(budget):
    rng, cost, w, groups = _instance(11)
    minimum = np.array([1, 1, 2])
    covered = rng.random(w.size) < 0.2
    cov = coverage_from_cost(cost, 3.0)
    sol = county_budget(w, cov, groups=groups, minimum=minimum, budget=budget, covered=covered)
    if budget >= minimum.sum():
        sets = _subsets(groups, minimum, np.full(3, 99), budget, budget)
    else:
        sets = _subsets(groups, np.zeros(3, int), minimum, budget, budget)
    best = max(_cover(w, cost, 3.0, s, covered) for s in sets)
    assert sol.objective == pytest.approx(best)
    assert sol.selected.size == budget


def test_set_cover_equals_enumeration_and_excludes():
    rng, cost, w, groups = _instance(3, n=12, m=10)
    cov = coverage_from_cost(cost, 4.0)
    covered = rng.random(w.size) < 0.2
    allowed = groups.copy()
    allowed[0] = -1
    sol = set_cover(cov, covered=covered, groups=allowed)
    need = ~covered & (cost[:, 1:] <= 4.0).any(axis=1)
    best = min(
        r
        for r in range(11)
        for s in itertools.combinations(range(1, 10), r)
        if ((cost[:, list(s)] <= 4.0).any(axis=1) | ~need).all()
    )
    assert sol.objective == best and 0 not in sol.selected
    uncovered = ~covered & ~(cost[:, 1:] <= 4.0).any(axis=1)
    assert bool(sol.notes) == bool(uncovered.any())


def test_excluded_candidates_never_chosen_and_quota_errors():
    _, cost, w, groups = _instance(5)
    cov = coverage_from_cost(cost, 3.0)
    g = groups.copy()
    g[g == 0] = -1
    g[np.flatnonzero(groups == 1)[0]] = 0
    sol = max_cover(w, cov, groups=g, counts=[1, 1, 1])
    assert not np.isin(np.flatnonzero(g < 0), sol.selected).any()
    with pytest.raises(ModelError, match="group 0 needs 2 new sites"):
        max_cover(w, cov, groups=g, counts=[2, 1, 1])
    with pytest.raises(ModelError, match="one count per group"):
        max_cover(w, cov, groups=groups, counts=[1])
    with pytest.raises(ModelError, match="non-negative"):
        max_cover(-w, cov, p=2)


def test_coverage_from_sparse_cost_keeps_explicit_zero_and_drops_absent():
    cost = sp.csr_array((np.array([0.0, 5.0, 1.0]), ([0, 1, 2], [0, 0, 1])), shape=(3, 2))
    cov = coverage_from_cost(cost, 2.0).toarray()
    assert cov.tolist() == [[True, False], [False, False], [False, True]]


def _spopt():
    pytest.importorskip("spopt")
    import pulp
    from spopt.locate import MCLP, PMedian

    return pulp, MCLP, PMedian


@pytest.mark.parametrize("seed", range(2))
def test_mclp_matches_spopt_with_existing_sites(seed):
    pulp, MCLP, _ = _spopt()
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 10, (40, 2))
    sites = rng.uniform(0, 10, (15, 2))  # the first 3 are existing sites
    cost = np.linalg.norm(demand[:, None] - sites[None], axis=2)
    w = rng.integers(1, 30, 40).astype(float)
    p_new, radius = 3, 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MCLP.from_cost_matrix(
            cost, w, radius, p_facilities=3 + p_new,
            predefined_facilities_arr=np.r_[np.ones(3), np.zeros(12)].astype(int),
        )
        model.solve(pulp.PULP_CBC_CMD(msg=False))
    theirs = pulp.value(model.problem.objective)
    covered = (cost[:, :3] <= radius).any(axis=1)
    ours = max_cover(w, coverage_from_cost(cost[:, 3:], radius), p=p_new, covered=covered)
    assert ours.objective + w[covered].sum() == pytest.approx(theirs)


@pytest.mark.parametrize("seed", range(2))
def test_p_median_matches_spopt_with_existing_sites(seed):
    pulp, _, PMedian = _spopt()
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 10, (30, 2))
    sites = rng.uniform(0, 10, (12, 2))  # the first 2 are existing sites
    cost = np.linalg.norm(demand[:, None] - sites[None], axis=2)
    w = rng.integers(1, 30, 30).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = PMedian.from_cost_matrix(
            cost, w, p_facilities=5,
            predefined_facilities_arr=np.r_[np.ones(2), np.zeros(10)].astype(int),
        )
        model.solve(pulp.PULP_CBC_CMD(msg=False))
    theirs = pulp.value(model.problem.objective)
    ours = p_median(w, cost[:, 2:], p=3, existing_cost=cost[:, :2].min(axis=1))
    assert ours.objective == pytest.approx(theirs, rel=1e-7)


@pytest.mark.parametrize("seed", range(2))
def test_heuristic_between_optimum_and_bound(seed):
    rng = np.random.default_rng(100 + seed)
    n, m = 160, 60
    demand, cand = rng.uniform(0, 20, (n, 2)), rng.uniform(0, 20, (m, 2))
    cost = np.linalg.norm(demand[:, None] - cand[None], axis=2)
    w = rng.integers(0, 40, n).astype(float)
    groups = rng.integers(0, 6, m)
    counts = np.array([2, 1, 3, 0, 2, 1])
    cov = coverage_from_cost(cost, 2.5)
    covered = rng.random(n) < 0.1
    kw = {"groups": groups, "counts": counts, "covered": covered}
    exact = max_cover(w, cov, **kw)
    heur = max_cover(w, cov, heuristic_above=0, **kw)
    assert heur.method == "heuristic" and heur.status == "heuristic"
    assert (np.bincount(groups[heur.selected], minlength=6) == counts).all()
    assert heur.objective <= exact.objective + 1e-6 <= heur.bound + 2e-6
    existing = np.where(rng.random(n) < 0.3, rng.uniform(0, 8, n), np.inf)
    kw = {"groups": groups, "counts": counts, "existing_cost": existing}
    exact = p_median(w, cost, **kw)
    heur = p_median(w, cost, heuristic_above=0, **kw)
    assert (np.bincount(groups[heur.selected], minlength=6) == counts).all()
    assert heur.bound - 1e-6 <= exact.objective <= heur.objective + 1e-6
    assert heur.mip_gap is not None and heur.mip_gap >= 0
    sc_exact = set_cover(cov)
    sc_heur = set_cover(cov, heuristic_above=0)
    assert sc_heur.bound <= sc_exact.objective <= sc_heur.objective
    assert (cov[:, sc_heur.selected].sum(axis=1) > 0)[cov.sum(axis=1) > 0].all()
