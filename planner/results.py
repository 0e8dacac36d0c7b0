"""What a run produces: :class:`RunResult`, handed from the stages to the writers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from planner.core.network import RoadGraph
from planner.locate.quota import QuotaTable
from planner.measure.access import AccessResult
from planner.propose.water_safety import WaterResult
from planner.records.workspace import Workspace


@dataclass
class RunResult:
    """The validated workspace, the tables of every stage and ``run.json``.

    Attributes
    ----------
    workspace : Workspace
        Validated layers, ledger and metric CRS.
    quota : QuotaTable or None
        The matched quota table (``None`` without ``[quota]``).
    progress : pandas.DataFrame
        Quota progress per town (with ``proposed_*``/``*_after_*`` columns once proposed).
    villages : pandas.DataFrame
        Per village: counts, own sites by kind, access columns.
    run : dict
        The content of ``run.json``.
    out : Path or None
        The output folder once written.
    tables : dict
        Further tables (``disagreements``: declared town differs from located town).
    access : AccessResult or None
    proposals : geopandas.GeoDataFrame or None
    water : WaterResult or None
        The water-safety stage's result.
    graph : RoadGraph or None
        The road network the distances were measured on (its lines are drawn on the map).
    """

    workspace: Workspace
    quota: QuotaTable | None
    progress: pd.DataFrame
    villages: pd.DataFrame
    run: dict
    out: Path | None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    access: AccessResult | None = None
    proposals: gpd.GeoDataFrame | None = None
    water: WaterResult | None = None
    graph: RoadGraph | None = None

    @property
    def kinds(self) -> list[str]:
        """The kinds of the quota table (empty without one)."""
        return list(self.quota.kinds) if self.quota is not None else []
