"""Human locators for waters: what a village cadre can find without a map of ids.

A named water is called by its name ("如海河"); where one name belongs to several waters the
village is added ("如海河（东陈村）"). An unnamed water is called by where it is: its village,
the direction and the distance from the village's centre (the representative point of its
polygon), and its type - "东陈村中心东南约 200 米的坑塘". Locators that would still repeat get
an ordinal ("……的坑塘（之 2）"). Raw ids (``osm:way/…``, ``W000123``) are never shown to
people; they stay in the machine-readable columns (``water_id``).
"""

from __future__ import annotations

from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

#: compass words, clockwise from north, 45 degrees each
DIRECTIONS: Final[tuple[str, ...]] = ("北", "东北", "东", "东南", "南", "西南", "西", "西北")


def water_locators(geom: np.ndarray, *, names: np.ndarray, type_labels: np.ndarray,
                   places: gpd.GeoDataFrame | None, crs: Any,
                   place_column: str = "village_name") -> np.ndarray:
    """One human locator per water (module doc).

    Parameters
    ----------
    geom : ndarray of geometries
        Each water (its part inside the county), metric ``crs``.
    names, type_labels : ndarray of str
        Name ("" when none) and Chinese type label of each water.
    places : GeoDataFrame or None
        Villages (or towns) with ``place_column``: the landmark of unnamed waters.
    """
    n = len(geom)
    names = pd.Series(names, dtype=object).fillna("").astype(str).str.strip().to_numpy()
    at = _anchor(geom)
    place, seat = _places(at, places, crs, place_column)
    named = names != ""
    out = np.where(named, names, [_where(p, s, a, t) for p, s, a, t in
                                  zip(place, seat, at, type_labels, strict=True)])
    out = out.astype(object)
    # a name shared by several waters: add the village
    shared = named & pd.Series(names).duplicated(keep=False).to_numpy() & (place != "")
    out[shared] = [f"{nm}（{p}）" for nm, p in zip(names[shared], place[shared], strict=True)]
    return _ordinals(out) if n else out


def _anchor(geom: np.ndarray) -> np.ndarray:
    """A point of each water: on the surface of an area, halfway along a line."""
    lines = np.isin(shapely.get_type_id(geom), (1, 2, 5))
    mid = shapely.line_interpolate_point(np.where(lines, geom, None), 0.5, normalized=True)
    return np.where(lines, mid, shapely.point_on_surface(geom))


def _places(at: np.ndarray, places: gpd.GeoDataFrame | None, crs: Any,
            column: str) -> tuple[np.ndarray, np.ndarray]:
    """The place holding (or nearest to) each point, and that place's centre."""
    n = len(at)
    if places is None or len(places) == 0 or column not in places or n == 0:
        return np.full(n, "", dtype=object), np.full(n, None, dtype=object)
    polys = places.geometry.to_crs(crs).to_numpy()
    tree = shapely.STRtree(polys)
    idx = np.full(n, -1)
    pi, ti = tree.query(at, predicate="intersects")
    idx[pi[::-1]] = ti[::-1]
    rest = np.flatnonzero(idx < 0)
    if len(rest):
        ri, ti = tree.query_nearest(at[rest], all_matches=False)
        idx[rest[ri]] = ti
    label = places[column].fillna("").astype(str).to_numpy()
    seats = shapely.point_on_surface(polys)
    ok = idx >= 0
    return (np.where(ok, label[np.maximum(idx, 0)], "").astype(object),
            np.where(ok, seats[np.maximum(idx, 0)], None))


def _where(place: str, seat: Any, at: Any, type_label: str) -> str:
    """"东陈村中心东南约 200 米的坑塘" (or the type alone without a place)."""
    if not place or seat is None:
        return str(type_label)
    dx, dy = at.x - seat.x, at.y - seat.y
    d = float(np.hypot(dx, dy))
    if d < 50:
        return f"{place}中心附近的{type_label}"
    sector = int(((np.degrees(np.arctan2(dx, dy)) + 360 + 22.5) % 360) // 45)
    return f"{place}中心{DIRECTIONS[sector]}约 {distance_words(d)}的{type_label}"


def distance_words(metres: float) -> str:
    """A distance as people say it: "80 米", "200 米" (to 50 m), "1.2 公里"."""
    if metres < 95:
        return f"{max(10, round(metres / 10) * 10):.0f} 米"
    if metres < 975:
        return f"{round(metres / 50) * 50:.0f} 米"
    return f"{metres / 1000:.1f} 公里"


def _ordinals(labels: np.ndarray) -> np.ndarray:
    """Repeated locators numbered in order: "……（之 1）", "……（之 2）"."""
    s = pd.Series(labels, dtype=object)
    count = s.groupby(s).transform("size")
    nth = s.groupby(s).cumcount() + 1
    rep = (count > 1).to_numpy()
    out = s.to_numpy(dtype=object).copy()
    out[rep] = [f"{lab}（之 {k}）" for lab, k in zip(out[rep], nth[rep], strict=True)]
    return out
