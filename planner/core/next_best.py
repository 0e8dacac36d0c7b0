"""Next best places: a greedy ranking by value newly covered per yuan (arrays in, arrays out).

Each step takes the option with the most not-yet-covered weight per yuan (ties to the lower
index), then counts its points as covered, so every option's gain is what it adds to those
ranked before it and the gains add up to the change once all are built. Greedy, not an
optimum: the exact choice for a quota is the placement optimiser's
(:mod:`planner.propose.place`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from planner._errors import ModelError


def next_best(cover: sp.csc_array, *, weight: np.ndarray, covered: np.ndarray,
              cost: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``n`` options ranked by weight newly covered per unit of cost.

    Parameters
    ----------
    cover : scipy.sparse.csc_array
        ``(points, options)`` boolean: the option would cover the point.
    weight : numpy.ndarray
        ``(points,)`` weight of each point (children), >= 0.
    covered : numpy.ndarray
        ``(points,)`` bool: already covered.
    cost : numpy.ndarray
        ``(options,)`` cost of each option, > 0.
    n : int
        How many options to rank (fewer when fewer add anything).

    Returns
    -------
    chosen : numpy.ndarray
        Option indices in rank order.
    gain : numpy.ndarray
        Weight each one newly covers.
    """
    cover = sp.csc_array(cover, dtype=bool)
    weight = np.asarray(weight, dtype=float)
    cost = np.asarray(cost, dtype=float)
    if cover.shape != (weight.size, cost.size) or np.asarray(covered).shape != weight.shape:
        raise ModelError("next_best: cover must be (points, options) matching weight and cost")
    if (weight < 0).any() or not (cost > 0).all():
        raise ModelError("next_best: weights must be >= 0 and costs > 0")
    left = np.where(np.asarray(covered, dtype=bool), 0.0, weight)
    chosen, gains = [], []
    for _ in range(max(0, int(n))):
        gain = cover.T.astype(float) @ left
        ratio = gain / cost
        best = int(np.argmax(ratio)) if ratio.size else -1
        if best < 0 or gain[best] <= 0:
            break
        chosen.append(best)
        gains.append(float(gain[best]))
        left[cover[:, [best]].toarray().ravel()] = 0.0
    return np.asarray(chosen, dtype=np.int64), np.asarray(gains, dtype=float)
