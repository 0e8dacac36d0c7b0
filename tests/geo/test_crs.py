"""The CRS policy: a county's UTM zone, an override, and no geographic or non-metre CRS."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import CRS, Geod

import planner
from planner._errors import CRSError
from planner.geo.crs import WGS84, check_metric, choose_metric_crs, guess_gauss_kruger

#: county centres (lon, lat) well inside their UTM zones
COUNTIES = {"如皋市": (120.57, 32.37), "乌鲁木齐市": (87.62, 43.83), "哈尔滨市": (126.53, 45.80),
            "昆明市": (102.83, 24.88), "三亚市": (109.51, 18.25)}


def _county(lon: float, lat: float, crs=WGS84) -> gpd.GeoSeries:
    box = shapely.box(lon - 0.2, lat - 0.15, lon + 0.2, lat + 0.15)
    return gpd.GeoSeries([box], crs=WGS84).to_crs(crs)


@pytest.mark.parametrize("name", COUNTIES)
def test_county_gets_its_utm_zone(name):
    lon, lat = COUNTIES[name]
    zone = math.floor((lon + 180) / 6) + 1                  # brute force: 6° zones from 180°W
    crs = choose_metric_crs(_county(lon, lat))
    assert crs == CRS.from_epsg(32600 + zone)               # WGS 84 / UTM zone <n>N
    assert crs.is_projected and crs.axis_info[0].unit_name == "metre"


def test_county_in_a_projected_crs_gets_the_same_zone():
    lon, lat = COUNTIES["如皋市"]
    assert choose_metric_crs(_county(lon, lat, crs="EPSG:4549")) == CRS.from_epsg(32651)


def test_distances_in_the_chosen_crs_are_metres_on_the_ground():
    """Within a county the UTM distance is the geodesic distance to better than 0.1 %."""
    lon, lat = COUNTIES["如皋市"]
    crs = choose_metric_crs(_county(lon, lat))
    rng = np.random.default_rng(3)
    a = rng.uniform([lon - 0.2, lat - 0.15], [lon + 0.2, lat + 0.15], size=(20, 2))
    b = rng.uniform([lon - 0.2, lat - 0.15], [lon + 0.2, lat + 0.15], size=(20, 2))
    pa = gpd.GeoSeries(shapely.points(a), crs=WGS84).to_crs(crs)
    pb = gpd.GeoSeries(shapely.points(b), crs=WGS84).to_crs(crs)
    planar = pa.distance(pb).to_numpy()
    geodesic = Geod(ellps="WGS84").inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])[2]
    np.testing.assert_allclose(planar, geodesic, rtol=1e-3)


def test_override_wins_over_the_utm_zone():
    lon, lat = COUNTIES["如皋市"]
    crs = choose_metric_crs(_county(lon, lat), override="EPSG:4549")
    assert crs == CRS.from_epsg(4549)                       # CGCS2000 / 3-degree GK CM 120E


@pytest.mark.parametrize(("override", "message"), [
    ("EPSG:4326", "is geographic: distances would be in degrees"),
    ("EPSG:4490", "is geographic"),                         # CGCS2000 in degrees
    ("EPSG:2227", "not metres"),                            # California zone 3, US feet
    ("not a crs", "is not a CRS"),
])
def test_override_refused_unless_projected_in_metres(override, message):
    lon, lat = COUNTIES["如皋市"]
    with pytest.raises(CRSError, match=message):
        choose_metric_crs(_county(lon, lat), override=override)


def test_check_metric():
    assert check_metric("EPSG:32651", where="x") == CRS.from_epsg(32651)
    with pytest.raises(CRSError, match="the locate CRS has no CRS"):
        check_metric(None, where="the locate CRS")
    with pytest.raises(CRSError, match=r"the placement CRS \(WGS 84\) is geographic"):
        check_metric(WGS84, where="the placement CRS")


def _projection(code: str) -> dict[str, float]:
    """Parameters of a projected CRS's map projection by name."""
    op = CRS.from_user_input(code).coordinate_operation
    return {p.name: p.value for p in op.params}


@pytest.mark.parametrize("zone", [25, 39, 40, 41, 45])
def test_gauss_kruger_zone_from_the_easting(zone):
    x = zone * 1_000_000 + 500_000
    code = guess_gauss_kruger((x - 20_000, 3_500_000, x + 20_000, 3_600_000))
    params = _projection(code)
    assert params["False easting"] == zone * 1_000_000 + 500_000   # zone number in the easting
    assert params["Longitude of natural origin"] == zone * 3      # a 3° zone's meridian


def test_gauss_kruger_without_zone_number_assumes_120e():
    code = guess_gauss_kruger((480_000, 3_550_000, 520_000, 3_600_000))
    assert code == "EPSG:4549"
    assert _projection(code)["Longitude of natural origin"] == 120


def _with_crs(ws, line: str):
    toml = ws / "planner.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace('[workspace]\n', f'[workspace]\n{line}\n', 1), encoding="utf-8")
    return ws


def test_workspace_crs_is_the_utm_zone_or_the_override(mini):
    assert planner.load_workspace(planner.load_settings(mini)).crs == CRS.from_epsg(32651)
    _with_crs(mini, 'crs = "EPSG:4549"')
    assert planner.load_workspace(planner.load_settings(mini)).crs == CRS.from_epsg(4549)


def test_workspace_with_a_geographic_crs_is_refused(mini):
    _with_crs(mini, 'crs = "EPSG:4326"')
    with pytest.raises(CRSError, match="geographic"):
        planner.load_workspace(planner.load_settings(mini))
