"""The water stage on layers as real ones are: a river running out of the county, the same
river as line and polygon, a village point inside a reservoir, a coarse national layer."""

from __future__ import annotations

import datetime as dt

import pytest
import shapely

from planner.measure.risk import WaterConfig
from planner.propose.water_safety import water_safety
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
