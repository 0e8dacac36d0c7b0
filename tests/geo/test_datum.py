"""Datum conversion against published reference points and round trips."""

import numpy as np
import pytest
import shapely

from planner._errors import DatumError
from planner.geo.datum import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    normalise_datum,
    transform_geometry,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

# (wgs lon, wgs lat, gcj lon, gcj lat): eviltransform's test points (Shanghai, Shenzhen,
# Beijing) and the wandergis/coordtransform README example.
WGS_GCJ = [
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),
    (116.404, 39.915, 116.41024449916938, 39.91640428150164),
]
# GCJ-02 -> BD-09, wandergis/coordtransform README
GCJ_BD = [(116.404, 39.915, 116.41036949371029, 39.92133699351021)]


def _metres(dlon, dlat, lat):
    return np.hypot(dlon * 111320 * np.cos(np.radians(lat)), dlat * 110540)


@pytest.mark.parametrize(("wlon", "wlat", "glon", "glat"), WGS_GCJ)
def test_wgs84_to_gcj02_matches_published_points(wlon, wlat, glon, glat):
    lon, lat = wgs84_to_gcj02(wlon, wlat)
    assert lon == pytest.approx(glon, abs=1e-9)
    assert lat == pytest.approx(glat, abs=1e-9)


@pytest.mark.parametrize(("wlon", "wlat", "glon", "glat"), WGS_GCJ)
def test_gcj02_inverse_well_under_a_metre(wlon, wlat, glon, glat):
    lon, lat = gcj02_to_wgs84(glon, glat)
    assert _metres(lon - wlon, lat - wlat, wlat) < 0.01


def test_gcj02_shift_is_hundreds_of_metres_in_jiangsu():
    lon, lat = wgs84_to_gcj02(120.57, 32.38)
    assert 200 < _metres(lon - 120.57, lat - 32.38, 32.38) < 900


@pytest.mark.parametrize(("glon", "glat", "blon", "blat"), GCJ_BD)
def test_bd09_forward_and_inverse(glon, glat, blon, blat):
    lon, lat = gcj02_to_bd09(glon, glat)
    assert (lon, lat) == pytest.approx((blon, blat), abs=1e-9)
    back = bd09_to_gcj02(blon, blat)
    assert _metres(back[0] - glon, back[1] - glat, glat) < 0.01


def test_round_trips_over_a_grid_of_china():
    rng = np.random.default_rng(0)
    lon = rng.uniform(100, 125, 2000)
    lat = rng.uniform(20, 45, 2000)
    g = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    b = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    assert _metres(g[0] - lon, g[1] - lat, lat).max() < 0.001
    assert _metres(b[0] - lon, b[1] - lat, lat).max() < 0.001


def test_no_shift_outside_china():
    lon, lat = wgs84_to_gcj02(2.35, 48.85)
    assert (lon, lat) == (2.35, 48.85)


@pytest.mark.parametrize(("name", "code"), [("GCJ-02", "gcj02"), ("百度", "bd09"),
                                            ("CGCS2000", "cgcs2000"), ("EPSG:4326", "wgs84")])
def test_normalise_datum_aliases(name, code):
    assert normalise_datum(name) == code


def test_unknown_datum_names_the_choices():
    with pytest.raises(DatumError, match="gcj02"):
        normalise_datum("Xian80", where="planner.toml layer 'towns'")


def test_transform_geometry_moves_every_vertex():
    poly = shapely.box(120.5, 32.3, 120.6, 32.4)
    gcj = transform_geometry([poly], datum="gcj02", inverse=True)[0]
    back = transform_geometry([gcj], datum="gcj02")[0]
    assert shapely.hausdorff_distance(poly, back) < 1e-8
    assert shapely.hausdorff_distance(poly, gcj) > 1e-3
