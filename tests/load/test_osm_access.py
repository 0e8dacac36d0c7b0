"""Per-mode access rules of OSM ways (the table in NOTES_i11.md / the README)."""

from __future__ import annotations

import pandas as pd
import pytest

from planner.load.osm import ROAD_COLUMNS, mode_permissions

# highway, tags, walk, drive
CASES = [
    ("residential", {}, True, True),
    ("track", {}, True, True),
    ("motorway", {}, False, True),
    ("footway", {}, True, False),
    ("trail", {}, True, False),
    ("crossing", {}, True, False),
    ("residential", {"foot": "no"}, False, True),
    ("residential", {"motor_vehicle": "no"}, True, False),
    ("residential", {"access": "private"}, False, False),
    ("residential", {"access": "no", "foot": "yes"}, True, False),
    ("service", {"access": "private", "motorcar": "destination"}, False, True),
    ("unclassified", {"vehicle": "no"}, True, False),
    ("unclassified", {"vehicle": "no", "motor_vehicle": "yes"}, True, True),
    ("footway", {"motor_vehicle": "yes"}, True, False),  # the class decides first
    ("primary", {"foot": "use_sidepath"}, False, True),
    ("path", {"access": "no"}, False, False),
]


def test_mode_permissions_table():
    rows = [{c: None for c in ROAD_COLUMNS} | {"highway": hw, **tags}
            for hw, tags, _, _ in CASES]
    walk, drive = mode_permissions(pd.DataFrame(rows, columns=ROAD_COLUMNS))
    for (hw, tags, w, d), gw, gd in zip(CASES, walk, drive, strict=True):
        assert (gw, gd) == (w, d), (hw, tags)


@pytest.mark.parametrize("missing", ["foot", "motorcar"])
def test_missing_tag_columns_count_as_absent(missing):
    df = pd.DataFrame({"highway": ["residential"], "access": ["private"],
                       "foot": ["yes"], "motorcar": ["yes"]}).drop(columns=missing)
    walk, drive = mode_permissions(df)
    assert (walk[0], drive[0]) == (missing != "foot", missing != "motorcar")
