"""One validated settings object per run, built once from the workspace's ``planner.toml``.

:func:`load_settings` reads the file, refuses unknown tables and keys (naming the nearest
valid one: ``[qouta]`` -> "did you mean [quota]?"), validates every value and returns a
frozen :class:`Settings`. Every stage receives it (or the part it needs); nothing reads
``planner.toml`` elsewhere. The tables:

``[workspace]`` name, county_code, crs, as_of (the reporting date) · ``[layers.*]`` and
``[[facilities]]`` inputs ·
``[quota]`` the allocation table · ``[aliases]`` quota-table town -> boundary town ·
``[roads]`` OSM file · ``[validate]`` distances · ``[access]`` speeds, and per kind the one
coverage distance and travel mode (coverage and placement alike) · ``[place]`` placement
model, weights, solver limits · ``[water]`` risk, kits, patrols · ``[staff]`` directors per
children · ``[map]`` basemap.
"""

from planner.settings._access_rules import AccessConfig, KindRule
from planner.settings._map import BASEMAPS, MapConfig
from planner.settings._placement import PlaceConfig, village_counts
from planner.settings._toml import (
    KNOWN_LAYERS,
    SECTIONS,
    LayerSpec,
    QuotaSpec,
    Settings,
    load_settings,
    overriding,
    reporting_date,
)
from planner.settings._water_rules import (
    DEFAULT_PATROL,
    DEFAULT_PRICES,
    PatrolFrequency,
    WaterConfig,
)

__all__ = [
    "AccessConfig", "BASEMAPS", "DEFAULT_PATROL", "DEFAULT_PRICES", "KNOWN_LAYERS", "KindRule",
    "LayerSpec",
    "MapConfig", "PatrolFrequency", "PlaceConfig", "QuotaSpec", "SECTIONS", "Settings",
    "WaterConfig", "load_settings", "overriding", "reporting_date", "village_counts",
]
