"""The CRS policy: store WGS-84, measure in one local metric CRS chosen per workspace.

The metric CRS is the UTM zone of the county (``estimate_utm_crs``) unless the workspace
names another projected CRS. Every distance in the planner is measured in it.
"""

from __future__ import annotations

import geopandas as gpd
from pyproj import CRS

from planner._errors import CRSError

WGS84 = CRS.from_epsg(4326)
CGCS2000 = CRS.from_epsg(4490)


def output_crs(value: object) -> CRS:
    """The CRS the map files (``planner.gpkg``, the GeoJSON files) are written in: WGS-84
    (EPSG:4326, the default), CGCS2000 (EPSG:4490) or a projection of it (the Gauss-Krüger
    zones EPSG:4491-4554 that natural-resources systems take, e.g. EPSG:4549, CM 120°E).

    CGCS2000 and WGS-84 agree to within centimetres: the coordinates are the same numbers,
    the file says which system they are in.

    Raises
    ------
    CRSError
        If ``value`` is not one of those.
    """
    try:
        crs = CRS.from_user_input(value)
    except Exception as exc:
        raise CRSError(f"{value!r} is not a CRS") from exc
    geodetic = crs.geodetic_crs.to_epsg() if crs.geodetic_crs is not None else None
    if crs.to_epsg() == 4326 or (geodetic == 4490 and crs.to_epsg() is not None):
        return crs
    raise CRSError(f"{value!r} ({crs.name}) is neither WGS-84 (EPSG:4326) nor CGCS2000 "
                   "(EPSG:4490, or a CGCS2000 Gauss-Krüger zone such as EPSG:4549)")


def choose_metric_crs(county: gpd.GeoSeries, *, override: str | None = None) -> CRS:
    """Return the workspace's metric CRS: ``override`` if given, else the county's UTM zone.

    Raises
    ------
    CRSError
        If the CRS is geographic or not in metres.
    """
    if override:
        try:
            crs = CRS.from_user_input(override)
        except Exception as exc:
            raise CRSError(
                f"planner.toml [workspace] crs = {override!r} is not a CRS; "
                "use e.g. \"EPSG:32651\" or remove it to pick the UTM zone automatically"
            ) from exc
    else:
        crs = county.to_crs(WGS84).estimate_utm_crs()
    check_metric(crs, where="the workspace CRS")
    return crs


def check_metric(crs: CRS | None, *, where: str) -> CRS:
    """Raise :class:`CRSError` unless ``crs`` is projected with metre units."""
    if crs is None:
        raise CRSError(f"{where} has no CRS; give a projected CRS in metres")
    crs = CRS.from_user_input(crs)
    if not crs.is_projected:
        raise CRSError(
            f"{where} ({crs.name}) is geographic: distances would be in degrees; "
            "use a projected CRS in metres such as the county's UTM zone"
        )
    unit = crs.axis_info[0].unit_name if crs.axis_info else ""
    if unit not in ("metre", "meter", "m"):
        raise CRSError(f"{where} ({crs.name}) uses {unit!r}, not metres; use a metric CRS")
    return crs


def guess_gauss_kruger(bounds) -> str:
    """The likeliest CGCS2000 3-degree Gauss-Krüger CRS for projected ``bounds`` (an EPSG code).

    Eastings of 25 500 000-45 500 000 carry the zone number (EPSG:4513-4533, zone 25-45);
    eastings around 500 000 do not, and Jiangsu's central meridian 120°E is assumed
    (EPSG:4549; 117°E is EPSG:4548, 123°E EPSG:4550).
    """
    x = 0.5 * (float(bounds[0]) + float(bounds[2]))
    zone = int(x // 1_000_000)
    if 25 <= zone <= 45:
        return f"EPSG:{4513 + zone - 25}"
    return "EPSG:4549"
