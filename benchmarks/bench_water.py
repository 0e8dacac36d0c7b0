"""Province-size water-safety benchmark: risk scoring, gaps and exact kit placement.

Builds a synthetic Jiangsu-like province (about 330 x 300 km, ~1,500 towns, villages and
hamlets) with :func:`scripts.synth.water.synth_water` - at least 300,000 water bodies - then
times :func:`planner.propose.water_safety.water_safety` without the patrol plan and reports
each stage and the process peak memory (``ru_maxrss``). Target: under 2 minutes and under 8 GB.

Run: ``python benchmarks/bench_water.py [--homes 75000] [--seed 0]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import sys
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from planner.propose.water_safety import water_safety
from planner.settings import WaterConfig
from scripts.synth.water import synth_water

_CRS = CRS.from_epsg(32651)  # UTM 51N covers eastern Jiangsu; fine for a synthetic layer


def _province(homes: int, seed: int) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    x0, y0, w, h = 150_000.0, 3_400_000.0, 330_000.0, 300_000.0
    nx, ny = 39, 38  # ~1,482 towns on a grid
    gx, gy = np.meshgrid(np.arange(nx), np.arange(ny))
    tx0 = x0 + gx.ravel() * w / nx
    ty0 = y0 + gy.ravel() * h / ny
    towns_m = shapely.box(tx0, ty0, tx0 + w / nx, ty0 + h / ny)
    nt = len(towns_m)
    nv = homes // 5
    vt = rng.integers(0, nt, nv)
    vx = tx0[vt] + rng.uniform(0, w / nx, nv)
    vy = ty0[vt] + rng.uniform(0, h / ny, nv)
    hv = rng.integers(0, nv, homes)
    hx = vx[hv] + rng.normal(0, 350, homes)
    hy = vy[hv] + rng.normal(0, 350, homes)
    children = rng.integers(3, 60, homes)

    def wgs(g):
        return gpd.GeoSeries(g, crs=_CRS).to_crs("EPSG:4326").to_numpy()

    town_code = np.array([f"T{i:05d}" for i in range(nt)], dtype=object)
    towns = gpd.GeoDataFrame({"town_code": town_code, "town_name": [f"镇{i}" for i in range(nt)]},
                             geometry=wgs(towns_m), crs="EPSG:4326")
    vcode = np.array([f"V{i:06d}" for i in range(nv)], dtype=object)
    vchildren = np.bincount(hv, weights=children, minlength=nv)
    villages = gpd.GeoDataFrame(
        {"village_code": vcode, "village_name": [f"村{i}" for i in range(nv)],
         "town_code": town_code[vt], "town_name": [f"镇{i}" for i in vt],
         "children": vchildren},
        geometry=wgs(shapely.buffer(shapely.points(vx, vy), 600, quad_segs=2)), crs="EPSG:4326")
    settlements = gpd.GeoDataFrame(
        {"settlement_id": np.arange(homes), "village_code": vcode[hv], "children": children,
         "under5": rng.integers(0, 12, homes), "left_behind": rng.integers(0, 15, homes)},
        geometry=wgs(shapely.points(hx, hy)), crs="EPSG:4326")
    county = wgs([shapely.box(x0, y0, x0 + w, y0 + h)])[0]
    return {"towns": towns, "villages": villages, "settlements": settlements, "county": county}


def _rss_gb() -> float:
    # ru_maxrss is in kilobytes on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def main(argv: list[str] | None = None) -> dict[str, object]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--homes", type=int, default=75_000, help="hamlets (about 4.5 waters each)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    t = time.perf_counter()
    p = _province(args.homes, args.seed)
    layers = synth_water(p["county"], villages=p["villages"], settlements=p["settlements"],
                         crs=_CRS, seed=args.seed)
    build_s = time.perf_counter() - t
    rss_build = _rss_gb()
    t = time.perf_counter()
    res = water_safety(layers["water"], kits=layers["kits"], settlements=p["settlements"],
                       schools=layers["schools"], towns=p["towns"], crs=_CRS,
                       config=WaterConfig(), today=dt.date(2025, 6, 1), plan_patrols=False)
    total = time.perf_counter() - t
    report = {
        "water_bodies": int(len(layers["water"])),
        "water_types": {k: int(v) for k, v in
                        pd.Series(layers["water"]["type"]).value_counts().items()},
        "bank_segments": res.summary["bank_segments"],
        "homes": args.homes, "towns": int(len(p["towns"])),
        "existing_kits": int(len(layers["kits"])), "proposed_kits": res.summary["proposed_kits"],
        "risky_waters_by_tier": res.summary["risky_waters_by_tier"],
        "uncovered_risky_bank_km_before":
            round(res.summary["uncovered_risky_bank_m_before"] / 1000, 1),
        "uncovered_risky_bank_km_after":
            round(res.summary["uncovered_risky_bank_m_after"] / 1000, 3),
        "build_layers_s": round(build_s, 2),
        "stages_s": {k: round(v, 2) for k, v in res.timings.items() if k != "patrol"},
        "water_safety_total_s": round(total, 2),
        "peak_rss_gb_after_build": round(rss_build, 2),
        "peak_rss_gb": round(_rss_gb(), 2),
    }
    print(json.dumps(report, ensure_ascii=False, indent=1))
    ok = total < 120 and report["peak_rss_gb"] < 8
    print("target (< 120 s, < 8 GB):", "met" if ok else "NOT met", file=sys.stderr)
    return report


if __name__ == "__main__":
    main()
