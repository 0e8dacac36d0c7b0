"""Datum conversion between WGS-84, CGCS2000, GCJ-02 (AMap, Tencent) and BD-09 (Baidu).

Coordinates from Chinese web maps are deliberately shifted: GCJ-02 by a few hundred
metres from WGS-84, BD-09 a further few hundred metres from GCJ-02. The planner stores
everything in WGS-84, so every layer declares its datum and is converted on load.

The forward GCJ-02 transform is the published obfuscation algorithm (Krasovsky ellipsoid
constants). It has no closed-form inverse; :func:`gcj02_to_wgs84` inverts it by fixed-point
iteration until the round trip agrees to 1e-9 degree (about 0.1 mm), far below the 1 m the
planner needs. CGCS2000 differs from WGS-84 by centimetres and is treated as identical.
All functions are vectorised over numpy arrays.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from planner._errors import DatumError

_A: Final = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE: Final = 0.00669342162296594323  # Krasovsky eccentricity squared
_BD_PI: Final = np.pi * 3000.0 / 180.0

#: Datum names accepted in ``planner.toml`` and in per-row datum columns, by alias.
DATUM_ALIASES: Final[dict[str, str]] = {
    "wgs84": "wgs84",
    "wgs-84": "wgs84",
    "wgs 84": "wgs84",
    "epsg:4326": "wgs84",
    "gps": "wgs84",
    "cgcs2000": "cgcs2000",
    "cgcs 2000": "cgcs2000",
    "epsg:4490": "cgcs2000",
    "2000": "cgcs2000",
    "gcj02": "gcj02",
    "gcj-02": "gcj02",
    "gcj": "gcj02",
    "amap": "gcj02",
    "高德": "gcj02",
    "火星坐标": "gcj02",
    "腾讯": "gcj02",
    "bd09": "bd09",
    "bd-09": "bd09",
    "bd09ll": "bd09",
    "baidu": "bd09",
    "百度": "bd09",
}


def normalise_datum(name: str, *, where: str = "") -> str:
    """Return the canonical datum code for ``name``.

    Parameters
    ----------
    name : str
        A datum name such as ``"GCJ-02"``, ``"bd09"``, ``"WGS84"`` or ``"百度"``.
    where : str
        Where the name came from, for the error message.

    Raises
    ------
    DatumError
        If the name is not a known datum.
    """
    key = str(name).strip().lower()
    if key in DATUM_ALIASES:
        return DATUM_ALIASES[key]
    place = f" in {where}" if where else ""
    raise DatumError(
        f"unknown datum {name!r}{place}; use one of wgs84, cgcs2000, gcj02 (AMap/Tencent) "
        "or bd09 (Baidu)"
    )


def in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Rough bounding box of mainland China, where the GCJ-02 shift applies."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 offset in degrees (dlon, dlat) at WGS-84 position (lon, lat)."""
    x = lon - 105.0
    y = lat - 35.0
    sq = np.sqrt(np.abs(x))
    common = (
        (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    )
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sq + common
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sq + common
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS-84 longitude/latitude (degrees) to GCJ-02."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlon, dlat = _offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon, lat, *, tol: float = 1e-9, max_iter: int = 30) -> tuple[
    np.ndarray, np.ndarray
]:
    """Convert GCJ-02 longitude/latitude (degrees) to WGS-84 by exact iterative inversion.

    Starts from ``gcj - offset(gcj)`` and iterates ``w <- w - (f(w) - gcj)`` until every
    point's round trip is within ``tol`` degrees. The offset field is smooth (its
    Jacobian is close to the identity), so this converges in a handful of steps.
    """
    g_lon = np.asarray(lon, dtype=float)
    g_lat = np.asarray(lat, dtype=float)
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(max_iter):
        f_lon, f_lat = wgs84_to_gcj02(w_lon, w_lat)
        e_lon, e_lat = f_lon - g_lon, f_lat - g_lat
        w_lon = w_lon - e_lon
        w_lat = w_lat - e_lat
        if np.all(np.abs(e_lon) < tol) and np.all(np.abs(e_lat) < tol):
            break
    return w_lon, w_lat


def gcj02_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Convert GCJ-02 longitude/latitude to BD-09 (Baidu's published transform)."""
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _BD_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _BD_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon, lat, *, tol: float = 1e-10, max_iter: int = 20) -> tuple[
    np.ndarray, np.ndarray
]:
    """Convert BD-09 to GCJ-02, inverting :func:`gcj02_to_bd09` exactly by iteration."""
    b_lon = np.asarray(lon, dtype=float)
    b_lat = np.asarray(lat, dtype=float)
    g_lon, g_lat = b_lon - 0.0065, b_lat - 0.006
    for _ in range(max_iter):
        f_lon, f_lat = gcj02_to_bd09(g_lon, g_lat)
        e_lon, e_lat = f_lon - b_lon, f_lat - b_lat
        g_lon = g_lon - e_lon
        g_lat = g_lat - e_lat
        if np.all(np.abs(e_lon) < tol) and np.all(np.abs(e_lat) < tol):
            break
    return g_lon, g_lat


def bd09_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Convert BD-09 to WGS-84 (through GCJ-02)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def wgs84_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS-84 to BD-09 (through GCJ-02)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


_TO_WGS84 = {
    "wgs84": lambda lon, lat: (np.asarray(lon, float), np.asarray(lat, float)),
    "cgcs2000": lambda lon, lat: (np.asarray(lon, float), np.asarray(lat, float)),
    "gcj02": gcj02_to_wgs84,
    "bd09": bd09_to_wgs84,
}
_FROM_WGS84 = {
    "wgs84": lambda lon, lat: (np.asarray(lon, float), np.asarray(lat, float)),
    "cgcs2000": lambda lon, lat: (np.asarray(lon, float), np.asarray(lat, float)),
    "gcj02": wgs84_to_gcj02,
    "bd09": wgs84_to_bd09,
}


def to_wgs84(lon, lat, *, datum: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert coordinates in ``datum`` to WGS-84."""
    return _TO_WGS84[normalise_datum(datum)](lon, lat)


def from_wgs84(lon, lat, *, datum: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS-84 coordinates to ``datum``."""
    return _FROM_WGS84[normalise_datum(datum)](lon, lat)


def transform_geometry(geoms, *, datum: str, inverse: bool = False):
    """Convert an array of shapely geometries between ``datum`` and WGS-84.

    Parameters
    ----------
    geoms : array-like of shapely geometries
    datum : str
        The datum the geometries are in (or, with ``inverse=True``, are converted to).
    inverse : bool
        If true convert WGS-84 -> ``datum`` instead of ``datum`` -> WGS-84.
    """
    import shapely

    func = from_wgs84 if inverse else to_wgs84
    code = normalise_datum(datum)
    if code in ("wgs84", "cgcs2000"):
        return np.asarray(geoms, dtype=object)

    def _apply(coords: np.ndarray) -> np.ndarray:
        lon, lat = func(coords[:, 0], coords[:, 1], datum=code)
        return np.column_stack([lon, lat])

    return shapely.transform(np.asarray(geoms, dtype=object), _apply)
