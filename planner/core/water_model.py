"""Numbers along banks for the water-safety stage (no geometry).

Banks are arc-length intervals as in :mod:`planner.core.kits`: segment ``i`` of bank
``seg_bank[i]`` spans ``[s0[i], s1[i]]``; ``seg_water`` maps it to its water body. Here:

* the **reach** of a kit on each segment (``reach_busy_m`` where people are, ``reach_quiet_m``
  on little-used banks; a closed bank takes its smallest, :func:`segment_reach`);
* the one rule for a **complete kit** (:func:`complete_kits`): all four items, and a rope at
  least ``min_rope_m`` long when its length is known;
* the **risky bank** (:func:`risky_bank`): segments whose hazard reaches the kit cut-off, the
  access points of high-consequence waters people reach, and - one kit per risky water - the
  most hazardous segment of a risky water that has no kit and no risky segment;
* per-water sums and the first segment of each water by some key.
"""

from __future__ import annotations

import numpy as np

__all__ = ["complete_kits", "first_of_each", "per_water", "reach_at", "risky_bank",
           "run_starts", "segment_reach"]


def run_starts(keys: np.ndarray) -> np.ndarray:
    """Indices where a run of equal ``keys`` starts (empty for no keys)."""
    keys = np.asarray(keys)
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])


def per_water(seg_water: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Sum of ``values`` over the segments of each of ``n`` waters."""
    return np.bincount(seg_water, weights=np.asarray(values, float), minlength=n)


def first_of_each(groups: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Per group, the index of the element with the smallest ``key`` (groups in order)."""
    order = np.lexsort((key, groups))
    return order[run_starts(np.asarray(groups)[order])]


def segment_reach(quiet: np.ndarray, seg_bank: np.ndarray, bank_closed: np.ndarray, *,
                  busy_m: float, quiet_m: float) -> np.ndarray:
    """Reach of a kit on each segment: ``quiet_m`` on little-used banks, ``busy_m``
    elsewhere; every segment of a closed bank takes the bank's smallest (the exact ring
    placement of :func:`planner.core.kits.place` needs one reach per ring)."""
    reach = np.where(quiet, quiet_m, busy_m).astype(float)
    if len(reach) == 0:
        return reach
    starts = run_starts(seg_bank)
    per_seg = np.repeat(np.minimum.reduceat(reach, starts),
                        np.diff(np.r_[starts, len(reach)]))
    return np.where(bank_closed[seg_bank], per_seg, reach)


def reach_at(seg_bank: np.ndarray, s0: np.ndarray, s1: np.ndarray, reach: np.ndarray,
             bank: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Reach of the segment at arc-length ``pos`` of ``bank`` (a bank's segments have equal
    length)."""
    if len(bank) == 0:
        return np.zeros(0)
    starts = run_starts(seg_bank)
    first = np.full(int(seg_bank.max()) + 1, 0)
    first[seg_bank[starts]] = starts
    count = np.bincount(seg_bank, minlength=len(first))
    step = np.maximum(s1[first[bank]] - s0[first[bank]], 1e-9)
    idx = first[bank] + np.clip(np.floor(pos / step), 0, count[bank] - 1).astype(np.int64)
    return reach[idx]


def complete_kits(items: np.ndarray, rope_m: np.ndarray, *, min_rope_m: float) -> np.ndarray:
    """The one rule for a complete "四个一" kit: sign, lifebuoy, rope and pole all present,
    and the rope at least ``min_rope_m`` long (a rope of unknown length counts).

    Parameters
    ----------
    items : ndarray of bool, shape (n, 4)
        Sign, lifebuoy, rope, pole present.
    rope_m : ndarray of float
        Rope length in metres (NaN when unknown).
    """
    items = np.asarray(items, dtype=bool).reshape(-1, 4)
    short = np.asarray(rope_m, dtype=float) < min_rope_m  # NaN compares False
    return items.all(axis=1) & ~short


def risky_bank(seg_hazard: np.ndarray, seg_water: np.ndarray, *, cut: float,
               forced: np.ndarray, water_hazard: np.ndarray, water_has_kit: np.ndarray,
               water_bank_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The bank segments that need a kit within reach, and the waters the one-kit rule adds.

    A segment is risky when its hazard reaches ``cut`` or it is ``forced`` (an access point
    of a high-consequence water). A water whose own hazard reaches ``cut`` but that has no
    kit and no risky segment (鞍山 2023: at least one complete kit per risky water) gets its
    most hazardous segment counted as risky.

    Returns
    -------
    (risky, rule_waters) : ndarray of bool per segment, ndarray of water indices
    """
    risky = (np.asarray(seg_hazard) >= cut) | np.asarray(forced, dtype=bool)
    n = len(water_hazard)
    covered = np.asarray(water_has_kit, dtype=bool).copy()
    covered[seg_water[risky]] = True
    rule = np.flatnonzero((np.asarray(water_hazard) >= cut) & ~covered
                          & (np.asarray(water_bank_m) > 0))
    if len(rule):
        best = first_of_each(seg_water, -np.asarray(seg_hazard, dtype=float))
        risky = risky.copy()
        risky[best[np.isin(seg_water[best], rule)]] = True
    return risky, rule[rule < n]
