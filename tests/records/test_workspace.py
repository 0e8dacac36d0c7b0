"""The validated workspace every later stage reads: every layer in WGS-84, one metric CRS
in which distances are true (checked against geodesic distances on the ellipsoid), and a
ledger that accounts for each layer's records."""

from __future__ import annotations

import itertools

import numpy as np
import pyproj
import pytest
import shapely

import planner
from planner.records.workspace import Workspace
from tests.conftest import MINI

GEOD = pyproj.Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def mini_ws() -> Workspace:
    ws, _quota = planner.check(planner.load_settings(MINI))
    return ws


def _layers(ws: Workspace) -> dict:
    """The workspace's layers with geometry (the staff table is a table of counts only)."""
    return {"towns": ws.towns, "villages": ws.villages, "facilities": ws.facilities,
            **{k: v for k, v in ws.extra.items() if hasattr(v, "geometry")}}


def _check(ws: Workspace) -> None:
    assert isinstance(ws, Workspace)
    for name, frame in _layers(ws).items():
        assert frame.crs is not None and frame.crs.to_epsg() == 4326, name
        b = frame.total_bounds
        assert 73 <= b[0] <= b[2] <= 136 and 3 <= b[1] <= b[3] <= 54, name  # inside China
    assert ws.crs.is_projected and ws.crs.axis_info[0].unit_name == "metre"
    assert shapely.is_valid(ws.county) and ws.county.area > 0
    # every accepted record of a layer is in its frame; each file balances
    counts = ws.ledger.counts
    for name in ("towns", "villages"):
        (file,) = [f for (layer, f) in counts if layer == name]
        assert counts[(name, file)]["accepted"] == len(getattr(ws, name))
    facilities = sum(c["accepted"] for (layer, _f), c in counts.items() if layer == "facilities")
    assert facilities == len(ws.facilities)
    assert ws.ledger.reconcile() == []


def _distances_are_true(ws: Workspace, points) -> None:
    """Distances measured in the workspace's CRS equal geodesic ones within 0.1 %."""
    to_metric = pyproj.Transformer.from_crs(4326, ws.crs, always_xy=True)
    for a, b in itertools.combinations(points, 2):
        _az, _baz, true = GEOD.inv(a.x, a.y, b.x, b.y)
        (xa, xb), (ya, yb) = to_metric.transform([a.x, b.x], [a.y, b.y])
        assert np.hypot(xa - xb, ya - yb) == pytest.approx(true, rel=1e-3)


def test_mini_workspace(mini_ws):
    _check(mini_ws)
    assert mini_ws.crs.to_epsg() == 32651  # UTM 51N for 120.5-120.6 E
    _distances_are_true(mini_ws, list(mini_ws.facilities.geometry) +
                        list(mini_ws.villages.geometry.representative_point()))


def test_demo_workspace_with_its_extra_layers(demo_result):
    ws = demo_result.workspace
    _check(ws)
    assert {"water", "kits", "settlements", "schools", "staff"} <= set(ws.extra)
    corners = shapely.points(shapely.get_coordinates(shapely.envelope(ws.county))[:4])
    _distances_are_true(ws, list(corners))  # across the whole county
