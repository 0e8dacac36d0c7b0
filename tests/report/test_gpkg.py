"""Chinese field aliases in planner.gpkg: every field with a known label gets it as its alias
(gpkg_data_columns), once, in every feature table; the schema extension is declared once;
the layers' data are not touched."""

from __future__ import annotations

import sqlite3

import geopandas as gpd
from shapely.geometry import Point

from planner.report._gpkg import add_aliases
from planner.report._labels import label


def _write(path):
    villages = gpd.GeoDataFrame(
        {"village_code": ["1", "2"], "village_name": ["东村", "西村"], "children": [12, 30],
         "sites_care_point": [1, 0], "my_note": ["a", "b"]},
        geometry=[Point(120.5, 32.3), Point(120.6, 32.4)], crs=4326)
    villages.to_file(path, layer="villages", driver="GPKG")
    sites = villages[["village_code", "geometry"]].assign(kind=["care_point", "care_home"])
    sites.to_file(path, layer="proposed_sites", driver="GPKG")
    return {"villages": villages, "proposed_sites": sites}


def test_every_known_field_gets_its_label_once(tmp_path):
    path = tmp_path / "planner.gpkg"
    layers = _write(path)
    expected = {(t, c, label(c)) for t, frame in layers.items() for c in frame.columns
                if c != "geometry" and label(c) != c}
    assert add_aliases(path) == len(expected)
    with sqlite3.connect(path) as con:
        rows = set(con.execute("SELECT table_name, column_name, name FROM gpkg_data_columns"))
        ext = con.execute("SELECT COUNT(*) FROM gpkg_extensions WHERE table_name = "
                          "'gpkg_data_columns'").fetchone()[0]
    assert rows == expected and ext == 1
    assert ("villages", "my_note", "my_note") not in rows
    # again: the same aliases, no second extension row
    assert add_aliases(path) == len(expected)
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT COUNT(*) FROM gpkg_data_columns").fetchone()[0] == \
            len(expected)
        assert con.execute("SELECT COUNT(*) FROM gpkg_extensions WHERE table_name = "
                           "'gpkg_data_columns'").fetchone()[0] == 1
    back = gpd.read_file(path, layer="villages")  # the data as written
    for column in ("village_code", "village_name", "children", "my_note"):
        assert back[column].tolist() == layers["villages"][column].tolist()
