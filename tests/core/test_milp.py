"""The shared pieces of the placement MILPs (planner.core._milp): coverage and objective
evaluation against plain loops, quota limits against enumerating every choice, gaps, and
the HiGHS call."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint

from planner._errors import ModelError
from planner.core._milp import (
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
    relative_gap,
    solve_milp,
)


def _costs(seed, n=6, m=5):
    """Distances in metres; ``nan`` marks pairs with no road between them."""
    rng = np.random.default_rng(seed)
    cost = rng.integers(0, 3000, (n, m)).astype(float)
    cost[rng.random((n, m)) < 0.3] = np.nan
    return cost


def _sparse(cost):
    """Reachable pairs stored (a distance of 0 too), unreachable ones absent."""
    rows, cols = np.nonzero(~np.isnan(cost))
    return sp.csr_array((cost[rows, cols], (rows, cols)), shape=cost.shape)


@pytest.mark.parametrize("seed", range(5))
def test_coverage_from_cost_dense_and_sparse(seed):
    cost = _costs(seed)
    cost[0, 0] = 0.0  # a site on the demand point, stored as an explicit zero
    expected = [[not np.isnan(cost[i, j]) and cost[i, j] <= 1000 for j in range(cost.shape[1])]
                for i in range(cost.shape[0])]
    dense = coverage_from_cost(np.where(np.isnan(cost), np.inf, cost), 1000.0)
    assert dense.toarray().tolist() == expected
    assert coverage_from_cost(_sparse(cost), 1000.0).toarray().tolist() == expected
    with pytest.raises(ModelError, match="must be 2-D"):
        coverage_from_cost(np.zeros(3), 1.0)


@pytest.mark.parametrize("seed", range(5))
def test_cover_value_and_median_value_equal_loops(seed):
    rng = np.random.default_rng(seed)
    cost = _costs(seed)
    n, m = cost.shape
    w = rng.integers(0, 50, n).astype(float)
    covered = rng.random(n) < 0.3
    selected = np.flatnonzero(rng.random(m) < 0.5)
    cov = coverage_from_cost(_sparse(cost), 1500.0)
    newly = sum(w[i] for i in range(n) if not covered[i]
                and any(not np.isnan(cost[i, j]) and cost[i, j] <= 1500 for j in selected))
    assert cover_value(w, cov, selected, covered=covered) == pytest.approx(newly)
    existing = rng.integers(0, 4000, n).astype(float)
    existing[rng.random(n) < 0.3] = np.nan  # no existing site reachable
    total = 0.0
    for i in range(n):
        options = [cost[i, j] for j in selected if not np.isnan(cost[i, j])]
        if not np.isnan(existing[i]):
            options.append(existing[i])
        if w[i] > 0:
            total += w[i] * (min(options) if options else np.inf)
    for matrix in (_sparse(cost), np.where(np.isnan(cost), np.inf, cost)):
        assert median_value(w, matrix, selected, existing_cost=existing) == pytest.approx(total)


@pytest.mark.parametrize("seed", range(5))
def test_closer_pairs_equal_a_loop(seed):
    cost = _costs(seed)
    existing = np.random.default_rng(seed).integers(0, 3000, cost.shape[0]).astype(float)
    expected = sorted((i, j, cost[i, j]) for i in range(cost.shape[0])
                      for j in range(cost.shape[1])
                      if not np.isnan(cost[i, j]) and cost[i, j] < existing[i])
    for matrix in (_sparse(cost), np.where(np.isnan(cost), np.inf, cost)):
        rows, cols, dist = closer_pairs(matrix, existing)
        got = sorted(zip(rows.tolist(), cols.tolist(), dist.tolist(), strict=True))
        assert got == expected


def _feasible(limits, m):
    """Every 0/1 choice of ``m`` candidates that the limits' constraint rows accept."""
    out = set()
    for x in itertools.product((0, 1), repeat=m):
        v = np.array(x, dtype=float)
        if all(((c.A @ v) >= c.lb - 1e-9).all() and ((c.A @ v) <= c.ub + 1e-9).all()
               for c in limits.rows(m)):
            out.add(x)
    return out


@pytest.mark.parametrize(("groups", "lo", "hi", "total"), [
    ([0, 0, 1, 1, 1, -1], [1, 0], [2, 2], (2, 3)),
    ([0, 1, 0, 1, 2, 2], [0, 1, 1], [1, 1, 2], (0, 6)),
    ([1, 1, 0, -1, 0], [1, 2], [1, 2], (3, 3)),
])
def test_limit_rows_accept_exactly_the_choices_meeting_the_quotas(groups, lo, hi, total):
    groups, m = np.array(groups), len(groups)
    limits = group_limits(m, groups, np.array(lo), np.array(hi), *total)
    rule = set()
    for x in itertools.product((0, 1), repeat=m):
        per = [sum(x[j] for j in range(m) if groups[j] == g) for g in range(len(lo))]
        picked = sum(x[j] for j in range(m) if groups[j] >= 0)
        if all(a <= k <= b for a, k, b in zip(lo, per, hi, strict=True)) \
                and total[0] <= picked <= total[1] \
                and not any(x[j] for j in range(m) if groups[j] < 0):
            rule.add(x)
    feasible = _feasible(limits, m)
    # excluded candidates (-1) are kept out by the caller's bounds, not by the rows
    assert {x for x in feasible if not any(x[j] for j in range(m) if groups[j] < 0)} == rule
    assert limits.selectable.tolist() == [g >= 0 for g in groups]


def test_group_limits_refuse_quotas_the_candidates_cannot_meet():
    with pytest.raises(ModelError, match="group 1 needs 3 new sites but has only 2 candidates"):
        group_limits(4, np.array([0, 0, 1, 1]), np.array([0, 3]), np.array([2, 3]), 0, 4)
    with pytest.raises(ModelError, match="groups has 3 entries but there are 4 candidates"):
        group_limits(4, np.array([0, 0, 1]), None, None, 0, 4)
    with pytest.raises(ModelError, match="per-group counts have 1 entries but group ids go up"):
        group_limits(3, np.array([0, 1, 1]), np.array([1]), np.array([1]), 0, 3)
    with pytest.raises(ModelError, match="must be non-negative"):
        group_limits(3, np.array([0, 1, 1]), np.array([1, 2]), np.array([1, 1]), 0, 3)
    with pytest.raises(ModelError, match="total of 4..4 new sites cannot meet"):
        group_limits(4, np.array([0, 0, 1, 1]), np.array([0, 0]), np.array([1, 2]), 4, 4)
    # without groups: one group of every candidate, the total capped at the candidates
    plain = group_limits(3, None, None, None, 0, 10)
    assert plain.groups.tolist() == [0, 0, 0] and plain.total_hi == 3


def test_count_limits_from_counts_or_a_total():
    by_p = count_limits(4, None, None, 2, "max_cover")
    assert (by_p.total_lo, by_p.total_hi) == (2, 2)
    by_counts = count_limits(4, np.array([0, 0, 1, 1]), [1, 2], None, "max_cover")
    assert by_counts.lo.tolist() == by_counts.hi.tolist() == [1, 2]
    with pytest.raises(ModelError, match="max_cover needs per-group counts or a total p"):
        count_limits(4, None, None, None, "max_cover")


def test_input_checks():
    assert check_weights([1, 2, 3], 3).dtype == float
    for bad in ([1, -2, 3], [1, np.nan, 3], [1, np.inf, 3]):
        with pytest.raises(ModelError, match="finite and non-negative"):
            check_weights(bad, 3)
    with pytest.raises(ModelError, match="weights has 2 entries but there are 3"):
        check_weights([1, 2], 3)
    assert check_mask(None, 3, "covered").tolist() == [False] * 3
    with pytest.raises(ModelError, match="covered has 2 entries"):
        check_mask([True, False], 3, "covered")
    cov = check_coverage(sp.csr_array(np.array([[1, 0], [0, 0]])))
    assert cov.dtype == bool and cov.nnz == 1
    with pytest.raises(ModelError, match="coverage has 2 rows but there are 3"):
        check_coverage(cov, 3)
    assert existing_costs(None, 2).tolist() == [np.inf, np.inf]
    assert existing_costs([5.0, np.nan], 2).tolist() == [5.0, np.inf]
    with pytest.raises(ModelError, match="existing_cost has 1 entries"):
        existing_costs([5.0], 2)


@pytest.mark.parametrize(("objective", "bound", "maximise", "gap"), [
    (90.0, 100.0, True, 0.1), (100.0, 100.0, True, 0.0), (110.0, 100.0, False, 10 / 110),
    (100.0, 101.0, False, 0.0), (5.0, None, True, None), (5.0, np.inf, False, None),
    (0.0, 0.0, True, 0.0),
])
def test_relative_gap(objective, bound, maximise, gap):
    got = relative_gap(objective, bound, maximise)
    assert got == (None if gap is None else pytest.approx(gap))


def test_a_heuristic_solution_says_so():
    sol = make_solution(np.array([4, 1]), 9.0, 10.0, True, status="heuristic",
                        method="heuristic", times=(0.1, 0.2), model="max_cover")
    assert sol.selected.tolist() == [1, 4] and sol.mip_gap == pytest.approx(0.1)
    assert any("not proven optimal" in note for note in sol.notes)
    exact = make_solution(np.array([1]), 10.0, 10.0, True, status="optimal", method="milp",
                          times=(0.1, 0.2), model="max_cover")
    assert exact.notes == () and exact.mip_gap == 0.0


def test_solve_milp_small_knapsack_and_infeasible_model():
    """max 5a + 4b + 3c with 2a + 3b + c <= 5, binary: the best of the 8 choices."""
    values, sizes = np.array([5.0, 4.0, 3.0]), np.array([2.0, 3.0, 1.0])
    best = max(values @ x for x in itertools.product((0, 1), repeat=3) if sizes @ x <= 5)
    res, status, seconds = solve_milp(-values, np.ones(3), Bounds(0, 1),
                                      [LinearConstraint(sizes[None, :], -np.inf, 5)],
                                      time_limit=10, mip_rel_gap=0)
    assert status == "optimal" and -res.fun == best == 9.0 and seconds >= 0
    with pytest.raises(ModelError, match="returned no solution \\(infeasible"):
        solve_milp(-values, np.ones(3), Bounds(0, 1),
                   [LinearConstraint(sizes[None, :], 7, np.inf)], time_limit=10,
                   mip_rel_gap=0)
