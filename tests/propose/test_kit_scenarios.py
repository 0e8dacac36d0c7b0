"""The plans an officer compares: "fix existing kits first" against brute force, and every
scenario's figures against the stage's own (spend, risk, bank out of reach)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from planner.core.budget import covered_value
from planner.propose.kit_scenarios import Reach, fix_first
from tests.propose.test_kit_budget import BUDGET, _run

SOLVER = {"time_limit": 30.0, "exact_max": 100_000, "mip_rel_gap": 1e-9}


def _instance(seed: int):
    """A random cover: 12 elements, 5 new-kit actions (¥10) and 4 fixes (¥2-¥6)."""
    rng = np.random.default_rng(seed)
    n, m_new, m_fix = 12, 5, 4
    a = (rng.random((n, m_new + m_fix)) < 0.3).astype(np.int8)
    a[np.arange(n), rng.integers(0, m_new, n)] = 1  # new kits alone can cover everything
    values = rng.integers(1, 20, n).astype(float)
    cost = np.r_[np.full(m_new, 10.0), rng.integers(2, 7, m_fix).astype(float)]
    is_new = np.r_[np.ones(m_new, bool), np.zeros(m_fix, bool)]
    return values, sp.csr_array(a), cost, is_new


def _best(values, cover, cost, cols, budget, must=()):
    """Brute force: the most value from ``must`` plus a subset of ``cols`` within budget."""
    best = -1.0
    for r in range(len(cols) + 1):
        for sub in itertools.combinations(cols, r):
            sel = np.r_[list(must), list(sub)].astype(np.int64)
            if cost[sel].sum() <= budget + 1e-9:
                best = max(best, covered_value(values, cover, sel))
    return best


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("budget", [8.0, 25.0, 45.0])
def test_fix_first_is_the_best_plan_that_repairs_first(seed, budget) -> None:
    values, cover, cost, is_new = _instance(seed)
    fixes, news = np.flatnonzero(~is_new), np.flatnonzero(is_new)
    full = news  # every new kit: covers every element
    sel, status, _method, gap = fix_first(values, cover, cost, is_new=is_new, budget=budget,
                                          max_new=None, full=full, **SOLVER)
    assert cost[sel].sum() <= budget + 1e-9
    got = covered_value(values, cover, sel)
    if cost[fixes].sum() <= budget:
        # every fix is funded, then the best new kits for what is left
        assert set(fixes) <= set(sel.tolist())
        assert got == pytest.approx(_best(values, cover, cost, news, budget, must=fixes))
    else:
        # no new kit while the repairs are not all paid; the best repairs for the budget
        assert not is_new[sel].any()
        assert got == pytest.approx(_best(values, cover, cost, fixes, budget))
    assert status == "optimal" and gap < 1e-6


def test_max_new_caps_the_new_kits_of_fix_first() -> None:
    values, cover, cost, is_new = _instance(0)
    sel, *_ = fix_first(values, cover, cost, is_new=is_new, budget=1e6, max_new=1,
                        full=np.flatnonzero(is_new), **SOLVER)
    assert is_new[sel].sum() == 1 and (~is_new).sum() == (~is_new[sel]).sum()


def test_reach_counts_the_metres_no_action_reaches() -> None:
    cover = sp.csr_array(np.array([[1, 0], [0, 1], [1, 1]], dtype=np.int8))
    reach = Reach(np.array([10.0, 20.0, 5.0]), cover, unreachable_m=7.0)
    assert reach.before_m == 42.0
    assert reach.out_of_reach(np.array([0])) == 27.0
    assert reach.out_of_reach(np.array([0, 1])) == 7.0


@pytest.fixture(scope="module")
def budgeted():
    return _run(BUDGET)


def test_scenarios_match_the_stage_figures(budgeted) -> None:
    s = budgeted.summary
    b, (opt, ff) = s["budget"], s["scenarios"]
    assert opt["key"] == "optimal" and ff["key"] == "fix_first"
    for key in ("new_kits", "fixed_kits", "risk_covered", "risk_covered_share", "status",
                "method", "gap"):
        assert opt[key] == b[key], key
    assert opt["yuan"] == b["spend_yuan"] and opt["remaining_yuan"] == b["remaining_yuan"]
    # the metres out of reach: the same as the stage's residual after its kits
    assert opt["risky_bank_m_out_of_reach"] == pytest.approx(
        s["uncovered_risky_bank_m_after"], abs=0.2)
    assert b["full_coverage"]["risky_bank_m_out_of_reach"] == pytest.approx(0.0, abs=0.2)
    assert s["budget_curve"][-1]["risky_bank_m_out_of_reach"] == pytest.approx(0.0, abs=0.2)
    # fix first: every fixable kit repaired (the budget allows it), within the budget, and
    # never more risk than the optimum
    assert ff["fixed_kits"] == b["candidates"]["fixable_kits"]
    assert ff["yuan"] <= BUDGET.budget_yuan
    assert ff["risk_covered"] <= opt["risk_covered"] * (1 + opt["gap"]) + 1e-6
    for p in s["budget_curve"]:
        assert p["new_kits"] + p["fixed_kits"] == p["kits"]


def test_inspections_are_counted_as_of_the_stated_date(budgeted) -> None:
    ins = budgeted.summary["inspections"]
    assert ins["as_of"] == "2025-06-01" and ins["interval_days"] == BUDGET.inspection_days
    assert ins["overdue"] == budgeted.summary["existing_kits"]["inspection_overdue"]
    assert ins["overdue"] == int((budgeted.actions["action"] == "inspect").sum())


def test_fix_first_buys_new_kits_by_the_given_rule() -> None:
    values, cover, cost, is_new = _instance(2)
    seen = {}

    def step(v, m, c, k, **a):
        seen.update(values=v, must=m, cost=k, **a)
        from planner.core.budget import budget_cover
        return budget_cover(v, c, k, **a, **SOLVER)

    must = np.where(np.arange(len(values)) % 2 == 0, values, 0.0)
    fixes = np.flatnonzero(~is_new)
    sel, *_ = fix_first(values, cover, cost, is_new=is_new, budget=60.0, max_new=None,
                        full=np.flatnonzero(is_new), must=must, new_step=step, **SOLVER)
    # the rule sees only what the fixes leave out of reach, and the budget left
    x = np.zeros(cover.shape[1])
    x[fixes] = 1.0
    reached = cover @ x > 0
    assert (seen["values"][reached] == 0).all() and (seen["must"][reached] == 0).all()
    assert seen["budget"] == pytest.approx(60.0 - cost[fixes].sum())
    assert set(fixes) <= set(sel.tolist())
