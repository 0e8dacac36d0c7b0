"""Benchmark: duplicate detection among 1,000,000 facility records (time and peak memory).

Compares the all-pairs search the planner used before (``cKDTree.query_pairs`` with
``output_type="ndarray"``, then filtering the pairs) with
:func:`planner.core.dedupe.duplicate_of` (exact copies collapsed, then chunked searches
with a cap on the close pairs held at once), on the same points, each run in its own
process under an 8 GiB address-space limit, several runs, medians.

Cases (positions in metres, 3 kinds, names from a pool of site names):

* ``spread``: 1,000,000 points over a 40 x 40 km county (a real county's size);
* ``dense``: 1,000,000 points over 10 x 11 km (the test workspace's size);
* ``pasted``: a 10,000-row list pasted 100 times (every record has 99 exact copies);
* ``samename``: ``dense`` with one kind and one name for every record (about 150 million
  pairs within 100 m: the search has to go in chunks).

``--check`` also times ``planner check`` on the mini workspace with a 1,000,000-row
facility CSV (the whole load/validate/locate stage), in its own process.

Run: ``python benchmarks/bench_dedupe.py [--runs 3] [--n 1000000] [--check]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

LIMIT = 8 * 2**30
WITHIN = 100.0


def _points(case: str, n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    kinds = np.array(["care_point", "care_home", "social_org"])
    pool = np.array([f"第{i}村儿童之家" for i in range(max(n // 20, 1))], dtype=object)
    if case == "pasted":
        base = max(n // 100, 1)
        xy = np.tile(rng.uniform(0, 40_000, (base, 2)), (n // base, 1))
        kind = np.tile(rng.choice(kinds, base), n // base)
        name = np.tile(rng.choice(pool, base), n // base)
        return xy, kind, name
    size = (40_000, 40_000) if case == "spread" else (10_000, 11_000)
    xy = rng.uniform(0, 1, (n, 2)) * np.array(size)
    if case == "samename":
        return xy, np.full(n, kinds[0]), np.full(n, pool[0])
    return xy, rng.choice(kinds, n), rng.choice(pool, n)


def _query_pairs(xy, kind, name):
    """The former method: every pair within the larger radius, then filtered."""
    from scipy.spatial import cKDTree

    pairs = cKDTree(xy).query_pairs(WITHIN, output_type="ndarray")
    i, j = np.minimum(pairs[:, 0], pairs[:, 1]), np.maximum(pairs[:, 0], pairs[:, 1])
    dist = np.hypot(*(xy[i] - xy[j]).T)
    same = (kind[i] == kind[j]) & (((name[i] == name[j]) & (name[i] != "")) | (dist <= 1.0))
    i, j = i[same], j[same]
    order = np.lexsort((i, j))
    return np.unique(j[order]).size


def _duplicate_of(xy, kind, name):
    from planner.core.dedupe import duplicate_of

    dup, _ = duplicate_of(xy, kind, name, within=WITHIN, touch=1.0)
    return int((dup >= 0).sum())


def _child(case: str, method: str, n: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))
    xy, kind, name = _points(case, n)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = time.perf_counter()
    try:
        found = {"query_pairs": _query_pairs, "duplicate_of": _duplicate_of}[method](
            xy, kind, name)
    except MemoryError:
        found = "MemoryError"
    seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "data_mb": base,
                      "duplicates": found}))


def _run_child(args: list[str]) -> dict:
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return {"seconds": float("nan"), "peak_mb": float("nan"), "data_mb": float("nan"),
                "duplicates": f"failed: {tail[:60]}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _check_child(n: int) -> None:
    """``planner check`` on the mini workspace with an ``n``-row facility CSV."""
    import pandas as pd

    from planner.cli import main

    mini = Path(__file__).resolve().parent.parent / "tests" / "data" / "mini"

    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "mini"
        shutil.copytree(mini, ws)
        rng = np.random.default_rng(0)
        kinds = np.array(["儿童之家", "儿童关爱之家", "社会组织"])
        frame = pd.DataFrame({
            "名称": [f"第{i}村儿童之家" for i in rng.integers(0, n // 20, n)],
            "类型": rng.choice(kinds, n), "达标情况": "", "所属镇": "甲山镇",
            "经度": np.round(rng.uniform(120.505, 120.595, n), 6),
            "纬度": np.round(rng.uniform(32.305, 32.395, n), 6), "坐标系": "WGS84",
        })
        frame.to_csv(ws / "facilities.csv", index=False, encoding="gb18030")
        t = time.perf_counter()
        code = main(["check", str(ws)])
        seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "data_mb": 0, "duplicates": code}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--cases", default="spread,dense,pasted,samename")
    parser.add_argument("--methods", default="query_pairs,duplicate_of")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--check-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child, args.n)
        return
    if args.check_child:
        _check_child(args.n)
        return
    print(f"duplicate detection, n = {args.n:,}, within {WITHIN:.0f} m / touch 1 m, "
          f"{args.runs} runs each (medians), own process, {LIMIT / 2**30:.0f} GiB limit")
    print(f"{'case':<8} {'method':<13} {'seconds':>8} {'peak MB':>8} {'data MB':>8}  "
          "duplicates")
    for case in filter(None, args.cases.split(",")):
        for method in args.methods.split(","):
            runs = [_run_child(["--child", case, method, "--n", str(args.n)])
                    for _ in range(args.runs)]
            sec = statistics.median(r["seconds"] for r in runs)
            peak = statistics.median(r["peak_mb"] for r in runs)
            data = statistics.median(r["data_mb"] for r in runs)
            print(f"{case:<8} {method:<13} {sec:8.1f} {peak:8.0f} {data:8.0f}  "
                  f"{runs[0]['duplicates']}", flush=True)
    if args.check:
        runs = [_run_child(["--check-child", "--n", str(args.n)]) for _ in range(args.runs)]
        print(f"planner check, {args.n:,} facility rows: "
              f"{statistics.median(r['seconds'] for r in runs):.1f} s, peak "
              f"{statistics.median(r['peak_mb'] for r in runs):.0f} MB, exit "
              f"{runs[0]['duplicates']}")


if __name__ == "__main__":
    main()
