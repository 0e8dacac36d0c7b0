"""The ``[map]`` table: offline by default, a known basemap, a 天地图 key of letters and
digits that the 天地图 basemap needs; anything else refused in one line."""

from __future__ import annotations

import pytest

from planner._errors import ConfigError
from planner.settings import BASEMAPS, MapConfig

SOURCE = "planner.toml"
KEY = "0123456789abcdefABCDEF0123456789"


def test_offline_by_default():
    for config in (MapConfig(), MapConfig.from_mapping(None, source=SOURCE),
                   MapConfig.from_mapping({}, source=SOURCE)):
        assert (config.basemap, config.tianditu_key) == ("none", "")
    assert BASEMAPS["none"].endswith("（离线）")


@pytest.mark.parametrize("written", ["osm", " OSM ", "Amap", "none"])
def test_basemap_names_are_read_without_case_or_spaces(written):
    config = MapConfig.from_mapping({"basemap": written}, source=SOURCE)
    assert config.basemap == written.strip().lower() and config.basemap in BASEMAPS


def test_tianditu_with_its_key():
    config = MapConfig.from_mapping({"basemap": "tianditu", "tianditu_key": KEY},
                                    source=SOURCE)
    assert (config.basemap, config.tianditu_key) == ("tianditu", KEY)
    # a key may be given ahead of choosing the basemap
    assert MapConfig.from_mapping({"tianditu_key": KEY}, source=SOURCE).basemap == "none"


@pytest.mark.parametrize(("table", "message"), [
    ({"basemap": "google"}, r"basemap = 'google' is not one of none, osm, tianditu, amap"),
    ({"basemap": 1}, r"basemap = 1 is not one of"),
    ({"basemap": "tianditu"}, r"basemap = \"tianditu\" needs tianditu_key"),
    ({"basemap": "tianditu", "tianditu_key": "abc"}, r"tianditu_key must be the letters"),
    ({"tianditu_key": "0123456789abcdef'><script>"}, r"tianditu_key must be the letters"),
    ({"tianditu_key": 12345678}, r"tianditu_key must be the letters"),
    ({"tianditu_key": "x" * 65}, r"tianditu_key must be the letters"),
    ({"base_map": "osm"}, r"unknown key\(s\) \['base_map'\] in \[map\]; allowed: basemap, "),
])
def test_bad_values_are_refused_in_one_line(table, message):
    with pytest.raises(ConfigError, match=message) as info:
        MapConfig.from_mapping(table, source=SOURCE)
    assert str(info.value).startswith("planner.toml: [map] ") or "unknown key" in str(info.value)
    assert "\n" not in str(info.value)
