"""Validate and normalise layers: datum to WGS-84, swapped coordinates, invalid geometry.

Each function takes a raw frame (from :mod:`planner.load`), records rejected and repaired
rows in the :class:`~planner.records.ledger.Ledger`, and returns only the accepted records, as a
GeoDataFrame in WGS-84 (EPSG:4326).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from planner._errors import InputFileError
from planner.geo.crs import WGS84
from planner.geo.datum import DATUM_ALIASES, in_china, to_wgs84, transform_geometry
from planner.records.ledger import Ledger
from planner.settings import LayerSpec

_SWAP_NOTE = "经纬度颠倒，已交换 / longitude and latitude were swapped: swapped back"


def map_unique(values: pd.Series, func) -> pd.Series:
    """``values.map(func)`` calling ``func`` once per distinct value (long columns repeat
    few values: kinds, towns, standards)."""
    uniques = pd.unique(values.to_numpy())
    return values.map(dict(zip(uniques, map(func, uniques), strict=True)))


def _numbers(values: pd.Series) -> np.ndarray:
    """Parse text cells to floats (NaN where not a number); accepts full-width digits."""
    text = values.astype(str).str.normalize("NFKC").str.strip().str.replace(",", ".")
    return pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)


def _row_datums(frame: pd.DataFrame, spec: LayerSpec) -> pd.Series:
    """Per-row canonical datum ('' for an unknown name)."""
    if not spec.datum_column:
        return pd.Series(spec.datum, index=frame.index)
    raw = frame[spec.datum_column].astype(str).str.strip()
    key = raw.str.lower()
    mapped = key.map(DATUM_ALIASES).fillna("")
    return mapped.where(raw != "", spec.datum)


def points_from_table(frame: pd.DataFrame, spec: LayerSpec, ledger: Ledger) -> gpd.GeoDataFrame:
    """Turn a table with longitude/latitude columns into WGS-84 points.

    Rows without usable coordinates or with an unknown per-row datum are rejected;
    swapped longitude/latitude pairs are swapped back with a note.
    """
    from planner.validate.columns import require_columns

    file = spec.path.name
    cols = [spec.x, spec.y] + ([spec.datum_column] if spec.datum_column else [])
    require_columns(frame, cols, path=spec.path, role=spec.name, sheet=spec.sheet,
                    fix=f"set x, y{' and datum_column' if spec.datum_column else ''} of this "
                    "layer in planner.toml to the file's column names")
    x = _numbers(frame[spec.x])
    y = _numbers(frame[spec.y])
    bad = ~np.isfinite(x) | ~np.isfinite(y)
    ledger.reject(spec.name, file, frame[bad],
                  f"坐标缺失或不是数字 / missing or non-numeric {spec.x}/{spec.y}: "
                  "fill in decimal degrees")
    datums = _row_datums(frame, spec)
    unknown = ~bad & (datums == "").to_numpy()
    ledger.reject(spec.name, file, frame[unknown],
                  f"未知坐标系 / unknown datum in column {spec.datum_column}: use WGS84, "
                  "CGCS2000, GCJ-02 or BD-09")
    keep = ~bad & ~unknown
    swapped = keep & (((np.abs(y) > 90) & (np.abs(x) <= 90))
                      | (~in_china(x, y) & in_china(y, x)))
    x2 = np.where(swapped, y, x)
    y2 = np.where(swapped, x, y)
    ledger.repair(spec.name, file, frame.loc[swapped, "_row"], _SWAP_NOTE)
    outside = keep & ~in_china(x2, y2)
    ledger.reject(spec.name, file, frame[outside],
                  "坐标不在中国范围内 / coordinates are not a position in China: check the "
                  "columns hold longitude and latitude in decimal degrees")
    keep &= ~outside
    lon = np.full(len(frame), np.nan)
    lat = np.full(len(frame), np.nan)
    dat = datums.to_numpy()
    for code in np.unique(dat[keep]):
        sel = keep & (dat == code)
        lon[sel], lat[sel] = to_wgs84(x2[sel], y2[sel], datum=code)
    out = frame[keep].copy()
    out["_datum"] = dat[keep]
    return gpd.GeoDataFrame(out, geometry=shapely.points(lon[keep], lat[keep]), crs=WGS84)


def vector_to_wgs84(frame: gpd.GeoDataFrame, spec: LayerSpec) -> gpd.GeoDataFrame:
    """Move a vector layer to WGS-84, applying the declared datum to geographic layers."""
    if frame.crs is None and spec.crs:
        try:
            frame = frame.set_crs(CRS.from_user_input(spec.crs))
        except Exception as exc:  # pyproj raises CRSError subclasses of several kinds
            raise InputFileError(f"{spec.path}: crs = {spec.crs!r} is not a known CRS; give "
                                 "an EPSG code such as \"EPSG:4528\"") from exc
    if frame.crs is None:
        bounds = frame.total_bounds
        if len(frame) and not (-180 <= bounds[0] <= bounds[2] <= 180
                               and -90 <= bounds[1] <= bounds[3] <= 90):
            from planner.geo.crs import guess_gauss_kruger

            raise InputFileError(
                f"{spec.path}: no coordinate system (.prj missing) and the coordinates are "
                f"not degrees; add crs = \"{guess_gauss_kruger(bounds)}\" under "
                f"[layers.{spec.name}] in planner.toml (the CGCS2000 Gauss-Krüger zone your "
                "survey data uses) or put the .prj file back"
            )
        frame = frame.set_crs(WGS84)
    _check_ranges(frame, spec)
    if CRS.from_user_input(frame.crs).is_projected:
        if spec.datum in ("gcj02", "bd09"):
            raise InputFileError(
                f"{spec.path}: a projected layer cannot be in {spec.datum}; set datum = "
                f"\"wgs84\" or \"cgcs2000\" for layer {spec.name!r}"
            )
        source = CRS.from_user_input(frame.crs)
        with np.errstate(all="ignore"):
            frame = frame.to_crs(WGS84)
        _check_transformed(frame, spec, source)
        return frame
    frame = frame.to_crs(WGS84) if not CRS.from_user_input(frame.crs).equals(WGS84) else frame
    if spec.datum in ("gcj02", "bd09"):
        geoms = transform_geometry(frame.geometry.to_numpy(), datum=spec.datum)
        frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=WGS84))
    return frame


def _check_ranges(frame: gpd.GeoDataFrame, spec: LayerSpec) -> None:
    """Stop when the coordinates cannot be in the layer's declared CRS.

    Degrees under a projected CRS (a ``.prj`` saying Web Mercator or UTM on longitude and
    latitude) put the whole layer within a few hundred metres of the projection's origin;
    metres under a geographic CRS are beyond +-180 / +-90.
    """
    bounds = frame.total_bounds
    if not len(frame) or not np.isfinite(bounds).all():
        return
    crs = CRS.from_user_input(frame.crs)
    degrees = (-180 <= bounds[0] <= bounds[2] <= 180) and (-90 <= bounds[1] <= bounds[3] <= 90)
    span = (f"x {bounds[0]:.6g}..{bounds[2]:.6g}, y {bounds[1]:.6g}..{bounds[3]:.6g}")
    if crs.is_projected and degrees:
        raise InputFileError(
            f"{spec.path}: coordinates look like degrees ({span}) but the layer declares "
            f"the projected CRS {crs.name!r} in metres; fix its CRS (.prj / GeoPackage) to "
            "EPSG:4326 or save the layer again with its true CRS"
        )
    if crs.is_geographic and not degrees:
        raise InputFileError(
            f"{spec.path}: coordinates are not degrees ({span}) but the layer declares the "
            f"geographic CRS {crs.name!r}; fix its CRS (.prj / GeoPackage) to the projected "
            "CRS the coordinates are in"
        )


def _check_transformed(frame: gpd.GeoDataFrame, spec: LayerSpec, source: CRS) -> None:
    """Stop when moving a layer to WGS-84 gave coordinates that are not a position."""
    bounds = frame.total_bounds
    if len(frame) and not (np.isfinite(bounds).all() and -180 <= bounds[0] <= bounds[2] <= 180
                           and -90 <= bounds[1] <= bounds[3] <= 90):
        raise InputFileError(
            f"{spec.path}: the coordinates do not fit the declared CRS {source.name!r} "
            "(they transform to no position on Earth); fix the layer's CRS (.prj / "
            "GeoPackage)"
        )


def clean_geometries(frame: gpd.GeoDataFrame, spec: LayerSpec, ledger: Ledger, *,
                     kind: str) -> gpd.GeoDataFrame:
    """Reject empty geometries and those of the wrong kind; repair invalid ones.

    Parameters
    ----------
    kind : {'polygon', 'point', 'line', 'line_or_polygon', 'any'}
        The geometry kind the layer must hold. Invalid polygons are repaired with
        ``make_valid`` (polygonal parts kept) and the change of area noted.
    """
    file = spec.path.name
    geoms = frame.geometry.to_numpy()
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    ledger.reject(spec.name, file, frame[empty],
                  "几何为空 / empty or missing geometry: draw the feature or delete the row")
    frame = frame[~empty]
    geoms = frame.geometry.to_numpy()
    types = shapely.get_type_id(geoms)
    allowed = {"polygon": {3, 6}, "point": {0, 4}, "line": {1, 2, 5},
               "line_or_polygon": {1, 2, 3, 5, 6}, "any": {0, 1, 2, 3, 4, 5, 6}}[kind]
    wrong = ~np.isin(types, list(allowed))
    ledger.reject(spec.name, file, frame[wrong],
                  f"几何类型错误 / geometry is not a {kind.replace('_', ' ')}: fix the layer's "
                  "geometry type")
    frame = frame[~wrong].copy()
    if kind != "polygon" or frame.empty:
        return frame
    geoms = frame.geometry.to_numpy()
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        reasons = shapely.is_valid_reason(geoms[invalid])
        fixed = shapely.make_valid(geoms[invalid])
        polys = np.array([_polygonal(g) for g in fixed], dtype=object)
        before = shapely.area(geoms[invalid])
        after = shapely.area(polys)
        gone = shapely.is_empty(polys)
        rows = frame.loc[invalid, "_row"].to_numpy()
        for row, reason, b, a, dead in zip(rows, reasons, before, after, gone, strict=True):
            if not dead:
                change = 100.0 * (a - b) / b if b else 0.0
                ledger.repair(spec.name, file, [row],
                              f"几何无效已修复 / invalid polygon repaired ({reason}); "
                              f"area change {change:+.2f}%")
        idx = frame.index[invalid]
        frame.loc[idx, "geometry"] = polys
        dead_idx = idx[gone]
        ledger.reject(spec.name, file, frame.loc[dead_idx],
                      "几何无效且无法修复 / invalid polygon that cannot be repaired: redraw it")
        frame = frame.drop(index=dead_idx)
    return frame


def _polygonal(geom):
    """The polygonal part of a geometry produced by ``make_valid``."""
    if geom is None or geom.is_empty:
        return shapely.Polygon()
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def reject_outside(frame: gpd.GeoDataFrame, *, county_metric, crs: CRS, tolerance_m: float,
                   spec: LayerSpec, ledger: Ledger) -> gpd.GeoDataFrame:
    """Reject features that lie entirely outside the county (beyond ``tolerance_m``);
    records without a geometry (located by declaration) are not judged here."""
    if frame.empty:
        return frame
    metric = frame.geometry.to_crs(crs).to_numpy()
    zone = shapely.buffer(county_metric, tolerance_m)
    shapely.prepare(zone)
    outside = ~shapely.intersects(zone, metric) & ~shapely.is_missing(metric)
    ledger.reject(spec.name, spec.path.name, frame[outside],
                  "位置在县域外 / outside the county: check the coordinates and their datum")
    return frame[~outside]


def reject_duplicate_keys(frame: pd.DataFrame, key: str, spec: LayerSpec,
                          ledger: Ledger) -> pd.DataFrame:
    """Reject later records repeating an earlier record's ``key`` (blank keys too)."""
    blank = frame[key].astype(str).str.strip() == ""
    ledger.reject(spec.name, spec.path.name, frame[blank],
                  f"{key} 为空 / {key} is blank: fill it in")
    frame = frame[~blank]
    dup = frame.duplicated(subset=[key], keep="first")
    first_row = frame.groupby(key)["_row"].transform("first")
    ledger.reject_each(
        spec.name, spec.path.name, frame[dup],
        [f"重复 / duplicate {key} {v!r} of row {r}: keep one"
         for v, r in zip(frame.loc[dup, key], first_row[dup], strict=True)],
    )
    return frame[~dup]


#: the largest count accepted for one row (a county has a few hundred thousand children)
MAX_COUNT = 10_000_000


def _counts(values: pd.Series) -> np.ndarray:
    """Parse count cells: full-width digits accepted, commas as thousands separators."""
    text = values.astype(str).str.normalize("NFKC").str.strip()
    grouped = text.str.fullmatch(r"\d{1,3}(?:,\d{3})+")
    text = text.where(~grouped, text.str.replace(",", "", regex=False))
    return pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)


def nonnegative_ints(frame: pd.DataFrame, columns: list[str], spec: LayerSpec,
                     ledger: Ledger) -> pd.DataFrame:
    """Parse count columns; reject rows whose counts are not whole numbers >= 0.

    A comma groups thousands here (``1,200`` is twelve hundred), and a count beyond
    :data:`MAX_COUNT` is no count of one village or town.
    """
    values = {c: _counts(frame[c]) for c in columns}
    bad = np.zeros(len(frame), dtype=bool)
    for v in values.values():
        with np.errstate(invalid="ignore"):
            bad |= ~np.isfinite(v) | (v < 0) | (np.round(v) != v) | (v > MAX_COUNT)
    ledger.reject(spec.name, spec.path.name, frame[bad],
                  f"人数不是非负整数 / counts in {columns} must be whole numbers from 0 to "
                  f"{MAX_COUNT:,}")
    out = frame[~bad].copy()
    for c, v in values.items():
        out[c] = v[~bad].astype(np.int64)
    return out
