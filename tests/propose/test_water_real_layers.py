"""The water stage on layers as real ones are: a river running out of the county, a great
river people reach whose bank scores below the ponds' cut-off. (The same river as line and
polygon and coarse national layers: tests/validate/test_water_inputs.py; a village point
inside a reservoir: tests/measure/test_homes.py.)"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from planner.glossary import KIT_REASONS
from planner.measure.risk import WaterConfig
from planner.propose.water_safety import water_safety
from planner.validate.water_layer import normalise_water
from tests.propose.test_water_safety import UTM, X0, Y0, _county, _gdf

#: the county of tests.propose.test_water_safety._county (metric)
COUNTY = shapely.box(X0, Y0, X0 + 6000.0, Y0 + 5000.0)


def _stage(water, *, clip=COUNTY, config=None, kits=None, c=None):
    c = c or _county(seed=4)
    return water_safety(water, kits=kits, settlements=c["settlements"], schools=None,
                        towns=c["towns"], villages=c["villages"], crs=UTM,
                        config=config or WaterConfig(), year=2025,
                        today=dt.date(2025, 6, 1), plan_patrols=False, clip=clip)


def test_a_river_running_out_of_the_county_is_measured_inside_it() -> None:
    c = _county(seed=4)
    home = c["settlements"].to_crs(UTM).geometry.iloc[0]
    # 200 m wide, from 20 km west of the county to 20 km east of it, 60 m from a home
    river = shapely.box(X0 - 20_000, home.y + 60, X0 + 26_000, home.y + 260)
    canal = shapely.LineString([(X0 + 3000, Y0 - 9000), (X0 + 3000, Y0 + 14_000)])
    water = _gdf([river, canal], type=["river", "canal"], water_id=["R", "C"])
    res = _stage(water, c=c)
    wr = res.water_risk.set_index("water_id")
    # banks: the two long sides inside the county (the county outline is no bank)
    assert wr.loc["R", "bank_m"] == pytest.approx(2 * 6000, abs=1)
    assert wr.loc["C", "bank_m"] == pytest.approx(5000, abs=1)
    assert wr.loc["R", "area_m2"] == pytest.approx(6000 * 200, rel=1e-6)
    assert wr.loc["R", "high_consequence"]  # 12 km of bank inside, 1.2 km²
    assert not wr.loc["C", "high_consequence"]  # 23 km long, 5 km of it inside
    # kits only inside the county; the bank outside is not counted as risky
    kits = res.proposed_kits.to_crs(UTM).geometry
    assert len(kits) and COUNTY.buffer(1e-6).contains(kits).all()
    seg = res.segments
    assert ((seg["x"] >= X0 - 1e-6) & (seg["x"] <= X0 + 6000 + 1e-6)).all()
    clipped = res.summary["clipped"]
    assert clipped["waters_cut"] == 2
    assert clipped["bank_km_outside"] == pytest.approx(2 * 40 + 0.4 + 18, abs=0.01)
    # without the county every metre counts: the canal becomes high-consequence
    whole = _stage(water, clip=None, c=c).water_risk.set_index("water_id")
    assert whole.loc["R", "bank_m"] == pytest.approx(2 * 46_000 + 400, abs=1)
    assert whole.loc["C", "high_consequence"]


def test_a_great_river_people_reach_gets_kits_at_its_access_points_whatever_the_tiers():
    """A 700 m wide river inside the county, 300 m from a hamlet: its bank scores below the
    ponds' cut-off (band 0.6 at 300 m), yet it gets kits where people reach it, under the
    share tiers and the fixed cut-offs alike; the plan moves by a small factor at +-10 %."""
    from scripts.synth.water import synth_water

    c = _county(seed=1)
    lay = synth_water(c["county"], villages=c["villages"], settlements=c["settlements"],
                      crs=UTM, seed=1)
    rivers = lay["water"]["type"].astype(str).isin(["river", "河流"])
    river = shapely.box(X0 - 2000, Y0 + 200, X0 + 8000, Y0 + 900)
    ponds = normalise_water(lay["water"][~rivers.to_numpy()]).to_crs(UTM)
    water = gpd.GeoDataFrame(pd.concat([ponds, normalise_water(_gdf(
        [river], type=["river"], name=["大江"], water_id=["BIG"]))], ignore_index=True),
        crs=UTM)
    hamlet = c["settlements"].iloc[:1].to_crs(UTM).assign(
        geometry=[shapely.Point(X0 + 3000, Y0 + 1200)], children=60, settlement_id="H")
    c["settlements"] = gpd.GeoDataFrame(pd.concat([c["settlements"].to_crs(UTM), hamlet],
                                                  ignore_index=True), crs=UTM)
    res = {mode: _stage(water, c=c, kits=lay["kits"], config=WaterConfig(tier_mode=mode))
           for mode in ("share", "score")}
    for mode, r in res.items():
        wr = r.water_risk.set_index("water_id")
        big = wr.loc["BIG"]
        assert big["high_consequence"] and big["tier"] == "A", mode
        assert big["home_m"] == pytest.approx(300, abs=1)
        seg = r.segments[r.segments["water_id"] == "BIG"]
        assert seg["access_point"].any() and seg.loc[seg["access_point"], "risky"].all()
        assert big["kits_new"] >= 1, mode  # the default budget buys them
        kits = r.proposed_kits
        on_big = kits[kits["water_id"] == "BIG"]
        assert on_big["reason"].str.contains(KIT_REASONS["access"]).any()
    # a tight budget still goes to the access points first (ponds score higher per yuan)
    tight = _stage(water, c=c, kits=lay["kits"], config=WaterConfig(budget_yuan=3 * 1040.0))
    acc = tight.summary["budget"]["access_points"]
    assert tight.summary["budget"]["method"].startswith("access_first")
    assert tight.water_risk.set_index("water_id").loc["BIG", "kits_new"] >= 1
    assert acc["first_yuan"] > 0 and acc["covered_share"] > 0
    assert tight.summary["budget"]["spend_yuan"] <= 3 * 1040.0
    # its bank alone would not be risky under the share tiers: the ponds set the cut-off
    share = res["share"]
    seg = share.segments[share.segments["water_id"] == "BIG"]
    assert seg["hazard"].max() < share.summary["tier_cutoffs"]["B"]
    # the plan moves by a small factor when the cut-offs move by 10 %
    sens = share.summary["sensitivity"]
    kits = [s["min_new_kits"] for s in sens] + [
        share.summary["budget"]["full_coverage"]["min_new_kits"]]
    assert [s["cut_factor"] for s in sens] == [0.9, 1.1]
    assert max(kits) <= 3 * min(kits)
    assert all(0 <= s["risk_covered_share"] <= 1 for s in sens)


def test_human_locators_name_a_water_by_its_name_or_where_it_is():
    from planner.propose.water_names import distance_words, water_locators

    v1 = shapely.box(X0, Y0, X0 + 2000, Y0 + 2000)          # 东陈村, centre (1000, 1000)
    v2 = shapely.box(X0 + 2000, Y0, X0 + 4000, Y0 + 2000)   # 西陈村
    villages = gpd.GeoDataFrame({"village_name": ["东陈村", "西陈村"]}, geometry=[v1, v2],
                                crs=UTM)
    seat = shapely.point_on_surface(v1)

    def pond(dx, dy):
        return shapely.box(seat.x + dx - 10, seat.y + dy - 10, seat.x + dx + 10, seat.y + dy + 10)

    geoms = np.array([
        pond(141, -141),                                    # 200 m to the south-east
        pond(0, 640),                                       # 640 m north
        pond(0, 640),                                       # the same place again
        pond(-20, 10),                                      # at the centre
        shapely.LineString([(X0 + 100, Y0 + 50), (X0 + 3900, Y0 + 50)]),  # named, shared
        shapely.LineString([(X0 + 2100, Y0 + 1900), (X0 + 3900, Y0 + 1900)]),
        shapely.box(X0 + 2500, Y0 + 500, X0 + 2600, Y0 + 600),
    ], dtype=object)
    names = np.array(["", "", "", "", "如海河", "如海河", "如意湖"], dtype=object)
    types = np.array(["坑塘", "坑塘", "坑塘", "坑塘", "河流", "河流", "湖泊"], dtype=object)
    out = water_locators(geoms, names=names, type_labels=types, places=villages, crs=UTM)
    assert list(out) == [
        "东陈村中心东南约 200 米的坑塘", "东陈村中心北约 650 米的坑塘（之 1）",
        "东陈村中心北约 650 米的坑塘（之 2）", "东陈村中心附近的坑塘",
        "如海河（东陈村）", "如海河（西陈村）", "如意湖"]
    assert [distance_words(d) for d in (4, 86, 640, 1234)] == ["10 米", "90 米", "650 米",
                                                              "1.2 公里"]
    # a brute-force compass: the sector of every bearing
    for deg, word in ((0, "北"), (44, "东北"), (90, "东"), (181, "南"), (260, "西"),
                      (316, "西北")):
        dx, dy = 300 * np.sin(np.radians(deg)), 300 * np.cos(np.radians(deg))
        got = water_locators(np.array([pond(dx, dy)], dtype=object), names=np.array([""]),
                             type_labels=np.array(["沟渠"]), places=villages, crs=UTM)[0]
        assert got == f"东陈村中心{word}约 300 米的沟渠", (deg, got)
