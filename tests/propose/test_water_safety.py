"""The water-safety stage end to end, on synthetic layers (the water and kit layers
themselves: tests/validate/test_water_layer.py)."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import CRS
from scipy.spatial import cKDTree

from planner.measure.risk import WaterConfig
from planner.propose.water_safety import water_safety
from planner.validate.water_layer import banks, normalise_kits, normalise_water
from scripts.synth.water import synth_water

UTM = CRS.from_epsg(32651)
X0, Y0 = 250_000.0, 3_580_000.0


def _gdf(geoms, crs=UTM, **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(cols, geometry=list(geoms), crs=crs)


def _county(n_towns: int = 2, villages_per_town: int = 3, homes_per_village: int = 5,
            seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    w, h = 6000.0, 5000.0
    towns, vil, homes = [], [], []
    for t in range(n_towns):
        tb = shapely.box(X0 + t * w / n_towns, Y0, X0 + (t + 1) * w / n_towns, Y0 + h)
        towns.append((f"T{t}", f"{t}镇", tb))
        for v in range(villages_per_town):
            vx = rng.uniform(tb.bounds[0] + 300, tb.bounds[2] - 300)
            vy = rng.uniform(Y0 + 1500, Y0 + h - 300)
            vil.append((f"V{t}{v}", f"{t}{v}村", f"T{t}", f"{t}镇",
                        shapely.box(vx - 400, vy - 400, vx + 400, vy + 400)))
            for s in range(homes_per_village):
                homes.append((f"S{t}{v}{s}", f"V{t}{v}", int(rng.integers(5, 40)),
                              int(rng.integers(0, 8)), int(rng.integers(0, 10)),
                              shapely.Point(vx + rng.normal(0, 250), vy + rng.normal(0, 250))))

    def wgs(g):
        return gpd.GeoSeries(g, crs=UTM).to_crs("EPSG:4326").to_numpy()

    tdf = gpd.GeoDataFrame({"town_code": [t[0] for t in towns],
                            "town_name": [t[1] for t in towns]},
                           geometry=wgs([t[2] for t in towns]), crs="EPSG:4326")
    sdf = gpd.GeoDataFrame({"settlement_id": [x[0] for x in homes],
                            "village_code": [x[1] for x in homes],
                            "children": [x[2] for x in homes], "under5": [x[3] for x in homes],
                            "left_behind": [x[4] for x in homes]},
                           geometry=wgs([x[5] for x in homes]), crs="EPSG:4326")
    kids = sdf.groupby("village_code")["children"].sum()
    vdf = gpd.GeoDataFrame({"village_code": [v[0] for v in vil],
                            "village_name": [v[1] for v in vil],
                            "town_code": [v[2] for v in vil], "town_name": [v[3] for v in vil]},
                           geometry=wgs([v[4] for v in vil]), crs="EPSG:4326")
    vdf["children"] = kids.reindex(vdf["village_code"]).to_numpy()
    county = wgs([shapely.box(X0, Y0, X0 + w, Y0 + h)])[0]
    return {"towns": tdf, "villages": vdf, "settlements": sdf, "county": county}


def test_synth_water_is_realistic_and_deterministic() -> None:
    c = _county()
    a = synth_water(c["county"], villages=c["villages"], settlements=c["settlements"],
                    crs=UTM, seed=7)
    b = synth_water(c["county"], villages=c["villages"], settlements=c["settlements"],
                    crs=UTM, seed=7)
    for k in ("water", "kits", "schools"):
        assert a[k].crs.to_epsg() == 4326
        pd.testing.assert_frame_equal(a[k].to_wkb(), b[k].to_wkb())
    types = a["water"]["type"].value_counts()
    assert types["pond"] > 2 * len(c["settlements"]) and types["ditch"] > 0
    assert types["canal"] >= 3 and types["river"] == 1
    assert (a["water"].loc[a["water"]["type"] == "river", "name"] == "长江").all()
    k = normalise_kits(a["kits"])
    assert (~k["complete"]).any() and k["complete"].any()
    assert a["schools"]["name"].str.endswith("中心小学").sum() == len(c["towns"])
    other = synth_water(c["county"], villages=c["villages"], settlements=c["settlements"],
                        crs=UTM, seed=8)
    assert len(other["water"]) != len(a["water"]) or \
        not other["water"].geometry.geom_equals(a["water"].geometry).all()


#: the minimum-kits full-coverage plan with fixed tier cut-offs (the option these tests check)
FULL = WaterConfig(placement="full", tier_mode="score")


@pytest.fixture(scope="module")
def stage():
    c = _county()
    lay = synth_water(c["county"], villages=c["villages"], settlements=c["settlements"],
                      crs=UTM, seed=1)
    res = water_safety(lay["water"], kits=lay["kits"], settlements=c["settlements"],
                       schools=lay["schools"], towns=c["towns"], crs=UTM, config=FULL,
                       year=2025, today=dt.date(2025, 6, 1))
    return c, lay, res


def test_no_risky_bank_point_out_of_reach_after_placement(stage) -> None:
    c, lay, res = stage
    assert res.summary["uncovered_risky_bank_m_before"] > 0
    assert res.summary["uncovered_risky_bank_m_after"] == 0
    # independent check in plain geometry: sample every risky segment every metre and
    # measure the straight-line distance to the kits (existing ones net of their offset)
    w = normalise_water(lay["water"])
    b = banks(w, crs=UTM)
    seg = res.segments[res.segments["risky"]]
    assert len(seg) > 50
    n = np.maximum(2, np.ceil(seg["s1_m"] - seg["s0_m"]).astype(int) + 1).to_numpy()
    rep = np.repeat(np.arange(len(seg)), n)
    frac = (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)) / np.repeat(n - 1, n)
    pos = seg["s0_m"].to_numpy()[rep] + frac * (seg["s1_m"] - seg["s0_m"]).to_numpy()[rep]
    pts = shapely.get_coordinates(
        shapely.line_interpolate_point(b.geometry[seg["bank"].to_numpy()[rep]], pos))
    new = shapely.get_coordinates(res.proposed_kits.to_crs(UTM).geometry.to_numpy())
    old = normalise_kits(lay["kits"]).to_crs(UTM)
    old_xy = shapely.get_coordinates(old.geometry.to_numpy())
    offset = shapely.distance(old.geometry.to_numpy(),
                              shapely.STRtree(b.geometry).geometries.take(
                                  shapely.STRtree(b.geometry).query_nearest(
                                      old.geometry.to_numpy(), all_matches=False)[1]))
    kit_xy = np.r_[new, old_xy]
    slack = np.r_[np.zeros(len(new)), offset]
    near = cKDTree(kit_xy).query_ball_point(pts, r=300.0)
    reach = seg["reach_m"].to_numpy()[rep]
    worst = max(min((np.hypot(*(kit_xy[j] - p)) - slack[j] for j in ks), default=np.inf) - rr
                for p, ks, rr in zip(pts, near, reach, strict=True))
    assert worst <= 0.05


def test_outputs_and_summary(stage) -> None:
    c, lay, res = stage
    wr = res.water_risk
    assert wr["rank"].tolist() == list(range(1, len(wr) + 1))
    assert wr["score"].is_monotonic_decreasing
    for col in ("type_factor", "proximity", "exposure", "protection", "hazard", "tier_label",
                "children_500", "uncovered_risky_m_before", "uncovered_risky_m_after"):
        assert col in wr
    np.testing.assert_allclose(wr["score"], 100 * wr["type_factor"] * wr["proximity"]
                               * wr["exposure"] * wr["protection"], atol=1e-2)
    s = res.summary
    assert sum(s["risky_waters_by_tier"].values()) == (wr["tier"] != "N").sum()
    pk = res.proposed_kits
    assert s["proposed_kits"] == (pk["status"] == "new").sum() > 0
    assert s["requisition"]["signs"] == int(pk["need_sign"].sum())
    assert s["requisition"]["rope_m"] == 30.0 * pk["need_rope"].sum()
    assert res.requisition["new_kits"].sum() == s["proposed_kits"]
    assert set(res.requisition["town_code"]) <= set(c["towns"]["town_code"])
    g = res.gaps_by_town
    assert g["uncovered_risky_m_before"].sum() == pytest.approx(
        s["uncovered_risky_bank_m_before"], abs=1)
    assert len(res.patrol_plan) > 0 and set(res.patrol_plan["method"]) == {"straight_line"}
    assert s["existing_kits"]["inspection_overdue"] < len(lay["kits"])
    # a kit on every water body whose hazard makes it risky
    risky = wr["hazard"] >= FULL.risky_min
    assert (wr.loc[risky, ["kits_complete", "kits_partial", "kits_new"]].sum(axis=1) > 0).all()


def test_existing_complete_kits_reduce_the_gap() -> None:
    c = _county(n_towns=1, villages_per_town=1, homes_per_village=4, seed=3)
    home = c["settlements"].to_crs(UTM).geometry.iloc[0]
    pond = shapely.box(home.x + 20, home.y, home.x + 70, home.y + 50)  # 200 m bank, near home
    water = _gdf([pond], type=["pond"])
    kit_pt = shapely.Point(home.x + 20, home.y + 25)
    kw = dict(settlements=c["settlements"], schools=None, towns=c["towns"], crs=UTM,
              config=FULL, year=2025, today=dt.date(2025, 6, 1), plan_patrols=False)
    none = water_safety(water, kits=None, **kw)
    one = water_safety(water, kits=_gdf([kit_pt]), **kw)
    partial = water_safety(water, kits=_gdf([kit_pt], has_sign=[True], has_lifebuoy=[False],
                                            has_rope=[True], has_pole=[True]), **kw)
    assert none.summary["uncovered_risky_bank_m_before"] == pytest.approx(200, abs=0.5)
    assert none.summary["proposed_kits"] == 2  # 200 m ring, reach 50 m: 2 kits
    assert one.summary["uncovered_risky_bank_m_before"] == pytest.approx(100, abs=0.5)
    assert one.summary["proposed_kits"] == 1
    assert one.water_risk["score"].iat[0] < none.water_risk["score"].iat[0]
    # a partial kit does not protect yet but counts once completed
    assert partial.summary["uncovered_risky_bank_m_before"] == pytest.approx(200, abs=0.5)
    assert partial.summary["proposed_kits"] == 1 and partial.summary["completed_kits"] == 1
    assert partial.summary["requisition"]["lifebuoys"] == 2
    assert partial.summary["requisition"]["signs"] == 1


def test_distances_and_children_match_brute_force(stage) -> None:
    c, lay, res = stage
    cfg = FULL
    homes = c["settlements"].to_crs(UTM)
    hxy = shapely.get_coordinates(homes.geometry.to_numpy())
    wc = homes["children"] + homes["under5"] + 0.5 * homes["left_behind"]
    seg = res.segments
    d = np.hypot(seg["x"].to_numpy()[:, None] - hxy[None, :, 0],
                 seg["y"].to_numpy()[:, None] - hxy[None, :, 1])
    np.testing.assert_allclose(seg["home_m"], d.min(axis=1), atol=0.06)
    bands = np.where(d <= 100, 1.0, np.where(d <= 500, 0.6, 0.0))
    np.testing.assert_allclose(seg["weighted_children"], bands @ wc.to_numpy(), atol=0.01)
    w = normalise_water(lay["water"]).to_crs(UTM).set_index("water_id")
    wr = res.water_risk.set_index("water_id")
    dw = shapely.distance(w.geometry.to_numpy()[:, None], homes.geometry.to_numpy()[None, :])
    np.testing.assert_allclose(wr.loc[w.index, "home_m"], dw.min(axis=1), atol=0.06)
    kids = np.where(dw <= cfg.far_m, 1.0, 0.0) @ homes["children"].to_numpy()
    np.testing.assert_allclose(wr.loc[w.index, "children_500"], kids)
