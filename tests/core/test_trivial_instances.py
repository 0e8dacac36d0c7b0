"""Placement models on instances with nothing to decide: empty, trivial and fully
satisfied ones give the empty selection, exactly, without calling the solver."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import planner.core._milp
from planner.core import optimise


@pytest.fixture
def no_solver(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("the solver was called")

    monkeypatch.setattr(planner.core._milp, "milp", refuse)


COV = sp.csr_array(np.ones((3, 4), dtype=bool))
CASES = {
    "no demand, no candidate": lambda: optimise.max_cover(
        np.ones(0), sp.csr_array((0, 0), dtype=bool), groups=[], counts=[]),
    "no candidate": lambda: optimise.max_cover(
        np.ones(3), sp.csr_array((3, 0), dtype=bool), groups=[], counts=[]),
    "every town complete": lambda: optimise.max_cover(
        np.ones(3), COV, groups=[0, 0, 1, 1], counts=[0, 0]),
    "p = 0": lambda: optimise.max_cover(np.ones(3), COV, p=0),
    "every candidate excluded": lambda: optimise.max_cover(
        np.ones(3), COV, groups=[-1, -1, -1, -1], p=0),
    "p-median complete": lambda: optimise.p_median(
        np.ones(3), np.ones((3, 4)), groups=[0, 0, 1, 1], counts=[0, 0]),
    "p-median complete, no existing site": lambda: optimise.p_median(
        np.ones(3), np.ones((3, 4)), groups=[0, 0, 1, 1], counts=[0, 0],
        existing_cost=np.full(3, np.inf)),
    "p-median empty": lambda: optimise.p_median(
        np.ones(0), np.ones((0, 0)), groups=[], counts=[]),
    "budget 0": lambda: optimise.county_budget(
        np.ones(3), COV, groups=[0, 0, 1, 1], minimum=[0, 0], budget=0),
    "set cover empty": lambda: optimise.set_cover(sp.csr_array((0, 0), dtype=bool)),
    "set cover all covered": lambda: optimise.set_cover(COV, covered=np.ones(3, dtype=bool)),
    "set cover no weight": lambda: optimise.set_cover(COV, weights=np.zeros(3)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_nothing_to_place_is_exact_and_calls_no_solver(no_solver, case):
    sol = CASES[case]()
    assert sol.selected.size == 0 and sol.status == "optimal" and sol.method == "trivial"
    assert np.isfinite(sol.objective) and sol.mip_gap in (0.0, None)
    assert any("no solver call" in note for note in sol.notes)


def test_a_real_choice_still_goes_to_the_solver():
    sol = optimise.max_cover(np.ones(3), COV, groups=[0, 0, 1, 1], counts=[1, 0])
    assert sol.method == "milp" and sol.selected.size == 1 and sol.objective == 3.0
