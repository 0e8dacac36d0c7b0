"""Quota progress checked against an independent point-in-polygon count."""

import numpy as np
import pandas as pd
import shapely

from planner.glossary import KINDS
from planner.measure.progress import quota_progress, totals


def _brute_force_built(result, kind, *, provincial):
    """Count facilities of ``kind`` inside each town polygon, one polygon at a time, from
    the accepted facility positions and the town polygons (not the located codes)."""
    fac = result.workspace.facilities
    fac = fac[fac["kind"] == kind]
    if provincial:
        fac = fac[fac["standard"] == "provincial"]
    xy = shapely.get_coordinates(fac.geometry.to_numpy())
    counts = {}
    for town in result.workspace.towns.itertuples():
        inside = shapely.contains_xy(town.geometry, xy[:, 0], xy[:, 1])
        counts[town.town_code] = int(inside.sum())
    return counts


def test_demo_built_counts_equal_point_in_polygon(demo_result):
    progress = demo_result.progress
    standards = demo_result.quota.standards
    for kind in KINDS:
        brute = _brute_force_built(demo_result, kind,
                                   provincial=standards.get(kind) == "provincial")
        got = dict(zip(progress["town_code"], progress[f"built_{kind}"], strict=True))
        assert got == {k: brute[k] for k in got}, kind


def test_demo_required_totals_and_fourteen_towns(demo_result):
    progress = demo_result.progress
    assert len(progress) == 14
    assert progress["required_care_home"].sum() == 14
    assert progress["required_care_point"].sum() == 347
    assert progress["required_social_org"].sum() == 14


def test_missing_and_percent_definitions(demo_result):
    p = demo_result.progress
    for kind in demo_result.quota.kinds:
        req, built = p[f"required_{kind}"], p[f"built_{kind}"]
        assert (p[f"missing_{kind}"] == np.maximum(req - built, 0)).all()
        expected = (100 * np.minimum(built, req) / req).round(1)
        assert np.allclose(p[f"pct_{kind}"], expected)


def test_villages_with_care_point_brute_force(demo_result):
    fac = demo_result.workspace.facilities
    pts = shapely.get_coordinates(fac[fac["kind"] == "care_point"].geometry.to_numpy())
    vill = demo_result.workspace.villages
    has = np.array([shapely.contains_xy(g, pts[:, 0], pts[:, 1]).any()
                    for g in vill.geometry])
    per_town = pd.Series(has, index=vill["town_code"]).groupby(level=0).sum()
    got = demo_result.progress.set_index("town_code")["villages_with_care_point"]
    assert (got == per_town.loc[got.index]).all()


def test_without_quota_every_town_is_listed(mini_result):
    ws = mini_result.workspace
    table = quota_progress(ws.towns, villages=ws.villages, facilities=ws.facilities, quota=None)
    assert table["town_code"].tolist() == ws.towns["town_code"].tolist()
    assert "required_care_home" not in table.columns


def test_mini_standard_respected(mini_result):
    p = mini_result.progress.set_index("town_name")
    assert p.loc["乙水镇", "all_care_home"] == 1  # a basic one exists ...
    assert p.loc["乙水镇", "built_care_home"] == 0  # ... but the quota asks for provincial
    assert totals(mini_result.progress, kinds=["care_home"])["care_home"] == {
        "required": 2, "built": 1, "missing": 1, "percent": 50.0}
