"""Benchmark of the placement models (issue 5): ours (scipy milp / HiGHS) against spopt.

Instances, both built from the real Jiangsu hierarchy in ``data/reference``:

(a) county — 如皋市 (320682): its real towns and villages, village points synthesised inside the
    real county outline (GCJ-02 -> WGS-84 with :func:`planner.datum.gcj02_to_wgs84`, then
    projected to a metric Albers CRS);
(b) province — all 21,958 villages / 1,487 towns; the 9 development zones without an outline get
    a synthetic square east of their city's other counties.

Every town has one site of the kind ``care_home`` with probability 1/2 (fixed existing sites);
a town without one misses 1 (15% of towns miss 2), threshold 5,000 m straight-line, weights
= synthetic children per village.

Compared on the county instance (spopt cannot express per-town quotas):

* MCLP, p = total missing sites, existing sites as spopt ``predefined_facilities_arr`` with
  ``p_facilities = existing + p``; our objective + weight already covered = spopt's objective;
* p-median, same p and predefined existing sites, against ours with ``existing_cost``.

* LSCP (set cover), every village within the threshold with the fewest sites, against ours
  ``set_cover``.

spopt builds its PuLP model from a dense cost matrix and is solved twice, with CBC and with
HiGHS (PuLP's ``HiGHS`` on ``highspy``), at the same relative gap as ours (``--gap``, default
1e-4); ours builds sparse matrices and solves with HiGHS through scipy. Build and solve
seconds are reported apart, each the median of ``--repeat`` runs, the runs of ours and of both
spopt solvers interleaved (a change of load hits them all); our solve seconds include our
exact reductions and the LP-first step of the covering models (spopt's include PuLP handing the
model to the solver). ``--models`` picks the compared models; ``--no-quota`` skips the per-town
quota models (max cover, p-median), which run for ours only. On the province instance spopt is
not run: its
dense 21,958 x 21,958 cost matrix alone is 3.9 GB.

Run ``python benchmarks/bench_place.py`` (both) or ``--county-only``.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.spatial import cKDTree

from planner.core.optimise import coverage_from_cost, max_cover, p_median, set_cover
from planner.geo.datum import gcj02_to_wgs84

REF = Path(__file__).resolve().parents[1] / "data" / "reference"
CRS = pyproj.CRS("+proj=aea +lat_1=31 +lat_2=34 +lat_0=32 +lon_0=119.5 +datum=WGS84 +units=m")
THRESHOLD = 5000.0


def _outlines() -> gpd.GeoSeries:
    gdf = gpd.read_file(REF / "jiangsu_counties_gcj02.geojson")

    def to_wgs(coords):
        lon, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    geom = shapely.transform(gdf.geometry.to_numpy(), to_wgs)
    out = gpd.GeoSeries(geom, index=gdf["county_code"].astype(str), crs=4326).to_crs(CRS)
    return out.make_valid()


def _inside(geom, n: int, rng, centre=None, sigma=None) -> np.ndarray:
    """``n`` random points inside ``geom`` (around ``centre`` if given)."""
    minx, miny, maxx, maxy = geom.bounds
    out = np.empty((0, 2))
    for _ in range(50):
        k = max(4 * (n - len(out)), 16)
        if centre is None:
            xy = rng.uniform([minx, miny], [maxx, maxy], (k, 2))
        else:
            xy = centre + rng.normal(0.0, sigma, (k, 2))
        xy = xy[shapely.contains_xy(geom, xy[:, 0], xy[:, 1])]
        out = np.r_[out, xy][:n]
        if len(out) == n:
            return out
    return np.r_[out, np.repeat(np.atleast_2d(centre), n - len(out), axis=0)]


def build_instance(county_code: str | None, *, seed: int = 0) -> dict:
    """Village points (metric), town index, children, existing sites and missing per town."""
    rng = np.random.default_rng(seed)
    div = pd.read_csv(REF / "jiangsu_divisions.csv", dtype=str)
    if county_code:
        div = div[div["county_code"] == county_code]
    div = div.sort_values(["county_code", "town_code", "village_code"]).reset_index(drop=True)
    outlines = _outlines()
    xy = np.zeros((len(div), 2))
    synthetic = []
    for code, rows in div.groupby("county_code").groups.items():
        geom = outlines.get(code)
        if geom is None:  # no outline: a square east of the city's other counties
            synthetic.append(code)
            city = outlines[outlines.index.str[:4] == code[:4]]
            side = np.sqrt(len(rows) * 4.7e6)
            x0, y0 = city.total_bounds[2] + 2000.0, city.total_bounds[1]
            geom = shapely.box(x0, y0, x0 + side, y0 + side)
        towns = div.loc[rows, "town_code"]
        n_t = towns.nunique()
        centres = _inside(geom, n_t, rng)
        sigma = np.sqrt(geom.area / n_t) / 2.0
        for t, (_, idx) in enumerate(towns.groupby(towns).groups.items()):
            xy[idx] = _inside(geom, len(idx), rng, centres[t], sigma)
    town_codes, town = np.unique(div["town_code"].to_numpy(), return_inverse=True)
    n_towns = town_codes.size
    children = np.round(rng.lognormal(5.0, 0.6, len(div)))
    has = rng.random(n_towns) < 0.5
    host = np.array([rng.choice(np.flatnonzero(town == t)) for t in np.flatnonzero(has)], int)
    missing = np.where(has, 0, np.where(rng.random(n_towns) < 0.15, 2, 1))
    counts = np.bincount(town, minlength=n_towns)
    missing = np.minimum(missing, counts - np.bincount(town[host], minlength=n_towns))
    return {
        "xy": xy, "town": town, "children": children, "existing": xy[host], "host": host,
        "missing": missing, "synthetic": synthetic, "n_towns": n_towns,
    }  # fmt: skip


def _arrays(inst: dict):
    """Sparse coverage (threshold), existing distance and candidate groups (hosts excluded)."""
    xy = inst["xy"]
    pairs = cKDTree(xy).sparse_distance_matrix(cKDTree(xy), THRESHOLD, output_type="coo_matrix")
    cov = coverage_from_cost(pairs.tocsr(), THRESHOLD)
    existing_d = cKDTree(inst["existing"]).query(xy)[0]
    groups = inst["town"].copy()
    groups[inst["host"]] = -1
    return cov, existing_d, groups


def _row(name, build, solve, obj, extra=""):
    print(f"  {name:<44} build {build:9.4f} s  solve {solve:9.4f} s  objective {obj:,.3f} {extra}")


def _median(runs: list[tuple]) -> tuple:
    """Median build and solve seconds of several runs, with the first run's result."""
    return (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs),
            *runs[0][2:])


def county(args) -> None:
    inst = build_instance("320682", seed=args.seed)
    xy, w = inst["xy"], inst["children"]
    n = len(xy)
    p = int(inst["missing"].sum())
    print(f"(a) county 如皋市 320682: {n} villages, {inst['n_towns']} towns, "
          f"{len(inst['host'])} existing care homes, {p} missing; threshold {THRESHOLD:g} m; "
          f"relative MIP gap {args.gap:g} for every solver; median of {args.repeat} runs")
    cand = np.setdiff1d(np.arange(n), inst["host"])
    cost = np.linalg.norm(xy[:, None] - xy[None], axis=2)
    existing_d = cost[:, inst["host"]].min(axis=1)
    covered = existing_d <= THRESHOLD
    gap, lim = args.gap, args.time_limit
    ours = {}

    def mclp():
        t0 = time.perf_counter()
        cov = coverage_from_cost(cost[:, cand], THRESHOLD)
        t_cov = time.perf_counter() - t0
        r = max_cover(w, cov, p=p, covered=covered, time_limit=lim, mip_rel_gap=gap)
        return r.build_seconds + t_cov, r.solve_seconds, r.objective + w[covered].sum(), r.status

    def pmed():
        r = p_median(w, cost[:, cand], p=p, existing_cost=existing_d, time_limit=lim,
                     mip_rel_gap=gap)
        return r.build_seconds, r.solve_seconds, r.objective, r.status

    def lscp():  # every village within the threshold of a site, fewest sites (all new)
        t0 = time.perf_counter()
        cov = coverage_from_cost(cost, THRESHOLD)
        t_cov = time.perf_counter() - t0
        r = set_cover(cov, time_limit=lim, mip_rel_gap=gap)
        return r.build_seconds + t_cov, r.solve_seconds, r.objective, r.status

    chosen = {"mclp": ("MCLP p", mclp), "pmedian": ("p-median p", pmed),
              "lscp": ("set cover (LSCP)", lscp)}
    solvers = () if args.no_spopt else ("CBC", "HiGHS")
    for name, fn in (chosen[k] for k in args.models):
        runs = {"ours": [], **{sv: [] for sv in solvers}}
        for _ in range(args.repeat):  # interleaved, so that a change of load hits every peer
            runs["ours"].append(fn())
            for sv in solvers:
                runs[sv].append(_spopt_run(args, name, sv, cost, w, inst, cand, p))
        ours[name] = _median(runs["ours"])
        b, s_, obj, status = ours[name]
        each = ", ".join(f"{r[1] * 1e3:.1f}" for r in runs["ours"])
        _row(f"ours  {name} (scipy milp / HiGHS)", b, s_, obj, f"[{status}] solve ms: {each}")
        for sv in solvers:
            _spopt_report(args, name, sv, runs[sv], ours[name])
    if args.no_quota:
        return
    groups = inst["town"][cand]
    cov = coverage_from_cost(cost[:, cand], THRESHOLD)
    q = max_cover(w, cov, groups=groups, counts=inst["missing"], covered=covered,
                  time_limit=lim, mip_rel_gap=gap)
    _row("ours  max cover, per-town quota", q.build_seconds, q.solve_seconds,
         q.objective, f"[{q.status}] gap {q.mip_gap}")
    q = p_median(w, cost[:, cand], groups=groups, counts=inst["missing"],
                 existing_cost=existing_d, time_limit=lim, mip_rel_gap=gap)
    _row("ours  p-median, per-town quota", q.build_seconds, q.solve_seconds, q.objective,
         f"[{q.status}] gap {q.mip_gap}")


def _spopt_model(name, cost, w, inst, cand, p):
    """Build the spopt model of ``name`` (existing sites predefined where it applies)."""
    from spopt.locate import LSCP, MCLP, PMedian

    order = np.r_[inst["host"], cand]  # existing first, predefined
    sub = cost[:, order]
    pre = np.r_[np.ones(len(inst["host"])), np.zeros(len(cand))].astype(int)
    k = len(inst["host"]) + p
    if name == "MCLP p":
        return MCLP.from_cost_matrix(sub, w, THRESHOLD, k, predefined_facilities_arr=pre)
    if name == "p-median p":
        return PMedian.from_cost_matrix(sub, w, k, predefined_facilities_arr=pre)
    return LSCP.from_cost_matrix(cost, THRESHOLD)


def _spopt_run(args, name, solver, cost, w, inst, cand, p) -> tuple:
    """One spopt run on PuLP with CBC or HiGHS (highspy), same gap; build and solve apart."""
    import pulp

    make = {"CBC": lambda: pulp.PULP_CBC_CMD(msg=False, timeLimit=args.time_limit,
                                              gapRel=args.gap),
            "HiGHS": lambda: pulp.HiGHS(msg=False, timeLimit=args.time_limit,
                                        gapRel=args.gap)}[solver]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        m = _spopt_model(name, cost, w, inst, cand, p)
        t1 = time.perf_counter()
        try:
            m.solve(make(), results=False)
        except RuntimeError:  # spopt raises when the solver returns no solution
            pass
        t2 = time.perf_counter()
    return (t1 - t0, t2 - t1, pulp.value(m.problem.objective),
            pulp.LpStatus[m.problem.status])


def _spopt_report(args, name, solver, runs, ours) -> None:
    b, s_, obj, status = _median(runs)
    if obj is None:
        print(f"  spopt {name} (PuLP + {solver}): no solution within "
              f"{args.time_limit:g} s [{status}]; build {b:.3f} s, solve {s_:.3f} s")
        return
    equal = np.isclose(obj, ours[2], rtol=max(args.gap, 1e-9))
    _row(f"spopt {name} (PuLP + {solver})", b, s_, obj,
         f"[{status}] objective equal: {equal}; solve {s_ / ours[1]:.1f}x ours, "
         f"build+solve {(b + s_) / (ours[0] + ours[1]):.1f}x ours")


def province(args) -> None:
    t0 = time.perf_counter()
    inst = build_instance(None, seed=args.seed)
    t_inst = time.perf_counter() - t0
    w = inst["children"]
    print(f"(b) province 江苏: {len(w)} villages, {inst['n_towns']} towns, "
          f"{len(inst['host'])} existing, {int(inst['missing'].sum())} missing; "
          f"{len(inst['synthetic'])} counties without outline given synthetic squares; "
          f"instance built in {t_inst:.1f} s")
    t0 = time.perf_counter()
    cov, existing_d, groups = _arrays(inst)
    t_cov = time.perf_counter() - t0
    covered = existing_d <= THRESHOLD
    print(f"  coverage pairs within {THRESHOLD:g} m: {cov.nnz:,} ({t_cov:.2f} s)")
    kw = {"groups": groups, "counts": inst["missing"], "covered": covered,
          "time_limit": args.time_limit}
    q = max_cover(w, cov, **kw)
    _row("ours  max cover, per-town quota (HiGHS)", q.build_seconds + t_cov, q.solve_seconds,
         q.objective, f"[{q.status}] gap {q.mip_gap} bound {q.bound:,.1f}")
    h = max_cover(w, cov, heuristic_above=0, **kw)
    _row("ours  same, greedy + swap heuristic", h.build_seconds + t_cov, h.solve_seconds,
         h.objective, f"[{h.status}] gap {h.mip_gap:.4%} bound {h.bound:,.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--county-only", action="store_true", help="skip the province instance")
    parser.add_argument("--no-spopt", action="store_true", help="do not run spopt")
    parser.add_argument("--time-limit", type=float, default=60.0, help="solver limit, seconds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--gap", type=float, default=1e-4,
                        help="relative MIP gap, the same for every solver")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (median)")
    parser.add_argument("--models", nargs="+", choices=("mclp", "pmedian", "lscp"),
                        default=["mclp", "pmedian", "lscp"],
                        help="county models compared with spopt (default: all three)")
    parser.add_argument("--no-quota", action="store_true",
                        help="skip the per-town quota models (ours only) on the county")
    args = parser.parse_args()
    county(args)
    if not args.county_only:
        province(args)


if __name__ == "__main__":
    main()
