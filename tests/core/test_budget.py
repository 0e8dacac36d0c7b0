"""Budgeted placement: MILP and greedy against enumeration; elementary pieces against the
segment model of planner.core.kits."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from planner._errors import ModelError
from planner.core.budget import budget_cover, covered_value, elements
from planner.core.kits import kit_pairs, residual, uncovered_length


def _brute(values, cover, cost, budget, max_count=None):
    dense = cover.toarray() > 0
    best = 0.0
    m = len(cost)
    for k in range(m + 1):
        if max_count is not None and k > max_count:
            break
        for sub in itertools.combinations(range(m), k):
            s = list(sub)
            if cost[s].sum() > budget + 1e-9:
                continue
            best = max(best, float(values[dense[:, s].any(axis=1)].sum()))
    return best


@pytest.mark.parametrize("seed", range(12))
def test_milp_matches_enumeration(seed):
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(5, 25)), int(rng.integers(3, 10))
    cover = sp.csr_array(rng.random((n, m)) < 0.3)
    values = rng.integers(0, 50, n).astype(float)
    cost = rng.integers(0, 5, m).astype(float) * 100
    budget = float(rng.integers(0, 12) * 100)
    cap = None if seed % 3 else int(rng.integers(1, 4))
    sol = budget_cover(values, cover, cost, budget=budget, max_count=cap, mip_rel_gap=0.0)
    want = _brute(values, cover, cost, budget, cap)
    assert sol.method in ("milp", "trivial") and sol.status == "optimal"
    assert sol.objective == pytest.approx(want)
    assert sol.cost <= budget + 1e-9
    assert sol.bound >= want - 1e-6
    assert covered_value(values, cover, sol.selected) == pytest.approx(sol.objective)
    if cap is not None:
        assert len(sol.selected) <= cap


@pytest.mark.parametrize("seed", range(12))
def test_lp_and_fix_answer_is_within_its_stated_gap(seed):
    rng = np.random.default_rng(500 + seed)
    n, m = int(rng.integers(10, 30)), int(rng.integers(6, 12))
    cover = sp.csr_array(rng.random((n, m)) < 0.25)
    values = rng.integers(1, 60, n).astype(float)
    cost = rng.integers(1, 6, m).astype(float) * 100
    budget = float(rng.integers(2, 15) * 100)
    tol = 0.05
    sol = budget_cover(values, cover, cost, budget=budget, mip_rel_gap=tol)
    want = _brute(values, cover, cost, budget)
    assert sol.status in ("optimal", "within_gap") and sol.gap <= tol + 1e-12
    assert sol.bound >= want - 1e-6  # the stated bound is a true upper bound
    assert want * (1 - tol) - 1e-6 <= sol.objective <= want + 1e-6
    assert sol.cost <= budget + 1e-9
    if sol.status == "optimal":
        assert sol.objective == pytest.approx(want)


@pytest.mark.parametrize("seed", range(8))
def test_greedy_is_feasible_and_its_bound_valid(seed):
    rng = np.random.default_rng(100 + seed)
    n, m = 20, 9
    cover = sp.csr_array(rng.random((n, m)) < 0.3)
    values = rng.integers(1, 50, n).astype(float)
    cost = rng.integers(1, 5, m).astype(float) * 100
    budget = 600.0
    sol = budget_cover(values, cover, cost, budget=budget, exact_max=0)
    want = _brute(values, cover, cost, budget)
    assert sol.method == "greedy" and sol.status == "heuristic"
    assert sol.cost <= budget
    assert sol.objective <= want + 1e-9 <= sol.bound + 1e-6
    assert sol.gap == pytest.approx((sol.bound - sol.objective) / sol.bound)
    # the classic guarantee of greedy + best single for budgeted coverage
    assert sol.objective >= 0.5 * (1 - 1 / np.e) * want - 1e-9


def test_unlimited_budget_covers_everything_reachable():
    rng = np.random.default_rng(3)
    cover = sp.csr_array(rng.random((30, 8)) < 0.3)
    values = rng.random(30)
    sol = budget_cover(values, cover, np.full(8, 100.0), budget=np.inf)
    reach = np.diff(cover.indptr) > 0
    assert sol.objective == pytest.approx(values[reach].sum())


def test_bad_arrays_are_refused():
    with pytest.raises(ModelError):
        budget_cover(np.ones(3), sp.csr_array(np.ones((2, 2))), np.ones(2), budget=1.0)
    with pytest.raises(ModelError):
        budget_cover(np.ones(2), sp.csr_array(np.ones((2, 2))), -np.ones(2), budget=1.0)


@pytest.mark.parametrize("seed", range(6))
def test_elements_value_equals_residual_of_the_segment_model(seed):
    """Covered value of any action subset = hazard x length newly covered, as residual()
    measures it on the same banks (lines and rings, varying reach)."""
    rng = np.random.default_rng(seed)
    bank_len = np.array([400.0, 300.0, 250.0])
    closed = np.array([False, True, False])
    seg_bank, s0, s1 = [], [], []
    for b, L in enumerate(bank_len):
        edges = np.linspace(0, L, int(L // 50) + 1)
        seg_bank += [b] * (len(edges) - 1)
        s0 += list(edges[:-1])
        s1 += list(edges[1:])
    seg_bank, s0, s1 = np.array(seg_bank), np.array(s0), np.array(s1)
    reach = np.where(rng.random(len(s0)) < 0.3, 80.0, 30.0)
    reach[seg_bank == 1] = 40.0  # a ring has one reach
    hazard = rng.random(len(s0)) * 100 * (rng.random(len(s0)) < 0.8)
    args = (seg_bank, s0, s1, reach, bank_len, closed)
    # existing kits leave some bank uncovered
    eb, ep = np.array([0, 1]), np.array([120.0, 290.0])
    r_seg, r_lo, r_hi = residual(*args, eb, ep)
    keep = hazard[r_seg] > 0
    r_seg, r_lo, r_hi = r_seg[keep], r_lo[keep], r_hi[keep]
    ab = rng.integers(0, 3, 7)
    ap = rng.random(7) * bank_len[ab]
    pa, ps, plo, phi = kit_pairs(*args, ab, ap)
    values, cover, unreach = elements(hazard, s0, r_seg, r_lo, r_hi, pa, ps, plo, phi,
                                      n_actions=7)
    before = uncovered_length(len(s0), *residual(*args, eb, ep)) @ hazard
    assert values.sum() + unreach == pytest.approx(before)
    for k in range(0, 8):
        for sub in itertools.combinations(range(7), k):
            s = list(sub)
            after = uncovered_length(len(s0), *residual(*args, np.r_[eb, ab[s]],
                                                        np.r_[ep, ap[s]])) @ hazard
            assert covered_value(values, cover, np.array(s, int)) == pytest.approx(
                before - after, rel=1e-7, abs=1e-6)


@pytest.mark.parametrize("seed", range(6))
def test_greedy_under_a_count_cap(seed):
    rng = np.random.default_rng(200 + seed)
    cover = sp.csr_array(rng.random((20, 9)) < 0.3)
    values = rng.integers(1, 50, 20).astype(float)
    cost = rng.integers(1, 5, 9).astype(float) * 100
    sol = budget_cover(values, cover, cost, budget=np.inf, max_count=3, exact_max=0)
    want = _brute(values, cover, cost, np.inf, 3)
    assert len(sol.selected) <= 3 and sol.method == "greedy"
    # greedy for maximum coverage with k sets: at least (1 - 1/e) of the optimum
    assert (1 - 1 / np.e) * want - 1e-9 <= sol.objective <= want + 1e-9 <= sol.bound + 1e-6


def test_trivial_instances_call_no_solver(monkeypatch):
    import planner.core.budget as budget

    def boom(*args, **kwargs):
        raise AssertionError("the solver must not be called")

    monkeypatch.setattr(budget, "milp", boom)
    cases = [
        (np.zeros(0), sp.csr_array((0, 3)), np.full(3, 100.0), 1000.0),   # no need
        (np.zeros(2), sp.csr_array(np.ones((2, 2))), np.ones(2), 10.0),    # need of value 0
        (np.ones(2), sp.csr_array(np.ones((2, 2))), np.full(2, 50.0), 10.0),  # unaffordable
        (np.ones(2), sp.csr_array((2, 0)), np.zeros(0), 10.0),             # no action
    ]
    for values, cover, cost, b in cases:
        sol = budget_cover(values, cover, cost, budget=b)
        assert len(sol.selected) == 0 and sol.cost == 0 and sol.method == "trivial"
        assert sol.status == "optimal" and sol.gap == 0


def test_elements_without_uncovered_pieces_are_empty():
    z = np.zeros(0)
    values, cover, unreach = elements(np.ones(2), np.array([0.0, 50.0]), z.astype(int), z, z,
                                      np.array([0, 1]), np.array([0, 1]),
                                      np.array([0.0, 50.0]), np.array([40.0, 90.0]),
                                      n_actions=2)
    assert len(values) == 0 and cover.shape == (0, 2) and unreach == 0


def _brute_lex(values, cover, cost, budget, max_count=None):
    """Most value within the budget, then the least cost among plans of that value."""
    dense = cover.toarray() > 0
    best = (0.0, 0.0)
    m = len(cost)
    for k in range(m + 1):
        if max_count is not None and k > max_count:
            break
        for sub in itertools.combinations(range(m), k):
            s = list(sub)
            c = float(cost[s].sum())
            if c > budget + 1e-9:
                continue
            v = float(values[dense[:, s].any(axis=1)].sum())
            if v > best[0] + 1e-9 or (abs(v - best[0]) <= 1e-9 and c < best[1]):
                best = (v, c)
    return best


def _adds_something(values, cover, sel):
    dense = cover.toarray() > 0
    for j in sel:
        rest = [i for i in sel if i != j]
        without = values[dense[:, rest].any(axis=1)].sum() if rest else 0.0
        if covered_value(values, cover, sel) - without <= 0:
            return False
    return True


@pytest.mark.parametrize("seed", range(16))
def test_ties_go_to_the_cheaper_plan_and_nothing_is_bought_for_nothing(seed):
    """Many alternatives covering the same risk (overlapping actions of different prices,
    some covering nothing new): most value, then least cost, as enumeration finds them.
    Values are real numbers (hazard x metres), so equal value means the same risk."""
    rng = np.random.default_rng(900 + seed)
    n, m = int(rng.integers(4, 12)), int(rng.integers(4, 10))
    cover = sp.csr_array(rng.random((n, m)) < 0.45)
    values = rng.random(n) * 100 * (rng.random(n) < 0.8)
    cost = rng.integers(1, 4, m).astype(float) * 100
    budget = float(rng.choice([300.0, 600.0, 1e9]))
    cap = None if seed % 4 else int(rng.integers(1, 4))
    sol = budget_cover(values, cover, cost, budget=budget, max_count=cap, mip_rel_gap=0.0)
    want_v, want_c = _brute_lex(values, cover, cost, budget, cap)
    assert sol.objective == pytest.approx(want_v)
    assert sol.cost == pytest.approx(want_c)
    assert sol.tie_break in ("cheapest", "full_coverage") or sol.method == "trivial"
    assert _adds_something(values, cover, sol.selected)


def _brute_cover(values, cover, cost):
    dense = cover.toarray() > 0
    need = (values > 0) & dense.any(axis=1)
    best = np.inf
    for k in range(len(cost) + 1):
        for sub in itertools.combinations(range(len(cost)), k):
            s = list(sub)
            if dense[need][:, s].any(axis=1).all() if k else not need.any():
                best = min(best, float(cost[s].sum()))
    return best


@pytest.mark.parametrize("seed", range(12))
def test_cheapest_cover_matches_enumeration_and_fills_a_large_budget(seed):
    from planner.core.budget_steps import cheapest_cover

    rng = np.random.default_rng(700 + seed)
    n, m = int(rng.integers(4, 14)), int(rng.integers(3, 9))
    cover = sp.csr_array(rng.random((n, m)) < 0.35)
    values = rng.integers(0, 5, n).astype(float)
    cost = rng.integers(1, 6, m).astype(float) * 100
    plan = cheapest_cover(values, cover, cost, mip_rel_gap=0.0)
    assert plan.status == "optimal" and plan.gap == 0
    assert plan.cost == pytest.approx(_brute_cover(values, cover, cost))
    reachable = values[np.diff(cover.indptr) > 0].sum()
    assert covered_value(values, cover, plan.selected) == pytest.approx(reachable)
    assert _adds_something(values, cover, plan.selected)
    # a budget at or above the full cover's cost buys exactly it, the rest is left
    for extra in (0.0, 250.0, 1e6):
        sol = budget_cover(values, cover, cost, budget=plan.cost + extra, mip_rel_gap=0.0,
                           full=plan.selected)
        assert sol.objective == pytest.approx(reachable)
        assert sol.cost == pytest.approx(plan.cost)
