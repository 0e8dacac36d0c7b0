"""build_demo --province: every county-level unit has an outline (real or approximate) and
a quota table by the 如皋 rule."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from scripts.synth.demo import REFERENCE, NoOutlineError, county_outline
from scripts.synth.province import approximate_outline, county_codes, rule_quota


def test_every_unit_has_an_outline_or_an_approximate_one():
    reference = set(gpd.read_file(REFERENCE / "jiangsu_counties_gcj02.geojson")["county_code"])
    codes = county_codes()
    assert len(codes) == 104
    missing = sorted(set(codes) - reference)
    assert missing == ["320371", "320576", "320671", "320771", "320871", "320971",
                       "321071", "321171", "321371"]
    with pytest.raises(NoOutlineError):
        county_outline("321371")


@pytest.mark.parametrize("code", ["321371", "320576"])
def test_approximate_outline_area_and_place(code):
    div = pd.read_csv(REFERENCE / "jiangsu_divisions.csv", dtype=str)
    outlines = gpd.read_file(REFERENCE / "jiangsu_counties_gcj02.geojson")
    city = outlines[outlines["county_code"].str[:4] == code[:4]]
    geom, name, note = approximate_outline(code)
    assert name == div.loc[div["county_code"] == code, "county_name"].iloc[0]
    assert "APPROXIMATE" in note and shapely.get_type_id(geom) in (3, 6) and geom.is_valid
    frame = gpd.GeoSeries([geom], crs=4326)
    crs = frame.estimate_utm_crs()
    # brute force: the city's area per village times the unit's villages (GCJ-02 offsets
    # of a few hundred metres change the area by well under 1%)
    city_area = gpd.GeoSeries(city.geometry.to_numpy(), crs=4326).to_crs(crs).area.sum()
    n_city = div["county_code"].isin(city["county_code"]).sum()
    target = city_area / n_city * (div["county_code"] == code).sum()
    area = frame.to_crs(crs).area.iloc[0]
    assert 0.5 * target <= area <= 1.01 * target
    first = gpd.GeoSeries([city.sort_values("county_code").geometry.iloc[0]], crs=4326)
    assert frame.to_crs(crs).iloc[0].intersects(first.to_crs(crs).iloc[0])


def test_rule_quota_one_row_per_town():
    div = pd.read_csv(REFERENCE / "jiangsu_divisions.csv", dtype=str)
    mine = div[div["county_code"] == "320971"]
    table = rule_quota("320971")
    assert sorted(table["town_name"]) == sorted(mine["town_name"].unique())
    assert table["village_care_points"].sum() == len(mine)
    assert np.all(table["care_home_provincial_standard"] == 1)
    assert np.all(table["child_service_social_orgs"] == 1)
