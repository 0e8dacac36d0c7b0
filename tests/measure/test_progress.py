"""Quota progress checked against an independent point-in-polygon count."""

import numpy as np
import pandas as pd
import shapely

from planner.glossary import KINDS
from planner.locate.quota import QuotaTable
from planner.measure.progress import quota_progress, totals


def _brute_force_counted(result, kind, *, provincial):
    """What counts toward the quota, from the accepted facility positions and the town and
    village polygons (not the located codes): per town, the villages holding a site of a
    village-level kind, else the sites inside the town polygon."""
    fac = result.workspace.facilities
    fac = fac[fac["kind"] == kind]
    if provincial:
        fac = fac[fac["standard"] == "provincial"]
    xy = shapely.get_coordinates(fac.geometry.to_numpy())
    counts = {}
    if KINDS[kind][1] == "village":
        for town in result.workspace.towns.itertuples():
            counts[town.town_code] = 0
        for vil in result.workspace.villages.itertuples():
            if shapely.contains_xy(vil.geometry, xy[:, 0], xy[:, 1]).any():
                counts[vil.town_code] += 1
        return counts
    for town in result.workspace.towns.itertuples():
        inside = shapely.contains_xy(town.geometry, xy[:, 0], xy[:, 1])
        counts[town.town_code] = int(inside.sum())
    return counts


def test_demo_counted_equal_point_in_polygon(demo_result):
    progress = demo_result.progress
    standards = demo_result.quota.standards
    for kind in KINDS:
        brute = _brute_force_counted(demo_result, kind,
                                     provincial=standards.get(kind) == "provincial")
        got = dict(zip(progress["town_code"], progress[f"counted_{kind}"], strict=True))
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
        req, counted = p[f"required_{kind}"], p[f"counted_{kind}"]
        built = np.minimum(counted, req)
        assert (p[f"built_{kind}"] == built).all()
        assert (p[f"built_{kind}"] + p[f"missing_{kind}"] == req).all()
        assert (p[f"extra_{kind}"] == counted - built).all()
        assert np.allclose(p[f"pct_{kind}"], (100 * built / req).round(1))
    t = totals(p, kinds=list(demo_result.quota.kinds))
    for kind in demo_result.quota.kinds:
        assert t[kind]["built"] + t[kind]["missing"] == t[kind]["required"]
        assert t[kind]["percent"] == round(100 * t[kind]["built"] / t[kind]["required"], 1)


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
    # 丙镇 matches no town: listed with its quota and nothing built, never dropped
    assert p.loc["丙镇", "required_care_home"] == 1 and p.loc["丙镇", "built_care_home"] == 0
    assert totals(mini_result.progress, kinds=["care_home"])["care_home"] == {
        "required": 3, "built": 1, "missing": 2, "extra": 0, "percent": 33.3}


def _small_county():
    """Two towns; town A (quota 2 care points, 1 care home) has two points in village A1
    and one in A2 plus two care homes; town B (quota 3 points) has one point in B1."""
    towns = pd.DataFrame({"town_code": ["A", "B"], "town_name": ["甲镇", "乙镇"]})
    villages = pd.DataFrame({"village_code": ["A1", "A2", "A3", "B1", "B2", "B3"],
                             "town_code": ["A", "A", "A", "B", "B", "B"]})
    facilities = pd.DataFrame({
        "kind": ["care_point", "care_point", "care_point", "care_point", "care_home",
                 "care_home"],
        "village_code": ["A1", "A1", "A2", "B1", "A1", "A3"],
        "town_code": ["A", "A", "A", "B", "A", "A"],
        "standard": ["basic"] * 4 + ["provincial", "provincial"],
    })
    quota = QuotaTable(
        table=pd.DataFrame({"town_code": ["A", "B"], "quota_town": ["甲镇", "乙镇"],
                            "match": ["name", "name"], "required_care_point": [2, 3],
                            "required_care_home": [1, 1]}),
        kinds={"care_point": "required_care_point", "care_home": "required_care_home"},
        standards={"care_home": "provincial"})
    return towns, villages, facilities, quota


def _brute_force(villages, facilities, quota, kind):
    """Per town: (counted, built, extra, missing), one facility and village at a time."""
    out = {}
    for row in quota.table.itertuples():
        req = getattr(row, f"required_{kind}")
        if KINDS[kind][1] == "village":
            counted = sum(1 for v in villages.itertuples() if v.town_code == row.town_code
                          and any(f.kind == kind and f.village_code == v.village_code
                                  for f in facilities.itertuples()))
        else:
            counted = sum(1 for f in facilities.itertuples()
                          if f.kind == kind and f.town_code == row.town_code)
        built = min(counted, req)
        out[row.town_code] = (counted, built, counted - built, req - built)
    return out


def test_two_points_in_one_village_count_once_and_surplus_is_extra():
    towns, villages, facilities, quota = _small_county()
    p = quota_progress(towns, villages=villages, facilities=facilities, quota=quota)
    for kind in quota.kinds:
        got = {r.town_code: (getattr(r, f"counted_{kind}"), getattr(r, f"built_{kind}"),
                             getattr(r, f"extra_{kind}"), getattr(r, f"missing_{kind}"))
               for r in p.itertuples()}
        assert got == _brute_force(villages, facilities, quota, kind), kind
    a = p.set_index("town_code").loc["A"]
    assert a["counted_care_point"] == 2  # A1 (two points) and A2
    assert a["all_care_point"] == 3
    assert (a["built_care_home"], a["extra_care_home"], a["pct_care_home"]) == (1, 1, 100.0)
    t = totals(p, kinds=["care_point", "care_home"])
    # town A is full (2/2), town B has 1/3: 3 of 5, not 4 of 5
    assert t["care_point"] == {"required": 5, "built": 3, "missing": 2, "extra": 0,
                               "percent": 60.0}
    assert t["care_home"] == {"required": 2, "built": 1, "missing": 1, "extra": 1,
                              "percent": 50.0}
