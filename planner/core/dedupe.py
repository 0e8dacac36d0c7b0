"""Find repeated records among points in bounded memory.

A record ``j`` repeats an earlier record ``i < j`` of the same kind when both carry the
same non-blank name within ``within`` metres, or lie within ``touch`` metres whatever their
names. For every ``j`` the earliest such ``i`` is returned.

All-pairs searches (``cKDTree.query_pairs``) need memory for every close pair, which is
quadratic when many records share a position (a list pasted many times). Here exact
copies (same kind, name and position to the centimetre) are collapsed first, by sorting;
the remaining points are searched in chunks whose number of close pairs is counted
(``count_neighbors``) before they are listed (``sparse_distance_matrix``), so no chunk
holds more than ``budget`` pairs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

#: most close pairs listed at once (3 numbers each: about 24 bytes a pair)
PAIR_BUDGET = 4_000_000


def duplicate_of(xy: np.ndarray, kind: np.ndarray, name: np.ndarray, *, within: float,
                 touch: float = 1.0, budget: int = PAIR_BUDGET,
                 chunk: int = 65_536) -> tuple[np.ndarray, np.ndarray]:
    """The earliest earlier record each record repeats.

    Parameters
    ----------
    xy : (n, 2) float array
        Positions in metres.
    kind, name : (n,) arrays
        Kind codes and names; a blank name (``""``) never matches by name.
    within : float
        Distance (m) within which records of the same kind and name are one record.
    touch : float
        Distance (m) within which records of the same kind are one record whatever
        their names.
    budget : int
        The most close pairs held in memory at once.

    Returns
    -------
    (dup_of, dist) : arrays of length n
        ``dup_of[j]`` is the index of the earliest record ``j`` repeats, ``-1`` if none;
        ``dist[j]`` the distance between them (NaN if none).
    """
    n = len(xy)
    dup_of = np.full(n, -1, dtype=np.int64)
    dist = np.full(n, np.nan)
    if n < 2:
        return dup_of, dist
    kind_c = pd.factorize(pd.Series(kind, dtype=object))[0]
    name_s = pd.Series(name, dtype=object).fillna("").astype(str)
    name_c = pd.factorize(name_s)[0]
    name_c[(name_s == "").to_numpy()] = -1
    # 1. exact copies: the first of each (kind, name, position) stands for the others
    key = pd.DataFrame({"k": kind_c, "n": name_c, "x": np.round(xy[:, 0], 2),
                        "y": np.round(xy[:, 1], 2)})
    group = key.groupby(["k", "n", "x", "y"], sort=False).ngroup().to_numpy()
    _, first_idx, inverse = np.unique(group, return_index=True, return_inverse=True)
    first = first_idx[inverse]  # the first record with the same key, for every record
    reps = np.flatnonzero(first == np.arange(n))  # ascending: earlier records first
    # 2. representatives against earlier representatives: same kind and name within
    # ``within`` (each (kind, name) group shifted far from the others, so that one tree
    # search finds only pairs inside a group), and same kind within ``touch``
    rxy, rk, rn = xy[reps], kind_c[reps], name_c[reps]
    named = np.flatnonzero(rn >= 0)
    groups = pd.factorize(rk[named].astype(np.int64) * (int(rn.max()) + 1)
                          + rn[named])[0]
    by_name, by_name_d = _earliest(_shift(rxy[named], groups, within), radius=within,
                                   budget=budget, chunk=chunk)
    by_touch, by_touch_d = _earliest(_shift(rxy, rk, touch), radius=touch, budget=budget,
                                     chunk=chunk)
    rep_dup = np.where(by_touch >= 0, by_touch, len(reps))
    rep_dist = by_touch_d.copy()
    cand = np.where(by_name >= 0, named[np.maximum(by_name, 0)], len(reps))
    better = cand < rep_dup[named]
    rep_dup[named[better]] = cand[better]
    rep_dist[named[better]] = by_name_d[better]
    rep_dup = np.where(rep_dup < len(reps), reps[np.minimum(rep_dup, len(reps) - 1)], -1)
    dup_of[reps] = rep_dup
    dist[reps] = rep_dist
    # 3. a copy repeats whatever its representative repeats, else the representative
    copies = np.flatnonzero(first != np.arange(n))
    if copies.size:
        f = first[copies]
        earlier = dup_of[f]
        dup_of[copies] = np.where(earlier >= 0, earlier, f)
        dist[copies] = np.where(earlier >= 0, dist[f],
                                np.hypot(*(xy[copies] - xy[f]).T))
    return dup_of, dist


def _shift(xy: np.ndarray, group: np.ndarray, radius: float) -> np.ndarray:
    """Move each group of points far (more than ``radius``) from every other group."""
    if not len(xy):
        return xy
    span = float(np.ptp(xy[:, 0])) + 10.0 * radius + 1.0
    out = xy - xy.min(axis=0)
    out[:, 0] += group.astype(float) * span
    return out


def _keep_earliest(best: np.ndarray, best_d: np.ndarray, q: np.ndarray, p: np.ndarray,
                   d: np.ndarray) -> None:
    """Record, for every later point ``q``, its earliest earlier partner ``p < q``."""
    ok = p < q
    q, p, d = q[ok], p[ok], d[ok]
    if not q.size:
        return
    order = np.lexsort((p, q))
    q, p, d = q[order], p[order], d[order]
    head = np.unique(q, return_index=True)[1]
    q, p, d = q[head], p[head], d[head]
    improve = (best[q] < 0) | (p < best[q])
    best[q[improve]] = p[improve]
    best_d[q[improve]] = d[improve]


def _earliest(xy: np.ndarray, *, radius: float, budget: int, chunk: int
              ) -> tuple[np.ndarray, np.ndarray]:
    """For every point, the earliest earlier point within ``radius`` (``-1`` if none) and
    its distance, listing at most ``budget`` close pairs at a time."""
    n = len(xy)
    best = np.full(n, -1, dtype=np.int64)
    best_d = np.full(n, np.nan)
    if n < 2:
        return best, best_d
    tree = cKDTree(xy)
    total = (int(tree.count_neighbors(tree, radius)) - n) // 2  # close pairs, no listing
    if total <= budget:
        pairs = tree.query_pairs(radius, output_type="ndarray").astype(np.int64)
        p, q = pairs.min(axis=1), pairs.max(axis=1)
        _keep_earliest(best, best_d, q, p, np.hypot(*(xy[p] - xy[q]).T))
        return best, best_d
    # too many close pairs to list at once: spatially compact chunks, counted first
    order = np.argsort(xy[:, 0], kind="stable")
    start, size = 0, min(chunk, max(1, int(n * budget / total)))
    while start < n:
        stop = min(n, start + size)
        sub = cKDTree(xy[order[start:stop]])
        pairs = sub.count_neighbors(tree, radius)
        if pairs > budget and stop - start > 1:
            size = max(1, int((stop - start) * budget / pairs))
            continue
        found = sub.sparse_distance_matrix(tree, radius, output_type="ndarray")
        q = order[found["i"].astype(np.int64) + start]
        p = found["j"].astype(np.int64)
        _keep_earliest(best, best_d, q, p, found["v"])
        start = stop
    return best, best_d
