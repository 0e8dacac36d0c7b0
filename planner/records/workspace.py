"""The validated workspace every stage after validation reads: layers in WGS-84, the
metric CRS chosen once for the workspace, and the ledger of what was read.

:func:`planner.validate.intake.load_workspace` builds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd
import shapely
from pyproj import CRS

from planner.records.ledger import Ledger
from planner.settings import Settings


@dataclass
class Workspace:
    """A validated workspace: all layers in WGS-84, the metric CRS and the ledger."""

    settings: Settings
    crs: CRS
    county: shapely.Geometry
    towns: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    extra: dict[str, gpd.GeoDataFrame]
    ledger: Ledger
    findings: list[str] = field(default_factory=list)
    #: towns and villages read but rejected (level, code, name, town_code, town_name): a
    #: site declaring one of them is held out of every count, not credited elsewhere
    rejected_units: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["level", "code", "name", "town_code", "town_name"]))
    #: what the planner derived instead of reading it (``run.json`` ``derived``): layer ->
    #: {"what": ..., "how": ..., "label": Chinese label shown in the outputs}
    derived: dict[str, dict] = field(default_factory=dict)
