"""Synthetic but realistic water, kit and school layers for the demo workspace (如皋-like).

The Yangtze as a wide river along the south edge, a handful of long canals crossing the
county, a dense ditch network and thousands of ponds clustered near settlements, a few
construction pits, wells and a lake; existing kits at some waters (some incomplete, some not
inspected for months); a primary school in every town and in large villages. Deterministic
for a seed; fully vectorised so that it also builds province-size benchmark layers.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from planner.geo.crs import check_metric

_WGS84 = "EPSG:4326"
_CANALS = ("如泰运河", "通扬运河", "焦港河", "如海河", "碾砣港", "龙游河", "新通扬运河",
           "丁堡河")
_AS_OF = dt.date(2025, 6, 1)


def _wiggly_lines(x0, y0, x1, y1, amp, wave, n=40) -> np.ndarray:
    """LineStrings from (x0, y0) to (x1, y1) with a sine wiggle across them (vectorised)."""
    t = np.linspace(0.0, 1.0, n)
    dx, dy = x1 - x0, y1 - y0
    length = np.hypot(dx, dy)
    nx, ny = -dy / length, dx / length
    off = amp[:, None] * np.sin(2 * np.pi * t[None, :] * (length / wave)[:, None])
    x = x0[:, None] + dx[:, None] * t + nx[:, None] * off
    y = y0[:, None] + dy[:, None] * t + ny[:, None] * off
    coords = np.stack([x, y], axis=-1).reshape(-1, 2)
    return shapely.linestrings(coords, indices=np.repeat(np.arange(len(x0)), n))


def synth_water(county: BaseGeometry, *, villages: gpd.GeoDataFrame,
                settlements: gpd.GeoDataFrame, crs: object, seed: int = 0,
                ponds_per_home: float = 3.0, ditches_per_home: float = 1.5,
                as_of: dt.date = _AS_OF) -> dict[str, gpd.GeoDataFrame]:
    """Build ``{'water', 'kits', 'schools'}`` GeoDataFrames in WGS-84.

    Parameters
    ----------
    county : shapely (Multi)Polygon
        County outline in WGS-84.
    villages : GeoDataFrame
        ``village_code, village_name, town_code, town_name, children``.
    settlements : GeoDataFrame
        Homes (points) with ``settlement_id, village_code, children``.
    crs : pyproj.CRS
        Metric CRS used to draw sizes and distances.
    seed : int
        Random seed; the same seed gives the same layers.
    ponds_per_home, ditches_per_home : float
        Mean number of ponds / ditches drawn around each settlement.
    as_of : date
        Kit inspection dates are drawn before this day (60 % within the week before it, the
        rest 1-7 months before, 5 % never); pass the same day as ``today`` to water_safety.
    """
    crs = check_metric(crs, where="synth_water crs")
    rng = np.random.default_rng(seed)
    cty = gpd.GeoSeries([county], crs=_WGS84).to_crs(crs).iloc[0]
    minx, miny, maxx, maxy = cty.bounds
    home = shapely.get_coordinates(settlements.geometry.to_crs(crs).to_numpy())
    nh = len(home)
    geoms, types, names = [], [], []

    # the Yangtze: a 2-3 km wide band along the south edge
    xs = np.linspace(minx - 3000, maxx + 3000, 200)
    top = miny + 300 + 400 * np.sin(xs / 9000.0 + rng.uniform(0, 6))
    ring = np.r_[np.c_[xs, top], np.c_[xs[::-1], top[::-1] - 2500 - 300 * np.cos(xs[::-1] / 7000)]]
    geoms.append(shapely.polygons(ring))
    types.append("river")
    names.append("长江")

    # long canals: half east-west, half north-south
    nc = int(rng.integers(5, 9))
    ew = np.arange(nc) % 2 == 0
    fy = rng.uniform(0.2, 0.9, nc)
    fx = rng.uniform(0.1, 0.9, nc)
    x0 = np.where(ew, minx, minx + fx * (maxx - minx))
    x1 = np.where(ew, maxx, minx + (fx + rng.uniform(-0.1, 0.1, nc)) * (maxx - minx))
    y0 = np.where(ew, miny + fy * (maxy - miny), miny)
    y1 = np.where(ew, miny + (fy + rng.uniform(-0.1, 0.1, nc)) * (maxy - miny), maxy)
    canals = shapely.intersection(_wiggly_lines(x0, y0, x1, y1, rng.uniform(200, 800, nc),
                                                rng.uniform(4000, 12000, nc)), cty)
    ok = ~shapely.is_empty(canals)
    geoms += list(canals[ok])
    types += ["canal"] * int(ok.sum())
    names += [_CANALS[i % len(_CANALS)] for i in np.flatnonzero(ok)]

    # ditches: short straight-ish lines near homes
    nd = rng.poisson(ditches_per_home, nh)
    owner = np.repeat(np.arange(nh), nd)
    m = len(owner)
    ang = rng.choice([0.0, np.pi / 2], m) + rng.normal(0, 0.15, m)
    dist = rng.uniform(30, 400, m)
    phi = rng.uniform(0, 2 * np.pi, m)
    cx, cy = home[owner, 0] + dist * np.cos(phi), home[owner, 1] + dist * np.sin(phi)
    half = rng.uniform(100, 450, m)
    ditches = _wiggly_lines(cx - half * np.cos(ang), cy - half * np.sin(ang),
                            cx + half * np.cos(ang), cy + half * np.sin(ang),
                            rng.uniform(0, 15, m), rng.uniform(300, 900, m), n=6)
    geoms += list(ditches)
    types += ["ditch"] * m
    names += [""] * m

    # ponds clustered near homes: distance ~ 20 m + exponential(150 m)
    npd = rng.poisson(ponds_per_home, nh)
    owner = np.repeat(np.arange(nh), npd)
    m = len(owner)
    dist = 20 + rng.exponential(150, m)
    phi = rng.uniform(0, 2 * np.pi, m)
    px, py = home[owner, 0] + dist * np.cos(phi), home[owner, 1] + dist * np.sin(phi)
    rad = rng.uniform(8, 45, m)
    fish = rng.random(m) < 0.4  # fish ponds: rectangles; others: rounded
    ponds = shapely.buffer(shapely.points(px, py), rad, quad_segs=3)
    boxes = shapely.box(px - 1.6 * rad, py - rad, px + 1.6 * rad, py + rad)
    geoms += list(np.where(fish, boxes, ponds))
    types += ["pond"] * m
    names += [""] * m

    # a few construction pits and wells near homes, one lake
    for kind, count, r_lo, r_hi in (("construction_pit", max(3, nh // 200), 20, 60),
                                    ("well", max(5, nh // 100), 0.6, 1.2)):
        o = rng.integers(0, max(nh, 1), count) if nh else np.zeros(0, int)
        d = rng.uniform(15, 250, len(o))
        a = rng.uniform(0, 2 * np.pi, len(o))
        pts = shapely.points(home[o, 0] + d * np.cos(a), home[o, 1] + d * np.sin(a))
        geoms += list(shapely.buffer(pts, rng.uniform(r_lo, r_hi, len(o)), quad_segs=3))
        types += [kind] * len(o)
        names += [""] * len(o)
    lake = shapely.Point(minx + 0.6 * (maxx - minx), miny + 0.55 * (maxy - miny))
    geoms.append(shapely.buffer(lake, 600.0, quad_segs=8))
    types.append("lake")
    names.append("龙游湖")

    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    water = gpd.GeoDataFrame(
        {"water_id": [f"W{i + 1:06d}" for i in range(n)], "name": names, "type": types},
        geometry=gpd.GeoSeries(geoms, crs=crs).to_crs(_WGS84).to_numpy(), crs=_WGS84)

    kits = _kits(rng, geoms, np.asarray(types, dtype=object), home, crs, as_of)
    schools = _schools(rng, villages, settlements, home, crs)
    return {"water": water, "kits": kits, "schools": schools}


def _kits(rng, geoms, types, home, crs, as_of) -> gpd.GeoDataFrame:
    """Existing kits on ~15 % of ponds and ditches within 150 m of a home, a few on canals."""
    bank = shapely.force_2d(np.where(shapely.get_type_id(geoms) == 3,
                                     shapely.get_exterior_ring(geoms), geoms))
    from scipy.spatial import cKDTree

    cen = shapely.get_coordinates(shapely.centroid(geoms))
    near = cKDTree(home).query(cen)[0] < 150 if len(home) else np.zeros(len(geoms), bool)
    small = np.isin(types, ["pond", "ditch"]) & near & (rng.random(len(geoms)) < 0.15)
    idx = np.flatnonzero(small)
    pos = rng.random(len(idx))
    big = np.flatnonzero(np.isin(types, ["canal", "river"]))
    per = np.maximum(1, (shapely.length(bank[big]) / 3000).astype(int))
    bidx = np.repeat(big, per)
    bpos = rng.random(len(bidx))
    which = np.r_[idx, bidx]
    pts = shapely.line_interpolate_point(bank[which], np.r_[pos, bpos], normalized=True)
    xy = shapely.get_coordinates(pts) + rng.normal(0, 2.0, (len(which), 2))
    n = len(which)
    partial = rng.random(n) < 0.35
    items = np.ones((n, 4), dtype=bool)
    items[partial] = rng.random((int(partial.sum()), 4)) < 0.5
    days = np.where(rng.random(n) < 0.6, rng.integers(0, 7, n), rng.integers(30, 200, n))
    never = rng.random(n) < 0.05
    last = pd.to_datetime(as_of) - pd.to_timedelta(days, unit="D")
    last = last.where(~never, pd.NaT)
    rope = np.where(items[:, 2], rng.choice([15.0, 20.0, 30.0], n), 0.0)
    return gpd.GeoDataFrame(
        {"kit_id": [f"K{i + 1:05d}" for i in range(n)], "has_sign": items[:, 0],
         "has_lifebuoy": items[:, 1], "has_rope": items[:, 2], "has_pole": items[:, 3],
         "rope_m": rope, "last_inspected": last},
        geometry=gpd.GeoSeries(shapely.points(xy), crs=crs).to_crs(_WGS84).to_numpy(),
        crs=_WGS84)


def _schools(rng, villages, settlements, home, crs) -> gpd.GeoDataFrame:
    """A central primary school per town; a village school in the largest third of villages."""
    vil = villages[["village_code", "village_name", "town_code", "town_name", "children"]]
    st = pd.DataFrame({"village_code": settlements["village_code"].to_numpy(),
                       "children": pd.to_numeric(settlements["children"], errors="coerce")
                       .fillna(0).to_numpy(), "i": np.arange(len(settlements))})
    st = st.merge(vil.drop(columns="children"), on="village_code", how="inner")
    st = st.sort_values(["children", "i"], ascending=[False, True], kind="stable")
    town_top = st.drop_duplicates("town_code")
    vchild = pd.to_numeric(vil["children"], errors="coerce").fillna(0)
    large = vil.loc[vchild >= vchild.quantile(2 / 3), "village_code"]
    vil_top = st[st["village_code"].isin(large)].drop_duplicates("village_code")
    vil_top = vil_top[~vil_top["i"].isin(town_top["i"])]
    names = ([f"{t}中心小学" for t in town_top["town_name"]]
             + [f"{v}小学" for v in vil_top["village_name"]])
    idx = np.r_[town_top["i"].to_numpy(), vil_top["i"].to_numpy()].astype(int)
    xy = home[idx] + rng.uniform(-150, 150, (len(idx), 2)) if len(idx) else np.zeros((0, 2))
    students = np.r_[rng.integers(600, 1800, len(town_top)), rng.integers(80, 400, len(vil_top))]
    return gpd.GeoDataFrame(
        {"school_id": [f"S{i + 1:04d}" for i in range(len(idx))], "name": names,
         "kind": ["primary"] * len(idx), "students": students},
        geometry=gpd.GeoSeries(shapely.points(xy), crs=crs).to_crs(_WGS84).to_numpy(),
        crs=_WGS84)
