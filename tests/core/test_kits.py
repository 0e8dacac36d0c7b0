"""Kit placement: exact against brute force on small lines and rings; coverage checks."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.core.kits import Pieces, greedy_lines, place, requisition, residual


def _dist(p: np.ndarray, k: np.ndarray, length: float, closed: bool) -> np.ndarray:
    d = np.abs(p[:, None] - k[None, :])
    return np.minimum(d, length - d) if closed else d


def _samples(a: np.ndarray, b: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer and half-integer points of integer pieces (enough for integer data)."""
    pts, reach = [], []
    for lo, hi, rr in zip(a, b, r, strict=True):
        x = np.arange(2 * lo, 2 * hi + 1) / 2.0
        pts.append(x)
        reach.append(np.full(len(x), rr))
    return np.concatenate(pts), np.concatenate(reach)


def _brute(a, b, r, length: int, closed: bool) -> int:
    p, rr = _samples(a, b, r)
    cands = np.arange(0, length + (0 if closed else 1), dtype=float)
    ok = _dist(p, cands, length, closed) <= rr[:, None]
    for n in range(0, 8):
        for sub in itertools.combinations(range(len(cands)), n):
            if ok[:, list(sub)].any(axis=1).all() if n else len(p) == 0:
                return n
    raise AssertionError("brute force found no cover with <= 7 kits")


def _check_covered(a, b, r, kits, length, closed) -> None:
    """Independent check on a fine grid of the pieces."""
    for lo, hi, rr in zip(a, b, r, strict=True):
        x = np.linspace(lo, hi, 97)
        d = _dist(x, np.asarray(kits, float), length, closed).min(axis=1)
        assert (d <= rr + 1e-7).all(), (lo, hi, rr, kits)


@st.composite
def _instance(draw, closed: bool):
    length = draw(st.integers(6, 18))
    cuts = sorted(draw(st.sets(st.integers(0, length), min_size=2, max_size=6)))
    pieces = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2)]
    if closed:
        rr = draw(st.integers(2, 4))
        reach = [rr] * len(pieces)
    else:
        reach = [draw(st.integers(2, 4)) for _ in pieces]
    a = np.array([p[0] for p in pieces], float)
    b = np.array([p[1] for p in pieces], float)
    return length, a, b, np.array(reach, float)


@settings(max_examples=120, deadline=None)
@given(_instance(closed=False))
def test_line_placement_equals_brute_force(inst) -> None:
    length, a, b, r = inst
    kb, kp = place(Pieces(np.zeros(len(a), np.int64), a, b, r),
                   bank_len=np.array([float(length)]), bank_closed=np.array([False]))
    assert len(kp) == _brute(a, b, r, length, closed=False)
    assert ((kp >= 0) & (kp <= length)).all()
    _check_covered(a, b, r, kp, length, closed=False)


@settings(max_examples=120, deadline=None)
@given(_instance(closed=True))
def test_ring_placement_equals_brute_force(inst) -> None:
    length, a, b, r = inst
    kb, kp = place(Pieces(np.zeros(len(a), np.int64), a, b, r),
                   bank_len=np.array([float(length)]), bank_closed=np.array([True]))
    assert len(kp) == _brute(a, b, r, length, closed=True)
    _check_covered(a, b, r, kp, length, closed=True)


def test_ring_needs_rotation() -> None:
    # ring of 12, reach 1: runs [0,2], [3,5], [6,8], [9,11] need 2 kits only when cut well
    a = np.array([0.0, 4.0, 8.0])
    b = np.array([2.0, 6.0, 10.5])
    kb, kp = place(Pieces(np.zeros(3, np.int64), a, b, np.ones(3)),
                   bank_len=np.array([12.0]), bank_closed=np.array([True]))
    assert len(kp) == _brute(a * 2, b * 2, np.full(3, 2.0), 24, closed=True)
    _check_covered(a, b, np.ones(3), kp, 12.0, closed=True)


def test_many_banks_at_once_match_one_by_one() -> None:
    rng = np.random.default_rng(3)
    nb = 40
    length = rng.uniform(50, 400, nb)
    closed = rng.random(nb) < 0.5
    rows = []
    for i in range(nb):
        cuts = np.sort(rng.uniform(0, length[i], 2 * rng.integers(1, 5)))
        rr = 50.0 if closed[i] else None
        for lo, hi in cuts.reshape(-1, 2):
            rows.append((i, lo, hi, rr if rr else rng.choice([50.0, 250.0])))
    bank, a, b, r = (np.array(x) for x in zip(*rows, strict=True))
    kb, kp = place(Pieces(bank.astype(np.int64), a, b, r), bank_len=length, bank_closed=closed)
    for i in range(nb):
        m = bank == i
        kb1, kp1 = place(Pieces(np.zeros(m.sum(), np.int64), a[m], b[m], r[m]),
                         bank_len=length[i:i + 1], bank_closed=closed[i:i + 1])
        assert (kb == i).sum() == len(kp1)
        _check_covered(a[m], b[m], r[m], kp[kb == i], length[i], closed[i])


def test_cost_tie_break_keeps_count_and_prefers_cheap_side() -> None:
    # one piece of 60 m, reach 50: one kit anywhere in [10, 50]; cost prefers the right
    pieces = Pieces(np.array([0]), np.array([0.0]), np.array([60.0]), np.array([50.0]))
    kb, kp = place(pieces, bank_len=np.array([100.0]), bank_closed=np.array([False]),
                   cost=lambda bank, pos: np.abs(pos - 100.0))
    assert len(kp) == 1 and kp[0] == pytest.approx(50.0)
    kb, kp = place(pieces, bank_len=np.array([100.0]), bank_closed=np.array([False]),
                   cost=lambda bank, pos: pos)
    assert len(kp) == 1 and kp[0] == pytest.approx(10.0)


def test_greedy_lines_variable_reach() -> None:
    # quiet stretch (reach 250) then a busy one (reach 50): one kit serves both
    kl, kp = greedy_lines(np.array([0, 0]), np.array([0.0, 280.0]), np.array([200.0, 300.0]),
                          np.array([250.0, 50.0]))
    assert len(kp) == 1 and kp[0] == pytest.approx(250.0)
    # a longer busy stretch needs a second kit: the reaches do not overlap
    kl, kp = greedy_lines(np.array([0, 0]), np.array([0.0, 300.0]), np.array([260.0, 320.0]),
                          np.array([250.0, 50.0]))
    assert len(kp) == 2


def test_residual_wraps_on_rings_and_counts_gaps() -> None:
    seg_bank = np.array([0, 0, 0, 0, 1, 1])
    s0 = np.array([0.0, 25, 50, 75, 0, 100])
    s1 = np.array([25.0, 50, 75, 100, 100, 200])
    reach = np.full(6, 10.0)
    bank_len, closed = np.array([100.0, 200.0]), np.array([True, False])
    seg, lo, hi = residual(seg_bank, s0, s1, reach, bank_len, closed,
                           np.array([0, 1]), np.array([2.0, 100.0]))
    unc = np.bincount(seg, weights=hi - lo, minlength=6)
    # ring kit at 2 covers [92, 100] and [0, 12]; line kit at 100 covers [90, 110]
    np.testing.assert_allclose(unc, [13, 25, 25, 17, 90, 90])
    seg, lo, hi = residual(seg_bank, s0, s1, reach, bank_len, closed,
                           np.zeros(0, np.int64), np.zeros(0))
    np.testing.assert_allclose(np.bincount(seg, weights=hi - lo, minlength=6), s1 - s0)


def test_requisition_nets_partial_kits() -> None:
    town = np.array(["t1", "t1", "t2", "t2"], dtype=object)
    new = np.array([True, False, False, True])
    items = np.array([[0, 0, 0, 0], [1, 0, 1, 1], [1, 1, 0, 0], [0, 0, 0, 0]], bool)
    req = requisition(town, new, items, rope_m=30.0).set_index("town_code")
    assert req.loc["t1", "new_kits"] == 1 and req.loc["t1", "completed_kits"] == 1
    assert req.loc["t1", "lifebuoys"] == 2 and req.loc["t1", "signs"] == 1
    assert req.loc["t2", "ropes"] == 2 and req.loc["t2", "rope_m"] == 60.0
    assert req.loc["t2", "poles"] == 2 and req.loc["t2", "signs"] == 1
