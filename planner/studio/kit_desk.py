"""The kit side of the studio: the water layers measured once, the budgeted choice per budget
and unit prices.

Banks, risk, the exact minimum-kits plan and the actions competing for the budget depend on
neither the budget nor the prices, so they are computed once (as the water stage computes
them); the cheapest full plan is kept per prices; each budget or price change runs
the same budgeted choice as ``planner run`` (:func:`planner.propose.water_plan.plan_kits`
without the report's budget curve), and its figures are those of ``run.json``
``water.budget``.
"""

from __future__ import annotations

import ctypes
import gc
import threading
from typing import Any

from planner.core.network import RoadGraph
from planner.glossary import SOLVER_LABELS
from planner.propose.water_geo import water_geo
from planner.propose.water_plan import assess, kit_model, minimum_kits, plan_kits
from planner.propose.water_safety import stage_layers
from planner.records.workspace import Workspace
from planner.settings import WaterConfig

#: the ``water.budget`` figures the studio shows
FIGURES = ("placement", "budget_yuan", "spend_yuan", "remaining_yuan", "new_kits",
           "fixed_kits", "risk_total", "risk_covered", "risk_covered_share", "status", "gap",
           "new_kit_yuan", "prices_yuan")


def release_memory(*, collect: bool = False) -> None:
    """Hand freed memory back to the system (glibc's ``malloc_trim``, a few milliseconds; a
    no-op elsewhere): a server that stays up keeps only what it holds, not the peaks of its
    solves. ``collect`` first runs the garbage collector (slow on a large heap: at start)."""
    if collect:
        gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


class KitDesk:
    """Water measured once; :meth:`figures` per budget and prices (cached by both)."""

    def __init__(self, ws: Workspace, *, graph: RoadGraph | None) -> None:
        settings = ws.settings
        layers, _homes = stage_layers(ws, settings)
        self.geo = water_geo(layers, config=settings.water, graph=graph)
        self.risk = assess(self.geo, config=settings.water, villages=layers.villages)
        self.minimum = minimum_kits(self.geo, self.risk)
        self.actions = kit_model(self.geo, self.risk, config=settings.water,
                                 minimum=self.minimum)
        self._cache: dict[tuple, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def figures(self, config: WaterConfig) -> dict[str, Any]:
        """The budgeted choice's figures for ``config``'s budget and prices."""
        key = (config.placement, config.budget_yuan, config.max_new_kits,
               tuple(sorted(config.prices.items())))
        with self._lock:
            if key not in self._cache:
                plan = plan_kits(self.geo, self.risk, config=config, minimum=self.minimum,
                                 extras=False, actions=self.actions)
                summary = plan.budget.summary
                self._cache[key] = {k: summary.get(k) for k in FIGURES} | {
                    "status_label": SOLVER_LABELS.get(summary.get("status"),
                                                      summary.get("status"))}
            return dict(self._cache[key])
