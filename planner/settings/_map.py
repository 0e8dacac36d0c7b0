"""The ``[map]`` table: basemap of the web map and the user's 天地图 key."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from planner._errors import ConfigError

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
    """

    basemap: str = "none"
    tianditu_key: str = ""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None, *, source: str) -> MapConfig:
        """Validate a ``[map]`` table; ``source`` names the file in error messages."""
        data = dict(data or {})
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise ConfigError(f"{source}: unknown key(s) {unknown} in [map]; "
                              "allowed: basemap, tianditu_key")
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
        return cls(basemap=basemap, tianditu_key=key)
