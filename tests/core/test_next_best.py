"""planner.core.next_best against an enumeration of sets on small random instances."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from planner._errors import ModelError
from planner.core.next_best import next_best


def _brute(cover: np.ndarray, weight, covered, cost, n):
    """The same rule with Python sets: most uncovered weight per cost, lowest index on ties."""
    done = {i for i in range(len(weight)) if covered[i]}
    chosen, gains = [], []
    for _ in range(n):
        best, best_ratio, best_gain = None, -1.0, 0.0
        for j in range(cover.shape[1]):
            gain = sum(weight[i] for i in range(len(weight)) if cover[i, j] and i not in done)
            if gain / cost[j] > best_ratio + 1e-12:
                best, best_ratio, best_gain = j, gain / cost[j], gain
        if best is None or best_gain <= 0:
            break
        chosen.append(best)
        gains.append(best_gain)
        done |= {i for i in range(len(weight)) if cover[i, best]}
    return chosen, gains


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6), points=st.integers(1, 12), options=st.integers(1, 8),
       n=st.integers(0, 6))
def test_next_best_is_the_greedy_rule(seed, points, options, n):
    rng = np.random.default_rng(seed)
    cover = rng.random((points, options)) < 0.35
    weight = rng.integers(0, 20, points).astype(float)
    covered = rng.random(points) < 0.2
    cost = rng.choice([1.0, 2.0, 5.0], options)
    got, gains = next_best(sp.csc_array(cover), weight=weight, covered=covered, cost=cost, n=n)
    want, want_gains = _brute(cover, weight, covered, cost, n)
    assert got.tolist() == want
    assert gains.tolist() == pytest.approx(want_gains)
    # the gains add up to the weight newly covered by all the chosen options together
    newly = cover[:, got].any(axis=1) & ~covered if len(got) else np.zeros(points, bool)
    assert gains.sum() == pytest.approx(weight[newly].sum())


def test_nothing_left_to_cover_ranks_nothing():
    got, gains = next_best(sp.csc_array(np.ones((2, 2), bool)), weight=np.ones(2),
                           covered=np.ones(2, bool), cost=np.ones(2), n=3)
    assert got.size == 0 and gains.size == 0


@pytest.mark.parametrize("cost", [np.zeros(2), -np.ones(2)])
def test_costs_must_be_positive(cost):
    with pytest.raises(ModelError, match="costs > 0"):
        next_best(sp.csc_array(np.ones((2, 2), bool)), weight=np.ones(2),
                  covered=np.zeros(2, bool), cost=cost, n=1)
