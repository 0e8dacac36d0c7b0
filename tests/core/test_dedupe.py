"""duplicate_of against a brute-force scan of every pair."""

from __future__ import annotations

import numpy as np
import pytest

from planner.core.dedupe import duplicate_of


def _brute(xy, kind, name, *, within, touch):
    n = len(xy)
    dup, dist = np.full(n, -1), np.full(n, np.nan)
    for j in range(n):
        for i in range(j):
            d = float(np.hypot(*(xy[i] - xy[j])))
            same_name = name[i] == name[j] and name[j] != ""
            if kind[i] == kind[j] and ((same_name and d <= within) or d <= touch):
                dup[j], dist[j] = i, d
                break
    return dup, dist


def _points(seed: int, n: int = 300):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 2000, size=(n, 2))
    copies = rng.integers(0, n, size=n // 5)
    xy[rng.integers(0, n, size=n // 5)] = xy[copies]  # pasted rows
    near = rng.integers(0, n, size=n // 10)
    xy[near] = xy[rng.integers(0, n, size=n // 10)] + rng.uniform(-0.7, 0.7, (n // 10, 2))
    kind = rng.choice(["care_point", "care_home"], size=n)
    name = rng.choice(["", "东村儿童之家", "西村儿童之家", "南村儿童之家"], size=n)
    return xy, kind, name


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("budget", "chunk"), [(4_000_000, 65_536), (40, 7)])
def test_matches_brute_force(seed, budget, chunk):
    xy, kind, name = _points(seed)
    got, got_d = duplicate_of(xy, kind, name, within=150.0, touch=1.0, budget=budget,
                              chunk=chunk)
    want, want_d = _brute(xy, kind, name, within=150.0, touch=1.0)
    assert (got >= 0).sum() > 30  # the case has duplicates of every sort
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(got_d, want_d, atol=0.02)


def test_many_copies_of_one_record_stay_small():
    xy = np.tile([[100.0, 200.0], [5000.0, 5000.0]], (50_000, 1))
    kind = np.array(["care_point"] * len(xy))
    name = np.tile(["甲", "乙"], 50_000)
    dup, dist = duplicate_of(xy, kind, name, within=100.0, budget=1000)
    assert dup[0] == -1 and dup[1] == -1
    assert (dup[2::2] == 0).all() and (dup[3::2] == 1).all()
    assert np.nanmax(dist) == 0.0
