"""Exact reductions of the covering models (planner.core._reduce): the entry helpers against
plain loops, and the maximal-covering core keeping the optimum of every quota, checked by
enumerating every choice of candidates on small random models.

The set-cover reductions and the subset-pair search are checked in test_covering.py, with
the solvers that use them.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.core import _reduce
from planner.core._reduce import cover_core, ragged_range, row_pointers, transpose_entries


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 6)), max_size=10))
def test_ragged_range_equals_concatenated_ranges(spans):
    starts = np.array([s for s, _ in spans], dtype=np.int64)
    lengths = np.array([k for _, k in spans], dtype=np.int64)
    expected = [i for s, k in spans for i in range(s, s + k)]
    assert ragged_range(starts, lengths).tolist() == expected


def _random_entries(rng, n, m, density=0.35):
    a = rng.random((n, m)) < density
    r, c = np.nonzero(a)
    return a, r.astype(np.int64), c.astype(np.int64)


@pytest.mark.parametrize("seed", range(10))
def test_row_pointers_transpose_and_restrict_equal_plain_loops(seed):
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(1, 9)), int(rng.integers(1, 9))
    a, r, c = _random_entries(rng, n, m)
    ptr = row_pointers(r, n)
    assert ptr.tolist() == [sum(int(a[i].sum()) for i in range(k)) for k in range(n + 1)]
    for i in range(n):  # each row's slice holds its columns
        assert c[ptr[i]:ptr[i + 1]].tolist() == [j for j in range(m) if a[i, j]]
    tc, tr = transpose_entries(r, c, m)
    assert list(zip(tc.tolist(), tr.tolist(), strict=True)) == sorted(
        (j, i) for i in range(n) for j in range(m) if a[i, j])
    row_keep, col_keep = rng.random(n) < 0.6, rng.random(m) < 0.6
    sr, sc = _reduce._restrict(r, c, row_keep, col_keep)
    sub = a[np.ix_(row_keep, col_keep)]
    assert list(zip(sr.tolist(), sc.tolist(), strict=True)) == [
        (i, j) for i in range(sub.shape[0]) for j in range(sub.shape[1]) if sub[i, j]]


def _best(w, a, groups, counts):
    """Largest weight covered by exactly ``counts[g]`` candidates of each group ``g``
    (``-1``: never chosen), over every choice (itertools)."""
    choices = [list(itertools.combinations(np.flatnonzero(groups == g).tolist(), k))
               for g, k in enumerate(counts)]
    best = None
    for pick in itertools.product(*choices):
        cols = [j for part in pick for j in part]
        value = float(w[a[:, cols].any(axis=1)].sum()) if cols else 0.0
        best = value if best is None else max(best, value)
    return best


def _best_core(core, kept_groups, counts):
    """The same optimum on the reduced model: per group, some kept candidates (of groups
    ``kept_groups``) and the rest of its count from its fillers (which cover nothing)."""
    a = np.zeros((core.weights.size, core.cols.size), dtype=bool)
    a[core.r, core.c] = True
    fill = dict(zip(core.fill_groups.tolist(), core.fill_counts.tolist(), strict=True))
    best = None
    per_group = []
    for g in range(len(counts)):
        mine = np.flatnonzero(kept_groups == g).tolist()
        per_group.append([s for k in range(counts[g] + 1)
                          for s in itertools.combinations(mine, k)
                          if counts[g] - k <= fill.get(g, 0)])
    for pick in itertools.product(*per_group):
        cols = [j for part in pick for j in part]
        value = float(core.weights[a[:, cols].any(axis=1)].sum()) if cols else 0.0
        best = value if best is None else max(best, value)
    return best


@pytest.mark.parametrize("seed", range(40))
def test_cover_core_keeps_the_optimum_of_every_quota(seed, monkeypatch):
    rng = np.random.default_rng(500 + seed)
    if seed % 2:
        monkeypatch.setattr(_reduce, "_TABLE_MAX", 0)  # the binary-search subset checks
    n, m, n_groups = int(rng.integers(3, 10)), int(rng.integers(3, 8)), 2
    a, r, c = _random_entries(rng, n, m, density=rng.uniform(0.15, 0.5))
    a[:, rng.integers(m)] = a[:, rng.integers(m)]  # identical candidates
    a[rng.integers(n)] = a[rng.integers(n)]  # identical demand
    r, c = (x.astype(np.int64) for x in np.nonzero(a))
    w = rng.integers(1, 20, n).astype(float)
    groups = rng.integers(-1, n_groups, m)
    core = cover_core(w, r, c, m=m, groups=groups)
    # kept columns and fillers split the candidates of the groups; excluded ones are gone
    fillers = np.concatenate(core.fillers) if core.fillers else np.zeros(0, dtype=int)
    assert sorted([*core.cols.tolist(), *fillers.tolist()]) == np.flatnonzero(groups >= 0).tolist()
    assert core.fill_counts.tolist() == [f.size for f in core.fillers]
    for g, f in zip(core.fill_groups, core.fillers, strict=True):
        assert (groups[f] == g).all()
    # merged demand: the weight any kept candidate can reach is unchanged
    reach = a[:, core.cols].any(axis=1)
    assert core.weights.sum() == pytest.approx(w[reach].sum())
    sub = np.zeros((core.weights.size, core.cols.size), dtype=bool)
    sub[core.r, core.c] = True
    assert len({row.tobytes() for row in sub}) == sub.shape[0]  # no two merged rows alike
    avail = np.bincount(groups[groups >= 0], minlength=n_groups)
    for counts in itertools.product(*(range(k + 1) for k in avail)):
        assert _best_core(core, groups[core.cols], counts) == pytest.approx(
            _best(w, a, groups, counts))

