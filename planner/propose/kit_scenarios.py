"""What a budget buys under the plans an officer asks for (``run.json`` ``water.scenarios``).

``optimal``
    the budgeted choice of :func:`planner.propose.kit_budget.plan_budget`: new kits,
    completions and rope replacements compete on value per yuan.
``fix_first``
    "先修复现有器材": every existing kit that is incomplete or has a short rope is made
    whole first (all of them when the budget allows, else the most valuable set of repairs
    the budget buys), and what is left of the budget buys new kits for the risk the repairs
    leave out of reach, by the same rule as the budgeted choice (the access points of
    high-consequence waters first, then the most value).

Each scenario states its new and fixed kits, yuan, remaining yuan, the risk it brings
within reach (hazard-weighted metres and share) and the risky bank (metres) still out of
reach, with the solver's status, method and gap (of the step that was optimised; for
``fix_first`` the larger of its two steps' gaps).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

from planner.core.budget import BudgetSolution, budget_cover, covered_value

#: the scenario keys, in the order of the budget table
SCENARIO_KEYS = ("optimal", "fix_first")


class Reach:
    """The risky bank (metres) an action set leaves out of reach: the elements' lengths
    (the same elements as the values, hazard 1) plus what no action reaches."""

    def __init__(self, metres: np.ndarray, cover: sp.csr_array, unreachable_m: float) -> None:
        self.metres, self.cover = np.asarray(metres, float), cover
        self.before_m = float(self.metres.sum() + unreachable_m)

    def out_of_reach(self, selected: np.ndarray) -> float:
        """Risky metres not within reach once ``selected`` is bought."""
        return round(max(self.before_m - covered_value(self.metres, self.cover, selected),
                         0.0), 1)


def scenario(key: str, selected: np.ndarray, *, values: np.ndarray, cover: sp.csr_array,
             cost: np.ndarray, is_new: np.ndarray, total: float, budget: float,
             reach: Reach, status: str, method: str, gap: float) -> dict[str, Any]:
    """One scenario's figures (see module doc)."""
    sel = np.asarray(selected, dtype=np.int64)
    got = covered_value(values, cover, sel)
    spend = float(cost[sel].sum())
    new = int(is_new[sel].sum())
    return {"key": key, "new_kits": new, "fixed_kits": int(len(sel) - new),
            "yuan": round(spend, 2), "remaining_yuan": round(budget - spend, 2),
            "risk_covered": round(got, 1),
            "risk_covered_share": round(got / total, 4) if total > 0 else 1.0,
            "risky_bank_m_out_of_reach": reach.out_of_reach(sel),
            "status": status, "method": method, "gap": round(float(max(gap, 0.0)), 6)}


def fix_first(values: np.ndarray, cover: sp.csr_array, cost: np.ndarray, *,
              is_new: np.ndarray, budget: float, max_new: int | None,
              full: np.ndarray, must: np.ndarray | None = None,
              new_step: Callable[..., BudgetSolution] | None = None,
              **solver: Any) -> tuple[np.ndarray, str, str, float]:
    """The "fix existing kits first" selection: (selected, status, method, gap).

    Every fix (``~is_new``) is funded when their total fits ``budget``; otherwise the fixes
    that bring the most risk within reach for the budget. New kits then compete for what is
    left, on the risk the fixes leave uncovered; ``full`` (the cheapest full cover) tells
    the solver when the rest of the budget covers everything. ``solver``: the keyword
    arguments of :func:`planner.core.budget.budget_cover`. ``new_step(values, must, cover,
    cost, budget=, max_count=, full=)`` chooses the new kits instead (e.g. the access points
    of high-consequence waters first, ``must`` their value per element, zero where the
    fixes reach).
    """
    fixes = np.flatnonzero(~is_new)
    news = np.flatnonzero(is_new)
    steps: list[BudgetSolution] = []
    if cost[fixes].sum() <= budget:
        chosen = fixes
    else:
        sol = budget_cover(values, cover[:, fixes], cost[fixes], budget=budget, **solver)
        chosen = fixes[sol.selected]
        steps.append(sol)
    left = budget - float(cost[chosen].sum())
    x = np.zeros(cover.shape[1])
    x[chosen] = 1.0
    rest = np.where(cover @ x > 0, 0.0, np.asarray(values, float))
    local = {int(j): i for i, j in enumerate(news)}
    sub_full = np.array([local[int(j)] for j in full if int(j) in local], dtype=np.int64)
    if new_step is not None and must is not None:
        sol = new_step(rest, np.where(rest > 0, must, 0.0), cover[:, news], cost[news],
                       budget=left, max_count=max_new, full=sub_full)
    else:
        sol = budget_cover(rest, cover[:, news], cost[news], budget=left, max_count=max_new,
                           full=sub_full, **solver)
    steps.append(sol)
    selected = np.sort(np.r_[chosen, news[sol.selected]]).astype(np.int64)
    unsure = [s for s in steps if s.status != "optimal"]
    pick = max(unsure or steps, key=lambda s: s.gap)
    return selected, pick.status, pick.method, pick.gap
