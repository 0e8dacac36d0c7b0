"""The ``[map]`` table: basemap of the web map, the user's 天地图 key, and the CRS of the
map files (``planner.gpkg``, GeoJSON)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from planner._errors import ConfigError, CRSError
from planner.geo.crs import output_crs

#: basemap code -> Chinese name
BASEMAPS: dict[str, str] = {"none": "无底图（离线）", "osm": "OpenStreetMap", "tianditu": "天地图",
                            "amap": "高德地图"}


@dataclass(frozen=True)
class MapConfig:
    """The ``[map]`` table of ``planner.toml``.

    Attributes
    ----------
    basemap : str
        ``"none"`` (offline, default), ``"osm"``, ``"tianditu"`` or ``"amap"``.
    tianditu_key : str
        The user's 天地图 key (required for ``"tianditu"``).
    output_crs : str
        The CRS of ``planner.gpkg`` and the GeoJSON files: ``"EPSG:4326"`` (WGS-84,
        default), ``"EPSG:4490"`` (CGCS2000) or a CGCS2000 Gauss-Krüger zone
        (:func:`planner.geo.crs.output_crs`).
    """

    basemap: str = "none"
    tianditu_key: str = ""
    output_crs: str = "EPSG:4326"

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None, *, source: str) -> MapConfig:
        """Validate a ``[map]`` table; ``source`` names the file in error messages."""
        data = dict(data or {})
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise ConfigError(f"{source}: unknown key(s) {unknown} in [map]; "
                              "allowed: basemap, tianditu_key, output_crs")
        basemap = data.get("basemap", "none")
        if not isinstance(basemap, str) or basemap.strip().lower() not in BASEMAPS:
            raise ConfigError(f"{source}: [map] basemap = {basemap!r} is not one of "
                              f"{', '.join(BASEMAPS)}; pick one of them")
        basemap = basemap.strip().lower()
        key = data.get("tianditu_key", "")
        if not isinstance(key, str) or (key and not re.fullmatch(r"[0-9A-Za-z]{8,64}", key)):
            raise ConfigError(f"{source}: [map] tianditu_key must be the letters and digits of "
                              "your 天地图 key (from console.tianditu.gov.cn)")
        if basemap == "tianditu" and not key:
            raise ConfigError(f"{source}: [map] basemap = \"tianditu\" needs tianditu_key = "
                              "\"<your key>\"; or use basemap = \"none\"")
        try:
            crs = output_crs(data.get("output_crs", "EPSG:4326"))
        except CRSError as exc:
            raise ConfigError(f"{source}: [map] output_crs = {exc}; use \"EPSG:4326\" "
                              "(WGS-84) or \"EPSG:4490\" (CGCS2000)") from exc
        return cls(basemap=basemap, tianditu_key=key, output_crs=f"EPSG:{crs.to_epsg()}")
